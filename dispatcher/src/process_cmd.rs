//! `dispatcher process PATH...`: the one-shot main job. Files go the same way as HTTP uploads
//! (store → record → queue → local workers); this command then waits for every document and
//! prints what came out.

use anyhow::Context;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use indicatif::{ProgressBar, ProgressStyle};
use stapel_domain::{BatchId, DocumentId, DocumentStatus};
use stapel_pipeline::ingest::{commit_staged, stage_original, UploadTarget};
use stapel_pipeline::view::{batch_view, document_view, DocumentView};
use stapel_pipeline::Backends;
use stapel_pipeline::ByteStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::io::ReaderStream;

/// Extensions picked up when a directory is given; files named explicitly are always taken
/// (the worker decides the format from the content).
const DOCUMENT_EXTENSIONS: [&str; 8] = ["pdf", "xml", "png", "jpg", "jpeg", "tif", "tiff", "webp"];

/// Expand directories (recursively, sorted) into document files.
pub fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    anyhow::ensure!(!files.is_empty(), "no documents found in the given paths");
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| DOCUMENT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        {
            found.push(path);
        }
    }
    Ok(())
}

async fn file_stream(path: &Path) -> std::io::Result<ByteStream<'static>> {
    let file = tokio::fs::File::open(path).await?;
    Ok(Box::pin(ReaderStream::new(file)))
}

/// A progress bar style; the templates are constants, so a bad one is a bug caught by tests.
pub fn progress_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Where progress goes: bars on a terminal's stderr, nothing with `--json` (or when stderr is
/// not a terminal, which indicatif detects itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Bars on stderr when it is a terminal.
    Terminal,
    /// No bars at all.
    Quiet,
}

impl Progress {
    fn bar(self, length: u64, template: &str) -> ProgressBar {
        let bar = match self {
            Progress::Terminal => ProgressBar::new(length),
            Progress::Quiet => ProgressBar::hidden(),
        };
        bar.set_length(length);
        bar.set_style(progress_style(template));
        bar
    }
}

/// Store, record and enqueue every file as one batch; returns (file, document id) pairs.
pub async fn submit_files(
    backends: &Backends,
    target: &UploadTarget,
    files: &[PathBuf],
    max_file_bytes: u64,
    progress: Progress,
) -> anyhow::Result<(BatchId, Vec<(PathBuf, DocumentId)>)> {
    let batch = BatchId::new();
    let mut submitted = Vec::with_capacity(files.len());
    let bar = progress.bar(
        files.len() as u64,
        "{spinner} upload  [{elapsed_precise}] {bar:30} {pos}/{len} files {msg}",
    );
    for file in files {
        bar.set_message(
            file.file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let filename = file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let body = file_stream(file)
            .await
            .with_context(|| format!("cannot open {}", file.display()))?;
        let staged = stage_original(backends, &filename, body, max_file_bytes)
            .await
            .with_context(|| format!("cannot store {}", file.display()))?;
        let accepted =
            commit_staged(backends, batch, target, std::slice::from_ref(&staged)).await?;
        submitted.push((file.clone(), accepted[0].id));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((batch, submitted))
}

/// Wait until no document of the batch is queued or processing, showing progress on stderr.
pub async fn wait_for_batch(
    backends: &Backends,
    batch: BatchId,
    timeout: Duration,
    progress: Progress,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let progress = progress.bar(
        0,
        "{spinner} process [{elapsed_precise}] {bar:30} {pos}/{len} documents {msg}",
    );
    loop {
        let view = batch_view(backends, batch)
            .await?
            .context("batch disappeared")?;
        let finished = view.counts["done"] + view.counts["failed"];
        progress.set_length(view.total);
        progress.set_position(finished);
        progress.set_message(format!("({} failed)", view.counts["failed"]));
        if finished == view.total {
            progress.finish_and_clear();
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < timeout,
            "timed out after {timeout:?}: {} of {} documents unfinished",
            view.total - finished,
            view.total
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Print the documents as a table (default) or one JSON object per line (`--json`).
/// Returns how many failed.
pub async fn report(
    backends: &Backends,
    submitted: &[(PathBuf, DocumentId)],
    json: bool,
) -> anyhow::Result<usize> {
    let mut views = Vec::with_capacity(submitted.len());
    for (file, id) in submitted {
        let view = document_view(backends, *id)
            .await?
            .context("document disappeared")?;
        views.push((file, view));
    }
    let failed = views
        .iter()
        .filter(|(_, view)| view.status == DocumentStatus::Failed)
        .count();
    if json {
        for (file, view) in &views {
            let mut value = serde_json::to_value(view)?;
            value["file"] = serde_json::Value::String(file.display().to_string());
            println!("{value}");
        }
    } else {
        print_table(&views);
    }
    Ok(failed)
}

fn print_table(views: &[(&PathBuf, DocumentView)]) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "file",
        "status",
        "supplier",
        "invoice no.",
        "date",
        "net",
        "VAT",
        "gross",
        "proposal",
    ]);
    let mut notes = Vec::new();
    for (file, view) in views {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let invoice = view.invoice.clone().unwrap_or_default();
        let amount = |value: Option<stapel_domain::Decimal>| {
            value
                .map(|v| format!("{v} {}", invoice.currency.as_deref().unwrap_or("")))
                .unwrap_or_default()
        };
        let proposal = match &view.proposal {
            Some(proposal) if proposal.needs_review => {
                notes.push(format!("{name}: {}", proposal.reasons.join(" ")));
                format!("{} lines, review", proposal.lines.len())
            }
            Some(proposal) => format!("{} lines, ok", proposal.lines.len()),
            None => String::new(),
        };
        if let Some(error) = &view.error {
            notes.push(format!("{name}: [{}] {}", error.code, error.message));
        }
        table.add_row([
            name,
            view.status.to_string(),
            invoice.supplier_name.clone().unwrap_or_default(),
            invoice.invoice_number.clone().unwrap_or_default(),
            invoice
                .issue_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            amount(invoice.net_total),
            amount(invoice.vat_total),
            amount(invoice.gross_total),
            proposal,
        ]);
    }
    println!("{table}");
    for note in notes {
        println!("  {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_templates_are_valid() {
        for template in [
            "{spinner} upload  [{elapsed_precise}] {bar:30} {pos}/{len} files {msg}",
            "{spinner} process [{elapsed_precise}] {bar:30} {pos}/{len} documents {msg}",
            "{spinner} upload  [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}",
        ] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
