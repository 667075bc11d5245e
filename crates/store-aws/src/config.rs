//! Where the AWS backends are and how to reach them: locations parsed from `s3://` and `sqs://`
//! URLs, and the SDK configuration built from the standard chain.

use crate::AwsError;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

/// The region used when neither the environment nor a profile names one: EU data stays in the EU.
pub const DEFAULT_REGION: &str = "eu-central-1";

/// Attempts per AWS call, the first included. Throttling and 5xx answers are retried by the
/// SDK's standard retry mode with jittered exponential backoff; five attempts ride out a short
/// brown-out without holding a job for long.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// How to reach AWS (or an S3/SQS-compatible endpoint).
///
/// Every field is optional on top of the SDK's standard chain: unset fields come from the
/// environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SQS`,
/// `AWS_PROFILE`, ...), profiles and instance or task roles, exactly as for the AWS CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Region; when neither this nor the chain names one, [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// Endpoint for both services, overriding the chain (including the per-service variables).
    /// Tests point this at their own moto server so a developer's environment cannot redirect
    /// them.
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the chain; for local endpoints and tests only.
    pub static_credentials: Option<StaticCredentials>,
    /// Attempts per call; [`DEFAULT_MAX_ATTEMPTS`] when unset.
    pub max_attempts: Option<u32>,
}

/// An access key pair, for S3/SQS-compatible endpoints that accept any key.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log line.
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The loaded SDK configuration, plus the explicit endpoint that must win over per-service
/// settings. Clients built from one `AwsConfig` share its credential cache.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    sdk: SdkConfig,
    /// Set only when [`AwsSettings::endpoint_url`] was: the SDK ranks `AWS_ENDPOINT_URL_S3`
    /// above a loader's endpoint, so an explicit endpoint is set again on each client.
    explicit_endpoint_url: Option<String>,
}

impl AwsConfig {
    /// The standard chain plus `settings`.
    pub async fn load(settings: &AwsSettings) -> Self {
        let region = RegionProviderChain::first_try(settings.region.clone().map(Region::new))
            .or_default_provider()
            .or_else(Region::from_static(DEFAULT_REGION));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(settings.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS)),
            );
        if let Some(endpoint_url) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint_url);
        }
        if let Some(credentials) = &settings.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                &credentials.access_key_id,
                &credentials.secret_access_key,
                None,
                None,
                "stapel-static",
            ));
        }
        Self {
            sdk: loader.load().await,
            explicit_endpoint_url: settings.endpoint_url.clone(),
        }
    }

    /// The region in use.
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(|region| region.as_ref())
    }

    /// The SDK configuration, for clients of other services.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    pub(crate) fn s3_client(&self, force_path_style: bool) -> aws_sdk_s3::Client {
        let mut builder =
            aws_sdk_s3::config::Builder::from(&self.sdk).force_path_style(force_path_style);
        if let Some(endpoint_url) = &self.explicit_endpoint_url {
            builder = builder.endpoint_url(endpoint_url);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    pub(crate) fn sqs_client(&self) -> aws_sdk_sqs::Client {
        let mut builder = aws_sdk_sqs::config::Builder::from(&self.sdk);
        if let Some(endpoint_url) = &self.explicit_endpoint_url {
            builder = builder.endpoint_url(endpoint_url);
        }
        aws_sdk_sqs::Client::from_conf(builder.build())
    }
}

/// A bucket and a key prefix, from `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// Prepended to every key: empty, or ending in `/`. Lets several deployments share a bucket.
    pub prefix: String,
}

impl S3Location {
    /// Parse `s3://bucket` or `s3://bucket/some/prefix`.
    pub fn parse(url: &str) -> Result<Self, AwsError> {
        let invalid = |reason: &str| AwsError::InvalidLocation {
            location: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("expected s3://bucket or s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'));
        if !bucket_ok {
            return Err(invalid(
                "bucket names are 3 to 63 characters of a-z, 0-9, '-' and '.'",
            ));
        }
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix,
        })
    }
}

/// A queue by name (`sqs://name`, resolved with `GetQueueUrl`) or by its full URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueLocation {
    /// A queue name in the configured account and region.
    Name(String),
    /// A queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), e.g. for a queue in
    /// another account.
    Url(String),
}

impl QueueLocation {
    /// Parse `sqs://name` or an `http(s)://` queue URL.
    pub fn parse(location: &str) -> Result<Self, AwsError> {
        let invalid = |reason: &str| AwsError::InvalidLocation {
            location: location.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(name) = location.strip_prefix("sqs://") {
            let name = name.trim_end_matches('/');
            let name_ok = (1..=80).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
            if !name_ok {
                return Err(invalid(
                    "queue names are 1 to 80 characters of A-Z, a-z, 0-9, '-' and '_'",
                ));
            }
            return Ok(Self::Name(name.to_owned()));
        }
        if location.starts_with("https://") || location.starts_with("http://") {
            if queue_name_of_url(location).is_none() {
                return Err(invalid("a queue URL ends in /<account>/<queue-name>"));
            }
            return Ok(Self::Url(location.to_owned()));
        }
        Err(invalid("expected sqs://queue-name or a queue URL"))
    }

    /// The queue's name (the last path segment of a URL).
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) => name,
            // Checked by `parse`; a hand-built URL without a path yields the whole URL.
            Self::Url(url) => queue_name_of_url(url).unwrap_or(url),
        }
    }
}

fn queue_name_of_url(url: &str) -> Option<&str> {
    let without_scheme = url.split_once("://")?.1;
    let (_host, path) = without_scheme.split_once('/')?;
    let name = path.trim_end_matches('/').rsplit('/').next()?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations_parse_bucket_and_normalised_prefix() {
        assert_eq!(
            S3Location::parse("s3://invoices").unwrap(),
            S3Location {
                bucket: "invoices".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            S3Location::parse("s3://invoices/prod/eu/").unwrap(),
            S3Location {
                bucket: "invoices".into(),
                prefix: "prod/eu/".into()
            }
        );
        for bad in ["invoices", "s3://", "s3://A_B", "s3://ab", "file:///tmp"] {
            assert!(S3Location::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn queue_locations_are_names_or_urls() {
        assert_eq!(
            QueueLocation::parse("sqs://stapel-jobs").unwrap(),
            QueueLocation::Name("stapel-jobs".into())
        );
        let url = "https://sqs.eu-central-1.amazonaws.com/123456789012/stapel-jobs";
        let parsed = QueueLocation::parse(url).unwrap();
        assert_eq!(parsed, QueueLocation::Url(url.into()));
        assert_eq!(parsed.name(), "stapel-jobs");
        for bad in [
            "stapel-jobs",
            "sqs://",
            "sqs://a b",
            "https://sqs.example.com",
        ] {
            assert!(
                QueueLocation::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn static_credentials_never_print_the_secret() {
        let credentials = StaticCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
        };
        let printed = format!("{credentials:?}");
        assert!(printed.contains("AKIDEXAMPLE"));
        assert!(!printed.contains("very-secret"));
    }
}
