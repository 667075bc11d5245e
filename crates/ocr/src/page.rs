//! What OCR returns: words with positions and confidences, per page.

use crate::Language;

/// A rectangle in page pixels, origin top left, `x1`/`y1` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// Left edge.
    pub x0: u32,
    /// Top edge.
    pub y0: u32,
    /// Right edge (exclusive).
    pub x1: u32,
    /// Bottom edge (exclusive).
    pub y1: u32,
}

/// One recognised word.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrWord {
    /// The word as recognised, without surrounding whitespace.
    pub text: String,
    /// Tesseract's confidence in the word, from 0 to 1; a field read from a word below about 0.6
    /// deserves review.
    pub confidence: f32,
    /// Where the word is, in the pixels of the page as recognised (after any orientation
    /// correction, see [`OcrPage::rotation_degrees`]).
    pub bbox: BoundingBox,
    /// Tesseract's block number on the page; with `paragraph_id` and `line_id` it identifies
    /// the word's line, which is how [`OcrPage::text`] rebuilds lines.
    pub block_id: u32,
    /// Paragraph number within the block.
    pub paragraph_id: u32,
    /// Line number within the paragraph.
    pub line_id: u32,
}

/// One recognised page.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPage {
    /// 1-based page number in the document (the PDF page, or the TIFF frame).
    pub page_number: u32,
    /// Width of the recognised image in pixels.
    pub width_px: u32,
    /// Height of the recognised image in pixels.
    pub height_px: u32,
    /// Resolution of the recognised image; converts [`BoundingBox`] pixels to inches.
    pub dpi: u32,
    /// The resolution that was asked for, when the PDF page was too large for it and was
    /// rendered at `dpi` instead.
    pub dpi_reduced_from: Option<u32>,
    /// How far the page was turned clockwise before recognition (0, 90, 180 or 270), when
    /// orientation detection found it sideways or upside down.
    pub rotation_degrees: u32,
    /// The page was (nearly) one colour and was not recognised; a blank back side is normal,
    /// but a document of only blank pages is an error.
    pub blank: bool,
    /// The words in Tesseract's reading order.
    pub words: Vec<OcrWord>,
    /// Mean of the words' confidences (0 when there are none).
    pub mean_confidence: f32,
}

impl OcrPage {
    /// The page's text in reading order: the words of each Tesseract line joined with spaces,
    /// one line per `\n`. This is what the text field extractor reads.
    pub fn text(&self) -> String {
        let mut text = String::new();
        let mut current_line = None;
        for word in &self.words {
            let line = (word.block_id, word.paragraph_id, word.line_id);
            match current_line {
                Some(previous) if previous == line => text.push(' '),
                Some(_) => text.push('\n'),
                None => {}
            }
            current_line = Some(line);
            text.push_str(&word.text);
        }
        text
    }
}

/// A recognised document (all pages, or the requested page range of a PDF).
#[derive(Debug, Clone, PartialEq)]
pub struct OcrDocument {
    /// The pages, in order.
    pub pages: Vec<OcrPage>,
    /// The Tesseract languages the text was read with, in priority order (the first one wins
    /// where they disagree).
    pub languages_used: Vec<Language>,
    /// The language the text was detected to be in, when language detection ran and was sure.
    pub detected_language: Option<Language>,
}

impl OcrDocument {
    /// All pages' text, pages separated by a blank line.
    pub fn text(&self) -> String {
        self.pages
            .iter()
            .filter(|page| !page.words.is_empty())
            .map(OcrPage::text)
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// Parse Tesseract's TSV output (`level page block par line word left top width height conf
/// text`) into words. Rows that are not words (levels 1 to 4), have no confidence (-1) or only
/// whitespace are skipped; a malformed row is skipped, never a panic.
pub(crate) fn words_from_tsv(tsv: &str) -> Vec<OcrWord> {
    tsv.lines().filter_map(word_from_tsv_row).collect()
}

fn word_from_tsv_row(row: &str) -> Option<OcrWord> {
    let fields: Vec<&str> = row.splitn(12, '\t').collect();
    let [level, _page, block, paragraph, line, _word, left, top, width, height, confidence, text] =
        fields.as_slice()
    else {
        return None;
    };
    if *level != "5" {
        return None;
    }
    let confidence: f32 = confidence.trim().parse().ok()?;
    let text = text.trim();
    if confidence < 0.0 || text.is_empty() {
        return None;
    }
    let number = |field: &str| field.trim().parse::<u32>().ok();
    let (x0, y0) = (number(left)?, number(top)?);
    Some(OcrWord {
        text: text.to_owned(),
        confidence: (confidence / 100.0).clamp(0.0, 1.0),
        bbox: BoundingBox {
            x0,
            y0,
            x1: x0.saturating_add(number(width)?),
            y1: y0.saturating_add(number(height)?),
        },
        block_id: number(block)?,
        paragraph_id: number(paragraph)?,
        line_id: number(line)?,
    })
}

/// The mean confidence of the words, 0 for none.
pub(crate) fn mean_confidence(words: &[OcrWord]) -> f32 {
    if words.is_empty() {
        return 0.0;
    }
    words.iter().map(|word| word.confidence).sum::<f32>() / words.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n\
        2\t1\t1\t0\t0\t0\t208\t190\t1200\t60\t-1\t\n\
        5\t1\t1\t1\t1\t1\t208\t190\t300\t50\t96.5\tRechnungsnummer\n\
        5\t1\t1\t1\t1\t2\t1970\t190\t300\t50\t91.25\tRE-2026-11873\n\
        5\t1\t1\t1\t2\t1\t208\t260\t300\t50\t-1\t \n\
        5\t1\t1\t1\t2\t2\t208\t260\t300\t50\t88\tGesamtbetrag\n\
        5\t1\t1\t1\t2\t3\t1970\t260\t240\t50\t90\t3.539,06\n\
        5\t1\t2\t1\t1\t1\t208\t900\t100\t40\t80\tZahlbar\n\
        garbage row\n\
        5\t1\tx\t1\t1\t1\t1\t1\t1\t1\t50\tbroken";

    fn page(words: Vec<OcrWord>) -> OcrPage {
        OcrPage {
            page_number: 1,
            width_px: 2480,
            height_px: 3508,
            dpi: 300,
            dpi_reduced_from: None,
            rotation_degrees: 0,
            blank: false,
            mean_confidence: mean_confidence(&words),
            words,
        }
    }

    #[test]
    fn parses_words_and_skips_everything_else() {
        let words = words_from_tsv(TSV);
        let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Rechnungsnummer",
                "RE-2026-11873",
                "Gesamtbetrag",
                "3.539,06",
                "Zahlbar"
            ]
        );
        let number = &words[1];
        assert_eq!(
            number.bbox,
            BoundingBox {
                x0: 1970,
                y0: 190,
                x1: 2270,
                y1: 240
            }
        );
        assert!((number.confidence - 0.9125).abs() < 1e-6);
        assert_eq!(
            (number.block_id, number.paragraph_id, number.line_id),
            (1, 1, 1)
        );
    }

    #[test]
    fn text_rebuilds_lines_in_reading_order() {
        let page = page(words_from_tsv(TSV));
        assert_eq!(
            page.text(),
            "Rechnungsnummer RE-2026-11873\nGesamtbetrag 3.539,06\nZahlbar"
        );
        assert!((page.mean_confidence - 0.8915).abs() < 1e-4);
    }

    #[test]
    fn an_empty_page_has_no_text_and_zero_confidence() {
        let page = page(Vec::new());
        assert_eq!(page.text(), "");
        assert_eq!(page.mean_confidence, 0.0);
        let document = OcrDocument {
            pages: vec![page],
            languages_used: vec![Language::English],
            detected_language: None,
        };
        assert_eq!(document.text(), "");
    }
}
