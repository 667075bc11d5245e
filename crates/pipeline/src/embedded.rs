//! A hybrid PDF's embedded e-invoice, looked up in a limited child process.
//!
//! Finding the attachment means loading the PDF with `lopdf`, which inflates object streams and
//! cross-reference streams while it loads, with no bound: a small PDF whose object stream is a
//! flate bomb would take gigabytes of the worker's own memory. So the lookup runs where the
//! text parser runs, in a child (`<exe> find-embedded-xml`) under the same wall-clock, CPU and
//! address-space limits; the child answers with the XML attachments it found, and the parent
//! reads them (`roxmltree`, bounded by [`XmlLimits`]). PDFs whose bytes show no sign of an
//! attachment ([`might_have_attachments`]) never start a child.

use serde::{Deserialize, Serialize};
use stapel_einvoice::{
    find_embedded_xml, might_have_attachments, read_attachments, EInvoice, EInvoiceError,
    EmbeddedXml, HybridPdfLimits, XmlLimits,
};
use stapel_extract::{ChildMode, Children, IsolationLimits};
use std::io::{Read, Write};

/// The subcommand of the worker binary that runs [`child_main_find_embedded_xml`].
pub const FIND_EMBEDDED_XML_SUBCOMMAND: &str = "find-embedded-xml";

/// The child's answer on stdout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Envelope {
    /// The XML attachments, standard e-invoice names first.
    Ok(Vec<WireAttachment>),
    /// Why the PDF could not be walked.
    Error(String),
}

/// One attachment on the wire. E-invoice XML must be UTF-8 to be read at all, so the text
/// travels as a JSON string.
#[derive(Debug, Serialize, Deserialize)]
struct WireAttachment {
    name: String,
    /// The attachment's text; `None` when it is not UTF-8 (which no reader accepts either).
    text: Option<String>,
}

/// The child side of [`read_hybrid_pdf_isolated`]: a PDF on `stdin`, the envelope on `stdout`
/// (in [`ChildMode::Serve`], one per request).
///
/// Returns the process exit code: 0 whenever an envelope was written (`Serve`: when stdin
/// closed); 1 when stdin or stdout themselves fail.
pub fn child_main_find_embedded_xml(
    mode: ChildMode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
) -> i32 {
    let limits = HybridPdfLimits::default();
    let max_input = u64::try_from(limits.max_pdf_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    mode.answer(
        FIND_EMBEDDED_XML_SUBCOMMAND,
        max_input,
        stdin,
        stdout,
        |_, pdf| match find_embedded_xml(&pdf, &limits) {
            Ok(files) => Envelope::Ok(
                files
                    .into_iter()
                    .map(|file| WireAttachment {
                        name: file.name,
                        text: String::from_utf8(file.bytes).ok(),
                    })
                    .collect(),
            ),
            Err(error) => Envelope::Error(error.to_string()),
        },
    )
}

/// [`stapel_einvoice::read_hybrid_pdf`] with the PDF walk in a limited child process
/// (`program find-embedded-xml`). `Ok(None)` when the PDF has no XML attachment; `Err` when
/// it has some but none reads, or the walk failed (the child's error, or its death by a limit).
pub fn read_hybrid_pdf_isolated(
    children: &Children,
    pdf: &[u8],
    limits: &IsolationLimits,
    xml_limits: &XmlLimits,
) -> Result<Option<EInvoice>, EInvoiceError> {
    if !might_have_attachments(pdf) {
        return Ok(None);
    }
    let broken = |detail: String| EInvoiceError::PdfAttachment { detail };
    // The answer carries the attachments' text (JSON-escaped): room for the largest one twice.
    let limits = IsolationLimits {
        max_output_bytes: 2 * HybridPdfLimits::default().max_attachment_bytes + 1024 * 1024,
        ..limits.clone()
    };
    let output = children
        .run(FIND_EMBEDDED_XML_SUBCOMMAND, &[], pdf, &limits)
        .map_err(|error| broken(format!("the attachment lookup {error}")))?;
    let envelope: Envelope = serde_json::from_slice(&output).map_err(|error| {
        broken(format!(
            "the attachment lookup sent an unreadable reply: {error} (got {} bytes)",
            output.len()
        ))
    })?;
    let files = match envelope {
        Envelope::Ok(files) => files,
        Envelope::Error(detail) => return Err(broken(detail)),
    };
    let files = files
        .into_iter()
        .map(|file| EmbeddedXml {
            name: file.name,
            // Not UTF-8: bytes that are not UTF-8 either, so the reader refuses them with the
            // same error as the original.
            bytes: file
                .text
                .map_or_else(|| b"\xFF".to_vec(), String::into_bytes),
        })
        .collect();
    read_attachments(files, xml_limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pdfs_start_no_child() {
        // The program does not exist: reaching it would be a spawn error.
        let missing = &Children::fresh("/nonexistent/stapel");
        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF";
        let read = read_hybrid_pdf_isolated(
            missing,
            pdf,
            &IsolationLimits::default(),
            &XmlLimits::default(),
        );
        assert_eq!(read, Ok(None));
        let hybrid_looking = b"%PDF-1.7\n1 0 obj << /AF [] >> endobj\n%%EOF";
        let error = read_hybrid_pdf_isolated(
            missing,
            hybrid_looking,
            &IsolationLimits::default(),
            &XmlLimits::default(),
        )
        .unwrap_err();
        assert_eq!(error.code(), "einvoice.pdf_attachment");
    }

    #[test]
    fn the_child_answers_with_the_attachments_it_found() {
        let pdf = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../einvoice/tests/fixtures/facturx_hybrid.pdf"
        ))
        .unwrap();
        let mut stdout = Vec::new();
        assert_eq!(
            child_main_find_embedded_xml(ChildMode::Once, &mut pdf.as_slice(), &mut stdout),
            0
        );
        let Envelope::Ok(files) = serde_json::from_slice(&stdout).unwrap() else {
            panic!("{}", String::from_utf8_lossy(&stdout));
        };
        assert_eq!(files[0].name, "factur-x.xml");
        assert!(files[0]
            .text
            .as_deref()
            .unwrap()
            .contains("CrossIndustryInvoice"));

        let mut stdout = Vec::new();
        child_main_find_embedded_xml(
            ChildMode::Once,
            &mut &b"%PDF-1.4\n/AF junk"[..],
            &mut stdout,
        );
        let envelope: Envelope = serde_json::from_slice(&stdout).unwrap();
        assert!(matches!(envelope, Envelope::Error(_)), "{envelope:?}");
    }
}
