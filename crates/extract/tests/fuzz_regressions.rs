//! Inputs the fuzz targets (`fuzz/`, see the README's "Fuzzing") found, kept as plain tests so
//! `cargo test` covers them without cargo-fuzz.
//!
//! Each file in `tests/fuzz-cases/` is listed in [`CASES`] with the error code the text reader
//! gave when the fuzzer found it; a file that is not listed fails the test, so a new case cannot
//! be added without saying what it must produce.
//!
//! `pdf-extract` does not always fail these files the same way: once in CI, `lib-177-52` read as
//! an empty text layer instead of reaching its panic. So a case passes when it fails with its own
//! code or with another code of an unreadable text layer ([`UNREADABLE`]); what must never happen
//! is a panic escaping the guard, or text invented from a broken file.

use stapel_extract::{extract_pdf_text, parse_pdf_text, PdfLimits};
use std::collections::BTreeSet;
use std::path::Path;

/// The codes of a PDF whose text layer cannot be read.
const UNREADABLE: [&str; 3] = ["pdf.parser_panic", "pdf.no_text_layer", "pdf.corrupt"];

/// File, the code `extract_pdf_text` must fail with (`None`: it must succeed), and what the
/// fuzzer found.
const CASES: &[(&str, Option<&str>, &str)] = &[
    (
        "pdf-extract-lib-177-52.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:177, expect(\"missing object reference\")",
    ),
    (
        "pdf-extract-lib-204-30.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:204, expect(\"wrong type\")",
    ),
    (
        "pdf-extract-lib-204-69.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:204, expect(\"wrong type\")",
    ),
    (
        "pdf-extract-lib-213-42.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:213, expect(\"wrong type\")",
    ),
    (
        "pdf-extract-lib-286-79.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:286, panic!(\"deref\")",
    ),
    (
        "pdf-extract-lib-359-14.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:359, panic!(\"unexpected encoding\")",
    ),
    (
        "pdf-extract-lib-974-74.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:974, expect(\"Descendant fonts required\")",
    ),
    (
        "pdf-extract-lib-1582-49.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:1582, unwrap() of a content stream's decoding",
    ),
    (
        "pdf-extract-lib-1698-73.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:1698, operand index out of bounds",
    ),
    (
        "pdf-extract-lib-1707-63.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:1707, operand index out of bounds",
    ),
    (
        "pdf-extract-lib-1762-21.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:1762, assert! on an operand count",
    ),
    (
        "pdf-extract-lib-1801-113.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:1801, operand index out of bounds",
    ),
    (
        "pdf-extract-lib-1824-51.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:1824, operand index out of bounds",
    ),
    (
        "pdf-extract-lib-2413-74.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:2413, expect(\"MediaBox\")",
    ),
    (
        "pdf-extract-lib-2414-103.pdf",
        Some("pdf.parser_panic"),
        "pdf-extract 0.12.1 lib.rs:2414, MediaBox index out of bounds",
    ),
];

#[test]
fn every_fuzz_case_ends_in_its_result_without_escaping_the_panic_guard() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-cases");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&directory)
        .expect("tests/fuzz-cases")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".pdf"))
        .collect();
    let listed: BTreeSet<String> = CASES.iter().map(|(name, ..)| (*name).to_owned()).collect();
    assert_eq!(
        on_disk, listed,
        "every case on disk is listed in CASES, and only those"
    );
    for (name, expected, found) in CASES {
        let bytes = std::fs::read(directory.join(name)).expect("case");
        let result = extract_pdf_text(&bytes, &PdfLimits::default());
        let code = result.as_ref().err().map(|error| error.code());
        let acceptable = code == *expected
            || (expected.is_some() && code.is_some_and(|code| UNREADABLE.contains(&code)));
        assert!(
            acceptable,
            "{name} ({found}): expected {expected:?}, got {result:?}"
        );
        if let Ok(text) = result {
            parse_pdf_text(&text);
        }
    }
}
