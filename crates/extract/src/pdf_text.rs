//! The text layer of a PDF, read in-process with `pdf-extract`.
//!
//! `pdf-extract` panics on a fair share of damaged PDFs and can silently drop text it cannot
//! decode, so [`extract_pdf_text`] wraps it in `catch_unwind` and judges the result with
//! [`PdfText::text_layer`]. An empty or implausible text layer is
//! [`ExtractError::NoTextLayer`]: the document goes to OCR instead.
//!
//! A panic is not the only way a parser fails; run this through
//! [`crate::extract_pdf_text_isolated`] to also survive infinite loops and memory blow-ups.

use crate::layout::{layout_text, GlyphCollector};
use crate::ExtractError;
use serde::{Deserialize, Serialize};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// How far into the file the `%PDF-` header may start; readers tolerate leading junk.
const HEADER_SEARCH_BYTES: usize = 1024;

/// Fewer letters and digits than this cannot be an invoice: even a terse one has a number, a
/// date and an amount.
const MIN_ALPHANUMERIC_CHARS: usize = 20;

/// Above this share of undecodable characters (replacement characters, control codes, private
/// use glyphs) the text is treated as garbage from a font without a usable encoding.
const MAX_GARBAGE_SHARE: f64 = 0.10;

/// Below this share of letters and digits among the visible characters, the text is treated as
/// garbage (for example a symbol font that maps glyphs to punctuation).
const MIN_ALPHANUMERIC_SHARE: f64 = 0.40;

/// Limits for reading one PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfLimits {
    /// Larger inputs are refused before parsing: an invoice is rarely above a few MB, and the
    /// parser's memory use grows with the file.
    pub max_pdf_bytes: usize,
    /// PDFs with more pages are refused after the page tree is read, before any page is: a
    /// small file can hold 10,000 pages that share one content stream, and reading them all
    /// would hold a worker for minutes. Scans are refused above the same count.
    pub max_pages: usize,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_pdf_bytes: 20 * 1024 * 1024,
            max_pages: 2_000,
        }
    }
}

/// The text of a PDF, one string per page, in page order, read two ways.
///
/// The two readings fail differently: content-stream order keeps a table cell's lines together
/// but can separate a label from its value; layout order keeps what is side by side on one line
/// but can run neighbouring blocks together. The field parser reads both and lets the evidence
/// (reconciled totals, confidence) decide, see [`crate::fields::parse_pdf_text`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PdfText {
    /// The text of each page in content-stream order, as `pdf-extract` writes it.
    pub pages: Vec<String>,
    /// The text of each page with words placed by their position (see [`crate::layout`]).
    #[serde(default)]
    pub layout_pages: Vec<String>,
}

/// The verdict on a text layer.
#[derive(Debug, Clone, PartialEq)]
pub enum TextLayer {
    /// Enough readable text to parse.
    Plausible,
    /// No visible character at all: a scan, or text drawn as paths.
    Empty,
    /// Some text, but too little to be an invoice (a scan with a stamp or page number).
    TooLittleText {
        /// How many letters and digits were found.
        alphanumeric_chars: usize,
    },
    /// Mostly undecodable characters: the fonts lack a usable encoding.
    Garbled {
        /// Share of undecodable characters among the visible ones.
        garbage_share: f64,
        /// Share of letters and digits among the visible ones.
        alphanumeric_share: f64,
    },
}

impl TextLayer {
    /// Why the text layer is unusable, or `None` when it is plausible.
    pub fn problem(&self) -> Option<String> {
        match self {
            Self::Plausible => None,
            Self::Empty => Some("the text layer is empty".to_owned()),
            Self::TooLittleText { alphanumeric_chars } => Some(format!(
                "the text layer has only {alphanumeric_chars} letters and digits"
            )),
            Self::Garbled {
                garbage_share,
                alphanumeric_share,
            } => Some(format!(
                "the text layer looks garbled ({:.0}% undecodable, {:.0}% letters and digits)",
                garbage_share * 100.0,
                alphanumeric_share * 100.0
            )),
        }
    }
}

impl PdfText {
    /// All pages joined with form feeds, the page separator of plain-text tools.
    pub fn full_text(&self) -> String {
        self.pages.join("\u{c}")
    }

    /// All pages in layout order, joined with form feeds.
    pub fn full_layout_text(&self) -> String {
        self.layout_pages.join("\u{c}")
    }

    /// Judge whether the text layer is real text worth parsing.
    pub fn text_layer(&self) -> TextLayer {
        let mut visible = 0usize;
        let mut alphanumeric = 0usize;
        let mut garbage = 0usize;
        for character in self.pages.iter().flat_map(|page| page.chars()) {
            if character.is_whitespace() {
                continue;
            }
            visible += 1;
            if character.is_alphanumeric() {
                alphanumeric += 1;
            }
            if is_garbage_char(character) {
                garbage += 1;
            }
        }
        if visible == 0 {
            return TextLayer::Empty;
        }
        if alphanumeric < MIN_ALPHANUMERIC_CHARS {
            return TextLayer::TooLittleText {
                alphanumeric_chars: alphanumeric,
            };
        }
        let garbage_share = garbage as f64 / visible as f64;
        let alphanumeric_share = alphanumeric as f64 / visible as f64;
        if garbage_share > MAX_GARBAGE_SHARE || alphanumeric_share < MIN_ALPHANUMERIC_SHARE {
            return TextLayer::Garbled {
                garbage_share,
                alphanumeric_share,
            };
        }
        TextLayer::Plausible
    }

    /// Whether the text layer is plausible enough to parse.
    pub fn is_plausible(&self) -> bool {
        self.text_layer() == TextLayer::Plausible
    }
}

/// Characters that real invoice text does not contain but broken font decoding produces.
fn is_garbage_char(character: char) -> bool {
    character == '\u{fffd}'
        || (character.is_control() && !matches!(character, '\n' | '\r' | '\t' | '\u{c}'))
        || ('\u{e000}'..='\u{f8ff}').contains(&character)
}

/// Read the text layer of a PDF.
///
/// Checks the header and size first, then parses behind a panic guard, then rejects an empty or
/// implausible text layer with [`ExtractError::NoTextLayer`].
pub fn extract_pdf_text(pdf: &[u8], limits: &PdfLimits) -> Result<PdfText, ExtractError> {
    check_pdf_header_and_size(pdf, limits)?;
    let result = catch_unwind(AssertUnwindSafe(|| read_pages(pdf, limits.max_pages)));
    let text = match result {
        Ok(Ok(Ok(text))) => text,
        Ok(Ok(Err(TooManyPages(pages)))) => {
            return Err(ExtractError::TooManyPages {
                pages: pages as u64,
                max: limits.max_pages as u64,
            })
        }
        Ok(Err(error)) => return Err(map_parser_error(error)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            tracing::warn!(%message, "pdf-extract panicked");
            return Err(ExtractError::ParserPanic { message });
        }
    };
    match text.text_layer().problem() {
        None => Ok(text),
        Some(reason) => Err(ExtractError::NoTextLayer { reason }),
    }
}

/// Parse the PDF once and read each page twice: in content-stream order (`pdf-extract`'s plain
/// text) and in layout order (words placed by position, see [`crate::layout`]).
///
/// A page that fails to parse becomes an empty page in both readings, as `pdf-extract`'s own page
/// loop stops at one: the text that was read still counts, and totals that no longer reconcile
/// flag the document for review.
fn read_pages(
    pdf: &[u8],
    max_pages: usize,
) -> Result<Result<PdfText, TooManyPages>, pdf_extract::OutputError> {
    let mut document = pdf_extract::Document::load_mem(pdf)?;
    if document.is_encrypted() {
        // Many PDFs are "encrypted" with an empty user password only to restrict printing.
        document.decrypt("")?;
    }
    let page_numbers: Vec<u32> = document.get_pages().into_keys().collect();
    if page_numbers.len() > max_pages {
        return Ok(Err(TooManyPages(page_numbers.len())));
    }
    let mut text = PdfText::default();
    for page_number in page_numbers {
        let mut stream_order = String::new();
        let mut plain = pdf_extract::PlainTextOutput::new(&mut stream_order);
        let mut collector = GlyphCollector::default();
        let read = pdf_extract::output_doc_page(&document, &mut plain, page_number)
            .and_then(|()| pdf_extract::output_doc_page(&document, &mut collector, page_number));
        if let Err(error) = read {
            tracing::warn!(page_number, %error, "page could not be read");
            text.pages.push(String::new());
            text.layout_pages.push(String::new());
            continue;
        }
        text.pages.push(stream_order);
        text.layout_pages.push(
            collector
                .pages
                .iter()
                .map(|words| layout_text(words))
                .collect(),
        );
    }
    Ok(Ok(text))
}

/// A page count above [`PdfLimits::max_pages`].
struct TooManyPages(usize);

/// The cheap checks that need no parser; the isolated path runs them before spawning a child.
pub(crate) fn check_pdf_header_and_size(
    pdf: &[u8],
    limits: &PdfLimits,
) -> Result<(), ExtractError> {
    if pdf.len() > limits.max_pdf_bytes {
        return Err(ExtractError::TooLarge {
            size: pdf.len() as u64,
            max: limits.max_pdf_bytes as u64,
        });
    }
    let head = &pdf[..pdf.len().min(HEADER_SEARCH_BYTES)];
    if !head.windows(5).any(|window| window == b"%PDF-") {
        return Err(ExtractError::NotAPdf);
    }
    Ok(())
}

fn map_parser_error(error: pdf_extract::OutputError) -> ExtractError {
    let message = error.to_string();
    // lopdf reports encryption as a decryption error or an "encrypt" message; pdf-extract tries
    // the empty password itself, so reaching here means a real password is needed.
    let lowercase = message.to_lowercase();
    if lowercase.contains("decrypt")
        || lowercase.contains("encrypt")
        || lowercase.contains("password")
    {
        ExtractError::Encrypted { message }
    } else {
        ExtractError::Corrupt { message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pages: &[&str]) -> PdfText {
        PdfText {
            pages: pages.iter().map(|page| (*page).to_owned()).collect(),
            ..PdfText::default()
        }
    }

    #[test]
    fn judges_text_layers() {
        assert_eq!(text(&[]).text_layer(), TextLayer::Empty);
        assert_eq!(text(&["  \n\n ", "\u{c}"]).text_layer(), TextLayer::Empty);
        assert!(matches!(
            text(&["Page 1"]).text_layer(),
            TextLayer::TooLittleText { .. }
        ));
        assert!(matches!(
            text(&["\u{fffd}\u{fffd}\u{fffd} abcdefghijklmnopqrstuvwxyz \u{e001}\u{e002}\u{e003}\u{e004}"]).text_layer(),
            TextLayer::Garbled { .. }
        ));
        assert!(matches!(
            text(&["!!!! #### $$$$ %%%% &&&& **** abcdefghijklmnopqrstuvwxyz ()()()()()()()()()()()()()()"]).text_layer(),
            TextLayer::Garbled { .. }
        ));
        assert!(
            text(&["Invoice No. 2026-118\nDate 21.11.2026\nTotal EUR 1.234,56"]).is_plausible()
        );
    }

    #[test]
    fn refuses_non_pdf_and_oversized_input_before_parsing() {
        let limits = PdfLimits {
            max_pdf_bytes: 10,
            ..PdfLimits::default()
        };
        assert!(matches!(
            extract_pdf_text(b"hello", &limits),
            Err(ExtractError::NotAPdf)
        ));
        assert!(matches!(
            extract_pdf_text(b"%PDF-1.7 and much more", &limits),
            Err(ExtractError::TooLarge { size: 22, max: 10 })
        ));
        let mut junk_then_header = vec![b' '; 100];
        junk_then_header.extend_from_slice(b"%PDF-1.4\n%%EOF");
        let error = extract_pdf_text(&junk_then_header, &PdfLimits::default()).unwrap_err();
        assert_eq!(error.code(), "pdf.corrupt");
    }

    /// `pages` blank pages sharing one content stream, with a computed cross-reference table.
    fn blank_pages_pdf(pages: usize) -> Vec<u8> {
        let kids: String = (0..pages)
            .map(|index| format!("{} 0 R ", index + 4))
            .collect();
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            format!("<< /Type /Pages /Kids [{kids}] /Count {pages} >>"),
            "<< /Length 13 >>\nstream\n0 0 m 1 1 l S\nendstream".to_owned(),
        ];
        objects.extend((0..pages).map(|_| {
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>".to_owned()
        }));
        let mut pdf = String::from("%PDF-1.7\n");
        let mut offsets = Vec::new();
        for (index, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.push_str(&format!("{} 0 obj\n{body}\nendobj\n", index + 1));
        }
        let xref = pdf.len();
        pdf.push_str(&format!(
            "xref\n0 {}\n0000000000 65535 f \n",
            objects.len() + 1
        ));
        for offset in offsets {
            pdf.push_str(&format!("{offset:010} 00000 n \n"));
        }
        pdf.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        ));
        pdf.into_bytes()
    }

    #[test]
    fn refuses_more_pages_than_the_limit_before_reading_any() {
        let limits = PdfLimits {
            max_pages: 3,
            ..PdfLimits::default()
        };
        let error = extract_pdf_text(&blank_pages_pdf(4), &limits).unwrap_err();
        assert!(
            matches!(error, ExtractError::TooManyPages { pages: 4, max: 3 }),
            "{error:?}"
        );
        assert_eq!(error.code(), "pdf.too_many_pages");
        // The same error crosses the process boundary intact.
        let rebuilt = ExtractError::from_child(error.code(), error.detail());
        assert!(
            matches!(rebuilt, ExtractError::TooManyPages { pages: 4, max: 3 }),
            "{rebuilt:?}"
        );
        // At the limit the pages are read (blank, so the layer is judged empty).
        let error = extract_pdf_text(&blank_pages_pdf(3), &limits).unwrap_err();
        assert_eq!(error.code(), "pdf.no_text_layer");
    }
}
