//! What a worker counts, through the `metrics` facade: documents finished by status and
//! failure code, job times per source, queue waits. The binary decides where they go (the
//! worker's `--metrics-addr`); without a recorder these calls cost next to nothing.
//!
//! Label values come from fixed sets (lanes, sources, dotted error codes), never from a
//! document, so the number of series stays bounded.

use crate::lanes::Lane;
use stapel_domain::Source;
use std::time::Duration;

/// Documents finished: `status` is `done` or `failed`.
pub const DOCUMENTS_FINISHED: &str = "stapel_documents_finished_total";
/// Documents failed for good, by error `code`.
pub const DOCUMENT_FAILURES: &str = "stapel_document_failures_total";
/// Attempts that failed and were left for a retry, by error `code`.
pub const ATTEMPT_RETRIES: &str = "stapel_attempt_retries_total";
/// Seconds one job took in the worker (fetch, read, propose, store), by `source` (`text`,
/// `ocr`, `einvoice`) and `lane`; done documents and page ranges only.
pub const JOB_DURATION: &str = "stapel_job_duration_seconds";
/// Seconds from the upload (the job's `enqueued_at`) until a worker took the job, by `lane`.
pub const QUEUE_WAIT: &str = "stapel_job_queue_wait_seconds";

/// The `source` label: how the document was read. The e-invoice formats are one source, since
/// they cost alike and are read exactly.
pub fn source_label(source: Source) -> &'static str {
    match source {
        Source::Text => "text",
        Source::Ocr => "ocr",
        Source::Ubl | Source::Cii | Source::FatturaPa => "einvoice",
    }
}

/// A worker took a job that waited `waited` in the queue.
pub(crate) fn job_received(lane: Lane, waited: Duration) {
    metrics::histogram!(QUEUE_WAIT, "lane" => lane.name()).record(waited.as_secs_f64());
}

/// A document is done; its job took `took`.
pub(crate) fn document_done(lane: Lane, source: Source, took: Duration) {
    metrics::counter!(DOCUMENTS_FINISHED, "status" => "done").increment(1);
    job_took(lane, source_label(source), took);
}

/// The last page range of a split scan was read and the document joined. (Two workers joining
/// at once both count; the records keep one result. Rare enough to leave.)
pub(crate) fn split_document_done() {
    metrics::counter!(DOCUMENTS_FINISHED, "status" => "done").increment(1);
}

/// One job (a whole document or a page range) took `took`.
pub(crate) fn job_took(lane: Lane, source: &'static str, took: Duration) {
    metrics::histogram!(JOB_DURATION, "source" => source, "lane" => lane.name())
        .record(took.as_secs_f64());
}

/// A document failed for good with `code`.
pub(crate) fn document_failed(code: &str) {
    metrics::counter!(DOCUMENTS_FINISHED, "status" => "failed").increment(1);
    metrics::counter!(DOCUMENT_FAILURES, "code" => code.to_owned()).increment(1);
}

/// An attempt failed with `code` and the job will be tried again.
pub(crate) fn attempt_retried(code: &str) {
    metrics::counter!(ATTEMPT_RETRIES, "code" => code.to_owned()).increment(1);
}

/// Register the help texts of these metrics with the installed recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(
        DOCUMENTS_FINISHED,
        "Documents finished by this worker, by status (done, failed)."
    );
    describe_counter!(
        DOCUMENT_FAILURES,
        "Documents failed for good, by error code."
    );
    describe_counter!(
        ATTEMPT_RETRIES,
        "Attempts that failed and were left for a retry, by error code."
    );
    describe_histogram!(
        JOB_DURATION,
        Unit::Seconds,
        "Time a job took in the worker, by source (text, ocr, einvoice) and lane."
    );
    describe_histogram!(
        QUEUE_WAIT,
        Unit::Seconds,
        "Time from upload until a worker took the job, by lane."
    );
}
