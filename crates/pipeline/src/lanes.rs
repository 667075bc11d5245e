//! Lanes: large documents never hold up small ones.
//!
//! Two queues: the **fast lane** for the one-page invoices that make up most of the traffic,
//! and the **bulk lane** for large documents (long scans). A job is sent to a lane by what is
//! known when it is accepted, its size in bytes; the dispatcher never opens a file. A worker
//! that takes a fast-lane job and finds a scan of more than [`FAST_LANE_MAX_SCAN_PAGES`] pages
//! (OCR costs about a second a page) moves it to the bulk lane instead of reading it, so a
//! fast-lane worker is never busy for long.
//!
//! Workers share themselves between the lanes by time, not by count: a bulk job holds a worker
//! for many seconds, a fast one for a fraction of a second, so "every fourth job from the bulk
//! lane" would give the bulk lane nearly all the time. Instead a worker looks at the bulk lane
//! first only while the bulk lane holds less than [`bulk_first`]'s share of the busy workers
//! (half), and at the fast lane first otherwise; either way it takes from the other lane when
//! its first choice is empty, so no worker idles while there is work. So while both lanes have
//! work, at least half the workers serve the fast lane, and a long scan is read by the rest.
//! Within a lane, the queue is fair between tenants (the message group), so one firm's flood
//! does not starve another firm's few documents.

use crate::Backends;
use stapel_store::{JobQueue, QueueDepth};
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

/// Whether a worker about to receive should look at the bulk lane first: when the bulk lane
/// has work and fewer than half of the busy workers (counting this one) would then hold bulk
/// jobs. `fast` and `bulk` are the lanes' depths as the queues report them (approximate on
/// SQS, which is fine for a share).
pub fn bulk_first(fast: QueueDepth, bulk: QueueDepth) -> bool {
    let busy = fast.in_flight + bulk.in_flight + 1;
    bulk.visible > 0 && (bulk.in_flight + 1) * 2 <= busy
}

/// The failure code a fast-lane job answers with when it belongs in the bulk lane. Not a
/// failure of the document: the worker moves the job and nobody sees the code.
pub const NEEDS_BULK_LANE: &str = "lane.needs_bulk";

/// The failure code a bulk-lane job answers with when the scan is to be split into page-range
/// jobs ([`crate::process::JobFailure::scan_pages`] carries the page count).
pub const NEEDS_SPLIT: &str = "lane.needs_split";

/// Pages per page-range job of a split scan: a few seconds of OCR each, so any free worker
/// can take one and a crash repeats little.
pub const DEFAULT_PART_PAGES: u32 = 5;

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

    /// The order in which a receive looks at the lanes (see [`bulk_first`]).
    pub fn receive_order(bulk_first: bool) -> [Lane; 2] {
        if bulk_first {
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

    fn depth(visible: u64, in_flight: u64) -> QueueDepth {
        QueueDepth { visible, in_flight }
    }

    #[test]
    fn the_bulk_lane_gets_at_most_half_the_busy_workers_while_both_have_work() {
        // Two workers, both lanes full. One holds a fast job: the other takes bulk work.
        assert!(bulk_first(depth(5000, 1), depth(30, 0)));
        // One holds a bulk job: the other stays on the fast lane.
        assert!(!bulk_first(depth(5000, 0), depth(29, 1)));
        // Four workers: two on bulk already is half; the third busy one goes fast.
        assert!(!bulk_first(depth(5000, 1), depth(28, 2)));
        assert!(bulk_first(depth(5000, 2), depth(28, 1)));
        // A lone worker looks at the fast lane first...
        assert!(!bulk_first(depth(0, 0), depth(30, 0)));
        // ...and nobody looks at an empty bulk lane first.
        assert!(!bulk_first(depth(5000, 3), depth(0, 0)));
        assert_eq!(Lane::receive_order(true), [Lane::Bulk, Lane::Fast]);
        assert_eq!(Lane::receive_order(false), [Lane::Fast, Lane::Bulk]);
        assert!(Lane::Fast.max_scan_pages() < Lane::Bulk.max_scan_pages());
    }
}
