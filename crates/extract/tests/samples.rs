//! Every sample PDF the project ships, read end to end and compared with its ground truth.
//!
//! Generated samples (`samples/*.pdf`, see `samples/generate.py`) must match field by field.
//! Real ZUGFeRD PDFs (`samples/real/*.pdf`, ground truth read by hand from their CII XML) get a
//! per-field accuracy table; the fields listed in `REAL_FIELDS_EXPECTED_RIGHT` must be right.
//! A field absent from an `expected.json` (`lines` in the real samples) is not compared.

use rust_decimal::Decimal;
use serde_json::Value;
use stapel_domain::ExtractedInvoice;
use stapel_extract::{extract_pdf_text, parse_invoice_text, PdfLimits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const FIELDS: [&str; 15] = [
    "document_type",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "net_total",
    "vat_total",
    "gross_total",
    "amount_due",
    "supplier_name",
    "supplier_vat_id",
    "customer_name",
    "iban",
    "vat_breakdown",
    "lines",
];

/// Fields the parser gets right on every real sample today; a regression fails the test.
const REAL_FIELDS_EXPECTED_RIGHT: [&str; 15] = FIELDS;

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn pdfs_in(dir: &Path) -> Vec<PathBuf> {
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pdf"))
        .collect();
    pdfs.sort();
    pdfs
}

fn read_sample(pdf: &Path) -> (ExtractedInvoice, Value) {
    let bytes = std::fs::read(pdf).expect("read sample");
    let text = extract_pdf_text(&bytes, &PdfLimits::default())
        .unwrap_or_else(|error| panic!("{}: {error}", pdf.display()));
    assert!(text.is_plausible(), "{}", pdf.display());
    let invoice = parse_invoice_text(&text.full_text());
    let expected_path = pdf.with_extension("expected.json");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|error| panic!("{}: {error}", expected_path.display())),
    )
    .expect("expected.json is JSON");
    (invoice, expected)
}

fn decimal(value: &Value) -> Option<Decimal> {
    value.as_str().and_then(|text| Decimal::from_str(text).ok())
}

/// Compare one field; amounts compare as numbers (`7` equals `7.00`).
fn field_matches(field: &str, actual: &Value, expected: &Value) -> bool {
    match field {
        "net_total" | "vat_total" | "gross_total" | "amount_due" => {
            decimal(actual) == decimal(expected) && actual.is_null() == expected.is_null()
        }
        "vat_breakdown" => {
            let entries =
                |value: &Value| -> Vec<(Option<Decimal>, Option<Decimal>, Option<Decimal>)> {
                    let mut entries: Vec<_> = value
                        .as_array()
                        .map(|array| {
                            array
                                .iter()
                                .map(|entry| {
                                    (
                                        decimal(&entry["rate"]),
                                        decimal(&entry["base"]),
                                        decimal(&entry["amount"]),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    entries.sort();
                    entries
                };
            entries(actual) == entries(expected)
        }
        "lines" => {
            type Entry = (
                String,
                Option<Decimal>,
                Option<Decimal>,
                Option<Decimal>,
                Option<Decimal>,
            );
            let entries = |value: &Value| -> Vec<Entry> {
                value
                    .as_array()
                    .map(|array| {
                        array
                            .iter()
                            .map(|entry| {
                                (
                                    entry["description"].as_str().unwrap_or_default().to_owned(),
                                    decimal(&entry["quantity"]),
                                    decimal(&entry["unit_price"]),
                                    decimal(&entry["net_amount"]),
                                    decimal(&entry["vat_rate"]),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            entries(actual) == entries(expected)
        }
        _ => actual == expected,
    }
}

/// Per field: whether it matched, and what was expected and found.
type Comparison = BTreeMap<&'static str, (bool, String)>;

fn compare(pdf: &Path) -> Comparison {
    let (invoice, expected) = read_sample(pdf);
    let actual = serde_json::to_value(&invoice).expect("serialize");
    FIELDS
        .iter()
        // Ground truth written before line items were read has no "lines"; it is not compared.
        .filter(|field| expected.get(*field).is_some() || **field != "lines")
        .map(|field| {
            let matches = field_matches(field, &actual[field], &expected[field]);
            let detail = format!("expected {} got {}", expected[field], actual[field]);
            (*field, (matches, detail))
        })
        .collect()
}

#[test]
fn generated_samples_match_their_ground_truth() {
    let pdfs = pdfs_in(&samples_dir());
    assert!(
        pdfs.len() >= 8,
        "expected the 8 generated samples, found {}",
        pdfs.len()
    );
    let mut failures = Vec::new();
    for pdf in &pdfs {
        for (field, (matches, detail)) in compare(pdf) {
            if !matches {
                failures.push(format!("{} {field}: {detail}", pdf.display()));
            }
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

#[test]
fn generated_samples_have_confidence_for_every_filled_field() {
    for pdf in pdfs_in(&samples_dir()) {
        let (invoice, _) = read_sample(&pdf);
        let json = serde_json::to_value(&invoice).expect("serialize");
        for field in FIELDS
            .iter()
            .filter(|field| !matches!(**field, "document_type" | "vat_breakdown" | "lines"))
        {
            if !json[field].is_null() {
                let confidence = invoice.confidence.get(*field).copied();
                assert!(
                    confidence.is_some_and(|value| (0.0..=1.0).contains(&value)),
                    "{} {field}: {confidence:?}",
                    pdf.display()
                );
            }
        }
    }
}

#[test]
fn real_zugferd_pdfs_accuracy() {
    let pdfs = pdfs_in(&samples_dir().join("real"));
    assert!(!pdfs.is_empty());
    let results: Vec<(PathBuf, Comparison)> =
        pdfs.iter().map(|pdf| (pdf.clone(), compare(pdf))).collect();
    println!("per-field accuracy on {} real ZUGFeRD PDFs:", results.len());
    let mut regressions = Vec::new();
    for field in FIELDS {
        let compared: Vec<(&PathBuf, &(bool, String))> = results
            .iter()
            .filter_map(|(pdf, fields)| Some((pdf, fields.get(field)?)))
            .collect();
        if compared.is_empty() {
            println!("  {field:<16} (no ground truth)");
            continue;
        }
        let right = compared.iter().filter(|(_, (matches, _))| *matches).count();
        println!("  {field:<16} {right}/{}", compared.len());
        for (pdf, (matches, detail)) in compared {
            if !matches {
                let name = pdf.file_name().unwrap_or_default().to_string_lossy();
                println!("    miss {name}: {detail}");
                if REAL_FIELDS_EXPECTED_RIGHT.contains(&field) {
                    regressions.push(format!("{name} {field}: {detail}"));
                }
            }
        }
    }
    assert!(
        regressions.is_empty(),
        "regressions:\n{}",
        regressions.join("\n")
    );
}
