//! Hostile inputs produce typed errors, never panics.

use stapel_extract::{extract_pdf_text, ExtractError, PdfLimits};
use std::path::Path;

fn extract_fixture(name: &str) -> Result<stapel_extract::PdfText, ExtractError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    extract_pdf_text(&bytes, &PdfLimits::default())
}

#[test]
fn empty_file_is_not_a_pdf() {
    let error = extract_fixture("empty.pdf").unwrap_err();
    assert!(matches!(error, ExtractError::NotAPdf), "{error:?}");
    assert_eq!(error.code(), "pdf.not_a_pdf");
}

#[test]
fn random_bytes_are_not_a_pdf() {
    let error = extract_fixture("random.pdf").unwrap_err();
    assert!(matches!(error, ExtractError::NotAPdf), "{error:?}");
}

#[test]
fn truncated_pdf_is_corrupt() {
    // The first half of samples/de_rechnung.pdf: header present, cross-reference table gone.
    let error = extract_fixture("truncated.pdf").unwrap_err();
    assert!(matches!(error, ExtractError::Corrupt { .. }), "{error:?}");
    assert_eq!(error.code(), "pdf.corrupt");
}

#[test]
fn a_pdf_without_text_has_no_text_layer() {
    // A valid one-page PDF whose only content is a filled rectangle, like a scan without OCR.
    let pdf = minimal_pdf("0 0 1 rg 10 10 100 100 re f");
    let error = extract_pdf_text(&pdf, &PdfLimits::default()).unwrap_err();
    assert!(
        matches!(error, ExtractError::NoTextLayer { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), "pdf.no_text_layer");
}

#[test]
fn every_prefix_of_a_sample_fails_cleanly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/nl_factuur.pdf");
    let bytes = std::fs::read(path).expect("sample");
    for length in (0..bytes.len()).step_by(97) {
        // Must return, not panic; which error depends on where the cut falls.
        let _ = extract_pdf_text(&bytes[..length], &PdfLimits::default());
    }
}

/// A minimal valid PDF with one page and the given content stream.
fn minimal_pdf(content: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
