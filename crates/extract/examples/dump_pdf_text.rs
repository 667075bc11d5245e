//! Print the text layer of PDFs as `pdf-extract` sees it, and the fields parsed from it.
//!
//! `cargo run -p stapel-extract --example dump_pdf_text -- samples/*.pdf`

fn main() {
    for path in std::env::args().skip(1) {
        println!("===== {path}");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                println!("cannot read: {error}");
                continue;
            }
        };
        match stapel_extract::extract_pdf_text(&bytes, &stapel_extract::PdfLimits::default()) {
            Ok(text) => {
                let full_text = text.full_text();
                println!("{full_text}");
                println!("----- fields");
                let invoice = stapel_extract::parse_invoice_text(&full_text);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&invoice).unwrap_or_default()
                );
            }
            Err(error) => println!("error {}: {error}", error.code()),
        }
    }
}
