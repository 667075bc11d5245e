//! Who is who: supplier and customer names, read with simple, low-confidence heuristics.

use super::dates::find_dates;
use super::ids::find_vat_ids;
use super::labels::{find_labels, LabelKind};
use std::sync::LazyLock;

/// Confidence of a name read under a "Seller"/"Bill to" label.
pub(crate) const LABELLED_NAME: f32 = 0.55;
/// Confidence of the supplier name guessed as the first line that looks like a name.
pub(crate) const FIRST_LINE_NAME: f32 = 0.4;

static DOCUMENT_TITLE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:tax\s+)?(?:invoice|factuur|rechnung|faktura|fattura|facture|credit\s*note|creditnota|gutschrift|kreditnota|nota\s+di\s+credito|avoir|proforma|pro\s+forma)\b",
    )
    .expect("valid regex")
});
static NOT_A_NAME: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:page|seite|pagina|side|blad)\b|\(c\)|©|@|www\.|https?:|^\+?\d|\b\d+\s?[a-z]?$|\b(?:iban|swift|bic|giro|bankverbindung|bank\s+details)\b|^(?:tel|fax|phone|telefon)\b|^(?:attn|t\.a\.v|z\.\s*hd|att\.|à\s+l['’]attention)",
    )
    .expect("valid regex")
});
static NAME_PREFIX: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)^(?:name|naam|nome|nom|navn)\s*:\s*").expect("valid regex")
});

/// Whether a line could be a company or person name. Lines that name bank details or carry a
/// VAT number are column headers or footers, not names.
fn looks_like_name(line: &str) -> bool {
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 2
        && line.chars().count() <= 80
        && !line.contains(':')
        && !NOT_A_NAME.is_match(line)
        && find_dates(line).is_empty()
        && find_labels(line).is_empty()
        && !DOCUMENT_TITLE.is_match(line)
        && find_vat_ids(line).is_empty()
}

static LEGAL_FORM_END: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:gmbh|ag|kg|ohg|ug|gbr|e\.\s?k\.|ug\s+\(haftungsbeschr[äa]nkt\)|gmbh\s+&\s+co\.\s+kg|b\.\s?v\.|n\.\s?v\.|v\.\s?o\.\s?f\.|vof|bvba|bv|nv|ltd\.?|limited|llp|plc|inc\.?|s\.\s?a\.|sa|sarl|sas|sasu|eurl|snc|s\.\s?r\.\s?l\.|s\.\s?r\.\s?l\.\s?s\.|srl|s\.\s?p\.\s?a\.|spa|s\.\s?n\.\s?c\.|s\.\s?a\.\s?s\.|aps|a/s|i/s|k/s|p/s|ivs|a\.m\.b\.a\.|co\.)$",
    )
    .expect("valid regex")
});

/// Whether `next` continues a `Name:` value printed over two lines ("Name: MVM Musterhafter" /
/// "Versicherungsverein Musterstadt a.G.", "Name: Herrn" / "Max Mustermann"). In the explicit
/// `Field: value` layout every new field has its own label, so an unlabelled, name-like line
/// without digits right after the name is its second half. A name that already ends in a legal
/// form ("… GmbH") is complete.
fn continues_name(value: &str, next: &str) -> bool {
    !LEGAL_FORM_END.is_match(value)
        && looks_like_name(next)
        && !next.chars().any(|c| c.is_ascii_digit())
        && next.chars().count() <= 60
}

/// The name in a party block that starts at `label_line`: the rest of the label line after a
/// colon, a `Name:` line, or the first line that looks like a name.
fn name_in_block(lines: &[&str], label_line: usize, label_end: usize) -> Option<String> {
    let rest = lines[label_line][label_end..].trim();
    if let Some(value) = rest.strip_prefix(':').map(str::trim) {
        if looks_like_name(value) {
            return Some(value.to_owned());
        }
    } else if !rest.is_empty() {
        // "Kunde seit 2019": the word was not a block label.
        return None;
    }
    for (offset, line) in lines.iter().enumerate().skip(label_line + 1).take(4) {
        if let Some(found) = NAME_PREFIX.find(line) {
            let value = line[found.end()..].trim();
            if !value.is_empty() {
                return Some(match lines.get(offset + 1) {
                    Some(next) if continues_name(value, next) => format!("{value} {next}"),
                    _ => value.to_owned(),
                });
            }
        }
        if line.contains(':') {
            continue;
        }
        if looks_like_name(line) {
            return Some((*line).to_owned());
        }
        break;
    }
    None
}

/// The buyer's name and the line index of the buyer's block.
pub(crate) fn find_customer(lines: &[&str]) -> Option<(String, usize)> {
    for (index, line) in lines.iter().enumerate() {
        for label in find_labels(line) {
            if label.kind == LabelKind::Customer && label.start == 0 {
                if let Some(name) = name_in_block(lines, index, label.end) {
                    return Some((name, index));
                }
            }
        }
    }
    None
}

/// Confidence of a supplier name with corroboration: it ends in a legal form and is printed
/// more than once (letterhead, sender line, footer).
pub(crate) const CORROBORATED_NAME: f32 = 0.7;

/// A document title printed on the same line as the letterhead name ("De Boer B.V.   FACTUUR").
static TRAILING_TITLE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\s+(?:tax\s+)?(?:invoice|factuur|rechnung|faktura|fattura|facture|credit\s*note|creditnota|gutschrift|kreditnota|nota\s+di\s+credito|avoir)\b.*$",
    )
    .expect("valid regex")
});

/// Name candidates of a line: the line itself, and the first segment of a "Name · street · city"
/// sender or footer line.
fn name_candidates(line: &str) -> Vec<String> {
    let mut candidates = Vec::new();
    let whole = TRAILING_TITLE.replace(line, "").trim().to_owned();
    if looks_like_name(&whole) {
        candidates.push(whole);
    }
    if let Some((first, _)) = line.split_once(['·', '|', '•']) {
        let first = first.trim();
        if looks_like_name(first) {
            candidates.push(first.to_owned());
        }
    }
    candidates
}

/// The supplier's name: under a seller label, else the best-supported name-like line. A name
/// gains support from ending in a legal form ("GmbH", "B.V.") and from being printed again in
/// the sender line or footer; ties go to the one nearest the top, where letterheads start.
/// Lines of the customer block and the customer's name itself are skipped.
pub(crate) fn find_supplier(
    lines: &[&str],
    customer_block: Option<usize>,
) -> Option<(String, f32)> {
    for (index, line) in lines.iter().enumerate() {
        for label in find_labels(line) {
            if label.kind == LabelKind::Supplier && label.start == 0 {
                if let Some(name) = name_in_block(lines, index, label.end) {
                    return Some((name, LABELLED_NAME));
                }
            }
        }
    }
    let customer_name = customer_block.and_then(|_| find_customer(lines).map(|(name, _)| name));
    let outside_customer_block =
        |index: usize| customer_block.is_none_or(|block| index < block || index > block + 4);
    let mut best: Option<(i32, usize, String, bool)> = None;
    for (index, line) in lines.iter().enumerate().take(15) {
        if !outside_customer_block(index) {
            continue;
        }
        for candidate in name_candidates(line) {
            if customer_name.as_deref() == Some(candidate.as_str()) {
                continue;
            }
            let legal_form = LEGAL_FORM_END.is_match(&candidate);
            let repeats = lines
                .iter()
                .enumerate()
                .filter(|(other, text)| *other != index && text.contains(candidate.as_str()))
                .count();
            let score = i32::from(legal_form) * 2 + i32::try_from(repeats.min(2)).unwrap_or(2);
            let corroborated = legal_form && repeats > 0;
            if best
                .as_ref()
                .is_none_or(|(best_score, ..)| score > *best_score)
            {
                best = Some((score, index, candidate, corroborated));
            }
        }
    }
    best.map(|(_, _, name, corroborated)| {
        let confidence = if corroborated {
            CORROBORATED_NAME
        } else {
            FIRST_LINE_NAME
        };
        (name, confidence)
    })
}

/// Confidence of a customer name read from an unlabelled address block.
pub(crate) const ADDRESS_BLOCK_NAME: f32 = 0.4;

/// A postcode line: "2611 GP Delft", "20095 Hamburg", "75011 Paris", "M1 2HF", "DK-2100 København".
static POSTCODE_LINE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:[A-Z]{1,2}-)?\d{4,5}(?:\s?[A-Z]{2})?\s+\p{L}|^[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b|\s[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}$",
    )
    .expect("valid regex")
});

/// The customer's name when no label announces it: the first name-like line near the top that
/// opens an address block (a postcode line follows within three lines) and is not the
/// supplier's name or part of the supplier's letterhead block.
pub(crate) fn find_unlabelled_customer(lines: &[&str], supplier: Option<&str>) -> Option<String> {
    let supplier_line = supplier.and_then(|name| lines.iter().position(|line| line.contains(name)));
    lines
        .iter()
        .enumerate()
        .take(25)
        .filter(|(index, _)| supplier_line.is_none_or(|at| *index > at + 4 || *index < at))
        .find_map(|(index, line)| {
            let name = TRAILING_TITLE.replace(line, "").trim().to_owned();
            let opens_address = lines
                .iter()
                .skip(index + 1)
                .take(3)
                .any(|next| POSTCODE_LINE.is_match(next));
            (looks_like_name(&name)
                && opens_address
                && supplier.is_none_or(|supplier| {
                    !name.contains(supplier) && !supplier.contains(name.as_str())
                }))
            .then_some(name)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_and_tax_lines_are_not_names() {
        let lines = [
            "Invoice 103767",
            "Weltweit Bank IBAN SWIFT Code Giro No.",
            "DE777777777 Hamburg",
            "Cronus GmbH",
        ];
        assert_eq!(
            find_supplier(&lines, None).map(|(name, _)| name).as_deref(),
            Some("Cronus GmbH")
        );
    }

    #[test]
    fn joins_a_name_printed_over_two_lines() {
        let lines = [
            "Verkäufer",
            "Name: MVM Musterhafter",
            "Versicherungsverein Musterstadt a.G.",
            "Anschrift: Musterstr. 12",
        ];
        assert_eq!(
            find_supplier(&lines, None).map(|(name, _)| name).as_deref(),
            Some("MVM Musterhafter Versicherungsverein Musterstadt a.G.")
        );
        let complete = [
            "Verkäufer",
            "Name: Grundbesitz GmbH",
            "Hauptstraße",
            "DE 75645",
        ];
        assert_eq!(
            find_supplier(&complete, None)
                .map(|(name, _)| name)
                .as_deref(),
            Some("Grundbesitz GmbH")
        );
        let street = ["Käufer", "Name: Herrn", "Musterstr. 11"];
        assert_eq!(
            find_customer(&street).map(|(name, _)| name).as_deref(),
            Some("Herrn")
        );
    }
}
