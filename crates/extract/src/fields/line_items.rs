//! Line items, read from a table in the text layer.
//!
//! A table starts at a header row that names at least a quantity column and a price or amount
//! column ("Bezeichnung Menge Einzelpreis USt. Gesamt", "Description Qty Unit price VAT Amount",
//! "Beschreibung Nettopreis Menge Steuersatz Nettobetrag"). Below it, a row is a line that ends
//! in a run of numbers: the last amount with decimals is the line's net amount, a `%` number is
//! its VAT rate, and quantity and unit price are the two numbers whose product is the net
//! amount. That product is the evidence: without it, quantity and unit price stay `None`
//! rather than being guessed from column positions. The header's column order says which of the
//! two is the quantity. A table ends at the first line with a totals label ("Subtotal",
//! "Nettobetrag", "Total HT"); a header further down (the next page) starts another.
//!
//! Descriptions are the text left of the numbers, as printed; codes in front of them stay.

use super::labels::{LabelKind, LabelMatch};
use super::numbers::{parse_number, NumberStyle};
use rust_decimal::Decimal;
use stapel_domain::InvoiceLine;
use std::sync::LazyLock;

static QUANTITY_HEADER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:menge|anzahl|anz\.|qty|quantity|units|aantal|aant\.|hoeveelheid|qt[ée]|qt[àa]|quantit[àaé]|q\.t[àa]|antal|stk\.?\s*antal|stk\.|m[æa]ngde)(?:\s|$|\.)",
    )
    .expect("valid regex")
});
static PRICE_HEADER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:einzelpreis|e-preis|nettopreis|st[üu]ckpreis|preis(?:/einheit)?|unit\s*price|price|rate|stukprijs|prijs|prix(?:\s+unit(?:aire|\.))?|p\.\s?u\.|prezzo(?:\s+unit(?:ario|\.))?|enhedspris|stykpris|pris)(?:\s|$|\.)",
    )
    .expect("valid regex")
});
static AMOUNT_HEADER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:gesamt(?:preis|betrag)?|nettobetrag|betrag|amount|net|line\s+total|total(?:\s+ht)?|totaal|bedrag(?:\s+excl\.?)?|montant(?:\s+ht)?|importo|imponibile|bel[øo]b|pris\s+i\s+alt|totale|i\s+alt)(?:\s|$|\.)",
    )
    .expect("valid regex")
});

/// The most words a header row has; longer lines are prose that happens to name a column.
const MAX_HEADER_WORDS: usize = 14;

/// The highest standard VAT rate in the EU (Hungary, 27 %).
const MAX_VAT_RATE: Decimal = Decimal::from_parts(27, 0, 0, false, 0);

/// How many lines a header may continue over.
const MAX_HEADER_CONTINUATION: usize = 4;

/// Where a header puts the quantity relative to the unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnOrder {
    QuantityFirst,
    PriceFirst,
}

/// The header's column order, if `line` is a line-item table header.
fn header(line: &str) -> Option<ColumnOrder> {
    if line.split_whitespace().count() > MAX_HEADER_WORDS {
        return None;
    }
    let quantity = QUANTITY_HEADER.find(line)?;
    let price = PRICE_HEADER.find(line);
    let amount = AMOUNT_HEADER.find(line);
    if price.is_none() && amount.is_none() {
        return None;
    }
    Some(match price {
        Some(price) if price.start() < quantity.start() => ColumnOrder::PriceFirst,
        _ => ColumnOrder::QuantityFirst,
    })
}

/// One number of a row's numeric tail; `first..=last` are token indexes (two when a space
/// groups thousands, `1 280,00`).
#[derive(Debug, Clone, Copy)]
struct Number {
    value: Decimal,
    first: usize,
    last: usize,
    has_decimals: bool,
}

fn parse_signed(token: &str, style: NumberStyle) -> Option<(Decimal, bool)> {
    let (negative, digits) = match token.strip_prefix(['-', '−', '–']) {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let digits = digits.strip_suffix('-').unwrap_or(digits);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let value = parse_number(digits, style)?;
    let has_decimals = digits.contains([',', '.']) && value.scale() > 0;
    Some((if negative { -value } else { value }, has_decimals))
}

fn is_currency(token: &str) -> bool {
    matches!(
        token.trim_end_matches('.'),
        "€" | "£" | "$" | "EUR" | "GBP" | "USD" | "CHF" | "DKK" | "SEK" | "NOK" | "kr"
    )
}

/// A unit after a quantity: `Stk`, `m²`, `kg`, `PCE`, `Piece`, `st.`, `uur`, `Tag(e)`.
fn is_unit(token: &str) -> bool {
    let word = token.trim_end_matches('.');
    let length = word.chars().count();
    (1..=6).contains(&length)
        && word.chars().any(char::is_alphabetic)
        && word
            .chars()
            .all(|c| c.is_alphabetic() || "²³()".contains(c))
}

/// The rounding that a printed net amount may differ from quantity × unit price by: a cent,
/// or the rounding of a four-decimal unit price (`3,3333 × 3 = 10,00`).
fn product_matches(quantity: Decimal, price: Decimal, net: Decimal) -> bool {
    // Fifteen-digit numbers multiply past `Decimal`'s range; such a product matches nothing.
    quantity
        .checked_mul(price)
        .and_then(|product| product.checked_sub(net))
        .is_some_and(|difference| difference.abs() <= Decimal::new(1, 2))
}

/// Read one table row; `None` when the line is not a row.
fn row(line: &str, style: NumberStyle, order: ColumnOrder) -> Option<InvoiceLine> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    // The numeric tail: numbers, rates, currency symbols and units after a number.
    let mut tail_start = tokens.len();
    let mut numbers: Vec<Number> = Vec::new();
    let mut rate: Option<Decimal> = None;
    let mut index = tokens.len();
    while index > 0 {
        index -= 1;
        let token = tokens[index];
        if token == "%" {
            tail_start = index;
            continue;
        }
        if is_currency(token) {
            tail_start = index;
            continue;
        }
        let followed_by_percent = tokens.get(index + 1) == Some(&"%");
        if let Some(percent) = token.strip_suffix('%') {
            if let Some((value, _)) = parse_signed(percent, style) {
                rate = rate.or(Some(value));
                tail_start = index;
                continue;
            }
        }
        if let Some((value, has_decimals)) = parse_signed(token, style) {
            if followed_by_percent {
                rate = rate.or(Some(value));
            } else {
                numbers.push(Number {
                    value,
                    first: index,
                    last: index,
                    has_decimals,
                });
            }
            tail_start = index;
            continue;
        }
        let after_number = index > 0 && parse_signed(tokens[index - 1], style).is_some();
        // Units of two words follow the quantity too: "1 a corpo", "2 per stuk".
        let second_word_of_unit = index > 1
            && is_unit(tokens[index - 1])
            && tokens[index - 1].chars().count() <= 3
            && parse_signed(tokens[index - 2], style).is_some();
        if is_unit(token) && (after_number || second_word_of_unit) {
            continue;
        }
        break;
    }
    numbers.reverse();
    // The net amount is the last number, and has decimals; a rate may follow it.
    let net_token = numbers.last()?;
    if !net_token.has_decimals {
        return None;
    }
    // Thousands grouped by a space make two tokens (`1 280,00`); offer the joined reading too.
    let mut readings: Vec<Number> = numbers.clone();
    if style == NumberStyle::DecimalComma {
        for pair in numbers.windows(2) {
            let (left, right) = (pair[0], pair[1]);
            let right_text = tokens[right.first];
            let groupable = right.first == left.last + 1
                && !left.has_decimals
                && tokens[left.first].len() <= 3
                && !tokens[left.first].starts_with('-')
                && right_text
                    .split([',', '.'])
                    .next()
                    .is_some_and(|head| head.len() == 3);
            if groupable {
                if let Some((value, has_decimals)) =
                    parse_signed(&format!("{}{right_text}", tokens[left.first]), style)
                {
                    readings.push(Number {
                        value,
                        first: left.first,
                        last: right.last,
                        has_decimals,
                    });
                }
            }
        }
    }
    let last_token = net_token.last;
    let nets: Vec<Number> = readings
        .iter()
        .filter(|number| number.last == last_token && number.has_decimals)
        .copied()
        .collect();
    // Quantity and price: a pair whose product is the net. Among several, the reading that
    // leaves the fewest numbers of the tail unexplained wins (`1 1 280,00 20 % 1 280,00` is one
    // item at 1 280,00, not 280,00 × 1 with two stray ones), then the pair closest to the net.
    let unexplained = |covered: [&Number; 3]| {
        numbers
            .iter()
            .filter(|number| {
                !covered
                    .iter()
                    .any(|cover| cover.first <= number.first && number.last <= cover.last)
            })
            .count()
    };
    let mut best: Option<(Number, Number, Number)> = None;
    let mut best_rank = (usize::MAX, 0, 0);
    for net in &nets {
        let before: Vec<&Number> = readings
            .iter()
            .filter(|number| number.last < net.first)
            .collect();
        for (position, left) in before.iter().enumerate() {
            for right in before.iter().skip(position + 1) {
                if left.last >= right.first {
                    continue;
                }
                if !product_matches(left.value, right.value, net.value) {
                    continue;
                }
                let rank = (
                    unexplained([left, right, net]),
                    usize::MAX - right.last,
                    usize::MAX - left.last,
                );
                if best.is_none() || rank < best_rank {
                    best_rank = rank;
                    best = Some((**left, **right, *net));
                }
            }
        }
    }
    let (quantity, unit_price, net, description_end) = match best {
        Some((left, right, net)) => {
            let (quantity, price) = match order {
                ColumnOrder::QuantityFirst => (left, right),
                ColumnOrder::PriceFirst => (right, left),
            };
            (
                Some(quantity.value),
                Some(price.value),
                net.value,
                left.first,
            )
        }
        None => {
            // Without the product as evidence, only the net amount is read, and only when the
            // row has at least two more numbers (quantity and price columns) beside it: a bare
            // "95 -5,00 20,00%" is an allowance or a note, not an item.
            // And the net must be the largest of them, as quantity × price is when both are
            // at least one: "(Net): 60,00 PCE 1,00 -1,00" ends in a discount, not a net amount.
            let largest_other = numbers[..numbers.len() - 1]
                .iter()
                .map(|number| number.value.abs())
                .max()
                .unwrap_or_default();
            if numbers.len() < 3 || net_token.value.abs() < largest_other {
                return None;
            }
            (None, None, net_token.value, tail_start)
        }
    };
    // A rate printed without `%` is a whole number between the price and the net ("191.00 19
    // 573.00"), within the range of European VAT rates; only read when the row reconciled.
    let rate = rate.or_else(|| {
        let (_, right, net) = best?;
        numbers
            .iter()
            .filter(|number| number.first > right.last && number.last < net.first)
            .filter(|number| !number.has_decimals)
            .map(|number| number.value)
            .find(|value| *value >= Decimal::ZERO && *value <= MAX_VAT_RATE)
    });
    let description = tokens[..description_end].join(" ");
    Some(InvoiceLine {
        description,
        quantity,
        unit_price,
        net_amount: Some(net),
        vat_rate: rate,
    })
}

/// Whether a line ends a table: a totals label (subtotal, VAT, total, amount due).
fn ends_table(labels: &[LabelMatch]) -> bool {
    labels.iter().any(|label| {
        matches!(
            label.kind,
            LabelKind::NetTotal
                | LabelKind::VatTotal
                | LabelKind::GrossTotal
                | LabelKind::AmountDue
        )
    })
}

/// The line items of every recognisable table in the document.
pub(crate) fn find_line_items(
    lines: &[String],
    labels: &[Vec<LabelMatch>],
    style: NumberStyle,
) -> Vec<InvoiceLine> {
    let mut items = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some(order) = header(&lines[index]) else {
            index += 1;
            continue;
        };
        index += 1;
        // Headers printed over several lines ("Unit Price Excl." / "VAT % Line Amount Excl.
        // VAT"): lines without digits right below the header are more of it, even when they
        // hold words that elsewhere are totals labels.
        let mut continuation = 0;
        while index < lines.len()
            && continuation < MAX_HEADER_CONTINUATION
            && !lines[index].contains(|c: char| c.is_ascii_digit())
        {
            index += 1;
            continuation += 1;
        }
        while index < lines.len() && !ends_table(&labels[index]) {
            if header(&lines[index]).is_some() {
                break;
            }
            if let Some(mut item) = row(&lines[index], style, order) {
                // A row that prints only numbers has its description on the line above
                // ("Mineralwasser Medium" / "5,4900 20 Stk 7 % 109,80").
                if item.description.is_empty() && index > 0 {
                    let above = &lines[index - 1];
                    if row(above, style, order).is_none() && header(above).is_none() {
                        item.description = above.clone();
                    }
                }
                items.push(item);
            }
            index += 1;
        }
    }
    items
}

/// Rows beyond this many are not split by search (2^n subsets).
const MAX_SPLIT_ROWS: usize = 20;

/// The one way to split `nets` into two groups summing to `first` and `second` (true = in the
/// first group), or `None` when there is no such split, more than one, or too many rows.
pub(crate) fn unique_split(nets: &[Decimal], first: Decimal, second: Decimal) -> Option<Vec<bool>> {
    if nets.is_empty() || nets.len() > MAX_SPLIT_ROWS {
        return None;
    }
    let total: Decimal = nets.iter().sum();
    if total != first + second {
        return None;
    }
    let mut found: Option<u32> = None;
    for mask in 0u32..(1u32 << nets.len()) {
        let sum: Decimal = nets
            .iter()
            .enumerate()
            .filter(|(index, _)| mask & (1 << index) != 0)
            .map(|(_, net)| *net)
            .sum();
        if sum == first {
            if found.is_some() {
                return None;
            }
            found = Some(mask);
        }
    }
    let mask = found?;
    Some(
        (0..nets.len())
            .map(|index| mask & (1 << index) != 0)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::labels::find_labels;
    use rust_decimal_macros::dec;

    fn items(text: &str, style: NumberStyle) -> Vec<InvoiceLine> {
        let lines: Vec<String> = text.lines().map(|line| line.trim().to_owned()).collect();
        let labels: Vec<Vec<LabelMatch>> = lines.iter().map(|line| find_labels(line)).collect();
        find_line_items(&lines, &labels, style)
    }

    fn line(
        description: &str,
        quantity: Option<Decimal>,
        unit_price: Option<Decimal>,
        net: Decimal,
        rate: Option<Decimal>,
    ) -> InvoiceLine {
        InvoiceLine {
            description: description.to_owned(),
            quantity,
            unit_price,
            net_amount: Some(net),
            vat_rate: rate,
        }
    }

    #[test]
    fn reads_a_quantity_first_table() {
        let text = "\
Bezeichnung Menge Einzelpreis USt. Gesamt
Bürodrehstuhl „Ergo Plus“, schwarz 4 389,00 19% 1.556,00
Lieferung und Montage 1 120,00 19% 120,00
Nettobetrag 1.676,00 €";
        assert_eq!(
            items(text, NumberStyle::DecimalComma),
            [
                line(
                    "Bürodrehstuhl „Ergo Plus“, schwarz",
                    Some(dec!(4)),
                    Some(dec!(389.00)),
                    dec!(1556.00),
                    Some(dec!(19))
                ),
                line(
                    "Lieferung und Montage",
                    Some(dec!(1)),
                    Some(dec!(120.00)),
                    dec!(120.00),
                    Some(dec!(19))
                ),
            ]
        );
    }

    #[test]
    fn reads_a_price_first_table_with_units_and_codes() {
        let text = "\
Beschreibung Nettopreis Menge Steuersatz Nettobetrag
1 TB100A4
Trennblätter A4 9,9000 20 Stk 19 % 198,00
getLineTradeAgreementBruttopreis : 9,9000
Kunstrasen grün 3m breit 3,3333 3 m² 19 % 10,00
Mineralwasser Medium
5,4900 20 Stk 7 % 109,80
Pfand 2,7700 20 19 % 55,46
Umsatzsteuer S ( ) 275,00 7 19,25";
        let found = items(text, NumberStyle::DecimalComma);
        assert_eq!(
            found,
            [
                line(
                    "Trennblätter A4",
                    Some(dec!(20)),
                    Some(dec!(9.9000)),
                    dec!(198.00),
                    Some(dec!(19))
                ),
                line(
                    "Kunstrasen grün 3m breit",
                    Some(dec!(3)),
                    Some(dec!(3.3333)),
                    dec!(10.00),
                    Some(dec!(19))
                ),
                line(
                    "Mineralwasser Medium",
                    Some(dec!(20)),
                    Some(dec!(5.4900)),
                    dec!(109.80),
                    Some(dec!(7))
                ),
                // 20 × 2,77 is 55,40, not 55,46: no evidence for quantity and price.
                line("Pfand", None, None, dec!(55.46), Some(dec!(19))),
            ]
        );
    }

    #[test]
    fn tells_a_quantity_from_a_space_grouped_price() {
        let text = "\
Désignation Qté Prix unitaire HT TVA Montant HT
Remplacement tableau électrique 1 1 280,00 20 % 1 280,00
Folders A5, 4/4 kleuren, 2.500 st. 1 412,50 21% 412,50
Total HT 1 692,50 €";
        let found = items(text, NumberStyle::DecimalComma);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].quantity, Some(dec!(1)));
        assert_eq!(found[0].unit_price, Some(dec!(1280.00)));
        assert_eq!(found[0].net_amount, Some(dec!(1280.00)));
        assert_eq!(found[0].description, "Remplacement tableau électrique");
        assert_eq!(found[1].quantity, Some(dec!(1)));
        assert_eq!(found[1].unit_price, Some(dec!(412.50)));
        assert_eq!(found[1].description, "Folders A5, 4/4 kleuren, 2.500 st.");
    }

    #[test]
    fn reads_a_rate_without_percent_sign_and_negative_rows() {
        let text = "\
Date Quantity Unit Price Excl. VAT %
blau 3 Piece 191.00 19 573.00
Subtotal 573.00";
        let found = items(text, NumberStyle::DecimalPoint);
        assert_eq!(
            found,
            [line(
                "blau",
                Some(dec!(3)),
                Some(dec!(191.00)),
                dec!(573.00),
                Some(dec!(19))
            )]
        );
        let credit =
            "Description Qty Unit price Amount\nReturned chairs -2 50.00 -100.00\nTotal -100.00";
        let found = items(credit, NumberStyle::DecimalPoint);
        assert_eq!(found[0].quantity, Some(dec!(-2)));
        assert_eq!(found[0].net_amount, Some(dec!(-100.00)));
    }

    #[test]
    fn reads_headers_over_several_lines() {
        let text = "\
No. Description Shipment
Date Quantity Unit Price Excl.
VAT VAT % Line Amount Excl. VAT
1908-S LONDON Schreibtischstuhl,
blau 02/17/26 3 Piece 191.00 19 573.00
Subtotal 573.00";
        let found = items(text, NumberStyle::DecimalPoint);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].net_amount, Some(dec!(573.00)));
        let rental = "Beschreibung Nettopreis Menge Steuersatz Nettobetrag\nMiettage 86,5500 2 Tag(e) 19 % 173,10\n95 -5,00 20,00%";
        let found = items(rental, NumberStyle::DecimalComma);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].quantity, Some(dec!(2)));
        assert_eq!(found[0].unit_price, Some(dec!(86.5500)));
    }

    #[test]
    fn survives_numbers_too_large_to_multiply() {
        let text = "Qty Amount\nx 999999999999999 999999999999999 999999999999999,99";
        assert!(items(text, NumberStyle::DecimalComma).len() <= 1);
    }

    #[test]
    fn ignores_prose_and_lines_outside_tables() {
        let text = "Folders 1 412,50 21% 412,50\nQty Amount\nTotal 412,50\nFolders 1 412,50";
        assert!(items(text, NumberStyle::DecimalComma).is_empty());
        // No product as evidence and the last number is not the largest: a discount column.
        let discount = "P.U. Qté Remise\n(Net): 60,00 PCE 1,00 -1,00 (RE)\nTotal HT 59,00";
        assert!(items(discount, NumberStyle::DecimalComma).is_empty());
    }
}
