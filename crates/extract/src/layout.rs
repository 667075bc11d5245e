//! Text in reading order, rebuilt from where each word sits on the page.
//!
//! `pdf-extract` writes characters in content-stream order. That is the order the producing
//! program drew them in, which is often not the order a reader sees: a label column drawn
//! before its value column comes out as "Invoice no.\nDate\n…\n2026-118\n21.11.2026", and the
//! label loses its value. This module collects every glyph with its position instead, groups
//! glyphs into visual lines by baseline and into words by the gaps between them, and lays each
//! line out on a character grid, so that words keep their horizontal position: a value printed
//! below a label starts in the same column, and table columns stay columns (like
//! `pdftotext -layout`). The OCR reader produces [`PositionedWord`]s too, so scans and text
//! layers reach the field parser in the same shape.

use serde::{Deserialize, Serialize};

/// A word and its box on the page, in points from the top-left corner (y grows downwards).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionedWord {
    /// The word's text, without surrounding whitespace.
    pub text: String,
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Baseline (or vertical centre, for OCR boxes): words on one visual line share it.
    pub y: f64,
    /// Font size or box height: how far apart two lines must be to be different lines.
    pub size: f64,
}

/// One glyph as `pdf-extract` reports it, after flipping to top-left coordinates.
#[derive(Debug, Clone)]
struct Glyph {
    text: String,
    x: f64,
    y: f64,
    width: f64,
    size: f64,
    /// Rotated or vertical text (a side note along the margin) is kept out of the grid.
    rotated: bool,
}

/// A `pdf-extract` output device that records glyph positions, one page at a time.
#[derive(Default)]
pub(crate) struct GlyphCollector {
    flip_y: f64,
    current: Vec<Glyph>,
    /// The laid-out words of each finished page.
    pub(crate) pages: Vec<Vec<PositionedWord>>,
}

impl pdf_extract::OutputDev for GlyphCollector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &pdf_extract::MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), pdf_extract::OutputError> {
        self.flip_y = media_box.ury - media_box.lly;
        self.current.clear();
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), pdf_extract::OutputError> {
        let glyphs = std::mem::take(&mut self.current);
        self.pages.push(words_from_glyphs(glyphs));
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &pdf_extract::Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), pdf_extract::OutputError> {
        // The same arithmetic as pdf-extract's own plain-text device: the rendered font size is
        // the side of the square with the area of the transformed (size × size) box.
        let scaled_x = font_size * trm.m11 + font_size * trm.m21;
        let scaled_y = font_size * trm.m12 + font_size * trm.m22;
        let size = (scaled_x * scaled_y).abs().sqrt();
        let rotated = trm.m12.abs() > trm.m11.abs() || trm.m11 < 0.0;
        if !(size.is_finite() && trm.m31.is_finite() && trm.m32.is_finite()) || size <= 0.0 {
            return Ok(());
        }
        self.current.push(Glyph {
            text: text.to_owned(),
            x: trm.m31,
            y: self.flip_y - trm.m32,
            width: (width * size).max(0.0),
            size,
            rotated,
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), pdf_extract::OutputError> {
        Ok(())
    }
}

/// A gap wider than this share of the font size separates two words (pdf-extract uses 0.1).
const WORD_GAP: f64 = 0.15;

/// Group glyphs into words: same line, left to right, split at whitespace and at gaps.
fn words_from_glyphs(glyphs: Vec<Glyph>) -> Vec<PositionedWord> {
    let (upright, rotated): (Vec<Glyph>, Vec<Glyph>) =
        glyphs.into_iter().partition(|glyph| !glyph.rotated);
    let mut words = Vec::new();
    for line in group_lines(upright, |glyph| (glyph.y, glyph.size)) {
        let mut sorted = line;
        sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut word: Option<PositionedWord> = None;
        for glyph in sorted {
            let blank = glyph.text.trim().is_empty();
            let joins = word.as_ref().is_some_and(|word| {
                glyph.x <= word.x1 + WORD_GAP * glyph.size.max(word.size) && !blank
            });
            if !joins {
                words.extend(word.take());
            }
            if blank {
                continue;
            }
            match word.as_mut() {
                Some(word) => {
                    word.text.push_str(&glyph.text);
                    word.x1 = word.x1.max(glyph.x + glyph.width);
                    word.size = word.size.max(glyph.size);
                }
                None => {
                    word = Some(PositionedWord {
                        text: glyph.text.clone(),
                        x0: glyph.x,
                        x1: glyph.x + glyph.width,
                        y: glyph.y,
                        size: glyph.size,
                    })
                }
            }
        }
        words.extend(word);
    }
    // Rotated text keeps its drawing order, each run as one line after the page's body, so it is
    // not lost but does not break the body's lines either.
    let mut run: Option<PositionedWord> = None;
    for glyph in rotated {
        if glyph.text.trim().is_empty() {
            words.extend(run.take());
            continue;
        }
        let run = run.get_or_insert_with(|| PositionedWord {
            text: String::new(),
            x0: 0.0,
            x1: 0.0,
            y: f64::MAX,
            size: glyph.size,
        });
        run.text.push_str(&glyph.text);
    }
    words.extend(run);
    words
}

/// Group items into visual lines: sorted top to bottom, an item joins the current line when
/// its baseline is within half a font size of the line's first item.
fn group_lines<T>(mut items: Vec<T>, key: impl Fn(&T) -> (f64, f64)) -> Vec<Vec<T>> {
    items.sort_by(|a, b| key(a).0.total_cmp(&key(b).0));
    let mut lines: Vec<Vec<T>> = Vec::new();
    let mut line_y = f64::NAN;
    let mut line_size = 0.0_f64;
    for item in items {
        let (y, size) = key(&item);
        let same_line = (y - line_y).abs() <= 0.5 * size.min(line_size).max(1.0);
        match lines.last_mut() {
            Some(line) if same_line => line.push(item),
            _ => {
                line_y = y;
                line_size = size;
                lines.push(vec![item]);
            }
        }
    }
    lines
}

/// Lay positioned words out as text: one line per visual line, each word at the grid column of
/// its left edge (at least one space after the previous word, two where the gap is wide, so
/// columns stay apart), and an empty line where a vertical gap shows a new block.
pub fn layout_text(words: &[PositionedWord]) -> String {
    if words.is_empty() {
        return String::new();
    }
    let column_width = median_char_width(words);
    let lines = group_lines(words.iter().collect(), |word| (word.y, word.size));
    let mut text = String::new();
    let mut previous_y: Option<(f64, f64)> = None;
    for mut line in lines {
        line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let (y, size) = (line[0].y, line[0].size);
        if let Some((last_y, last_size)) = previous_y {
            if y - last_y > 2.0 * last_size.max(size) {
                text.push('\n');
            }
        }
        previous_y = Some((y, size));
        let mut row = String::new();
        let mut row_chars = 0usize;
        let mut last_x1 = f64::NEG_INFINITY;
        for word in line {
            let column = (word.x0 / column_width).round().max(0.0) as usize;
            if row_chars > 0 {
                let wide_gap = word.x0 - last_x1 > 1.5 * word.size;
                let min_spaces = if wide_gap { 2 } else { 1 };
                let spaces = column.saturating_sub(row_chars).max(min_spaces);
                row.extend(std::iter::repeat_n(' ', spaces));
                row_chars += spaces;
            } else {
                row.extend(std::iter::repeat_n(' ', column));
                row_chars = column;
            }
            row.push_str(&word.text);
            row_chars += word.text.chars().count();
            last_x1 = word.x1;
        }
        text.push_str(row.trim_end());
        text.push('\n');
    }
    text
}

/// The typical width of one character, the grid's column width.
fn median_char_width(words: &[PositionedWord]) -> f64 {
    let mut widths: Vec<f64> = words
        .iter()
        .filter_map(|word| {
            let chars = word.text.chars().count();
            let width = word.x1 - word.x0;
            (chars >= 2 && width > 0.0).then(|| width / chars as f64)
        })
        .collect();
    if widths.is_empty() {
        return 5.0;
    }
    widths.sort_by(f64::total_cmp);
    widths[widths.len() / 2].max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x0: f64, y: f64) -> PositionedWord {
        PositionedWord {
            text: text.to_owned(),
            x0,
            x1: x0 + 5.0 * text.chars().count() as f64,
            y,
            size: 10.0,
        }
    }

    #[test]
    fn values_drawn_after_their_labels_share_the_labels_line() {
        // Labels first, values second: the content-stream order of many invoice generators.
        let words = vec![
            word("Rechnungsnummer", 300.0, 100.0),
            word("Datum", 300.0, 114.0),
            word("2026-118", 480.0, 100.2),
            word("21.11.2026", 470.0, 114.0),
        ];
        let text = layout_text(&words);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("Rechnungsnummer") && lines[0].ends_with("2026-118"));
        assert!(lines[1].starts_with("Datum") && lines[1].ends_with("21.11.2026"));
    }

    #[test]
    fn a_value_below_its_label_starts_in_the_labels_column() {
        let words = vec![
            word("Invoice", 50.0, 100.0),
            word("Date", 200.0, 100.0),
            word("INV-7", 50.0, 112.0),
            word("2026-11-21", 200.0, 112.0),
        ];
        let text = layout_text(&words);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0].find("Date"), lines[1].find("2026-11-21"), "{text}");
        assert_eq!(lines[0].find("Invoice"), lines[1].find("INV-7"), "{text}");
    }

    #[test]
    fn a_wide_vertical_gap_starts_a_new_block_and_empty_input_is_empty() {
        let text = layout_text(&[word("Top", 10.0, 10.0), word("Bottom", 10.0, 300.0)]);
        assert_eq!(text, "  Top\n\n  Bottom\n");
        assert_eq!(layout_text(&[]), "");
    }
}
