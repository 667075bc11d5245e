//! `worker`: pull jobs from the queue and process them until SIGTERM.

use clap::Parser;
use stapel_worker::{
    extract_pdf_text_child, find_embedded_xml_child, init_tracing, ocr_document_child, run,
    shutdown_signal, LogFormat, WorkerArgs,
};

#[derive(Debug, Parser)]
#[command(name = "worker", version, about = "Process stapel jobs from the queue")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    worker: WorkerArgs,

    /// Log format on stderr.
    #[arg(
        long,
        value_enum,
        env = "STAPEL_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Internal: parse one PDF from stdin in this isolated process.
    #[command(name = "extract-pdf-text", hide = true)]
    ExtractPdfText,
    /// Internal: find the e-invoice XML attached to one PDF from stdin, in this isolated
    /// process.
    #[command(name = "find-embedded-xml", hide = true)]
    FindEmbeddedXml,
    /// Internal: OCR one scan or image from stdin in this isolated process.
    #[command(name = "ocr-document", hide = true)]
    OcrDocument {
        /// Refuse scans with more pages than this.
        #[arg(long, default_value_t = stapel_pipeline::ocr::MAX_OCR_PAGES)]
        max_pages: u32,
        /// Read only these pages, `FIRST-LAST` (one part of a split scan).
        #[arg(long, value_parser = stapel_worker::parse_page_range)]
        pages: Option<(u32, u32)>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::ExtractPdfText) => std::process::exit(extract_pdf_text_child()),
        Some(Command::FindEmbeddedXml) => std::process::exit(find_embedded_xml_child()),
        Some(Command::OcrDocument { max_pages, pages }) => {
            std::process::exit(ocr_document_child(max_pages, pages))
        }
        None => {}
    }
    init_tracing(cli.log_format);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(cli.worker, shutdown_signal()))
}
