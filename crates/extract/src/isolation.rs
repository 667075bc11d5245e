//! Run the PDF parser in a child process with time and memory limits.
//!
//! A panic is not the only way a parser fails on a hostile PDF: it can loop forever or allocate
//! until the machine swaps. The parent spawns a child (the worker binary's hidden
//! `extract-pdf-text` subcommand, which calls [`child_main_extract_pdf_text`]), feeds it the PDF
//! on stdin and reads a JSON envelope from stdout:
//!
//! ```json
//! {"ok": {"pages": ["..."]}}
//! {"error": {"code": "pdf.no_text_layer", "message": "the text layer is empty"}}
//! ```
//!
//! The child exits 0 in both cases; a nonzero exit, a signal or a timeout means the child itself
//! failed, and [`run_isolated`] reports that as an [`IsolationError`].

use crate::pdf_text::{check_pdf_header_and_size, extract_pdf_text, PdfLimits, PdfText};
use crate::warm::{ChildMode, Children};
use crate::{ExtractError, IsolationError};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The subcommand of the worker binary that runs [`child_main_extract_pdf_text`].
pub const EXTRACT_PDF_TEXT_SUBCOMMAND: &str = "extract-pdf-text";

/// Resource limits for one child process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationLimits {
    /// Wall-clock limit; catches children that block or sleep, which the CPU limit does not.
    pub wall_time: Duration,
    /// CPU-time limit (RLIMIT_CPU) in seconds; the kernel sends SIGXCPU, then SIGKILL a second
    /// later.
    pub cpu_seconds: u64,
    /// Address-space limit (RLIMIT_AS) in bytes; allocations beyond it fail, and a Rust child
    /// aborts. Must leave room for the executable and its thread stacks.
    pub address_space_bytes: u64,
    /// More output than this is refused and the child killed, so a runaway child cannot fill the
    /// parent's memory.
    pub max_output_bytes: usize,
    /// How much of the child's stderr to keep for error messages; the rest is drained and dropped.
    pub max_stderr_bytes: usize,
}

impl Default for IsolationLimits {
    fn default() -> Self {
        Self {
            wall_time: Duration::from_secs(30),
            cpu_seconds: 20,
            address_space_bytes: 1024 * 1024 * 1024,
            max_output_bytes: 16 * 1024 * 1024,
            max_stderr_bytes: 4096,
        }
    }
}

/// Run `program args..` with `input` on stdin and return its stdout.
///
/// The child runs in its own process group with RLIMIT_AS and RLIMIT_CPU set; on timeout or
/// oversized output the whole group is killed. Stderr is captured up to
/// `limits.max_stderr_bytes` and included in errors.
pub fn run_isolated(
    program: &Path,
    args: &[&str],
    input: &[u8],
    limits: &IsolationLimits,
) -> Result<Vec<u8>, IsolationError> {
    let started = Instant::now();
    let deadline = started + limits.wall_time;
    let cpu_seconds = limits.cpu_seconds as libc::rlim_t;
    let mut command = limited_command(program, args, limits, cpu_seconds.saturating_add(1));
    let mut child = command.spawn().map_err(|source| IsolationError::Spawn {
        program: program.display().to_string(),
        source,
    })?;

    // The writer thread may block on a child that does not read; killing the child closes the
    // pipe and ends it, so it is never joined.
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        thread::spawn(move || {
            // A child that exits without reading all input is judged by its exit, not by EPIPE.
            let _ = stdin.write_all(&input);
        });
    }
    let stdout_result = {
        let (sender, receiver) = mpsc::channel();
        let stdout = child.stdout.take();
        let max = limits.max_output_bytes;
        thread::spawn(move || {
            let result = match stdout {
                Some(stdout) => read_bounded(stdout, max),
                None => Ok(BoundedRead::default()),
            };
            let _ = sender.send(result);
        });
        receiver
    };
    let stderr_result = {
        let (sender, receiver) = mpsc::channel();
        let stderr = child.stderr.take();
        let max = limits.max_stderr_bytes;
        thread::spawn(move || {
            let result = match stderr {
                Some(stderr) => read_head_and_drain(stderr, max),
                None => BoundedRead::default(),
            };
            let _ = sender.send(result);
        });
        receiver
    };

    let timeout = || IsolationError::Timeout {
        seconds: limits.wall_time.as_secs_f64(),
    };
    let mut stdout: Option<BoundedRead> = None;
    let mut poll_interval = Duration::from_millis(2);
    let status = loop {
        if stdout.is_none() {
            match stdout_result.try_recv() {
                Ok(Ok(read)) if read.overflowed => {
                    kill_group(&mut child);
                    return Err(IsolationError::OutputTooLarge {
                        max: limits.max_output_bytes,
                    });
                }
                Ok(Ok(read)) => stdout = Some(read),
                Ok(Err(error)) => {
                    kill_group(&mut child);
                    return Err(IsolationError::Io(error));
                }
                Err(_) => {}
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(error) => {
                kill_group(&mut child);
                return Err(IsolationError::Io(error));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group(&mut child);
            return Err(timeout());
        }
        thread::sleep(poll_interval.min(deadline - now));
        poll_interval = (poll_interval * 2).min(Duration::from_millis(50));
    };
    // The child has exited; a grandchild may still hold stdout open, so wait for the reader only
    // until the deadline.
    let stdout = match stdout {
        Some(read) => read,
        None => {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match stdout_result.recv_timeout(remaining) {
                Ok(Ok(read)) => read,
                Ok(Err(error)) => return Err(IsolationError::Io(error)),
                Err(_) => return Err(timeout()),
            }
        }
    };
    let stderr = || {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let read = stderr_result
            .recv_timeout(remaining.min(Duration::from_millis(200)))
            .unwrap_or_default();
        String::from_utf8_lossy(&read.bytes).into_owned()
    };
    if let Some(signal) = status.signal() {
        return Err(IsolationError::Killed {
            signal,
            stderr: stderr(),
        });
    }
    if stdout.overflowed {
        return Err(IsolationError::OutputTooLarge {
            max: limits.max_output_bytes,
        });
    }
    match status.code() {
        Some(0) => Ok(stdout.bytes),
        Some(code) => Err(IsolationError::ExitStatus {
            status: code,
            stderr: stderr(),
        }),
        None => Err(IsolationError::ExitStatus {
            status: -1,
            stderr: stderr(),
        }),
    }
}

/// `program args..` with piped stdio, set up to start in its own process group under
/// `limits`' address-space limit and CPU limit (soft `limits.cpu_seconds`, hard `cpu_hard`).
pub(crate) fn limited_command(
    program: &Path,
    args: &[&str],
    limits: &IsolationLimits,
    cpu_hard: libc::rlim_t,
) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        // Parallelism comes from workers, not from threads inside one child: libgomp (used by
        // libtesseract) reads this when it loads, so it must be in the child's environment.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let address_space = limits.address_space_bytes as libc::rlim_t;
    let cpu_seconds = limits.cpu_seconds as libc::rlim_t;
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // functions may be called. It calls only setpgid and setrlimit (both async-signal-safe),
    // reads plain integers captured by copy, and builds errors with `last_os_error`, which does
    // not allocate.
    unsafe {
        command.pre_exec(move || {
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let memory = libc::rlimit {
                rlim_cur: address_space,
                rlim_max: address_space,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &memory) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let cpu = libc::rlimit {
                rlim_cur: cpu_seconds,
                rlim_max: cpu_hard.max(cpu_seconds),
            };
            if libc::setrlimit(libc::RLIMIT_CPU, &cpu) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// Kill the child's whole process group (it is the group leader) and reap it.
pub(crate) fn kill_group(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill has no memory-safety preconditions. The child is not yet reaped, so its
        // pid (and group id, as it called setpgid(0, 0)) cannot have been reused.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[derive(Debug, Default)]
struct BoundedRead {
    bytes: Vec<u8>,
    overflowed: bool,
}

/// Read up to `max` bytes and stop at the first byte beyond: the caller kills a child that
/// writes too much, rather than buffering it.
fn read_bounded(reader: impl Read, max: usize) -> std::io::Result<BoundedRead> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut bytes)?;
    let overflowed = bytes.len() > max;
    bytes.truncate(max);
    Ok(BoundedRead { bytes, overflowed })
}

/// Keep the first `max` bytes and drain the rest until end of file, so that a chatty child never
/// blocks on (or fails writing to) a full stderr pipe.
fn read_head_and_drain(mut reader: impl Read, max: usize) -> BoundedRead {
    let mut read = read_bounded(&mut reader, max).unwrap_or_default();
    if read.overflowed {
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    }
    read.overflowed = false;
    read
}

/// The child's reply, as JSON on stdout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Envelope {
    Ok(PdfText),
    Error(EnvelopeError),
}

#[derive(Debug, Serialize, Deserialize)]
struct EnvelopeError {
    code: String,
    message: String,
}

/// The child side of every isolated parse: read at most `max_input` bytes from `stdin`, turn
/// them into an answer and write it to `stdout` as JSON.
///
/// Returns the process exit code: 0 whenever an answer was written, whatever it says; 1 only
/// when stdin or stdout themselves fail (said on stderr, under the subcommand's name).
pub fn serve_child<T: Serialize>(
    subcommand: &str,
    max_input: u64,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    answer: impl FnOnce(Vec<u8>) -> T,
) -> i32 {
    let mut input = Vec::new();
    if let Err(error) = stdin.take(max_input).read_to_end(&mut input) {
        let _ = writeln!(
            std::io::stderr(),
            "{subcommand}: reading stdin failed: {error}"
        );
        return 1;
    }
    let envelope = answer(input);
    let written = serde_json::to_writer(&mut *stdout, &envelope)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "{subcommand}: writing stdout failed: {error}"
            );
            1
        }
    }
}

/// The child side of [`extract_pdf_text_isolated`]: read a PDF from `stdin` (bounded by
/// [`PdfLimits::default`]; one byte more, so an oversized input is seen as such), extract its
/// text and write the result envelope to `stdout`; in [`ChildMode::Serve`], one per request.
/// Returns the exit code of [`serve_child`] or [`crate::warm::serve_requests`].
pub fn child_main_extract_pdf_text(
    mode: ChildMode,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
) -> i32 {
    let limits = PdfLimits::default();
    let max_input = u64::try_from(limits.max_pdf_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    mode.answer(
        EXTRACT_PDF_TEXT_SUBCOMMAND,
        max_input,
        stdin,
        stdout,
        |_, pdf| match extract_pdf_text(&pdf, &limits) {
            Ok(text) => Envelope::Ok(text),
            Err(error) => Envelope::Error(EnvelopeError {
                code: error.code().to_owned(),
                message: error.detail(),
            }),
        },
    )
}

/// Extract a PDF's text in a limited child process: `extract-pdf-text` of `children`.
///
/// Header and size are checked here first, so junk never costs a process. The child's envelope
/// error is rebuilt into the same [`ExtractError`] variant the in-process call would return.
pub fn extract_pdf_text_isolated(
    children: &Children,
    pdf: &[u8],
    limits: &IsolationLimits,
) -> Result<PdfText, ExtractError> {
    check_pdf_header_and_size(pdf, &PdfLimits::default())?;
    let output = children.run(EXTRACT_PDF_TEXT_SUBCOMMAND, &[], pdf, limits)?;
    let envelope: Envelope =
        serde_json::from_slice(&output).map_err(|error| ExtractError::ChildProtocol {
            message: format!("{error} (got {} bytes)", output.len()),
        })?;
    match envelope {
        Envelope::Ok(text) => Ok(text),
        Envelope::Error(error) => Err(ExtractError::from_child(&error.code, error.message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> IsolationLimits {
        IsolationLimits {
            wall_time: Duration::from_secs(5),
            ..IsolationLimits::default()
        }
    }

    #[test]
    fn echoes_through_cat() {
        let input: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let output = run_isolated(Path::new("/bin/cat"), &[], &input, &limits()).unwrap();
        assert_eq!(output, input);
    }

    #[test]
    fn kills_on_wall_clock_timeout_including_grandchildren() {
        let limits = IsolationLimits {
            wall_time: Duration::from_millis(300),
            ..limits()
        };
        let started = Instant::now();
        let error = run_isolated(
            Path::new("/bin/sh"),
            &["-c", "sleep 5; echo late"],
            b"",
            &limits,
        )
        .unwrap_err();
        assert!(matches!(error, IsolationError::Timeout { .. }), "{error:?}");
        assert_eq!(error.code(), "pdf.timeout");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn reports_death_by_signal() {
        let error =
            run_isolated(Path::new("/bin/sh"), &["-c", "kill -9 $$"], b"", &limits()).unwrap_err();
        assert!(
            matches!(
                error,
                IsolationError::Killed {
                    signal: libc::SIGKILL,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn reports_nonzero_exit_with_stderr() {
        let error = run_isolated(
            Path::new("/bin/sh"),
            &["-c", "echo broken >&2; exit 3"],
            b"",
            &limits(),
        )
        .unwrap_err();
        match &error {
            IsolationError::ExitStatus { status, stderr } => {
                assert_eq!(*status, 3);
                assert_eq!(stderr.trim(), "broken");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(error.to_string().contains("broken"));
    }

    #[test]
    fn keeps_the_head_of_a_long_stderr_without_blocking_the_child() {
        let limits = IsolationLimits {
            max_stderr_bytes: 100,
            ..limits()
        };
        let error = run_isolated(
            Path::new("/bin/sh"),
            &["-c", "head -c 1000000 /dev/zero | tr '\\0' x >&2; exit 4"],
            b"",
            &limits,
        )
        .unwrap_err();
        match error {
            IsolationError::ExitStatus { status, stderr } => {
                assert_eq!(status, 4);
                assert_eq!(stderr.len(), 100);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_oversized_output() {
        let limits = IsolationLimits {
            max_output_bytes: 1000,
            ..limits()
        };
        let error = run_isolated(Path::new("/bin/sh"), &["-c", "yes"], b"", &limits).unwrap_err();
        assert!(
            matches!(error, IsolationError::OutputTooLarge { max: 1000 }),
            "{error:?}"
        );
    }

    #[test]
    fn enforces_the_cpu_limit() {
        let limits = IsolationLimits {
            cpu_seconds: 1,
            wall_time: Duration::from_secs(10),
            ..limits()
        };
        let error = run_isolated(
            Path::new("/bin/sh"),
            &["-c", "while :; do :; done"],
            b"",
            &limits,
        )
        .unwrap_err();
        assert!(
            matches!(error, IsolationError::Killed { signal, .. } if signal == libc::SIGXCPU || signal == libc::SIGKILL),
            "{error:?}"
        );
    }

    #[test]
    fn enforces_the_memory_limit() {
        // With 64 MB of address space, asking sh to build a 200 MB string fails inside the child.
        let limits = IsolationLimits {
            address_space_bytes: 64 * 1024 * 1024,
            ..limits()
        };
        let result = run_isolated(
            Path::new("/bin/sh"),
            &[
                "-c",
                "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}",
            ],
            b"",
            &limits,
        );
        assert!(
            !matches!(&result, Ok(output) if output.starts_with(b"200000000")),
            "{result:?}"
        );
    }

    #[test]
    fn reports_a_missing_program_as_spawn_error() {
        let error =
            run_isolated(Path::new("/nonexistent/program"), &[], b"", &limits()).unwrap_err();
        assert_eq!(error.code(), "pdf.spawn_failed");
    }

    #[test]
    fn child_writes_an_error_envelope_and_exits_zero() {
        let mut output = Vec::new();
        let code =
            child_main_extract_pdf_text(ChildMode::Once, &mut &b"not a pdf"[..], &mut output);
        assert_eq!(code, 0);
        let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
        assert_eq!(json["error"]["code"], "pdf.not_a_pdf");
    }
}
