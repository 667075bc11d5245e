//! Prometheus metrics of a process: one recorder for the `metrics` facade, rendered on
//! `GET /metrics` of an HTTP router we own (the dispatcher's API router, or the worker's own
//! small listener of `--metrics-addr`), so no second HTTP stack is needed.

use anyhow::Context;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::time::Duration;

/// Bucket bounds of every `*_seconds` histogram: job times run from milliseconds (an
/// e-invoice) to minutes (a long scan), queue waits likewise.
const SECONDS_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// How often histogram samples are folded in, so memory stays bounded between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The content type of the Prometheus text format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Install the process-wide Prometheus recorder and start its upkeep task (needs a Tokio
/// runtime). Call once per process.
pub fn install_prometheus() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .context("configuring histogram buckets")?
        .install_recorder()
        .context("installing the Prometheus recorder")?;
    stapel_pipeline::job_metrics::describe();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            ticks.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// The body of a `GET /metrics` answer.
pub fn metrics_response(handle: &PrometheusHandle) -> impl IntoResponse {
    ([(CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)], handle.render())
}

/// Serve `GET /metrics` on `address` in the background: a worker's scrape target. Logs the
/// bound address (also for port 0) as `metrics listening`.
pub async fn serve_metrics(
    address: SocketAddr,
    handle: PrometheusHandle,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(address = %bound, "metrics listening");
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move { metrics_response(&handle) }
        }),
    );
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "metrics listener failed");
        }
    }))
}
