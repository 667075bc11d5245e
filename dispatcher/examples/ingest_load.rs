//! Load generator for `POST /v1/documents`: a fixed number of uploads at a fixed concurrency,
//! from this separate process, then (with `--wait`) until every document is final.
//!
//! ```text
//! cargo run --release -p stapel-dispatcher --example ingest_load -- --file invoice.pdf
//!     [--url http://127.0.0.1:8080] [--api-key-file DATA/local-api-key] [--count 10000]
//!     [--concurrency 64] [--wait] [--wait-timeout 3600] [--dispatcher-pid PID]
//! ```
//!
//! Every upload sends the same file as one multipart `file` part into one named batch. A `503`
//! (the dispatcher's `upload.busy`) is counted and retried after its `Retry-After`, as
//! `dispatcher upload` does; any other status or a transport error is counted as an error and
//! not retried. Latency is per request, from sending to the response's last byte; the
//! percentiles are over the accepted (`202`) requests. Prints uploads per second (accepted
//! uploads over the wall time of the burst), p50/p90/p99/max, and the counts. With `--wait` it
//! then polls the batch until every document is `done` or `failed` and checks that the batch
//! holds exactly the accepted documents. With `--dispatcher-pid` it prints the dispatcher's
//! peak resident memory (`VmHWM`) at the end of the burst and after the wait.
//! Loopback only: the URL must be a local address.

use anyhow::{bail, Context};
use reqwest::multipart::{Form, Part};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the command line asks for.
struct Options {
    url: String,
    api_key: String,
    file: PathBuf,
    count: usize,
    concurrency: usize,
    wait: bool,
    wait_timeout: Duration,
    dispatcher_pid: Option<u32>,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut url = "http://127.0.0.1:8080".to_owned();
    let mut api_key_file = None;
    let mut file = None;
    let mut count = 10_000;
    let mut concurrency = 64;
    let mut wait = false;
    let mut wait_timeout = 3600;
    let mut dispatcher_pid = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .with_context(|| format!("{argument} needs a value"))
        };
        match argument.as_str() {
            "--url" => url = value()?,
            "--api-key-file" => api_key_file = Some(PathBuf::from(value()?)),
            "--file" => file = Some(PathBuf::from(value()?)),
            "--count" => count = value()?.parse()?,
            "--concurrency" => concurrency = value()?.parse()?,
            "--wait" => wait = true,
            "--wait-timeout" => wait_timeout = value()?.parse()?,
            "--dispatcher-pid" => dispatcher_pid = Some(value()?.parse()?),
            other => bail!("unknown argument {other}"),
        }
    }
    let host = url
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    anyhow::ensure!(
        matches!(host, "127.0.0.1" | "localhost" | "[::1]"),
        "loopback only: {url}"
    );
    let api_key = match (api_key_file, std::env::var("STAPEL_API_KEY")) {
        (Some(path), _) => std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim()
            .to_owned(),
        (None, Ok(key)) => key,
        (None, Err(_)) => bail!("give --api-key-file or STAPEL_API_KEY"),
    };
    Ok(Options {
        url: url.trim_end_matches('/').to_owned(),
        api_key,
        file: file.context("--file is required")?,
        count,
        concurrency: concurrency.max(1),
        wait,
        wait_timeout: Duration::from_secs(wait_timeout),
        dispatcher_pid,
    })
}

/// What the burst saw.
#[derive(Default)]
struct Tally {
    accepted_latencies: Vec<Duration>,
    busy: usize,
    errors: Vec<String>,
    documents: usize,
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, from /proc.
fn memory_of(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .map(|line| line[name.len()..].trim().to_owned())
    };
    Some(format!(
        "VmHWM {} VmRSS {}",
        field("VmHWM:")?,
        field("VmRSS:")?
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Arc::new(parse_options()?);
    let bytes = Arc::new(std::fs::read(&options.file)?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let batch_name = format!("ingest-load-{}", uuid::Uuid::new_v4());
    println!(
        "{} uploads of {} ({} KB) at concurrency {} to {}",
        options.count,
        options.file.display(),
        bytes.len() / 1024,
        options.concurrency,
        options.url
    );
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let batch_id = Arc::new(Mutex::new(None::<String>));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..options.concurrency {
        let (options, client, bytes, next, tally, batch_id, batch_name) = (
            options.clone(),
            client.clone(),
            bytes.clone(),
            next.clone(),
            tally.clone(),
            batch_id.clone(),
            batch_name.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < options.count {
                loop {
                    let form = Form::new().text("batch_name", batch_name.clone()).part(
                        "file",
                        Part::bytes(bytes.as_ref().clone())
                            .file_name("invoice.pdf")
                            .mime_str("application/pdf")
                            .expect("a valid mime type"),
                    );
                    let sent = Instant::now();
                    let response = client
                        .post(format!("{}/v1/documents", options.url))
                        .bearer_auth(&options.api_key)
                        .multipart(form)
                        .send()
                        .await;
                    let outcome = match response {
                        Ok(response) => {
                            let status = response.status();
                            let retry_after = response
                                .headers()
                                .get("retry-after")
                                .and_then(|value| value.to_str().ok())
                                .and_then(|value| value.parse::<u64>().ok());
                            let body = response.bytes().await;
                            (status, retry_after, body.map_err(|error| error.to_string()))
                        }
                        Err(error) => {
                            tally.lock().expect("tally").errors.push(error.to_string());
                            break;
                        }
                    };
                    let latency = sent.elapsed();
                    match outcome {
                        (status, _, Ok(body)) if status == reqwest::StatusCode::ACCEPTED => {
                            let answer: serde_json::Value =
                                serde_json::from_slice(&body).unwrap_or_default();
                            let documents = answer["documents"].as_array().map_or(0, Vec::len);
                            if let Some(batch) = answer["batch"].as_str() {
                                batch_id
                                    .lock()
                                    .expect("batch")
                                    .get_or_insert_with(|| batch.to_owned());
                            }
                            let mut tally = tally.lock().expect("tally");
                            tally.accepted_latencies.push(latency);
                            tally.documents += documents;
                            break;
                        }
                        (status, retry_after, _)
                            if status == reqwest::StatusCode::SERVICE_UNAVAILABLE =>
                        {
                            tally.lock().expect("tally").busy += 1;
                            tokio::time::sleep(Duration::from_secs(retry_after.unwrap_or(1))).await;
                        }
                        (status, _, body) => {
                            let body = body
                                .map(|body| String::from_utf8_lossy(&body).into_owned())
                                .unwrap_or_else(|error| error);
                            tally
                                .lock()
                                .expect("tally")
                                .errors
                                .push(format!("{status}: {body}"));
                            break;
                        }
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let burst = started.elapsed();
    let mut tally = std::mem::take(&mut *tally.lock().expect("tally"));
    tally.accepted_latencies.sort();
    let latencies = &tally.accepted_latencies;
    println!(
        "burst: {} accepted ({} documents) in {:.2} s = {:.0} uploads/s; 503 busy (retried) {}; errors {}",
        latencies.len(),
        tally.documents,
        burst.as_secs_f64(),
        latencies.len() as f64 / burst.as_secs_f64(),
        tally.busy,
        tally.errors.len()
    );
    println!(
        "latency of accepted uploads: p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        ms(percentile(latencies, 0.50)),
        ms(percentile(latencies, 0.90)),
        ms(percentile(latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    for error in tally.errors.iter().take(5) {
        println!("  error: {error}");
    }
    if let Some(pid) = options.dispatcher_pid {
        println!(
            "dispatcher memory after the burst: {}",
            memory_of(pid).unwrap_or_else(|| "unknown".to_owned())
        );
    }
    if !options.wait {
        return Ok(());
    }
    let batch = batch_id
        .lock()
        .expect("batch")
        .clone()
        .context("no upload was accepted, nothing to wait for")?;
    let deadline = Instant::now() + options.wait_timeout;
    loop {
        let view: serde_json::Value = client
            .get(format!("{}/v1/batches/{batch}", options.url))
            .bearer_auth(&options.api_key)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let count = |status: &str| view["counts"][status].as_u64().unwrap_or(0);
        let total = view["total"].as_u64().unwrap_or(0);
        let (done, failed) = (count("done"), count("failed"));
        if done + failed == total || Instant::now() > deadline {
            println!(
                "after {:.0} s: batch holds {total} documents (accepted {}): done {done}, failed {failed}, not final {}; {}",
                started.elapsed().as_secs_f64(),
                tally.documents,
                total - done - failed,
                if total == tally.documents as u64 && done + failed == total {
                    "nothing lost"
                } else {
                    "MISMATCH"
                }
            );
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    if let Some(pid) = options.dispatcher_pid {
        println!(
            "dispatcher memory after the wait: {}",
            memory_of(pid).unwrap_or_else(|| "unknown".to_owned())
        );
    }
    Ok(())
}
