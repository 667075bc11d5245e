//! The queries behind the API at 1,000,000 documents, on a real PostgreSQL server.
//!
//! `cargo bench -p stapel-records --bench records_at_scale` starts a throwaway server (Debian's
//! `postgresql` package), loads synthetic documents with one server-side `INSERT ... SELECT`,
//! and times the `Records` calls the API and the web page make, through the real
//! implementation. `STAPEL_BENCH_DOCUMENTS` changes the row count (default 1,000,000).

use chrono::NaiveDate;
use stapel_domain::{AdministrationId, BatchId};
use stapel_records::testing::TempPostgres;
use stapel_records::{PgRecords, Records};
use std::time::{Duration, Instant};

const ADMINISTRATIONS: i64 = 20;
const BATCHES: i64 = 1_000;
const SUPPLIERS: i64 = 20_000;
const RUNS: usize = 200;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let documents: i64 = std::env::var("STAPEL_BENCH_DOCUMENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let server = TempPostgres::shared();
    let url = server.fresh_database_url().await;
    let records = PgRecords::connect(&url, 4).await.expect("connect");
    let pool = records.pool();

    let started = Instant::now();
    records.ensure_tenant("firm", "Firm").await.unwrap();
    let mut administrations = Vec::new();
    for i in 0..ADMINISTRATIONS {
        administrations.push(
            records
                .ensure_administration("firm", &format!("client {i}"))
                .await
                .unwrap()
                .id,
        );
    }
    let mut batches = Vec::new();
    for i in 0..BATCHES {
        let batch = BatchId::new();
        records
            .ensure_batch(
                batch,
                "firm",
                administrations[(i % ADMINISTRATIONS) as usize],
            )
            .await
            .unwrap();
        batches.push(batch);
    }
    let administration_ids: Vec<uuid::Uuid> = administrations
        .iter()
        .map(AdministrationId::as_uuid)
        .collect();
    let batch_ids: Vec<uuid::Uuid> = batches.iter().map(BatchId::as_uuid).collect();
    // Document n belongs to batch n % BATCHES, whose administration is (n % BATCHES) % ADMINISTRATIONS.
    sqlx::query(
        "INSERT INTO documents (id, tenant_id, administration_id, batch_id, filename, object_key,
                                content_sha256, size_bytes, status, attempts, supplier_key,
                                invoice_number, issue_date, needs_review, review_status,
                                created_at, finished_at, updated_at)
         SELECT gen_random_uuid(), 'firm', ($1::uuid[])[(n % $3) % $4 + 1], ($2::uuid[])[n % $3 + 1],
                'invoice-' || n || '.pdf', 'documents/' || n || '/original',
                md5(n::text) || md5((n * 7)::text), 50000 + n % 100000,
                CASE WHEN n % 100 < 2 THEN 'queued' WHEN n % 100 < 3 THEN 'processing'
                     WHEN n % 100 < 5 THEN 'failed' ELSE 'done' END,
                1, 'vat:NL' || (n % $5), 'INV-' || (n / $5), DATE '2025-01-01' + (n % 730)::int,
                CASE WHEN n % 100 >= 5 THEN (n / 3) % 5 = 0 END,
                CASE WHEN n % 100 < 5 THEN NULL WHEN (n / 7) % 10 < 7 THEN 'accepted'
                     WHEN (n / 7) % 10 < 8 THEN 'corrected' ELSE 'pending' END,
                now() - make_interval(secs => ($6 - n)::double precision), now(), now()
           FROM generate_series(0, $6 - 1) AS n",
    )
    .bind(&administration_ids)
    .bind(&batch_ids)
    .bind(BATCHES)
    .bind(ADMINISTRATIONS)
    .bind(SUPPLIERS)
    .bind(documents)
    .execute(pool)
    .await
    .expect("bulk insert");
    sqlx::query("ANALYZE documents")
        .execute(pool)
        .await
        .unwrap();
    let loaded = started.elapsed();
    println!(
        "loaded {documents} documents in {:.1} s ({} administrations, {} batches)",
        loaded.as_secs_f64(),
        ADMINISTRATIONS,
        BATCHES
    );

    let sample_sha: String = sqlx::query_scalar(
        "SELECT content_sha256 FROM documents WHERE filename = 'invoice-4242.pdf'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let administration = administrations[(4242 % BATCHES % ADMINISTRATIONS) as usize];
    let supplier = format!("vat:NL{}", 4242 % SUPPLIERS);
    let number = format!("INV-{}", 4242 / SUPPLIERS);
    let october = (
        NaiveDate::from_ymd_opt(2025, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 10, 31).unwrap(),
    );

    println!("\n| query | rows | median | p95 | max |\n|---|---|---|---|---|");
    let batch = batches[42];
    time(
        "batch progress (counts + ids of a 1,000-document batch)",
        || async {
            records
                .batch(batch)
                .await
                .unwrap()
                .unwrap()
                .document_ids
                .len()
        },
    )
    .await;
    time("review queue of an administration (first 50)", || async {
        records
            .review_queue(administration, 50)
            .await
            .unwrap()
            .len()
    })
    .await;
    time(
        "duplicate by (administration, supplier, invoice number)",
        || async {
            records
                .duplicates(administration, &supplier, &number)
                .await
                .unwrap()
                .len()
        },
    )
    .await;
    time("duplicate by content hash", || async {
        records
            .documents_with_content("firm", &sample_sha)
            .await
            .unwrap()
            .len()
    })
    .await;
    time(
        "reviewed proposals of one month, one administration (export)",
        || async {
            records
                .reviewed_in_period(administration, october.0, october.1)
                .await
                .unwrap()
                .len()
        },
    )
    .await;
    let document = records.batch(batch).await.unwrap().unwrap().document_ids[7];
    time("one document by id", || async {
        usize::from(records.document(document).await.unwrap().is_some())
    })
    .await;

    for (name, sql) in [
        ("review queue", format!("EXPLAIN SELECT id FROM documents WHERE administration_id = '{}' AND review_status = 'pending' ORDER BY needs_review DESC, created_at LIMIT 50", administration)),
        ("export", format!("EXPLAIN SELECT id FROM documents WHERE administration_id = '{}' AND review_status IN ('accepted', 'corrected') AND issue_date BETWEEN '2025-10-01' AND '2025-10-31' ORDER BY issue_date, id", administration)),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap_or_default();
        println!("\nplan ({name}):");
        for line in plan {
            println!("    {line}");
        }
    }
}

async fn time<F, Fut>(name: &str, mut query: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let rows = query().await; // warm-up
    let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        std::hint::black_box(query().await);
        samples.push(started.elapsed());
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {name} | {rows} | {:.2} ms | {:.2} ms | {:.2} ms |",
        ms(samples[RUNS / 2]),
        ms(samples[RUNS * 95 / 100]),
        ms(samples[RUNS - 1])
    );
}
