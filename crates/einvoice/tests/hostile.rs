//! Hostile and broken input: every case ends in a specific error, quickly, and nothing panics.

use proptest::prelude::*;
use stapel_einvoice::{read_einvoice_xml, read_hybrid_pdf, HybridPdfLimits, XmlLimits};
use std::time::{Duration, Instant};

const UBL_OPEN: &str = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#;

fn code_of(bytes: &[u8]) -> &'static str {
    read_einvoice_xml(bytes, &XmlLimits::default())
        .map(|_| "ok")
        .unwrap_or_else(|error| error.code())
}

fn billion_laughs() -> String {
    let mut dtd = String::from(r#"<!ENTITY lol0 "lol">"#);
    for level in 1..10 {
        let previous = format!("&lol{};", level - 1);
        dtd.push_str(&format!(
            r#"<!ENTITY lol{level} "{}">"#,
            previous.repeat(10)
        ));
    }
    format!("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [{dtd}]>\n{UBL_OPEN}<cbc:ID>&lol9;</cbc:ID></Invoice>")
}

#[test]
fn billion_laughs_is_refused_in_bounded_time() {
    let started = Instant::now();
    assert_eq!(
        code_of(billion_laughs().as_bytes()),
        "einvoice.dtd_forbidden"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn external_entities_and_any_doctype_are_refused() {
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{UBL_OPEN}<cbc:ID>&xxe;</cbc:ID></Invoice>"
    );
    assert_eq!(code_of(xxe.as_bytes()), "einvoice.dtd_forbidden");
    let parameter =
        "<!DOCTYPE a [<!ENTITY % remote SYSTEM \"http://example.invalid/x.dtd\"> %remote;]><a/>";
    assert_eq!(code_of(parameter.as_bytes()), "einvoice.dtd_forbidden");
    // Even an empty DOCTYPE, after a BOM, a declaration and a comment.
    let empty =
        format!("\u{feff}<?xml version=\"1.0\"?><!-- c --><!DOCTYPE Invoice>{UBL_OPEN}</Invoice>");
    assert_eq!(code_of(empty.as_bytes()), "einvoice.dtd_forbidden");
    // An entity reference without a DTD is undefined, hence malformed; never resolved.
    let undefined = format!("{UBL_OPEN}<cbc:ID>&xxe;</cbc:ID></Invoice>");
    assert_eq!(code_of(undefined.as_bytes()), "einvoice.malformed_xml");
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100_000;
    let deep = format!(
        "{UBL_OPEN}{}{}</Invoice>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let started = Instant::now();
    assert_eq!(code_of(deep.as_bytes()), "einvoice.too_deep");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn size_and_node_count_are_bounded() {
    let limits = XmlLimits::default();
    let huge = format!("{UBL_OPEN}{}</Invoice>", " ".repeat(limits.max_bytes));
    let started = Instant::now();
    assert_eq!(code_of(huge.as_bytes()), "einvoice.too_large");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "checked before parsing"
    );

    let wide = format!("{UBL_OPEN}{}</Invoice>", "<a/>".repeat(2_000));
    let small = XmlLimits {
        max_nodes: 1_000,
        ..limits
    };
    let error = read_einvoice_xml(wide.as_bytes(), &small).unwrap_err();
    assert_eq!(error.code(), "einvoice.too_many_nodes");
}

#[test]
fn other_xml_and_other_encodings_fail_with_their_own_codes() {
    assert_eq!(
        code_of(b"<html><body/></html>"),
        "einvoice.unsupported_document"
    );
    // The right local name in no namespace is not UBL.
    assert_eq!(
        code_of(b"<Invoice><ID>1</ID></Invoice>"),
        "einvoice.unsupported_document"
    );
    assert_eq!(code_of(b"<Invoice"), "einvoice.malformed_xml");
    let utf16: Vec<u8> = "<a/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(code_of(&utf16), "einvoice.malformed_xml");
    let error = read_einvoice_xml(b"<html/>", &XmlLimits::default()).unwrap_err();
    assert!(error.to_string().contains("html"), "{error}");
}

#[test]
fn an_inflation_bomb_attachment_is_refused() {
    // A hybrid PDF whose attachment stream is within limits on disk but inflates past them.
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/facturx_hybrid.pdf"
    ))
    .unwrap();
    let tiny = HybridPdfLimits {
        max_attachment_bytes: 100,
        ..HybridPdfLimits::default()
    };
    let error = read_hybrid_pdf(&pdf, &tiny, &XmlLimits::default()).unwrap_err();
    assert_eq!(error.code(), "einvoice.pdf_attachment");
    assert!(error.to_string().contains("limit"), "{error}");
}

fn xml_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("</".to_owned()),
        Just("/>".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#x0;".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("]]>".to_owned()),
        Just("<!--".to_owned()),
        Just(UBL_OPEN.to_owned()),
        Just("</Invoice>".to_owned()),
        Just("<cbc:ID>".to_owned()),
        Just("<cac:LegalMonetaryTotal>".to_owned()),
        Just("<cbc:PayableAmount currencyID=\"EUR\">".to_owned()),
        Just("<cbc:IssueDate>".to_owned()),
        "[0-9.,+-]{0,30}",
        "[ -~]{0,12}",
    ]
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_einvoice_xml(&bytes, &XmlLimits::default());
        let _ = stapel_einvoice::looks_like_xml(&bytes);
    }

    #[test]
    fn xml_like_soup_never_panics(tokens in proptest::collection::vec(xml_token(), 0..64)) {
        let _ = read_einvoice_xml(tokens.concat().as_bytes(), &XmlLimits::default());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        file in prop_oneof![Just("ubl_invoice.xml"), Just("cii_allowances_charges.xml"), Just("zugferd1_comfort.xml")],
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let mut bytes = std::fs::read(path).unwrap();
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = read_einvoice_xml(&bytes, &XmlLimits::default());
    }
}

proptest! {
    // Parsing a PDF is slower; fewer cases, still random.
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn mutated_hybrid_pdfs_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..32),
        cut in any::<prop::sample::Index>(),
    ) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/facturx_hybrid.pdf");
        let mut bytes = std::fs::read(path).unwrap();
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = read_hybrid_pdf(&bytes, &HybridPdfLimits::default(), &XmlLimits::default());
        let truncated = &bytes[..cut.index(bytes.len())];
        let _ = read_hybrid_pdf(truncated, &HybridPdfLimits::default(), &XmlLimits::default());
    }
}
