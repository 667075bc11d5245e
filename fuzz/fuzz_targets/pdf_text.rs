//! The PDF text entry point the isolated child runs (`extract_pdf_text`, `pdf-extract` over
//! `lopdf`), then the field parser on its two readings, as the parent does with the child's
//! answer.
//!
//! `extract_pdf_text` catches panics, but libFuzzer's panic hook aborts before unwinding, so a
//! panic anywhere in the parser is reported as a crash here. In production the child turns it
//! into `pdf.parser_panic`; run this target with `-rss_limit_mb=2048 -timeout=10` so memory and
//! time blow-ups (which only the child's limits stop) are reported too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stapel_extract::{extract_pdf_text, parse_pdf_text, PdfLimits};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = extract_pdf_text(data, &PdfLimits::default()) {
        let invoice = parse_pdf_text(&text);
        stapel_fuzz::check_invoice(&invoice);
    }
});
