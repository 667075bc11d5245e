//! Long-lived isolated children: the limits of a one-shot child without a process start per
//! document.
//!
//! Starting the worker executable again for every document costs more than parsing a one-page
//! PDF (tens of milliseconds for the `exec`, the dynamic loader and, for OCR, loading Tesseract's
//! models), so the worker keeps one child per subcommand (`<exe> <subcommand> --serve`) and
//! feeds it document after document. The isolation is the same as [`run_isolated`]'s: the child
//! runs in its own process group under RLIMIT_AS, every request has a wall-clock limit enforced
//! here and a CPU budget the child sets on itself (RLIMIT_CPU, raised by the budget before each
//! request), and a child that times out, dies or answers garbage is killed and replaced. A child
//! is also replaced after [`DEFAULT_MAX_USES`] requests, so a slow leak in a parser or in
//! Tesseract cannot grow without bound.
//!
//! The protocol on the child's stdin and stdout, little-endian lengths:
//!
//! ```text
//! request:  u32 header length, header JSON {"args": [...], "cpu_seconds": N}, u64 body length, body
//! response: u64 length, the same JSON envelope the one-shot child writes
//! ```

use crate::isolation::{kill_group, limited_command, run_isolated, IsolationLimits};
use crate::IsolationError;
use serde::{Deserialize, Serialize};
use std::io::{BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// The flag that starts a subcommand in request-serving mode.
pub const SERVE_FLAG: &str = "--serve";

/// Requests one child serves before it is replaced.
pub const DEFAULT_MAX_USES: u32 = 200;

/// A request header longer than this is a protocol error.
const MAX_HEADER_BYTES: u32 = 64 * 1024;

/// How isolated work runs: a fresh child per call, or warm children reused across calls.
#[derive(Debug, Clone)]
pub enum Children {
    /// `program <subcommand> <args>` started for every call ([`run_isolated`]).
    Fresh(PathBuf),
    /// `program <subcommand> --serve` started once and fed request after request.
    Warm(Arc<WarmChildren>),
}

impl PartialEq for Children {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Fresh(a), Self::Fresh(b)) => a == b,
            (Self::Warm(a), Self::Warm(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Children {}

impl Children {
    /// A fresh child of `program` per call.
    pub fn fresh(program: impl Into<PathBuf>) -> Self {
        Self::Fresh(program.into())
    }

    /// Warm children of `program`, each replaced after `max_uses` requests (the worker's
    /// default is [`DEFAULT_MAX_USES`]).
    pub fn warm(program: impl Into<PathBuf>, max_uses: u32) -> Self {
        Self::Warm(Arc::new(WarmChildren::new(program, max_uses)))
    }

    /// Run `subcommand args..` on `input` under `limits` and return the child's answer.
    pub fn run(
        &self,
        subcommand: &str,
        args: &[&str],
        input: &[u8],
        limits: &IsolationLimits,
    ) -> Result<Vec<u8>, IsolationError> {
        match self {
            Self::Fresh(program) => {
                let mut full = vec![subcommand];
                full.extend_from_slice(args);
                run_isolated(program, &full, input, limits)
            }
            Self::Warm(children) => children.run(subcommand, args, input, limits),
        }
    }
}

/// Idle warm children of one executable, any subcommand. A call takes an idle child of its
/// subcommand (or starts one), and gives it back only if the request went well, so concurrent
/// callers each get their own child.
#[derive(Debug)]
pub struct WarmChildren {
    program: PathBuf,
    max_uses: u32,
    idle: Mutex<Vec<WarmChild>>,
}

impl WarmChildren {
    /// No child runs until the first call.
    pub fn new(program: impl Into<PathBuf>, max_uses: u32) -> Self {
        Self {
            program: program.into(),
            max_uses: max_uses.max(1),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Children alive and idle (for tests and metrics).
    pub fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn run(
        &self,
        subcommand: &str,
        args: &[&str],
        input: &[u8],
        limits: &IsolationLimits,
    ) -> Result<Vec<u8>, IsolationError> {
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // A child that ended while idle (killed by the OOM killer, say) is not reused.
            idle.retain_mut(WarmChild::is_running);
            idle.iter()
                .position(|child| child.fits(subcommand, limits))
                .map(|index| idle.swap_remove(index))
        };
        let Some(child) = reused else {
            let child = WarmChild::spawn(&self.program, subcommand, limits)?;
            return self.call_and_keep(child, args, input, limits);
        };
        match self.call_and_keep(child, args, input, limits) {
            // A child that served earlier documents may die of their leftovers (a fragmented
            // heap nearer the memory limit), so a death is confirmed in a fresh child before
            // it is blamed on this document: the answer never depends on the child's history.
            Err(IsolationError::Killed { .. } | IsolationError::ExitStatus { .. }) => {
                let child = WarmChild::spawn(&self.program, subcommand, limits)?;
                self.call_and_keep(child, args, input, limits)
            }
            answer => answer,
        }
    }

    /// Send one request, and keep the child for the next one if it answered and has uses left.
    fn call_and_keep(
        &self,
        mut child: WarmChild,
        args: &[&str],
        input: &[u8],
        limits: &IsolationLimits,
    ) -> Result<Vec<u8>, IsolationError> {
        let answer = child.call(args, input, limits);
        if answer.is_ok() && child.uses < self.max_uses {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(child);
        }
        // Otherwise the child drops here, which ends it.
        answer
    }
}

/// What the reader thread hands over: one reply frame, or why there is none.
enum Reply {
    Frame(Vec<u8>),
    TooLarge,
    Closed,
    Failed(std::io::Error),
}

/// One running `<exe> <subcommand> --serve`.
#[derive(Debug)]
struct WarmChild {
    subcommand: String,
    address_space_bytes: u64,
    process: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    replies: Receiver<Reply>,
    max_output: Arc<AtomicUsize>,
    stderr: Arc<Mutex<Vec<u8>>>,
    max_stderr: Arc<AtomicUsize>,
    uses: u32,
}

impl WarmChild {
    fn spawn(
        program: &Path,
        subcommand: &str,
        limits: &IsolationLimits,
    ) -> Result<Self, IsolationError> {
        // The CPU limit's hard ceiling is open: the child raises its soft limit by each
        // request's budget (`limit_cpu_from_now`).
        let mut command = limited_command(
            program,
            &[subcommand, SERVE_FLAG],
            limits,
            libc::RLIM_INFINITY,
        );
        let mut process = command.spawn().map_err(|source| IsolationError::Spawn {
            program: program.display().to_string(),
            source,
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (
            process.stdin.take(),
            process.stdout.take(),
            process.stderr.take(),
        ) else {
            kill_group(&mut process);
            return Err(IsolationError::Io(std::io::Error::other(
                "the child's pipes were not set up",
            )));
        };
        let max_output = Arc::new(AtomicUsize::new(limits.max_output_bytes));
        let (sender, replies) = mpsc::channel();
        {
            let max_output = Arc::clone(&max_output);
            thread::spawn(move || {
                let mut stdout = BufReader::new(stdout);
                loop {
                    let reply = read_reply(&mut stdout, max_output.load(Ordering::Relaxed));
                    let last = !matches!(reply, Reply::Frame(_));
                    if sender.send(reply).is_err() || last {
                        return;
                    }
                }
            });
        }
        let stderr_head = Arc::new(Mutex::new(Vec::new()));
        let max_stderr = Arc::new(AtomicUsize::new(limits.max_stderr_bytes));
        {
            let head = Arc::clone(&stderr_head);
            let max_stderr = Arc::clone(&max_stderr);
            thread::spawn(move || keep_stderr_head(stderr, &head, &max_stderr));
        }
        Ok(Self {
            subcommand: subcommand.to_owned(),
            address_space_bytes: limits.address_space_bytes,
            process,
            stdin: Arc::new(Mutex::new(stdin)),
            replies,
            max_output,
            stderr: stderr_head,
            max_stderr,
            uses: 0,
        })
    }

    fn is_running(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(None))
    }

    /// Whether this child can serve a call with `limits`: the address-space limit was set when
    /// it started and cannot change.
    fn fits(&self, subcommand: &str, limits: &IsolationLimits) -> bool {
        self.subcommand == subcommand && self.address_space_bytes == limits.address_space_bytes
    }

    fn call(
        &mut self,
        args: &[&str],
        input: &[u8],
        limits: &IsolationLimits,
    ) -> Result<Vec<u8>, IsolationError> {
        let deadline = Instant::now() + limits.wall_time;
        self.uses += 1;
        self.max_output
            .store(limits.max_output_bytes, Ordering::Relaxed);
        self.max_stderr
            .store(limits.max_stderr_bytes, Ordering::Relaxed);
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let header = serde_json::to_vec(&RequestHeader {
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            cpu_seconds: limits.cpu_seconds,
        })
        .map_err(|error| IsolationError::Io(error.into()))?;
        // Written from a thread: a child that stops reading must not block us past the
        // deadline. Killing the child closes the pipe and ends the writer.
        {
            let stdin = Arc::clone(&self.stdin);
            let body = input.to_vec();
            thread::spawn(move || {
                let mut stdin = stdin.lock().unwrap_or_else(PoisonError::into_inner);
                let header_length = u32::try_from(header.len()).unwrap_or(u32::MAX);
                let _ = stdin
                    .write_all(&header_length.to_le_bytes())
                    .and_then(|()| stdin.write_all(&header))
                    .and_then(|()| stdin.write_all(&(body.len() as u64).to_le_bytes()))
                    .and_then(|()| stdin.write_all(&body))
                    .and_then(|()| stdin.flush());
            });
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        match self.replies.recv_timeout(remaining) {
            Ok(Reply::Frame(bytes)) => Ok(bytes),
            Ok(Reply::TooLarge) => {
                kill_group(&mut self.process);
                Err(IsolationError::OutputTooLarge {
                    max: limits.max_output_bytes,
                })
            }
            Ok(Reply::Failed(error)) => {
                kill_group(&mut self.process);
                Err(IsolationError::Io(error))
            }
            Ok(Reply::Closed) | Err(RecvTimeoutError::Disconnected) => {
                Err(self.exit_error(deadline))
            }
            Err(RecvTimeoutError::Timeout) => {
                kill_group(&mut self.process);
                Err(IsolationError::Timeout {
                    seconds: limits.wall_time.as_secs_f64(),
                })
            }
        }
    }

    /// The child closed its stdout without answering: wait (until the deadline) for how it
    /// ended, and say so as [`run_isolated`] would.
    fn exit_error(&mut self, deadline: Instant) -> IsolationError {
        let status = loop {
            match self.process.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => {
                    kill_group(&mut self.process);
                    return IsolationError::ExitStatus {
                        status: -1,
                        stderr: "closed its output without answering".to_owned(),
                    };
                }
                Err(error) => {
                    kill_group(&mut self.process);
                    return IsolationError::Io(error);
                }
            }
        };
        // Let the stderr thread take in the child's last words.
        thread::sleep(Duration::from_millis(20));
        let stderr =
            String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned();
        match (status.signal(), status.code()) {
            (Some(signal), _) => IsolationError::Killed { signal, stderr },
            (None, Some(status)) => IsolationError::ExitStatus { status, stderr },
            (None, None) => IsolationError::ExitStatus { status: -1, stderr },
        }
    }
}

impl Drop for WarmChild {
    fn drop(&mut self) {
        kill_group(&mut self.process);
    }
}

fn read_reply(stdout: &mut impl Read, max_output: usize) -> Reply {
    let mut length = [0u8; 8];
    match read_exact_or_eof(stdout, &mut length) {
        Ok(true) => {}
        Ok(false) => return Reply::Closed,
        Err(error) => return Reply::Failed(error),
    }
    let length = u64::from_le_bytes(length);
    if length > max_output as u64 {
        return Reply::TooLarge;
    }
    let mut frame = Vec::new();
    match stdout.take(length).read_to_end(&mut frame) {
        Ok(read) if read as u64 == length => Reply::Frame(frame),
        Ok(_) => Reply::Closed,
        Err(error) => Reply::Failed(error),
    }
}

/// Fill `buffer`; `Ok(false)` on end of file before the first byte.
fn read_exact_or_eof(
    reader: &mut (impl Read + ?Sized),
    buffer: &mut [u8],
) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

/// Keep the first `max` bytes the child writes to stderr since the current request began
/// (the caller clears `head`), and drain the rest, so a chatty child never blocks.
fn keep_stderr_head(mut stderr: impl Read, head: &Mutex<Vec<u8>>, max: &AtomicUsize) {
    let mut buffer = [0u8; 4096];
    loop {
        match stderr.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                let mut head = head.lock().unwrap_or_else(PoisonError::into_inner);
                let room = max
                    .load(Ordering::Relaxed)
                    .saturating_sub(head.len())
                    .min(read);
                head.extend_from_slice(&buffer[..room]);
            }
        }
    }
}

/// How a child subcommand was started: for one document (`<exe> <subcommand> [args]`), or to
/// serve requests (`<exe> <subcommand> --serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildMode {
    /// One input on stdin, one answer on stdout ([`crate::serve_child`]).
    Once,
    /// Framed requests until stdin closes ([`serve_requests`]).
    Serve,
}

impl ChildMode {
    /// `Serve` when `serve` is set (the `--serve` flag).
    pub fn from_flag(serve: bool) -> Self {
        if serve {
            Self::Serve
        } else {
            Self::Once
        }
    }

    /// Answer on stdin and stdout in this mode. `answer` gets each request's arguments (none
    /// in `Once` mode: the subcommand's own arguments were parsed by its caller) and input.
    pub fn answer<T: Serialize>(
        self,
        subcommand: &str,
        max_input: u64,
        stdin: &mut dyn Read,
        stdout: &mut dyn Write,
        mut answer: impl FnMut(&[String], Vec<u8>) -> T,
    ) -> i32 {
        match self {
            Self::Once => crate::serve_child(subcommand, max_input, stdin, stdout, |input| {
                answer(&[], input)
            }),
            Self::Serve => serve_requests(subcommand, max_input, stdin, stdout, answer),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct RequestHeader {
    args: Vec<String>,
    cpu_seconds: u64,
}

/// The child side of a warm child: answer requests from `stdin` until it closes.
///
/// Each request's body is read up to `max_input` bytes (the rest is skipped, as the one-shot
/// [`crate::serve_child`] stops reading there) and handed to `answer` with the request's
/// arguments; the answer goes back as one frame. Before each answer the process's CPU limit is
/// moved to the CPU time used so far plus the request's budget.
///
/// Returns the process exit code: 0 when stdin closed between requests, 1 on a broken
/// request or a failed write (said on stderr, under the subcommand's name).
pub fn serve_requests<T: Serialize>(
    subcommand: &str,
    max_input: u64,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    mut answer: impl FnMut(&[String], Vec<u8>) -> T,
) -> i32 {
    let fail = |what: &str| {
        let _ = writeln!(std::io::stderr(), "{subcommand} {SERVE_FLAG}: {what}");
        1
    };
    loop {
        let mut header_length = [0u8; 4];
        match read_exact_or_eof(stdin, &mut header_length) {
            Ok(true) => {}
            Ok(false) => return 0,
            Err(error) => return fail(&format!("reading a request failed: {error}")),
        }
        let header_length = u32::from_le_bytes(header_length);
        if header_length > MAX_HEADER_BYTES {
            return fail(&format!("a request header of {header_length} bytes"));
        }
        let mut header = vec![0u8; header_length as usize];
        let mut body_length = [0u8; 8];
        if let Err(error) = stdin
            .read_exact(&mut header)
            .and_then(|()| stdin.read_exact(&mut body_length))
        {
            return fail(&format!("reading a request failed: {error}"));
        }
        let header: RequestHeader = match serde_json::from_slice(&header) {
            Ok(header) => header,
            Err(error) => return fail(&format!("unreadable request header: {error}")),
        };
        let body_length = u64::from_le_bytes(body_length);
        let mut body = Vec::new();
        let kept = body_length.min(max_input);
        let skipped = stdin
            .take(kept)
            .read_to_end(&mut body)
            .and_then(|_| std::io::copy(&mut stdin.take(body_length - kept), &mut std::io::sink()));
        match skipped {
            Ok(_) if body.len() as u64 == kept => {}
            Ok(_) => return fail("the request body ended early"),
            Err(error) => return fail(&format!("reading a request failed: {error}")),
        }
        limit_cpu_from_now(header.cpu_seconds);
        let reply = match serde_json::to_vec(&answer(&header.args, body)) {
            Ok(reply) => reply,
            Err(error) => return fail(&format!("encoding the answer failed: {error}")),
        };
        let written = stdout
            .write_all(&(reply.len() as u64).to_le_bytes())
            .and_then(|()| stdout.write_all(&reply))
            .and_then(|()| stdout.flush());
        if let Err(error) = written {
            return fail(&format!("writing the answer failed: {error}"));
        }
    }
}

/// Set this process's soft CPU limit to the CPU time used so far plus `seconds`, so each
/// request of a warm child gets the budget a fresh child would. The kernel sends SIGXCPU when
/// it runs out, which ends the process.
fn limit_cpu_from_now(seconds: u64) {
    // SAFETY: getrusage and getrlimit/setrlimit write only to the structs passed, which live on
    // this stack frame.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return;
        }
        let used = u64::try_from(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec).unwrap_or(0) + 1;
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_CPU, &mut limit) != 0 {
            return;
        }
        let wanted = used.saturating_add(seconds) as libc::rlim_t;
        limit.rlim_cur = if limit.rlim_max == libc::RLIM_INFINITY {
            wanted
        } else {
            wanted.min(limit.rlim_max)
        };
        libc::setrlimit(libc::RLIMIT_CPU, &limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(args: &[&str], body: &[u8]) -> Vec<u8> {
        let header = serde_json::to_vec(&RequestHeader {
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            cpu_seconds: 60,
        })
        .unwrap();
        let mut frame = (header.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&(body.len() as u64).to_le_bytes());
        frame.extend_from_slice(body);
        frame
    }

    fn replies(mut output: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        while let Reply::Frame(frame) = read_reply(&mut output, 1024) {
            found.push(serde_json::from_slice(&frame).unwrap());
        }
        found
    }

    #[test]
    fn a_child_answers_each_request_with_its_arguments_until_stdin_closes() {
        let mut input = request(&["--pages", "1-2"], b"first");
        input.extend(request(&[], b"second, longer than the limit"));
        input.extend(request(&["x"], b"third"));
        let mut output = Vec::new();
        let code = serve_requests(
            "test",
            10,
            &mut input.as_slice(),
            &mut output,
            |args, body| format!("{}:{}", args.join(" "), String::from_utf8_lossy(&body)),
        );
        assert_eq!(code, 0);
        // The oversized body is cut at the limit, as the one-shot child cuts it, and the
        // stream stays in step for the request after it.
        assert_eq!(
            replies(&output),
            ["--pages 1-2:first", ":second, lo", "x:third"]
        );
    }

    #[test]
    fn a_broken_request_ends_the_child_with_status_1() {
        let mut input = request(&[], b"fine");
        input.extend_from_slice(&[5, 0, 0, 0, b'{']);
        let mut output = Vec::new();
        let code = serve_requests("test", 10, &mut input.as_slice(), &mut output, |_, body| {
            body.len()
        });
        assert_eq!(code, 1);
        assert!(matches!(
            read_reply(&mut output.as_slice(), 1024),
            Reply::Frame(_)
        ));
    }

    #[test]
    fn an_answer_larger_than_the_limit_is_refused_unread() {
        let mut output = (2000u64).to_le_bytes().to_vec();
        output.extend(std::iter::repeat_n(b'x', 2000));
        assert!(matches!(
            read_reply(&mut output.as_slice(), 1000),
            Reply::TooLarge
        ));
    }
}
