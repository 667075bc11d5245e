//! The text field extractor on arbitrary text: both readings of a text layer into an invoice.
//!
//! The input is read as UTF-8 (invalid bytes become U+FFFD). Up to the first NUL byte it is the
//! content-stream reading, after it the layout reading; without a NUL there is no layout
//! reading, as for a PDF whose layout pass found nothing. Run with `-dict=fuzz/dict/invoice_text.dict`
//! so labels, amounts and dates in six languages are spliced in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stapel_extract::{parse_pdf_text, PdfText};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (stream, layout) = match text.split_once('\0') {
        Some((stream, layout)) => (stream, layout),
        None => (text.as_ref(), ""),
    };
    let pages = |reading: &str| reading.split('\u{c}').map(str::to_owned).collect();
    let pdf_text = PdfText {
        pages: pages(stream),
        layout_pages: if layout.is_empty() {
            Vec::new()
        } else {
            pages(layout)
        },
    };
    let invoice = parse_pdf_text(&pdf_text);
    stapel_fuzz::check_invoice(&invoice);
});
