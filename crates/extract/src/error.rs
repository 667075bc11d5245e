//! The errors of extraction, each with a stable code.

use stapel_domain::ErrorInfo;

/// Why a document's text could not be read.
///
/// Every variant has a stable, dotted [`code`](ExtractError::code); codes are added, never
/// renamed. `NoTextLayer` is not a dead end: it routes the document to OCR.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The bytes do not start with `%PDF-` (within the first 1024 bytes).
    #[error("not a PDF: no %PDF- header in the first 1024 bytes")]
    NotAPdf,
    /// The PDF is larger than the configured limit; it was not parsed.
    #[error("PDF is {size} bytes, more than the limit of {max} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: u64,
        /// The limit it exceeded.
        max: u64,
    },
    /// The PDF is encrypted and cannot be opened with an empty password.
    #[error("PDF is encrypted: {message}")]
    Encrypted {
        /// What the parser said.
        message: String,
    },
    /// The PDF has more pages than the limit; no page was read.
    #[error("PDF has {pages} pages, more than the limit of {max}")]
    TooManyPages {
        /// Pages in the page tree.
        pages: u64,
        /// The limit it exceeded.
        max: u64,
    },
    /// The parser rejected the PDF's structure.
    #[error("PDF is corrupt: {message}")]
    Corrupt {
        /// What the parser said.
        message: String,
    },
    /// The parser panicked on this PDF (a damaged file, or a parser bug).
    #[error("PDF parser panicked: {message}")]
    ParserPanic {
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The PDF parsed, but its text layer is empty or implausible; OCR has to read it.
    #[error("PDF has no usable text layer: {reason}")]
    NoTextLayer {
        /// Why the text layer was judged unusable.
        reason: String,
    },
    /// The isolated parser process failed (timeout, killed, crashed, too much output).
    #[error("PDF parser process failed: {0}")]
    Isolation(#[from] IsolationError),
    /// The isolated parser process answered something that is not a result envelope.
    #[error("PDF parser process sent an unreadable reply: {message}")]
    ChildProtocol {
        /// What was wrong with the reply.
        message: String,
    },
}

impl ExtractError {
    /// The stable machine-readable code, such as `pdf.no_text_layer`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAPdf => "pdf.not_a_pdf",
            Self::TooLarge { .. } => "pdf.too_large",
            Self::TooManyPages { .. } => "pdf.too_many_pages",
            Self::Encrypted { .. } => "pdf.encrypted",
            Self::Corrupt { .. } => "pdf.corrupt",
            Self::ParserPanic { .. } => "pdf.parser_panic",
            Self::NoTextLayer { .. } => "pdf.no_text_layer",
            Self::Isolation(error) => error.code(),
            Self::ChildProtocol { .. } => "pdf.child_protocol",
        }
    }

    /// The error as users see it: code plus sentence.
    pub fn to_error_info(&self) -> ErrorInfo {
        ErrorInfo::new(self.code(), self.to_string())
    }

    /// The variant's own detail, without the sentence around it; this is what crosses the
    /// process boundary so that [`ExtractError::from_child`] can rebuild the variant.
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::Encrypted { message }
            | Self::Corrupt { message }
            | Self::ParserPanic { message }
            | Self::ChildProtocol { message } => message.clone(),
            Self::NoTextLayer { reason } => reason.clone(),
            Self::TooLarge { size, max } => format!("{size}/{max}"),
            Self::TooManyPages { pages, max } => format!("{pages}/{max}"),
            Self::NotAPdf | Self::Isolation(_) => self.to_string(),
        }
    }

    /// Rebuild an error from the child's envelope (`code` and `detail`).
    pub(crate) fn from_child(code: &str, detail: String) -> Self {
        match code {
            "pdf.not_a_pdf" => Self::NotAPdf,
            "pdf.too_large" => {
                let (size, max) = two_numbers(&detail);
                Self::TooLarge { size, max }
            }
            "pdf.too_many_pages" => {
                let (pages, max) = two_numbers(&detail);
                Self::TooManyPages { pages, max }
            }
            "pdf.encrypted" => Self::Encrypted { message: detail },
            "pdf.corrupt" => Self::Corrupt { message: detail },
            "pdf.parser_panic" => Self::ParserPanic { message: detail },
            "pdf.no_text_layer" => Self::NoTextLayer { reason: detail },
            other => Self::ChildProtocol {
                message: format!("unknown error code {other:?}: {detail}"),
            },
        }
    }
}

/// `"A/B"` as two numbers (0 for what does not parse): how limits cross the process boundary.
fn two_numbers(detail: &str) -> (u64, u64) {
    let mut numbers = detail
        .split('/')
        .map(|part| part.parse::<u64>().unwrap_or(0));
    (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
}

/// Why a child process did not deliver its output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IsolationError {
    /// The child could not be started.
    #[error("could not start {program}: {source}")]
    Spawn {
        /// The program that was to run.
        program: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The child ran longer than the wall-clock limit and was killed.
    #[error("timed out after {seconds:.1}s and was killed")]
    Timeout {
        /// The wall-clock limit in seconds.
        seconds: f64,
    },
    /// The child was killed by a signal: usually the CPU limit (SIGXCPU/SIGKILL) or the memory
    /// limit (an allocation failure aborts with SIGABRT, or SIGSEGV on stack growth).
    #[error("killed by signal {signal} ({name}){stderr_suffix}", name = signal_name(*signal), stderr_suffix = stderr_suffix(stderr))]
    Killed {
        /// The signal number.
        signal: i32,
        /// The start of what the child wrote to stderr.
        stderr: String,
    },
    /// The child exited with a nonzero status.
    #[error("exited with status {status}{stderr_suffix}", stderr_suffix = stderr_suffix(stderr))]
    ExitStatus {
        /// The exit status.
        status: i32,
        /// The start of what the child wrote to stderr.
        stderr: String,
    },
    /// The child wrote more than the output limit to stdout; it was killed.
    #[error("wrote more than {max} bytes to stdout and was killed")]
    OutputTooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// Reading the child's stdout failed.
    #[error("could not read the child's output: {0}")]
    Io(std::io::Error),
}

impl IsolationError {
    /// The stable machine-readable code, such as `pdf.timeout`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Spawn { .. } => "pdf.spawn_failed",
            Self::Timeout { .. } => "pdf.timeout",
            Self::Killed { .. } => "pdf.killed",
            Self::ExitStatus { .. } => "pdf.child_failed",
            Self::OutputTooLarge { .. } => "pdf.output_too_large",
            Self::Io(_) => "pdf.child_io",
        }
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("; stderr: {trimmed}")
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGKILL => "SIGKILL: killed, e.g. hard CPU limit or out of memory",
        libc::SIGXCPU => "SIGXCPU: CPU time limit",
        libc::SIGABRT => "SIGABRT: aborted, e.g. allocation failure under the memory limit",
        libc::SIGSEGV => "SIGSEGV: segmentation fault, e.g. stack overflow",
        libc::SIGBUS => "SIGBUS: bus error",
        libc::SIGPIPE => "SIGPIPE: broken pipe",
        libc::SIGTERM => "SIGTERM: terminated",
        _ => "signal",
    }
}
