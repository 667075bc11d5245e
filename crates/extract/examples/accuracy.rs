//! Field-extraction accuracy on hybrid PDFs (Factur-X / ZUGFeRD) whose ground truth is the CII
//! XML embedded in them.
//!
//! ```sh
//! cargo run -p stapel-extract --example accuracy -- ../shared/data/facturx
//! ```
//!
//! Every `*.pdf` under the given folders (recursively) is read through the text layer only
//! (`extract_pdf_text` + `parse_pdf_text`); the embedded XML is used as the answer key,
//! never as input. The ground truth is the CII XML beside the PDF when a sibling `CII/` folder
//! holds `<name>.cii.xml`, else the XML embedded in the PDF. PDFs without a CII invoice are
//! listed as skipped. Prints per-field exact-match accuracy and every miss (found vs expected).
//!
//! A folder that does not exist is reported and skipped, so the command (and the project) does
//! not depend on the shared data being present. Exit code 0 unless no folder could be read.

mod scoring;

use scoring::truth::ground_truth;
use scoring::{print_field_table, print_misses, score, FieldResult};
use stapel_domain::ExtractedInvoice;
use stapel_extract::{extract_pdf_text, parse_pdf_text, PdfLimits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn main() {
    let folders: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if folders.is_empty() {
        eprintln!("usage: accuracy <folder>...  (e.g. ../shared/data/facturx)");
        std::process::exit(1);
    }
    let mut pdfs = Vec::new();
    let mut readable_folders = 0;
    for folder in &folders {
        if !folder.is_dir() {
            println!(
                "skipped: {} is not a folder (absent here?)",
                folder.display()
            );
            continue;
        }
        readable_folders += 1;
        collect_pdfs(folder, &mut pdfs);
    }
    if readable_folders == 0 {
        println!("no corpus folder present; nothing measured");
        return;
    }
    pdfs.sort();
    pdfs.dedup();

    let mut results: Vec<(String, BTreeMap<&'static str, FieldResult>)> = Vec::new();
    for pdf in &pdfs {
        let name = pdf.display().to_string();
        let Some(truth) = ground_truth(pdf) else {
            println!("skipped: {name} (no CII invoice embedded or beside it)");
            continue;
        };
        let mut page_text = String::new();
        let invoice = match std::fs::read(pdf)
            .map_err(|error| error.to_string())
            .and_then(|bytes| {
                extract_pdf_text(&bytes, &PdfLimits::default()).map_err(|error| error.to_string())
            }) {
            Ok(text) => {
                page_text = format!("{}\n{}", text.full_text(), text.full_layout_text());
                parse_pdf_text(&text)
            }
            Err(error) => {
                println!("text layer unreadable: {name}: {error}");
                ExtractedInvoice::default()
            }
        };
        results.push((name, score(invoice, truth, &page_text)));
    }
    if results.is_empty() {
        println!("no PDF with ground truth found");
        return;
    }

    println!();
    println!("per-field exact-match accuracy on {} PDFs:", results.len());
    let fields: Vec<_> = results.iter().map(|(_, fields)| fields).collect();
    print_field_table(&fields);
    let from_terms = fields
        .iter()
        .filter(|fields| fields["due_date"].from_payment_terms)
        .count();
    println!(
        "  (due_date: {from_terms} counted right because the XML has no BT-9 but its payment-terms text BT-20 prints the found date)"
    );
    println!();
    print_misses(&results);
}

fn collect_pdfs(folder: &Path, pdfs: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_pdfs(&path, pdfs);
        } else if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("pdf"))
        {
            pdfs.push(path);
        }
    }
}
