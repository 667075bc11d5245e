//! Head-of-line scenario: does a huge scan and another firm's flood delay a small firm's
//! invoices?
//!
//! ```sh
//! bench/head_of_line.sh            # builds the worker, then runs this with the defaults
//! cargo run --release -p stapel-pipeline --example head_of_line -- \
//!     --worker target/release/worker --workers 2 --scan-pages 300 --flood 5000 --probes 50
//! ```
//!
//! Two runs on the embedded default, each in a fresh data directory with `--workers` real
//! worker processes:
//!
//! 1. **idle**: only the probes, `--probes` one-page text invoices of firm C;
//! 2. **loaded**: first a scan of `--scan-pages` pages (firm A), then `--flood` one-page
//!    invoices (firm B), then the same probes (firm C).
//!
//! The latency of a probe is from its acceptance to its `done` in the records. The program
//! prints p50, p95 and max of both runs and the loaded/idle ratio of p95 (goal ≤ 1.5), and
//! stops the loaded run as soon as every probe is done: the backlog is not waited for.

use stapel_domain::{BatchId, DocumentId, DocumentStatus};
use stapel_pipeline::ingest::{commit_staged, default_target, stage_original};
use stapel_pipeline::{Backends, ByteStream, EmbeddedSettings};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Options {
    worker: PathBuf,
    workers: usize,
    scan_pages: usize,
    flood: usize,
    probes: usize,
}

fn parse_options() -> Options {
    let mut options = Options {
        worker: PathBuf::from("target/release/worker"),
        workers: 2,
        scan_pages: 300,
        flood: 5000,
        probes: 50,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--worker" => options.worker = PathBuf::from(&value),
            "--workers" => options.workers = number(),
            "--scan-pages" => options.scan_pages = number(),
            "--flood" => options.flood = number(),
            "--probes" => options.probes = number(),
            other => panic!("unknown flag {other}"),
        }
    }
    options
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn stream(bytes: Vec<u8>) -> ByteStream<'static> {
    Box::pin(futures::stream::once(async move {
        Ok(bytes::Bytes::from(bytes))
    }))
}

/// Accept `count` copies of `bytes` for `tenant`, one batch; returns the ids and when each
/// was accepted.
async fn accept(
    backends: &Backends,
    tenant: &str,
    name: &str,
    bytes: &[u8],
    count: usize,
) -> Vec<(DocumentId, Instant)> {
    let target = default_target(backends, tenant).await.expect("tenant");
    let batch = BatchId::new();
    let mut accepted = Vec::with_capacity(count);
    for index in 0..count {
        let staged = stage_original(
            backends,
            &format!("{index}-{name}"),
            stream(bytes.to_vec()),
            u64::MAX,
        )
        .await
        .expect("stage");
        let done = commit_staged(backends, batch, &target, std::slice::from_ref(&staged))
            .await
            .expect("commit");
        accepted.push((done[0].id, Instant::now()));
    }
    accepted
}

fn start_workers(options: &Options, data_dir: &Path) -> Vec<Child> {
    (0..options.workers)
        .map(|_| {
            Command::new(&options.worker)
                .arg("--data-dir")
                .arg(data_dir)
                .arg("--wait-time")
                .arg("1")
                .env("OMP_THREAD_LIMIT", "1")
                .env("STAPEL_LOG", "warn")
                .spawn()
                .expect("worker starts (build it: cargo build --release -p stapel-worker)")
        })
        .collect()
}

/// Wait until every probe is final; returns each probe's latency.
async fn latencies(backends: &Backends, probes: &[(DocumentId, Instant)]) -> Vec<Duration> {
    let mut finished: Vec<Option<Duration>> = vec![None; probes.len()];
    let deadline = Instant::now() + Duration::from_secs(3600);
    while finished.iter().any(Option::is_none) && Instant::now() < deadline {
        for (slot, (id, accepted)) in finished.iter_mut().zip(probes) {
            if slot.is_some() {
                continue;
            }
            let record = backends.records.document(*id).await.expect("records");
            if let Some(record) = record {
                if matches!(record.status, DocumentStatus::Done | DocumentStatus::Failed) {
                    *slot = Some(accepted.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    finished
        .into_iter()
        .map(|latency| latency.expect("every probe finished within the hour"))
        .collect()
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let index = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn report(name: &str, mut latencies: Vec<Duration>) -> Duration {
    latencies.sort();
    let (p50, p95) = (percentile(&latencies, 0.50), percentile(&latencies, 0.95));
    println!(
        "{name:>7}: probes {:>3}  p50 {:>7.2} s  p95 {:>7.2} s  max {:>7.2} s",
        latencies.len(),
        p50.as_secs_f64(),
        p95.as_secs_f64(),
        latencies.last().copied().unwrap_or_default().as_secs_f64()
    );
    p95
}

async fn run(options: &Options, loaded: bool) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let backends = Backends::open_embedded(&EmbeddedSettings::new(dir.path()))
        .await
        .expect("backends");
    let invoice = std::fs::read(samples().join("en_invoice.pdf")).expect("sample");
    let started = Instant::now();
    if loaded {
        let page = std::fs::read(samples().join("de_rechnung.pdf")).expect("sample");
        let png = stapel_ocr::render_page_png(&page, 1, 200).expect("render");
        let scan = stapel_ocr::scanned_pdf(&png, None, options.scan_pages).expect("scan");
        accept(&backends, "firm-a", "scan.pdf", &scan, 1).await;
        accept(&backends, "firm-b", "invoice.pdf", &invoice, options.flood).await;
        println!(
            " loaded: enqueued a {}-page scan ({} KB, firm A) and {} invoices (firm B) in {:.1} s",
            options.scan_pages,
            scan.len() / 1024,
            options.flood,
            started.elapsed().as_secs_f64()
        );
    }
    let mut workers = start_workers(options, dir.path());
    // Let the workers get busy with the backlog before the probes arrive.
    if loaded {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let probes = accept(&backends, "firm-c", "probe.pdf", &invoice, options.probes).await;
    let result = latencies(&backends, &probes).await;
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    report(if loaded { "loaded" } else { "idle" }, result)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let options = parse_options();
    assert!(
        options.worker.is_file(),
        "no worker binary at {}: cargo build --release -p stapel-worker",
        options.worker.display()
    );
    println!(
        "head-of-line: {} workers, {}-page scan, {} invoices of another firm, {} probes",
        options.workers, options.scan_pages, options.flood, options.probes
    );
    let idle = run(&options, false).await;
    let loaded = run(&options, true).await;
    let ratio = loaded.as_secs_f64() / idle.as_secs_f64().max(1e-9);
    println!(
        "p95 loaded / idle = {ratio:.2} (goal ≤ 1.50: {})",
        if ratio <= 1.5 { "met" } else { "NOT met" }
    );
}
