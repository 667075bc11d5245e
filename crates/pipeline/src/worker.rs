//! The processing side: receive a job, hold it with a heartbeat, process, record, delete.
//!
//! **Invariant:** the queue message is deleted last, after the result and the status are
//! durable. A worker killed at any point before that loses nothing: the message becomes visible
//! again and another worker repeats the job, and the conditional status update in the records
//! makes the repeat harmless.

use crate::charts::ChartLibrary;
use crate::ingest::result_key;
use crate::lanes::{Lane, DEFAULT_PART_PAGES, NEEDS_BULK_LANE, NEEDS_SPLIT};
use crate::ocr::{OcrReading, PageSelection};
use crate::process::{finish_split_scan, ocr_with_runner, LongScans};
use crate::process::{
    process_document_with, DocumentResult, JobFailure, PdfTextRunner, ProcessOptions,
};
use crate::review::{apply_supplier_memory, new_supplier_reason, supplier_memory_for};
use crate::Backends;
use bytes::Bytes;
use stapel_booking::ChartOfAccounts;
use stapel_domain::{DocumentId, ErrorInfo, JobDecodeError, JobMessage};
use stapel_domain::{DocumentStatus, JobPart};
use stapel_records::{DeadLetter, DoneOutcome, Transition};
use stapel_store::{
    JobQueue, ObjectKey, OutgoingMessage, QueueError, ReceiveOptions, ReceivedMessage, StoreError,
};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a received job stays hidden from other workers between heartbeats. Short enough
    /// that a crashed worker's job comes back soon, long enough to ride out a slow store call.
    pub visibility_timeout: Duration,
    /// How often the heartbeat extends the visibility of the job in hand.
    pub heartbeat_interval: Duration,
    /// Long-poll wait per receive call.
    pub wait_time: Duration,
    /// How to run the PDF parser.
    pub pdf_text: PdfTextRunner,
    /// Where each administration's chart of accounts comes from (its own chart by name, a
    /// firm's chart files first, then the built-in charts).
    pub charts: ChartLibrary,
    /// Delay before a failed, retryable job becomes visible again.
    pub retry_delay: Duration,
    /// Test hook: sleep this long after taking a job, before processing it, so crash tests can
    /// kill a worker while it holds a job. Zero in production.
    pub pause_before_processing: Duration,
    /// How documents are read.
    pub process: ProcessOptions,
    /// Pages per page-range job when a long scan is split.
    pub part_pages: u32,
}

impl WorkerConfig {
    /// Production defaults around a given PDF runner.
    pub fn new(pdf_text: PdfTextRunner) -> Self {
        Self {
            visibility_timeout: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(20),
            wait_time: Duration::from_secs(20),
            pdf_text,
            charts: ChartLibrary::from_env(),
            retry_delay: Duration::from_secs(5),
            pause_before_processing: Duration::ZERO,
            process: ProcessOptions::default(),
            part_pages: DEFAULT_PART_PAGES,
        }
    }
}

/// What a worker did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs finished `done`.
    pub done: u64,
    /// Jobs finished `failed` (for good).
    pub failed: u64,
    /// Attempts that failed and were left for a retry.
    pub retried: u64,
    /// Duplicate deliveries of already-done documents, acknowledged without work.
    pub duplicates: u64,
    /// Fast-lane jobs moved to the bulk lane (long scans).
    pub moved: u64,
}

/// Process jobs until `shutdown` resolves. A job in hand when shutdown comes is finished first.
pub async fn run_worker(
    backends: Backends,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> WorkerStats {
    tokio::pin!(shutdown);
    let mut stats = WorkerStats::default();
    let mut receive_failures = 0u32;
    tracing::info!("worker started");
    loop {
        let received = tokio::select! {
            _ = &mut shutdown => break,
            received = receive_from_lanes(&backends, &config) => received,
        };
        let (lane, messages) = match received {
            Ok(received) => {
                receive_failures = 0;
                received
            }
            Err(error) => {
                receive_failures += 1;
                let backoff = Duration::from_millis(200 * 2u64.pow(receive_failures.min(6)));
                tracing::warn!(%error, ?backoff, "receive failed; backing off");
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(backoff) => continue,
                }
            }
        };
        for message in messages {
            handle_message(&backends, &config, lane, message, &mut stats).await;
        }
    }
    tracing::info!(?stats, "worker stopped");
    stats
}

/// One receive across the lanes: a look at each lane without waiting, in the order
/// [`crate::lanes::bulk_first`] gives from both lanes' depths, then a short long-poll on the
/// fast lane when both were empty. The poll is kept short so bulk work arriving meanwhile waits
/// at most that long. When a depth cannot be read, the fast lane comes first.
async fn receive_from_lanes(
    backends: &Backends,
    config: &WorkerConfig,
) -> Result<(Lane, Vec<ReceivedMessage>), QueueError> {
    let look = ReceiveOptions {
        max_messages: 1,
        visibility_timeout: config.visibility_timeout,
        wait_time: Duration::ZERO,
    };
    let (fast, bulk) = tokio::join!(backends.queue.depth(), backends.bulk.depth());
    let bulk_first = match (fast, bulk) {
        (Ok(fast), Ok(bulk)) => crate::lanes::bulk_first(fast, bulk),
        _ => false,
    };
    for lane in Lane::receive_order(bulk_first) {
        let messages = lane.queue(backends).receive(&look).await?;
        if !messages.is_empty() {
            return Ok((lane, messages));
        }
    }
    let poll = ReceiveOptions {
        wait_time: config.wait_time.min(IDLE_POLL),
        ..look
    };
    Ok((Lane::Fast, backends.queue.receive(&poll).await?))
}

/// The longest an idle worker waits on the fast lane before looking at both lanes again.
const IDLE_POLL: Duration = Duration::from_secs(2);

/// Outcome of one delivery, for the statistics.
enum Handled {
    Done,
    Moved,
    Failed,
    Retry,
    Duplicate,
    Left,
}

async fn handle_message(
    backends: &Backends,
    config: &WorkerConfig,
    lane: Lane,
    message: ReceivedMessage,
    stats: &mut WorkerStats,
) {
    let job = match JobMessage::decode(&message.body) {
        Ok(job) => job,
        Err(error) => {
            reject_undecodable(backends, lane, &message, error).await;
            // Let it come round again soon: another worker may read it, and if none can, it
            // reaches the dead-letter queue after its remaining deliveries.
            let _ = lane
                .queue(backends)
                .extend_visibility(&message.receipt, config.retry_delay)
                .await;
            return;
        }
    };
    let span = tracing::info_span!(
        "job",
        job_id = %message.message_id,
        document_id = %job.document_id,
        attempt = message.receive_count,
        filename = %job.filename,
        lane = lane.name(),
        request_id = job.request_id.as_deref(),
    );
    let waited = chrono::Utc::now() - job.enqueued_at;
    crate::job_metrics::job_received(lane, waited.to_std().unwrap_or_default());
    match handle_job(backends, config, lane, &message, &job)
        .instrument(span)
        .await
    {
        Handled::Done => stats.done += 1,
        Handled::Moved => stats.moved += 1,
        Handled::Failed => stats.failed += 1,
        Handled::Retry => stats.retried += 1,
        Handled::Duplicate => stats.duplicates += 1,
        Handled::Left => {}
    }
}

/// A message this build cannot read is failed visibly and left for the dead-letter queue,
/// never deleted: a newer worker (or a redrive) may still process it.
async fn reject_undecodable(
    backends: &Backends,
    lane: Lane,
    message: &ReceivedMessage,
    error: JobDecodeError,
) {
    tracing::error!(job_id = %message.message_id, attempt = message.receive_count, %error,
        stage = "decode", "cannot read job message; leaving it for the dead-letter queue");
    let (code, document_id) = match &error {
        JobDecodeError::UnsupportedVersion { document_id, .. } => {
            ("job.unsupported_version", *document_id)
        }
        _ => ("job.malformed", None),
    };
    let info = ErrorInfo::new(code, error.to_string());
    let last = is_last_attempt(backends, lane, message);
    if last {
        crate::job_metrics::document_failed(code);
    } else {
        crate::job_metrics::attempt_retried(code);
    }
    if let Some(document_id) = document_id {
        record_failure(backends, document_id, &info, !last).await;
    }
    if last {
        record_dead_letter(backends, message, document_id, &info).await;
    }
}

/// Keep a job the queue is about to dead-letter in the records, where the API and a redrive
/// can find it with its reason.
async fn record_dead_letter(
    backends: &Backends,
    message: &ReceivedMessage,
    document_id: Option<DocumentId>,
    reason: &ErrorInfo,
) {
    let dead_letter = DeadLetter {
        message_id: message.message_id.clone(),
        document_id,
        body: message.body.clone(),
        reason: reason.clone(),
        receive_count: message.receive_count,
        dead_lettered_at: chrono::Utc::now(),
        redriven_at: None,
    };
    if let Err(error) = backends.records.record_dead_letter(&dead_letter).await {
        tracing::error!(%error, stage = "records", "could not record the dead letter");
    }
}

fn is_last_attempt(backends: &Backends, lane: Lane, message: &ReceivedMessage) -> bool {
    lane.queue(backends)
        .max_receives()
        .is_some_and(|max| message.receive_count >= max)
}

async fn handle_job(
    backends: &Backends,
    config: &WorkerConfig,
    lane: Lane,
    message: &ReceivedMessage,
    job: &JobMessage,
) -> Handled {
    if let Some(part) = job.part {
        return handle_part(backends, config, lane, message, job, part).await;
    }
    match backends.records.start_attempt(job.document_id).await {
        Ok(Transition::Applied) => {}
        Ok(Transition::AlreadyDone) => {
            // At-least-once delivery: the work is done, only the acknowledgement was lost.
            tracing::info!("document already done; acknowledging duplicate delivery");
            delete_message(backends, lane, message).await;
            return Handled::Duplicate;
        }
        Ok(Transition::NotFound) => {
            tracing::error!(
                stage = "records",
                "job for an unknown document; leaving it for the dead-letter queue"
            );
            if is_last_attempt(backends, lane, message) {
                let info = ErrorInfo::new(
                    "records.document_missing",
                    "the job names a document that has no record",
                );
                record_dead_letter(backends, message, Some(job.document_id), &info).await;
            }
            return Handled::Left;
        }
        Err(error) => {
            tracing::warn!(%error, stage = "records", "could not start attempt; will retry");
            return Handled::Retry;
        }
    }

    let heartbeat = tokio::spawn(keep_visible(
        lane.queue(backends).clone(),
        message.receipt.clone(),
        config.visibility_timeout,
        config.heartbeat_interval,
    ));
    let started = Instant::now();
    if !config.pause_before_processing.is_zero() {
        tokio::time::sleep(config.pause_before_processing).await;
    }
    let outcome = match document_chart(backends, config, job.document_id).await {
        Ok(chart) => match run_job(backends, config, lane, job, &chart).await {
            Ok(mut result) => {
                apply_learned(backends, &chart, job.document_id, &mut result).await;
                store_result(backends, job.document_id, &result)
                    .await
                    .map(|()| result)
            }
            Err(failure) => Err(failure),
        },
        Err(failure) => Err(failure),
    };
    heartbeat.abort();
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_millis() as u64;

    match outcome {
        Err(failure) if failure.error.code == NEEDS_BULK_LANE && lane == Lane::Fast => {
            move_to_bulk_lane(backends, message).await
        }
        Err(failure) if failure.error.code == NEEDS_SPLIT => match failure.scan_pages {
            Some(pages) => split_scan(backends, config, lane, message, job, pages).await,
            None => Handled::Retry,
        },
        Ok(result) => {
            tracing::info!(
                elapsed_ms,
                needs_review = result.proposal.needs_review,
                source = crate::job_metrics::source_label(result.invoice.source),
                "document done"
            );
            crate::job_metrics::document_done(lane, result.invoice.source, elapsed);
            delete_message(backends, lane, message).await;
            Handled::Done
        }
        Err(failure) if !failure.retryable || is_last_attempt(backends, lane, message) => {
            tracing::warn!(elapsed_ms, code = %failure.error.code, error = %failure.error.message,
                "document failed");
            crate::job_metrics::document_failed(&failure.error.code);
            record_failure(backends, job.document_id, &failure.error, false).await;
            if failure.retryable {
                record_dead_letter(backends, message, Some(job.document_id), &failure.error).await;
            } else {
                // Retrying a bad document cannot help; the failure is recorded, so acknowledge.
                delete_message(backends, lane, message).await;
            }
            // A transient failure on the last attempt is left to be dead-lettered.
            Handled::Failed
        }
        Err(failure) => {
            tracing::warn!(elapsed_ms, code = %failure.error.code, error = %failure.error.message,
                "attempt failed; will retry");
            crate::job_metrics::attempt_retried(&failure.error.code);
            record_failure(backends, job.document_id, &failure.error, true).await;
            // Come back after a pause rather than at once, to let the trouble pass.
            let _ = lane
                .queue(backends)
                .extend_visibility(&message.receipt, config.retry_delay)
                .await;
            Handled::Retry
        }
    }
}

/// The chart of accounts of the document's administration. A chart that cannot be found or
/// read fails the document with a specific code (`booking.unknown_chart`,
/// `booking.invalid_chart`), never books it on another chart; a records hiccup is retried.
async fn document_chart(
    backends: &Backends,
    config: &WorkerConfig,
    document_id: DocumentId,
) -> Result<ChartOfAccounts, JobFailure> {
    let record = backends
        .records
        .document(document_id)
        .await
        .map_err(|error| JobFailure::transient("records.unavailable", error.to_string()))?
        .ok_or_else(|| {
            JobFailure::permanent(
                "records.document_missing",
                "the job names a document that has no record",
            )
        })?;
    config
        .charts
        .for_administration(backends, record.document.administration_id)
        .await
        .map_err(|error| {
            tracing::warn!(%error, stage = "propose", "no chart of accounts for the document");
            if error.is_transient() {
                JobFailure::transient(error.code(), error.to_string())
            } else {
                JobFailure::permanent(error.code(), error.to_string())
            }
        })
}

async fn run_job(
    backends: &Backends,
    config: &WorkerConfig,
    lane: Lane,
    job: &JobMessage,
    chart: &ChartOfAccounts,
) -> Result<DocumentResult, JobFailure> {
    let bytes = fetch_original(backends, job).await?;
    let runner = config.pdf_text.clone();
    let chart = chart.clone();
    // Parsing is CPU-bound and may block on a child process: keep it off the async threads.
    let options = match lane {
        Lane::Fast => ProcessOptions {
            max_scan_pages: lane.max_scan_pages(),
            long_scans: LongScans::MoveToBulkLane,
            ..config.process
        },
        Lane::Bulk => ProcessOptions {
            max_scan_pages: config.part_pages.max(1),
            long_scans: LongScans::Split,
            ..config.process
        },
    };
    tokio::task::spawn_blocking(move || process_document_with(&bytes, &runner, &chart, &options))
        .await
        .unwrap_or_else(|join_error| {
            Err(JobFailure::permanent(
                "worker.panic",
                format!("processing panicked: {join_error}"),
            ))
        })
}

/// Book the supplier the way reviews taught (see [`crate::review`]). The memory is a hint: if
/// it cannot be read, the proposal stands as computed.
async fn apply_learned(
    backends: &Backends,
    chart: &ChartOfAccounts,
    document_id: DocumentId,
    result: &mut DocumentResult,
) {
    let record = match backends.records.document(document_id).await {
        Ok(Some(record)) => record,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, "could not read the document's administration; no supplier memory");
            return;
        }
    };
    let administration = record.document.administration_id;
    flag_duplicates(backends, &record, result).await;
    match supplier_memory_for(backends, administration, &result.invoice).await {
        Ok(Some(memory)) => {
            if apply_supplier_memory(&mut result.proposal, &result.invoice, chart, &memory) {
                tracing::info!(
                    times_confirmed = memory.times_confirmed,
                    "booked the supplier as reviews taught"
                );
            }
        }
        // A supplier no review has taught anything: its accounts are the chart's defaults, so
        // a bookkeeper looks once. (An invoice naming no supplier at all has its own reason.)
        Ok(None) if result.invoice.supplier_key().is_some() => {
            result.proposal.needs_review = true;
            result
                .proposal
                .reasons
                .push(new_supplier_reason(&result.invoice));
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "could not read the supplier memory"),
    }
}

/// Flag a document that repeats another, so nothing is booked twice. The proposal is kept but
/// needs review, with a reason naming the other document:
///
/// - the same file (content hash) in the tenant;
/// - the same invoice in the administration: the same supplier, invoice number and gross
///   amount, whatever the file format (a PDF and its e-invoice twin read alike). When either
///   gross amount is unknown, the supplier and number alone decide, as before.
/// - the same supplier and invoice number with a different gross amount is not the same
///   invoice, but is flagged all the same, with its own reason quoting both amounts: it is a
///   corrected re-issue (book one of them) or a misread number or amount (fix it), and only a
///   bookkeeper can tell which. Amounts compare by magnitude, so a credit note printed with
///   negative figures matches its positive twin.
async fn flag_duplicates(
    backends: &Backends,
    record: &stapel_records::DocumentRecord,
    result: &mut DocumentResult,
) {
    let id = record.document.id;
    let mut earlier: Vec<(DocumentId, String)> = Vec::new();
    match backends
        .records
        .documents_with_content(&record.document.tenant, &record.document.content_sha256)
        .await
    {
        Ok(ids) => earlier.extend(
            ids.into_iter()
                .filter(|other| *other != id)
                .map(|other| (other, "the same file".to_owned())),
        ),
        Err(error) => tracing::warn!(%error, "could not look for duplicate files"),
    }
    let mut reasons = Vec::new();
    if let (Some(key), Some(number)) = (
        result.invoice.supplier_key(),
        result.invoice.invoice_number.as_deref(),
    ) {
        match backends
            .records
            .duplicates(record.document.administration_id, &key, number)
            .await
        {
            Ok(twins) => {
                let gross = result.invoice.gross_total;
                for twin in twins {
                    if twin.id == id || earlier.iter().any(|(seen, _)| *seen == twin.id) {
                        continue;
                    }
                    match (gross, twin.gross_total) {
                        (Some(this), Some(other)) if this.abs() != other.abs() => {
                            reasons.push(format!(
                                "Document {} has the same supplier and invoice number \
                                 ({number}) but a different gross amount ({other}, this one \
                                 {this}): a corrected re-issue or a misread figure; book only \
                                 one of them.",
                                twin.id
                            ));
                        }
                        (Some(_), Some(_)) => earlier.push((
                            twin.id,
                            "the same supplier, invoice number and amount".to_owned(),
                        )),
                        _ => earlier
                            .push((twin.id, "the same supplier and invoice number".to_owned())),
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not look for duplicate invoices"),
        }
    }
    for (other, why) in earlier {
        result.proposal.reasons.push(format!(
            "Possible duplicate of document {other} ({why}): check it is not booked twice."
        ));
    }
    result.proposal.reasons.extend(reasons);
    if !result.proposal.reasons.is_empty() {
        result.proposal.needs_review = true;
    }
}

/// The uploaded file a job names.
async fn fetch_original(backends: &Backends, job: &JobMessage) -> Result<Bytes, JobFailure> {
    let key = ObjectKey::new(job.object_key.clone())
        .map_err(|error| JobFailure::permanent("job.invalid_object_key", error.to_string()))?;
    backends.store.get(&key).await.map_err(|error| match error {
        StoreError::NotFound(_) => JobFailure::permanent(
            "document.original_missing",
            format!("the original file {key} is not in the object store"),
        ),
        other => JobFailure::transient("store.unavailable", other.to_string()),
    })
}

async fn store_result(
    backends: &Backends,
    document_id: DocumentId,
    result: &DocumentResult,
) -> Result<(), JobFailure> {
    let key = result_key(document_id);
    let json = serde_json::to_vec(result).expect("results serialize");
    backends
        .store
        .put(&key, Bytes::from(json))
        .await
        .map_err(|error| JobFailure::transient("store.unavailable", error.to_string()))?;
    let outcome = DoneOutcome {
        result_key: key.as_str(),
        invoice: &result.invoice,
        proposal: &result.proposal,
    };
    match backends.records.finish_done(document_id, outcome).await {
        Ok(Transition::Applied | Transition::AlreadyDone) => Ok(()),
        Ok(Transition::NotFound) => Err(JobFailure::permanent(
            "records.document_missing",
            "the document's record disappeared while it was processed",
        )),
        Err(error) => Err(JobFailure::transient(
            "records.unavailable",
            error.to_string(),
        )),
    }
}

async fn record_failure(backends: &Backends, id: DocumentId, error: &ErrorInfo, will_retry: bool) {
    if let Err(db_error) = backends.records.finish_failed(id, error, will_retry).await {
        tracing::error!(error = %db_error, stage = "records", "could not record the failure");
    }
}

/// A long scan in the bulk lane: one page-range job per `part_pages` pages, sent to the bulk
/// lane for any free worker, then the whole-document job is deleted. A crash before the delete
/// sends the parts again; a part done twice writes the same part result, and the join is
/// idempotent (see [`handle_part`]).
async fn split_scan(
    backends: &Backends,
    config: &WorkerConfig,
    lane: Lane,
    message: &ReceivedMessage,
    job: &JobMessage,
    pages: u32,
) -> Handled {
    let per_part = config.part_pages.max(1);
    let count = pages.div_ceil(per_part);
    for index in 0..count {
        let first_page = index * per_part + 1;
        let part_job = JobMessage {
            part: Some(JobPart {
                first_page,
                last_page: (first_page + per_part - 1).min(pages),
                index,
                count,
            }),
            ..job.clone()
        };
        let sent = backends
            .bulk
            .send(OutgoingMessage {
                body: part_job.encode(),
                group: job.tenant.clone(),
            })
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, "could not send a page-range job; will split again");
            let _ = lane
                .queue(backends)
                .extend_visibility(&message.receipt, config.retry_delay)
                .await;
            return Handled::Retry;
        }
    }
    tracing::info!(
        pages,
        parts = count,
        "a long scan: split into page-range jobs"
    );
    delete_message(backends, lane, message).await;
    Handled::Moved
}

/// Where a split scan's part keeps what it read.
fn part_key(id: DocumentId, index: u32) -> ObjectKey {
    ObjectKey::new(format!("documents/{id}/parts/{index:05}.json")).expect("part keys are valid")
}

/// One page range of a split scan: read it, store the reading, and if every part's reading is
/// stored, join them into the document's result. The join runs in whichever worker stores the
/// last part; two workers finishing the last parts together both join, and the records take
/// the first `done` and acknowledge the second, so the result is written once in effect.
async fn handle_part(
    backends: &Backends,
    config: &WorkerConfig,
    lane: Lane,
    message: &ReceivedMessage,
    job: &JobMessage,
    part: JobPart,
) -> Handled {
    match backends.records.document(job.document_id).await {
        Ok(Some(record)) if record.status == DocumentStatus::Done => {
            delete_message(backends, lane, message).await;
            return Handled::Duplicate;
        }
        Ok(Some(_)) => {}
        Ok(None) => return Handled::Left,
        Err(error) => {
            tracing::warn!(%error, stage = "records", "could not read the document; will retry");
            return Handled::Retry;
        }
    }
    let heartbeat = tokio::spawn(keep_visible(
        lane.queue(backends).clone(),
        message.receipt.clone(),
        config.visibility_timeout,
        config.heartbeat_interval,
    ));
    let started = Instant::now();
    let outcome = run_part(backends, config, job, part).await;
    heartbeat.abort();
    match outcome {
        Ok(joined) => {
            // Page ranges are scans read by OCR; the joined document counts as done once.
            crate::job_metrics::job_took(lane, "ocr", started.elapsed());
            if joined {
                crate::job_metrics::split_document_done();
            }
            tracing::info!(
                part = part.index,
                parts = part.count,
                joined,
                "page range read"
            );
            delete_message(backends, lane, message).await;
            if joined {
                Handled::Done
            } else {
                Handled::Moved
            }
        }
        Err(failure) if !failure.retryable || is_last_attempt(backends, lane, message) => {
            tracing::warn!(code = %failure.error.code, error = %failure.error.message,
                part = part.index, "page range failed; the document fails");
            crate::job_metrics::document_failed(&failure.error.code);
            record_failure(backends, job.document_id, &failure.error, false).await;
            delete_message(backends, lane, message).await;
            Handled::Failed
        }
        Err(failure) => {
            tracing::warn!(code = %failure.error.code, "page range failed; will retry");
            crate::job_metrics::attempt_retried(&failure.error.code);
            let _ = lane
                .queue(backends)
                .extend_visibility(&message.receipt, config.retry_delay)
                .await;
            Handled::Retry
        }
    }
}

/// Read one page range and store it; join when it was the last. `Ok(true)` when joined.
async fn run_part(
    backends: &Backends,
    config: &WorkerConfig,
    job: &JobMessage,
    part: JobPart,
) -> Result<bool, JobFailure> {
    let bytes = fetch_original(backends, job).await?;
    let runner = config.pdf_text.clone();
    let selection = PageSelection::Range(part.first_page, part.last_page);
    let reading = tokio::task::spawn_blocking(move || ocr_with_runner(&bytes, &runner, selection))
        .await
        .map_err(|error| JobFailure::permanent("worker.panic", error.to_string()))??;
    let json = serde_json::to_vec(&reading).expect("readings serialize");
    let store_failure =
        |error: StoreError| JobFailure::transient("store.unavailable", error.to_string());
    backends
        .store
        .put(&part_key(job.document_id, part.index), Bytes::from(json))
        .await
        .map_err(store_failure)?;
    let prefix = format!("documents/{}/parts/", job.document_id);
    let stored = backends.store.list(&prefix).await.map_err(store_failure)?;
    if stored.len() < part.count as usize {
        return Ok(false);
    }
    let mut parts = Vec::with_capacity(part.count as usize);
    for index in 0..part.count {
        let bytes = backends
            .store
            .get(&part_key(job.document_id, index))
            .await
            .map_err(store_failure)?;
        let reading: OcrReading = serde_json::from_slice(&bytes).map_err(|error| {
            JobFailure::permanent("ocr.part_unreadable", format!("part {index}: {error}"))
        })?;
        parts.push(reading);
    }
    let chart = document_chart(backends, config, job.document_id).await?;
    let mut result = finish_split_scan(&parts, &chart);
    apply_learned(backends, &chart, job.document_id, &mut result).await;
    store_result(backends, job.document_id, &result).await?;
    Ok(true)
}

/// A fast-lane job that turned out to be a long scan: send the same job to the bulk lane, then
/// delete it here. A crash in between leaves both copies; the second one to run finds the
/// document done and is acknowledged as a duplicate.
async fn move_to_bulk_lane(backends: &Backends, message: &ReceivedMessage) -> Handled {
    let group = JobMessage::decode(&message.body)
        .map(|job| job.tenant)
        .unwrap_or_default();
    let sent = backends
        .bulk
        .send(OutgoingMessage {
            body: message.body.clone(),
            group,
        })
        .await;
    match sent {
        Ok(_) => {
            tracing::info!("a long scan: moved to the bulk lane");
            delete_message(backends, Lane::Fast, message).await;
            Handled::Moved
        }
        Err(error) => {
            tracing::warn!(%error, "could not move the job to the bulk lane; will retry");
            Handled::Retry
        }
    }
}

async fn delete_message(backends: &Backends, lane: Lane, message: &ReceivedMessage) {
    match lane.queue(backends).delete(&message.receipt).await {
        Ok(()) => {}
        Err(QueueError::ReceiptInvalid) => {
            // Our visibility lapsed and another worker holds the job; its repeat is harmless.
            tracing::warn!("receipt expired before delete; another delivery will be deduplicated");
        }
        Err(error) => tracing::warn!(%error, "delete failed; the job will be redelivered"),
    }
}

/// The heartbeat: keep the job hidden while it runs, so a long document is not handed to a
/// second worker, yet a crashed worker's job reappears within one visibility timeout.
async fn keep_visible(
    queue: Arc<dyn JobQueue>,
    receipt: stapel_store::ReceiptHandle,
    visibility_timeout: Duration,
    interval: Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        match queue.extend_visibility(&receipt, visibility_timeout).await {
            Ok(()) => tracing::debug!("heartbeat: visibility extended"),
            Err(QueueError::ReceiptInvalid) => {
                tracing::warn!(
                    "heartbeat: receipt no longer valid; another worker may repeat this job"
                );
                return;
            }
            Err(error) => tracing::warn!(%error, "heartbeat failed; will try again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmbeddedSettings;

    async fn backends() -> (tempfile::TempDir, Backends) {
        let dir = tempfile::tempdir().unwrap();
        let backends = Backends::open_embedded(&EmbeddedSettings::new(dir.path()))
            .await
            .unwrap();
        (dir, backends)
    }

    async fn send(queue: &Arc<dyn JobQueue>, body: &str) {
        queue
            .send(OutgoingMessage {
                body: body.to_owned(),
                group: "tenant".to_owned(),
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn workers_keep_half_the_busy_workers_on_the_fast_lane_and_the_rest_on_bulk() {
        let (_dir, backends) = backends().await;
        let config = WorkerConfig::new(PdfTextRunner::InProcess);
        for index in 0..4 {
            send(&backends.queue, &format!("fast-{index}")).await;
            send(&backends.bulk, &format!("bulk-{index}")).await;
        }
        // Each receive leaves its message in flight, as a busy worker would: the first worker
        // takes fast work, the second bulk work (one of two busy workers), and so on
        // alternately while both lanes have work.
        let mut taken = Vec::new();
        for _ in 0..8 {
            let (lane, messages) = receive_from_lanes(&backends, &config).await.unwrap();
            assert_eq!(messages.len(), 1);
            taken.push((lane, messages[0].body.clone()));
        }
        let expected: Vec<(Lane, String)> = (0..4)
            .flat_map(|index| {
                [
                    (Lane::Fast, format!("fast-{index}")),
                    (Lane::Bulk, format!("bulk-{index}")),
                ]
            })
            .collect();
        assert_eq!(taken, expected);
    }

    #[tokio::test]
    async fn a_busy_bulk_lane_sends_the_next_worker_to_the_fast_lane() {
        let (_dir, backends) = backends().await;
        let config = WorkerConfig::new(PdfTextRunner::InProcess);
        for index in 0..3 {
            send(&backends.bulk, &format!("bulk-{index}")).await;
        }
        // Two workers busy with bulk work, none with fast work (the fast lane was empty).
        for _ in 0..2 {
            let (lane, _) = receive_from_lanes(&backends, &config).await.unwrap();
            assert_eq!(lane, Lane::Bulk);
        }
        send(&backends.queue, "fast-0").await;
        let (lane, messages) = receive_from_lanes(&backends, &config).await.unwrap();
        assert_eq!((lane, messages[0].body.as_str()), (Lane::Fast, "fast-0"));
    }

    /// A done document of `administration` with `invoice`, and a queued one (its content
    /// hash `sha256`) the worker is about to finish, with its record.
    async fn earlier_and_new(
        backends: &Backends,
        chart: Option<&str>,
        earlier: &stapel_domain::ExtractedInvoice,
    ) -> (DocumentId, stapel_records::DocumentRecord) {
        let records = &backends.records;
        records.ensure_tenant("firm", "Firm").await.unwrap();
        let administration = records
            .ensure_administration_with(
                "firm",
                "Client",
                &stapel_records::AdministrationSettings {
                    chart,
                    country: None,
                },
            )
            .await
            .unwrap();
        let batch = stapel_domain::BatchId::new();
        records
            .ensure_batch(batch, "firm", administration.id)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for sha256 in ["pdf-bytes", "xml-bytes"] {
            let id = DocumentId::new();
            records
                .insert_document(&stapel_records::NewDocument {
                    id,
                    batch_id: batch,
                    tenant: "firm".into(),
                    administration_id: administration.id,
                    filename: "f".into(),
                    object_key: format!("documents/{id}/original"),
                    content_sha256: sha256.into(),
                    size_bytes: 1,
                })
                .await
                .unwrap();
            ids.push(id);
        }
        let proposal = stapel_booking::propose_booking(earlier, &ChartOfAccounts::generic());
        records.start_attempt(ids[0]).await.unwrap();
        records
            .finish_done(
                ids[0],
                DoneOutcome {
                    result_key: "k",
                    invoice: earlier,
                    proposal: &proposal,
                },
            )
            .await
            .unwrap();
        let record = records.document(ids[1]).await.unwrap().unwrap();
        (ids[0], record)
    }

    fn invoice(source: stapel_domain::Source, gross: &str) -> stapel_domain::ExtractedInvoice {
        let gross: stapel_domain::Decimal = gross.parse().unwrap();
        stapel_domain::ExtractedInvoice {
            source,
            supplier_name: Some("Drukkerij B.V.".into()),
            supplier_vat_id: Some("NL812345678B01".into()),
            invoice_number: Some("2026-0312".into()),
            issue_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21),
            currency: Some("EUR".into()),
            gross_total: Some(gross),
            ..Default::default()
        }
    }

    fn result_for(invoice: stapel_domain::ExtractedInvoice) -> DocumentResult {
        DocumentResult {
            proposal: stapel_booking::propose_booking(&invoice, &ChartOfAccounts::generic()),
            invoice,
        }
    }

    #[tokio::test]
    async fn an_e_invoice_twin_of_a_pdf_is_a_duplicate_but_another_amount_is_not_the_same() {
        use stapel_domain::Source;
        let (_dir, backends) = backends().await;
        let (pdf, record) =
            earlier_and_new(&backends, None, &invoice(Source::Text, "858.31")).await;

        let mut twin = result_for(invoice(Source::Ubl, "858.31"));
        flag_duplicates(&backends, &record, &mut twin).await;
        assert!(twin.proposal.needs_review);
        assert!(
            twin.proposal.reasons.contains(&format!(
                "Possible duplicate of document {pdf} (the same supplier, invoice number and \
                 amount): check it is not booked twice."
            )),
            "{:?}",
            twin.proposal.reasons
        );

        let mut reissue = result_for(invoice(Source::Ubl, "900.00"));
        flag_duplicates(&backends, &record, &mut reissue).await;
        let reasons = reissue.proposal.reasons.join(" ");
        assert!(
            reasons.contains(&format!(
                "Document {pdf} has the same supplier and invoice number (2026-0312) but a \
                 different gross amount (858.31, this one 900.00)"
            )),
            "{reasons}"
        );
        assert!(!reasons.contains("Possible duplicate"), "{reasons}");

        // A credit note printed negative matches its positive twin.
        let mut negative = result_for(invoice(Source::Ubl, "-858.31"));
        flag_duplicates(&backends, &record, &mut negative).await;
        assert!(
            negative
                .proposal
                .reasons
                .join(" ")
                .contains("Possible duplicate"),
            "{:?}",
            negative.proposal.reasons
        );
    }

    #[tokio::test]
    async fn a_new_supplier_is_flagged_until_a_review_teaches_it() {
        use stapel_domain::Source;
        let (_dir, backends) = backends().await;
        let mut earlier = invoice(Source::Text, "858.31");
        earlier.invoice_number = Some("2026-0311".into());
        let (_, record) = earlier_and_new(&backends, None, &earlier).await;
        let chart = ChartOfAccounts::generic();

        let mut first = result_for(invoice(Source::Ubl, "858.31"));
        apply_learned(&backends, &chart, record.document.id, &mut first).await;
        assert!(first.proposal.needs_review);
        assert!(
            first
                .proposal
                .reasons
                .iter()
                .any(|reason| reason.starts_with("New supplier: Drukkerij B.V. has not")),
            "{:?}",
            first.proposal.reasons
        );

        backends
            .records
            .remember_supplier(&stapel_records::SupplierUpdate {
                administration: record.document.administration_id,
                supplier_key: "vat:NL812345678B01",
                supplier_name: None,
                expense_account: Some("4930"),
                vat_code: None,
                cost_centre: Some("KST-7"),
                payment_terms_days: Some(30),
                updated_by: "anna",
            })
            .await
            .unwrap();
        let mut known = result_for(invoice(Source::Ubl, "858.31"));
        apply_learned(&backends, &chart, record.document.id, &mut known).await;
        assert!(
            !known.proposal.reasons.join(" ").contains("New supplier"),
            "{:?}",
            known.proposal.reasons
        );
        assert!(known
            .proposal
            .lines
            .iter()
            .any(|line| line.account == "4930"));
        assert_eq!(known.proposal.cost_centre.as_deref(), Some("KST-7"));
        assert_eq!(
            known.proposal.due_date,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 21)
        );
        assert!(known.proposal.is_balanced());
    }

    #[tokio::test]
    async fn each_document_books_on_its_administrations_chart() {
        use stapel_domain::Source;
        let config = WorkerConfig::new(PdfTextRunner::InProcess);
        let (_dir, skr03) = backends().await;
        let (_, record) =
            earlier_and_new(&skr03, Some("de-skr03"), &invoice(Source::Text, "1.00")).await;
        let chart = document_chart(&skr03, &config, record.document.id)
            .await
            .unwrap();
        assert_eq!(chart.expense().number(), "4900");

        // A chart name nothing provides fails the document for good, naming the chart.
        let (_other_dir, other) = backends().await;
        let (_, record) =
            earlier_and_new(&other, Some("de-skr99"), &invoice(Source::Text, "1.00")).await;
        let failure = document_chart(&other, &config, record.document.id)
            .await
            .unwrap_err();
        assert_eq!(failure.error.code, "booking.unknown_chart");
        assert!(failure.error.message.contains("de-skr99"), "{failure:?}");
        assert!(!failure.retryable);
    }

    #[tokio::test]
    async fn an_idle_fast_lane_does_not_hide_bulk_work() {
        let (_dir, backends) = backends().await;
        let config = WorkerConfig::new(PdfTextRunner::InProcess);
        send(&backends.bulk, "bulk-only").await;
        let (lane, messages) = receive_from_lanes(&backends, &config).await.unwrap();
        assert_eq!((lane, messages[0].body.as_str()), (Lane::Bulk, "bulk-only"));
    }
}
