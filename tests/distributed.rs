//! End-to-end on the distributed backends: the real `dispatcher` binary (`setup`, `serve` with
//! no local workers, and two separate `worker` processes) on S3 and SQS, served by a moto
//! server this test binary starts on a loopback port. Each scenario runs with SQLite records
//! (in a shared data directory) and with PostgreSQL records (nothing on the local disk).

mod support;

use stapel_store_aws::moto::unique_name;
use stapel_store_aws::AwsConfig;
use std::path::Path;
use std::time::Duration;
use support::{
    assert_balanced, get, libc_kill, moto, moto_dispatcher, sample, serve_with,
    set_up_moto_backends, upload, wait_final, wait_processing, with, worker_with, Db, DbEnv,
    Running,
};

/// A fresh bucket and queue pair, created with `dispatcher setup`; returns the backend flags.
fn set_up_backends(db: &DbEnv) -> Vec<String> {
    let bucket = unique_name("stapel-e2e");
    let queue = unique_name("stapel-e2e-jobs");
    let flags = vec![
        "--store".to_owned(),
        format!("s3://{bucket}/tenant-a"),
        "--queue".to_owned(),
        format!("sqs://{queue}"),
        "--s3-path-style".to_owned(),
        "--max-receives".to_owned(),
        "3".to_owned(),
    ];
    let printed = set_up_moto_backends(db, &flags);
    assert!(printed.contains(&format!("{queue}-dead")), "{printed}");
    flags
}

fn serve(db: &DbEnv, data_dir: &Path, flags: &[String]) -> (Running, String) {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    serve_with(moto_dispatcher(db), data_dir, 0, &flags)
}

fn worker(db: &DbEnv, data_dir: &Path, flags: &[String]) -> Running {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    worker_with(moto_dispatcher(db), data_dir, &flags)
}

/// Keys under the bucket of `flags`, to prove the files went to S3.
async fn keys_in_bucket(flags: &[String]) -> Vec<String> {
    let bucket = flags[1]
        .strip_prefix("s3://")
        .and_then(|rest| rest.split('/').next())
        .expect("the first flag pair is --store s3://bucket/prefix");
    let config = AwsConfig::load(&moto().settings()).await;
    let s3_config = aws_sdk_s3::config::Builder::from(config.sdk_config())
        .force_path_style(true)
        .endpoint_url(moto().endpoint())
        .build();
    let listed = aws_sdk_s3::Client::from_conf(s3_config)
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("bucket lists");
    listed
        .contents()
        .iter()
        .filter_map(|object| object.key().map(str::to_owned))
        .collect()
}

async fn uploads_become_proposals_through_s3_and_sqs(db: Db) {
    let db = db.prepare().await;
    let flags = set_up_backends(&db);
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(&db, dir.path(), &flags);
    let _first = worker(&db, dir.path(), &flags);
    let _second = worker(&db, dir.path(), &flags);
    let client = support::client_with_key(&support::create_key_with(
        moto_dispatcher(&db),
        dir.path(),
        "e2e",
        &flags,
    ));

    let (status, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let names = ["en_invoice.pdf", "nl_factuur.pdf", "de_rechnung.pdf"];
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .map(|name| (*name, std::fs::read(sample(name)).unwrap()))
        .collect();
    let (status, accepted) = upload(&client, &url, &files).await;
    assert_eq!(status, 202, "{accepted}");
    let documents = accepted["documents"].as_array().unwrap();
    assert_eq!(documents.len(), names.len());
    for document in documents {
        let id = document["id"].as_str().unwrap();
        let doc = wait_final(&client, &url, id, Duration::from_secs(90)).await;
        assert_eq!(doc["status"], "done", "{doc}");
        assert_eq!(doc["attempts"], 1, "{doc}");
        assert_balanced(&doc["proposal"]);
    }

    // The files went to S3 under the prefix, and nothing to the embedded store or queue.
    let keys = keys_in_bucket(&flags).await;
    for document in documents {
        let id = document["id"].as_str().unwrap();
        for object in ["original", "result.json"] {
            let key = format!("tenant-a/documents/{id}/{object}");
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }
    assert!(!dir.path().join("objects").exists());
    assert!(!dir.path().join("queue.db").exists());
    // With PostgreSQL records nothing at all is kept on this host.
    assert_eq!(dir.path().join("records.db").exists(), db.url.is_none());

    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(health["queue"]["visible"], 0, "{health}");
    assert_eq!(health["queue"]["in_flight"], 0, "{health}");
    assert_eq!(health["dead_letter"]["visible"], 0, "{health}");
}

/// Two workers; the one holding the job is killed mid-job. SQS makes the job visible again
/// after its visibility timeout and the other worker finishes it.
async fn a_killed_workers_job_is_redelivered_through_sqs(db: Db) {
    let db = db.prepare().await;
    let flags = set_up_backends(&db);
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(&db, dir.path(), &flags);
    let client = support::client_with_key(&support::create_key_with(
        moto_dispatcher(&db),
        dir.path(),
        "e2e",
        &flags,
    ));
    let pdf = std::fs::read(sample("de_rechnung.pdf")).unwrap();
    let (status, accepted) = upload(&client, &url, &[("de_rechnung.pdf", pdf)]).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();

    // This worker takes the job and stalls (test hook) while its heartbeat keeps it hidden.
    let doomed = worker(
        &db,
        dir.path(),
        &with(
            &flags,
            &[
                "--visibility-timeout",
                "2",
                "--heartbeat-interval",
                "1",
                "--debug-pause-ms",
                "600000",
            ],
        ),
    );
    wait_processing(&client, &url, &id, Duration::from_secs(60)).await;
    // The second worker is up and polling before the crash, as in a real pool.
    let _rescuer = worker(
        &db,
        dir.path(),
        &with(
            &flags,
            &["--visibility-timeout", "2", "--heartbeat-interval", "1"],
        ),
    );
    // Outlive a few heartbeats, so the kill lands mid-job and the heartbeat is what kept the
    // job from the second worker.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (_, doc) = get(&client, &format!("{url}/v1/documents/{id}")).await;
    assert_eq!(
        (doc["status"].as_str(), doc["attempts"].as_u64()),
        (Some("processing"), Some(1)),
        "the heartbeat must keep the job with the first worker: {doc}"
    );
    // SAFETY: signalling a child process this test started and has not reaped.
    unsafe { libc_kill(doomed.pid()) };
    drop(doomed);

    let doc = wait_final(&client, &url, &id, Duration::from_secs(90)).await;
    assert_eq!(doc["status"], "done", "{doc}");
    assert_eq!(
        doc["attempts"], 2,
        "one killed attempt, one finished attempt"
    );
    assert_balanced(&doc["proposal"]);
    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(health["queue"]["visible"], 0, "{health}");
    assert_eq!(
        health["queue"]["in_flight"], 0,
        "the finished job's message was deleted: {health}"
    );
}

on_both_records_databases!(
    uploads_become_proposals_through_s3_and_sqs,
    a_killed_workers_job_is_redelivered_through_sqs,
);
