//! `dispatcher upload PATH...`: send files to a running dispatcher (local or remote) over its
//! public HTTP API, with progress bars for the upload and for processing.
//!
//! Each file is its own request, streamed from disk, so a large batch never sits in memory and
//! one refused file does not sink the rest; the first answer names the batch and the other files
//! join it.

use crate::process_cmd::{collect_files, progress_style};
use anyhow::Context;
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::io::ReaderStream;

/// What `dispatcher upload` was asked to do.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// Files and directories.
    pub paths: Vec<PathBuf>,
    /// The dispatcher's base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// The tenant's API key.
    pub api_key: String,
    /// Upload into the batch of this name (found or created by the dispatcher).
    pub batch_name: Option<String>,
    /// Add to this existing batch (its id) instead of starting one.
    pub batch_id: Option<String>,
    /// Wait until every document is done or failed.
    pub wait: bool,
    /// After waiting, write the export of the batch's period here (`.csv`, `.json`).
    pub export: Option<PathBuf>,
    /// One JSON object per document on stdout, no progress bars.
    pub json: bool,
    /// Give up waiting after this long.
    pub timeout: Duration,
}

/// Run the upload; returns how many documents failed (when waiting).
pub async fn upload(settings: &UploadSettings) -> anyhow::Result<usize> {
    let files = collect_files(&settings.paths)?;
    let client = client(&settings.api_key)?;
    let base = settings.url.trim_end_matches('/').to_owned();
    let bars = MultiProgress::new();
    if settings.json {
        bars.set_draw_target(ProgressDrawTarget::hidden());
    }
    let total_bytes = files
        .iter()
        .map(|file| std::fs::metadata(file).map(|meta| meta.len()).unwrap_or(0))
        .sum();
    let upload_bar = bars.add(ProgressBar::new(total_bytes));
    upload_bar.set_style(progress_style(
        "{spinner} upload  [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}",
    ));
    let mut batch = settings.batch_id.clone();
    let mut submitted = Vec::with_capacity(files.len());
    for file in &files {
        upload_bar.set_message(file_name(file));
        // A name is sent with every file (the dispatcher finds the batch by it); without one,
        // the first answer's batch id keeps the other files together.
        let target = match &settings.batch_name {
            Some(name) => BatchRef::Name(name),
            None => batch.as_deref().map_or(BatchRef::New, BatchRef::Id),
        };
        let answer = upload_with_retries(&client, &base, file, target, &upload_bar)
            .await
            .with_context(|| format!("uploading {}", file.display()))?;
        batch = answer["batch"].as_str().map(str::to_owned);
        let id = answer["documents"][0]["id"]
            .as_str()
            .context("the dispatcher's answer names no document")?
            .to_owned();
        submitted.push((file.clone(), id));
    }
    upload_bar.finish_with_message("uploaded");
    let batch = batch.context("the dispatcher's answer names no batch")?;
    if !settings.json {
        bars.suspend(|| {
            eprintln!(
                "batch {batch}: {} document(s) uploaded to {base}",
                submitted.len()
            )
        });
    }
    if !settings.wait {
        if settings.json {
            for (file, id) in &submitted {
                println!(
                    "{}",
                    serde_json::json!({"file": file.display().to_string(), "id": id, "batch": batch})
                );
            }
        }
        return Ok(0);
    }
    let process_bar = bars.add(ProgressBar::new(submitted.len() as u64));
    process_bar.set_style(progress_style(
        "{spinner} process [{elapsed_precise}] {bar:30} {pos}/{len} documents {msg}",
    ));
    let views = wait(&client, &base, &batch, settings.timeout, &process_bar).await?;
    process_bar.finish_and_clear();
    let failed = views
        .iter()
        .filter(|view| view["status"] == "failed")
        .count();
    for (file, id) in &submitted {
        let Some(view) = views.iter().find(|view| view["id"] == id.as_str()) else {
            continue;
        };
        if settings.json {
            let mut view = view.clone();
            view["file"] = Value::String(file.display().to_string());
            println!("{view}");
        } else {
            println!("{}", summary_line(file, view));
        }
    }
    if let Some(path) = &settings.export {
        export(&client, &base, &views, path).await?;
        if !settings.json {
            eprintln!("export written to {}", path.display());
        }
    }
    Ok(failed)
}

fn client(api_key: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut value: reqwest::header::HeaderValue = format!("Bearer {api_key}")
        .parse()
        .context("the API key is not a valid header value")?;
    value.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, value);
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(10))
        .build()?)
}

fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An error answer of the API as a message: `code: message`.
async fn api_error(response: reqwest::Response) -> anyhow::Error {
    let status = response.status();
    match response.json::<Value>().await {
        Ok(body) if body["error"]["code"].is_string() => anyhow::anyhow!(
            "{status}: {}: {}",
            body["error"]["code"].as_str().unwrap_or_default(),
            body["error"]["message"].as_str().unwrap_or_default()
        ),
        _ => anyhow::anyhow!("the dispatcher answered {status}"),
    }
}

/// The dispatcher is receiving as many uploads as it takes (`503` with `Retry-After`).
#[derive(Debug)]
struct Busy(Duration);

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the dispatcher is busy; it asks to retry in {:?}",
            self.0
        )
    }
}

impl std::error::Error for Busy {}

/// How often a file is offered to a busy dispatcher before giving up.
const BUSY_ATTEMPTS: u32 = 60;

/// [`upload_file`], retried while the dispatcher answers busy, after the wait it asks for.
async fn upload_with_retries(
    client: &reqwest::Client,
    base: &str,
    file: &Path,
    batch: BatchRef<'_>,
    bar: &ProgressBar,
) -> anyhow::Result<Value> {
    let start = bar.position();
    let mut attempt = 1;
    loop {
        match upload_file(client, base, file, batch, bar).await {
            Err(error) if attempt < BUSY_ATTEMPTS => {
                let Some(Busy(wait)) = error.downcast_ref::<Busy>() else {
                    return Err(error);
                };
                tracing::debug!(file = %file.display(), ?wait, attempt, "dispatcher busy; retrying");
                // The refused attempt's bytes were not taken.
                bar.set_position(start);
                tokio::time::sleep(*wait).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Which batch a file goes to.
#[derive(Clone, Copy)]
enum BatchRef<'a> {
    /// A new one (the dispatcher answers with its id).
    New,
    /// The batch with this id.
    Id(&'a str),
    /// The caller's batch of this name.
    Name(&'a str),
}

async fn upload_file(
    client: &reqwest::Client,
    base: &str,
    file: &Path,
    batch: BatchRef<'_>,
    bar: &ProgressBar,
) -> anyhow::Result<Value> {
    let handle = tokio::fs::File::open(file).await?;
    let length = handle.metadata().await?.len();
    let counted = bar.clone();
    let stream = ReaderStream::new(handle).inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            counted.inc(chunk.len() as u64);
        }
    });
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), length)
        .file_name(file_name(file));
    let mut form = Form::new().part("file", part);
    match batch {
        BatchRef::New => {}
        BatchRef::Id(id) => form = form.text("batch", id.to_owned()),
        BatchRef::Name(name) => form = form.text("batch_name", name.to_owned()),
    }
    let response = match client
        .post(format!("{base}/v1/documents"))
        .multipart(form)
        .send()
        .await
    {
        Ok(response) => response,
        // A dispatcher that refuses a busy upload answers before reading the body and closes
        // the connection, which the client may see as a broken pipe while it still writes: as
        // busy as a 503. A dispatcher that cannot be reached at all fails the first attempt.
        Err(error) if error.is_request() && !error.is_connect() && !error.is_timeout() => {
            tracing::debug!(%error, "the upload's connection broke; treating it as busy");
            return Err(Busy(Duration::from_secs(1)).into());
        }
        Err(error) => return Err(anyhow::Error::new(error).context(format!("cannot reach {base}"))),
    };
    if response.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        if let Some(seconds) = retry_after {
            return Err(Busy(Duration::from_secs(seconds.clamp(1, 60))).into());
        }
    }
    if response.status() != reqwest::StatusCode::ACCEPTED {
        return Err(api_error(response).await);
    }
    Ok(response.json().await?)
}

/// Poll the batch until nothing is queued or processing; returns its documents' views.
async fn wait(
    client: &reqwest::Client,
    base: &str,
    batch: &str,
    timeout: Duration,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<Value>> {
    let started = Instant::now();
    loop {
        let response = client
            .get(format!("{base}/v1/batches/{batch}/documents"))
            .send()
            .await
            .with_context(|| format!("cannot reach {base}"))?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        let body: Value = response.json().await?;
        let count = |status: &str| body["counts"][status].as_u64().unwrap_or(0);
        let total = body["total"].as_u64().unwrap_or(0);
        let finished = count("done") + count("failed");
        bar.set_length(total);
        bar.set_position(finished);
        bar.set_message(format!("({} failed)", count("failed")));
        if finished == total {
            return Ok(body["document_views"]
                .as_array()
                .cloned()
                .unwrap_or_default());
        }
        anyhow::ensure!(
            started.elapsed() < timeout,
            "timed out after {timeout:?}: {} of {total} documents unfinished",
            total - finished
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn summary_line(file: &Path, view: &Value) -> String {
    let text = |value: &Value| value.as_str().unwrap_or("").to_owned();
    let invoice = &view["invoice"];
    let mut line = format!(
        "{}\t{}\t{}\t{}\t{} {}",
        file_name(file),
        text(&view["status"]),
        text(&invoice["supplier_name"]),
        text(&invoice["invoice_number"]),
        text(&invoice["gross_total"]),
        text(&invoice["currency"]),
    );
    if view["proposal"]["needs_review"] == true {
        line.push_str("\treview");
    }
    if let Some(code) = view["error"]["code"].as_str() {
        line.push_str(&format!("\t[{code}]"));
    }
    line
}

/// `GET /v1/exports` for the period of the batch's issue dates, in the file's format (by
/// extension: `.json`, else CSV). Exports hold reviewed entries only.
async fn export(
    client: &reqwest::Client,
    base: &str,
    views: &[Value],
    path: &Path,
) -> anyhow::Result<()> {
    let dates: Vec<&str> = views
        .iter()
        .filter_map(|view| view["invoice"]["issue_date"].as_str())
        .collect();
    let (Some(from), Some(to)) = (dates.iter().min(), dates.iter().max()) else {
        anyhow::bail!("no document of the batch has an issue date; nothing to export");
    };
    let format = match path.extension().and_then(|ext| ext.to_str()) {
        Some("json") => "json",
        _ => "csv",
    };
    let response = client
        .get(format!("{base}/v1/exports"))
        .query(&[("from", *from), ("to", *to), ("format", format)])
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(api_error(response).await);
    }
    let body = response.bytes().await?;
    tokio::fs::write(path, &body)
        .await
        .with_context(|| format!("cannot write {}", path.display()))
}
