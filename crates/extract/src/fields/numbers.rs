//! Amounts as printed on European invoices, parsed into [`Decimal`] (never floating point).
//!
//! # Which character is the decimal separator
//!
//! A token decides for itself when it can:
//!
//! - With both `.` and `,` (`1.234,56`, `1,234.56`), the last one is the decimal separator.
//! - A separator repeated (`1.234.567`), an apostrophe (`1'234.56`) or a space (`1 234,56`) groups
//!   thousands.
//! - A single separator followed by 1, 2 or 4 digits (`12,5`, `12.50`, `9,9000`) is decimal.
//!
//! Only a single separator followed by exactly three digits (`1.234`, `1,234`) is ambiguous. For
//! those the document decides: [`NumberStyle::detect`] counts the unambiguous two-decimal amounts
//! of the whole text. If the ambiguous separator is the document's decimal separator, the token is
//! read as a decimal (`1.234` in an English invoice is 1.234); otherwise, and when the document
//! gives no evidence, it is a thousands separator (money is rarely printed with three decimals).
//!
//! Space-grouped thousands (`1 234,56`, with a normal, no-break, narrow or thin space) are only
//! read in documents whose decimal separator is the comma, where that style is common; in an
//! English table `2 950.00` is a quantity followed by a price.

use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::LazyLock;

/// Which decimal separator a document uses, judged from its unambiguous amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberStyle {
    /// `1.234,56`: most of continental Europe.
    DecimalComma,
    /// `1,234.56`: English, and Swiss with apostrophes.
    DecimalPoint,
    /// No amount with two decimals was found.
    Unknown,
}

impl NumberStyle {
    /// Count amounts whose decimal separator is certain and take the majority. `text` should
    /// have dates masked out, or `21.11.2026` would count as a decimal point.
    pub(crate) fn detect(text: &str) -> NumberStyle {
        static TWO_DECIMALS: LazyLock<regex::Regex> =
            LazyLock::new(|| regex::Regex::new(r"\d([.,])\d{2}(?:[^\d]|$)").expect("valid regex"));
        let mut commas = 0usize;
        let mut points = 0usize;
        for captures in TWO_DECIMALS.captures_iter(text) {
            match &captures[1] {
                "," => commas += 1,
                _ => points += 1,
            }
        }
        match commas.cmp(&points) {
            std::cmp::Ordering::Greater => NumberStyle::DecimalComma,
            std::cmp::Ordering::Less => NumberStyle::DecimalPoint,
            std::cmp::Ordering::Equal => NumberStyle::Unknown,
        }
    }

    fn decimal_separator(self) -> Option<char> {
        match self {
            NumberStyle::DecimalComma => Some(','),
            NumberStyle::DecimalPoint => Some('.'),
            NumberStyle::Unknown => None,
        }
    }
}

/// One amount found in a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AmountMatch {
    /// The value, negative when printed with a leading or trailing minus.
    pub(crate) value: Decimal,
    /// Byte range in the line.
    pub(crate) start: usize,
    /// End of the byte range in the line.
    pub(crate) end: usize,
    /// ISO code of a currency symbol or code printed next to the number.
    pub(crate) currency: Option<&'static str>,
    /// Whether the number had a decimal part; bare integers are often quantities or rates.
    pub(crate) has_decimals: bool,
}

/// A number directly followed by `%`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PercentMatch {
    pub(crate) value: Decimal,
}

const SPACES: [char; 4] = [' ', '\u{a0}', '\u{202f}', '\u{2009}'];

/// The amount pattern; `{grouping}` is the set of thousands separators the document allows.
const AMOUNT_PATTERN: &str = r"(?x)
    (?P<minus1>[-−–]\s?)?
    (?:(?P<cur1>€|£|\$|CHF|EUR|GBP|USD|DKK|SEK|NOK|PLN|CZK|HUF|kr\.?)[\s\u{a0}]?)?
    (?P<minus2>[-−][\s\u{a0}]?)?
    (?P<number>
        \d{1,3}(?:{grouping}\d{3})+(?:[.,]\d{1,4})?
      | \d+(?:[.,]\d{1,4})?
    )
    (?P<minus3>-)?
    (?:[\s\u{a0}]?(?P<cur2>€|£|CHF|EUR|GBP|USD|DKK|SEK|NOK|PLN|CZK|HUF|kr\.?|DM))?
    ";

fn amount_regex(grouping: &str) -> regex::Regex {
    regex::Regex::new(&AMOUNT_PATTERN.replace("{grouping}", grouping)).expect("valid regex")
}

/// Amounts in documents with a decimal comma: spaces may group thousands.
static AMOUNT_SPACE_GROUPING: LazyLock<regex::Regex> =
    LazyLock::new(|| amount_regex(r"(?:[.,'’]|[\ \u{a0}\u{202f}\u{2009}])"));
/// Amounts elsewhere: `2 950.00` is two numbers.
static AMOUNT: LazyLock<regex::Regex> = LazyLock::new(|| amount_regex(r"[.,'’]"));

/// The ISO code for a currency symbol or code as printed (`€` → `EUR`).
pub(crate) fn currency_code(symbol: &str) -> Option<&'static str> {
    Some(match symbol.trim_end_matches('.') {
        "€" | "EUR" => "EUR",
        "£" | "GBP" => "GBP",
        "$" | "USD" => "USD",
        "CHF" => "CHF",
        "DKK" => "DKK",
        "SEK" => "SEK",
        "NOK" => "NOK",
        "PLN" => "PLN",
        "CZK" => "CZK",
        "HUF" => "HUF",
        // "kr" is Danish, Swedish or Norwegian; the caller resolves it from other evidence.
        "kr" => "kr",
        _ => return None,
    })
}

/// Find the amounts in `line`. Numbers followed by `%` are rates, not amounts, and are returned
/// separately. Spans already blanked (dates, identifiers) should be masked by the caller.
pub(crate) fn find_amounts(
    line: &str,
    style: NumberStyle,
) -> (Vec<AmountMatch>, Vec<PercentMatch>) {
    let mut amounts = Vec::new();
    let mut percents = Vec::new();
    let regex = match style {
        NumberStyle::DecimalComma => &*AMOUNT_SPACE_GROUPING,
        NumberStyle::DecimalPoint | NumberStyle::Unknown => &*AMOUNT,
    };
    let mut search_from = 0;
    while search_from < line.len() {
        let Some(captures) = regex.captures_at(line, search_from) else {
            break;
        };
        let whole = captures.get(0).expect("group 0 exists");
        let number = captures.name("number").expect("number is not optional");
        search_from = whole.end().max(search_from + 1);
        while !line.is_char_boundary(search_from) && search_from < line.len() {
            search_from += 1;
        }
        // A number glued to letters or to other digits is part of an identifier (`NL20`, `A4`,
        // `2026/0457`), not an amount.
        let before = line[..whole.start()].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | ',' | '_')) {
            continue;
        }
        let after_text = &line[whole.end()..];
        let after = after_text.chars().next();
        if after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '_')) {
            continue;
        }
        if matches!(after, Some('.' | ','))
            && after_text[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        let Some(mut value) = parse_number(number.as_str(), style) else {
            continue;
        };
        if after_text.trim_start_matches(SPACES).starts_with('%') {
            percents.push(PercentMatch { value });
            continue;
        }
        let negative = captures.name("minus1").is_some()
            || captures.name("minus2").is_some()
            || captures.name("minus3").is_some();
        if negative {
            value = -value;
        }
        let currency = captures
            .name("cur1")
            .or_else(|| captures.name("cur2"))
            .and_then(|symbol| currency_code(symbol.as_str()));
        let has_decimals = number.as_str().contains([',', '.'])
            && decimal_part_len(number.as_str(), style).is_some_and(|digits| digits > 0);
        amounts.push(AmountMatch {
            value,
            start: whole.start(),
            end: whole.end(),
            currency,
            has_decimals,
        });
    }
    (amounts, percents)
}

/// How many digits follow the decimal separator, per the rules in the module docs.
fn decimal_part_len(token: &str, style: NumberStyle) -> Option<usize> {
    let (_, decimals) = split_number(token, style)?;
    Some(decimals.len())
}

/// Parse one number token (no sign, no currency) per the rules in the module docs.
pub(crate) fn parse_number(token: &str, style: NumberStyle) -> Option<Decimal> {
    let (integer, decimals) = split_number(token, style)?;
    if integer.is_empty() || integer.len() > 15 || decimals.len() > 6 {
        return None;
    }
    let text = if decimals.is_empty() {
        integer
    } else {
        format!("{integer}.{decimals}")
    };
    Decimal::from_str(&text).ok()
}

/// Split a token into integer digits (grouping removed) and decimal digits.
fn split_number(token: &str, style: NumberStyle) -> Option<(String, String)> {
    let separators: Vec<(usize, char)> = token
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_digit())
        .collect();
    if token
        .chars()
        .any(|c| !c.is_ascii_digit() && !is_separator(c))
    {
        return None;
    }
    let digits_only = |text: &str| {
        text.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };
    let Some(&(last_index, last)) = separators.last() else {
        return Some((token.to_owned(), String::new()));
    };
    let tail = &token[last_index + last.len_utf8()..];
    let head = &token[..last_index];
    let grouping_chars: Vec<char> = separators[..separators.len() - 1]
        .iter()
        .map(|(_, c)| *c)
        .collect();
    let space_grouping_allowed = style == NumberStyle::DecimalComma;
    let is_space = |c: char| SPACES.contains(&c);
    if grouping_chars.iter().any(|c| is_space(*c)) && !space_grouping_allowed {
        return None;
    }
    if !grouping_chars.is_empty() {
        // Several separators: all but the last must be one grouping character.
        let first = grouping_chars[0];
        if grouping_chars.iter().any(|c| !same_grouping(*c, first)) {
            return None;
        }
        if same_grouping(last, first) {
            // `1.234.567`: all grouping, the last group must have three digits.
            return (tail.len() == 3).then(|| (digits_only(token), String::new()));
        }
        if is_space(last) || matches!(last, '\'' | '’') {
            return None;
        }
        return Some((digits_only(head), tail.to_owned()));
    }
    // Exactly one separator.
    if is_space(last) {
        return (space_grouping_allowed && tail.len() == 3)
            .then(|| (digits_only(token), String::new()));
    }
    if matches!(last, '\'' | '’') {
        return (tail.len() == 3).then(|| (digits_only(token), String::new()));
    }
    if tail.len() == 3 {
        // The ambiguous case: `1.234` or `1,234`.
        if style.decimal_separator() == Some(last) {
            return Some((head.to_owned(), tail.to_owned()));
        }
        return Some((digits_only(token), String::new()));
    }
    Some((head.to_owned(), tail.to_owned()))
}

fn is_separator(c: char) -> bool {
    matches!(c, '.' | ',' | '\'' | '’') || SPACES.contains(&c)
}

fn same_grouping(a: char, b: char) -> bool {
    a == b || (SPACES.contains(&a) && SPACES.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn amounts(line: &str, style: NumberStyle) -> Vec<Decimal> {
        find_amounts(line, style)
            .0
            .into_iter()
            .map(|m| m.value)
            .collect()
    }

    #[test]
    fn parses_european_number_formats() {
        use NumberStyle::*;
        let cases = [
            ("1.234,56", Unknown, dec!(1234.56)),
            ("1 234,56", DecimalComma, dec!(1234.56)),
            ("1\u{a0}234,56", DecimalComma, dec!(1234.56)),
            ("1\u{202f}234,56", DecimalComma, dec!(1234.56)),
            ("1\u{2009}234,56", DecimalComma, dec!(1234.56)),
            ("1'234.56", Unknown, dec!(1234.56)),
            ("1’234.56", Unknown, dec!(1234.56)),
            ("1,234.56", Unknown, dec!(1234.56)),
            ("1234.56", Unknown, dec!(1234.56)),
            ("1234,56", Unknown, dec!(1234.56)),
            ("1.234.567,89", Unknown, dec!(1234567.89)),
            ("1,234,567", Unknown, dec!(1234567)),
            ("9,9000", Unknown, dec!(9.9000)),
            ("12,5", Unknown, dec!(12.5)),
            ("1.234", DecimalComma, dec!(1234)),
            ("1.234", Unknown, dec!(1234)),
            ("1.234", DecimalPoint, dec!(1.234)),
            ("1,234", DecimalComma, dec!(1.234)),
            ("1,234", DecimalPoint, dec!(1234)),
        ];
        for (token, style, expected) in cases {
            assert_eq!(
                parse_number(token, style),
                Some(expected),
                "{token} {style:?}"
            );
        }
        assert_eq!(parse_number("1 234,56", DecimalPoint), None);
        assert_eq!(parse_number("1.23.4", Unknown), None);
        assert_eq!(parse_number("1,234.567.8", Unknown), None);
    }

    #[test]
    fn finds_signed_amounts_with_currencies() {
        use NumberStyle::*;
        assert_eq!(amounts("Totaal € 1.234,56", DecimalComma), [dec!(1234.56)]);
        assert_eq!(amounts("Total 1 655,00 €", DecimalComma), [dec!(1655.00)]);
        assert_eq!(amounts("Korrektur -12,50", DecimalComma), [dec!(-12.50)]);
        assert_eq!(amounts("Korrektur 12,50-", DecimalComma), [dec!(-12.50)]);
        assert_eq!(amounts("Refund € -12,50", DecimalComma), [dec!(-12.50)]);
        assert_eq!(amounts("Total CHF 1'234.50", DecimalPoint), [dec!(1234.50)]);
        assert_eq!(amounts("I alt 3.581,25 kr.", DecimalComma), [dec!(3581.25)]);
        let (found, percents) = find_amounts("VAT 20% £ 707.28", DecimalPoint);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].value, dec!(707.28));
        assert_eq!(found[0].currency, Some("GBP"));
        assert_eq!(percents, [PercentMatch { value: dec!(20) }]);
        assert_eq!(amounts("TVA 5,5 % 11,00 €", DecimalComma), [dec!(11.00)]);
        // Identifiers are not amounts.
        assert!(amounts("IBAN NL20 INGB 0001 2345 67", DecimalComma)
            .iter()
            .all(|v| *v != dec!(20)));
        assert_eq!(
            amounts("Folder A5 FT 2026/0457", DecimalComma),
            Vec::<Decimal>::new()
        );
        // English table row: quantity then price, not 2950.
        assert_eq!(
            amounts("workshop 2 950.00", DecimalPoint),
            [dec!(2), dec!(950.00)]
        );
    }

    #[test]
    fn detects_the_document_number_style() {
        assert_eq!(
            NumberStyle::detect("Total 1.234,56 VAT 12,00"),
            NumberStyle::DecimalComma
        );
        assert_eq!(
            NumberStyle::detect("Total 1,234.56 VAT 12.00"),
            NumberStyle::DecimalPoint
        );
        assert_eq!(NumberStyle::detect("no amounts"), NumberStyle::Unknown);
    }
}
