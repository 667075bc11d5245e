//! The chart of accounts: which account numbers a proposal books on, and what they are called.
//!
//! Charts are data, not code, so an administration can bring its own without a rebuild.
//! A chart is validated once, on load; everything that holds a [`ChartOfAccounts`] may rely on
//! its accounts being present and distinct.
//!
//! stapel ships six charts, compiled in and found by name with [`ChartOfAccounts::builtin`]:
//! `generic`, `nl-rgs`, `de-skr03`, `de-skr04`, `dk` and `it` (the files in `charts/`, each
//! saying where its account numbers come from).

use crate::vat::RateClass;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The shipped default chart, compiled in so the pipeline works before any chart is configured.
const GENERIC_CHART: &str = include_str!("../charts/generic.toml");

/// Every shipped chart by the name [`ChartOfAccounts::builtin`] knows it by.
const BUILTIN_CHARTS: &[(&str, &str)] = &[
    ("generic", GENERIC_CHART),
    ("nl-rgs", include_str!("../charts/nl-rgs.toml")),
    ("de-skr03", include_str!("../charts/de-skr03.toml")),
    ("de-skr04", include_str!("../charts/de-skr04.toml")),
    ("dk", include_str!("../charts/dk.toml")),
    ("it", include_str!("../charts/it.toml")),
];

/// What an account is used for in a purchase booking.
///
/// Errors name the role rather than the TOML key, so a message points at the meaning of the
/// mistake and not just its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountRole {
    /// The cost account debited with the net amount.
    Expense,
    /// The receivable VAT account debited with the VAT the supplier charged, for every rate
    /// that has no account of its own (and for VAT whose rate is unknown).
    InputVat,
    /// The input VAT account of one rate class (`[input_vat.reduced]`), when the chart keeps
    /// rates apart, as SKR03 does with 1576 (19 %) and 1571 (7 %).
    InputVatAt(RateClass),
    /// The liability account credited with what is owed to the supplier.
    AccountsPayable,
    /// The input VAT account debited with self-assessed VAT under the reverse charge.
    ReverseChargeInputVat,
    /// The output VAT account credited with self-assessed VAT under the reverse charge.
    ReverseChargeOutputVat,
}

impl AccountRole {
    /// The role's key in the chart's TOML file, so errors can name the table to fix.
    pub fn toml_key(self) -> &'static str {
        match self {
            AccountRole::Expense => "expense",
            AccountRole::InputVat => "input_vat",
            AccountRole::InputVatAt(RateClass::Standard) => "input_vat.standard",
            AccountRole::InputVatAt(RateClass::Reduced) => "input_vat.reduced",
            AccountRole::InputVatAt(RateClass::SecondReduced) => "input_vat.second_reduced",
            AccountRole::InputVatAt(RateClass::SuperReduced) => "input_vat.super_reduced",
            AccountRole::InputVatAt(RateClass::Zero) => "input_vat.zero",
            AccountRole::AccountsPayable => "accounts_payable",
            AccountRole::ReverseChargeInputVat => "reverse_charge.input_vat",
            AccountRole::ReverseChargeOutputVat => "reverse_charge.output_vat",
        }
    }

    /// Whether the role receives input VAT. Those roles may share one account (one Dutch
    /// "Voorbelasting" account for every rate and the reverse charge), as their lines are all
    /// debits told apart by VAT code; every other pair of roles must not.
    fn is_input_vat(self) -> bool {
        matches!(
            self,
            AccountRole::InputVat | AccountRole::InputVatAt(_) | AccountRole::ReverseChargeInputVat
        )
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountRole::Expense => formatter.write_str("expense"),
            AccountRole::InputVat => formatter.write_str("input VAT"),
            AccountRole::InputVatAt(class) => write!(formatter, "input VAT ({class})"),
            AccountRole::AccountsPayable => formatter.write_str("accounts payable"),
            AccountRole::ReverseChargeInputVat => formatter.write_str("reverse-charge input VAT"),
            AccountRole::ReverseChargeOutputVat => formatter.write_str("reverse-charge output VAT"),
        }
    }
}

/// Why a chart of accounts was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookingError {
    /// The text is not TOML, or it lacks a table or key the chart needs.
    ///
    /// The parser's message is kept as text so the `toml` crate stays out of our public API.
    #[error("chart of accounts is not valid: {message}")]
    ChartSyntax {
        /// The TOML parser's explanation, with line and column.
        message: String,
    },
    /// The chart's name is empty; logs and the UI identify a chart by it.
    #[error("chart of accounts has an empty name")]
    EmptyChartName,
    /// An account has no number, so nothing could be booked on it.
    #[error("the {role} account has an empty number")]
    EmptyAccountNumber {
        /// Which account is missing its number.
        role: AccountRole,
    },
    /// An account has no name, so proposal lines would have no readable description.
    #[error("the {role} account has an empty name")]
    EmptyAccountName {
        /// Which account is missing its name.
        role: AccountRole,
    },
    /// Two roles share one account, which would net debits against credits and hide them.
    #[error("account {number} is used for both {first} and {second}")]
    DuplicateAccount {
        /// The account number given twice.
        number: String,
        /// The first role using it.
        first: AccountRole,
        /// The second role using it.
        second: AccountRole,
    },
    /// The country is not an ISO 3166 alpha-2 code, so VAT codes built from it would be noise.
    #[error("country {country:?} is not a two-letter uppercase code such as NL")]
    InvalidCountry {
        /// The country as written in the chart.
        country: String,
    },
    /// The currency is not an ISO 4217 code, so invoices could not be compared with it.
    #[error("currency {currency:?} is not a three-letter uppercase code such as EUR")]
    InvalidCurrency {
        /// The currency as written in the chart.
        currency: String,
    },
    /// No shipped chart has this name.
    #[error("no built-in chart of accounts is called {name:?}; the built-in charts are {known}")]
    UnknownBuiltinChart {
        /// The name asked for.
        name: String,
        /// The names that exist, comma-separated, so the message says what to use instead.
        known: String,
    },
}

/// One account of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    number: String,
    name: String,
}

impl Account {
    /// The account number, as the bookkeeping software knows it.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The account's name, used to describe proposal lines.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The pair of accounts self-assessed VAT is booked on: the same amount debited as input VAT
/// and credited as output VAT, so the buyer declares and deducts it in one return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseChargeAccounts {
    input_vat: Account,
    output_vat: Account,
}

impl ReverseChargeAccounts {
    /// The account debited with the self-assessed VAT (SKR03 1577).
    pub fn input_vat(&self) -> &Account {
        &self.input_vat
    }

    /// The account credited with the self-assessed VAT (SKR03 1787).
    pub fn output_vat(&self) -> &Account {
        &self.output_vat
    }
}

/// The accounts a purchase invoice is booked on, validated on load.
///
/// Fields are private so a chart can only come from [`ChartOfAccounts::from_toml`],
/// [`ChartOfAccounts::generic`] or [`ChartOfAccounts::builtin`], and is therefore always
/// valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartOfAccounts {
    name: String,
    country: Option<String>,
    currency: Option<String>,
    expense: Account,
    input_vat: Account,
    input_vat_by_class: BTreeMap<RateClass, Account>,
    accounts_payable: Account,
    reverse_charge: Option<ReverseChargeAccounts>,
}

/// The TOML shape of a chart. Unknown keys are errors so a misspelt key cannot go unnoticed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartFile {
    name: String,
    country: Option<String>,
    currency: Option<String>,
    expense: AccountFile,
    input_vat: InputVatFile,
    accounts_payable: AccountFile,
    reverse_charge: Option<ReverseChargeFile>,
}

/// The TOML shape of one account.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    number: String,
    name: String,
}

/// The input VAT account, and optionally one account per rate class as sub-tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputVatFile {
    number: String,
    name: String,
    standard: Option<AccountFile>,
    reduced: Option<AccountFile>,
    second_reduced: Option<AccountFile>,
    super_reduced: Option<AccountFile>,
}

/// Both reverse-charge accounts: a chart has the pair or neither.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseChargeFile {
    input_vat: AccountFile,
    output_vat: AccountFile,
}

impl ChartOfAccounts {
    /// Parse and validate a chart from TOML.
    ///
    /// The file names the chart, optionally a `country` for VAT codes and a `currency` the
    /// administration books in, and one table per role:
    ///
    /// ```toml
    /// name = "Dutch SME"
    /// country = "NL"
    /// currency = "EUR"
    ///
    /// [expense]
    /// number = "4000"
    /// name = "General expenses"
    ///
    /// [input_vat]
    /// number = "1510"
    /// name = "Input VAT"
    ///
    /// # Optional: an account per rate class (standard, reduced, second_reduced,
    /// # super_reduced); rates without one are booked on [input_vat].
    /// [input_vat.reduced]
    /// number = "1511"
    /// name = "Input VAT 9%"
    ///
    /// [accounts_payable]
    /// number = "1600"
    /// name = "Creditors"
    ///
    /// # Optional, both or neither: where self-assessed VAT goes under the reverse charge.
    /// [reverse_charge.input_vat]
    /// number = "1512"
    /// name = "Input VAT reverse charge"
    ///
    /// [reverse_charge.output_vat]
    /// number = "1520"
    /// name = "Output VAT reverse charge"
    /// ```
    ///
    /// Numbers and names are trimmed; they must be non-empty, and the numbers distinct, except
    /// that the input VAT accounts (per rate and reverse charge) may share one account.
    pub fn from_toml(text: &str) -> Result<ChartOfAccounts, BookingError> {
        let file: ChartFile = toml::from_str(text).map_err(|error| BookingError::ChartSyntax {
            message: error.to_string().trim_end().to_owned(),
        })?;

        let name = file.name.trim().to_owned();
        if name.is_empty() {
            return Err(BookingError::EmptyChartName);
        }
        let country = match file.country {
            None => None,
            Some(country) => {
                if !is_code(&country, 2) {
                    return Err(BookingError::InvalidCountry { country });
                }
                Some(country)
            }
        };
        let currency = match file.currency {
            None => None,
            Some(currency) => {
                if !is_code(&currency, 3) {
                    return Err(BookingError::InvalidCurrency { currency });
                }
                Some(currency)
            }
        };
        let expense = validate_account(AccountRole::Expense, file.expense)?;
        let InputVatFile {
            number,
            name: input_vat_name,
            standard,
            reduced,
            second_reduced,
            super_reduced,
        } = file.input_vat;
        let input_vat = validate_account(
            AccountRole::InputVat,
            AccountFile {
                number,
                name: input_vat_name,
            },
        )?;
        let accounts_payable =
            validate_account(AccountRole::AccountsPayable, file.accounts_payable)?;
        let mut input_vat_by_class = BTreeMap::new();
        for (class, account) in [
            (RateClass::Standard, standard),
            (RateClass::Reduced, reduced),
            (RateClass::SecondReduced, second_reduced),
            (RateClass::SuperReduced, super_reduced),
        ] {
            if let Some(account) = account {
                let account = validate_account(AccountRole::InputVatAt(class), account)?;
                input_vat_by_class.insert(class, account);
            }
        }
        let reverse_charge = match file.reverse_charge {
            None => None,
            Some(pair) => Some(ReverseChargeAccounts {
                input_vat: validate_account(AccountRole::ReverseChargeInputVat, pair.input_vat)?,
                output_vat: validate_account(AccountRole::ReverseChargeOutputVat, pair.output_vat)?,
            }),
        };

        // The original three roles come first, so their conflicts are reported as before.
        let mut roles = vec![
            (AccountRole::Expense, &expense),
            (AccountRole::InputVat, &input_vat),
            (AccountRole::AccountsPayable, &accounts_payable),
        ];
        roles.extend(
            input_vat_by_class
                .iter()
                .map(|(class, account)| (AccountRole::InputVatAt(*class), account)),
        );
        if let Some(pair) = &reverse_charge {
            roles.push((AccountRole::ReverseChargeInputVat, &pair.input_vat));
            roles.push((AccountRole::ReverseChargeOutputVat, &pair.output_vat));
        }
        for (index, (first, first_account)) in roles.iter().enumerate() {
            for (second, second_account) in &roles[index + 1..] {
                let may_share = first.is_input_vat() && second.is_input_vat();
                if first_account.number == second_account.number && !may_share {
                    return Err(BookingError::DuplicateAccount {
                        number: first_account.number.clone(),
                        first: *first,
                        second: *second,
                    });
                }
            }
        }

        Ok(ChartOfAccounts {
            name,
            country,
            currency,
            expense,
            input_vat,
            input_vat_by_class,
            accounts_payable,
            reverse_charge,
        })
    }

    /// The chart stapel ships with (`charts/generic.toml`): one expense account, no country.
    pub fn generic() -> ChartOfAccounts {
        // A unit test loads the same file, so this cannot fail in a build that passed its tests.
        ChartOfAccounts::from_toml(GENERIC_CHART).expect("the shipped generic chart is valid")
    }

    /// A shipped chart by name: `generic`, `nl-rgs`, `de-skr03`, `de-skr04`, `dk` or `it`.
    pub fn builtin(name: &str) -> Result<ChartOfAccounts, BookingError> {
        let (_, text) = BUILTIN_CHARTS
            .iter()
            .find(|(builtin, _)| *builtin == name)
            .ok_or_else(|| BookingError::UnknownBuiltinChart {
                name: name.to_owned(),
                known: ChartOfAccounts::builtin_names().join(", "),
            })?;
        ChartOfAccounts::from_toml(text)
    }

    /// The names [`ChartOfAccounts::builtin`] accepts, in a fixed order.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN_CHARTS.iter().map(|(name, _)| *name).collect()
    }

    /// The chart's name, to say in logs and in the UI which chart a proposal used.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ISO 3166 alpha-2 country that prefixes VAT codes, if the chart is for one country.
    ///
    /// It is also the country of the administration: VAT of another country is foreign, and
    /// the reverse charge is self-assessed at this country's rate.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// The ISO 4217 currency the administration books in, if the chart names one.
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    /// The account debited with the net amount.
    pub fn expense(&self) -> &Account {
        &self.expense
    }

    /// The account debited with the VAT the supplier charged, for rates without an account
    /// of their own.
    pub fn input_vat(&self) -> &Account {
        &self.input_vat
    }

    /// Every account charged input VAT is booked on: the general one and those of the rate
    /// classes, without repeats. Reviews use it to tell VAT lines from expense lines in an
    /// entry a bookkeeper typed.
    pub fn input_vat_accounts(&self) -> Vec<&Account> {
        let mut accounts = vec![&self.input_vat];
        for account in self.input_vat_by_class.values() {
            if !accounts.iter().any(|seen| seen.number == account.number) {
                accounts.push(account);
            }
        }
        accounts
    }

    /// The input VAT account for a rate class: its own account when the chart has one,
    /// otherwise [`ChartOfAccounts::input_vat`].
    pub fn input_vat_for(&self, class: RateClass) -> &Account {
        self.input_vat_by_class
            .get(&class)
            .unwrap_or(&self.input_vat)
    }

    /// The account credited with what is owed to the supplier.
    pub fn accounts_payable(&self) -> &Account {
        &self.accounts_payable
    }

    /// The accounts self-assessed VAT is booked on, if the chart has them.
    pub fn reverse_charge(&self) -> Option<&ReverseChargeAccounts> {
        self.reverse_charge.as_ref()
    }

    /// The VAT code for a rate in percent: `NL-21` with a country, `VAT-21` without.
    ///
    /// The rate is written without trailing zeros (`21.00` gives `21`, `5.50` gives `5.5`), so
    /// one rate always maps to one code however the invoice printed it. This only formats;
    /// [`crate::vat::lookup`] says whether the country has the rate at all.
    pub fn vat_code(&self, rate_percent: Decimal) -> String {
        let prefix = self.country.as_deref().unwrap_or("VAT");
        format!("{prefix}-{}", rate_percent.normalize())
    }
}

/// Whether `text` is `length` uppercase ASCII letters, the shape of ISO country and currency
/// codes.
fn is_code(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|byte| byte.is_ascii_uppercase())
}

fn validate_account(role: AccountRole, account: AccountFile) -> Result<Account, BookingError> {
    let number = account.number.trim().to_owned();
    if number.is_empty() {
        return Err(BookingError::EmptyAccountNumber { role });
    }
    let name = account.name.trim().to_owned();
    if name.is_empty() {
        return Err(BookingError::EmptyAccountName { role });
    }
    Ok(Account { number, name })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const DUTCH: &str = r#"
        name = "Dutch SME"
        country = "NL"

        [expense]
        number = "4000"
        name = "General expenses"

        [input_vat]
        number = "1510"
        name = "Input VAT"

        [accounts_payable]
        number = "1600"
        name = "Creditors"
    "#;

    #[test]
    fn generic_chart_loads() {
        let chart = ChartOfAccounts::generic();
        assert_eq!(chart.name(), "Generic");
        assert_eq!(chart.country(), None);
        assert_eq!(chart.expense().number(), "4000");
        assert_eq!(chart.expense().name(), "Expenses");
        assert_eq!(chart.input_vat().number(), "1500");
        assert_eq!(chart.input_vat().name(), "Input VAT");
        assert_eq!(chart.accounts_payable().number(), "1600");
        assert_eq!(chart.accounts_payable().name(), "Accounts payable");
    }

    #[test]
    fn chart_with_country_prefixes_vat_codes() {
        let chart = ChartOfAccounts::from_toml(DUTCH).unwrap();
        assert_eq!(chart.country(), Some("NL"));
        assert_eq!(chart.vat_code(dec!(21.00)), "NL-21");
        assert_eq!(chart.vat_code(dec!(5.50)), "NL-5.5");
        assert_eq!(chart.vat_code(dec!(0)), "NL-0");
        assert_eq!(ChartOfAccounts::generic().vat_code(dec!(9)), "VAT-9");
    }

    #[test]
    fn rejects_duplicate_accounts() {
        let text = DUTCH.replace("\"1600\"", "\"1510\"");
        assert_eq!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::DuplicateAccount {
                number: "1510".into(),
                first: AccountRole::InputVat,
                second: AccountRole::AccountsPayable,
            })
        );
    }

    #[test]
    fn duplicates_are_found_after_trimming() {
        let text = DUTCH.replace("\"1600\"", "\" 4000 \"");
        assert!(matches!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::DuplicateAccount { number, .. }) if number == "4000"
        ));
    }

    #[test]
    fn rejects_empty_number_and_name() {
        let text = DUTCH.replace("\"1510\"", "\"  \"");
        assert_eq!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::EmptyAccountNumber {
                role: AccountRole::InputVat
            })
        );
        let text = DUTCH.replace("\"Creditors\"", "\"\"");
        assert_eq!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::EmptyAccountName {
                role: AccountRole::AccountsPayable
            })
        );
        let text = DUTCH.replace("\"Dutch SME\"", "\"\"");
        assert_eq!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::EmptyChartName)
        );
    }

    #[test]
    fn rejects_bad_country() {
        for country in ["nl", "NLD", "", "N1"] {
            let text = DUTCH.replace("\"NL\"", &format!("{country:?}"));
            assert_eq!(
                ChartOfAccounts::from_toml(&text),
                Err(BookingError::InvalidCountry {
                    country: country.into()
                }),
                "{country}"
            );
        }
    }

    #[test]
    fn rejects_missing_tables_unknown_keys_and_bad_syntax() {
        let missing = DUTCH.replace("[accounts_payable]", "[payables]");
        let error = ChartOfAccounts::from_toml(&missing).unwrap_err();
        assert!(matches!(error, BookingError::ChartSyntax { .. }), "{error}");

        let unknown = DUTCH.replace("country = \"NL\"", "contry = \"NL\"");
        let error = ChartOfAccounts::from_toml(&unknown).unwrap_err();
        assert!(error.to_string().contains("contry"), "{error}");

        let error = ChartOfAccounts::from_toml("name = ").unwrap_err();
        assert!(matches!(error, BookingError::ChartSyntax { .. }), "{error}");
    }

    #[test]
    fn every_builtin_chart_loads_and_names_its_country() {
        let expected = [
            ("generic", None, None),
            ("nl-rgs", Some("NL"), Some("EUR")),
            ("de-skr03", Some("DE"), Some("EUR")),
            ("de-skr04", Some("DE"), Some("EUR")),
            ("dk", Some("DK"), Some("DKK")),
            ("it", Some("IT"), Some("EUR")),
        ];
        assert_eq!(
            ChartOfAccounts::builtin_names(),
            expected
                .iter()
                .map(|(name, _, _)| *name)
                .collect::<Vec<_>>()
        );
        for (name, country, currency) in expected {
            let chart = ChartOfAccounts::builtin(name).unwrap();
            assert_eq!(chart.country(), country, "{name}");
            assert_eq!(chart.currency(), currency, "{name}");
            assert_eq!(
                chart.reverse_charge().is_some(),
                country.is_some(),
                "{name}"
            );
        }
        assert_eq!(
            ChartOfAccounts::builtin("generic").unwrap(),
            ChartOfAccounts::generic()
        );
    }

    #[test]
    fn skr03_and_skr04_keep_rates_apart() {
        let skr03 = ChartOfAccounts::builtin("de-skr03").unwrap();
        let numbers: Vec<&str> = skr03
            .input_vat_accounts()
            .iter()
            .map(|account| account.number())
            .collect();
        assert!(
            numbers.contains(&"1576") && numbers.contains(&"1571"),
            "{numbers:?}"
        );
        assert!(!numbers.contains(&"4900"), "{numbers:?}");
        assert_eq!(skr03.expense().number(), "4900");
        assert_eq!(skr03.input_vat_for(RateClass::Standard).number(), "1576");
        assert_eq!(skr03.input_vat_for(RateClass::Reduced).number(), "1571");
        assert_eq!(
            skr03.input_vat_for(RateClass::SuperReduced).number(),
            "1570"
        );
        assert_eq!(skr03.accounts_payable().number(), "1600");
        let pair = skr03.reverse_charge().unwrap();
        assert_eq!(pair.input_vat().number(), "1577");
        assert_eq!(pair.output_vat().number(), "1787");

        let skr04 = ChartOfAccounts::builtin("de-skr04").unwrap();
        assert_eq!(skr04.expense().number(), "6300");
        assert_eq!(skr04.input_vat_for(RateClass::Standard).number(), "1406");
        assert_eq!(skr04.input_vat_for(RateClass::Reduced).number(), "1401");
        assert_eq!(skr04.accounts_payable().number(), "3300");
        let pair = skr04.reverse_charge().unwrap();
        assert_eq!(pair.input_vat().number(), "1407");
        assert_eq!(pair.output_vat().number(), "3837");
    }

    #[test]
    fn unknown_builtin_chart_lists_the_known_ones() {
        let error = ChartOfAccounts::builtin("de-skr14").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no built-in chart of accounts is called \"de-skr14\"; the built-in charts are \
             generic, nl-rgs, de-skr03, de-skr04, dk, it"
        );
    }

    const WITH_RATES: &str = r#"
        name = "Rates"
        country = "FR"
        currency = "EUR"
        [expense]
        number = "6068"
        name = "Autres matières et fournitures"
        [input_vat]
        number = "44566"
        name = "TVA déductible sur autres biens et services"
        [input_vat.second_reduced]
        number = "445662"
        name = "TVA déductible 5,5 %"
        [accounts_payable]
        number = "401"
        name = "Fournisseurs"
        [reverse_charge.input_vat]
        number = "44566"
        name = "TVA déductible sur autres biens et services"
        [reverse_charge.output_vat]
        number = "4452"
        name = "TVA due intracommunautaire"
    "#;

    #[test]
    fn input_vat_accounts_may_be_shared_but_nothing_else() {
        let chart = ChartOfAccounts::from_toml(WITH_RATES).unwrap();
        assert_eq!(
            chart.input_vat_for(RateClass::SecondReduced).number(),
            "445662"
        );
        assert_eq!(chart.input_vat_for(RateClass::Standard).number(), "44566");

        let text = WITH_RATES.replace("\"4452\"", "\"401\"");
        assert_eq!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::DuplicateAccount {
                number: "401".into(),
                first: AccountRole::AccountsPayable,
                second: AccountRole::ReverseChargeOutputVat,
            })
        );
        let text = WITH_RATES.replace("\"445662\"", "\"6068\"");
        assert_eq!(
            ChartOfAccounts::from_toml(&text),
            Err(BookingError::DuplicateAccount {
                number: "6068".into(),
                first: AccountRole::Expense,
                second: AccountRole::InputVatAt(RateClass::SecondReduced),
            })
        );
    }

    #[test]
    fn rejects_half_a_reverse_charge_pair_bad_currency_and_unknown_rate_classes() {
        let half = WITH_RATES.replace("[reverse_charge.output_vat]", "[unused]");
        let error = ChartOfAccounts::from_toml(&half).unwrap_err();
        assert!(matches!(error, BookingError::ChartSyntax { .. }), "{error}");

        let currency = WITH_RATES.replace("\"EUR\"", "\"euro\"");
        assert_eq!(
            ChartOfAccounts::from_toml(&currency),
            Err(BookingError::InvalidCurrency {
                currency: "euro".into()
            })
        );

        let class = WITH_RATES.replace("[input_vat.second_reduced]", "[input_vat.parking]");
        let error = ChartOfAccounts::from_toml(&class).unwrap_err();
        assert!(error.to_string().contains("parking"), "{error}");

        let empty = WITH_RATES.replace("\"445662\"", "\" \"");
        assert_eq!(
            ChartOfAccounts::from_toml(&empty),
            Err(BookingError::EmptyAccountNumber {
                role: AccountRole::InputVatAt(RateClass::SecondReduced)
            })
        );
        assert_eq!(
            AccountRole::InputVatAt(RateClass::SecondReduced).toml_key(),
            "input_vat.second_reduced"
        );
    }
}
