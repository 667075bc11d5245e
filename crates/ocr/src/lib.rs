//! stapel's OCR: the bytes of a scanned PDF or an image to recognised words, with their
//! positions and confidences, and text in reading order for the field extractor.
//!
//! ```no_run
//! # fn main() -> Result<(), stapel_ocr::OcrError> {
//! // First thing in the worker's main, before any thread exists (see below).
//! stapel_ocr::ensure_single_threaded_openmp().ok();
//! let mut engine = stapel_ocr::OcrEngine::new(stapel_ocr::OcrConfig::default())?;
//! let pdf = std::fs::read("scan.pdf").unwrap();
//! let pages = stapel_ocr::pdf_page_count(&pdf)?;
//! let document = engine.ocr_pdf(&pdf, 1..=pages)?;
//! println!("{}", document.text());
//! # Ok(()) }
//! ```
//!
//! # Why it is built this way
//!
//! - **PDF pages are rendered in-process** with `hayro`, a pure-Rust rasteriser (about 26 ms for
//!   an A4 page at 300 DPI): no Ghostscript or poppler process per page, no temporary files.
//!   Its failure modes are checked rather than trusted: zero pages is [`OcrError::NoPages`], a
//!   page that renders as one colour (what a truncated file looks like) is flagged blank and a
//!   document of only blank pages is [`OcrError::BlankRender`]; pages too large for hayro's
//!   `u16` pixmap are rendered at a lower resolution that fits 8000 px, and say so
//!   ([`OcrPage::dpi_reduced_from`]). The render cache is not `Send`, so there is one per
//!   document, on the stack of the call; [`pdf_page_count`] lets a large scan be split into
//!   page-range jobs for [`OcrEngine::ocr_pdf`].
//! - **Images are bounded before they are decoded**: the declared size is checked against
//!   [`ImageLimits`] first, so a decompression bomb costs a header read. Formats come from the
//!   magic bytes ([`detect_format`]). HEIC is refused with a clear message: there is no
//!   maintained pure-Rust HEIC decoder, and converting phone photos to JPEG is the client's job.
//! - **One [`OcrEngine`] per worker**, reused for every page: loading language models costs
//!   more than setting up a page, so the engine keeps Tesseract initialised and re-initialises
//!   only when the language set changes. Pages go to Tesseract as raw 8-bit grey pixels with
//!   their resolution set, so it neither decodes a file nor guesses the DPI.
//! - **`OMP_THREAD_LIMIT=1` is mandatory.** Debian's libtesseract uses OpenMP, whose threads
//!   compete with the other workers: 0.65 s per page with the limit, 2.9 s without, on 2 idle
//!   cores (1.5 s against 2.7 s on 2 busy ones). libgomp reads the variable when it is loaded,
//!   before `main`, so setting it in `main` is too late (measured: no effect at all). Start workers with it, or call [`ensure_single_threaded_openmp`]
//!   first thing in `main`: it restarts the process with the variable set.
//!   [`OcrEngine::new`] logs a warning when the process did not start with it.
//! - **Languages**: Tesseract reads best with the document's language first (English alone
//!   reads "Bürodrehstuhl" as "Burodrehstuhl"; `eng+deu` was seen to read "Burobedarf" where
//!   `deu+eng` reads "Bürobedarf"). The default [`LanguagePolicy::Detect`] reads
//!   the first page, detects the language from invoice labels and stop words
//!   ([`detect_language`]), and re-reads only that page when the language differs.
//! - **Lines stay whole**: the default [`PageSegmentation::SingleColumn`] (`--psm 4`) keeps
//!   each visual row on one line, so table rows and "label … value" pairs reach the field
//!   extractor together; Tesseract's automatic layout (`--psm 3`) looks for columns, and on
//!   the samples moved the title into the address and split a line in two (measurements on
//!   [`PageSegmentation`]).
//! - **Orientation**: JPEG EXIF orientation is applied when decoding. A page that reads poorly
//!   (few words or low confidence, as a sideways or upside-down page does) is shown to
//!   Tesseract's OSD (`osd.traineddata`, installed on Debian), and read again turned upright
//!   when OSD is sure it is turned by 90, 180 or 270 degrees. Small skew is left to Tesseract's
//!   line finding, which tolerates a few degrees; there is no separate deskew step.
//!
//! # The Tesseract binding
//!
//! The `tesseract` crate (antimatter15/tesseract-rs, with `tesseract-plumbing` and
//! `tesseract-sys`, maintained since 2016) was chosen over `tesseract-rs` (cafercangundogdu).
//! Both can link Debian's libtesseract 5.3: `tesseract-sys` through pkg-config with bindgen
//! (libclang-dev) generating the bindings from the installed headers, so they match the library
//! built against. `tesseract-rs` with `default-features = false, features =
//! ["use-system-tesseract"]` links the system library too, but that feature implies its
//! `build-tesseract` feature, so every build compiles cmake, cc, zip and a blocking reqwest with
//! TLS as build dependencies it then does not use. The engine uses the binding's
//! `plumbing::TessBaseApi` (methods on `&mut self`, so one instance is reused; the top-level
//! `Tesseract` type consumes itself on every call and is lost on an error), Tesseract's TSV
//! output for word boxes, confidences and block/paragraph/line ids, and `tesseract-sys` directly
//! for the one call the binding lacks, orientation detection.
//!
//! # Residual risks
//!
//! Rendering and recognition run in the calling process. A hostile PDF that makes hayro loop or
//! allocate, or an image that crashes libtesseract, takes the worker with it; run OCR in the
//! isolated child process, as the text-layer reader is, when that matters. hayro panics are
//! caught and reported ([`OcrError::RenderPanic`]).
#![deny(missing_docs)]

mod engine;
mod error;
mod fixtures;
mod format;
mod images;
mod language;
mod openmp;
mod osd;
mod page;
mod pdf;
mod raster;

pub use engine::{LanguagePolicy, OcrConfig, OcrEngine, PageSegmentation};
pub use error::OcrError;
pub use fixtures::scanned_pdf;
pub use format::{detect_format, InputFormat};
pub use images::{image_page_count, ImageLimits, MAX_TIFF_PAGES};
pub use language::{detect_language, Language};
pub use openmp::{ensure_single_threaded_openmp, OPENMP_THREAD_LIMIT_VAR};
pub use page::{BoundingBox, OcrDocument, OcrPage, OcrWord};
pub use pdf::{pdf_page_count, render_page_png};

/// Pages of a scan: a PDF's pages, a TIFF's pages, one for any other image. Reads no pixels,
/// so a long scan can be sent to the bulk lane or split before any page is recognised.
pub fn scan_page_count(bytes: &[u8]) -> Result<u32, OcrError> {
    match detect_format(bytes)? {
        InputFormat::Pdf => pdf_page_count(bytes),
        _ => image_page_count(bytes),
    }
}
