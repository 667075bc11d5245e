//! Hybrid PDFs: find the e-invoice XML a PDF/A-3 carries as an attachment.
//!
//! Factur-X and ZUGFeRD attach `factur-x.xml` / `zugferd-invoice.xml`, XRechnung hybrids
//! `xrechnung.xml`, listed in the catalog's `/Names /EmbeddedFiles` name tree and its associated
//! files array `/AF`. The attachment is the invoice; the visible pages are only its rendering.
//!
//! This runs in the caller's process (unlike text extraction, which the pipeline isolates in a
//! child), so it is guarded: a byte scan first, so PDFs that cannot hold an attachment never
//! reach the parser; a size bound before parsing; `catch_unwind` around `lopdf`, a bound
//! on the name-tree walk, and our own size-bounded inflate instead of `lopdf`'s unbounded one.
//! What it cannot bound is `lopdf`'s own time and memory while loading a hostile file; the size
//! bound keeps that proportional to the input.

use crate::{read_einvoice_xml, EInvoice, EInvoiceError, XmlLimits};
use lopdf::{Dictionary, Document, Object};
use std::collections::HashSet;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Bounds on the PDF walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HybridPdfLimits {
    /// Largest PDF we open in-process to look for attachments.
    pub max_pdf_bytes: usize,
    /// Largest attachment we inflate; an e-invoice XML is kilobytes, rarely megabytes.
    pub max_attachment_bytes: usize,
    /// Most name-tree nodes and file specifications visited, so a cyclic or huge tree ends.
    pub max_visited: usize,
}

impl Default for HybridPdfLimits {
    fn default() -> Self {
        Self {
            max_pdf_bytes: 50 * 1024 * 1024,
            max_attachment_bytes: 20 * 1024 * 1024,
            max_visited: 10_000,
        }
    }
}

/// One XML file embedded in a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedXml {
    /// The attachment's file name as the PDF states it.
    pub name: String,
    /// Its content, inflated.
    pub bytes: Vec<u8>,
}

/// File names the e-invoice standards prescribe, most specific first; compared ignoring case.
const EINVOICE_NAMES: &[&str] = &[
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
];

/// The XML attachments of a PDF, the standard e-invoice names first, then any other `.xml`.
///
/// `Ok(vec![])` when the PDF has none. `Err` when the PDF is too large or cannot be walked
/// (including a panic inside the PDF parser), so the caller can log why and fall back.
pub fn find_embedded_xml(
    pdf: &[u8],
    limits: &HybridPdfLimits,
) -> Result<Vec<EmbeddedXml>, EInvoiceError> {
    if pdf.len() > limits.max_pdf_bytes {
        return Err(EInvoiceError::PdfAttachment {
            detail: format!(
                "the PDF is {} bytes, more than the {} bytes we open in-process",
                pdf.len(),
                limits.max_pdf_bytes
            ),
        });
    }
    if !might_have_attachments(pdf) {
        return Ok(Vec::new());
    }
    let walked = catch_unwind(AssertUnwindSafe(|| walk(pdf, limits)));
    let mut files = match walked {
        Ok(result) => result?,
        Err(_) => {
            return Err(EInvoiceError::PdfAttachment {
                detail: "the PDF parser panicked".into(),
            })
        }
    };
    let rank = |name: &str| {
        let lower = name.to_ascii_lowercase();
        EINVOICE_NAMES
            .iter()
            .position(|known| *known == lower)
            .unwrap_or(EINVOICE_NAMES.len())
    };
    files.sort_by_key(|file| rank(&file.name));
    Ok(files)
}

/// Read the e-invoice embedded in a hybrid PDF, preferring the standard attachment names.
///
/// `Ok(None)` when the PDF has no XML attachment; `Err` when it has one or more but none is a
/// readable e-invoice (the error of the most preferred one), or the PDF cannot be walked.
pub fn read_hybrid_pdf(
    pdf: &[u8],
    pdf_limits: &HybridPdfLimits,
    xml_limits: &XmlLimits,
) -> Result<Option<EInvoice>, EInvoiceError> {
    read_attachments(find_embedded_xml(pdf, pdf_limits)?, xml_limits)
}

/// The e-invoice among attachments found by [`find_embedded_xml`] (in its order): the first
/// that reads. `Ok(None)` for none; `Err` with the first one's error when none reads.
///
/// This is the half of [`read_hybrid_pdf`] that needs no PDF parser, so a caller can find the
/// attachments in an isolated process and read them here.
pub fn read_attachments(
    files: Vec<EmbeddedXml>,
    xml_limits: &XmlLimits,
) -> Result<Option<EInvoice>, EInvoiceError> {
    let mut first_error = None;
    for file in files {
        match read_einvoice_xml(&file.bytes, xml_limits) {
            Ok(mut einvoice) => {
                einvoice.attachment = Some(file.name);
                return Ok(Some(einvoice));
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(None),
    }
}

/// A byte scan that lets ordinary PDFs skip the in-process parser altogether: an attachment
/// needs an `/EmbeddedFiles` name tree or an `/AF` array, written either in plain sight or inside
/// a compressed object stream (`/ObjStm`), where no byte scan can see it.
pub fn might_have_attachments(pdf: &[u8]) -> bool {
    let contains = |needle: &[u8]| pdf.windows(needle.len()).any(|window| window == needle);
    contains(b"/EmbeddedFiles") || contains(b"/AF") || contains(b"/ObjStm")
}

fn broken(detail: impl Into<String>) -> EInvoiceError {
    EInvoiceError::PdfAttachment {
        detail: detail.into(),
    }
}

fn walk(pdf: &[u8], limits: &HybridPdfLimits) -> Result<Vec<EmbeddedXml>, EInvoiceError> {
    let document = Document::load_mem(pdf).map_err(|error| broken(error.to_string()))?;
    let catalog = document
        .catalog()
        .map_err(|error| broken(format!("no catalog: {error}")))?;

    let mut file_specs: Vec<&Dictionary> = Vec::new();
    let mut budget = limits.max_visited;
    let mut seen = HashSet::new();

    // PDF/A-3 associated files: an array of file specifications on the catalog.
    if let Ok(associated) = catalog
        .get_deref(b"AF", &document)
        .and_then(Object::as_array)
    {
        for spec in associated {
            if budget == 0 {
                break;
            }
            budget -= 1;
            if let Ok(dict) = deref(&document, spec).as_dict() {
                file_specs.push(dict);
            }
        }
    }

    // The /EmbeddedFiles name tree: /Names arrays of (name, filespec) pairs, under /Kids.
    let root = catalog
        .get_deref(b"Names", &document)
        .and_then(Object::as_dict)
        .and_then(|names| names.get_deref(b"EmbeddedFiles", &document))
        .and_then(Object::as_dict);
    let mut pending: Vec<&Dictionary> = root.into_iter().collect();
    while let Some(node) = pending.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        if let Ok(pairs) = node
            .get_deref(b"Names", &document)
            .and_then(Object::as_array)
        {
            for spec in pairs.iter().skip(1).step_by(2) {
                if let Ok(dict) = deref(&document, spec).as_dict() {
                    file_specs.push(dict);
                }
            }
        }
        if let Ok(kids) = node
            .get_deref(b"Kids", &document)
            .and_then(Object::as_array)
        {
            for kid in kids {
                // A kid seen before means a cycle; skip it.
                if let Ok(id) = kid.as_reference() {
                    if !seen.insert(id) {
                        continue;
                    }
                }
                if let Ok(dict) = deref(&document, kid).as_dict() {
                    pending.push(dict);
                }
            }
        }
    }

    let mut files = Vec::new();
    let mut seen_streams = HashSet::new();
    for spec in file_specs {
        let Some(name) = file_name(spec) else {
            continue;
        };
        if !name.to_ascii_lowercase().ends_with(".xml") {
            continue;
        }
        let Ok(embedded) = spec.get_deref(b"EF", &document).and_then(Object::as_dict) else {
            continue;
        };
        let Ok(stream_ref) = embedded.get(b"F").or_else(|_| embedded.get(b"UF")) else {
            continue;
        };
        // /AF and the name tree usually list the same file; read it once.
        if let Ok(id) = stream_ref.as_reference() {
            if !seen_streams.insert(id) {
                continue;
            }
        }
        let Ok(stream) = deref(&document, stream_ref).as_stream() else {
            continue;
        };
        let bytes = bounded_content(stream, limits.max_attachment_bytes)?;
        files.push(EmbeddedXml { name, bytes });
    }
    Ok(files)
}

/// Follow a reference (chains included, as `lopdf` does); a dangling one becomes `Null`.
fn deref<'a>(document: &'a Document, object: &'a Object) -> &'a Object {
    match document.dereference(object) {
        Ok((_, target)) => target,
        Err(_) => &Object::Null,
    }
}

/// The file specification's name: `/UF` (Unicode) if present, else `/F`.
fn file_name(spec: &Dictionary) -> Option<String> {
    let raw = spec
        .get(b"UF")
        .and_then(Object::as_str)
        .or_else(|_| spec.get(b"F").and_then(Object::as_str))
        .ok()?;
    Some(decode_pdf_string(raw))
}

/// PDF text strings are UTF-16BE with a byte order mark, or PDFDocEncoding, which matches
/// Latin-1 for the ASCII file names we look for.
fn decode_pdf_string(raw: &[u8]) -> String {
    if let Some(utf16) = raw.strip_prefix(b"\xFE\xFF") {
        let units: Vec<u16> = utf16
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        raw.iter().map(|&byte| char::from(byte)).collect()
    }
}

/// The stream's content, inflated with a hard output bound (a small deflate stream can expand
/// a thousandfold). Only `FlateDecode` or no filter are accepted; attachments use nothing else.
fn bounded_content(stream: &lopdf::Stream, limit: usize) -> Result<Vec<u8>, EInvoiceError> {
    let filters: Vec<Vec<u8>> = match stream.dict.get(b"Filter") {
        Err(_) => Vec::new(),
        Ok(Object::Name(name)) => vec![name.clone()],
        Ok(Object::Array(names)) => names
            .iter()
            .filter_map(|name| name.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        Ok(_) => return Err(broken("an attachment has an unreadable /Filter")),
    };
    match filters.as_slice() {
        [] => {
            if stream.content.len() > limit {
                return Err(broken("the attachment is larger than the limit"));
            }
            Ok(stream.content.clone())
        }
        [flate] if flate.as_slice() == b"FlateDecode" => {
            let mut output = Vec::new();
            let limit_plus_one = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
            flate2::read::ZlibDecoder::new(stream.content.as_slice())
                .take(limit_plus_one)
                .read_to_end(&mut output)
                .map_err(|error| broken(format!("the attachment does not inflate: {error}")))?;
            if output.len() > limit {
                return Err(broken("the attachment inflates beyond the limit"));
            }
            Ok(output)
        }
        _ => Err(broken(
            "the attachment uses a filter other than FlateDecode",
        )),
    }
}
