//! Reliability under crashes: workers killed with SIGKILL at random through a batch of hundreds
//! of documents (on the embedded default and on S3/SQS), a dispatcher killed mid-upload, a
//! document recorded but never enqueued, and graceful shutdown on SIGTERM.
//!
//! The chaos runs are seeded (`STAPEL_CHAOS_SEED`, else the clock) and print the seed, so a
//! failing run can be repeated. Each prints one summary line (documents, kills, redeliveries,
//! duration); run with `--nocapture` to see it.

mod support;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use stapel_domain::{DocumentId, DocumentStatus};
use stapel_pipeline::{BackendSettings, Backends, EmbeddedSettings};
use stapel_records::{NewDocument, ProposalAction};
use stapel_store_aws::moto::unique_name;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{
    get, libc_kill, moto, sample, serve_with, upload, wait_final, wait_processing, with,
    worker_with, Db, Running,
};

/// Documents per chaos run.
const DOCUMENTS: usize = 520;
/// Files per upload request.
const FILES_PER_REQUEST: usize = 20;
/// Worker processes running at once.
const WORKERS: usize = 3;
/// SIGKILLs per run, each while documents are still open.
const KILLS: usize = 60;
/// Deliveries before dead-lettering: high enough that kills alone never dead-letter a job.
const MAX_RECEIVES: &str = "100";

/// Text-layer samples the chaos batch cycles through (OCR is too slow for hundreds).
const PDF_SAMPLES: [&str; 4] = [
    "en_invoice.pdf",
    "nl_factuur.pdf",
    "de_rechnung.pdf",
    "fr_facture.pdf",
];

/// A one-rate UBL invoice with its own number and amounts, so no two are duplicates.
fn ubl_invoice(number: &str, cents: u64) -> Vec<u8> {
    let net = format!("{}.{:02}", cents / 100, cents % 100);
    let vat_cents = cents * 21 / 100;
    let vat = format!("{}.{:02}", vat_cents / 100, vat_cents % 100);
    let gross_cents = cents + vat_cents;
    let gross = format!("{}.{:02}", gross_cents / 100, gross_cents % 100);
    support::ubl_invoice(number, &net, &vat, &gross)
}

/// The chaos batch: every fifth and sixth of ten a text-layer PDF (a sample with a comment
/// after its end, so each file is distinct; the duplicate rule flags repeats of one invoice for
/// review), the rest UBL e-invoices with their own numbers and amounts.
fn chaos_documents(seed: u64) -> Vec<(String, Vec<u8>)> {
    let pdfs: Vec<Vec<u8>> = PDF_SAMPLES
        .iter()
        .map(|name| std::fs::read(sample(name)).unwrap())
        .collect();
    (0..DOCUMENTS)
        .map(|index| {
            if index % 10 == 4 || index % 10 == 5 {
                let which = (index / 10) % pdfs.len();
                let mut bytes = pdfs[which].clone();
                bytes.extend_from_slice(format!("\n%chaos {seed} {index}\n").as_bytes());
                (format!("{index:04}-{}", PDF_SAMPLES[which]), bytes)
            } else {
                let number = format!("CHAOS-{seed}-{index:04}");
                (
                    format!("{index:04}.xml"),
                    ubl_invoice(&number, 10_000 + index as u64),
                )
            }
        })
        .collect()
}

/// `POST /v1/documents` into the batch called `batch_name`; `None` when the request failed
/// (the caller retries).
async fn upload_named(
    client: &reqwest::Client,
    url: &str,
    batch_name: &str,
    files: &[(String, Vec<u8>)],
) -> Option<Value> {
    let mut form = Form::new().text("batch_name", batch_name.to_owned());
    for (name, bytes) in files {
        form = form.part("file", Part::bytes(bytes.clone()).file_name(name.clone()));
    }
    let response = client
        .post(format!("{url}/v1/documents"))
        .multipart(form)
        .send()
        .await
        .ok()?;
    if response.status().as_u16() != 202 {
        return None;
    }
    response.json().await.ok()
}

/// What a chaos run needs of its backend.
struct ChaosBackend {
    /// A `dispatcher` command reaching the backend (environment set).
    command: Box<dyn Fn() -> Command>,
    /// Backend flags for `serve` and `worker`.
    flags: Vec<String>,
    /// The same backends, opened by the test to check the outcome.
    settings: BackendSettings,
    /// The API key of the tenant the test uploads as, once the dispatcher runs.
    key: Box<dyn Fn(&Path) -> String>,
    /// Attempts the kills must have interrupted at least, so the run proved something: a kill
    /// between two jobs or during a receive interrupts none.
    min_interrupted: u64,
}

fn chaos_seed() -> u64 {
    std::env::var("STAPEL_CHAOS_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        })
}

/// One worker of the chaos pool.
struct ChaosWorker {
    process: Running,
    /// Set once the worker has finished a job (its log says so): it is up and taking jobs, so
    /// with the batch queued a kill from then on lands on a job in hand, whatever the load.
    working: Arc<AtomicBool>,
}

/// Start a worker of the chaos pool: short visibility timeout and heartbeat, so a killed
/// worker's job is back within seconds, and a random pause after taking each job, so a job is
/// in hand most of the time.
fn chaos_worker(backend: &ChaosBackend, dir: &Path, rng: &mut ChaCha8Rng) -> ChaosWorker {
    let pause = rng.random_range(10..150u64).to_string();
    let flags = with(
        &backend.flags,
        &[
            "--visibility-timeout",
            "3",
            "--heartbeat-interval",
            "1",
            "--wait-time",
            "1",
            "--debug-pause-ms",
            &pause,
        ],
    );
    let mut child = (backend.command)()
        .arg("worker")
        .arg("--data-dir")
        .arg(dir)
        .args(&flags)
        .env("STAPEL_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker starts");
    let stderr = child.stderr.take().unwrap();
    let working = Arc::new(AtomicBool::new(false));
    // Reads until the worker's end, so the pipe never fills.
    std::thread::spawn({
        let working = working.clone();
        move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("document done") {
                    working.store(true, Ordering::Relaxed);
                }
            }
        }
    });
    ChaosWorker {
        process: Running(child),
        working,
    }
}

/// Whether the batch still has documents waiting or in progress.
async fn batch_open(client: &reqwest::Client, url: &str, batch: &str) -> bool {
    let (status, view) = get(client, &format!("{url}/v1/batches/{batch}")).await;
    assert_eq!(status, 200, "{view}");
    view["counts"]["queued"].as_u64().unwrap() + view["counts"]["processing"].as_u64().unwrap() > 0
}

/// Upload `DOCUMENTS` documents while `WORKERS` workers process them and are killed with
/// SIGKILL at random (and restarted), `KILLS` times while documents are still open; then check
/// that every document ended `done` or `failed` with a reason, with exactly one result and one
/// machine proposal, and that the queues are empty.
async fn run_chaos(label: &str, backend: ChaosBackend, dir: &Path) {
    let seed = chaos_seed();
    eprintln!("chaos {label}: seed {seed} (STAPEL_CHAOS_SEED={seed} repeats this run)");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = Instant::now();
    let flags: Vec<&str> = backend.flags.iter().map(String::as_str).collect();
    let (_server, url) = serve_with((backend.command)(), dir, 0, &flags);
    let client = support::client_with_key(&(backend.key)(dir));
    let documents = chaos_documents(seed);

    // The whole batch is queued before the workers start, so the workers are busy until the
    // last kill and a kill lands on a job in hand (uploads to moto are slower than processing,
    // and kills of idle workers would prove little).
    let batch_name = format!("chaos-{seed}");
    let mut batch = None;
    let mut accepted: Vec<DocumentId> = Vec::new();
    for files in documents.chunks(FILES_PER_REQUEST) {
        let answer = upload_named(&client, &url, &batch_name, files)
            .await
            .expect("uploads are accepted");
        let this_batch = answer["batch"].as_str().unwrap().to_owned();
        assert_eq!(batch.get_or_insert_with(|| this_batch.clone()), &this_batch);
        accepted.extend(
            answer["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|document| {
                    document["id"]
                        .as_str()
                        .unwrap()
                        .parse::<DocumentId>()
                        .unwrap()
                }),
        );
    }
    assert_eq!(
        accepted.len(),
        DOCUMENTS,
        "every upload request was accepted"
    );
    let batch = batch.unwrap();
    let uploaded_after = started.elapsed();

    let mut workers: Vec<ChaosWorker> = (0..WORKERS)
        .map(|_| chaos_worker(&backend, dir, &mut rng))
        .collect();
    let mut kills = 0;
    while kills < KILLS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..400))).await;
        if !batch_open(&client, &url, &batch).await {
            break;
        }
        let working: Vec<usize> = (0..workers.len())
            .filter(|&index| workers[index].working.load(Ordering::Relaxed))
            .collect();
        if working.is_empty() {
            continue;
        }
        let victim = working[rng.random_range(0..working.len())];
        // SAFETY: signalling a child process this test started and has not reaped.
        unsafe { libc_kill(workers[victim].process.pid()) };
        workers[victim] = chaos_worker(&backend, dir, &mut rng);
        kills += 1;
    }
    assert_eq!(
        kills, KILLS,
        "chaos {label} (seed {seed}): the batch was processed before {KILLS} kills"
    );
    let kills_done_after = started.elapsed();

    // Every document ends done or failed.
    let deadline = Instant::now() + Duration::from_secs(180);
    let counts = loop {
        let (status, view) = get(&client, &format!("{url}/v1/batches/{batch}")).await;
        assert_eq!(status, 200, "{view}");
        let open = view["counts"]["queued"].as_u64().unwrap()
            + view["counts"]["processing"].as_u64().unwrap();
        if open == 0 {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "chaos {label} (seed {seed}): documents still open: {view}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let processed_after = started.elapsed();

    // The batch holds exactly the accepted documents, and its counts add up.
    assert_eq!(counts["total"], DOCUMENTS as u64, "{counts}");
    let done = counts["counts"]["done"].as_u64().unwrap();
    let failed = counts["counts"]["failed"].as_u64().unwrap();
    assert_eq!(done + failed, DOCUMENTS as u64, "{counts}");
    let listed: BTreeSet<String> = counts["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let uploaded: BTreeSet<String> = accepted.iter().map(DocumentId::to_string).collect();
    assert_eq!(listed, uploaded, "lost or extra documents");

    // Per document: done with exactly one result and one machine proposal (version 1), or
    // failed with a reason and no proposal.
    let backends = Backends::open(&backend.settings).await.unwrap();
    let objects: BTreeSet<String> = backends
        .store
        .list("documents/")
        .await
        .unwrap()
        .into_iter()
        .map(|object| object.key.to_string())
        .collect();
    let mut attempts = 0u64;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut needs_review = 0u64;
    for id in &accepted {
        let record = backends.records.document(*id).await.unwrap().unwrap();
        attempts += u64::from(record.attempts);
        let history = backends.records.proposal_history(*id).await.unwrap();
        let result = format!("documents/{id}/result.json");
        match record.status {
            DocumentStatus::Done => {
                assert_eq!(history.len(), 1, "{id}: {history:?}");
                assert_eq!(history[0].version, 1);
                assert_eq!(history[0].action, ProposalAction::Proposed);
                assert!(objects.contains(&result), "{id}: no result object");
                assert_eq!(record.result_key.as_deref(), Some(result.as_str()));
                needs_review += u64::from(history[0].proposal.needs_review);
            }
            DocumentStatus::Failed => {
                let error = record.error.as_ref().expect("a failed document says why");
                assert!(!error.code.is_empty(), "{id}: {error:?}");
                assert!(history.is_empty(), "{id}: {history:?}");
                *failures.entry(error.code.clone()).or_default() += 1;
            }
            other => panic!("{id} ended {other:?}"),
        }
        assert!(
            objects.contains(&format!("documents/{id}/original")),
            "{id}: original missing"
        );
    }
    // Nothing in the store but the batch's originals and results.
    let expected_objects = DOCUMENTS + done as usize;
    assert_eq!(objects.len(), expected_objects, "stray objects");
    // Every sample reads cleanly, so a failure here is the chaos's doing.
    assert!(
        failures.is_empty(),
        "chaos {label} (seed {seed}): {failures:?}"
    );

    // The queues drain: redundant deliveries (a worker killed after recording, before deleting)
    // come back and are acknowledged as duplicates.
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, health) = get(&client, &format!("{url}/healthz")).await;
        let drained = health["queue"]["visible"] == 0
            && health["queue"]["in_flight"] == 0
            && health["bulk_queue"]["visible"] == 0
            && health["bulk_queue"]["in_flight"] == 0;
        assert_eq!(health["dead_letter"]["visible"], 0, "{health}");
        if drained {
            break;
        }
        assert!(
            Instant::now() < drain_deadline,
            "chaos {label}: queue not drained: {health}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(workers);
    let redeliveries = attempts - DOCUMENTS as u64;
    eprintln!(
        "chaos {label}: seed {seed}, {DOCUMENTS} documents ({done} done, {failed} failed, \
         {needs_review} to review) uploaded in {:.1} s, {KILLS} SIGKILLs of {WORKERS} workers \
         by {:.1} s, {redeliveries} redelivered attempts, all final after {:.1} s",
        uploaded_after.as_secs_f64(),
        kills_done_after.as_secs_f64(),
        processed_after.as_secs_f64(),
    );
    // The kills hit jobs in hand, or this run proved little.
    assert!(
        redeliveries >= backend.min_interrupted,
        "chaos {label}: only {redeliveries} attempts were interrupted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = EmbeddedSettings::new(dir.path());
    settings.max_receives = MAX_RECEIVES.parse().unwrap();
    let backend = ChaosBackend {
        command: Box::new(|| Command::new(support::DISPATCHER)),
        flags: vec!["--max-receives".to_owned(), MAX_RECEIVES.to_owned()],
        settings: BackendSettings::from(&settings),
        key: Box::new(support::local_key),
        // Observed: 51 to 60 of the 60 kills.
        min_interrupted: (KILLS / 3) as u64,
    };
    run_chaos("embedded", backend, dir.path()).await;
}

/// S3 and SQS on moto, with PostgreSQL records: nothing shared on the local disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_on_s3_sqs_and_postgres() {
    let db = Db::Postgres.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let bucket = unique_name("stapel-chaos");
    let queue = unique_name("stapel-chaos-jobs");
    let flags = vec![
        "--store".to_owned(),
        format!("s3://{bucket}/chaos"),
        "--queue".to_owned(),
        format!("sqs://{queue}"),
        "--s3-path-style".to_owned(),
        "--max-receives".to_owned(),
        MAX_RECEIVES.to_owned(),
        "--database-max-connections".to_owned(),
        "2".to_owned(),
    ];
    let command = {
        let db = db.clone();
        move || support::moto_dispatcher(&db)
    };
    support::set_up_moto_backends(&db, &flags);
    let args = stapel_worker::BackendArgs {
        data_dir: dir.path().to_path_buf(),
        max_receives: MAX_RECEIVES.parse().unwrap(),
        store: Some(format!("s3://{bucket}/chaos")),
        queue: Some(format!("sqs://{queue}")),
        bulk_queue: None,
        dead_letter_queue: None,
        s3_path_style: true,
        sse_kms_key_id: None,
        database_url: db.url.clone(),
        database_max_connections: 2,
    };
    let mut settings = args.settings().unwrap();
    settings.aws = moto().settings();
    let key_flags = flags.clone();
    let key_command = command.clone();
    let backend = ChaosBackend {
        command: Box::new(command),
        flags,
        settings,
        key: Box::new(move |dir| support::create_key_with(key_command(), dir, "chaos", &key_flags)),
        // Observed: 7 to 45 of the 60 kills. Under load moto answers slowly, so a worker spends
        // much of its time receiving (two depth reads and a receive per job), and a kill there
        // interrupts no attempt (its message comes back all the same).
        min_interrupted: 1,
    };
    run_chaos("s3+sqs+postgres", backend, dir.path()).await;
}

/// What a dispatcher that died after recording a document, before sending its job, leaves
/// behind: an original and a `queued` record, and no job. Within the grace period a running
/// dispatcher leaves it be (its upload may still be enqueueing it); a dispatcher started later
/// sends the job, and the document is processed once.
async fn a_document_recorded_but_never_enqueued_is_processed_after_a_restart(db: Db) {
    let db = db.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = serve_with(db.command(), dir.path(), 0, &[]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("en_invoice.pdf")).unwrap();
    let (status, accepted) = upload(&client, &url, &[("en_invoice.pdf", pdf)]).await;
    assert_eq!(status, 202, "{accepted}");
    let first: DocumentId = accepted["documents"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let mut settings = BackendSettings::from(&EmbeddedSettings::new(dir.path()));
    settings.records = db.records_settings();
    let backends = Backends::open(&settings).await.unwrap();
    let template = backends.records.document(first).await.unwrap().unwrap();
    assert!(template.enqueued_at.is_some(), "ingest marks what it sent");
    let id = DocumentId::new();
    let key = stapel_pipeline::ingest::original_key(id);
    let bytes = std::fs::read(sample("de_rechnung.pdf")).unwrap();
    backends
        .store
        .put(&key, bytes.clone().into())
        .await
        .unwrap();
    backends
        .records
        .insert_document(&NewDocument {
            id,
            object_key: key.to_string(),
            filename: "de_rechnung.pdf".into(),
            content_sha256: "recorded-but-never-enqueued".into(),
            size_bytes: bytes.len() as u64,
            ..template.document.clone()
        })
        .await
        .unwrap();

    // A worker runs, but no job names the document, and the dispatcher's grace period (60 s
    // by default) is not over.
    let _worker = worker_with(db.command(), dir.path(), &["--wait-time", "1"]);
    let doc = wait_final(&client, &url, &first.to_string(), Duration::from_secs(60)).await;
    assert_eq!(doc["status"], "done", "{doc}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, doc) = get(&client, &format!("{url}/v1/documents/{id}")).await;
    assert_eq!(
        (doc["status"].as_str(), doc["attempts"].as_u64()),
        (Some("queued"), Some(0)),
        "{doc}"
    );
    drop(server);

    // Restarted with a short grace period, the dispatcher sends the job at start-up.
    let (_server, url) = serve_with(db.command(), dir.path(), 0, &["--reconcile-after", "1"]);
    let doc = wait_final(&client, &url, &id.to_string(), Duration::from_secs(60)).await;
    assert_eq!(doc["status"], "done", "{doc}");
    assert_eq!(doc["attempts"], 1, "{doc}");
    let record = backends.records.document(id).await.unwrap().unwrap();
    assert!(record.enqueued_at.is_some(), "{record:?}");
    assert_eq!(
        backends.records.proposal_history(id).await.unwrap().len(),
        1
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, health) = get(&client, &format!("{url}/healthz")).await;
        if health["queue"]["visible"] == 0 && health["queue"]["in_flight"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

on_both_records_databases!(a_document_recorded_but_never_enqueued_is_processed_after_a_restart,);

/// The bytes of a `multipart/form-data` part header for a file.
fn file_part_head(boundary: &str, filename: &str) -> Vec<u8> {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes()
}

type BodySender = futures::channel::mpsc::UnboundedSender<Result<Vec<u8>, std::io::Error>>;

/// A `POST /v1/documents` whose body the test feeds through the returned sender, as slowly as
/// it likes. The client should be its own (its own connection pool), so no other request of the
/// test waits for its connection.
fn slow_upload(
    client: &reqwest::Client,
    url: &str,
    boundary: &str,
) -> (
    BodySender,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let (send, receive) = futures::channel::mpsc::unbounded::<Result<Vec<u8>, std::io::Error>>();
    let request = client
        .post(format!("{url}/v1/documents"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(reqwest::Body::wrap_stream(receive));
    (send, tokio::spawn(request.send()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A dispatcher killed (SIGKILL) in the middle of a large streamed upload: the client sees the
/// connection fail, which is a refusal; nothing of the upload is recorded (a request is
/// recorded only once it has been read whole), so nothing waits for a job that never comes.
/// After a restart the same upload is accepted and processed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_killed_mid_upload_leaves_nothing_half_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = support::serve(dir.path(), 0, &[]);
    let client = support::local_client(dir.path());
    let _worker = support::worker(dir.path(), &["--wait-time", "1"]);
    let first = std::fs::read(sample("nl_factuur.pdf")).unwrap();
    let backends = Backends::open_embedded(&EmbeddedSettings::new(dir.path()))
        .await
        .unwrap();

    // Two files: the first arrives whole (and is staged), the second is cut off by the kill.
    let boundary = "stapel-chaos-boundary";
    let (send, response) = slow_upload(&support::local_client(dir.path()), &url, boundary);
    let mut head = file_part_head(boundary, "nl_factuur.pdf");
    head.extend_from_slice(&first);
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(&file_part_head(boundary, "large.pdf"));
    head.extend_from_slice(b"%PDF-1.4\n");
    send.unbounded_send(Ok(head)).unwrap();
    for _ in 0..8 {
        send.unbounded_send(Ok(vec![b' '; 256 * 1024])).unwrap();
    }
    // Wait until the first file is staged in the store, so the kill lands mid-request.
    let deadline = Instant::now() + Duration::from_secs(30);
    while backends.store.list("documents/").await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the first file was never staged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: signalling a child process this test started and has not reaped.
    unsafe { libc_kill(server.pid()) };
    drop(server);
    let answer = response.await.unwrap();
    assert!(
        answer.is_err(),
        "a killed dispatcher cannot have answered: {answer:?}"
    );
    drop(send);

    // Nothing of the request was recorded, so nothing can be stuck `queued`.
    assert!(backends
        .records
        .documents_with_content("local", &sha256_hex(&first))
        .await
        .unwrap()
        .is_empty());

    // The client's retry after the restart is accepted whole and processed once.
    let (_server, url) = support::serve(dir.path(), 0, &[]);
    let (status, accepted) = upload(&client, &url, &[("nl_factuur.pdf", first.clone())]).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap();
    let doc = wait_final(&client, &url, id, Duration::from_secs(60)).await;
    assert_eq!(doc["status"], "done", "{doc}");
    assert_eq!(
        backends
            .records
            .documents_with_content("local", &sha256_hex(&first))
            .await
            .unwrap()
            .len(),
        1
    );
}

/// SIGTERM, as a platform sends it to stop a process.
fn terminate(process: &Running) {
    // SAFETY: signalling a child process this test started and has not reaped.
    unsafe { libc::kill(process.pid(), libc::SIGTERM) };
}

/// Wait for a child to exit; its status.
async fn exited(process: &mut Running, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "still running after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM to a worker holding a job: it finishes the job, records it, and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_worker_finish_its_job_and_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = support::serve(dir.path(), 0, &[]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("de_rechnung.pdf")).unwrap();
    let (status, accepted) = upload(&client, &url, &[("de_rechnung.pdf", pdf)]).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();
    let mut worker = support::worker(
        dir.path(),
        &[
            "--visibility-timeout",
            "2",
            "--heartbeat-interval",
            "1",
            "--debug-pause-ms",
            "3000",
        ],
    );
    wait_processing(&client, &url, &id, Duration::from_secs(30)).await;
    terminate(&worker);
    let status = exited(&mut worker, Duration::from_secs(60)).await;
    assert!(status.success(), "{status:?}");
    let (_, doc) = get(&client, &format!("{url}/v1/documents/{id}")).await;
    assert_eq!(doc["status"], "done", "finished before exiting: {doc}");
    assert_eq!(doc["attempts"], 1, "{doc}");
    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(health["queue"]["visible"], 0, "{health}");
    assert_eq!(health["queue"]["in_flight"], 0, "{health}");
}

/// Wait until `slow` holds a dispatcher's only upload slot (`--max-concurrent-uploads 1`): a
/// quick upload is then refused with 503. Quick uploads that come first are accepted.
async fn wait_until_it_holds_the_upload_slot(
    client: &reqwest::Client,
    url: &str,
    slow: &tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = upload(client, url, &[("quick.pdf", b"%PDF-1.4".to_vec())]).await;
        if status == 503 {
            return;
        }
        assert_eq!(status, 202, "{body}");
        assert!(!slow.is_finished(), "the slow upload was answered early");
        assert!(Instant::now() < deadline, "the slow upload never started");
    }
}

/// SIGTERM to `dispatcher serve` during a slow streamed upload: new connections are refused at
/// once, the upload in flight completes with `202`, then the dispatcher exits 0; the accepted
/// document is processed after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_dispatcher_finish_an_upload_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = support::serve(dir.path(), 0, &["--max-concurrent-uploads", "1"]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("fr_facture.pdf")).unwrap();

    let boundary = "stapel-chaos-boundary";
    let (send, response) = slow_upload(&support::local_client(dir.path()), &url, boundary);
    send.unbounded_send(Ok(file_part_head(boundary, "slow.pdf")))
        .unwrap();
    send.unbounded_send(Ok(pdf[..pdf.len() / 2].to_vec()))
        .unwrap();
    wait_until_it_holds_the_upload_slot(&client, &url, &response).await;

    terminate(&server);
    let address = url.strip_prefix("http://").unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&address).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "the dispatcher exited with an upload in flight"
    );

    let mut tail = pdf[pdf.len() / 2..].to_vec();
    tail.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    send.unbounded_send(Ok(tail)).unwrap();
    drop(send);
    let answer = response
        .await
        .unwrap()
        .expect("the upload in flight is answered");
    assert_eq!(answer.status().as_u16(), 202);
    let accepted: Value = answer.json().await.unwrap();
    let status = exited(&mut server, Duration::from_secs(30)).await;
    assert!(status.success(), "{status:?}");

    let (_server, url) = support::serve(dir.path(), 0, &[]);
    let _worker = support::worker(dir.path(), &["--wait-time", "1"]);
    let id = accepted["documents"][0]["id"].as_str().unwrap();
    let doc = wait_final(&client, &url, id, Duration::from_secs(60)).await;
    assert_eq!(doc["status"], "done", "{doc}");
    assert_eq!(doc["filename"], "slow.pdf");
}

/// An upload still unfinished when `--shutdown-grace` runs out does not hold the dispatcher:
/// it stops, the client's request fails (so it retries), and nothing of it is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_dispatcher_after_its_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = support::serve(
        dir.path(),
        0,
        &["--max-concurrent-uploads", "1", "--shutdown-grace", "2"],
    );
    let client = support::local_client(dir.path());
    let boundary = "stapel-chaos-boundary";
    let (send, response) = slow_upload(&support::local_client(dir.path()), &url, boundary);
    send.unbounded_send(Ok(file_part_head(boundary, "stuck.pdf")))
        .unwrap();
    send.unbounded_send(Ok(b"%PDF-1.4\n".to_vec())).unwrap();
    wait_until_it_holds_the_upload_slot(&client, &url, &response).await;

    terminate(&server);
    let status = exited(&mut server, Duration::from_secs(30)).await;
    assert!(status.success(), "{status:?}");
    let answer = response.await.unwrap();
    assert!(
        answer.is_err(),
        "a stuck upload is not accepted: {answer:?}"
    );
    drop(send);
    let backends = Backends::open_embedded(&EmbeddedSettings::new(dir.path()))
        .await
        .unwrap();
    assert!(backends
        .records
        .documents_with_content("local", &sha256_hex(b"%PDF-1.4\n"))
        .await
        .unwrap()
        .is_empty());
}
