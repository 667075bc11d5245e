//! Reading a scan: OCR in a limited child process, and its text in the field parser's shape.
//!
//! Rendering (hayro) and recognition (libtesseract) run on hostile bytes, so, like the PDF text
//! parser, they run in a child process (`<exe> ocr-document`) under wall-clock, CPU and memory
//! limits: a runaway render or a crash in C++ fails the document, not the worker. The child
//! creates one Tesseract engine and reuses it for every page of the document and, when it is a
//! warm child (`ocr-document --serve`, see `stapel_extract::warm`), for every document after:
//! the language models stay loaded, and a run of invoices in one language is read in that
//! language from its first page on.
//!
//! The child answers with an [`OcrReading`]: per page, the text in Tesseract's line order and
//! the same words laid out by position (see `stapel_extract::layout`), the same two readings a
//! text-layer PDF gets, so one field parser serves both.

use serde::{Deserialize, Serialize};
use stapel_extract::{
    ChildMode, Children, IsolationError, IsolationLimits, PdfText, PositionedWord,
};
use stapel_ocr::{InputFormat, OcrConfig, OcrDocument, OcrEngine, OcrError};
use std::io::{Read, Write};
use std::time::Duration;

/// The subcommand of the worker binary that runs [`child_main_ocr_document`].
pub const OCR_DOCUMENT_SUBCOMMAND: &str = "ocr-document";

/// More pages than this in one document are refused: a scan that long is split into page-range
/// jobs, not read in one go.
pub const MAX_OCR_PAGES: u32 = 50;

/// The code of a scan with more pages than the caller allows.
pub const TOO_MANY_PAGES: &str = "ocr.too_many_pages";

/// Larger inputs are refused before the child reads them.
pub const MAX_OCR_INPUT_BYTES: usize = 100 * 1024 * 1024;

/// What the OCR child read from a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrReading {
    /// Per page: Tesseract's lines (`pages`) and the words laid out by position
    /// (`layout_pages`).
    pub text: PdfText,
    /// Mean word confidence over all pages, 0 to 1.
    pub mean_confidence: f32,
    /// Pages read.
    pub pages: u32,
    /// The language the text was recognised in first (`deu`, `nld`, ...), when detected.
    pub language: Option<String>,
}

impl OcrReading {
    /// Shape an OCR result for the field parser.
    pub fn from_document(document: &OcrDocument) -> Self {
        let mut text = PdfText::default();
        let mut confidence_sum = 0.0_f64;
        let mut words = 0usize;
        for page in &document.pages {
            text.pages.push(page.text());
            let positioned: Vec<PositionedWord> = page
                .words
                .iter()
                .map(|word| PositionedWord {
                    text: word.text.clone(),
                    x0: f64::from(word.bbox.x0),
                    x1: f64::from(word.bbox.x1),
                    y: f64::from(word.bbox.y0 + word.bbox.y1) / 2.0,
                    size: f64::from(word.bbox.y1.saturating_sub(word.bbox.y0)).max(1.0),
                })
                .collect();
            text.layout_pages
                .push(stapel_extract::layout_text(&positioned));
            confidence_sum += page
                .words
                .iter()
                .map(|word| f64::from(word.confidence))
                .sum::<f64>();
            words += page.words.len();
        }
        let mean_confidence = if words == 0 {
            0.0
        } else {
            (confidence_sum / words as f64) as f32
        };
        Self {
            text,
            mean_confidence,
            pages: u32::try_from(document.pages.len()).unwrap_or(u32::MAX),
            language: document
                .detected_language
                .or_else(|| document.languages_used.first().copied())
                .map(|language| language.tesseract_code().to_owned()),
        }
    }
}

/// Why a document could not be read by OCR, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcrFailure {
    /// `ocr.*` or `pdf.*` code.
    pub code: String,
    /// What went wrong, for the user.
    pub message: String,
    /// Trouble starting the child, not a property of the document.
    #[serde(default)]
    pub retryable: bool,
    /// With [`TOO_MANY_PAGES`]: how many pages the scan has, so it can be split.
    #[serde(default)]
    pub pages: Option<u32>,
}

impl OcrFailure {
    fn from_ocr(error: &OcrError) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
            retryable: false,
            pages: None,
        }
    }

    fn from_isolation(error: IsolationError) -> Self {
        let retryable = matches!(error, IsolationError::Spawn { .. });
        let info = stapel_extract::ExtractError::Isolation(error).to_error_info();
        Self {
            code: info.code.replace("pdf.", "ocr."),
            message: info.message,
            retryable,
            pages: None,
        }
    }
}

/// Envelope on the child's stdout.
#[derive(Debug, Serialize, Deserialize)]
enum Envelope {
    Ok(OcrReading),
    Error(OcrFailure),
}

/// Read a scanned PDF or an image in this process. For tests and tools; the worker uses
/// [`ocr_document_isolated`].
/// Which pages of a scan to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSelection {
    /// The whole document, if it has at most this many pages; otherwise [`TOO_MANY_PAGES`]
    /// with the page count, before any page is read.
    AllUpTo(u32),
    /// Pages `first..=last` of a PDF or TIFF (1-based): one part of a split scan.
    Range(u32, u32),
}

impl PageSelection {
    /// The arguments of `ocr-document` that ask for this selection.
    pub fn to_args(self) -> Vec<String> {
        match self {
            Self::AllUpTo(max_pages) => vec!["--max-pages".to_owned(), max_pages.to_string()],
            Self::Range(first, last) => vec!["--pages".to_owned(), format!("{first}-{last}")],
        }
    }

    /// Read [`Self::to_args`]'s output back (a warm child's per-request arguments).
    pub fn from_args(args: &[String]) -> Result<Self, String> {
        match args {
            [flag, value] if flag == "--max-pages" => value
                .parse()
                .map(Self::AllUpTo)
                .map_err(|_| format!("{value:?} is not a page count")),
            [flag, value] if flag == "--pages" => {
                parse_page_range(value).map(|(first, last)| Self::Range(first, last))
            }
            _ => Err(format!("unknown ocr-document arguments {args:?}")),
        }
    }
}

/// Parse `FIRST-LAST` (1-based, FIRST ≤ LAST), the page range of `ocr-document --pages`.
pub fn parse_page_range(text: &str) -> Result<(u32, u32), String> {
    let (first, last) = text
        .split_once('-')
        .ok_or_else(|| format!("{text:?} is not FIRST-LAST"))?;
    let first: u32 = first
        .parse()
        .map_err(|_| format!("{first:?} is not a page number"))?;
    let last: u32 = last
        .parse()
        .map_err(|_| format!("{last:?} is not a page number"))?;
    if first == 0 || first > last {
        return Err(format!("{text:?} is not a page range (pages count from 1)"));
    }
    Ok((first, last))
}

/// Read a scan with [`PageSelection::AllUpTo`] `max_pages`.
pub fn ocr_document(bytes: &[u8], max_pages: u32) -> Result<OcrReading, OcrFailure> {
    ocr_pages(bytes, PageSelection::AllUpTo(max_pages))
}

/// Read the selected pages of a scanned PDF or multi-page TIFF, or an image.
pub fn ocr_pages(bytes: &[u8], selection: PageSelection) -> Result<OcrReading, OcrFailure> {
    ocr_pages_with(&mut None, bytes, selection)
}

/// [`ocr_pages`] with an engine kept by the caller: created on first use, reused after, and
/// dropped after a failure, so a document that broke Tesseract's state cannot touch the next.
pub fn ocr_pages_with(
    engine: &mut Option<OcrEngine>,
    bytes: &[u8],
    selection: PageSelection,
) -> Result<OcrReading, OcrFailure> {
    let reading = read_pages(engine, bytes, selection);
    if reading.is_err() {
        *engine = None;
    }
    reading
}

fn read_pages(
    engine: &mut Option<OcrEngine>,
    bytes: &[u8],
    selection: PageSelection,
) -> Result<OcrReading, OcrFailure> {
    let format = stapel_ocr::detect_format(bytes).map_err(|error| OcrFailure::from_ocr(&error))?;
    // PDFs and TIFFs have pages; counting them reads no pixels, so a scan too long for one
    // job is handed over before any page is recognised.
    let pages = stapel_ocr::scan_page_count(bytes).map_err(|error| OcrFailure::from_ocr(&error))?;
    let range = match selection {
        PageSelection::AllUpTo(max_pages) if pages > max_pages => {
            return Err(OcrFailure {
                code: TOO_MANY_PAGES.to_owned(),
                message: format!(
                    "the scan has {pages} pages; scans of up to {max_pages} pages are read in \
                     one job"
                ),
                retryable: false,
                pages: Some(pages),
            });
        }
        PageSelection::AllUpTo(_) => 1..=pages,
        PageSelection::Range(first, last) => first..=last.min(pages),
    };
    let engine = match engine {
        Some(engine) => engine,
        None => engine.insert(
            OcrEngine::new(OcrConfig::default()).map_err(|error| OcrFailure::from_ocr(&error))?,
        ),
    };
    let document = match format {
        InputFormat::Pdf => engine.ocr_pdf(bytes, range),
        _ => engine.ocr_image_pages(bytes, range),
    }
    .map_err(|error| OcrFailure::from_ocr(&error))?;
    Ok(OcrReading::from_document(&document))
}

/// The child side of [`ocr_document_isolated`]: document on stdin, envelope on stdout; in
/// [`ChildMode::Serve`] one per request, each with its own [`PageSelection`] arguments, and one
/// Tesseract engine for all of them. `selection` applies in [`ChildMode::Once`].
///
/// Returns the process exit code: 0 whenever an envelope was written (`Serve`: when stdin
/// closed).
pub fn child_main_ocr_document(
    mode: ChildMode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    selection: PageSelection,
) -> i32 {
    let capped = |selection| match selection {
        PageSelection::AllUpTo(max_pages) => PageSelection::AllUpTo(max_pages.min(MAX_OCR_PAGES)),
        range => range,
    };
    let max_input = u64::try_from(MAX_OCR_INPUT_BYTES).unwrap_or(u64::MAX);
    let mut engine = None;
    mode.answer(
        OCR_DOCUMENT_SUBCOMMAND,
        max_input,
        stdin,
        stdout,
        |args, bytes| {
            let selection = if args.is_empty() {
                selection
            } else {
                match PageSelection::from_args(args) {
                    Ok(selection) => selection,
                    Err(message) => {
                        return Envelope::Error(OcrFailure {
                            code: "ocr.child_protocol".to_owned(),
                            message,
                            retryable: false,
                            pages: None,
                        })
                    }
                }
            };
            match ocr_pages_with(&mut engine, &bytes, capped(selection)) {
                Ok(reading) => Envelope::Ok(reading),
                Err(failure) => Envelope::Error(failure),
            }
        },
    )
}

/// Limits for one OCR child. A page takes about a second at 300 DPI on one core; the wall
/// clock allows for a busy machine and the CPU limit for every page of the largest scan read in
/// one job. Tesseract with its language models and a 300 DPI page needs a few hundred MB.
pub fn ocr_limits() -> IsolationLimits {
    let seconds = 30 + 6 * u64::from(MAX_OCR_PAGES);
    IsolationLimits {
        wall_time: Duration::from_secs(seconds),
        cpu_seconds: seconds,
        address_space_bytes: 3 * 1024 * 1024 * 1024,
        max_output_bytes: 32 * 1024 * 1024,
        max_stderr_bytes: 4096,
    }
}

/// Read a scanned PDF or an image in a limited child process: `ocr-document` of `children`.
pub fn ocr_document_isolated(
    children: &Children,
    bytes: &[u8],
    selection: PageSelection,
    limits: &IsolationLimits,
) -> Result<OcrReading, OcrFailure> {
    if bytes.len() > MAX_OCR_INPUT_BYTES {
        return Err(OcrFailure {
            code: "ocr.too_large".to_owned(),
            message: format!(
                "the file has {} bytes; scans of up to {MAX_OCR_INPUT_BYTES} bytes are read",
                bytes.len()
            ),
            retryable: false,
            pages: None,
        });
    }
    let arguments = selection.to_args();
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let output = children
        .run(OCR_DOCUMENT_SUBCOMMAND, &arguments, bytes, limits)
        .map_err(OcrFailure::from_isolation)?;
    match serde_json::from_slice(&output) {
        Ok(Envelope::Ok(reading)) => Ok(reading),
        Ok(Envelope::Error(failure)) => Err(failure),
        Err(error) => Err(OcrFailure {
            code: "ocr.child_protocol".to_owned(),
            message: format!("the OCR process answered garbage: {error}"),
            retryable: false,
            pages: None,
        }),
    }
}

impl OcrReading {
    /// The readings of a split scan's parts, in part order, as one document.
    pub fn join(parts: &[OcrReading]) -> Self {
        let mut text = PdfText::default();
        let mut confidence_weighted = 0.0_f64;
        let mut pages = 0u32;
        for part in parts {
            text.pages.extend(part.text.pages.iter().cloned());
            text.layout_pages
                .extend(part.text.layout_pages.iter().cloned());
            confidence_weighted += f64::from(part.mean_confidence) * f64::from(part.pages);
            pages += part.pages;
        }
        Self {
            text,
            mean_confidence: if pages == 0 {
                0.0
            } else {
                (confidence_weighted / f64::from(pages)) as f32
            },
            pages,
            language: parts.iter().find_map(|part| part.language.clone()),
        }
    }
}
