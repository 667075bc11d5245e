//! stapel's extraction: from a document's bytes to an [`ExtractedInvoice`].
//!
//! The text path has three steps, one module each:
//!
//! - [`pdf_text`] reads the text layer of a PDF with `pdf-extract`, in-process, behind a panic
//!   guard and a plausibility check ([`extract_pdf_text`] → [`PdfText`]); [`layout`] puts its
//!   words back in reading order by their position on the page.
//! - [`isolation`] runs that parser in a time- and memory-limited child process, because a
//!   damaged PDF can also loop forever or eat all memory ([`extract_pdf_text_isolated`]).
//! - [`warm`] keeps such children alive across documents, with the same limits per request.
//! - [`fields`] turns the text into invoice fields without templates, with a confidence per field
//!   ([`parse_invoice_text`]).
//!
//! **Invariant:** no I/O, except the child process that [`isolation`] spawns.
//! **Invariant:** the field parser never panics and never invents a value: a field it cannot read
//! is `None`, and amounts that do not reconcile are kept as read, with lower confidence.
//!
//! [`ExtractedInvoice`]: stapel_domain::ExtractedInvoice
#![deny(missing_docs)]

mod error;
pub mod fields;
pub mod isolation;
pub mod layout;
pub mod pdf_text;
pub mod warm;

pub use error::{ExtractError, IsolationError};
pub use fields::{parse_invoice_text, parse_pdf_text};
pub use isolation::{
    child_main_extract_pdf_text, extract_pdf_text_isolated, run_isolated, serve_child,
    IsolationLimits,
};
pub use layout::{layout_text, PositionedWord};
pub use pdf_text::{extract_pdf_text, PdfLimits, PdfText, TextLayer};
pub use warm::{serve_requests, ChildMode, Children, WarmChildren};
