//! The dispatcher's Prometheus metrics: what it sees itself (uploads, queue depths per lane,
//! the local pool, the autoscaler's decisions), rendered on `GET /metrics`.
//!
//! Document-level metrics (finished, failures by code, job times per source) come from the
//! workers, which serve their own `/metrics` (`--metrics-addr`): the worker is where a job's
//! source and time are known, and every deployment already scrapes per task or pod.

use crate::pool::PoolStatus;
use metrics_exporter_prometheus::PrometheusHandle;
use stapel_pipeline::Backends;
use tokio::sync::watch;

/// Uploaded documents accepted (stored, recorded and queued).
pub const UPLOADS_ACCEPTED: &str = "stapel_uploads_accepted_total";
/// Upload requests refused, by `reason` (the API error code).
pub const UPLOADS_REFUSED: &str = "stapel_uploads_refused_total";
/// Files of an answered upload refused by their content (recorded `failed`, never queued), by
/// `code` (`upload.empty`, `upload.unsupported_type`).
pub const UPLOAD_FILES_REFUSED: &str = "stapel_upload_files_refused_total";
/// Jobs waiting in a lane's queue, by `lane`.
pub const QUEUE_VISIBLE: &str = "stapel_queue_visible_jobs";
/// Jobs a worker holds in a lane, by `lane`.
pub const QUEUE_IN_FLIGHT: &str = "stapel_queue_in_flight_jobs";
/// Local worker processes, by `state` (`running`, `retiring`).
pub const LOCAL_WORKERS: &str = "stapel_local_workers";
/// The size the local pool keeps.
pub const LOCAL_WORKERS_TARGET: &str = "stapel_local_workers_target";
/// Queue depths that could not be read at a scrape.
pub const SAMPLE_ERRORS: &str = "stapel_metrics_sample_errors_total";

/// What `GET /metrics` needs: the recorder, and the pool to sample.
#[derive(Clone)]
pub struct MetricsState {
    /// Renders everything recorded in this process.
    pub handle: PrometheusHandle,
    /// The local pool's status, when this dispatcher runs one.
    pub pool: Option<watch::Receiver<PoolStatus>>,
}

/// Register the help texts with the installed recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_counter!(
        UPLOADS_ACCEPTED,
        "Uploaded documents accepted: stored, recorded and queued."
    );
    describe_counter!(UPLOADS_REFUSED, "Upload requests refused, by reason.");
    describe_counter!(
        UPLOAD_FILES_REFUSED,
        "Uploaded files refused by their content (recorded failed, never queued), by code."
    );
    describe_gauge!(
        QUEUE_VISIBLE,
        "Jobs waiting in a lane's queue, sampled at each scrape."
    );
    describe_gauge!(
        QUEUE_IN_FLIGHT,
        "Jobs a worker holds in a lane, sampled at each scrape."
    );
    describe_gauge!(LOCAL_WORKERS, "Local worker processes, by state.");
    describe_gauge!(
        LOCAL_WORKERS_TARGET,
        "The size the local worker pool keeps."
    );
    describe_counter!(
        SAMPLE_ERRORS,
        "Scrapes at which a queue depth could not be read."
    );
}

/// Count an upload request's answer: per file, queued or refused by its content (`Some(code)`);
/// or the whole request's refusal code.
pub fn upload_answered<'a>(result: Result<impl Iterator<Item = Option<&'a str>>, &'static str>) {
    match result {
        Ok(files) => {
            for refusal in files {
                match refusal {
                    None => metrics::counter!(UPLOADS_ACCEPTED).increment(1),
                    Some(code) => {
                        metrics::counter!(UPLOAD_FILES_REFUSED, "code" => code.to_owned())
                            .increment(1)
                    }
                }
            }
        }
        Err(reason) => metrics::counter!(UPLOADS_REFUSED, "reason" => reason).increment(1),
    }
}

/// Set the sampled gauges (queue depths, the pool), then render every metric. Depths are read
/// at scrape time so they are current even when no autoscaler runs (`--workers N`).
pub async fn render(state: &MetricsState, backends: &Backends) -> String {
    for (lane, queue) in [("fast", &backends.queue), ("bulk", &backends.bulk)] {
        match queue.depth().await {
            Ok(depth) => {
                metrics::gauge!(QUEUE_VISIBLE, "lane" => lane).set(depth.visible as f64);
                metrics::gauge!(QUEUE_IN_FLIGHT, "lane" => lane).set(depth.in_flight as f64);
            }
            Err(error) => {
                tracing::warn!(%error, lane, "cannot read the queue depth for /metrics");
                metrics::counter!(SAMPLE_ERRORS, "lane" => lane).increment(1);
            }
        }
    }
    if let Some(pool) = &state.pool {
        let status = pool.borrow().clone();
        metrics::gauge!(LOCAL_WORKERS, "state" => "running").set(status.running.len() as f64);
        metrics::gauge!(LOCAL_WORKERS, "state" => "retiring").set(status.retiring.len() as f64);
        metrics::gauge!(LOCAL_WORKERS_TARGET).set(status.size as f64);
    }
    state.handle.render()
}
