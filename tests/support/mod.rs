//! Helpers shared by the end-to-end test binaries: run the real `dispatcher`, talk to it over
//! HTTP, check proposals. Each test binary uses a subset.
#![allow(dead_code)]

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use stapel_domain::Decimal;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

pub const DISPATCHER: &str = env!("CARGO_BIN_EXE_dispatcher");

/// Which records database the binaries under test use: every end-to-end scenario runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// `records.db` in the data directory.
    Sqlite,
    /// A fresh database on the test process's throwaway PostgreSQL server.
    Postgres,
}

/// A prepared records database for one test.
#[derive(Debug, Clone)]
pub struct DbEnv {
    /// The PostgreSQL URL, or `None` for SQLite.
    pub url: Option<String>,
}

impl Db {
    /// Prepare an empty database of this kind.
    pub async fn prepare(self) -> DbEnv {
        let url = match self {
            Db::Sqlite => None,
            Db::Postgres => Some(
                stapel_records::testing::TempPostgres::shared()
                    .fresh_database_url()
                    .await,
            ),
        };
        DbEnv { url }
    }
}

impl DbEnv {
    /// Point a command at this database (and only this one: an inherited URL is removed).
    pub fn apply(&self, command: &mut Command) {
        match &self.url {
            Some(url) => command.env("STAPEL_DATABASE_URL", url),
            None => command.env_remove("STAPEL_DATABASE_URL"),
        };
    }

    /// A `dispatcher` command using this database.
    pub fn command(&self) -> Command {
        let mut command = Command::new(DISPATCHER);
        self.apply(&mut command);
        command
    }

    /// The same database as backend settings, for tests that open the backends themselves.
    pub fn records_settings(&self) -> stapel_pipeline::RecordsSettings {
        match &self.url {
            None => stapel_pipeline::RecordsSettings::Sqlite,
            Some(url) => stapel_pipeline::RecordsSettings::Postgres {
                url: url.clone(),
                max_connections: 2,
            },
        }
    }
}

/// Declare each scenario `async fn name(db: Db)` as two tests, one per records database.
#[macro_export]
macro_rules! on_both_records_databases {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite_records {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::support::Db::Sqlite).await
                }
            )+
        }
        mod postgres_records {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::support::Db::Postgres).await
                }
            )+
        }
    };
}

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples")
        .join(name)
}

/// A child process killed when the test ends, pass or fail.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

/// `dispatcher serve` on port 0; returns the process and its base URL.
pub fn serve(data_dir: &Path, workers: usize, extra: &[&str]) -> (Running, String) {
    serve_with(Command::new(DISPATCHER), data_dir, workers, extra)
}

/// `dispatcher serve` from a prepared command (e.g. with an environment set).
pub fn serve_with(
    mut command: Command,
    data_dir: &Path,
    workers: usize,
    extra: &[&str],
) -> (Running, String) {
    let mut child = command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--workers",
            &workers.to_string(),
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dispatcher starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("dispatcher prints its address");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Running(child), url)
}

/// The API key the first `serve` on an embedded data directory created for tenant `local`.
pub fn local_key(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("local-api-key"))
        .expect("the first serve writes local-api-key")
        .trim()
        .to_owned()
}

/// A client that authenticates every request with `key`.
pub fn client_with_key(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {key}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A client for the `local` tenant of a `serve` on an embedded data directory.
pub fn local_client(data_dir: &Path) -> reqwest::Client {
    client_with_key(&local_key(data_dir))
}

/// `dispatcher api-key create --tenant TENANT` from a prepared command (same database and
/// backends as the server); returns the key it printed.
pub fn create_key(command: Command, data_dir: &Path, tenant: &str) -> String {
    create_key_with(command, data_dir, tenant, &[])
}

/// `create_key` with backend flags (`--store`, `--queue`, ...), so the command opens exactly
/// the server's backends.
pub fn create_key_with(
    mut command: Command,
    data_dir: &Path,
    tenant: &str,
    extra: &[String],
) -> String {
    let output = command
        .args(["api-key", "create", "--tenant", tenant, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .output()
        .expect("dispatcher api-key create runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `dispatcher worker` on a data directory, with extra flags.
pub fn worker(data_dir: &Path, extra: &[&str]) -> Running {
    worker_with(Command::new(DISPATCHER), data_dir, extra)
}

/// `dispatcher worker` from a prepared command (e.g. with an environment set).
pub fn worker_with(mut command: Command, data_dir: &Path, extra: &[&str]) -> Running {
    let child = command
        .arg("worker")
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .stderr(Stdio::null())
        .spawn()
        .expect("worker starts");
    Running(child)
}

pub async fn upload(
    client: &reqwest::Client,
    url: &str,
    files: &[(&str, Vec<u8>)],
) -> (u16, Value) {
    let mut form = Form::new();
    for (name, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let response = client
        .post(format!("{url}/v1/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Poll a document until `done` or `failed`.
pub async fn wait_final(client: &reqwest::Client, url: &str, id: &str, timeout: Duration) -> Value {
    let started = Instant::now();
    loop {
        let (status, doc) = get(client, &format!("{url}/v1/documents/{id}")).await;
        assert_eq!(status, 200, "{doc}");
        if doc["status"] == "done" || doc["status"] == "failed" {
            return doc;
        }
        assert!(
            started.elapsed() < timeout,
            "document {id} still {} after {timeout:?}",
            doc["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Poll a document until it is `processing`: a worker has taken its job.
pub async fn wait_processing(client: &reqwest::Client, url: &str, id: &str, timeout: Duration) {
    let started = Instant::now();
    loop {
        let (_, doc) = get(client, &format!("{url}/v1/documents/{id}")).await;
        if doc["status"] == "processing" {
            return;
        }
        assert!(
            started.elapsed() < timeout,
            "no worker took the job within {timeout:?}: {doc}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn decimal(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {value}")),
    )
    .unwrap()
}

/// Debits equal credits, and every line has one side.
pub fn assert_balanced(proposal: &Value) {
    let lines = proposal["lines"].as_array().unwrap();
    assert!(!lines.is_empty(), "empty proposal: {proposal}");
    let debit: Decimal = lines.iter().map(|l| decimal(&l["debit"])).sum();
    let credit: Decimal = lines.iter().map(|l| decimal(&l["credit"])).sum();
    assert_eq!(debit, credit, "unbalanced proposal: {proposal}");
    assert!(debit > Decimal::ZERO);
}

/// SIGKILL: the crash no shutdown handler sees.
///
/// # Safety
/// `pid` must be a child process the caller started and has not reaped.
pub unsafe fn libc_kill(pid: i32) {
    extern "C" {
        fn kill(pid: i32, signal: i32) -> i32;
    }
    const SIGKILL: i32 = 9;
    kill(pid, SIGKILL);
}

/// The first page of a committed sample rendered as a grey PNG at `dpi`: a scan of it.
pub fn scanned_png(name: &str, dpi: u32) -> Vec<u8> {
    let pdf = std::fs::read(sample(name)).unwrap();
    stapel_ocr::render_page_png(&pdf, 1, dpi).unwrap()
}

/// An A4 PDF whose only content is a JPEG of the page: what a scanner sends. No text layer.
pub fn image_only_pdf(png: &[u8]) -> Vec<u8> {
    scanned_pdf(png, None)
}

/// A scan with a text layer of its own, as "searchable PDF" scanners write one: `text` is all
/// the text layer holds, whatever the image shows.
pub fn scanned_pdf(png: &[u8], text: Option<&str>) -> Vec<u8> {
    scanned_pdf_pages(png, text, 1)
}

/// A scan of `pages` pages, each the same image (a long scan for the lane tests).
pub fn scanned_pdf_pages(png: &[u8], text: Option<&str>, pages: usize) -> Vec<u8> {
    stapel_ocr::scanned_pdf(png, text, pages).unwrap()
}

/// The value of a cookie a response sets, if it sets it.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Log in to the web page with the local tenant's key, as a browser would (login form's CSRF
/// double-submit cookie included); returns the session cookie's value. `browser` must not
/// follow redirects.
pub async fn web_login(browser: &reqwest::Client, url: &str, data_dir: &Path) -> String {
    let form = browser.get(format!("{url}/")).send().await.unwrap();
    let login_csrf = set_cookie(&form, "stapel_login_csrf").expect("login form sets its token");
    let login = browser
        .post(format!("{url}/login"))
        .header("cookie", format!("stapel_login_csrf={login_csrf}"))
        .form(&[
            ("api_key", local_key(data_dir)),
            ("csrf", login_csrf.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 303, "{login:?}");
    set_cookie(&login, "stapel_session").expect("a session cookie")
}

/// A one-rate UBL invoice from the supplier of `nl_factuur.pdf`, without a due date.
pub fn ubl_invoice(number: &str, net: &str, vat: &str, gross: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2026-11-21</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyTaxScheme><cbc:CompanyID>NL812345678B01</cbc:CompanyID>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Drukkerij Van der Meulen B.V.</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyLegalEntity><cbc:RegistrationName>Bakkerij De Korenschoof</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{vat}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{net}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{vat}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{gross}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{gross}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="EA">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Drukwerk folders</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{net}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"#
    )
    .into_bytes()
}

/// The moto server (S3 and SQS on loopback) the test binary shares, started on first use.
pub fn moto() -> &'static stapel_store_aws::moto::MotoServer {
    static MOTO: std::sync::OnceLock<stapel_store_aws::moto::MotoServer> =
        std::sync::OnceLock::new();
    MOTO.get_or_init(stapel_store_aws::moto::MotoServer::start)
}

/// Backend flags plus more flags, as one argument list.
pub fn with(flags: &[String], extra: &[&str]) -> Vec<String> {
    flags
        .iter()
        .cloned()
        .chain(extra.iter().map(|flag| (*flag).to_owned()))
        .collect()
}

/// A `dispatcher` command that reaches the shared moto server and nothing else, with the test's
/// records database.
pub fn moto_dispatcher(db: &DbEnv) -> Command {
    let mut command = db.command();
    moto().configure(&mut command);
    command
}

/// `dispatcher setup` with these backend flags against moto (bucket, queues, dead-letter queue);
/// returns what it printed.
pub fn set_up_moto_backends(db: &DbEnv, flags: &[String]) -> String {
    let output = moto_dispatcher(db)
        .arg("setup")
        .args(flags)
        .output()
        .expect("dispatcher setup runs");
    assert!(
        output.status.success(),
        "dispatcher setup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
