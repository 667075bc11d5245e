//! Dates as printed on European invoices.
//!
//! Numeric dates are day-first (`21.11.2026`, `21-11-2026`, `21/11/2026`), except ISO
//! `2026-11-21`. Month names are read in English, Dutch, German, Danish, Italian and French, in
//! full or abbreviated (`21 novembre 2026`, `21. November 2026`, `November 21, 2026`,
//! `21 Nov 2026`). Impossible dates (`31.02.2026`) are not dates.

use chrono::NaiveDate;
use std::sync::LazyLock;

/// One date found in a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DateMatch {
    pub(crate) date: NaiveDate,
    /// Byte range in the line.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Two-digit years are a guess at the century.
    pub(crate) two_digit_year: bool,
}

/// Month names and abbreviations, lowercase, in the six languages.
const MONTHS: &[(&str, u32)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("juni", 6),
    ("juli", 7),
    ("augustus", 8),
    ("oktober", 10),
    ("mrt", 3),
    ("okt", 10),
    // German
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("mär", 3),
    ("mai", 5),
    ("dezember", 12),
    ("dez", 12),
    // Danish
    ("marts", 3),
    ("maj", 5),
    // Italian
    ("gennaio", 1),
    ("febbraio", 2),
    ("marzo", 3),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("agosto", 8),
    ("settembre", 9),
    ("ottobre", 10),
    ("novembre", 11),
    ("dicembre", 12),
    ("gen", 1),
    ("mag", 5),
    ("giu", 6),
    ("lug", 7),
    ("ago", 8),
    ("set", 9),
    ("ott", 10),
    ("dic", 12),
    // French
    ("janvier", 1),
    ("février", 2),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("décembre", 12),
    ("decembre", 12),
    ("janv", 1),
    ("févr", 2),
    ("fevr", 2),
    ("avr", 4),
    ("juil", 7),
    ("déc", 12),
];

fn month_number(name: &str) -> Option<u32> {
    let name = name.trim_end_matches('.').to_lowercase();
    MONTHS
        .iter()
        .find(|(month, _)| *month == name)
        .map(|(_, number)| *number)
}

static NUMERIC_DAY_FIRST: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\b(\d{1,2})([./-])(\d{1,2})([./-])(\d{4}|\d{2})\b").expect("valid regex")
});
static ISO: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b").expect("valid regex"));
static DAY_MONTH_NAME: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)\b(\d{1,2})(?:\.|er|st|nd|rd|th)?[\s\u{a0}-]*(?:de\s+)?(\p{L}{3,10}\.?)[\s\u{a0},-]*(\d{4})\b")
        .expect("valid regex")
});
static MONTH_NAME_DAY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(\p{L}{3,10}\.?)[\s\u{a0}]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\u{a0}]+(\d{4})\b",
    )
    .expect("valid regex")
});

fn plausible_year(year: i32) -> bool {
    (1990..=2100).contains(&year)
}

/// All dates in `line`, in order, without overlaps.
pub(crate) fn find_dates(line: &str) -> Vec<DateMatch> {
    let mut found: Vec<DateMatch> = Vec::new();
    // Every pattern ends here: a real calendar day in a plausible year, not overlapping a date
    // already found.
    let mut push = |year: i32, month: u32, day: u32, whole: regex::Match, two_digit_year: bool| {
        let Some(date) = NaiveDate::from_ymd_opt(year, month, day).filter(|_| plausible_year(year))
        else {
            return;
        };
        let candidate = DateMatch {
            date,
            start: whole.start(),
            end: whole.end(),
            two_digit_year,
        };
        if !found
            .iter()
            .any(|other| candidate.start < other.end && other.start < candidate.end)
        {
            found.push(candidate);
        }
    };
    for captures in ISO.captures_iter(line) {
        let whole = captures.get(0).expect("group 0 exists");
        let year = captures[1].parse().unwrap_or(0);
        let month = captures[2].parse().unwrap_or(0);
        let day = captures[3].parse().unwrap_or(0);
        push(year, month, day, whole, false);
    }
    for captures in NUMERIC_DAY_FIRST.captures_iter(line) {
        let whole = captures.get(0).expect("group 0 exists");
        if captures[2] != captures[4] {
            continue;
        }
        // A date glued to more digits or separators is part of something else (an identifier,
        // a version, a longer number).
        let after = line[whole.end()..].chars().next();
        if after.is_some_and(|c| {
            c.is_ascii_digit()
                || matches!(c, '.' | '/' | '-')
                    && line[whole.end() + 1..].starts_with(|c: char| c.is_ascii_digit())
        }) {
            continue;
        }
        let day = captures[1].parse().unwrap_or(0);
        let month = captures[3].parse().unwrap_or(0);
        let year_text = &captures[5];
        let two_digit_year = year_text.len() == 2;
        let year: i32 = year_text.parse().unwrap_or(0);
        let year = if two_digit_year { 2000 + year } else { year };
        push(year, month, day, whole, two_digit_year);
    }
    for captures in DAY_MONTH_NAME.captures_iter(line) {
        let whole = captures.get(0).expect("group 0 exists");
        let Some(month) = month_number(&captures[2]) else {
            continue;
        };
        let day = captures[1].parse().unwrap_or(0);
        let year = captures[3].parse().unwrap_or(0);
        push(year, month, day, whole, false);
    }
    for captures in MONTH_NAME_DAY.captures_iter(line) {
        let whole = captures.get(0).expect("group 0 exists");
        let Some(month) = month_number(&captures[1]) else {
            continue;
        };
        let day = captures[2].parse().unwrap_or(0);
        let year = captures[3].parse().unwrap_or(0);
        push(year, month, day, whole, false);
    }
    found.sort_by_key(|date| date.start);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(line: &str) -> Vec<NaiveDate> {
        find_dates(line).into_iter().map(|m| m.date).collect()
    }

    fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn reads_european_date_formats() {
        let expected = ymd(2026, 11, 21);
        for text in [
            "21-11-2026",
            "21.11.2026",
            "21/11/2026",
            "2026-11-21",
            "21 novembre 2026",
            "21. November 2026",
            "November 21, 2026",
            "21 Nov 2026",
            "21 nov. 2026",
            "21-Nov-2026",
            "21st November 2026",
            "21 november 2026",
            "21. november 2026",
            "le 21 novembre 2026",
            "21.11.26",
        ] {
            assert_eq!(dates(text), [expected], "{text}");
        }
        assert_eq!(dates("21 décembre 2026"), [ymd(2026, 12, 21)]);
        assert_eq!(dates("3. März 2026"), [ymd(2026, 3, 3)]);
        assert_eq!(dates("1 août 2026"), [ymd(2026, 8, 1)]);
        assert_eq!(dates("15 maggio 2026"), [ymd(2026, 5, 15)]);
        assert_eq!(dates("15. maj 2026"), [ymd(2026, 5, 15)]);
        assert_eq!(dates("15 mei 2026"), [ymd(2026, 5, 15)]);
    }

    #[test]
    fn rejects_impossible_and_foreign_shapes() {
        assert!(dates("31.02.2026").is_empty());
        assert!(dates("31-13-2026").is_empty());
        assert!(dates("2026-02-30").is_empty());
        assert!(dates("Folders 21 stuks 2026").is_empty());
        assert!(dates("version 1.2.3.4").is_empty());
        assert!(dates("21.11.2026.5").is_empty());
    }

    #[test]
    fn finds_several_dates_in_order() {
        let line = "Zahlbar innerhalb 30 Tagen netto bis 04.04.2018, 3% Skonto bis 15.03.2018";
        assert_eq!(dates(line), [ymd(2018, 4, 4), ymd(2018, 3, 15)]);
    }
}
