//! The XML readers: format detection (UBL, CII, ZUGFeRD 1.0, FatturaPA) and parsing, from bytes,
//! as the worker calls them for an uploaded XML file. Run with `-dict=fuzz/dict/einvoice_xml.dict`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stapel_einvoice::{read_einvoice_xml, XmlLimits};

fuzz_target!(|data: &[u8]| {
    if let Ok(einvoice) = read_einvoice_xml(data, &XmlLimits::default()) {
        stapel_fuzz::check_invoice(&einvoice.invoice);
    }
});
