//! One document's bytes in, an extracted invoice and a booking proposal out.
//!
//! The format is decided from the content, never from the file name. PDF text extraction runs in
//! a limited child process (see `stapel_extract::isolation`), so a parser panic, endless loop or
//! memory blow-up on a hostile file fails that document, not the worker.

use serde::{Deserialize, Serialize};
use stapel_booking::{propose_booking, ChartOfAccounts};
use stapel_domain::{BookingProposal, ErrorInfo, ExtractedInvoice};
use stapel_extract::{
    extract_pdf_text, extract_pdf_text_isolated, parse_invoice_text, ExtractError, IsolationError,
    IsolationLimits, PdfLimits,
};
use std::path::PathBuf;

/// What a finished document stores next to its original (`documents/{id}/result.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentResult {
    /// The fields read from the document.
    pub invoice: ExtractedInvoice,
    /// The journal entry proposed from them.
    pub proposal: BookingProposal,
}

/// How to run the PDF text parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfTextRunner {
    /// In a child process: `program extract-pdf-text`, under limits. The production setting.
    Isolated {
        /// The executable offering the `extract-pdf-text` subcommand (the worker binary).
        program: PathBuf,
        /// Time and memory limits of the child.
        limits: IsolationLimits,
    },
    /// In this process behind a panic guard only; for tests and tools, not for hostile input.
    InProcess,
}

/// A failed attempt: what to tell the user, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// Code and message for the document's `error`.
    pub error: ErrorInfo,
    /// True for infrastructure trouble (a store or database hiccup), false for a bad document:
    /// the same bytes will fail the same way.
    pub retryable: bool,
}

impl JobFailure {
    /// A failure that retrying cannot fix.
    pub fn permanent(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorInfo::new(code, message),
            retryable: false,
        }
    }

    /// A failure worth another attempt.
    pub fn transient(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorInfo::new(code, message),
            retryable: true,
        }
    }
}

/// The formats stapel recognises by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// A PDF (`%PDF-` header).
    Pdf,
    /// Anything else.
    Unsupported,
}

/// Sniff the format from the first bytes. PDF readers accept the header anywhere in the first
/// kilobyte, so we do too.
pub fn detect_format(bytes: &[u8]) -> DocumentFormat {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|window| window == b"%PDF-") {
        DocumentFormat::Pdf
    } else {
        DocumentFormat::Unsupported
    }
}

fn extract_failure(error: ExtractError) -> JobFailure {
    let retryable = matches!(error, ExtractError::Isolation(IsolationError::Spawn { .. }));
    let mut info = error.to_error_info();
    if let ExtractError::NoTextLayer { .. } = error {
        info.message
            .push_str("; scanned documents need OCR, which this version does not do yet");
    }
    JobFailure {
        error: info,
        retryable,
    }
}

/// Read one document and propose its booking. Blocking: call it from `spawn_blocking`.
pub fn process_document(
    bytes: &[u8],
    runner: &PdfTextRunner,
    chart: &ChartOfAccounts,
) -> Result<DocumentResult, JobFailure> {
    if bytes.is_empty() {
        return Err(JobFailure::permanent(
            "document.empty",
            "the uploaded file is empty (0 bytes)",
        ));
    }
    match detect_format(bytes) {
        DocumentFormat::Pdf => {}
        DocumentFormat::Unsupported => {
            return Err(JobFailure::permanent(
                "document.unsupported_format",
                "the file is not a PDF; this version reads text-layer PDFs only \
                 (e-invoice XML and images come in later versions)",
            ))
        }
    }
    let text = match runner {
        PdfTextRunner::Isolated { program, limits } => {
            extract_pdf_text_isolated(program, bytes, limits)
        }
        PdfTextRunner::InProcess => extract_pdf_text(bytes, &PdfLimits::default()),
    }
    .map_err(extract_failure)?;
    let invoice = parse_invoice_text(&text.full_text());
    let proposal = propose_booking(&invoice, chart);
    debug_assert!(proposal.is_balanced());
    Ok(DocumentResult { invoice, proposal })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_content_not_name() {
        assert_eq!(detect_format(b"%PDF-1.7\n..."), DocumentFormat::Pdf);
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF  %PDF-1.4"),
            DocumentFormat::Pdf
        );
        assert_eq!(
            detect_format(b"<?xml version='1.0'?>"),
            DocumentFormat::Unsupported
        );
        assert_eq!(detect_format(b""), DocumentFormat::Unsupported);
    }

    #[test]
    fn bad_inputs_fail_permanently_with_specific_codes() {
        let chart = ChartOfAccounts::generic();
        let runner = PdfTextRunner::InProcess;
        let empty = process_document(b"", &runner, &chart).unwrap_err();
        assert_eq!(
            (empty.error.code.as_str(), empty.retryable),
            ("document.empty", false)
        );
        let xml = process_document(b"<Invoice/>", &runner, &chart).unwrap_err();
        assert_eq!(xml.error.code, "document.unsupported_format");
        let truncated = process_document(b"%PDF-1.4\n1 0 obj <<", &runner, &chart).unwrap_err();
        assert!(truncated.error.code.starts_with("pdf."), "{truncated:?}");
        assert!(!truncated.retryable);
    }

    #[test]
    fn a_shipped_sample_becomes_a_balanced_proposal() {
        let pdf = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../samples/en_invoice.pdf"
        ))
        .unwrap();
        let result =
            process_document(&pdf, &PdfTextRunner::InProcess, &ChartOfAccounts::generic()).unwrap();
        assert!(result.invoice.gross_total.is_some());
        assert!(result.proposal.is_balanced());
        assert!(!result.proposal.lines.is_empty());
    }
}
