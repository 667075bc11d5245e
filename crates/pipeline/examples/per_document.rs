//! Per-document benchmarks of the pipeline's `process` (read, extract, propose), side by side
//! with a peer in the same run, so a loaded machine slows both alike.
//!
//! ```text
//! cargo run --release -p stapel-pipeline --example per_document -- text
//!     [--rounds N] [--worker PATH [--fresh-children]] [--invoice2data PYTHON] [--cli DISPATCHER] DIR...
//! cargo run --release -p stapel-pipeline --example per_document -- scan
//!     [--repeat N] [--worker PATH [--fresh-children]] [--cli-langs eng|auto] FILE.pdf...
//! cargo run --release -p stapel-pipeline --example per_document -- einvoice [--rounds N] DIR...
//! cargo run --release -p stapel-pipeline --example per_document -- make-scans OUT_DIR FILE.pdf...
//! ```
//!
//! `text`: every PDF under DIR with ground truth (`<stem>.expected.json`, or the CII XML beside
//! or embedded in it; see `crates/extract/examples/scoring/truth.rs`) is read through its text
//! layer by `process_document_with` (embedded e-invoice ignored, OCR cross-check on as in
//! production), in this process and, with `--worker`, with the production runner (the parser in
//! a warm child process, `worker extract-pdf-text --serve`; with `--fresh-children`, a child
//! started per document). With `--invoice2data PYTHON`, the same file is
//! then handed to a long-running Python process (`bench/invoice2data/serve.py`) that calls
//! invoice2data's `extract_data` with its bundled templates and the `pdftotext` reader and
//! times that call itself; ours and theirs alternate per document, and each document's time is
//! the fastest of `--rounds`. `--cli DISPATCHER` also times both command lines once per file:
//! `dispatcher process --workers 1 --ignore-embedded-xml --json FILE` in a fresh data directory
//! against `invoice2data --input-reader pdftotext --output-format json FILE`, each paying its
//! own start-up (`--cli-files N`: the first N files only). Fields are scored by the accuracy harness's rules.
//!
//! `scan`: page 1 of each PDF is rendered at 300 DPI to a PNG, which is wrapped as a scanned
//! PDF (JPEG image, no text layer), the way a scanner delivers it. "ours" is the whole
//! `process_document_with` on that scan (render, OCR with language detection, field extraction,
//! proposal), in-process and with `--worker` through the production OCR child; "cli" is
//! `tesseract page.png - --psm 4 -l <cli-langs> --dpi 300` on the PNG (OCR alone; `auto`: the
//! languages our reader settled on for the page, `<detected>+eng`). Both with
//! `OMP_THREAD_LIMIT=1`, alternating per page, fastest of `--repeat` each.
//!
//! `einvoice`: every `*.xml` and hybrid PDF under DIR, read and proposed end to end in one
//! thread (`process_document`), after one warm-up round; documents per second per core.
//!
//! `make-scans`: writes a scanned copy (page 1 at 200 DPI as a JPEG page, no text layer) of each
//! PDF into OUT_DIR, for the scale-out and memory benchmarks; `--pages N` repeats the page.

#[path = "../../extract/examples/scoring/mod.rs"]
mod scoring;

use scoring::truth::ground_truth;
use scoring::{score, share, FieldResult, CORE_FIELDS, FIELDS};
use stapel_booking::ChartOfAccounts;
use stapel_domain::ExtractedInvoice;
use stapel_extract::{Children, IsolationLimits};
use stapel_pipeline::process::{process_document_with, PdfTextRunner, ProcessOptions};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

type Fields = BTreeMap<&'static str, FieldResult>;

/// What the command line asks for.
struct Options {
    mode: String,
    rounds: u32,
    worker: Option<PathBuf>,
    fresh_children: bool,
    invoice2data: Option<PathBuf>,
    cli: Option<PathBuf>,
    cli_langs: String,
    cli_files: usize,
    pages: usize,
    paths: Vec<PathBuf>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Err(error) = stapel_ocr::ensure_single_threaded_openmp() {
        eprintln!("could not restart with OMP_THREAD_LIMIT=1: {error}");
    }
    let options = parse_options()?;
    match options.mode.as_str() {
        "text" => text(&options),
        "scan" => scan(&options),
        "einvoice" => einvoice(&options),
        "make-scans" => make_scans(&options),
        other => Err(format!("unknown mode {other}: text, scan, einvoice or make-scans").into()),
    }
}

fn parse_options() -> Result<Options, Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let mode = arguments
        .next()
        .ok_or("usage: per_document text|scan|einvoice [options] PATH...")?;
    let mut options = Options {
        mode,
        rounds: 3,
        worker: None,
        fresh_children: false,
        invoice2data: None,
        cli: None,
        cli_langs: "eng".to_owned(),
        cli_files: usize::MAX,
        pages: 1,
        paths: Vec::new(),
    };
    while let Some(argument) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .ok_or_else(|| format!("{argument} needs a value"))
        };
        match argument.as_str() {
            "--rounds" | "--repeat" => {
                options.rounds = value()?
                    .parse()
                    .ok()
                    .filter(|rounds| *rounds > 0)
                    .ok_or("--rounds needs a positive number")?
            }
            "--worker" => options.worker = Some(value()?.into()),
            "--fresh-children" => options.fresh_children = true,
            "--invoice2data" => options.invoice2data = Some(value()?.into()),
            "--cli" => options.cli = Some(value()?.into()),
            "--cli-langs" => options.cli_langs = value()?,
            "--cli-files" => {
                options.cli_files = value()?.parse().map_err(|_| "--cli-files needs a number")?
            }
            "--pages" => {
                options.pages = value()?
                    .parse()
                    .ok()
                    .filter(|pages| *pages > 0)
                    .ok_or("--pages needs a positive number")?
            }
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}").into()),
            _ => options.paths.push(PathBuf::from(argument)),
        }
    }
    if options.paths.is_empty() {
        return Err("no files or folders given".into());
    }
    Ok(options)
}

/// The production runner when a worker binary is given: warm children, as the worker keeps
/// them (`--fresh-children`: a child started per document, the worker's `--child-reuse 0`).
fn isolated_runner(options: &Options) -> Option<PdfTextRunner> {
    options
        .worker
        .as_ref()
        .map(|program| PdfTextRunner::Isolated {
            children: if options.fresh_children {
                Children::fresh(program)
            } else {
                Children::warm(program, stapel_extract::warm::DEFAULT_MAX_USES)
            },
            limits: IsolationLimits::default(),
        })
}

/// Files under `paths` (recursively) whose extension is one of `extensions`, sorted.
fn collect(paths: &[PathBuf], extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(path: &Path, extensions: &[&str], found: &mut Vec<PathBuf>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), extensions, found);
            }
        } else if path.extension().is_some_and(|ext| {
            extensions
                .iter()
                .any(|wanted| ext.eq_ignore_ascii_case(wanted))
        }) {
            found.push(path.to_owned());
        }
    }
    let mut found = Vec::new();
    for path in paths {
        if !path.exists() {
            println!("skipped: {} does not exist here", path.display());
        }
        walk(path, extensions, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn total(values: &[Duration]) -> Duration {
    values.iter().sum()
}

/// Time `run` once; keep the fastest time in `best`.
fn timed<T>(best: &mut Duration, run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = run();
    *best = (*best).min(started.elapsed());
    result
}

// ---------------------------------------------------------------------------------------------
// text: text-layer PDFs against invoice2data

/// A long-running Python process calling invoice2data's `extract_data` per file.
struct Invoice2Data {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// What invoice2data answered for one file.
struct TheirAnswer {
    seconds: f64,
    result: serde_json::Value,
}

impl Invoice2Data {
    fn start(python: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/invoice2data/serve.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        // The first line says the templates are loaded.
        let mut ready = String::new();
        stdout.read_line(&mut ready)?;
        eprintln!("invoice2data: {}", ready.trim());
        Ok(Self {
            child,
            stdin,
            stdout,
        })
    }

    fn extract(&mut self, path: &Path) -> Result<TheirAnswer, Box<dyn std::error::Error>> {
        writeln!(self.stdin, "{}", path.display())?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let answer: serde_json::Value = serde_json::from_str(&line)?;
        Ok(TheirAnswer {
            seconds: answer["seconds"].as_f64().ok_or("no seconds")?,
            result: answer["result"].clone(),
        })
    }
}

impl Drop for Invoice2Data {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// invoice2data's result in our vocabulary (its field names: `invoice_number`, `date`,
/// `date_due`, `currency`, `issuer`, `amount`, `amount_untaxed`, `amount_tax`, `vat`, `iban`).
fn their_invoice(result: &serde_json::Value) -> ExtractedInvoice {
    let text = |key: &str| match result.get(key)? {
        serde_json::Value::String(text) => Some(text.trim().to_owned()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    let date = |key: &str| {
        text(key).and_then(|text| {
            chrono::NaiveDate::parse_from_str(&text[..text.len().min(10)], "%Y-%m-%d").ok()
        })
    };
    let amount = |key: &str| text(key).and_then(|text| rust_decimal::Decimal::from_str(&text).ok());
    let mut invoice = ExtractedInvoice {
        invoice_number: text("invoice_number"),
        issue_date: date("date"),
        due_date: date("date_due"),
        currency: text("currency"),
        supplier_name: text("issuer"),
        supplier_vat_id: text("vat"),
        customer_name: text("partner_name"),
        net_total: amount("amount_untaxed"),
        vat_total: amount("amount_tax"),
        gross_total: amount("amount"),
        iban: text("iban"),
        ..ExtractedInvoice::default()
    };
    invoice.amount_due = invoice.gross_total;
    invoice
}

/// One document's outcome on one side.
struct Side {
    best: Duration,
    fields: Option<Fields>,
    failed: bool,
}

impl Side {
    fn new() -> Self {
        Self {
            best: Duration::MAX,
            fields: None,
            failed: false,
        }
    }
}

fn text(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let chart = ChartOfAccounts::generic();
    let process_options = ProcessOptions {
        read_embedded_einvoice: false,
        ..ProcessOptions::default()
    };
    let isolated = isolated_runner(options);
    let mut theirs_process = match &options.invoice2data {
        Some(python) => Some(Invoice2Data::start(python)?),
        None => None,
    };
    let documents: Vec<_> = collect(&options.paths, &["pdf"])
        .into_iter()
        .filter_map(|pdf| ground_truth(&pdf).map(|_| pdf))
        .collect();
    if documents.is_empty() {
        return Err("no PDF with ground truth found".into());
    }
    println!(
        "{} text-layer PDFs, fastest of {} rounds, ours and theirs alternating per document",
        documents.len(),
        options.rounds
    );
    let mut ours = Vec::new();
    let mut ours_isolated = Vec::new();
    let mut theirs = Vec::new();
    for _ in &documents {
        ours.push(Side::new());
        ours_isolated.push(Side::new());
        theirs.push(Side::new());
    }
    for _round in 0..options.rounds {
        for (index, pdf) in documents.iter().enumerate() {
            let side = &mut ours[index];
            let result = timed(&mut side.best, || {
                let bytes = std::fs::read(pdf).map_err(|error| error.to_string())?;
                process_document_with(&bytes, &PdfTextRunner::InProcess, &chart, &process_options)
                    .map_err(|failure| failure.error.code)
            });
            record(side, pdf, result.map(|result| result.invoice));
            if let Some(runner) = &isolated {
                let side = &mut ours_isolated[index];
                let result = timed(&mut side.best, || {
                    let bytes = std::fs::read(pdf).map_err(|error| error.to_string())?;
                    process_document_with(&bytes, runner, &chart, &process_options)
                        .map_err(|failure| failure.error.code)
                });
                record(side, pdf, result.map(|result| result.invoice));
            }
            if let Some(process) = theirs_process.as_mut() {
                let answer = process.extract(pdf)?;
                let side = &mut theirs[index];
                side.best = side.best.min(Duration::from_secs_f64(answer.seconds));
                let matched = answer.result.as_object().is_some_and(|map| !map.is_empty());
                record(
                    side,
                    pdf,
                    if matched {
                        Ok(their_invoice(&answer.result))
                    } else {
                        Err("no template matched".to_owned())
                    },
                );
            }
        }
    }

    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>6} {:>6}",
        "document", "ours ms", "isolated", "i2d ms", "ours✓", "i2d✓"
    );
    for (index, pdf) in documents.iter().enumerate() {
        let right = |side: &Side| {
            side.fields.as_ref().map_or(0, |fields| {
                fields.values().filter(|field| field.is_right()).count()
            })
        };
        let time = |side: &Side| {
            if side.best == Duration::MAX {
                "-".to_owned()
            } else {
                format!("{:.1}", ms(side.best))
            }
        };
        println!(
            "{:<44} {:>10} {:>10} {:>10} {:>6} {:>6}{}",
            short_name(pdf),
            time(&ours[index]),
            time(&ours_isolated[index]),
            time(&theirs[index]),
            right(&ours[index]),
            right(&theirs[index]),
            if theirs[index].failed && theirs_process.is_some() {
                "  (i2d: no template)"
            } else {
                ""
            }
        );
    }
    println!();
    summary_line("ours, in-process", &ours);
    if isolated.is_some() {
        summary_line(
            if options.fresh_children {
                "ours, parser in a fresh child per document"
            } else {
                "ours, parser in a warm child (production)"
            },
            &ours_isolated,
        );
    }
    if theirs_process.is_some() {
        summary_line("invoice2data, library call", &theirs);
        let matched = theirs.iter().filter(|side| !side.failed).count();
        println!(
            "  invoice2data matched a template on {matched} of {} documents; without one it returns {{}} (counted as every field missing)",
            documents.len()
        );
        let ratio = |ours: &[Side]| {
            total(&theirs.iter().map(|side| side.best).collect::<Vec<_>>()).as_secs_f64()
                / total(&ours.iter().map(|side| side.best).collect::<Vec<_>>()).as_secs_f64()
        };
        println!(
            "  speed-up (invoice2data total time / ours): in-process {:.1}x{}",
            ratio(&ours),
            if isolated.is_some() {
                format!(", production runner {:.1}x", ratio(&ours_isolated))
            } else {
                String::new()
            }
        );
        println!();
        println!(
            "{:<16} {:>8} {:>8}   (right / {})",
            "field",
            "ours",
            "i2d",
            documents.len()
        );
        for field in FIELDS {
            let count = |sides: &[Side]| {
                sides
                    .iter()
                    .filter(|side| {
                        side.fields
                            .as_ref()
                            .is_some_and(|fields| fields[field].is_right())
                    })
                    .count()
            };
            println!("{field:<16} {:>8} {:>8}", count(&ours), count(&theirs));
        }
    }
    if let Some(dispatcher) = &options.cli {
        cli_per_file(dispatcher, options, &documents)?;
    }
    Ok(())
}

fn record(side: &mut Side, pdf: &Path, result: Result<ExtractedInvoice, String>) {
    if side.fields.is_some() || side.failed {
        return;
    }
    let truth = ground_truth(pdf).expect("ground truth was found before");
    match result {
        Ok(invoice) => side.fields = Some(score(invoice, truth, "")),
        Err(_) => {
            side.failed = true;
            side.fields = Some(score(ExtractedInvoice::default(), truth, ""));
        }
    }
}

fn short_name(path: &Path) -> String {
    let name = path.display().to_string();
    let chars: Vec<char> = name.chars().collect();
    if chars.len() > 44 {
        format!("…{}", chars[chars.len() - 43..].iter().collect::<String>())
    } else {
        name
    }
}

fn summary_line(name: &str, sides: &[Side]) {
    let times: Vec<Duration> = sides.iter().map(|side| side.best).collect();
    let fields: Vec<&Fields> = sides
        .iter()
        .filter_map(|side| side.fields.as_ref())
        .collect();
    let other: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|field| !CORE_FIELDS.contains(field))
        .collect();
    println!(
        "{name:<40} mean {:>7.1} ms  median {:>7.1} ms  total {:>8.1} ms  fields right: all {}  core {}  other {}",
        ms(total(&times)) / times.len().max(1) as f64,
        ms(median(times.clone())),
        ms(total(&times)),
        share(&FIELDS, &fields),
        share(&CORE_FIELDS, &fields),
        share(&other, &fields),
    );
}

/// Both command lines once per file, alternating, each with its own start-up.
fn cli_per_file(
    dispatcher: &Path,
    options: &Options,
    documents: &[PathBuf],
) -> Result<(), Box<dyn std::error::Error>> {
    let invoice2data = options
        .invoice2data
        .as_ref()
        .and_then(|python| python.parent().map(|bin| bin.join("invoice2data")));
    let work = tempfile::tempdir()?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for (index, pdf) in documents.iter().enumerate().take(options.cli_files) {
        let data_dir = work.path().join(format!("data-{index}"));
        let started = Instant::now();
        let run = Command::new(dispatcher)
            .arg("process")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--workers", "1", "--ignore-embedded-xml", "--json"])
            .arg(pdf)
            .env("STAPEL_LOG", "warn")
            .output()?;
        ours.push(started.elapsed());
        if !run.status.success() && run.status.code() != Some(2) {
            return Err(format!(
                "dispatcher process failed on {}: {}",
                pdf.display(),
                String::from_utf8_lossy(&run.stderr)
            )
            .into());
        }
        if let Some(program) = &invoice2data {
            let started = Instant::now();
            Command::new(program)
                .args(["--input-reader", "pdftotext", "--output-format", "json"])
                .arg("--output-name")
                .arg(work.path().join(format!("i2d-{index}")))
                .arg(pdf)
                .stderr(Stdio::null())
                .status()?;
            theirs.push(started.elapsed());
        }
    }
    println!();
    println!(
        "command line per file ({} files, once each, alternating):",
        ours.len()
    );
    println!(
        "  dispatcher process --workers 1: mean {:.0} ms, median {:.0} ms",
        ms(total(&ours)) / ours.len().max(1) as f64,
        ms(median(ours.clone()))
    );
    if !theirs.is_empty() {
        println!(
            "  invoice2data CLI (pdftotext):   mean {:.0} ms, median {:.0} ms; invoice2data / ours {:.2}x",
            ms(total(&theirs)) / theirs.len() as f64,
            ms(median(theirs.clone())),
            total(&theirs).as_secs_f64() / total(&ours).as_secs_f64()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// scan: scanned pages end to end against the tesseract command line

fn scan(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    const DPI: u32 = 300;
    let chart = ChartOfAccounts::generic();
    let process_options = ProcessOptions::default();
    let isolated = isolated_runner(options);
    let work = tempfile::tempdir()?;
    let pdfs = collect(&options.paths, &["pdf"]);
    println!(
        "{} pages; ours = process_document (render, OCR with language detection, fields, proposal) on a scanned PDF; \
         cli = tesseract PNG - --psm 4 -l {} --dpi {DPI}; {} rounds per page, alternating",
        pdfs.len(),
        options.cli_langs,
        options.rounds
    );
    println!(
        "ours = in-process, a new Tesseract engine per page (loads its models, reads, detects the \
         language, re-reads unless English); warm = production runner, one warm OCR child for \
         all pages: 1st = the page's first read (the child last read another page, usually in \
         another language), again = fastest later read (the language of the page before was \
         the same: a one-language batch)"
    );
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>6} {:>8}",
        "page 1 of", "ours", "warm 1st", "again", "cli", "1st/cli", "again/cli", "right", "cli -l"
    );
    let (mut sum_ours, mut sum_first, mut sum_again, mut sum_cli) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let mut all_fields = Vec::new();
    for pdf in &pdfs {
        let bytes = std::fs::read(pdf)?;
        let png = stapel_ocr::render_page_png(&bytes, 1, DPI)?;
        let scan = stapel_ocr::scanned_pdf(&png, None, 1)?;
        let name = pdf
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let png_path = work.path().join(format!("{name}.png"));
        std::fs::write(&png_path, &png)?;
        // `auto`: the CLI reads with the languages our reader settles on for this page
        // (`<detected>+eng`), which a CLI user would have to know and pass.
        let cli_langs = if options.cli_langs == "auto" {
            let reading = stapel_pipeline::ocr::ocr_pages(
                &scan,
                stapel_pipeline::ocr::PageSelection::AllUpTo(1),
            )
            .map_err(|failure| failure.message)?;
            match reading.language.as_deref() {
                Some("eng") | None => "eng".to_owned(),
                Some(code) => format!("{code}+eng"),
            }
        } else {
            options.cli_langs.clone()
        };
        let (mut ours, mut first, mut again, mut cli) =
            (Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX);
        let mut found = None;
        for round in 0..options.rounds {
            let result = timed(&mut ours, || {
                process_document_with(&scan, &PdfTextRunner::InProcess, &chart, &process_options)
            });
            found = Some(result.map_err(|failure| failure.error.code)?);
            if let Some(runner) = &isolated {
                timed(if round == 0 { &mut first } else { &mut again }, || {
                    process_document_with(&scan, runner, &chart, &process_options)
                })
                .map_err(|failure| failure.error.code)?;
            }
            let run = timed(&mut cli, || {
                Command::new("tesseract")
                    .arg(&png_path)
                    .args([
                        "-",
                        "--psm",
                        "4",
                        "-l",
                        &cli_langs,
                        "--dpi",
                        &DPI.to_string(),
                    ])
                    .env("OMP_THREAD_LIMIT", "1")
                    .output()
            })?;
            if !run.status.success() {
                return Err(
                    format!("tesseract failed: {}", String::from_utf8_lossy(&run.stderr)).into(),
                );
            }
        }
        let right = match (found, ground_truth(pdf)) {
            (Some(result), Some(truth)) => {
                let fields = score(result.invoice, truth, "");
                let right = fields.values().filter(|field| field.is_right()).count();
                all_fields.push(fields);
                format!("{right}/{}", FIELDS.len())
            }
            _ => "-".to_owned(),
        };
        sum_ours += ours;
        sum_cli += cli;
        let shown = |time: Duration| {
            if time == Duration::MAX {
                "-".to_owned()
            } else {
                format!("{:.0} ms", ms(time))
            }
        };
        let ratio = |time: Duration| {
            if time == Duration::MAX {
                "-".to_owned()
            } else {
                format!("{:.2}", time.as_secs_f64() / cli.as_secs_f64())
            }
        };
        if first != Duration::MAX {
            sum_first += first;
        }
        if again != Duration::MAX {
            sum_again += again;
        }
        println!(
            "{:<34} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>6} {:>8}",
            name,
            shown(ours),
            shown(first),
            shown(again),
            shown(cli),
            ratio(first),
            ratio(again),
            right,
            cli_langs
        );
    }
    let pages = pdfs.len().max(1) as f64;
    let per_page = |sum: Duration| {
        if sum.is_zero() {
            "-".to_owned()
        } else {
            format!(
                "{:.0} ms ({:.2}x cli)",
                ms(sum) / pages,
                sum.as_secs_f64() / sum_cli.as_secs_f64()
            )
        }
    };
    println!(
        "mean per page: cli {:.0} ms; ours in-process {}; warm 1st {}; warm again {}",
        ms(sum_cli) / pages,
        per_page(sum_ours),
        per_page(sum_first),
        per_page(sum_again)
    );
    let fields: Vec<&Fields> = all_fields.iter().collect();
    if !fields.is_empty() {
        println!(
            "fields right from the scans: all {}, core {}",
            share(&FIELDS, &fields),
            share(&CORE_FIELDS, &fields)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// einvoice: structured e-invoices per second per core

fn einvoice(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let chart = ChartOfAccounts::generic();
    let process_options = ProcessOptions::default();
    let files = collect(&options.paths, &["xml", "pdf"]);
    let mut documents = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file)?;
        // PDFs only when they carry an e-invoice; plain text-layer PDFs are the text benchmark.
        if stapel_pipeline::process::detect_format(&bytes)
            == stapel_pipeline::process::DocumentFormat::Pdf
            && !matches!(
                stapel_einvoice::read_hybrid_pdf(
                    &bytes,
                    &stapel_einvoice::HybridPdfLimits::default(),
                    &stapel_einvoice::XmlLimits::default()
                ),
                Ok(Some(_))
            )
        {
            continue;
        }
        documents.push((file, bytes));
    }
    if documents.is_empty() {
        return Err("no e-invoices found".into());
    }
    let run_all = |failed: &mut Vec<String>| -> Vec<Duration> {
        documents
            .iter()
            .map(|(file, bytes)| {
                let started = Instant::now();
                if let Err(failure) = process_document_with(
                    bytes,
                    &PdfTextRunner::InProcess,
                    &chart,
                    &process_options,
                ) {
                    failed.push(format!("{}: {}", file.display(), failure.error.code));
                }
                started.elapsed()
            })
            .collect()
    };
    let mut failed = Vec::new();
    run_all(&mut failed);
    let (xml, pdf) = documents.iter().fold((0, 0), |(xml, pdf), (file, _)| {
        if file
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("pdf"))
        {
            (xml, pdf + 1)
        } else {
            (xml + 1, pdf)
        }
    });
    let bytes: usize = documents.iter().map(|(_, bytes)| bytes.len()).sum();
    println!(
        "{} e-invoices ({xml} XML, {pdf} hybrid PDFs, {:.1} MB), {} rounds after a warm-up, one thread",
        documents.len(),
        bytes as f64 / 1e6,
        options.rounds
    );
    let mut per_document: Vec<Duration> = vec![Duration::MAX; documents.len()];
    let mut rounds = Vec::new();
    for _ in 0..options.rounds {
        let mut ignored = Vec::new();
        let times = run_all(&mut ignored);
        rounds.push(total(&times));
        for (best, time) in per_document.iter_mut().zip(times) {
            *best = (*best).min(time);
        }
    }
    for (round, time) in rounds.iter().enumerate() {
        println!(
            "round {}: {:.1} ms, {:.0} documents/s",
            round + 1,
            ms(*time),
            documents.len() as f64 / time.as_secs_f64()
        );
    }
    let best_round = rounds.iter().min().copied().unwrap_or_default();
    let slowest = per_document
        .iter()
        .zip(&documents)
        .max_by_key(|(time, _)| **time)
        .map(|(time, (file, bytes))| {
            format!(
                "{} ({} KB) {:.1} ms",
                file.display(),
                bytes.len() / 1024,
                ms(*time)
            )
        });
    println!(
        "best round: {:.0} documents/s per core; median document {:.2} ms; slowest {}",
        documents.len() as f64 / best_round.as_secs_f64(),
        ms(median(per_document.clone())),
        slowest.unwrap_or_default()
    );
    println!("failed (not read as invoices): {}", failed.len());
    for failure in failed {
        println!("  {failure}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// make-scans: scanned copies of text PDFs

fn make_scans(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let (out, pdfs) = options
        .paths
        .split_first()
        .ok_or("make-scans OUT_DIR FILE.pdf...")?;
    std::fs::create_dir_all(out)?;
    for pdf in collect(pdfs, &["pdf"]) {
        let png = stapel_ocr::render_page_png(&std::fs::read(&pdf)?, 1, 200)?;
        let scan = stapel_ocr::scanned_pdf(&png, None, options.pages)?;
        let stem = pdf.file_stem().unwrap_or_default().to_string_lossy();
        let name = if options.pages == 1 {
            format!("{stem}.scan.pdf")
        } else {
            format!("{stem}.scan{}p.pdf", options.pages)
        };
        std::fs::write(out.join(name), scan)?;
    }
    Ok(())
}
