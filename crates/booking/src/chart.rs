//! The chart of accounts: which account numbers a proposal books on, and what they are called.
//!
//! Charts are data, not code, so an administration can bring its own without a rebuild.
//! A chart is validated once, on load; everything that holds a [`ChartOfAccounts`] may rely on
//! its accounts being present and distinct.

use rust_decimal::Decimal;
use serde::Deserialize;
use std::fmt;

/// The shipped default chart, compiled in so the pipeline works before any chart is configured.
const GENERIC_CHART: &str = include_str!("../charts/generic.toml");

/// What an account is used for in a purchase booking.
///
/// Errors name the role rather than the TOML key, so a message points at the meaning of the
/// mistake and not just its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountRole {
    /// The cost account debited with the net amount.
    Expense,
    /// The receivable VAT account debited with the VAT the supplier charged.
    InputVat,
    /// The liability account credited with what is owed to the supplier.
    AccountsPayable,
}

impl AccountRole {
    /// The role's key in the chart's TOML file, so errors can name the table to fix.
    pub fn toml_key(self) -> &'static str {
        match self {
            AccountRole::Expense => "expense",
            AccountRole::InputVat => "input_vat",
            AccountRole::AccountsPayable => "accounts_payable",
        }
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            AccountRole::Expense => "expense",
            AccountRole::InputVat => "input VAT",
            AccountRole::AccountsPayable => "accounts payable",
        })
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

/// The accounts a purchase invoice is booked on, validated on load.
///
/// Fields are private so a chart can only come from [`ChartOfAccounts::from_toml`] or
/// [`ChartOfAccounts::generic`], and is therefore always valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartOfAccounts {
    name: String,
    country: Option<String>,
    expense: Account,
    input_vat: Account,
    accounts_payable: Account,
}

/// The TOML shape of a chart. Unknown keys are errors so a misspelt key cannot go unnoticed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartFile {
    name: String,
    country: Option<String>,
    expense: AccountFile,
    input_vat: AccountFile,
    accounts_payable: AccountFile,
}

/// The TOML shape of one account.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    number: String,
    name: String,
}

impl ChartOfAccounts {
    /// Parse and validate a chart from TOML.
    ///
    /// The file names the chart, optionally a `country` for VAT codes, and one table per role:
    ///
    /// ```toml
    /// name = "Dutch SME"
    /// country = "NL"
    ///
    /// [expense]
    /// number = "4000"
    /// name = "General expenses"
    ///
    /// [input_vat]
    /// number = "1510"
    /// name = "Input VAT"
    ///
    /// [accounts_payable]
    /// number = "1600"
    /// name = "Creditors"
    /// ```
    ///
    /// Numbers and names are trimmed; they must be non-empty, and the three numbers distinct.
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
                let is_alpha2 =
                    country.len() == 2 && country.bytes().all(|byte| byte.is_ascii_uppercase());
                if !is_alpha2 {
                    return Err(BookingError::InvalidCountry { country });
                }
                Some(country)
            }
        };
        let expense = validate_account(AccountRole::Expense, file.expense)?;
        let input_vat = validate_account(AccountRole::InputVat, file.input_vat)?;
        let accounts_payable =
            validate_account(AccountRole::AccountsPayable, file.accounts_payable)?;

        let roles = [
            (AccountRole::Expense, &expense),
            (AccountRole::InputVat, &input_vat),
            (AccountRole::AccountsPayable, &accounts_payable),
        ];
        for (index, (first, first_account)) in roles.iter().enumerate() {
            for (second, second_account) in &roles[index + 1..] {
                if first_account.number == second_account.number {
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
            expense,
            input_vat,
            accounts_payable,
        })
    }

    /// The chart stapel ships with (`charts/generic.toml`): one expense account, no country.
    pub fn generic() -> ChartOfAccounts {
        // A unit test loads the same file, so this cannot fail in a build that passed its tests.
        ChartOfAccounts::from_toml(GENERIC_CHART).expect("the shipped generic chart is valid")
    }

    /// The chart's name, to say in logs and in the UI which chart a proposal used.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ISO 3166 alpha-2 country that prefixes VAT codes, if the chart is for one country.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// The account debited with the net amount.
    pub fn expense(&self) -> &Account {
        &self.expense
    }

    /// The account debited with the VAT the supplier charged.
    pub fn input_vat(&self) -> &Account {
        &self.input_vat
    }

    /// The account credited with what is owed to the supplier.
    pub fn accounts_payable(&self) -> &Account {
        &self.accounts_payable
    }

    /// The VAT code for a rate in percent: `NL-21` with a country, `VAT-21` without.
    ///
    /// The rate is written without trailing zeros (`21.00` gives `21`, `5.50` gives `5.5`), so
    /// one rate always maps to one code however the invoice printed it.
    pub fn vat_code(&self, rate_percent: Decimal) -> String {
        let prefix = self.country.as_deref().unwrap_or("VAT");
        format!("{prefix}-{}", rate_percent.normalize())
    }
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
}
