//! Which chart of accounts an administration books on.
//!
//! Each administration (a client of the firm) names its chart (`Administration.chart` in the
//! records): one of the charts stapel ships (`generic`, `nl-rgs`, `de-skr03`, `de-skr04`, `dk`,
//! `it`), or a chart of the firm's own. A firm keeps its own charts as TOML files in a
//! directory given by `STAPEL_CHARTS_DIR` ([`CHARTS_DIR_ENV`]): `<dir>/<name>.toml` is the
//! chart called `<name>`, and it wins over a built-in chart of the same name, so a firm can
//! edit SKR03 (add its own expense account, say) by saving `de-skr03.toml` there.
//!
//! Charts are read when a document is booked, reviewed or exported, not once at start-up, so
//! an edited file applies to the next document without a restart. A chart that cannot be
//! found or read is an error with a stable code, recorded on the document; the pipeline never
//! falls back to another chart silently, as that would book on the wrong accounts.

use crate::Backends;
use stapel_booking::{BookingError, ChartOfAccounts};
use stapel_domain::AdministrationId;
use stapel_records::RecordsError;
use std::path::{Path, PathBuf};

/// The environment variable naming the directory of a firm's own charts.
pub const CHARTS_DIR_ENV: &str = "STAPEL_CHARTS_DIR";

/// Where charts come from: the firm's directory first, then the built-in charts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartLibrary {
    /// The directory of `<name>.toml` files, if the firm has one.
    dir: Option<PathBuf>,
}

/// Why an administration's chart could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The name could not be a file name in the charts directory (a path, or empty).
    #[error(
        "{name:?} is not a chart name: use letters, digits, '-' and '_' (at most 64 characters)"
    )]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// Neither a file in the charts directory nor a built-in chart has the name.
    #[error("no chart of accounts is called {name:?}: the built-in charts are {known}{searched}")]
    Unknown {
        /// The name as given.
        name: String,
        /// The built-in names, for the message.
        known: String,
        /// Where the firm's own charts were looked for, for the message.
        searched: String,
    },
    /// The chart's file exists but could not be read.
    #[error("the chart file {} could not be read: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The chart's file or built-in text is not a valid chart.
    #[error("the chart {name:?} is not valid: {source}")]
    Invalid {
        /// The chart's name.
        name: String,
        /// What is wrong with it.
        source: BookingError,
    },
    /// The administration has no record.
    #[error("no administration {0}")]
    UnknownAdministration(AdministrationId),
    /// The records failed; worth retrying.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

impl ChartError {
    /// Stable code for a document's error and the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidName { .. } | Self::Unknown { .. } => "booking.unknown_chart",
            Self::Unreadable { .. } | Self::Invalid { .. } => "booking.invalid_chart",
            Self::UnknownAdministration(_) => "booking.unknown_administration",
            Self::Records(_) => "records.unavailable",
        }
    }

    /// Whether trying again may help: only when the records failed. A missing or broken
    /// chart stays so until someone fixes it.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Records(_))
    }
}

impl ChartLibrary {
    /// Charts from `dir` (if any), then the built-in ones.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// Charts from the directory `STAPEL_CHARTS_DIR` names (if set and not empty), then the
    /// built-in ones. The local worker pool inherits the variable from the dispatcher.
    pub fn from_env() -> Self {
        let dir = std::env::var_os(CHARTS_DIR_ENV)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        Self::new(dir)
    }

    /// The firm's chart directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The chart called `name`: `<dir>/<name>.toml` if that file exists, else the built-in
    /// chart of that name.
    pub async fn load(&self, name: &str) -> Result<ChartOfAccounts, ChartError> {
        check_name(name)?;
        if let Some(dir) = &self.dir {
            let path = dir.join(format!("{name}.toml"));
            match tokio::fs::read_to_string(&path).await {
                Ok(text) => {
                    return ChartOfAccounts::from_toml(&text).map_err(|source| {
                        ChartError::Invalid {
                            name: name.to_owned(),
                            source,
                        }
                    })
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ChartError::Unreadable { path, source }),
            }
        }
        if !ChartOfAccounts::builtin_names().contains(&name) {
            return Err(ChartError::Unknown {
                name: name.to_owned(),
                known: ChartOfAccounts::builtin_names().join(", "),
                searched: match &self.dir {
                    Some(dir) => format!(", and {} has no {name}.toml", dir.display()),
                    None => format!(" (set {CHARTS_DIR_ENV} to a directory of your own charts)"),
                },
            });
        }
        ChartOfAccounts::builtin(name).map_err(|source| ChartError::Invalid {
            name: name.to_owned(),
            source,
        })
    }

    /// The chart the administration books on.
    pub async fn for_administration(
        &self,
        backends: &Backends,
        administration: AdministrationId,
    ) -> Result<ChartOfAccounts, ChartError> {
        let record = backends
            .records
            .administration(administration)
            .await?
            .ok_or(ChartError::UnknownAdministration(administration))?;
        self.load(&record.chart).await
    }
}

/// Why an administration named at upload could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdministrationError {
    /// The name is empty or too long.
    #[error("an administration name must have 1 to 200 characters, not {0:?}")]
    InvalidName(String),
    /// A chart or country was given without naming the administration.
    #[error("`chart` and `country` need `administration`, the administration they set up")]
    SettingsWithoutName,
    /// The country is not an ISO 3166 alpha-2 code.
    #[error("{0:?} is not an ISO 3166 country code (two capital letters, like DE)")]
    InvalidCountry(String),
    /// The chart is for another country than the one given.
    #[error("the chart {chart:?} is for {chart_country}, not {country}")]
    CountryMismatch {
        /// The chart's name.
        chart: String,
        /// The chart's country.
        chart_country: String,
        /// The country given.
        country: String,
    },
    /// The administration exists with another chart or country; an upload does not change
    /// them, since its booked documents used the stored ones.
    #[error(
        "the administration {name:?} exists with chart {chart:?} and country {country}; an \
         upload cannot change them"
    )]
    Conflict {
        /// The administration.
        name: String,
        /// Its stored chart.
        chart: String,
        /// Its stored country, or "none".
        country: String,
    },
    /// The chart cannot be had.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The records failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

impl AdministrationError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidName(_) => "administration.invalid_name",
            Self::SettingsWithoutName => "administration.name_missing",
            Self::InvalidCountry(_) => "administration.invalid_country",
            Self::CountryMismatch { .. } => "administration.country_mismatch",
            Self::Conflict { .. } => "administration.conflict",
            Self::Chart(error) => error.code(),
            Self::Records(_) => "records.unavailable",
        }
    }
}

/// What an upload says about the administration its documents belong to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedAdministration {
    /// The administration's name within the tenant; `None` keeps the caller's default.
    pub name: Option<String>,
    /// Its chart of accounts, for a new administration (or to confirm an existing one's).
    pub chart: Option<String>,
    /// Its ISO 3166 country, likewise.
    pub country: Option<String>,
}

impl ChartLibrary {
    /// The administration an upload names, created with its chart and country if new; `None`
    /// when the upload names none. The chart must exist (a built-in or a firm's file) and
    /// agree with the country; an existing administration must already have what the upload
    /// says, as its booked documents used that.
    pub async fn named_administration(
        &self,
        backends: &Backends,
        tenant: &str,
        named: &NamedAdministration,
    ) -> Result<Option<stapel_records::Administration>, AdministrationError> {
        let Some(name) = named.name.as_deref().map(str::trim) else {
            if named.chart.is_some() || named.country.is_some() {
                return Err(AdministrationError::SettingsWithoutName);
            }
            return Ok(None);
        };
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AdministrationError::InvalidName(name.to_owned()));
        }
        let chart_name = named.chart.as_deref().map(str::trim);
        let country = named.country.as_deref().map(str::trim);
        if let Some(country) = country {
            let valid = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
            if !valid {
                return Err(AdministrationError::InvalidCountry(country.to_owned()));
            }
        }
        if let Some(chart_name) = chart_name {
            let chart = self.load(chart_name).await?;
            if let (Some(chart_country), Some(country)) = (chart.country(), country) {
                if chart_country != country {
                    return Err(AdministrationError::CountryMismatch {
                        chart: chart_name.to_owned(),
                        chart_country: chart_country.to_owned(),
                        country: country.to_owned(),
                    });
                }
            }
        }
        let settings = stapel_records::AdministrationSettings {
            chart: chart_name,
            country,
        };
        let stored = backends
            .records
            .ensure_administration_with(tenant, name, &settings)
            .await?;
        let chart_differs = chart_name.is_some_and(|chart| chart != stored.chart);
        let country_differs = country.is_some() && country != stored.country.as_deref();
        if chart_differs || country_differs {
            return Err(AdministrationError::Conflict {
                name: name.to_owned(),
                chart: stored.chart.clone(),
                country: stored.country.clone().unwrap_or_else(|| "none".to_owned()),
            });
        }
        Ok(Some(stored))
    }
}

/// A chart name is a file name stem: no path can hide in it.
fn check_name(name: &str) -> Result<(), ChartError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if valid {
        Ok(())
    } else {
        Err(ChartError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// DATEV's Sachkontenrahmen code of a chart name (`"03"` for SKR03), for the EXTF header.
/// A firm's own chart named after SKR03 or SKR04 (`de-skr03`, `kanzlei-skr04`) counts too.
pub fn datev_chart_code(chart_name: &str) -> Option<String> {
    let lower = chart_name.to_ascii_lowercase();
    if lower.ends_with("skr03") {
        Some("03".to_owned())
    } else if lower.ends_with("skr04") {
        Some("04".to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN_SKR03: &str = r#"
        name = "Kanzlei SKR03"
        country = "DE"
        currency = "EUR"
        [expense]
        number = "4980"
        name = "Sonstiger Betriebsbedarf"
        [input_vat]
        number = "1576"
        name = "Abziehbare Vorsteuer 19 %"
        [accounts_payable]
        number = "1600"
        name = "Verbindlichkeiten aus Lieferungen und Leistungen"
    "#;

    #[tokio::test]
    async fn builtin_charts_load_by_name_without_a_directory() {
        let library = ChartLibrary::new(None);
        let chart = library.load("de-skr03").await.unwrap();
        assert_eq!(chart.expense().number(), "4900");
        assert_eq!(chart.country(), Some("DE"));
    }

    #[tokio::test]
    async fn a_firms_file_overrides_a_builtin_and_adds_new_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("de-skr03.toml"), OWN_SKR03).unwrap();
        std::fs::write(dir.path().join("kanzlei.toml"), OWN_SKR03).unwrap();
        let library = ChartLibrary::new(Some(dir.path().to_owned()));
        assert_eq!(
            library.load("de-skr03").await.unwrap().expense().number(),
            "4980"
        );
        assert_eq!(
            library.load("kanzlei").await.unwrap().name(),
            "Kanzlei SKR03"
        );
        // Names the directory does not have still find the built-in charts.
        assert_eq!(library.load("nl-rgs").await.unwrap().country(), Some("NL"));
    }

    #[tokio::test]
    async fn unknown_invalid_and_path_like_names_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.toml"), "name = ").unwrap();
        let library = ChartLibrary::new(Some(dir.path().to_owned()));

        let unknown = library.load("de-skr14").await.unwrap_err();
        assert_eq!(unknown.code(), "booking.unknown_chart");
        let message = unknown.to_string();
        assert!(
            message.contains("de-skr14") && message.contains("de-skr03"),
            "{message}"
        );
        assert!(message.contains("de-skr14.toml"), "{message}");

        let broken = library.load("broken").await.unwrap_err();
        assert_eq!(broken.code(), "booking.invalid_chart");
        assert!(!broken.is_transient());

        for name in ["../etc/passwd", "", "a/b", "x.toml"] {
            let error = library.load(name).await.unwrap_err();
            assert!(
                matches!(error, ChartError::InvalidName { .. }),
                "{name}: {error}"
            );
        }
    }

    #[tokio::test]
    async fn an_upload_sets_up_a_named_administration_once() {
        let dir = tempfile::tempdir().unwrap();
        let backends = Backends::open_embedded(&crate::EmbeddedSettings::new(dir.path()))
            .await
            .unwrap();
        backends
            .records
            .ensure_tenant("firm", "Firm")
            .await
            .unwrap();
        let library = ChartLibrary::new(None);
        let named =
            |name: Option<&str>, chart: Option<&str>, country: Option<&str>| NamedAdministration {
                name: name.map(str::to_owned),
                chart: chart.map(str::to_owned),
                country: country.map(str::to_owned),
            };
        let none = library
            .named_administration(&backends, "firm", &named(None, None, None))
            .await
            .unwrap();
        assert_eq!(none, None);

        let created = library
            .named_administration(
                &backends,
                "firm",
                &named(Some("Müller GmbH"), Some("de-skr03"), Some("DE")),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(created.chart, "de-skr03");
        let chart = library
            .for_administration(&backends, created.id)
            .await
            .unwrap();
        assert_eq!(chart.expense().number(), "4900");
        // Naming it again without settings, or with the same ones, finds it.
        for again in [
            named(Some("Müller GmbH"), None, None),
            named(Some(" Müller GmbH "), Some("de-skr03"), None),
        ] {
            let found = library
                .named_administration(&backends, "firm", &again)
                .await
                .unwrap();
            assert_eq!(found.as_ref(), Some(&created));
        }

        let codes = [
            (
                named(Some("Müller GmbH"), Some("nl-rgs"), None),
                "administration.conflict",
            ),
            (
                named(Some("X"), Some("de-skr03"), Some("NL")),
                "administration.country_mismatch",
            ),
            (
                named(Some("X"), Some("de-skr99"), None),
                "booking.unknown_chart",
            ),
            (
                named(Some("X"), None, Some("de")),
                "administration.invalid_country",
            ),
            (
                named(None, Some("de-skr03"), None),
                "administration.name_missing",
            ),
            (named(Some("  "), None, None), "administration.invalid_name"),
        ];
        for (request, code) in codes {
            let error = library
                .named_administration(&backends, "firm", &request)
                .await
                .unwrap_err();
            assert_eq!(error.code(), code, "{request:?}: {error}");
        }
        // A refused request created nothing.
        assert_eq!(
            backends
                .records
                .administration_named("firm", "X")
                .await
                .unwrap(),
            None
        );
    }

    #[test]
    fn datev_chart_codes_follow_the_chart_name() {
        assert_eq!(datev_chart_code("de-skr03").as_deref(), Some("03"));
        assert_eq!(datev_chart_code("kanzlei-SKR04").as_deref(), Some("04"));
        assert_eq!(datev_chart_code("nl-rgs"), None);
    }
}
