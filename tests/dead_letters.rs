//! Dead letters end to end: a job that fails on every delivery for a reason outside the file is
//! kept in the dead-letter queue, shown with its reason in the API, the web page and
//! `dispatcher dead-letter list`, and replayed by `dispatcher dead-letter redrive` once the cause
//! is fixed — to `done`, with the history of the dead letter kept.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};
use support::{get, sample, serve_with, upload, worker_with, Db, DbEnv};

fn dead_letter_command(db: &DbEnv, data_dir: &Path, args: &[&str]) -> Output {
    let output = db
        .command()
        .arg("dead-letter")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    output
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The store is broken for one document (its original is unreadable: a directory stands where
/// the file was, which no permission bit can work around, root or not), so every delivery fails
/// with `store.unavailable`, a transient failure: retried, then dead-lettered. Repaired, the
/// redrive finishes it.
async fn a_dead_lettered_job_is_listed_and_redriven_to_done(db: Db) {
    let db = db.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_with(db.command(), dir.path(), 0, &["--max-receives", "2"]);
    let client = support::local_client(dir.path());
    let (status, accepted) = upload(
        &client,
        &url,
        &[(
            "outage.pdf",
            std::fs::read(sample("en_invoice.pdf")).unwrap(),
        )],
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();

    let original = dir
        .path()
        .join("objects/documents")
        .join(&id)
        .join("original");
    let kept = dir.path().join("original.kept");
    std::fs::rename(&original, &kept).unwrap();
    std::fs::create_dir(&original).unwrap();

    let worker = worker_with(
        db.command(),
        dir.path(),
        &[
            "--max-receives",
            "2",
            "--wait-time",
            "1",
            "--visibility-timeout",
            "3",
            "--heartbeat-interval",
            "1",
        ],
    );
    let document = format!("{url}/v1/documents/{id}");
    let started = Instant::now();
    let letters = loop {
        let (_, letters) = get(&client, &format!("{url}/v1/dead-letters")).await;
        let (_, health) = get(&client, &format!("{url}/healthz")).await;
        if letters["dead_letters"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
            && health["dead_letter"]["visible"] == 1
        {
            break letters;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not dead-lettered: {letters} {health}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    drop(worker);

    // The API shows the dead letter and the failed document, each with the reason.
    let letter = &letters["dead_letters"][0];
    assert_eq!(letter["document_id"], id.as_str(), "{letter}");
    assert_eq!(letter["reason"]["code"], "store.unavailable", "{letter}");
    assert_eq!(letter["receive_count"], 2, "{letter}");
    assert!(letter["redriven_at"].is_null(), "{letter}");
    assert!(letter.get("body").is_none(), "the message body is internal");
    let (status, failed) = get(&client, &format!("{url}/v1/documents?status=failed")).await;
    assert_eq!(status, 200);
    let failed = failed["documents"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["id"], id.as_str());
    assert_eq!(failed[0]["error"]["code"], "store.unavailable");
    let (status, done) = get(&client, &format!("{url}/v1/documents?status=done")).await;
    assert_eq!(
        (status, done["documents"].as_array().unwrap().len()),
        (200, 0)
    );
    let (status, error) = get(&client, &format!("{url}/v1/documents?status=lost")).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "request.invalid_status");
    // Another tenant sees none of it.
    let other = support::client_with_key(&support::create_key(db.command(), dir.path(), "firm-b"));
    let (_, theirs) = get(&other, &format!("{url}/v1/dead-letters")).await;
    assert_eq!(theirs["dead_letters"], serde_json::json!([]));
    let (_, theirs) = get(&other, &format!("{url}/v1/documents?status=failed")).await;
    assert_eq!(theirs["documents"], serde_json::json!([]));

    // So does the web page.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session = support::web_login(&browser, &url, dir.path()).await;
    let page = browser
        .get(format!("{url}/failed"))
        .header("cookie", format!("stapel_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("outage.pdf"), "{page}");
    assert!(page.contains("store.unavailable"), "{page}");
    assert!(page.contains("dead-lettered"), "{page}");

    // The operator's list, and a dry run that changes nothing.
    let listed = stdout_lines(&dead_letter_command(&db, dir.path(), &["list", "--json"]));
    assert_eq!(listed.len(), 1, "{listed:?}");
    let listed: Value = serde_json::from_str(&listed[0]).unwrap();
    assert_eq!(listed["reason"]["code"], "store.unavailable");
    let dry = dead_letter_command(&db, dir.path(), &["redrive", "--dry-run"]);
    let dry_lines = stdout_lines(&dry);
    assert_eq!(dry_lines.len(), 1, "{dry:?}");
    assert!(dry_lines[0].contains(&id) && dry_lines[0].ends_with("fast"));
    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(
        health["dead_letter"]["visible"], 1,
        "a dry run releases what it read: {health}"
    );
    assert_eq!(get(&client, &document).await.1["status"], "failed");

    // Repair the store, redrive: the document goes back to `queued` and is finished.
    std::fs::remove_dir(&original).unwrap();
    std::fs::rename(&kept, &original).unwrap();
    let redriven = dead_letter_command(&db, dir.path(), &["redrive"]);
    assert_eq!(stdout_lines(&redriven).len(), 1, "{redriven:?}");
    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(health["dead_letter"]["visible"], 0, "{health}");
    let requeued = get(&client, &document).await.1;
    assert_eq!(requeued["status"], "queued", "{requeued}");
    assert_eq!(
        requeued["error"]["code"], "store.unavailable",
        "the last attempt's error stays while the retry waits"
    );
    let _worker = worker_with(db.command(), dir.path(), &["--wait-time", "1"]);
    let finished = support::wait_final(&client, &url, &id, Duration::from_secs(60)).await;
    assert_eq!(finished["status"], "done", "{finished}");
    assert!(finished["error"].is_null(), "{finished}");
    support::assert_balanced(&finished["proposal"]);

    // Redriven letters leave the outstanding list and stay in the history.
    let (_, waiting) = get(&client, &format!("{url}/v1/dead-letters")).await;
    assert_eq!(waiting["dead_letters"], serde_json::json!([]));
    let (_, history) = get(&client, &format!("{url}/v1/dead-letters?all=true")).await;
    assert!(
        history["dead_letters"][0]["redriven_at"].is_string(),
        "{history}"
    );
    let nothing = dead_letter_command(&db, dir.path(), &["redrive"]);
    assert!(stdout_lines(&nothing).is_empty(), "{nothing:?}");
}

on_both_records_databases!(a_dead_lettered_job_is_listed_and_redriven_to_done);
