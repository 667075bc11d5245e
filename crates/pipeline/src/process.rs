//! One document's bytes in, an extracted invoice and a booking proposal out.
//!
//! The format is decided from the content, never from the file name. PDF text extraction runs in
//! a limited child process (see `stapel_extract::isolation`), so a parser panic, endless loop or
//! memory blow-up on a hostile file fails that document, not the worker.
//!
//! Structured e-invoices are read exactly, never through the text layer: XML (UBL, CII,
//! ZUGFeRD 1.0) goes straight to `stapel_einvoice`, and a PDF is first searched for an embedded
//! e-invoice (Factur-X, ZUGFeRD, XRechnung hybrids). That attachment lookup runs in this process,
//! because it only walks the catalog and inflates bounded streams; it is guarded by a byte scan
//! (PDFs without attachment markers or object streams never reach the parser), a size bound and
//! `catch_unwind`, and any trouble there falls back to the isolated text path.

use crate::ocr::{self, OcrReading, PageSelection};
use serde::{Deserialize, Serialize};
use stapel_booking::{propose_booking, propose_booking_with_text, ChartOfAccounts};
use stapel_domain::{BookingProposal, ErrorInfo, ExtractedInvoice};
use stapel_einvoice::{read_einvoice_xml, read_hybrid_pdf, EInvoice, HybridPdfLimits, XmlLimits};
use stapel_extract::{
    extract_pdf_text, extract_pdf_text_isolated, parse_pdf_text, Children, ExtractError,
    IsolationError, IsolationLimits, PdfLimits, PdfText,
};

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
    /// In a child process: `extract-pdf-text` (and `find-embedded-xml` for a PDF that may
    /// carry an e-invoice, `ocr-document` for a scan), under limits. The production setting.
    Isolated {
        /// The executable offering those subcommands (the worker binary), started per document
        /// or kept warm across documents.
        children: Children,
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
    /// With [`crate::lanes::NEEDS_SPLIT`]: the scan's page count.
    pub scan_pages: Option<u32>,
}

impl JobFailure {
    /// A failure that retrying cannot fix.
    pub fn permanent(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorInfo::new(code, message),
            retryable: false,
            scan_pages: None,
        }
    }

    /// A failure worth another attempt.
    pub fn transient(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorInfo::new(code, message),
            retryable: true,
            scan_pages: None,
        }
    }
}

/// The formats stapel recognises by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// A PDF (`%PDF-` header).
    Pdf,
    /// XML (after an optional byte order mark and white space, a `<`); e-invoices.
    Xml,
    /// A scan or photo: PNG, JPEG, TIFF or WebP, read by OCR.
    Image,
    /// Anything else.
    Unsupported,
}

/// Sniff the format from the first bytes. PDF readers accept the header anywhere in the first
/// kilobyte, so we do too; that check comes first, so a PDF is never taken for XML.
pub fn detect_format(bytes: &[u8]) -> DocumentFormat {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|window| window == b"%PDF-") {
        DocumentFormat::Pdf
    } else if stapel_einvoice::looks_like_xml(bytes) {
        DocumentFormat::Xml
    } else if stapel_ocr::detect_format(bytes).is_ok() {
        DocumentFormat::Image
    } else {
        DocumentFormat::Unsupported
    }
}

/// What a file of no supported format looks like, for the message that refuses it: a few
/// common kinds by their magic bytes, the image formats OCR names, else plain text or unknown.
pub fn describe_unsupported(bytes: &[u8]) -> String {
    const KINDS: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a ZIP archive (or an Office document: DOCX, XLSX, ODT)",
        ),
        (b"PK\x05\x06", "an empty ZIP archive"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"Rar!\x1a\x07", "a RAR archive"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an old Office document (DOC, XLS)",
        ),
        (b"{\\rtf", "an RTF document"),
        (b"%!PS", "a PostScript file"),
        (b"\x7fELF", "an ELF executable"),
        (b"MZ", "a Windows executable"),
    ];
    if let Some((_, kind)) = KINDS.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return (*kind).to_owned();
    }
    match stapel_ocr::detect_format(bytes) {
        Err(stapel_ocr::OcrError::UnsupportedFormat { format })
            if !format.starts_with("unknown") && !format.starts_with("empty") =>
        {
            format
        }
        _ if bytes.is_empty() => "an empty file".to_owned(),
        _ => {
            // Judge text by a prefix that may cut a UTF-8 character in two at its end.
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(error) if error.error_len().is_none() => {
                    std::str::from_utf8(&bytes[..error.valid_up_to()]).ok()
                }
                Err(_) => None,
            };
            let plain = text.is_some_and(|text| {
                text.chars()
                    .all(|c| !c.is_control() || c.is_ascii_whitespace())
            });
            if plain {
                "plain text".to_owned()
            } else {
                "unknown binary data (no known magic bytes)".to_owned()
            }
        }
    }
}

/// Log the calculation rules an e-invoice breaks. The invoice itself carries them only as lowered
/// confidence on the totals, which makes the booking ask for review.
fn log_einvoice(einvoice: &EInvoice) {
    tracing::info!(
        format = ?einvoice.format,
        attachment = einvoice.attachment.as_deref(),
        violations = einvoice.violations.len(),
        "read a structured e-invoice"
    );
    for violation in &einvoice.violations {
        tracing::warn!(rule = violation.rule, "{}", violation.message);
    }
}

fn propose(invoice: ExtractedInvoice, chart: &ChartOfAccounts) -> DocumentResult {
    let proposal = propose_booking(&invoice, chart);
    debug_assert!(proposal.is_balanced());
    DocumentResult { invoice, proposal }
}

/// Propose with the document's text at hand, so reverse-charge notices printed anywhere on the
/// page ("BTW verlegd", "Steuerschuldnerschaft des Leistungsempfängers") are found.
fn propose_with_text(
    invoice: ExtractedInvoice,
    chart: &ChartOfAccounts,
    text: &PdfText,
) -> DocumentResult {
    let proposal = propose_booking_with_text(&invoice, chart, &text.full_text());
    debug_assert!(proposal.is_balanced());
    DocumentResult { invoice, proposal }
}

fn extract_failure(error: ExtractError) -> JobFailure {
    let retryable = matches!(error, ExtractError::Isolation(IsolationError::Spawn { .. }));
    let info = error.to_error_info();
    JobFailure {
        error: info,
        retryable,
        scan_pages: None,
    }
}

/// Choices about how a document is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessOptions {
    /// Read a PDF's embedded e-invoice when it has one (the default). Off, the PDF is read from
    /// its text layer like any other, which is how text extraction is measured against the
    /// embedded ground truth (`dispatcher process --ignore-embedded-xml`).
    pub read_embedded_einvoice: bool,
    /// When a text layer's totals do not reconcile, read the rendered pages by OCR as a second
    /// opinion (the default). Costs about a second per page, only for such documents.
    pub ocr_cross_check: bool,
    /// Scans with more pages than this are not read in one go; [`ProcessOptions::long_scans`]
    /// says what happens instead.
    pub max_scan_pages: u32,
    /// What a scan longer than `max_scan_pages` becomes.
    pub long_scans: LongScans,
}

/// What to do with a scan too long to read in one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongScans {
    /// Fail it with `ocr.too_many_pages` (tools that read one document in-process).
    Refuse,
    /// Answer [`crate::lanes::NEEDS_BULK_LANE`]: the fast lane hands it on.
    MoveToBulkLane,
    /// Answer [`crate::lanes::NEEDS_SPLIT`] with the page count: the bulk lane splits it into
    /// page-range jobs.
    Split,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            read_embedded_einvoice: true,
            ocr_cross_check: true,
            max_scan_pages: ocr::MAX_OCR_PAGES,
            long_scans: LongScans::Refuse,
        }
    }
}

/// Read one document and propose its booking, with the default options. Blocking: call it
/// from `spawn_blocking`.
pub fn process_document(
    bytes: &[u8],
    runner: &PdfTextRunner,
    chart: &ChartOfAccounts,
) -> Result<DocumentResult, JobFailure> {
    process_document_with(bytes, runner, chart, &ProcessOptions::default())
}

/// Read one document and propose its booking. Blocking: call it from `spawn_blocking`.
pub fn process_document_with(
    bytes: &[u8],
    runner: &PdfTextRunner,
    chart: &ChartOfAccounts,
    options: &ProcessOptions,
) -> Result<DocumentResult, JobFailure> {
    if bytes.is_empty() {
        return Err(JobFailure::permanent(
            "document.empty",
            "the uploaded file is empty (0 bytes)",
        ));
    }
    match detect_format(bytes) {
        DocumentFormat::Pdf => {}
        DocumentFormat::Xml => {
            let einvoice = read_einvoice_xml(bytes, &XmlLimits::default())
                .map_err(|error| JobFailure::permanent(error.code(), error.to_string()))?;
            log_einvoice(&einvoice);
            return Ok(propose(einvoice.invoice, chart));
        }
        DocumentFormat::Image => {
            let reading = read_by_ocr(bytes, runner, options)?;
            return Ok(propose_with_text(
                invoice_from_ocr(&reading),
                chart,
                &reading.text,
            ));
        }
        DocumentFormat::Unsupported => {
            return Err(JobFailure::permanent(
                "document.unsupported_format",
                format!(
                    "the file is not a PDF, an e-invoice XML or a PNG, JPEG, TIFF or WebP \
                     image ({})",
                    describe_unsupported(bytes)
                ),
            ));
        }
    }
    // A hybrid PDF's attachment is the invoice; its pages are only a rendering of it.
    let embedded = if options.read_embedded_einvoice {
        match runner {
            // lopdf inflates while it loads; only a child's limits bound that.
            PdfTextRunner::Isolated { children, limits } => {
                crate::embedded::read_hybrid_pdf_isolated(
                    children,
                    bytes,
                    limits,
                    &XmlLimits::default(),
                )
            }
            PdfTextRunner::InProcess => {
                read_hybrid_pdf(bytes, &HybridPdfLimits::default(), &XmlLimits::default())
            }
        }
    } else {
        Ok(None)
    };
    match embedded {
        Ok(Some(einvoice)) => {
            log_einvoice(&einvoice);
            return Ok(propose(einvoice.invoice, chart));
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(
            code = error.code(),
            "ignoring the PDF's embedded e-invoice, reading its text instead: {error}"
        ),
    }
    let text = match runner {
        PdfTextRunner::Isolated { children, limits } => {
            extract_pdf_text_isolated(children, bytes, limits)
        }
        PdfTextRunner::InProcess => extract_pdf_text(bytes, &PdfLimits::default()),
    };
    let text = match text {
        Ok(text) => text,
        // A scan, or text drawn without a usable encoding: read the rendered pages instead.
        Err(ExtractError::NoTextLayer { reason }) => {
            tracing::info!(%reason, "no usable text layer; reading the pages by OCR");
            let reading = read_by_ocr(bytes, runner, options)?;
            return Ok(propose_with_text(
                invoice_from_ocr(&reading),
                chart,
                &reading.text,
            ));
        }
        Err(error) => return Err(extract_failure(error)),
    };
    let invoice = parse_pdf_text(&text);
    if options.ocr_cross_check && !totals_reconcile(&invoice) {
        // pdf-extract can drop or garble text it cannot decode; the rendered page is a second,
        // independent reading. Both are kept where they agree, and the reading whose totals
        // reconcile supplies the totals.
        match read_by_ocr(bytes, runner, options) {
            Ok(reading) => {
                let second = invoice_from_ocr(&reading);
                let merged = stapel_extract::fields::merge_readings(invoice, second);
                tracing::info!(
                    reconciled = totals_reconcile(&merged),
                    "cross-checked the text layer against OCR of the rendered pages"
                );
                return Ok(propose_with_text(merged, chart, &text));
            }
            Err(failure) => tracing::warn!(
                code = %failure.error.code,
                "OCR cross-check failed; keeping the text-layer reading: {}",
                failure.error.message
            ),
        }
    }
    Ok(propose_with_text(invoice, chart, &text))
}

/// Confidence at or above which totals count as reconciled (net + VAT = gross was checked).
const RECONCILED_TOTALS: f32 = 0.9;

/// Whether net, VAT and gross were read and agree.
fn totals_reconcile(invoice: &ExtractedInvoice) -> bool {
    invoice.net_total.is_some()
        && invoice.vat_total.is_some()
        && invoice
            .confidence
            .get("gross_total")
            .is_some_and(|confidence| *confidence >= RECONCILED_TOTALS)
}

/// OCR a scan or image with the runner's isolation.
fn read_by_ocr(
    bytes: &[u8],
    runner: &PdfTextRunner,
    options: &ProcessOptions,
) -> Result<OcrReading, JobFailure> {
    let selection = PageSelection::AllUpTo(options.max_scan_pages.min(ocr::MAX_OCR_PAGES));
    ocr_with_runner(bytes, runner, selection).map_err(|failure| {
        let long_scan = failure.error.code == ocr::TOO_MANY_PAGES;
        let splittable = failure
            .scan_pages
            .is_some_and(|pages| pages <= crate::lanes::MAX_SPLIT_SCAN_PAGES);
        // Too long for this job, but not for the system: not a failure, a hand-over.
        let code = match options.long_scans {
            LongScans::MoveToBulkLane if long_scan => crate::lanes::NEEDS_BULK_LANE,
            LongScans::Split if long_scan && splittable => crate::lanes::NEEDS_SPLIT,
            _ => return failure,
        };
        JobFailure {
            error: ErrorInfo::new(code, failure.error.message),
            ..failure
        }
    })
}

/// Run the OCR reader the way `runner` runs the text parser: isolated or in-process.
pub fn ocr_with_runner(
    bytes: &[u8],
    runner: &PdfTextRunner,
    selection: PageSelection,
) -> Result<OcrReading, JobFailure> {
    let result = match runner {
        PdfTextRunner::Isolated { children, .. } => {
            ocr::ocr_document_isolated(children, bytes, selection, &ocr::ocr_limits())
        }
        PdfTextRunner::InProcess => ocr::ocr_pages(bytes, selection),
    };
    result.map_err(|failure| JobFailure {
        retryable: failure.retryable,
        error: ErrorInfo::new(&failure.code, failure.message),
        scan_pages: failure.pages,
    })
}

/// Finish a scan that was read in parts: join the parts' readings in page order and propose.
pub fn finish_split_scan(parts: &[OcrReading], chart: &ChartOfAccounts) -> DocumentResult {
    let reading = OcrReading::join(parts);
    propose_with_text(invoice_from_ocr(&reading), chart, &reading.text)
}

/// The fields of an OCR reading. Field confidence is capped by how sure Tesseract was of the
/// words: a value read from a poor scan is never more certain than the scan.
fn invoice_from_ocr(reading: &OcrReading) -> ExtractedInvoice {
    let mut invoice = parse_pdf_text(&reading.text);
    invoice.source = stapel_domain::Source::Ocr;
    let ceiling = reading.mean_confidence.clamp(0.0, 1.0);
    for confidence in invoice.confidence.values_mut() {
        *confidence = confidence.min(ceiling);
    }
    tracing::info!(
        pages = reading.pages,
        language = reading.language.as_deref(),
        mean_confidence = reading.mean_confidence,
        "read by OCR"
    );
    invoice
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
        assert_eq!(detect_format(b"<?xml version='1.0'?>"), DocumentFormat::Xml);
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF\n <Invoice/>"),
            DocumentFormat::Xml
        );
        assert_eq!(detect_format(b"PK\x03\x04"), DocumentFormat::Unsupported);
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
        assert_eq!(
            (xml.error.code.as_str(), xml.retryable),
            ("einvoice.unsupported_document", false)
        );
        let zip = process_document(b"PK\x03\x04", &runner, &chart).unwrap_err();
        assert_eq!(zip.error.code, "document.unsupported_format");
        let truncated = process_document(b"%PDF-1.4\n1 0 obj <<", &runner, &chart).unwrap_err();
        assert!(truncated.error.code.starts_with("pdf."), "{truncated:?}");
        assert!(!truncated.retryable);
    }

    fn einvoice_fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../einvoice/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn an_xml_einvoice_is_read_exactly_and_booked() {
        let chart = ChartOfAccounts::generic();
        let ubl = einvoice_fixture("ubl_credit_note.xml");
        let result = process_document(&ubl, &PdfTextRunner::InProcess, &chart).unwrap();
        assert_eq!(result.invoice.source, stapel_domain::Source::Ubl);
        assert_eq!(
            result.invoice.document_type,
            stapel_domain::DocumentType::CreditNote
        );
        assert!(result.proposal.is_balanced());
        let cii = einvoice_fixture("cii_allowances_charges.xml");
        let result = process_document(&cii, &PdfTextRunner::InProcess, &chart).unwrap();
        assert_eq!(result.invoice.source, stapel_domain::Source::Cii);
        assert_eq!(result.invoice.vat_breakdown.len(), 2);
        assert!(result.proposal.is_balanced());
    }

    #[test]
    fn hostile_or_foreign_xml_fails_permanently_with_its_code() {
        let chart = ChartOfAccounts::generic();
        let laughs = b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY a 'aaaa'>]><a>&a;</a>";
        let failure = process_document(laughs, &PdfTextRunner::InProcess, &chart).unwrap_err();
        assert_eq!(
            (failure.error.code.as_str(), failure.retryable),
            ("einvoice.dtd_forbidden", false)
        );
        let html = process_document(b"  <html/>", &PdfTextRunner::InProcess, &chart).unwrap_err();
        assert_eq!(html.error.code, "einvoice.unsupported_document");
    }

    #[test]
    fn a_hybrid_pdf_can_be_read_from_its_text_on_request() {
        let pdf = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../samples/real/EN16931_Einfach.pdf"
        ))
        .unwrap();
        let options = ProcessOptions {
            read_embedded_einvoice: false,
            ..ProcessOptions::default()
        };
        let result = process_document_with(
            &pdf,
            &PdfTextRunner::InProcess,
            &ChartOfAccounts::generic(),
            &options,
        )
        .unwrap();
        assert_eq!(result.invoice.source, stapel_domain::Source::Text);
        assert_eq!(result.invoice.invoice_number.as_deref(), Some("471102"));
    }

    #[test]
    fn a_hybrid_pdf_is_read_from_its_attachment_not_its_text() {
        let pdf = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../samples/real/EN16931_Rechnungskorrektur.pdf"
        ))
        .unwrap();
        let result =
            process_document(&pdf, &PdfTextRunner::InProcess, &ChartOfAccounts::generic()).unwrap();
        let invoice = &result.invoice;
        assert_eq!(invoice.source, stapel_domain::Source::Cii);
        // The figures of samples/real/EN16931_Rechnungskorrektur.expected.json (read by hand).
        assert_eq!(invoice.invoice_number.as_deref(), Some("RK21012345"));
        assert_eq!(
            invoice.net_total.map(|v| v.to_string()).as_deref(),
            Some("-7.67")
        );
        assert_eq!(
            invoice.vat_total.map(|v| v.to_string()).as_deref(),
            Some("-1.12")
        );
        assert_eq!(
            invoice.gross_total.map(|v| v.to_string()).as_deref(),
            Some("-8.79")
        );
        assert_eq!(invoice.confidence.get("gross_total"), Some(&1.0));
        assert!(result.proposal.is_balanced());
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
