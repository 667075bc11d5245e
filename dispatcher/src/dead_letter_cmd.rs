//! `dispatcher dead-letter list|redrive`: what workers gave up on, and sending it back to work
//! once the cause is fixed (see [`stapel_pipeline::redrive`]).

use clap::Subcommand;
use stapel_pipeline::redrive::{redrive, RedriveOptions};
use stapel_pipeline::view::DeadLetterView;
use stapel_records::DeadLetterQuery;
use stapel_worker::BackendArgs;

/// The `dead-letter` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// List dead letters (every tenant's, and messages no build could read), newest first, with
    /// their reasons; then the dead-letter queue's depth.
    List {
        /// Also those already redriven.
        #[arg(long)]
        all: bool,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// One JSON object per dead letter.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Send dead-lettered jobs back to their lanes (after fixing why they failed: a newer worker
    /// deployed, a backend repaired); their documents return to `queued`.
    Redrive {
        /// At most this many messages.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Only list what would be redriven; nothing changes.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

/// Run a `dead-letter` subcommand.
pub async fn run(command: DeadLetterCommand) -> anyhow::Result<()> {
    match command {
        DeadLetterCommand::List {
            all,
            limit,
            json,
            backend,
        } => {
            let backends = backend.open().await?;
            let letters = backends
                .records
                .dead_letters(&DeadLetterQuery {
                    tenant: None,
                    include_redriven: all,
                    limit,
                })
                .await?;
            for letter in letters.into_iter().map(DeadLetterView::from) {
                if json {
                    println!("{}", serde_json::to_string(&letter)?);
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}{}",
                        letter.dead_lettered_at.to_rfc3339(),
                        letter.message_id,
                        letter
                            .document_id
                            .map_or("-".to_owned(), |id| id.to_string()),
                        letter.reason.code,
                        letter.reason.message,
                        letter.redriven_at.map_or(String::new(), |at| format!(
                            "\t(redriven {})",
                            at.to_rfc3339()
                        ))
                    );
                }
            }
            let depth = backends.dead_letter.depth().await?;
            eprintln!(
                "dead-letter queue: {} waiting, {} being handled",
                depth.visible, depth.in_flight
            );
        }
        DeadLetterCommand::Redrive {
            limit,
            dry_run,
            backend,
        } => {
            let backends = backend.open().await?;
            let jobs = redrive(&backends, RedriveOptions { limit, dry_run }).await?;
            for job in &jobs {
                println!(
                    "{}\t{}\t{}",
                    job.message_id,
                    job.document_id.map_or("-".to_owned(), |id| id.to_string()),
                    job.lane.name()
                );
            }
            let verb = if dry_run { "would redrive" } else { "redrove" };
            eprintln!("{verb} {} dead-lettered job(s)", jobs.len());
        }
    }
    Ok(())
}
