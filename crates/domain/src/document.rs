//! Identity and lifecycle of an uploaded document.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A malformed id in a URL or message.
#[derive(Debug, thiserror::Error)]
#[error("not a valid id: {0:?}")]
pub struct ParseIdError(String);

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id. UUIDv7 sorts by creation time, which keeps database indexes and
            /// object-store listings in upload order.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Wrap an existing UUID (read back from a database).
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| ParseIdError(s.to_owned()))
            }
        }
    };
}

id_type!(
    /// Identifies one uploaded file for its whole life.
    DocumentId
);
id_type!(
    /// Groups the documents of one upload session (a bookkeeper's batch).
    BatchId
);
id_type!(
    /// One client administration of an accounting firm: its own chart of accounts, suppliers
    /// and review queue.
    AdministrationId
);

/// Where a document is in the pipeline.
///
/// `Done` and `Failed` are terminal for a given attempt; only a retry of a non-`Done` document
/// moves it back to `Processing`. A `Done` document never changes status again, so a redelivered
/// job cannot undo a finished result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Stored and enqueued; no worker has it yet (or it waits for a retry).
    Queued,
    /// A worker holds the job.
    Processing,
    /// Extraction and proposal are written.
    Done,
    /// Processing gave up; `error` says why.
    Failed,
}

impl DocumentStatus {
    /// The lowercase name used in JSON, the database and the CLI.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Processing => "processing",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// Every status, in pipeline order.
    pub const ALL: [DocumentStatus; 4] = [Self::Queued, Self::Processing, Self::Done, Self::Failed];
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentStatus {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| ParseIdError(s.to_owned()))
    }
}

/// A failure as users see it: a stable machine-readable code and a sentence for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Stable, dotted code such as `pdf.corrupt` or `job.unsupported_version`. Codes are added,
    /// never renamed.
    pub code: String,
    /// What went wrong, specific enough to act on.
    pub message: String,
}

impl ErrorInfo {
    /// Build an error from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings() {
        let id = DocumentId::new();
        assert_eq!(id.to_string().parse::<DocumentId>().unwrap(), id);
        assert!("not-a-uuid".parse::<DocumentId>().is_err());
    }

    #[test]
    fn status_names_are_stable() {
        for status in DocumentStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(status.as_str().parse::<DocumentStatus>().unwrap(), status);
        }
    }
}
