//! The e-invoice attachment lookup of hybrid PDFs (Factur-X, ZUGFeRD, XRechnung): `lopdf` in the
//! worker process itself, not in the isolated child, so a crash, a hang or a memory blow-up here
//! takes the worker down. `read_hybrid_pdf` catches panics, but libFuzzer's panic hook aborts
//! before unwinding, so a panic is reported as a crash here too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stapel_einvoice::{read_hybrid_pdf, HybridPdfLimits, XmlLimits};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(einvoice)) =
        read_hybrid_pdf(data, &HybridPdfLimits::default(), &XmlLimits::default())
    {
        stapel_fuzz::check_invoice(&einvoice.invoice);
    }
});
