//! Lanes: large documents never hold up small ones.
//!
//! Two queues: the **fast lane** for the one-page invoices that make up most of the traffic,
//! and the **bulk lane** for large documents (long scans). A job is sent to a lane by what is
//! known when it is accepted, its size in bytes; the dispatcher never opens a file. A worker
//! that takes a fast-lane job and finds a scan of more than [`FAST_LANE_MAX_SCAN_PAGES`] pages
//! (OCR costs about a second a page) moves it to the bulk lane instead of reading it, so a
//! fast-lane worker is never busy for long.
//!
//! Workers prefer the fast lane: they look there first, and only every
//! [`BULK_TURN`]th receive looks at the bulk lane first, so bulk work keeps moving even while
//! the fast lane never empties. Within a lane, the queue is fair between tenants (the message
//! group), so one firm's flood does not starve another firm's few documents.

use crate::Backends;
use stapel_store::JobQueue;
use std::sync::Arc;

/// Which queue a job waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Small documents: most invoices.
    Fast,
    /// Large documents: long scans.
    Bulk,
}

/// Uploads larger than this go straight to the bulk lane. A one-page scan at 300 DPI is well
/// below it; a text PDF of any realistic invoice far below.
pub const FAST_LANE_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// A scan with more pages than this is read in the bulk lane.
pub const FAST_LANE_MAX_SCAN_PAGES: u32 = 3;

/// One receive in this many looks at the bulk lane first.
pub const BULK_TURN: u64 = 4;

/// The failure code a fast-lane job answers with when it belongs in the bulk lane. Not a
/// failure of the document: the worker moves the job and nobody sees the code.
pub const NEEDS_BULK_LANE: &str = "lane.needs_bulk";

/// The failure code a bulk-lane job answers with when the scan is to be split into page-range
/// jobs ([`crate::process::JobFailure::scan_pages`] carries the page count).
pub const NEEDS_SPLIT: &str = "lane.needs_split";

/// Pages per page-range job of a split scan: a few seconds of OCR each, so any free worker
/// can take one and a crash repeats little.
pub const DEFAULT_PART_PAGES: u32 = 10;

/// Scans longer than this are refused (`ocr.too_many_pages`) rather than split.
pub const MAX_SPLIT_SCAN_PAGES: u32 = 2000;

impl Lane {
    /// The lane for a newly accepted upload of `size_bytes`.
    pub fn for_upload(size_bytes: u64) -> Self {
        if size_bytes > FAST_LANE_MAX_BYTES {
            Self::Bulk
        } else {
            Self::Fast
        }
    }

    /// The lane's queue.
    pub fn queue(self, backends: &Backends) -> &Arc<dyn JobQueue> {
        match self {
            Self::Fast => &backends.queue,
            Self::Bulk => &backends.bulk,
        }
    }

    /// The most scan pages a job in this lane reads itself.
    pub fn max_scan_pages(self) -> u32 {
        match self {
            Self::Fast => FAST_LANE_MAX_SCAN_PAGES,
            Self::Bulk => crate::ocr::MAX_OCR_PAGES,
        }
    }

    /// The order in which the `turn`th receive looks at the lanes.
    pub fn receive_order(turn: u64) -> [Lane; 2] {
        if turn % BULK_TURN == BULK_TURN - 1 {
            [Lane::Bulk, Lane::Fast]
        } else {
            [Lane::Fast, Lane::Bulk]
        }
    }

    /// Lowercase name, for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Bulk => "bulk",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_uploads_go_to_the_bulk_lane() {
        assert_eq!(Lane::for_upload(200 * 1024), Lane::Fast);
        assert_eq!(Lane::for_upload(FAST_LANE_MAX_BYTES), Lane::Fast);
        assert_eq!(Lane::for_upload(FAST_LANE_MAX_BYTES + 1), Lane::Bulk);
    }

    #[test]
    fn the_fast_lane_comes_first_three_times_in_four() {
        let firsts: Vec<Lane> = (0..8).map(|turn| Lane::receive_order(turn)[0]).collect();
        let bulk_first = firsts.iter().filter(|lane| **lane == Lane::Bulk).count();
        assert_eq!(bulk_first, 2);
        assert_eq!(
            firsts[..4],
            [Lane::Fast, Lane::Fast, Lane::Fast, Lane::Bulk]
        );
        assert!(Lane::Fast.max_scan_pages() < Lane::Bulk.max_scan_pages());
    }
}
