//! Every format against expectations written by hand from the fixture XML (see
//! `fixtures/NOTICE.md`). All contract fields are compared through the JSON contract, so the
//! representation (`"473.00"`, not `"473"`) is checked as well as the value.

use serde_json::{json, Value};
use stapel_einvoice::{
    read_einvoice_xml, read_hybrid_pdf, EInvoiceFormat, HybridPdfLimits, XmlLimits,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The expected contract JSON minus `confidence` (checked separately) and `lines` (only the
/// count and the listed lines are compared, by index).
struct Case {
    file: &'static str,
    format: EInvoiceFormat,
    fields: Value,
    line_count: usize,
    lines: &'static [(
        usize,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )],
}

fn check(case: &Case) {
    let einvoice = read_einvoice_xml(&fixture(case.file), &XmlLimits::default())
        .unwrap_or_else(|error| panic!("{}: {error}", case.file));
    assert_eq!(einvoice.format, case.format, "{}", case.file);
    assert!(
        einvoice.violations.is_empty(),
        "{}: {:?}",
        case.file,
        einvoice.violations
    );
    let actual = serde_json::to_value(&einvoice.invoice).unwrap();
    let expected = case.fields.as_object().unwrap();
    for (key, want) in expected {
        assert_eq!(&actual[key], want, "{}: field {key}", case.file);
    }
    // Every contract field is covered by the table, so a new field must be added here.
    for key in actual.as_object().unwrap().keys() {
        assert!(
            expected.contains_key(key)
                || ["lines", "confidence", "allowances_charges", "payment_terms"]
                    .contains(&key.as_str()),
            "{}: field {key} has no expectation",
            case.file
        );
    }
    let lines = actual["lines"].as_array().unwrap();
    assert_eq!(lines.len(), case.line_count, "{}: line count", case.file);
    for (index, description, quantity, unit_price, net_amount, vat_rate) in case.lines {
        let line = &lines[*index];
        assert_eq!(
            line,
            &json!({
                "description": description,
                "quantity": quantity,
                "unit_price": unit_price,
                "net_amount": net_amount,
                "vat_rate": vat_rate,
            }),
            "{}: line {index}",
            case.file
        );
    }
    // Structured data is read, not guessed: every filled field has confidence 1.
    for (field, confidence) in &einvoice.invoice.confidence {
        assert_eq!(*confidence, 1.0, "{}: confidence of {field}", case.file);
    }
    for field in ["invoice_number", "currency", "net_total", "gross_total"] {
        assert!(
            einvoice.invoice.confidence.contains_key(field),
            "{}: {field}",
            case.file
        );
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "ubl_invoice.xml",
            format: EInvoiceFormat::UblInvoice,
            fields: json!({
                "document_type": "invoice", "source": "ubl",
                "supplier_name": "De Koksmaat", "supplier_vat_id": "NL820098395B01",
                "customer_name": "ODIN 59", "customer_vat_id": null, "invoice_number": "12115118",
                "issue_date": "2015-01-09", "due_date": "2015-01-09", "currency": "EUR",
                "net_total": "229.60", "vat_total": "20.73", "gross_total": "250.33",
                "amount_due": "250.33",
                "vat_breakdown": [
                    {"rate": "6", "base": "183.23", "amount": "10.99", "category": "S"},
                    {"rate": "21", "base": "46.37", "amount": "9.74", "category": "S"},
                ],
                // The first of two payment means.
                "iban": "NL57RABO0107307510",
            }),
            line_count: 20,
            lines: &[
                (0, "PATAT FRITES 10MM 10KG", "2", "9.95", "19.90", "6"),
                // A return line: positive quantity, negative amount, as the document states.
                (19, "FRITUUR VET 10 KG RETOUR", "6", "18.33", "-109.98", "6"),
            ],
        },
        Case {
            file: "ubl_credit_note.xml",
            format: EInvoiceFormat::UblCreditNote,
            fields: json!({
                "document_type": "credit_note", "source": "ubl",
                "supplier_name": "My Supplier Company", "supplier_vat_id": "BE0000000196",
                "customer_name": "My Customer Company", "customer_vat_id": "BE0000000295", "invoice_number": "018304 / 28865",
                "issue_date": "2019-09-23", "due_date": null, "currency": "EUR",
                // UBL credit notes state positive amounts; kept positive, the type says credit.
                "net_total": "100.11", "vat_total": "0.00", "gross_total": "100.11",
                "amount_due": "100.11",
                "vat_breakdown": [{"rate": "0", "base": "100.11", "amount": "0.00", "category": "E"}],
                "iban": "BE91000000143476",
            }),
            line_count: 1,
            lines: &[(
                0,
                "Exonération du versement du PP",
                "1",
                "100.11",
                "100.11",
                "0",
            )],
        },
        Case {
            file: "cii_credit_note.xml",
            format: EInvoiceFormat::Cii,
            fields: json!({
                "document_type": "credit_note", "source": "cii",
                "supplier_name": "Kantoorhuis B.V.", "supplier_vat_id": "NL859726371B01",
                "customer_name": "Bakkerij De Korenaar", "customer_vat_id": null, "invoice_number": "CN-2026-007",
                "issue_date": "2026-01-15", "due_date": "2026-02-14", "currency": "EUR",
                "net_total": "80.00", "vat_total": "16.80", "gross_total": "96.80",
                "amount_due": "96.80",
                "vat_breakdown": [{"rate": "21", "base": "80.00", "amount": "16.80", "category": "S"}],
                "iban": "NL91ABNA0417164300",
            }),
            line_count: 1,
            lines: &[(0, "Returned toner cartridge", "2", "40", "80.00", "21")],
        },
        Case {
            file: "cii_huf.xml",
            format: EInvoiceFormat::Cii,
            fields: json!({
                "document_type": "invoice", "source": "cii",
                "supplier_name": "DKV Euro Service GmbH + Co. KG", "supplier_vat_id": "HU30048650",
                "customer_name": "HIL Heeresinstandsetzungslogistik GmbH", "customer_vat_id": "DE242688168",
                "invoice_number": "21/001003559/996",
                "issue_date": "2021-10-05", "due_date": "2021-11-01", "currency": "HUF",
                // ISO 4217 gives HUF two minor units, and the document writes two.
                "net_total": "69180.00", "vat_total": "18679.00", "gross_total": "87859.00",
                "amount_due": "87859.00",
                "vat_breakdown": [{"rate": "27", "base": "69180.00", "amount": "18679.00", "category": "S"}],
                "iban": "DE26330403100827038100",
            }),
            line_count: 3,
            // The quantity is written `64.`; the price is per 100 litres (BT-149), as printed.
            lines: &[(0, "DIZEL", "64", "36109", "23440.00", "27")],
        },
        Case {
            file: "cii_multi_rate.xml",
            format: EInvoiceFormat::Cii,
            fields: einfach("cii"),
            line_count: 2,
            lines: EINFACH_LINES,
        },
        Case {
            file: "ubl_multi_rate.xml",
            format: EInvoiceFormat::UblInvoice,
            fields: einfach("ubl"),
            line_count: 2,
            lines: EINFACH_LINES,
        },
        Case {
            file: "cii_allowances_charges.xml",
            format: EInvoiceFormat::Cii,
            fields: json!({
                "document_type": "invoice", "source": "cii",
                "supplier_name": "Lieferant GmbH", "supplier_vat_id": "DE123456789",
                "customer_name": "Kunden AG Mitte", "customer_vat_id": null, "invoice_number": "471102",
                "issue_date": "2018-06-05", "due_date": null, "currency": "EUR",
                // 202.70 lines - 14.73 allowances + 5.80 charges; 50.00 prepaid.
                "net_total": "193.77", "vat_total": "21.30", "gross_total": "215.07",
                "amount_due": "165.07",
                "vat_breakdown": [
                    {"rate": "7", "base": "129.37", "amount": "9.06", "category": "S"},
                    {"rate": "19", "base": "64.40", "amount": "12.24", "category": "S"},
                ],
                "iban": null,
            }),
            line_count: 4,
            lines: &[
                (0, "Kunstrasen grün 3m breit", "3", "3.3333", "10.00", "19"),
                (
                    2,
                    "Mineralwasser Medium 12 x 1,0l PET",
                    "20",
                    "5.49",
                    "109.80",
                    "7",
                ),
            ],
        },
        Case {
            file: "zugferd1_comfort.xml",
            format: EInvoiceFormat::Zugferd1,
            fields: json!({
                "document_type": "invoice", "source": "cii",
                "supplier_name": "Lieferant GmbH", "supplier_vat_id": "DE123456789",
                "customer_name": "Kunden AG Mitte", "customer_vat_id": null, "invoice_number": "471102",
                "issue_date": "2013-03-05", "due_date": "2013-04-04", "currency": "EUR",
                "net_total": "473.00", "vat_total": "56.87", "gross_total": "529.87",
                "amount_due": "529.87",
                "vat_breakdown": [
                    {"rate": "7", "base": "275.00", "amount": "19.25", "category": "S"},
                    {"rate": "19", "base": "198.00", "amount": "37.62", "category": "S"},
                ],
                "iban": "DE08700901001234567890",
            }),
            line_count: 2,
            lines: &[(0, "Trennblätter A4", "20", "9.9", "198.00", "19")],
        },
        Case {
            file: "fatturapa_invoice.xml",
            format: EInvoiceFormat::FatturaPa,
            fields: json!({
                "document_type": "invoice", "source": "fatturapa",
                "supplier_name": "Tipografia Bellucci S.r.l.", "supplier_vat_id": "IT01234567890",
                "customer_name": "Caffè Rossi S.p.A.", "customer_vat_id": "IT09876543210", "invoice_number": "FT 2026/0457",
                // The earliest of two instalments; the amount due is their sum.
                "issue_date": "2026-11-03", "due_date": "2026-12-03", "currency": "EUR",
                // FatturaPA states no net or VAT total: they are the sums of DatiRiepilogo.
                "net_total": "1010.00", "vat_total": "195.20", "gross_total": "1205.20",
                "amount_due": "1205.20",
                "vat_breakdown": [
                    {"rate": "22", "base": "860.00", "amount": "189.20", "category": "S"},
                    {"rate": "4", "base": "150.00", "amount": "6.00", "category": "S"},
                ],
                "iban": "IT60X0542811101000000123456",
            }),
            line_count: 3,
            lines: &[
                (
                    0,
                    "Volantini A5 quadricromia",
                    "2000",
                    "0.25",
                    "500.00",
                    "22",
                ),
                (2, "Cataloghi editoriali", "50", "3", "150.00", "4"),
            ],
        },
        Case {
            file: "facturx_minimum.xml",
            format: EInvoiceFormat::Cii,
            fields: json!({
                "document_type": "invoice", "source": "cii",
                "supplier_name": "LE FOURNISSEUR", "supplier_vat_id": "FR11123456782",
                "customer_name": "LE CLIENT", "customer_vat_id": null, "invoice_number": "F20260023",
                "issue_date": "2026-01-31", "due_date": null, "currency": "EUR",
                "net_total": "100.00", "vat_total": "4.90", "gross_total": "104.90",
                "amount_due": "104.90",
                // MINIMUM carries neither a breakdown, nor lines, nor an IBAN.
                "vat_breakdown": [], "iban": null,
            }),
            line_count: 0,
            lines: &[],
        },
        Case {
            file: "ubl_reverse_charge.xml",
            format: EInvoiceFormat::UblInvoice,
            fields: json!({
                "document_type": "invoice", "source": "ubl",
                "supplier_name": "Van Dijk Techniek B.V.", "supplier_vat_id": "NL858475622B01",
                // The customer's VAT scheme, not the tax number (FC) listed before it.
                "customer_name": "Müller Maschinenbau GmbH", "customer_vat_id": "DE136695976",
                "invoice_number": "VDT-2026-118",
                "issue_date": "2026-11-21", "due_date": "2026-12-21", "currency": "EUR",
                "net_total": "1000.00", "vat_total": "0.00", "gross_total": "1000.00",
                "amount_due": "1000.00",
                "vat_breakdown": [
                    {"rate": "0", "base": "1000.00", "amount": "0.00", "category": "AE"},
                ],
                "iban": null,
            }),
            line_count: 1,
            lines: &[(0, "Onderhoud persen", "10", "100", "1000.00", "0")],
        },
        Case {
            file: "cii_exempt_zero_rated.xml",
            format: EInvoiceFormat::Cii,
            fields: json!({
                "document_type": "invoice", "source": "cii",
                "supplier_name": "Kantoorhuis B.V.", "supplier_vat_id": "NL859726371B01",
                // Scheme VA, not the FC registration before it; normalised.
                "customer_name": "Bakkerij De Korenaar", "customer_vat_id": "NL001234567B02",
                "invoice_number": "2026-0412",
                "issue_date": "2026-04-12", "due_date": "2026-05-12", "currency": "EUR",
                "net_total": "180.00", "vat_total": "21.00", "gross_total": "201.00",
                "amount_due": "201.00",
                // The exempt row states no rate: it taxes at zero.
                "vat_breakdown": [
                    {"rate": "21", "base": "100.00", "amount": "21.00", "category": "S"},
                    {"rate": "0", "base": "50.00", "amount": "0.00", "category": "Z"},
                    {"rate": "0", "base": "30.00", "amount": "0.00", "category": "E"},
                ],
                "iban": null,
            }),
            line_count: 3,
            lines: &[(1, "Verzending naar Curaçao", "1", "50", "50.00", "0")],
        },
    ]
}

const EINFACH_LINES: &[(usize, &str, &str, &str, &str, &str)] = &[
    (0, "Trennblätter A4", "20", "9.9", "198.00", "19"),
    (1, "Joghurt Banane", "50", "5.5", "275.00", "7"),
];

fn einfach(source: &str) -> Value {
    json!({
        "document_type": "invoice", "source": source,
        "supplier_name": "Lieferant GmbH", "supplier_vat_id": "DE123456789",
        "customer_name": "Kunden AG Mitte", "customer_vat_id": null, "invoice_number": "471102",
        "issue_date": "2018-03-05", "due_date": null, "currency": "EUR",
        "net_total": "473.00", "vat_total": "56.87", "gross_total": "529.87",
        "amount_due": "529.87",
        "vat_breakdown": [
            {"rate": "7", "base": "275.00", "amount": "19.25", "category": "S"},
            {"rate": "19", "base": "198.00", "amount": "37.62", "category": "S"},
        ],
        "iban": null,
    })
}

#[test]
fn every_fixture_reads_as_written_by_hand() {
    for case in cases() {
        check(&case);
    }
}

#[test]
fn the_same_invoice_reads_the_same_in_ubl_and_cii() {
    let read = |file| {
        let mut invoice = read_einvoice_xml(&fixture(file), &XmlLimits::default())
            .unwrap()
            .invoice;
        invoice.source = Default::default();
        serde_json::to_value(invoice).unwrap()
    };
    assert_eq!(read("cii_multi_rate.xml"), read("ubl_multi_rate.xml"));
}

#[test]
fn a_hybrid_pdf_is_read_from_its_attachment() {
    let einvoice = read_hybrid_pdf(
        &fixture("facturx_hybrid.pdf"),
        &HybridPdfLimits::default(),
        &XmlLimits::default(),
    )
    .unwrap()
    .expect("the Factur-X PDF carries an attachment");
    assert_eq!(einvoice.attachment.as_deref(), Some("factur-x.xml"));
    assert_eq!(einvoice.format, EInvoiceFormat::Cii);
    let standalone =
        read_einvoice_xml(&fixture("cii_multi_rate.xml"), &XmlLimits::default()).unwrap();
    assert_eq!(einvoice.invoice, standalone.invoice);
}

#[test]
fn a_pdf_without_attachment_or_a_broken_one_is_not_an_einvoice() {
    let limits = (HybridPdfLimits::default(), XmlLimits::default());
    let plain = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/en_invoice.pdf"
    ))
    .unwrap();
    assert_eq!(read_hybrid_pdf(&plain, &limits.0, &limits.1), Ok(None));
    // Without attachment markers a PDF never reaches the PDF parser: no attachment.
    let truncated = read_hybrid_pdf(b"%PDF-1.4\n1 0 obj <<", &limits.0, &limits.1);
    assert_eq!(truncated, Ok(None));
    // With them, a broken PDF is an error the caller logs before falling back to the text.
    let broken =
        read_hybrid_pdf(b"%PDF-1.7\n1 0 obj << /EmbeddedFiles", &limits.0, &limits.1).unwrap_err();
    assert_eq!(broken.code(), "einvoice.pdf_attachment");
    let small = HybridPdfLimits {
        max_pdf_bytes: 10,
        ..HybridPdfLimits::default()
    };
    let too_large = read_hybrid_pdf(&plain, &small, &limits.1).unwrap_err();
    assert_eq!(too_large.code(), "einvoice.pdf_attachment");
}

#[test]
fn totals_that_do_not_add_up_are_reported_and_lose_confidence() {
    let einvoice = read_einvoice_xml(
        &fixture("ubl_inconsistent_totals.xml"),
        &XmlLimits::default(),
    )
    .unwrap();
    let rules: Vec<&str> = einvoice.violations.iter().map(|v| v.rule).collect();
    // The line says 90.00 against 100.00 declared (BR-CO-10); 100.00 + 21.00 is not 120.00
    // (BR-CO-15). The figures stay as stated.
    assert_eq!(rules, ["BR-CO-10", "BR-CO-15"]);
    let invoice = &einvoice.invoice;
    assert_eq!(
        invoice.gross_total.map(|g| g.to_string()).as_deref(),
        Some("120.00")
    );
    for field in ["net_total", "vat_total", "gross_total"] {
        assert_eq!(
            invoice.confidence[field],
            stapel_einvoice::VIOLATION_CONFIDENCE,
            "{field}"
        );
    }
    assert_eq!(invoice.confidence["amount_due"], 1.0);
    assert!(
        einvoice.violations[1].message.contains("120.00"),
        "{:?}",
        einvoice.violations
    );
}

#[test]
fn a_fatturapa_credit_note_and_a_person_as_customer() {
    let einvoice =
        read_einvoice_xml(&fixture("fatturapa_credit_note.xml"), &XmlLimits::default()).unwrap();
    assert_eq!(einvoice.format, EInvoiceFormat::FatturaPa);
    let invoice = &einvoice.invoice;
    assert_eq!(
        invoice.document_type,
        stapel_domain::DocumentType::CreditNote
    );
    assert_eq!(invoice.invoice_number.as_deref(), Some("NC 2026/0012"));
    assert_eq!(invoice.customer_name.as_deref(), Some("Giulia Rossi"));
}

#[test]
fn a_fatturapa_batch_reads_the_first_invoice_and_says_so() {
    let einvoice =
        read_einvoice_xml(&fixture("fatturapa_lotto.xml"), &XmlLimits::default()).unwrap();
    assert_eq!(
        einvoice.invoice.invoice_number.as_deref(),
        Some("FT 2026/0457")
    );
    let rules: Vec<&str> = einvoice.violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&"FPA-LOTTO"), "{:?}", einvoice.violations);
    assert!(einvoice.invoice.confidence["invoice_number"] < 1.0);
}

/// Document-level allowances and charges and the payment terms, from the same invoice in CII
/// and in its UBL conversion (ZUGFeRD corpus `EN16931_Rabatte`).
#[test]
fn allowances_charges_and_payment_terms_read_the_same_in_ubl_and_cii() {
    let expected = json!({
        "allowances_charges": [
            {"charge": false, "amount": "1.00", "reason": "Sondernachlass", "vat_rate": "19"},
            {"charge": false, "amount": "13.73", "reason": "Sondernachlass", "vat_rate": "7"},
            {"charge": true, "amount": "5.80", "reason": "Versandkosten", "vat_rate": "7"},
        ],
        "payment_terms": "Zahlbar innerhalb 30 Tagen netto bis 04.07.2018, 3% Skonto innerhalb 10 Tagen bis 15.06.2018",
    });
    for file in ["cii_allowances_charges.xml", "ubl_allowances_charges.xml"] {
        let einvoice = read_einvoice_xml(&fixture(file), &XmlLimits::default()).unwrap();
        assert!(
            einvoice.violations.is_empty(),
            "{file}: {:?}",
            einvoice.violations
        );
        let actual = serde_json::to_value(&einvoice.invoice).unwrap();
        assert_eq!(
            actual["allowances_charges"], expected["allowances_charges"],
            "{file}"
        );
        assert_eq!(actual["payment_terms"], expected["payment_terms"], "{file}");
        assert_eq!(
            einvoice.invoice.confidence["allowances_charges"], 1.0,
            "{file}"
        );
    }
    let cii = read_einvoice_xml(
        &fixture("cii_allowances_charges.xml"),
        &XmlLimits::default(),
    )
    .unwrap();
    let ubl = read_einvoice_xml(
        &fixture("ubl_allowances_charges.xml"),
        &XmlLimits::default(),
    )
    .unwrap();
    let mut ubl_invoice = ubl.invoice.clone();
    ubl_invoice.source = cii.invoice.source;
    assert_eq!(
        ubl_invoice, cii.invoice,
        "the UBL conversion reads like the CII original"
    );
}

/// BR-CO-11: a declared allowance total that its allowances do not add up to is reported.
#[test]
fn allowances_that_do_not_add_up_to_their_total_are_reported() {
    let xml = String::from_utf8(fixture("ubl_allowances_charges.xml")).unwrap();
    let broken = xml.replacen(
        "<cbc:Amount currencyID=\"EUR\">13.73</cbc:Amount>",
        "<cbc:Amount currencyID=\"EUR\">12.73</cbc:Amount>",
        1,
    );
    assert_ne!(
        broken, xml,
        "the fixture holds the allowance the test edits"
    );
    let einvoice = read_einvoice_xml(broken.as_bytes(), &XmlLimits::default()).unwrap();
    let rules: Vec<&str> = einvoice.violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&"BR-CO-11"), "{rules:?}");
    assert!(einvoice.invoice.confidence["net_total"] < 1.0);
}

#[test]
fn fatturapa_natures_map_to_vat_categories_and_the_customer_vat_id_is_read() {
    let xml = String::from_utf8(fixture("fatturapa_invoice.xml")).unwrap();
    let read = |nature: &str| {
        // The 4 % row becomes a 0 % row of the given nature (same base, no VAT).
        let changed = xml.replace(
            "<AliquotaIVA>4.00</AliquotaIVA>\n        <ImponibileImporto>150.00</ImponibileImporto>\n        <Imposta>6.00</Imposta>",
            &format!(
                "<AliquotaIVA>0.00</AliquotaIVA>\n        <Natura>{nature}</Natura>\n        \
                 <ImponibileImporto>150.00</ImponibileImporto>\n        <Imposta>0.00</Imposta>"
            ),
        );
        assert_ne!(changed, xml, "the fixture's 4 % row moved");
        let einvoice = read_einvoice_xml(changed.as_bytes(), &XmlLimits::default()).unwrap();
        let json = serde_json::to_value(&einvoice.invoice).unwrap();
        assert_eq!(json["customer_vat_id"], "IT09876543210");
        assert_eq!(json["vat_breakdown"][0]["category"], "S");
        json["vat_breakdown"][1]["category"].clone()
    };
    assert_eq!(read("N6.3"), json!("AE"));
    assert_eq!(read("N4"), json!("E"));
    assert_eq!(read("N3.2"), json!("K"));
    assert_eq!(read("N3.1"), json!("G"));
    assert_eq!(read("N2.2"), json!("O"));
    // A nature without one UNCL5305 counterpart (margin scheme) is left without a category.
    assert_eq!(read("N5"), Value::Null);
}
