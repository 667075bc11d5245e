//! A moto server for tests: a real S3 and SQS API on a loopback port this process starts.
//!
//! Tests need no AWS account and no internet, and they cannot touch a developer's real
//! resources: [`MotoServer::settings`] pins the endpoint, the region and dummy credentials.
//! moto must be installed (`pip install 'moto[server]'`; `.ci/run` does it in a virtualenv);
//! without it, [`MotoServer::start`] panics with that instruction instead of skipping.

use crate::{AwsSettings, StaticCredentials};
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The region tests run in: the production default, so `CreateBucket` needs its
/// `LocationConstraint` exactly as on AWS.
pub const TEST_REGION: &str = "eu-central-1";

/// The oldest moto these tests work with: moto 5.2.1 answers `CompleteMultipartUpload` with a
/// `CompleteMultipartUploadResponse` root element, which the AWS SDK rightly refuses
/// (S3 sends `CompleteMultipartUploadResult`); 5.2.5 answers like S3.
pub const MIN_MOTO_VERSION: (u32, u32, u32) = (5, 2, 5);

/// How long moto may take to start answering (its first start imports a lot of Python).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `moto_server`, stopped on drop.
///
/// It runs under a small `sh` watchdog that reads this process's end of a pipe: when this
/// process exits for any reason (including a test binary holding the server in a `static`,
/// which is never dropped), the pipe closes and the watchdog stops moto, so no server outlives
/// its tests.
pub struct MotoServer {
    watchdog: Child,
    endpoint: String,
    log: PathBuf,
}

impl MotoServer {
    /// Start moto on a free port of 127.0.0.1 and wait until it answers.
    ///
    /// # Panics
    /// When moto is not installed or does not start: these tests must fail, not skip.
    pub fn start() -> Self {
        let program = moto_command().unwrap_or_else(|| {
            panic!(
                "moto is not installed, so the S3/SQS tests cannot run: install it with \
                 `pip install 'moto[server]'` (CI's .ci/run installs it into a virtualenv) so \
                 that `moto_server` is on PATH or `python3 -m moto.server` works"
            )
        });
        if let Some(version) = moto_version(&program) {
            if version < MIN_MOTO_VERSION {
                let (major, minor, patch) = version;
                let (want_major, want_minor, want_patch) = MIN_MOTO_VERSION;
                panic!(
                    "moto {major}.{minor}.{patch} is installed, but the S3/SQS tests need \
                     {want_major}.{want_minor}.{want_patch} or newer (older versions answer \
                     CompleteMultipartUpload in a form the AWS SDK refuses): \
                     `pip install -U 'moto[server]>={want_major}.{want_minor}.{want_patch}'`, or \
                     put a virtualenv with it first on PATH as .ci/run does"
                );
            }
        }
        let port = free_port();
        let log =
            std::env::temp_dir().join(format!("stapel-moto-{}-{port}.log", std::process::id()));
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", log.display()));
        let log_file_too = log_file
            .try_clone()
            .unwrap_or_else(|error| panic!("cannot reuse {}: {error}", log.display()));
        // The background job's stdin is /dev/null (sh without job control); `cat` alone reads
        // the pipe and returns when this process closes it or dies.
        let watchdog_script =
            r#""$@" & moto=$!; cat >/dev/null; kill "$moto" 2>/dev/null; wait "$moto""#;
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(watchdog_script)
            .arg("moto-watchdog")
            .args(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_file_too)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {program:?}: {error}"));
        let server = Self {
            watchdog,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_until_answering(SocketAddr::from(([127, 0, 0, 1], port)));
        server
    }

    fn wait_until_answering(&self, address: SocketAddr) {
        let started = Instant::now();
        loop {
            if answers_http(address) {
                return;
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "moto did not answer on {address} within {START_TIMEOUT:?}; its log ({}):\n{}",
                    self.log.display(),
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Settings that reach this server and nothing else: explicit endpoint, region and dummy
    /// credentials, whatever the environment says.
    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            region: Some(TEST_REGION.to_owned()),
            endpoint_url: Some(self.endpoint.clone()),
            static_credentials: Some(StaticCredentials {
                access_key_id: "testing".to_owned(),
                secret_access_key: "testing".to_owned(),
            }),
            max_attempts: None,
        }
    }

    /// Point a child process (a `dispatcher` under test) at this server through the standard
    /// AWS environment variables, and clear those that could send it elsewhere.
    pub fn configure(&self, command: &mut Command) {
        for variable in [
            "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL_SQS",
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ] {
            command.env_remove(variable);
        }
        let no_file = Path::new("/nonexistent/stapel-test-aws-config");
        command
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_REGION", TEST_REGION)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_CONFIG_FILE", no_file)
            .env("AWS_SHARED_CREDENTIALS_FILE", no_file)
            .env("AWS_EC2_METADATA_DISABLED", "true");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Closing the pipe tells the watchdog to stop moto; then reap both.
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A name no other test in this process uses: a fresh bucket or queue per test.
/// Lowercase, digits and `-`, so it is valid for buckets and queues alike.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{nanos}", std::process::id())
}

/// `moto_server` from PATH, else `python3 -m moto.server` if the module imports.
fn moto_command() -> Option<Vec<String>> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    if let Some(program) = on_path {
        return Some(vec![program.to_string_lossy().into_owned()]);
    }
    let importable = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    importable.then(|| vec!["python3".into(), "-m".into(), "moto.server".into()])
}

/// The version of the moto that `program` runs, when it can be found out: the interpreter of
/// a `moto_server` script (its `#!` line), else `python3`, asked for `moto.__version__`.
fn moto_version(program: &[String]) -> Option<(u32, u32, u32)> {
    let interpreter = match program {
        [python, ..] if python.contains("python") => python.clone(),
        [script] => std::fs::read_to_string(script)
            .ok()
            .and_then(|text| {
                let first = text.lines().next()?.strip_prefix("#!")?.trim().to_owned();
                first.contains("python").then_some(first)
            })
            .unwrap_or_else(|| "python3".to_owned()),
        _ => "python3".to_owned(),
    };
    let output = Command::new(&interpreter)
        .args(["-c", "import moto; print(moto.__version__)"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let mut numbers = text.trim().split('.').map(|part| part.parse::<u32>().ok());
    Some((numbers.next()??, numbers.next()??, numbers.next()??))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|error| panic!("cannot bind a loopback port: {error}"));
    listener
        .local_addr()
        .unwrap_or_else(|error| panic!("cannot read the bound port: {error}"))
        .port()
}

/// Whether an HTTP server answers on `address` (moto accepts connections a moment before it
/// serves them).
fn answers_http(address: SocketAddr) -> bool {
    use std::io::Write;
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
