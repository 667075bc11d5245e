//! The web page in a real browser: Debian's `chromium`, headless, driven over the DevTools
//! protocol. A bookkeeper logs in with the first-run key, uploads a batch, waits for it,
//! corrects one proposal, accepts another with the keyboard and exports; screenshots go to the
//! target directory (`CARGO_TARGET_TMPDIR`), never into the repository.
//!
//! Needs `/usr/bin/chromium` (or `STAPEL_CHROMIUM`); `scripts/test` installs it. Without it
//! the test fails with that instruction; it never skips.

mod support;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::types::Bounds;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{get, local_client, local_key, sample, serve};

fn chromium() -> PathBuf {
    let path = std::env::var_os("STAPEL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} is missing: install Debian's chromium (`apt-get install chromium`, or run \
         scripts/test), or point STAPEL_CHROMIUM at a Chromium binary",
        path.display()
    );
    path
}

fn launch(profile: &Path) -> Browser {
    let options = LaunchOptions::default_builder()
        .path(Some(chromium()))
        .headless(true)
        .sandbox(false)
        .user_data_dir(Some(profile.to_path_buf()))
        .window_size(Some((1280, 1000)))
        .args(
            [
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ]
            .iter()
            .map(OsStr::new)
            .collect(),
        )
        .idle_browser_timeout(Duration::from_secs(180))
        .build()
        .expect("launch options");
    Browser::new(options).expect("chromium starts")
}

/// Evaluate a JavaScript expression (awaiting a promise) and return its JSON value.
fn eval(tab: &Tab, expression: &str) -> Value {
    tab.evaluate(expression, true)
        .unwrap_or_else(|error| panic!("{expression}: {error}"))
        .value
        .unwrap_or(Value::Null)
}

fn screenshot(tab: &Tab, name: &str) -> PathBuf {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("screenshot");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, png).unwrap();
    path
}

/// Poll `condition` (a JavaScript expression) until it is true.
fn wait_for(tab: &Tab, condition: &str, timeout: Duration) {
    let started = std::time::Instant::now();
    // While a page is being replaced, evaluating fails: that is "not yet", not an error.
    let holds = || {
        tab.evaluate(condition, true)
            .ok()
            .and_then(|object| object.value)
            == Some(Value::Bool(true))
    };
    while !holds() {
        assert!(
            started.elapsed() < timeout,
            "still not true after {timeout:?}: {condition}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookkeeper_uploads_reviews_and_exports_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path(), 2, &[]);
    let key = local_key(dir.path());
    let api = local_client(dir.path());

    // Two invoices and a renamed copy of one of them: a duplicate.
    let files = tempfile::tempdir().unwrap();
    for name in ["nl_factuur.pdf", "en_invoice.pdf"] {
        std::fs::copy(sample(name), files.path().join(name)).unwrap();
    }
    std::fs::copy(
        sample("nl_factuur.pdf"),
        files.path().join("nl_factuur_copy.pdf"),
    )
    .unwrap();
    let uploads: Vec<String> = ["nl_factuur.pdf", "en_invoice.pdf", "nl_factuur_copy.pdf"]
        .iter()
        .map(|name| files.path().join(name).display().to_string())
        .collect();

    let profile = tempfile::tempdir().unwrap();
    let page_url = url.clone();
    let (batch, corrected, accepted, export) = tokio::task::spawn_blocking(move || {
        let browser = launch(profile.path());
        let tab = browser.new_tab().expect("a tab");
        tab.set_default_timeout(Duration::from_secs(30));

        // Log in with the API key the first run created.
        tab.navigate_to(&format!("{page_url}/")).unwrap();
        tab.wait_until_navigated().unwrap();
        tab.wait_for_element("#api_key")
            .unwrap()
            .click()
            .unwrap()
            .type_into(&key)
            .unwrap();
        tab.find_element("form#login button[type=submit]")
            .unwrap()
            .click()
            .unwrap();
        tab.wait_until_navigated().unwrap();

        // Upload the batch through the file input of the drop zone and watch it finish.
        let paths: Vec<&str> = uploads.iter().map(String::as_str).collect();
        tab.wait_for_element("#files")
            .unwrap()
            .set_input_files(&paths)
            .unwrap();
        tab.find_element("#upload-button").unwrap().click().unwrap();
        wait_for(
            &tab,
            "document.querySelector('#live')?.dataset.finished === 'true'",
            Duration::from_secs(180),
        );
        let statuses = eval(
            &tab,
            "JSON.stringify([...document.querySelectorAll('#documents tbody tr')].map(r => r.dataset.status))",
        );
        assert_eq!(statuses, Value::String(r#"["done","done","done"]"#.into()));
        assert_eq!(
            eval(&tab, "document.querySelector('#count-done').textContent"),
            Value::String("3".into())
        );
        assert_eq!(
            eval(&tab, "document.querySelector('#processing-progress').value"),
            serde_json::json!(3)
        );
        let batch = eval(&tab, "document.querySelector('#live').dataset.batch")
            .as_str()
            .unwrap()
            .to_owned();
        screenshot(&tab, "browser-upload.png");

        // Correct the first invoice: move its expense line to another account, inline.
        let first = eval(&tab, "document.querySelector('#documents tbody tr').dataset.document")
            .as_str()
            .unwrap()
            .to_owned();
        tab.navigate_to(&format!("{page_url}/documents/{first}"))
            .unwrap();
        tab.wait_until_navigated().unwrap();
        tab.wait_for_element("form#review").unwrap();
        assert_eq!(
            eval(&tab, "document.querySelector('#page-image').complete && document.querySelector('#page-image').naturalWidth > 0"),
            Value::Bool(true),
            "the page image renders"
        );
        screenshot(&tab, "browser-review.png");
        eval(
            &tab,
            "(() => { const input = document.querySelector('tr.line .account'); input.value = '4999'; return true; })()",
        );
        // The invoice number is corrected in place too.
        eval(
            &tab,
            "(() => { const input = document.querySelector('input.field-edit[name=invoice_number]'); input.value = 'CORRECTED-42'; return true; })()",
        );
        tab.find_element("#correct").unwrap().click().unwrap();
        wait_for(
            &tab,
            &format!("!location.pathname.endsWith('{first}')"),
            Duration::from_secs(30),
        );

        // Saving moved on to the next document of the review queue: accept it with one key.
        tab.wait_for_element("form#review").unwrap();
        let accepted = eval(&tab, "document.querySelector('form#review').dataset.document")
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(accepted, first);
        tab.press_key("a").unwrap();
        wait_for(
            &tab,
            &format!("!location.pathname.endsWith('{accepted}')"),
            Duration::from_secs(30),
        );

        // The batch page shows the duplicate and exports the reviewed entries.
        tab.navigate_to(&format!("{page_url}/batches/{batch}"))
            .unwrap();
        tab.wait_until_navigated().unwrap();
        wait_for(
            &tab,
            "document.querySelector('#live')?.dataset.finished === 'true'",
            Duration::from_secs(30),
        );
        assert_eq!(
            eval(&tab, "document.querySelectorAll('#documents .badge.duplicate').length > 0"),
            Value::Bool(true),
            "the copy is shown as a duplicate"
        );
        screenshot(&tab, "browser-batch.png");
        eval(
            &tab,
            "(() => { const format = document.querySelector('#export-format'); format.value = 'json'; format.dispatchEvent(new Event('change')); return true; })()",
        );
        tab.find_element("form#export button[type=submit]")
            .unwrap()
            .click()
            .unwrap();
        wait_for(
            &tab,
            "location.pathname === '/v1/exports'",
            Duration::from_secs(30),
        );
        let export = eval(&tab, "document.body.innerText");

        // Tablet width: the review page stacks into one column and nothing overflows sideways.
        tab.set_bounds(Bounds::Normal {
            left: Some(0),
            top: Some(0),
            width: Some(820.0),
            height: Some(1180.0),
        })
        .unwrap();
        tab.navigate_to(&format!("{page_url}/documents/{first}"))
            .unwrap();
        tab.wait_until_navigated().unwrap();
        tab.wait_for_element("form#review").unwrap();
        wait_for(&tab, "window.innerWidth <= 820", Duration::from_secs(10));
        assert_eq!(
            eval(
                &tab,
                "getComputedStyle(document.querySelector('.review-grid')).gridTemplateColumns.split(' ').length"
            ),
            serde_json::json!(1)
        );
        assert_eq!(
            eval(
                &tab,
                "document.documentElement.scrollWidth <= window.innerWidth"
            ),
            Value::Bool(true),
            "the page scrolls sideways at tablet width"
        );
        screenshot(&tab, "browser-review-tablet.png");
        (batch, first, accepted, export)
    })
    .await
    .unwrap();

    // What the browser did is what the API holds.
    let (status, view) = get(&api, &format!("{url}/v1/documents/{corrected}")).await;
    assert_eq!(status, 200);
    assert_eq!(view["review_status"], "corrected", "{view}");
    assert!(
        view["proposal"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line["account"] == "4999"),
        "{view}"
    );
    assert_eq!(view["invoice"]["invoice_number"], "CORRECTED-42", "{view}");
    let (_, view) = get(&api, &format!("{url}/v1/documents/{accepted}")).await;
    assert_eq!(view["review_status"], "accepted", "{view}");
    let export: Value = serde_json::from_str(export.as_str().unwrap())
        .unwrap_or_else(|error| panic!("export is not JSON ({error}): {export}"));
    let text = export.to_string();
    assert!(text.contains("4999"), "the correction is exported: {text}");
    assert!(
        text.contains("CORRECTED-42"),
        "the corrected field is exported: {text}"
    );
    let (status, _) = get(&api, &format!("{url}/v1/batches/{batch}")).await;
    assert_eq!(status, 200);
}
