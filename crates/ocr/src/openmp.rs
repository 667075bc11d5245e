//! Keep libtesseract's OpenMP on one thread.
//!
//! Debian's libtesseract is built with OpenMP, and its LSTM recogniser starts a team of threads
//! per line. With one worker per core those teams fight each other: on 2 cores a page takes
//! 2.9 s instead of 0.65 s. `OMP_THREAD_LIMIT=1` turns the teams off.
//!
//! The catch: libgomp reads `OMP_THREAD_LIMIT` once, in a constructor that runs when the shared
//! library is loaded, which for a binary linked against libtesseract is *before `main`*. Setting
//! the variable with `std::env::set_var` in `main` is measurably too late (measured while
//! writing this crate: set in `main`, recognition still ran 3 extra threads and took as long as
//! without it; set at start, it ran on the calling thread only). So the variable must be in the
//! environment the process is *started* with: set it in the deployment (container `ENV`, systemd
//! `Environment=`), in the `Command` that spawns a worker, or call
//! [`ensure_single_threaded_openmp`] first thing in `main`, which restarts the process with it.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The variable libgomp reads.
pub const OPENMP_THREAD_LIMIT_VAR: &str = "OMP_THREAD_LIMIT";

/// Make sure this process runs OpenMP single-threaded, restarting it if it has to.
///
/// When the process was started without `OMP_THREAD_LIMIT`, this re-executes the current
/// executable with the same arguments and `OMP_THREAD_LIMIT=1` added, and does not return. Call
/// it first thing in `main`, before any thread is spawned or any file is opened, since the
/// process image is replaced.
///
/// When the variable was in the starting environment, this returns `Ok(())` and changes
/// nothing, whatever the value: an operator who set `OMP_THREAD_LIMIT=4` for one worker on a
/// four-core machine meant it ([`OcrEngine::new`](crate::OcrEngine::new) still logs a warning).
///
/// Returns the error when re-executing failed (for example because the executable was replaced
/// on disk); the process then goes on with OpenMP's default, four times slower on two cores.
pub fn ensure_single_threaded_openmp() -> std::io::Result<()> {
    if started_with(OPENMP_THREAD_LIMIT_VAR).is_some() {
        return Ok(());
    }
    let executable = std::env::current_exe()?;
    let mut arguments = std::env::args_os();
    let mut command = Command::new(executable);
    if let Some(program_name) = arguments.next() {
        command.arg0(program_name);
    }
    command.args(arguments).env(OPENMP_THREAD_LIMIT_VAR, "1");
    // `exec` only returns on failure.
    Err(command.exec())
}

/// Whether libgomp saw `OMP_THREAD_LIMIT=1` when it was loaded, i.e. whether the process was
/// started with it.
pub(crate) fn openmp_is_single_threaded() -> bool {
    started_with(OPENMP_THREAD_LIMIT_VAR).is_some_and(|value| value == "1")
}

/// The value `name` had in the environment the process was started with.
///
/// `/proc/self/environ` is the environment block the kernel passed at `exec`; later
/// `set_var` calls do not change it, which is exactly the point: libgomp read that block, not
/// today's environment. Without `/proc` the current environment is the best guess.
fn started_with(name: &str) -> Option<OsString> {
    match std::fs::read("/proc/self/environ") {
        Ok(block) => value_in_environ_block(&block, name),
        Err(_) => std::env::var_os(name),
    }
}

fn value_in_environ_block(block: &[u8], name: &str) -> Option<OsString> {
    use std::os::unix::ffi::OsStrExt;
    block.split(|byte| *byte == 0).find_map(|entry| {
        let value = entry.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
        Some(std::ffi::OsStr::from_bytes(value).to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_variable_in_an_environ_block() {
        let block = b"PATH=/usr/bin\0OMP_THREAD_LIMIT_X=9\0OMP_THREAD_LIMIT=1\0HOME=/root\0";
        assert_eq!(
            value_in_environ_block(block, "OMP_THREAD_LIMIT"),
            Some(OsString::from("1"))
        );
        assert_eq!(value_in_environ_block(block, "LANG"), None);
        assert_eq!(value_in_environ_block(b"", "PATH"), None);
    }

    #[test]
    fn reads_the_starting_environment_of_this_process() {
        assert!(started_with("PATH").is_some());
        assert_eq!(started_with("STAPEL_OCR_TEST_NEVER_SET"), None);
    }
}
