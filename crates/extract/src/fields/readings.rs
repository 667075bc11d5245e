//! Two readings of one text layer, one answer.
//!
//! [`PdfText`] holds the same page read in content-stream order and in layout order. Each is
//! parsed on its own; per field, the reading with the stronger evidence wins: a value both
//! readings agree on keeps its best confidence, a value only one reading found is taken as is,
//! and where they disagree the more confident value wins with its confidence lowered, because a
//! disagreement means one reading put words next to the wrong neighbours. Totals and their VAT
//! breakdown are taken together from one reading (the one whose totals reconcile), never mixed,
//! so a chosen net, VAT and gross always come from the same lines of text; so are line items.

use super::parse_invoice_text;
use crate::PdfText;
use stapel_domain::ExtractedInvoice;
use std::collections::BTreeMap;

/// A disagreement between the readings costs the winner this share of its confidence.
const DISAGREEMENT_FACTOR: f32 = 0.85;

/// Parse the text layer of a PDF from both of its readings.
pub fn parse_pdf_text(text: &PdfText) -> ExtractedInvoice {
    let stream = parse_invoice_text(&text.full_text());
    let layout_text = text.full_layout_text();
    if layout_text.trim().is_empty() {
        return stream;
    }
    merge_readings(stream, parse_invoice_text(&layout_text))
}

/// Combine two parses of the same document, field by field. On a tie the first reading wins.
pub fn merge_readings(first: ExtractedInvoice, second: ExtractedInvoice) -> ExtractedInvoice {
    let mut confidence = BTreeMap::new();
    let mut merged = ExtractedInvoice {
        document_type: first.document_type,
        source: first.source,
        allowances_charges: first.allowances_charges.clone(),
        payment_terms: first.payment_terms.clone().or(second.payment_terms.clone()),
        ..ExtractedInvoice::default()
    };

    macro_rules! pick_field {
        ($($field:ident),+) => {$(
            let (value, score) = pick(
                first.$field.clone(),
                first.confidence.get(stringify!($field)).copied(),
                second.$field.clone(),
                second.confidence.get(stringify!($field)).copied(),
            );
            merged.$field = value;
            if let Some(score) = score {
                confidence.insert(stringify!($field).to_owned(), score);
            }
        )+};
    }
    pick_field!(
        supplier_name,
        supplier_vat_id,
        customer_name,
        customer_vat_id,
        invoice_number,
        issue_date,
        due_date,
        currency,
        iban
    );

    const TOTALS: [&str; 4] = ["net_total", "vat_total", "gross_total", "amount_due"];
    let totals_from = if group_score(&second, &TOTALS) > group_score(&first, &TOTALS) {
        &second
    } else {
        &first
    };
    merged.net_total = totals_from.net_total;
    merged.vat_total = totals_from.vat_total;
    merged.gross_total = totals_from.gross_total;
    merged.amount_due = totals_from.amount_due;
    merged.vat_breakdown = totals_from.vat_breakdown.clone();
    copy_confidence(&mut confidence, totals_from, &TOTALS);

    let lines_rank =
        |invoice: &ExtractedInvoice| (group_score(invoice, &["lines"]), invoice.lines.len());
    let lines_from = if lines_rank(&second) > lines_rank(&first) {
        &second
    } else {
        &first
    };
    merged.lines = lines_from.lines.clone();
    copy_confidence(&mut confidence, lines_from, &["lines"]);

    merged.confidence = confidence;
    merged
}

/// The value and confidence to keep for one field read twice.
fn pick<T: PartialEq>(
    first: Option<T>,
    first_score: Option<f32>,
    second: Option<T>,
    second_score: Option<f32>,
) -> (Option<T>, Option<f32>) {
    match (first, second) {
        (None, None) => (None, None),
        (Some(value), None) => (Some(value), first_score),
        (None, Some(value)) => (Some(value), second_score),
        (Some(a), Some(b)) if a == b => (Some(a), max_score(first_score, second_score)),
        (Some(a), Some(b)) => {
            let (value, score) = if second_score.unwrap_or(0.0) > first_score.unwrap_or(0.0) {
                (b, second_score)
            } else {
                (a, first_score)
            };
            (Some(value), score.map(|score| score * DISAGREEMENT_FACTOR))
        }
    }
}

fn max_score(a: Option<f32>, b: Option<f32>) -> Option<f32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Sum of the confidences of a group of fields; a field not found counts as zero.
fn group_score(invoice: &ExtractedInvoice, fields: &[&str]) -> f32 {
    fields
        .iter()
        .filter_map(|field| invoice.confidence.get(*field))
        .sum()
}

fn copy_confidence(into: &mut BTreeMap<String, f32>, from: &ExtractedInvoice, fields: &[&str]) {
    for field in fields {
        if let Some(score) = from.confidence.get(*field) {
            into.insert((*field).to_owned(), *score);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn reading(number: Option<&str>, score: f32) -> ExtractedInvoice {
        let mut invoice = ExtractedInvoice {
            invoice_number: number.map(str::to_owned),
            ..ExtractedInvoice::default()
        };
        invoice
            .confidence
            .insert("invoice_number".to_owned(), score);
        invoice
    }

    #[test]
    fn a_field_one_reading_missed_comes_from_the_other() {
        let merged = merge_readings(reading(None, 0.0), reading(Some("2026-118"), 0.9));
        assert_eq!(merged.invoice_number.as_deref(), Some("2026-118"));
        assert_eq!(merged.confidence["invoice_number"], 0.9);
    }

    #[test]
    fn a_disagreement_keeps_the_more_confident_value_with_less_confidence() {
        let merged = merge_readings(reading(Some("A-1"), 0.6), reading(Some("B-2"), 0.9));
        assert_eq!(merged.invoice_number.as_deref(), Some("B-2"));
        assert!(merged.confidence["invoice_number"] < 0.9);
        let agreed = merge_readings(reading(Some("A-1"), 0.6), reading(Some("A-1"), 0.9));
        assert_eq!(agreed.confidence["invoice_number"], 0.9);
    }

    #[test]
    fn totals_come_from_one_reading_never_mixed() {
        let mut reconciled = ExtractedInvoice {
            net_total: Some(dec!(100)),
            vat_total: Some(dec!(21)),
            gross_total: Some(dec!(121)),
            ..ExtractedInvoice::default()
        };
        for field in ["net_total", "vat_total", "gross_total"] {
            reconciled.confidence.insert(field.to_owned(), 0.95);
        }
        let mut partial = ExtractedInvoice {
            net_total: Some(dec!(99)),
            vat_total: Some(dec!(21)),
            ..ExtractedInvoice::default()
        };
        partial.confidence.insert("net_total".to_owned(), 0.99);
        partial.confidence.insert("vat_total".to_owned(), 0.99);
        let merged = merge_readings(partial, reconciled);
        assert_eq!(
            (merged.net_total, merged.vat_total, merged.gross_total),
            (Some(dec!(100)), Some(dec!(21)), Some(dec!(121)))
        );
    }
}
