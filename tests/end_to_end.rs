//! End-to-end: the real `dispatcher` binary, its local workers, the embedded store and queue,
//! over HTTP on a loopback port chosen by the OS. Each test gets its own data directory; the
//! scenarios run twice, with SQLite records and with PostgreSQL records.

mod support;

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use stapel_domain::{BatchId, Decimal, DocumentId, JobMessage};
use stapel_pipeline::{BackendSettings, Backends, EmbeddedSettings};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::{
    assert_balanced, decimal, get, image_only_pdf, libc_kill, sample, scanned_pdf,
    scanned_pdf_pages, scanned_png, serve, serve_with, upload, wait_final, worker_with, Db,
};

async fn upload_over_http_becomes_a_balanced_proposal(db: Db) {
    let db = db.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_with(db.command(), dir.path(), 1, &[]);
    let client = support::local_client(dir.path());

    let (status, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let pdf = std::fs::read(sample("nl_factuur.pdf")).unwrap();
    let (status, accepted) = upload(
        &client,
        &url,
        &[
            ("nl_factuur.pdf", pdf),
            ("notes.pdf", b"this is not a pdf".to_vec()),
        ],
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let docs = accepted["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["filename"], "nl_factuur.pdf");
    assert_eq!(docs[0]["status"], "queued");
    // Refused by its content at upload: recorded as failed, never queued.
    assert_eq!(docs[1]["status"], "failed");
    assert_eq!(docs[1]["error"]["code"], "upload.unsupported_type");
    let batch = accepted["batch"].as_str().unwrap();

    let invoice_doc = wait_final(
        &client,
        &url,
        docs[0]["id"].as_str().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(invoice_doc["status"], "done", "{invoice_doc}");
    assert_eq!(invoice_doc["invoice"]["invoice_number"], "2026-0312");
    assert_eq!(invoice_doc["invoice"]["currency"], "EUR");
    assert_eq!(invoice_doc["invoice"]["source"], "text");
    let gross = decimal(&invoice_doc["invoice"]["gross_total"]);
    let net = decimal(&invoice_doc["invoice"]["net_total"]);
    let vat = decimal(&invoice_doc["invoice"]["vat_total"]);
    assert_eq!(net + vat, gross);
    assert_balanced(&invoice_doc["proposal"]);
    let payable: Decimal = invoice_doc["proposal"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| decimal(&l["credit"]))
        .sum();
    assert_eq!(payable, gross, "accounts payable is the gross total");

    let junk = wait_final(
        &client,
        &url,
        docs[1]["id"].as_str().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(junk["status"], "failed");
    assert_eq!(junk["error"]["code"], "upload.unsupported_type");
    assert!(junk["proposal"].is_null());

    let (status, batch_view) = get(&client, &format!("{url}/v1/batches/{batch}")).await;
    assert_eq!(status, 200);
    assert_eq!(batch_view["total"], 2);
    assert_eq!(batch_view["counts"]["done"], 1);
    assert_eq!(batch_view["counts"]["failed"], 1);
    assert_eq!(batch_view["documents"].as_array().unwrap().len(), 2);
    // The live view's pages: the second document alone, then nothing past the end.
    let documents = format!("{url}/v1/batches/{batch}/documents");
    let (_, page) = get(&client, &format!("{documents}?offset=1&limit=1")).await;
    let views = page["document_views"].as_array().unwrap();
    assert_eq!(views.len(), 1, "{page}");
    assert_eq!(views[0]["id"], batch_view["documents"][1]);
    assert_eq!(page["total"], 2);
    let (_, page) = get(&client, &format!("{documents}?offset=2&limit=1")).await;
    assert_eq!(page["document_views"], serde_json::json!([]));
    let (_, all) = get(&client, &documents).await;
    assert_eq!(all["document_views"].as_array().unwrap().len(), 2);
    // The records are where the settings put them, and only there.
    assert_eq!(dir.path().join("records.db").exists(), db.url.is_none());
}

/// Scans reach the same field parser through OCR in the worker's isolated child: a photo-like
/// PNG of a page and a scanner's image-only PDF (no text layer) both become proposals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_are_read_by_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 1, &[]);
    let client = support::local_client(dir.path());
    let expected: Value =
        serde_json::from_slice(&std::fs::read(sample("de_rechnung.expected.json")).unwrap())
            .unwrap();
    let png = scanned_png("de_rechnung.pdf", 300);
    let scan_pdf = image_only_pdf(&png);
    // A scanner's own text layer that lost everything but a reference line: its totals cannot
    // reconcile, so the worker reads the rendered page as a second opinion.
    let poor_text_layer = scanned_pdf(
        &png,
        Some("Rechnung RE-2026-11873 Kundennummer 10442 Seite 1 von 1 Bitte bei Zahlung angeben"),
    );
    let (status, accepted) = upload(
        &client,
        &url,
        &[
            ("photo.png", png),
            ("scan.pdf", scan_pdf),
            ("holiday.heic", b"\0\0\0\x18ftypheic".to_vec()),
            ("searchable.pdf", poor_text_layer),
        ],
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let docs = accepted["documents"].as_array().unwrap();
    for doc in &docs[..2] {
        let done = wait_final(
            &client,
            &url,
            doc["id"].as_str().unwrap(),
            Duration::from_secs(180),
        )
        .await;
        assert_eq!(done["status"], "done", "{done}");
        let invoice = &done["invoice"];
        assert_eq!(invoice["source"], "ocr", "{done}");
        assert_eq!(
            invoice["invoice_number"], expected["invoice_number"],
            "{invoice}"
        );
        assert_eq!(invoice["gross_total"], expected["gross_total"], "{invoice}");
        assert_eq!(
            invoice["supplier_vat_id"], expected["supplier_vat_id"],
            "{invoice}"
        );
        assert_balanced(&done["proposal"]);
    }
    let heic = wait_final(
        &client,
        &url,
        docs[2]["id"].as_str().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(heic["status"], "failed");
    assert_eq!(heic["error"]["code"], "upload.unsupported_type");
    assert!(
        heic["error"]["message"].as_str().unwrap().contains("HEIC"),
        "{heic}"
    );

    let cross_checked = wait_final(
        &client,
        &url,
        docs[3]["id"].as_str().unwrap(),
        Duration::from_secs(180),
    )
    .await;
    assert_eq!(cross_checked["status"], "done", "{cross_checked}");
    let invoice = &cross_checked["invoice"];
    assert_eq!(invoice["source"], "text", "{invoice}");
    assert_eq!(
        invoice["invoice_number"], expected["invoice_number"],
        "{invoice}"
    );
    assert_eq!(invoice["gross_total"], expected["gross_total"], "{invoice}");
    assert_eq!(invoice["net_total"], expected["net_total"], "{invoice}");
    assert_balanced(&cross_checked["proposal"]);
}

/// A long scan uploaded small enough for the fast lane is moved to the bulk lane by the worker
/// that takes it; there it is split into page-range jobs (two pages each here), which the two
/// workers read in parallel, and the last part to finish joins them into one result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_scan_moves_to_the_bulk_lane_is_split_and_joined() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 2, &["--scan-part-pages", "2"]);
    let client = support::local_client(dir.path());
    let expected: Value =
        serde_json::from_slice(&std::fs::read(sample("de_rechnung.expected.json")).unwrap())
            .unwrap();
    let png = scanned_png("de_rechnung.pdf", 150);
    let long_scan = scanned_pdf_pages(&png, None, 5);
    assert!(
        long_scan.len() < 8 * 1024 * 1024,
        "small enough for the fast lane"
    );
    let (status, accepted) = upload(&client, &url, &[("long-scan.pdf", long_scan)]).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap();
    let done = wait_final(&client, &url, id, Duration::from_secs(300)).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["invoice"]["source"], "ocr");
    assert_eq!(
        done["invoice"]["invoice_number"],
        expected["invoice_number"]
    );
    assert_balanced(&done["proposal"]);
    // Started once in the fast lane (and moved), once in the bulk lane (and split); the
    // page-range jobs do not count as attempts.
    assert_eq!(done["attempts"], 2, "{done}");
    let parts: Vec<_> = std::fs::read_dir(dir.path().join(format!("objects/documents/{id}/parts")))
        .unwrap()
        .collect();
    assert_eq!(parts.len(), 3, "pages 1-2, 3-4 and 5");
    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(health["queue"]["visible"], 0, "{health}");
    assert_eq!(health["bulk_queue"]["visible"], 0, "{health}");
    assert_eq!(health["bulk_queue"]["in_flight"], 0, "{health}");
}

/// A bookkeeper corrects one proposal; the next invoice of that supplier is proposed the
/// corrected way at once, and the audit trail keeps both versions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_correction_teaches_the_suppliers_next_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 1, &[]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("nl_factuur.pdf")).unwrap();
    let (_, first) = upload(&client, &url, &[("first.pdf", pdf.clone())]).await;
    let first_id = first["documents"][0]["id"].as_str().unwrap().to_owned();
    let done = wait_final(&client, &url, &first_id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "done", "{done}");
    let accounts = |doc: &Value| -> Vec<String> {
        doc["proposal"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line["account"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(accounts(&done).contains(&"4000".to_owned()), "{done}");
    // Nobody has reviewed this supplier yet: its first proposal asks for a look.
    assert_eq!(done["proposal"]["needs_review"], true, "{done}");
    assert!(
        done["proposal"]["reasons"]
            .to_string()
            .contains("New supplier"),
        "{done}"
    );

    let review = |id: &str, body: Value| {
        let client = client.clone();
        let url = format!("{url}/v1/documents/{id}/review");
        async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // One correction: another expense account, the firm's own VAT code for this supplier (say,
    // partly non-deductible), a cost centre and 30 days' payment terms.
    let (status, corrected) = review(
        &first_id,
        serde_json::json!({"action": "correct", "author": "anna", "expense_account": "4930",
            "vat_code": "VAT-21-ND", "cost_centre": "KST-7", "payment_terms_days": 30}),
    )
    .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["proposal"]["cost_centre"], "KST-7", "{corrected}");
    // The invoice prints its due date, which wins over the terms.
    assert_eq!(
        corrected["proposal"]["due_date"], "2026-12-05",
        "{corrected}"
    );
    assert_eq!(corrected["version"], 2);
    assert_eq!(corrected["learned"], true);
    assert!(corrected["proposal"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|line| line["account"] == "4930"));
    assert_balanced(&corrected["proposal"]);

    let (_, second) = upload(&client, &url, &[("second.pdf", pdf)]).await;
    let second_id = second["documents"][0]["id"].as_str().unwrap().to_owned();
    let learned = wait_final(&client, &url, &second_id, Duration::from_secs(60)).await;
    assert_eq!(learned["status"], "done", "{learned}");
    let learned_accounts = accounts(&learned);
    assert!(learned_accounts.contains(&"4930".to_owned()), "{learned}");
    assert!(!learned_accounts.contains(&"4000".to_owned()), "{learned}");
    assert_balanced(&learned["proposal"]);
    let vat_codes = |doc: &Value| -> Vec<String> {
        doc["proposal"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|line| line["vat_code"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(vat_codes(&learned), ["VAT-21-ND"], "{learned}");
    assert_eq!(learned["proposal"]["cost_centre"], "KST-7", "{learned}");
    let learned_reasons = learned["proposal"]["reasons"].to_string();
    assert!(
        !learned_reasons.contains("New supplier"),
        "{learned_reasons}"
    );
    // The learned code differs from what the document's rate gives, so the entry says so.
    assert!(learned_reasons.contains("VAT-21-ND"), "{learned_reasons}");
    // The same file again: flagged as a duplicate, not silently booked twice.
    assert_eq!(learned["proposal"]["needs_review"], true, "{learned}");
    let reasons = learned["proposal"]["reasons"].to_string();
    assert!(
        reasons.contains("Possible duplicate") && reasons.contains(&first_id),
        "{reasons}"
    );

    // The invoice's e-invoice twin (same supplier, number and amount; no due date printed):
    // booked the learned way, due 30 days after its issue date, and flagged as a duplicate of
    // the PDF across formats. A re-issue under the same number with another amount is flagged
    // with its own reason.
    let (_, twins) = upload(
        &client,
        &url,
        &[
            (
                "twin.xml",
                support::ubl_invoice("2026-0312", "709.35", "148.96", "858.31"),
            ),
            (
                "reissue.xml",
                support::ubl_invoice("2026-0312", "743.80", "156.20", "900.00"),
            ),
        ],
    )
    .await;
    let twin_id = twins["documents"][0]["id"].as_str().unwrap().to_owned();
    let twin = wait_final(&client, &url, &twin_id, Duration::from_secs(60)).await;
    assert_eq!(twin["status"], "done", "{twin}");
    assert_eq!(twin["invoice"]["source"], "ubl", "{twin}");
    assert!(accounts(&twin).contains(&"4930".to_owned()), "{twin}");
    assert_eq!(vat_codes(&twin), ["VAT-21-ND"], "{twin}");
    assert_eq!(twin["proposal"]["cost_centre"], "KST-7", "{twin}");
    assert_eq!(twin["proposal"]["due_date"], "2026-12-21", "{twin}");
    let twin_reasons = twin["proposal"]["reasons"].to_string();
    assert!(
        twin_reasons.contains(&format!(
            "Possible duplicate of document {first_id} (the same supplier, invoice number and \
             amount)"
        )),
        "{twin_reasons}"
    );
    let reissue_id = twins["documents"][1]["id"].as_str().unwrap().to_owned();
    let reissue = wait_final(&client, &url, &reissue_id, Duration::from_secs(60)).await;
    let reissue_reasons = reissue["proposal"]["reasons"].to_string();
    assert!(
        reissue_reasons.contains(&format!(
            "Document {first_id} has the same supplier and invoice number (2026-0312) but a \
             different gross amount (858.31, this one 900.00)"
        )),
        "{reissue_reasons}"
    );
    assert!(
        !reissue_reasons.contains(&format!("Possible duplicate of document {first_id}")),
        "{reissue_reasons}"
    );

    let (status, accepted) = review(&second_id, serde_json::json!({"action": "accept"})).await;
    assert_eq!(
        (status, accepted["version"].as_u64()),
        (200, Some(2)),
        "{accepted}"
    );
    let (status, unbalanced) = review(
        &second_id,
        serde_json::json!({"action": "correct", "lines": [
            {"account": "4930", "description": "x", "debit": "10.00", "credit": "0", "vat_code": null},
            {"account": "1600", "description": "x", "debit": "0", "credit": "9.99", "vat_code": null}
        ]}),
    )
    .await;
    assert_eq!(status, 422, "{unbalanced}");
    assert_eq!(unbalanced["error"]["code"], "review.unbalanced");
    let (status, missing) = review(
        &DocumentId::new().to_string(),
        serde_json::json!({"action": "accept"}),
    )
    .await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("document.not_found"))
    );
    let (status, nothing) = review(&first_id, serde_json::json!({"action": "correct"})).await;
    assert_eq!(
        (status, nothing["error"]["code"].as_str()),
        (422, Some("review.nothing_to_correct"))
    );
    // Misread fields are corrected in the review; the entry's due date follows the invoice's.
    let (status, refused) = review(
        &second_id,
        serde_json::json!({"action": "accept", "fields": {"invoice_number": "X"}}),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("review.fields_need_correct"))
    );
    let (status, fixed) = review(
        &second_id,
        serde_json::json!({"action": "correct", "author": "bert",
            "fields": {"invoice_number": "2026-0312-B", "due_date": "2026-12-31"}}),
    )
    .await;
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["proposal"]["due_date"], "2026-12-31", "{fixed}");
    let (_, view) = get(&client, &format!("{url}/v1/documents/{second_id}")).await;
    assert_eq!(view["invoice"]["invoice_number"], "2026-0312-B", "{view}");
    assert_eq!(
        view["invoice"]["confidence"]["invoice_number"], 1.0,
        "{view}"
    );
    assert_eq!(view["review_status"], "corrected", "{view}");

    // Exports of the reviewed entries: deterministic bytes, in three formats.
    let export = |query: &str| {
        let client = client.clone();
        let url = format!("{url}/v1/exports?{query}");
        async move {
            let response = client.get(url).send().await.unwrap();
            (
                response.status().as_u16(),
                response.bytes().await.unwrap().to_vec(),
            )
        }
    };
    let (status, csv) = export("from=2026-11-01&to=2026-11-30").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
    let csv_text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        csv_text.contains("4930") && csv_text.contains("2026-0312"),
        "{csv_text}"
    );
    assert_eq!(
        export("from=2026-11-01&to=2026-11-30").await.1,
        csv,
        "same input, same bytes"
    );
    let (status, json) = export("from=2026-11-01&to=2026-11-30&format=json").await;
    assert_eq!(status, 200);
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["entries"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["entries"][0]["cost_centre"], "KST-7", "{json}");
    let (status, datev) =
        export("from=2026-11-01&to=2026-11-30&format=datev&consultant=1001&client=1").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&datev));
    assert!(
        datev.starts_with(b"\"EXTF\";700;21;"),
        "{}",
        String::from_utf8_lossy(&datev)
    );
    let (status, _) = export("from=2026-11-01&to=2026-11-30&format=datev").await;
    assert_eq!(status, 400);
    let (status, outside) = export("from=2025-01-01&to=2025-01-31&format=json").await;
    assert_eq!(status, 200);
    let outside: Value = serde_json::from_slice(&outside).unwrap();
    assert_eq!(outside["entries"].as_array().unwrap().len(), 0);
}

/// A firm's own chart (SKR04 with its own expense account), kept in `STAPEL_CHARTS_DIR`.
const KANZLEI_SKR04: &str = r#"
name = "Kanzlei SKR04"
country = "DE"
currency = "EUR"
[expense]
number = "6815"
name = "Bürobedarf"
[input_vat]
number = "1406"
name = "Abziehbare Vorsteuer 19 %"
[accounts_payable]
number = "3300"
name = "Verbindlichkeiten aus Lieferungen und Leistungen"
"#;

/// Each administration books on its own chart: one named at upload on SKR03 gets SKR03's
/// accounts, one on a firm's own chart file gets that file's, a chart that is gone fails the
/// document with a clear error, and a DATEV export of the SKR03 administration says SKR03.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administration_books_on_its_own_chart() {
    let dir = tempfile::tempdir().unwrap();
    let charts = tempfile::tempdir().unwrap();
    let own_chart = charts.path().join("kanzlei-skr04.toml");
    std::fs::write(&own_chart, KANZLEI_SKR04).unwrap();
    let mut command = std::process::Command::new(support::DISPATCHER);
    command.env("STAPEL_CHARTS_DIR", charts.path());
    let (_server, url) = serve_with(command, dir.path(), 1, &[]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("de_rechnung.pdf")).unwrap();
    let upload_to = |fields: &[(&'static str, &'static str)]| {
        let mut form = Form::new().part("file", Part::bytes(pdf.clone()).file_name("re.pdf"));
        for (name, value) in fields {
            form = form.text(*name, *value);
        }
        let request = client.post(format!("{url}/v1/documents")).multipart(form);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let lines = |doc: &Value| -> Vec<(String, Option<String>)> {
        doc["proposal"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| {
                (
                    line["account"].as_str().unwrap().to_owned(),
                    line["vat_code"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };

    let (status, accepted) = upload_to(&[
        ("administration", "Müller Kunde"),
        ("chart", "de-skr03"),
        ("country", "DE"),
    ])
    .await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();
    let skr03 = wait_final(&client, &url, &id, Duration::from_secs(60)).await;
    assert_eq!(skr03["status"], "done", "{skr03}");
    assert_eq!(
        lines(&skr03),
        [
            ("4900".to_owned(), None),
            ("1576".to_owned(), Some("DE-19".to_owned())),
            ("1600".to_owned(), None),
        ],
        "{skr03}"
    );
    assert_balanced(&skr03["proposal"]);

    let (status, accepted) = upload_to(&[
        ("administration", "Kanzlei Kunde"),
        ("chart", "kanzlei-skr04"),
    ])
    .await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();
    let own = wait_final(&client, &url, &id, Duration::from_secs(60)).await;
    assert_eq!(
        lines(&own)
            .into_iter()
            .map(|(account, _)| account)
            .collect::<Vec<_>>(),
        ["6815", "1406", "3300"],
        "{own}"
    );

    // Refused at upload: an unknown chart, and another chart for an existing administration.
    let (status, body) = upload_to(&[("administration", "Neu"), ("chart", "de-skr99")]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("booking.unknown_chart")),
        "{body}"
    );
    let (status, body) =
        upload_to(&[("administration", "Müller Kunde"), ("chart", "nl-rgs")]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("administration.conflict")),
        "{body}"
    );

    // The firm's chart file is removed: the next document of that administration fails with
    // the reason on it, rather than being booked on some other chart.
    std::fs::remove_file(&own_chart).unwrap();
    let (status, accepted) = upload_to(&[("administration", "Kanzlei Kunde")]).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();
    let failed = wait_final(&client, &url, &id, Duration::from_secs(60)).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "booking.unknown_chart", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kanzlei-skr04"),
        "{failed}"
    );

    // The SKR03 administration's DATEV export names SKR03 and books on its accounts.
    let skr03_id = skr03["id"].as_str().unwrap();
    let response = client
        .post(format!("{url}/v1/documents/{skr03_id}/review"))
        .json(&serde_json::json!({"action": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = client
        .get(format!(
            "{url}/v1/exports?from=2026-11-01&to=2026-11-30&format=datev&consultant=1001\
             &client=1&administration=M%C3%BCller%20Kunde"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let datev = response.bytes().await.unwrap();
    // Windows-1252; the fields checked here are ASCII.
    let text = String::from_utf8_lossy(&datev);
    let rows: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(rows[0].split(';').nth(26), Some("\"03\""), "{text}");
    let record: Vec<&str> = rows[2].split(';').collect();
    assert_eq!(record.len(), 125, "{text}");
    assert_eq!((record[6], record[7]), ("4900", "1600"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_specific_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 0, &["--max-file-bytes", "1000"]);
    let client = support::local_client(dir.path());

    let (status, body) = get(
        &client,
        &format!("{url}/v1/documents/{}", DocumentId::new()),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("document.not_found"))
    );
    let (status, body) = get(&client, &format!("{url}/v1/documents/not-an-id")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("request.invalid_id"))
    );
    let (status, body) = get(&client, &format!("{url}/v1/batches/{}", BatchId::new())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("batch.not_found"))
    );

    let form = Form::new().text("batch", BatchId::new().to_string());
    let response = client
        .post(format!("{url}/v1/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "request.no_files");

    let (status, body) = upload(&client, &url, &[("big.pdf", vec![b'x'; 5000])]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("upload.too_large"))
    );

    // A request refused halfway leaves nothing behind: the small file before the big one is
    // not accepted either.
    let (status, _) = upload(
        &client,
        &url,
        &[
            ("small.pdf", b"%PDF-1.4".to_vec()),
            ("big.pdf", vec![b'x'; 5000]),
        ],
    )
    .await;
    assert_eq!(status, 413);
    let objects = dir.path().join("objects/documents");
    let stored = std::fs::read_dir(&objects)
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(stored, 0, "a refused request left files in the store");

    // An explicit batch id groups uploads.
    let batch = BatchId::new();
    let form = Form::new()
        .text("batch", batch.to_string())
        .part("file", Part::bytes(b"%PDF-1.4".to_vec()).file_name("a.pdf"));
    let response = client
        .post(format!("{url}/v1/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let (status, view) = get(&client, &format!("{url}/v1/batches/{batch}")).await;
    assert_eq!((status, view["total"].as_u64()), (200, Some(1)));
    assert_eq!(
        view["counts"]["queued"], 1,
        "no workers: the document waits in the queue"
    );
}

/// Without a valid key the API answers 401 (with `WWW-Authenticate`), and a revoked key stops
/// working at once; the health check stays open for load balancers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_valid_key_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 0, &[]);
    let anonymous = reqwest::Client::new();
    let document = format!("{url}/v1/documents/{}", DocumentId::new());

    let response = anonymous.get(&document).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "auth.missing");
    let (status, body) = upload(&anonymous, &url, &[("a.pdf", b"%PDF-1.4".to_vec())]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("auth.missing"))
    );

    let wrong = support::client_with_key("stapel_0000");
    let (status, body) = get(&wrong, &document).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("auth.invalid_key"))
    );
    let response = anonymous
        .get(&document)
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    let (status, _) = get(&anonymous, &format!("{url}/healthz")).await;
    assert_eq!(status, 200);

    // A key created on the command line works until it is revoked.
    let output = std::process::Command::new(support::DISPATCHER)
        .args([
            "api-key",
            "create",
            "--tenant",
            "firm-b",
            "--name",
            "laptop",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let id = stderr
        .split_whitespace()
        .nth(3)
        .unwrap_or_else(|| panic!("no key id in {stderr:?}"));
    let client = support::client_with_key(&key);
    let (status, body) = get(&client, &document).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("document.not_found"))
    );
    let revoked = std::process::Command::new(support::DISPATCHER)
        .args(["api-key", "revoke", id, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let (status, body) = get(&client, &document).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("auth.invalid_key"))
    );
    // Revoking twice is an error, not a silent success.
    let again = std::process::Command::new(support::DISPATCHER)
        .args(["api-key", "revoke", id, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success());

    // The list shows the revoked key with its label, never the key itself.
    let listed = std::process::Command::new(support::DISPATCHER)
        .args([
            "api-key",
            "list",
            "--tenant",
            "firm-b",
            "--json",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let stdout = String::from_utf8(listed.stdout).unwrap();
    assert!(!stdout.contains(&key), "a listed key leaks: {stdout}");
    let keys: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(keys.len(), 1, "{stdout}");
    assert_eq!(keys[0]["id"], id);
    assert_eq!(keys[0]["label"], "laptop");
    assert!(keys[0]["revoked_at"].is_string(), "{stdout}");
}

/// Another tenant's documents and batches answer 404, exactly like ids that do not exist, on
/// every route that takes an id; its own stay reachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_ids_answer_404() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 0, &[]);
    let owner = support::local_client(dir.path());
    let stranger = support::client_with_key(&support::create_key(
        std::process::Command::new(support::DISPATCHER),
        dir.path(),
        "other-firm",
    ));

    let (status, accepted) = upload(&owner, &url, &[("a.pdf", b"%PDF-1.4".to_vec())]).await;
    assert_eq!(status, 202, "{accepted}");
    let batch = accepted["batch"].as_str().unwrap().to_owned();
    let document = accepted["documents"][0]["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/v1/documents/{document}"),
        format!("/v1/documents/{document}/pages/1"),
    ] {
        let (status, body) = get(&stranger, &format!("{url}{path}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("document.not_found")),
            "{path}"
        );
    }
    for path in [
        format!("/v1/batches/{batch}"),
        format!("/v1/batches/{batch}/documents"),
    ] {
        let (status, body) = get(&stranger, &format!("{url}{path}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("batch.not_found")),
            "{path}"
        );
    }
    let response = stranger
        .post(format!("{url}/v1/documents/{document}/review"))
        .json(&serde_json::json!({"action": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    // Nor can a stranger slip files into the batch.
    let form = Form::new()
        .text("batch", batch.clone())
        .part("file", Part::bytes(b"%PDF-1.4".to_vec()).file_name("b.pdf"));
    let response = stranger
        .post(format!("{url}/v1/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    // The owner sees its document and batch, and the batch still has one document.
    let (status, view) = get(&owner, &format!("{url}/v1/documents/{document}")).await;
    assert_eq!((status, view["status"].as_str()), (200, Some("queued")));
    let (status, view) = get(&owner, &format!("{url}/v1/batches/{batch}/documents")).await;
    assert_eq!((status, view["total"].as_u64()), (200, Some(1)), "{view}");
    assert_eq!(view["document_views"][0]["id"], document.as_str());
}

/// `dispatcher upload` against a running dispatcher: the key from the environment, `--wait`
/// with JSON out, and an export file; a wrong key fails with the API's error code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_command_waits_prints_json_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 1, &[]);
    let export = dir.path().join("export.csv");
    let files = [sample("nl_factuur.pdf"), sample("en_invoice.pdf")];
    let output = std::process::Command::new(support::DISPATCHER)
        .arg("upload")
        .args(&files)
        .args([
            "--url",
            &url,
            "--wait",
            "--json",
            "--timeout",
            "120",
            "--batch",
            "March 2026",
            "--export",
        ])
        .arg(&export)
        .env("STAPEL_API_KEY", support::local_key(dir.path()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "--json keeps stderr quiet: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let docs: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    for (doc, file) in docs.iter().zip(&files) {
        assert_eq!(doc["file"], file.display().to_string());
        assert_eq!(doc["status"], "done", "{doc}");
        assert_eq!(doc["batch"], docs[0]["batch"], "one batch");
    }
    // Nothing is reviewed yet, so the export holds no entries, but it is written.
    assert!(export.exists());

    // A second upload naming the same batch adds to it.
    let again = std::process::Command::new(support::DISPATCHER)
        .arg("upload")
        .arg(&files[1])
        .args(["--url", &url, "--json", "--batch", "March 2026"])
        .env("STAPEL_API_KEY", support::local_key(dir.path()))
        .output()
        .unwrap();
    assert!(again.status.success(), "{again:?}");
    let added: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(added["batch"], docs[0]["batch"], "{added}");
    let client = support::local_client(dir.path());
    let batch = docs[0]["batch"].as_str().unwrap();
    let (status, view) = get(&client, &format!("{url}/v1/batches/{batch}")).await;
    assert_eq!(status, 200);
    assert_eq!(view["name"], "March 2026");
    assert_eq!(view["total"], 3, "{view}");

    let refused = std::process::Command::new(support::DISPATCHER)
        .arg("upload")
        .arg(&files[0])
        .args(["--url", &url, "--api-key", "stapel_wrong"])
        .env_remove("STAPEL_API_KEY")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("auth.invalid_key"), "{stderr}");
}

/// Kill a worker with SIGKILL while it holds a job: the job comes back after its visibility
/// timeout, a second worker finishes it, nothing is lost and nothing is done twice.
async fn a_killed_workers_job_is_redelivered_and_finished(db: Db) {
    let db = db.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_with(db.command(), dir.path(), 0, &[]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("de_rechnung.pdf")).unwrap();
    let (status, accepted) = upload(&client, &url, &[("de_rechnung.pdf", pdf)]).await;
    assert_eq!(status, 202);
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();

    // This worker takes the job and stalls (test hook) while its heartbeat keeps the job hidden.
    let doomed = worker_with(
        db.command(),
        dir.path(),
        &[
            "--visibility-timeout",
            "2",
            "--heartbeat-interval",
            "1",
            "--debug-pause-ms",
            "600000",
        ],
    );
    let started = Instant::now();
    loop {
        let (_, doc) = get(&client, &format!("{url}/v1/documents/{id}")).await;
        if doc["status"] == "processing" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "worker never took the job: {doc}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Outlive a heartbeat or two, so the kill lands mid-job, not at its start.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, doc) = get(&client, &format!("{url}/v1/documents/{id}")).await;
    assert_eq!(
        doc["status"], "processing",
        "the heartbeat must keep the job with the first worker"
    );
    // SAFETY: signalling a child process this test started and has not reaped.
    unsafe { libc_kill(doomed.pid()) };
    drop(doomed);

    let _rescuer = worker_with(
        db.command(),
        dir.path(),
        &["--visibility-timeout", "2", "--heartbeat-interval", "1"],
    );
    let doc = wait_final(&client, &url, &id, Duration::from_secs(60)).await;
    assert_eq!(doc["status"], "done", "{doc}");
    assert_eq!(
        doc["attempts"], 2,
        "one killed attempt, one finished attempt"
    );
    assert_balanced(&doc["proposal"]);
    let (_, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!(health["queue"]["visible"], 0);
    assert_eq!(
        health["queue"]["in_flight"], 0,
        "the finished job's message was deleted"
    );
}

/// A job message of a version this build does not know is failed visibly on its document and
/// kept (dead-lettered), never dropped.
async fn an_unknown_job_version_fails_visibly_and_is_dead_lettered(db: Db) {
    let db = db.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve_with(db.command(), dir.path(), 0, &["--max-receives", "2"]);
    let client = support::local_client(dir.path());
    let (status, accepted) = upload(
        &client,
        &url,
        &[("a.pdf", std::fs::read(sample("en_invoice.pdf")).unwrap())],
    )
    .await;
    assert_eq!(status, 202);
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();

    // Swap the queued v1 message for a v2 one, as a newer dispatcher would send it.
    let mut settings = EmbeddedSettings::new(dir.path());
    settings.max_receives = 2;
    let mut settings = BackendSettings::from(&settings);
    settings.records = db.records_settings();
    let backends = Backends::open(&settings).await.unwrap();
    let received = backends
        .queue
        .receive(&stapel_store_options())
        .await
        .unwrap();
    assert_eq!(received.len(), 1);
    let mut job: Value = serde_json::from_str(&received[0].body).unwrap();
    assert!(JobMessage::decode(&received[0].body).is_ok());
    job["v"] = 2.into();
    backends.queue.delete(&received[0].receipt).await.unwrap();
    backends
        .queue
        .send(stapel_store::OutgoingMessage {
            body: job.to_string(),
            group: "local".into(),
        })
        .await
        .unwrap();

    let _worker = worker_with(
        db.command(),
        dir.path(),
        &["--max-receives", "2", "--wait-time", "1"],
    );
    let started = Instant::now();
    loop {
        let (_, doc) = get(&client, &format!("{url}/v1/documents/{id}")).await;
        let dead = backends.dead_letter.depth().await.unwrap();
        if doc["status"] == "failed" && dead.visible == 1 {
            assert_eq!(doc["error"]["code"], "job.unsupported_version", "{doc}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not dead-lettered: {doc} {dead:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(backends.queue.depth().await.unwrap().visible, 0);
    // The records keep the dead letter with its reason and body, for the API and a redrive.
    let letters = backends
        .records
        .dead_letters(&stapel_records::DeadLetterQuery {
            tenant: None,
            include_redriven: false,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].reason.code, "job.unsupported_version");
    assert_eq!(
        letters[0].document_id.map(|d| d.to_string()),
        Some(id.clone())
    );
    assert!(letters[0].body.contains("\"v\":2"));
}

fn stapel_store_options() -> stapel_store::ReceiveOptions {
    stapel_store::ReceiveOptions {
        max_messages: 1,
        visibility_timeout: Duration::from_secs(30),
        wait_time: Duration::from_secs(5),
    }
}

/// The README's main job: `dispatcher process` on the shipped samples, JSON out.
async fn process_command_prints_one_json_object_per_document(db: Db) {
    let db = db.prepare().await;
    let dir = tempfile::tempdir().unwrap();
    let samples: Vec<PathBuf> = [
        "en_invoice.pdf",
        "nl_factuur_twee_tarieven.pdf",
        "be_creditnota.pdf",
    ]
    .iter()
    .map(|name| sample(name))
    .collect();
    let output = db
        .command()
        .arg("process")
        .args(&samples)
        .args(["--json", "--workers", "2", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let docs: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(docs.len(), 3);
    for (doc, path) in docs.iter().zip(&samples) {
        assert_eq!(doc["file"], path.display().to_string());
        assert_eq!(doc["status"], "done", "{doc}");
        assert_balanced(&doc["proposal"]);
    }
    // The credit note is recognised and booked with reversed sides: payable is a debit.
    assert_eq!(docs[2]["invoice"]["document_type"], "credit_note");
    let lines = docs[2]["proposal"]["lines"].as_array().unwrap();
    let payable = lines
        .iter()
        .find(|l| l["account"] == "1600")
        .expect("payable line");
    assert!(decimal(&payable["debit"]) > Decimal::ZERO, "{payable}");
    // The two-rate invoice gets one VAT line per rate.
    let vat_codes: Vec<&str> = docs[1]["proposal"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["vat_code"].as_str())
        .collect();
    assert_eq!(vat_codes.len(), 2, "{}", docs[1]["proposal"]);
}

on_both_records_databases!(
    upload_over_http_becomes_a_balanced_proposal,
    a_killed_workers_job_is_redelivered_and_finished,
    an_unknown_job_version_fails_visibly_and_is_dead_lettered,
    process_command_prints_one_json_object_per_document,
);

/// The process ids of `pid`'s children, from /proc.
fn children_of(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|child| child.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// Whether `pid` is still running (a zombie counts as gone).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// A dispatcher killed outright takes its local workers with it: they get SIGTERM from the
/// kernel and exit, instead of polling on as orphans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_workers_stop_when_their_dispatcher_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _url) = serve(dir.path(), 2, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let workers = loop {
        let children = children_of(server.pid());
        if children.len() == 2 {
            break children;
        }
        assert!(
            Instant::now() < deadline,
            "workers never started: {children:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // SAFETY: signalling our own child process.
    unsafe { libc_kill(server.pid()) };
    let deadline = Instant::now() + Duration::from_secs(30);
    while workers.iter().any(|&pid| alive(pid)) {
        assert!(
            Instant::now() < deadline,
            "orphaned workers still running: {workers:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
}

/// Lines a child process writes to stderr, collected by a thread as they come.
struct StderrLines(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl StderrLines {
    fn collect(child: &mut std::process::Child) -> Self {
        use std::io::BufRead;
        let stderr = child.stderr.take().expect("stderr is piped");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Self(lines)
    }

    fn snapshot(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Every line parsed as JSON; panics on a line that is not a JSON object.
    fn json(&self) -> Vec<Value> {
        self.snapshot()
            .iter()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("not a JSON log line ({error}): {line}"));
                assert!(value.is_object(), "{line}");
                value
            })
            .collect()
    }

    /// Wait for the first JSON event with this message.
    async fn wait_for(&self, message: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            if let Some(event) = self
                .json()
                .into_iter()
                .find(|event| event["fields"]["message"] == message)
            {
                return event;
            }
            assert!(
                started.elapsed() < timeout,
                "no {message:?} within {timeout:?}: {:?}",
                self.snapshot()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `dispatcher serve --workers 0` with JSON logs, and one `dispatcher worker` with JSON logs
/// and its own `/metrics` on a port of the OS's choosing: how a deployment runs them.
struct ObservedSetup {
    _server: support::Running,
    _worker: support::Running,
    url: String,
    metrics_url: String,
    server_logs: StderrLines,
    worker_logs: StderrLines,
}

async fn observed_setup(dir: &std::path::Path) -> ObservedSetup {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut server = Command::new(support::DISPATCHER)
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", "0"])
        .arg("--data-dir")
        .arg(dir)
        .env("STAPEL_LOG_FORMAT", "json")
        .env_remove("STAPEL_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dispatcher starts");
    let server_logs = StderrLines::collect(&mut server);
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let mut worker = Command::new(support::DISPATCHER)
        .args(["worker", "--log-format", "json"])
        .args(["--metrics-addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("STAPEL_DATABASE_URL")
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker starts");
    let worker_logs = StderrLines::collect(&mut worker);
    let listening = worker_logs
        .wait_for("metrics listening", Duration::from_secs(30))
        .await;
    let address = listening["fields"]["address"].as_str().unwrap();
    ObservedSetup {
        _server: support::Running(server),
        _worker: support::Running(worker),
        url,
        metrics_url: format!("http://{address}/metrics"),
        server_logs,
        worker_logs,
    }
}

/// The value of one series (`name{labels}` exactly as rendered) in a Prometheus text page.
fn series(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

async fn scrape(url: &str) -> String {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

/// Scrape until `wanted` holds: a worker counts a document just after recording it, so the
/// API may show `done` a moment before the counter moves.
async fn scrape_until(url: &str, wanted: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let page = scrape(url).await;
        if wanted(&page) {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "metrics never got there:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The dispatcher's `/metrics` counts uploads and shows both lanes; the worker's counts the
/// documents it finished, failures by code and job times by source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_uploads_lanes_and_finished_documents() {
    let dir = tempfile::tempdir().unwrap();
    let setup = observed_setup(dir.path()).await;
    let client = support::local_client(dir.path());
    let url = &setup.url;

    let pdf = std::fs::read(sample("nl_factuur.pdf")).unwrap();
    let (status, accepted) = upload(
        &client,
        url,
        &[
            ("nl_factuur.pdf", pdf),
            // Fails in the worker.
            ("broken.pdf", b"%PDF-1.4\n1 0 obj <<".to_vec()),
            // Refused at upload by its content: recorded failed, never queued, so not counted
            // as accepted.
            ("notes.pdf", b"just some words".to_vec()),
        ],
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let refused = client
        .post(format!("{url}/v1/documents"))
        .multipart(Form::new().text("note", "no files"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let ids: Vec<&str> = accepted["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|document| document["id"].as_str().unwrap())
        .collect();
    let done = wait_final(&client, url, ids[0], Duration::from_secs(60)).await;
    assert_eq!(done["status"], "done", "{done}");
    let failed = wait_final(&client, url, ids[1], Duration::from_secs(60)).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let code = failed["error"]["code"].as_str().unwrap();

    // Metrics need no API key, like /healthz.
    let dispatcher = scrape(&format!("{url}/metrics")).await;
    assert_eq!(
        series(&dispatcher, "stapel_uploads_accepted_total"),
        Some(2.0)
    );
    assert_eq!(
        series(
            &dispatcher,
            "stapel_uploads_refused_total{reason=\"request.no_files\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            &dispatcher,
            "stapel_upload_files_refused_total{code=\"upload.unsupported_type\"}"
        ),
        Some(1.0),
        "{dispatcher}"
    );
    for lane in ["fast", "bulk"] {
        for gauge in ["stapel_queue_visible_jobs", "stapel_queue_in_flight_jobs"] {
            let name = format!("{gauge}{{lane=\"{lane}\"}}");
            assert_eq!(
                series(&dispatcher, &name),
                Some(0.0),
                "{name}\n{dispatcher}"
            );
        }
    }
    assert!(dispatcher.contains("# TYPE stapel_uploads_accepted_total counter"));

    let worker = scrape_until(&setup.metrics_url, |page| {
        series(page, "stapel_documents_finished_total{status=\"failed\"}").is_some()
            && series(page, "stapel_documents_finished_total{status=\"done\"}").is_some()
    })
    .await;
    assert_eq!(
        series(&worker, "stapel_documents_finished_total{status=\"done\"}"),
        Some(1.0)
    );
    assert_eq!(
        series(
            &worker,
            "stapel_documents_finished_total{status=\"failed\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            &worker,
            &format!("stapel_document_failures_total{{code=\"{code}\"}}")
        ),
        Some(1.0),
        "{worker}"
    );
    let text = "{source=\"text\",lane=\"fast\"}";
    assert_eq!(
        series(&worker, &format!("stapel_job_duration_seconds_count{text}")),
        Some(1.0),
        "{worker}"
    );
    let seconds = series(&worker, &format!("stapel_job_duration_seconds_sum{text}")).unwrap();
    assert!(seconds > 0.0 && seconds < 60.0, "{seconds}");
    assert_eq!(
        series(
            &worker,
            "stapel_job_duration_seconds_bucket{source=\"text\",lane=\"fast\",le=\"+Inf\"}"
        ),
        Some(1.0),
        "{worker}"
    );
    // Both documents waited in the fast lane before the worker took them.
    assert_eq!(
        series(
            &worker,
            "stapel_job_queue_wait_seconds_count{lane=\"fast\"}"
        ),
        Some(2.0),
        "{worker}"
    );
    drop(setup);
}

/// JSON logs: every line the worker writes is a JSON object, and the events of a job carry the
/// document id (the trace id across dispatcher and worker) and the client's request id, as
/// the dispatcher's log of the upload does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_document_id_across_dispatcher_and_worker() {
    let dir = tempfile::tempdir().unwrap();
    let setup = observed_setup(dir.path()).await;
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("nl_factuur.pdf")).unwrap();
    let response = client
        .post(format!("{}/v1/documents", setup.url))
        .header("X-Request-Id", "e2e-request-7")
        .multipart(Form::new().part("file", Part::bytes(pdf).file_name("nl_factuur.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let accepted: Value = response.json().await.unwrap();
    let id = accepted["documents"][0]["id"].as_str().unwrap().to_owned();
    let done = wait_final(&client, &setup.url, &id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "done", "{done}");

    let finished = setup
        .worker_logs
        .wait_for("document done", Duration::from_secs(10))
        .await;
    assert_eq!(finished["span"]["document_id"], id.as_str(), "{finished}");
    assert_eq!(
        finished["span"]["request_id"], "e2e-request-7",
        "{finished}"
    );
    assert_eq!(finished["fields"]["source"], "text", "{finished}");
    let of_this_job: Vec<Value> = setup
        .worker_logs
        .json()
        .into_iter()
        .filter(|event| event["span"]["document_id"] == id.as_str())
        .collect();
    assert!(!of_this_job.is_empty());
    assert!(
        of_this_job.iter().all(|event| event["level"].is_string()
            && event["timestamp"].is_string()
            && event["span"]["attempt"] == 1),
        "{of_this_job:?}"
    );

    let accepted_event = setup
        .server_logs
        .wait_for("document accepted", Duration::from_secs(10))
        .await;
    assert_eq!(accepted_event["fields"]["document_id"], id.as_str());
    assert_eq!(accepted_event["span"]["request_id"], "e2e-request-7");
    // Every dispatcher line is JSON too.
    assert!(!setup.server_logs.json().is_empty());
}

/// The local pool and the autoscaler show in the dispatcher's `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_the_local_pool_and_the_autoscaler() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(support::DISPATCHER)
        .args(["serve", "--listen", "127.0.0.1:0", "--min-workers", "1"])
        .args(["--max-workers", "2", "--scale-interval", "1", "--data-dir"])
        .arg(dir.path())
        .env_remove("STAPEL_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = support::Running(child);
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let page = scrape_until(&format!("{url}/metrics"), |page| {
        series(page, "stapel_local_workers{state=\"running\"}") == Some(1.0)
            && series(page, "stapel_autoscaler_desired_workers").is_some()
    })
    .await;
    assert_eq!(series(&page, "stapel_local_workers_target"), Some(1.0));
    assert_eq!(
        series(&page, "stapel_autoscaler_desired_workers"),
        Some(1.0)
    );
    assert_eq!(
        series(&page, "stapel_autoscaler_queue_visible{lane=\"fast\"}"),
        Some(0.0)
    );
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
/// A web session lives in the records: another dispatcher (here: the same data directory after
/// a restart, as in a rolling deploy) knows it, and logging out ends it everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_sessions_survive_a_dispatcher_restart_and_end_on_logout() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = serve(dir.path(), 0, &[]);
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session = support::web_login(&browser, &url, dir.path()).await;
    let with_session = |url: String| {
        browser
            .get(url)
            .header("cookie", format!("stapel_session={session}"))
            .send()
    };
    let queue = format!("{url}/v1/review-queue");
    assert_eq!(with_session(queue.clone()).await.unwrap().status(), 200);

    drop(server);
    let (_server, url) = serve(dir.path(), 0, &[]);
    let queue = format!("{url}/v1/review-queue");
    let page = with_session(format!("{url}/")).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Upload a batch"), "still logged in: {page}");
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page embeds its CSRF token")
        .to_owned();
    assert_eq!(with_session(queue.clone()).await.unwrap().status(), 200);

    let logout = browser
        .post(format!("{url}/logout"))
        .header("cookie", format!("stapel_session={session}"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_redirection(), "{logout:?}");
    let after = with_session(queue).await.unwrap();
    assert_eq!(after.status(), 401);
}

/// Past `--max-concurrent-uploads`, an upload is refused at once with `503 upload.busy` and
/// `Retry-After`, and nothing of it is kept; the upload in progress is not disturbed, and the
/// next one after it is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_past_the_concurrency_limit_get_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 0, &["--max-concurrent-uploads", "1"]);
    let client = support::local_client(dir.path());
    let pdf = std::fs::read(sample("nl_factuur.pdf")).unwrap();

    // An upload whose body arrives slowly: the head of the multipart body now, the rest later.
    let boundary = "stapel-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    let mut tail = pdf.clone();
    tail.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (send, receive) = futures::channel::mpsc::unbounded::<Result<Vec<u8>, std::io::Error>>();
    send.unbounded_send(Ok(head.into_bytes())).unwrap();
    let slow = tokio::spawn({
        let client = client.clone();
        let url = format!("{url}/v1/documents");
        async move {
            client
                .post(url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(reqwest::Body::wrap_stream(receive))
                .send()
                .await
                .unwrap()
        }
    });
    // Nothing else is uploading, so the slow upload takes the one slot as soon as its head
    // arrives; from then on every other upload is refused.
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!slow.is_finished(), "the slow upload was answered early");
        let (status, body) = upload(&client, &url, &[("quick.pdf", pdf.clone())]).await;
        if status == 503 {
            break body;
        }
        // The quick upload came first: it was accepted and has left the slot again.
        assert_eq!(status, 202, "{body}");
        assert!(Instant::now() < deadline, "the limit never applied");
    };
    assert_eq!(refused["error"]["code"], "upload.busy", "{refused}");
    let response = client
        .post(format!("{url}/v1/documents"))
        .multipart(Form::new().part("file", Part::bytes(pdf.clone()).file_name("quick.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );

    // `dispatcher upload` meets the busy dispatcher and retries after the wait it is told.
    let cli = std::process::Command::new(support::DISPATCHER)
        .arg("upload")
        .arg(sample("de_rechnung.pdf"))
        .args(["--url", &url, "--json"])
        .env("STAPEL_API_KEY", support::local_key(dir.path()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // The slow upload completes normally, and then there is room again.
    send.unbounded_send(Ok(tail)).unwrap();
    drop(send);
    let slow = slow.await.unwrap();
    assert_eq!(slow.status().as_u16(), 202);
    let output = tokio::task::spawn_blocking(move || cli.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let line: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(line["id"].is_string(), "{line}");
    let (status, body) = upload(&client, &url, &[("after.pdf", pdf)]).await;
    assert_eq!(status, 202, "{body}");
}
