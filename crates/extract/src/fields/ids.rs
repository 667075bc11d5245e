//! Identifiers: EU VAT numbers and IBANs, found even when printed with spaces or dots.

use std::sync::LazyLock;

/// An identifier found in a line, normalised (no spaces or dots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdMatch {
    pub(crate) value: String,
    /// Byte range in the line.
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The shape of a VAT number after its country prefix, per country.
const VAT_ID_SHAPES: &[(&str, &str)] = &[
    ("AT", r"U\d{8}"),
    ("BE", r"[01]\d{9}"),
    ("BG", r"\d{9,10}"),
    ("CY", r"\d{8}[A-Z]"),
    ("CZ", r"\d{8,10}"),
    ("DE", r"\d{9}"),
    ("DK", r"\d{8}"),
    ("EE", r"\d{9}"),
    ("EL", r"\d{9}"),
    ("ES", r"[0-9A-Z]\d{7}[0-9A-Z]"),
    ("FI", r"\d{8}"),
    ("FR", r"[0-9A-HJ-NP-Z]{2}\d{9}"),
    ("GB", r"\d{9}|\d{12}|GD\d{3}|HA\d{3}"),
    ("HR", r"\d{11}"),
    ("HU", r"\d{8}"),
    ("IE", r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]"),
    ("IT", r"\d{11}"),
    ("LT", r"\d{9}|\d{12}"),
    ("LU", r"\d{8}"),
    ("LV", r"\d{11}"),
    ("MT", r"\d{8}"),
    ("NL", r"\d{9}B\d{2}"),
    ("PL", r"\d{10}"),
    ("PT", r"\d{9}"),
    ("RO", r"\d{2,10}"),
    ("SE", r"\d{10}01"),
    ("SI", r"\d{8}"),
    ("SK", r"\d{10}"),
    ("XI", r"\d{9}|\d{12}"),
];

static VAT_ID_SHAPE_REGEXES: LazyLock<Vec<(&'static str, regex::Regex)>> = LazyLock::new(|| {
    VAT_ID_SHAPES
        .iter()
        .map(|(country, shape)| {
            let regex = regex::Regex::new(&format!("^(?:{shape})$")).expect("valid regex");
            (*country, regex)
        })
        .collect()
});

static VAT_ID_START: LazyLock<regex::Regex> = LazyLock::new(|| {
    let countries: Vec<&str> = VAT_ID_SHAPES.iter().map(|(country, _)| *country).collect();
    regex::Regex::new(&format!(r"\b({})[\s.\-]?[0-9U]", countries.join("|"))).expect("valid regex")
});

/// IBAN lengths per country (ISO 13616 registry), for the countries stapel sees most.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
];

static IBAN_START: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\b[A-Z]{2}\d{2}[\s\u{a0}]?[0-9A-Z]").expect("valid regex")
});

/// Collect up to `max` alphanumeric characters from `text`, skipping single spaces, dots and
/// dashes between them; returns the characters with the byte offset just after each.
fn collect_alphanumerics(text: &str, max: usize, separators: &[char]) -> Vec<(char, usize)> {
    let mut collected = Vec::new();
    let mut previous_was_separator = false;
    for (index, character) in text.char_indices() {
        if character.is_ascii_alphanumeric() {
            collected.push((character.to_ascii_uppercase(), index + 1));
            previous_was_separator = false;
            if collected.len() == max {
                break;
            }
        } else if separators.contains(&character) && !previous_was_separator {
            previous_was_separator = true;
        } else {
            break;
        }
    }
    collected
}

/// EU VAT numbers in `line`, normalised to `CC` + number (`BE 0123.456.749` → `BE0123456749`).
pub(crate) fn find_vat_ids(line: &str) -> Vec<IdMatch> {
    let mut found = Vec::new();
    for captures in VAT_ID_START.captures_iter(line) {
        let start = captures.get(0).expect("group 0 exists").start();
        let country = &captures[1];
        let Some((_, shape)) = VAT_ID_SHAPE_REGEXES
            .iter()
            .find(|(code, _)| *code == country)
        else {
            continue;
        };
        let rest_start = start + country.len();
        let characters = collect_alphanumerics(&line[rest_start..], 14, &[' ', '.', '-', '\u{a0}']);
        // The longest prefix that has the country's shape and ends where a group ends.
        let mut best = None;
        let mut number = String::new();
        for (index, (character, end)) in characters.iter().enumerate() {
            number.push(*character);
            let ends_group = characters
                .get(index + 1)
                .is_none_or(|(_, next_end)| *next_end != end + 1);
            if ends_group && shape.is_match(&number) {
                best = Some((number.clone(), rest_start + end));
            }
        }
        if let Some((number, end)) = best {
            found.push(IdMatch {
                value: format!("{country}{number}"),
                start,
                end,
            });
        }
    }
    found
}

/// Whether a VAT number (country prefix and number, normalised) passes its country's check-digit
/// rule; `None` for countries whose rule is not implemented here (their shape still counts).
pub(crate) fn vat_checksum(vat_id: &str) -> Option<bool> {
    let (country, number) = vat_id.split_at_checked(2)?;
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    let all_digits = digits.len() == number.len();
    match country {
        // ISO 7064 MOD 11,10.
        "DE" if all_digits && digits.len() == 9 => {
            let mut product = 10;
            for digit in &digits[..8] {
                let mut sum = (digit + product) % 10;
                if sum == 0 {
                    sum = 10;
                }
                product = (2 * sum) % 11;
            }
            let check = (11 - product) % 10;
            Some(check == digits[8])
        }
        // Weighted mod 11 (9..2, then −1) for companies; mod 97 over the whole id for the
        // sole-trader numbers issued since 2020.
        "NL" if number.len() == 12 && number.as_bytes()[9] == b'B' => {
            let nine: Vec<u32> = number[..9].chars().filter_map(|c| c.to_digit(10)).collect();
            if nine.len() != 9 {
                return Some(false);
            }
            let weighted: i64 = nine[..8]
                .iter()
                .zip((2..=9).rev())
                .map(|(digit, weight)| i64::from(*digit) * weight)
                .sum::<i64>()
                - i64::from(nine[8]);
            Some(weighted % 11 == 0 || mod97_of_alphanumeric(vat_id) == Some(1))
        }
        "DK" if all_digits && digits.len() == 8 => {
            let weights = [2, 7, 6, 5, 4, 3, 2, 1];
            let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
            Some(sum.is_multiple_of(11))
        }
        "IT" if all_digits && digits.len() == 11 => Some(luhn(&digits)),
        "FR" if number.len() == 11 => {
            let siren: String = number[2..].to_owned();
            let siren_value: u64 = siren.parse().ok()?;
            match number[..2].parse::<u64>() {
                Ok(key) => Some(key == (12 + 3 * (siren_value % 97)) % 97),
                // Letter keys use another scheme; the shape is all we check.
                Err(_) => None,
            }
        }
        "BE" if all_digits && digits.len() == 10 => {
            let first: u64 = number[..8].parse().ok()?;
            let check: u64 = number[8..].parse().ok()?;
            Some(97 - first % 97 == check)
        }
        "GB" if all_digits && digits.len() == 9 => {
            let sum: i64 = digits[..7]
                .iter()
                .zip((2..=8).rev())
                .map(|(digit, weight)| i64::from(*digit) * weight)
                .sum::<i64>()
                + i64::from(digits[7] * 10 + digits[8]);
            Some(sum % 97 == 0 || (sum + 55) % 97 == 0)
        }
        _ => None,
    }
}

/// Luhn over all digits, the last one being the check digit.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| {
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                *digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 7064 mod 97 of an alphanumeric string (letters count as 10..35), as IBANs use.
fn mod97_of_alphanumeric(text: &str) -> Option<u32> {
    let mut remainder = 0u32;
    for character in text.chars() {
        let value = character.to_digit(36)?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

static SWISS_UID: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\bCHE[\s\-]?(\d{3})[.\s]?(\d{3})[.\s]?(\d{3})\b").expect("valid regex")
});

/// Swiss UID / VAT numbers ("CHE-123.456.789 MWST"), kept only when the mod-11 check digit
/// holds. Switzerland is outside the EU, but Swiss suppliers invoice EU customers.
pub(crate) fn find_swiss_uids(line: &str) -> Vec<IdMatch> {
    SWISS_UID
        .captures_iter(line)
        .filter_map(|captures| {
            let whole = captures.get(0)?;
            let digits: Vec<u32> = (1..=3)
                .flat_map(|group| captures[group].chars().collect::<Vec<_>>())
                .filter_map(|c| c.to_digit(10))
                .collect();
            let weights = [5, 4, 3, 2, 7, 6, 5, 4];
            let sum: u32 = digits[..8].iter().zip(weights).map(|(d, w)| d * w).sum();
            let check = (11 - sum % 11) % 11;
            (check != 10 && check == digits[8]).then(|| IdMatch {
                value: format!(
                    "CHE{}",
                    digits.iter().map(u32::to_string).collect::<String>()
                ),
                start: whole.start(),
                end: whole.end(),
            })
        })
        .collect()
}

/// Countries whose VAT numbers are often printed without their prefix ("P.IVA 01234567897",
/// "VAT Reg. No. 123 4567 89"), tried in this order for a labelled bare number.
const BARE_VAT_COUNTRIES: [&str; 6] = ["IT", "GB", "DE", "BE", "FR", "DK"];

static BARE_NUMBER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^[\s:.#]*(\d[\d\s.]{6,16}\d)\b").expect("valid regex"));

/// A VAT number printed without its country prefix right after a VAT label: accepted only for
/// a country whose shape and check digit it passes, the hinted country first.
pub(crate) fn bare_vat_id(after_label: &str, country_hint: Option<&str>) -> Option<String> {
    let captures = BARE_NUMBER.captures(after_label)?;
    let number: String = captures[1].chars().filter(char::is_ascii_digit).collect();
    let hinted = country_hint
        .into_iter()
        .filter(|hint| BARE_VAT_COUNTRIES.contains(hint));
    hinted
        .chain(BARE_VAT_COUNTRIES)
        .map(|country| format!("{country}{number}"))
        .find(|candidate| {
            let country = &candidate[..2];
            let shape_ok = VAT_ID_SHAPE_REGEXES
                .iter()
                .any(|(code, shape)| *code == country && shape.is_match(&candidate[2..]));
            shape_ok && vat_checksum(candidate) == Some(true)
        })
}

static DANISH_CVR: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\bcvr\s*-?\s*(?:nr\.?|nummer)?\s*:?\s*(\d{2}\s?\d{2}\s?\d{2}\s?\d{2})\b",
    )
    .expect("valid regex")
});

/// A Danish CVR number printed without the `DK` prefix ("CVR-nr. 31415926"): the Danish VAT
/// number is `DK` followed by the CVR number.
pub(crate) fn find_danish_cvr(line: &str) -> Vec<IdMatch> {
    DANISH_CVR
        .captures_iter(line)
        .filter_map(|captures| {
            let whole = captures.get(0)?;
            let digits: String = captures[1].chars().filter(char::is_ascii_digit).collect();
            Some(IdMatch {
                value: format!("DK{digits}"),
                start: whole.start(),
                end: whole.end(),
            })
        })
        .collect()
}

/// Whether `iban` (no spaces, uppercase) has a valid ISO 13616 mod-97 checksum.
pub(crate) fn iban_checksum_is_valid(iban: &str) -> bool {
    if iban.len() < 15 || iban.len() > 34 || !iban.is_ascii() {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut remainder: u32 = 0;
    for character in tail.chars().chain(head.chars()) {
        let Some(value) = character.to_digit(36) else {
            return false;
        };
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    remainder == 1
}

/// Valid IBANs in `line`, normalised without spaces. Printed groups of four are followed as far
/// as the country's length (or, for unknown countries, the longest valid prefix).
pub(crate) fn find_ibans(line: &str) -> Vec<IdMatch> {
    let mut found: Vec<IdMatch> = Vec::new();
    for whole in IBAN_START.find_iter(line) {
        let start = whole.start();
        if found.iter().any(|other| other.end > start) {
            continue;
        }
        let characters = collect_alphanumerics(&line[start..], 34, &[' ', '\u{a0}']);
        let country: String = characters.iter().take(2).map(|(c, _)| *c).collect();
        let lengths: Vec<usize> = match IBAN_LENGTHS.iter().find(|(code, _)| *code == country) {
            Some((_, length)) => vec![*length],
            None => (15..=characters.len()).rev().collect(),
        };
        for length in lengths {
            if characters.len() < length {
                continue;
            }
            // The IBAN must end where the printed characters end or a group ends.
            let ends_group = characters
                .get(length)
                .is_none_or(|(_, next_end)| *next_end != characters[length - 1].1 + 1);
            let candidate: String = characters[..length].iter().map(|(c, _)| *c).collect();
            if ends_group && iban_checksum_is_valid(&candidate) {
                found.push(IdMatch {
                    value: candidate,
                    start,
                    end: start + characters[length - 1].1,
                });
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(found: Vec<IdMatch>) -> Vec<String> {
        found.into_iter().map(|m| m.value).collect()
    }

    #[test]
    fn finds_vat_ids_in_their_printed_forms() {
        let cases = [
            ("Btw-nr. NL123456789B01", "NL123456789B01"),
            ("USt-IdNr.: DE123456789", "DE123456789"),
            ("CVR/SE DK12345678", "DK12345678"),
            ("P. IVA IT12345678901", "IT12345678901"),
            ("N° TVA : FR12345678901", "FR12345678901"),
            ("BTW BE 0123.456.749 · RPR Gent", "BE0123456749"),
            ("VAT Reg. No. GB 123 4567 89", "GB123456789"),
            ("UID ATU12345678", "ATU12345678"),
        ];
        for (line, expected) in cases {
            assert_eq!(values(find_vat_ids(line)), [expected], "{line}");
        }
        assert!(find_vat_ids("DE 80333 München").is_empty());
        assert_eq!(
            values(find_danish_cvr("ApS · CVR-nr. 31415926 · Ægirsgade")),
            ["DK31415926"]
        );
        assert!(find_vat_ids("NL20 INGB 0001 2345 67").is_empty());
    }

    #[test]
    fn checks_vat_numbers_by_their_countrys_rule() {
        for valid in [
            "DE136695976",
            "NL004495445B01",
            "DK13585628",
            "IT00743110157",
            "FR40303265045",
            "BE0403170701",
            "GB980780684",
        ] {
            assert_eq!(vat_checksum(valid), Some(true), "{valid}");
        }
        for invalid in [
            "DE136695977",
            "NL004495446B01",
            "DK13585629",
            "IT00743110158",
            "FR41303265045",
            "BE0403170702",
            "GB980780685",
        ] {
            assert_eq!(vat_checksum(invalid), Some(false), "{invalid}");
        }
        assert_eq!(vat_checksum("ATU13585627"), None);
        assert_eq!(
            bare_vat_id(": 00743110157", None).as_deref(),
            Some("IT00743110157")
        );
        assert_eq!(
            bare_vat_id(" 980 7806 84", Some("GB")).as_deref(),
            Some("GB980780684")
        );
        assert_eq!(bare_vat_id(" 12345", None), None);
        let swiss = find_swiss_uids("UID CHE-116.281.710 MWST");
        assert_eq!(swiss[0].value, "CHE116281710");
        assert!(find_swiss_uids("CHE-116.281.711").is_empty());
    }

    #[test]
    fn accepts_only_ibans_with_a_valid_checksum() {
        assert_eq!(
            values(find_ibans("IBAN NL20 INGB 0001 2345 67 · BIC INGBNL2A")),
            ["NL20INGB0001234567"]
        );
        assert_eq!(
            values(find_ibans("IBAN: DE89370400440532013000")),
            ["DE89370400440532013000"]
        );
        assert_eq!(
            values(find_ibans("IBAN GB29 NWBK 6016 1331 9268 19")),
            ["GB29NWBK60161331926819"]
        );
        assert!(find_ibans("IBAN NL21 INGB 0001 2345 67").is_empty());
        assert!(find_ibans("DE89 3704 0044 0532 0130 01").is_empty());
    }
}
