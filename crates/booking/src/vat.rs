//! VAT rates per country, as data: which rates a country has, the VAT code each one books
//! with, and which input VAT account (by rate class) receives it.
//!
//! The table answers one question, "is this a rate of that country, and what is it called?",
//! and never guesses: a rate that is not in the table has no code, and the proposal says so.
//! Adding a country or a rate is adding a row below, not a branch in the booking code.
//!
//! Sources: the rates in force in 2026 as published in the European Commission's "VAT rates
//! applied in the Member States of the European Union" (taxation_customs, updated yearly):
//! NL 21/9, DE 19/7, DK 25, IT 22/10/5/4, FR 20/10/5.5/2.1, BE 21/12/6, each with 0 for
//! zero-rated and exempt supplies.

use rust_decimal::Decimal;
use std::fmt;

/// Which of a country's rates a rate is, so a chart can give each its own input VAT account.
///
/// The names follow the Directive's vocabulary loosely: every country has one standard rate,
/// some have up to three lower ones, ordered from the highest to the lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RateClass {
    /// The country's standard rate (NL 21, DE 19, IT 22).
    Standard,
    /// The highest reduced rate (NL 9, DE 7, IT 10, FR 10, BE 12).
    Reduced,
    /// The next reduced rate (IT 5, FR 5.5, BE 6).
    SecondReduced,
    /// The lowest positive rate (IT 4, FR 2.1).
    SuperReduced,
    /// Zero-rated or exempt: a base without VAT, booked without a VAT line.
    Zero,
}

impl RateClass {
    /// The key of this class's input VAT table in a chart (`[input_vat.reduced]`).
    pub fn toml_key(self) -> &'static str {
        match self {
            RateClass::Standard => "standard",
            RateClass::Reduced => "reduced",
            RateClass::SecondReduced => "second_reduced",
            RateClass::SuperReduced => "super_reduced",
            RateClass::Zero => "zero",
        }
    }
}

impl fmt::Display for RateClass {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            RateClass::Standard => "standard rate",
            RateClass::Reduced => "reduced rate",
            RateClass::SecondReduced => "second reduced rate",
            RateClass::SuperReduced => "super-reduced rate",
            RateClass::Zero => "zero rate",
        })
    }
}

/// One rate of one country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatRate {
    /// ISO 3166 alpha-2 country (`GR` for Greece, whose VAT ids say `EL`).
    pub country: &'static str,
    /// The rate in hundredths of a percent, so the table stays plain integers (`550` is 5.5%).
    hundredths: i64,
    /// The VAT code lines at this rate carry (`NL-21`).
    pub code: &'static str,
    /// Which input VAT account the chart books this rate's VAT on.
    pub class: RateClass,
}

impl VatRate {
    /// The rate in percent, without trailing zeros (`5.5`, `21`).
    pub fn percent(&self) -> Decimal {
        Decimal::new(self.hundredths, 2).normalize()
    }
}

const fn rate(
    country: &'static str,
    hundredths: i64,
    code: &'static str,
    class: RateClass,
) -> VatRate {
    VatRate {
        country,
        hundredths,
        code,
        class,
    }
}

/// Every (country, rate) stapel knows, highest rate first within a country.
const VAT_RATES: &[VatRate] = &[
    rate("NL", 2100, "NL-21", RateClass::Standard),
    rate("NL", 900, "NL-9", RateClass::Reduced),
    rate("NL", 0, "NL-0", RateClass::Zero),
    rate("DE", 1900, "DE-19", RateClass::Standard),
    rate("DE", 700, "DE-7", RateClass::Reduced),
    rate("DE", 0, "DE-0", RateClass::Zero),
    rate("DK", 2500, "DK-25", RateClass::Standard),
    rate("DK", 0, "DK-0", RateClass::Zero),
    rate("IT", 2200, "IT-22", RateClass::Standard),
    rate("IT", 1000, "IT-10", RateClass::Reduced),
    rate("IT", 500, "IT-5", RateClass::SecondReduced),
    rate("IT", 400, "IT-4", RateClass::SuperReduced),
    rate("IT", 0, "IT-0", RateClass::Zero),
    rate("FR", 2000, "FR-20", RateClass::Standard),
    rate("FR", 1000, "FR-10", RateClass::Reduced),
    rate("FR", 550, "FR-5.5", RateClass::SecondReduced),
    rate("FR", 210, "FR-2.1", RateClass::SuperReduced),
    rate("FR", 0, "FR-0", RateClass::Zero),
    rate("BE", 2100, "BE-21", RateClass::Standard),
    rate("BE", 1200, "BE-12", RateClass::Reduced),
    rate("BE", 600, "BE-6", RateClass::SecondReduced),
    rate("BE", 0, "BE-0", RateClass::Zero),
];

/// What a country's VAT return asks of a purchase the table cannot express as a rate: the
/// sentence a reason quotes for imports from outside the EU.
struct CountryNotes {
    country: &'static str,
    /// The country's name in English, for reasons.
    name: &'static str,
    /// How VAT on goods and services from outside the EU is settled there.
    import: &'static str,
    /// What to check when the reverse charge was booked as a service.
    reverse_charge: &'static str,
}

const COUNTRY_NOTES: &[CountryNotes] = &[
    CountryNotes {
        country: "NL",
        name: "Dutch",
        import: "import VAT on goods is levied by customs, or reverse charged in the VAT return \
                 (box 4a) with an article 23 licence; services from outside the EU are reverse \
                 charged in box 4a",
        reverse_charge: "It belongs in box 4b (acquisitions and services from EU countries), \
                         deducted in box 5b.",
    },
    CountryNotes {
        country: "DE",
        name: "German",
        import: "import VAT on goods (Einfuhrumsatzsteuer) is paid to customs and deducted \
                 from the customs notice; services from outside the EU fall under § 13b UStG",
        reverse_charge: "It was booked as a service under § 13b UStG; goods from another EU \
                         country are an intra-community acquisition (§ 1a UStG) with their own \
                         accounts and tax key.",
    },
    CountryNotes {
        country: "DK",
        name: "Danish",
        import: "import VAT on goods (importmoms) is settled through customs and the VAT \
                 return; services from outside the EU are reverse charged (omvendt \
                 betalingspligt) as moms af ydelseskøb i udlandet",
        reverse_charge: "It was booked as moms af ydelseskøb i udlandet; goods from another EU \
                         country belong under moms af varekøb i udlandet.",
    },
    CountryNotes {
        country: "IT",
        name: "Italian",
        import: "import VAT on goods (IVA all'importazione) is paid through customs \
                 (bolletta doganale); services from outside the EU are self-assessed by \
                 inversione contabile (autofattura)",
        reverse_charge: "Record it in both the purchase and the sales VAT register \
                         (integrazione della fattura, TD17/TD18 for the SdI).",
    },
    CountryNotes {
        country: "FR",
        name: "French",
        import: "import VAT on goods is self-assessed in the VAT return (autoliquidation de la \
                 TVA à l'importation); services from outside the EU are reverse charged \
                 (autoliquidation)",
        reverse_charge: "Report it as autoliquidation in the CA3 return and deduct it there.",
    },
    CountryNotes {
        country: "BE",
        name: "Belgian",
        import: "import VAT on goods is paid to customs, or reverse charged in the VAT return \
                 with an ET 14000 licence; services from outside the EU are reverse charged",
        reverse_charge: "Report it in grids 86/88 and 55, deducted in grid 59.",
    },
];

/// The EU member states, by the prefix their VAT ids carry (Greece uses `EL`).
///
/// Northern Ireland (`XI`) is left out: it is in the EU VAT area for goods only, which the
/// invoice totals cannot tell apart from services, so it is treated as outside the EU and the
/// reason asks the bookkeeper.
const EU_VAT_PREFIXES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The rate of `country` at `rate_percent`, if the table has it.
///
/// Rates compare by value, so `21`, `21.0` and `21.00` are one rate.
pub fn lookup(country: &str, rate_percent: Decimal) -> Option<&'static VatRate> {
    VAT_RATES
        .iter()
        .find(|row| row.country == country && row.percent() == rate_percent.normalize())
}

/// Every rate of `country`, highest first; empty when the table does not know the country.
pub fn rates_of(country: &str) -> impl Iterator<Item = &'static VatRate> + '_ {
    VAT_RATES.iter().filter(move |row| row.country == country)
}

/// The standard rate of `country`, if the table knows the country.
pub fn standard_rate(country: &str) -> Option<&'static VatRate> {
    rates_of(country).find(|row| row.class == RateClass::Standard)
}

/// Whether the table has rates for `country`.
pub fn knows_country(country: &str) -> bool {
    rates_of(country).next().is_some()
}

/// The VAT code of self-assessed (reverse-charge) VAT at `rate_percent`: `DE-RC-19`.
pub fn reverse_charge_code(country: &str, rate_percent: Decimal) -> String {
    format!("{country}-RC-{}", rate_percent.normalize())
}

/// The VAT code of an exempt purchase (EN 16931 category `E`): `NL-E`.
///
/// Exempt and zero-rated bases both carry no VAT, but returns and audits tell them apart
/// (a zero-rated supply keeps the supplier's right to deduct, an exempt one does not), so an
/// exempt row does not share the `<country>-0` code.
pub fn exempt_code(country: &str) -> String {
    format!("{country}-E")
}

/// Whether a country (ISO alpha-2, or the `EL` VAT prefix) is an EU member state.
pub fn is_eu_member(country: &str) -> bool {
    EU_VAT_PREFIXES.contains(&vat_prefix(country))
}

/// The ISO country a VAT id prefix stands for: `EL` is Greece (`GR`), every other prefix is
/// its country code.
pub fn country_of_vat_prefix(prefix: &str) -> &str {
    match prefix {
        "EL" => "GR",
        other => other,
    }
}

fn vat_prefix(country: &str) -> &str {
    match country {
        "GR" => "EL",
        other => other,
    }
}

/// The English adjective for a country in reasons ("Dutch"), or its code when unknown.
pub fn country_adjective(country: &str) -> String {
    COUNTRY_NOTES
        .iter()
        .find(|notes| notes.country == country)
        .map_or_else(|| country.to_owned(), |notes| notes.name.to_owned())
}

/// How `country` settles VAT on purchases from outside the EU, for the import reason.
pub fn import_note(country: &str) -> Option<&'static str> {
    COUNTRY_NOTES
        .iter()
        .find(|notes| notes.country == country)
        .map(|notes| notes.import)
}

/// What to check on a reverse-charge booking in `country`, for its reason.
pub fn reverse_charge_note(country: &str) -> Option<&'static str> {
    COUNTRY_NOTES
        .iter()
        .find(|notes| notes.country == country)
        .map(|notes| notes.reverse_charge)
}

/// `21%, 9%, 0%`: the rates of a country for a reason that rejects another one.
pub fn rate_list(country: &str) -> String {
    rates_of(country)
        .map(|row| format!("{}%", row.percent()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn every_country_has_one_standard_rate_and_a_zero_rate() {
        for country in ["NL", "DE", "DK", "IT", "FR", "BE"] {
            let standard = rates_of(country)
                .filter(|row| row.class == RateClass::Standard)
                .count();
            assert_eq!(standard, 1, "{country}");
            assert!(lookup(country, Decimal::ZERO).is_some(), "{country}");
            assert!(import_note(country).is_some(), "{country}");
            assert!(reverse_charge_note(country).is_some(), "{country}");
        }
    }

    #[test]
    fn codes_are_country_and_rate() {
        for row in VAT_RATES {
            assert_eq!(row.code, format!("{}-{}", row.country, row.percent()));
        }
    }

    #[test]
    fn rates_compare_by_value() {
        assert_eq!(lookup("FR", dec!(5.50)).unwrap().code, "FR-5.5");
        assert_eq!(
            lookup("FR", dec!(2.1)).unwrap().class,
            RateClass::SuperReduced
        );
        assert_eq!(lookup("NL", dec!(21.000)).unwrap().code, "NL-21");
        assert_eq!(
            lookup("IT", dec!(4)).unwrap().class,
            RateClass::SuperReduced
        );
        assert_eq!(lookup("BE", dec!(12)).unwrap().class, RateClass::Reduced);
        assert!(lookup("NL", dec!(19)).is_none());
        assert!(lookup("DK", dec!(12)).is_none());
        assert!(lookup("AT", dec!(20)).is_none());
        assert_eq!(standard_rate("DK").unwrap().percent(), dec!(25));
        assert_eq!(rate_list("DE"), "19%, 7%, 0%");
    }

    #[test]
    fn eu_membership_by_vat_prefix() {
        assert!(is_eu_member("NL"));
        assert!(is_eu_member("EL"));
        assert!(is_eu_member("GR"));
        for outside in ["CH", "GB", "US", "NO", "XI"] {
            assert!(!is_eu_member(outside), "{outside}");
        }
        assert_eq!(country_of_vat_prefix("EL"), "GR");
        assert_eq!(reverse_charge_code("DE", dec!(19.00)), "DE-RC-19");
    }
}
