//! Rasterise PDF pages in-process with hayro (pure Rust, about 26 ms per A4 page at 300 DPI).
//!
//! Three pitfalls of the renderer are handled here:
//!
//! - A truncated or damaged PDF can render as a blank page without any error, and a broken page
//!   tree can yield zero pages. Zero pages is [`OcrError::NoPages`]; a page that renders as one
//!   colour is marked blank (see [`GreyImage::is_blank`]) and never read as "no text".
//! - hayro's render cache is not `Send`: it lives on the stack of [`for_each_page`], one per
//!   document and thread.
//! - hayro sizes the pixmap in `u16`, so a large page at 300 DPI would overflow. The resolution is
//!   lowered until the longer side fits `max_side_px`, and the page says so
//!   ([`PageRaster::dpi_reduced_from`]).

use crate::raster::{GreyImage, PageRaster};
use crate::OcrError;
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{LoadPdfError, Pdf};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use std::ops::RangeInclusive;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// How to rasterise PDF pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PdfRenderSettings {
    /// Resolution to render at.
    pub dpi: u32,
    /// Neither side of the rendered page may exceed this many pixels (hayro's limit is 65535).
    pub max_side_px: u32,
}

/// Count the pages of a PDF, e.g. to split a large scan into page-range jobs.
///
/// A PDF whose page tree yields no pages is [`OcrError::NoPages`], not zero.
pub fn pdf_page_count(pdf: &[u8]) -> Result<u32, OcrError> {
    let document = open_pdf(pdf)?;
    page_count(&document)
}

/// Open a PDF behind a panic guard.
fn open_pdf(bytes: &[u8]) -> Result<Pdf, OcrError> {
    let data = bytes.to_vec();
    let opened = catch_unwind(AssertUnwindSafe(|| Pdf::new(data))).map_err(|payload| {
        OcrError::PdfCorrupt {
            message: format!("the PDF parser panicked: {}", panic_message(&*payload)),
        }
    })?;
    opened.map_err(|error| match error {
        LoadPdfError::Decryption(reason) => OcrError::PdfEncrypted {
            message: format!("{reason:?}"),
        },
        LoadPdfError::Invalid => OcrError::PdfCorrupt {
            message: "no readable cross-reference table or page tree".to_owned(),
        },
    })
}

fn page_count(document: &Pdf) -> Result<u32, OcrError> {
    let count = catch_unwind(AssertUnwindSafe(|| document.pages().len())).map_err(|payload| {
        OcrError::PdfCorrupt {
            message: format!(
                "reading the page tree panicked: {}",
                panic_message(&*payload)
            ),
        }
    })?;
    match u32::try_from(count) {
        Ok(0) => Err(OcrError::NoPages),
        Ok(count) => Ok(count),
        Err(_) => Err(OcrError::PdfCorrupt {
            message: format!("{count} pages"),
        }),
    }
}

/// Check a 1-based, inclusive page range against the document.
fn check_range(pages: &RangeInclusive<u32>, page_count: u32) -> Result<(), OcrError> {
    let (first, last) = (*pages.start(), *pages.end());
    if first == 0 || first > last || last > page_count {
        return Err(OcrError::PageOutOfRange {
            first,
            last,
            page_count,
        });
    }
    Ok(())
}

/// Render one page (1-based) as an 8-bit grey PNG at `dpi` (capped so the longer side stays
/// within 8000 px): the page image a reviewer looks at, and a scan for tests.
pub fn render_page_png(pdf: &[u8], page: u32, dpi: u32) -> Result<Vec<u8>, OcrError> {
    let settings = PdfRenderSettings {
        dpi,
        max_side_px: 8000,
    };
    let mut png = None;
    for_each_page(pdf, page..=page, settings, &mut |raster| {
        let image = image::GrayImage::from_raw(
            raster.image.width,
            raster.image.height,
            raster.image.pixels,
        )
        .ok_or_else(|| OcrError::PdfCorrupt {
            message: "the rendered page has an inconsistent size".to_owned(),
        })?;
        let mut bytes = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, image::ImageFormat::Png)
            .map_err(|error| OcrError::PdfCorrupt {
                message: format!("encoding the page as PNG failed: {error}"),
            })?;
        png = Some(bytes.into_inner());
        Ok(())
    })?;
    png.ok_or(OcrError::NoPages)
}

/// Render the pages `pages` (1-based, inclusive) one at a time and hand each to `visit`, in
/// order. Only one page's pixels are alive at a time.
pub(crate) fn for_each_page(
    pdf: &[u8],
    pages: RangeInclusive<u32>,
    settings: PdfRenderSettings,
    visit: &mut dyn FnMut(PageRaster) -> Result<(), OcrError>,
) -> Result<(), OcrError> {
    let document = open_pdf(pdf)?;
    let page_count = page_count(&document)?;
    check_range(&pages, page_count)?;
    let interpreter_settings = InterpreterSettings {
        warning_sink: Arc::new(|warning| tracing::debug!(?warning, "PDF renderer warning")),
        ..InterpreterSettings::default()
    };
    // One cache per document and thread: it is not `Send`, and it is tied to the document.
    let cache = RenderCache::new();
    for page_number in pages {
        let raster = render_page(
            &document,
            &cache,
            &interpreter_settings,
            page_number,
            settings,
        )?;
        visit(raster)?;
    }
    Ok(())
}

fn render_page<'a>(
    document: &'a Pdf,
    cache: &RenderCache<'a>,
    interpreter_settings: &InterpreterSettings,
    page_number: u32,
    settings: PdfRenderSettings,
) -> Result<PageRaster, OcrError> {
    let index = page_number as usize - 1;
    let page = &document.pages()[index];
    let (width_pt, height_pt) = page.render_dimensions();
    let dpi = fitting_dpi(width_pt, height_pt, settings).ok_or_else(|| OcrError::PdfCorrupt {
        message: format!(
            "page {page_number} is {width_pt}x{height_pt} pt, which cannot be rendered within \
             {} px",
            settings.max_side_px
        ),
    })?;
    let scale = dpi as f32 / 72.0;
    let pixmap_settings = PixmapSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: WHITE,
    };
    let pixmap = catch_unwind(AssertUnwindSafe(|| {
        hayro::render(
            page,
            cache,
            interpreter_settings,
            &RenderSettings::default(),
            &pixmap_settings,
        )
    }))
    .map_err(|payload| OcrError::RenderPanic {
        page: page_number,
        message: panic_message(&*payload),
    })?;
    let (width, height) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    let image = GreyImage::from_rgba(width, height, pixmap.data_as_u8_slice());
    let dpi_reduced_from = (dpi < settings.dpi).then_some(settings.dpi);
    if let Some(requested) = dpi_reduced_from {
        tracing::warn!(
            page = page_number,
            requested_dpi = requested,
            dpi,
            width_pt,
            height_pt,
            "page is too large for the requested resolution; rendered at a lower one"
        );
    }
    Ok(PageRaster {
        page_number,
        image,
        dpi,
        dpi_reduced_from,
    })
}

/// The highest resolution, up to the requested one, at which the page is at least one pixel and
/// at most `max_side_px` on each side; `None` for pages with no size or an absurd one.
fn fitting_dpi(width_pt: f32, height_pt: f32, settings: PdfRenderSettings) -> Option<u32> {
    let (width_pt, height_pt) = (f64::from(width_pt), f64::from(height_pt));
    if !(width_pt.is_finite() && height_pt.is_finite() && width_pt > 0.0 && height_pt > 0.0) {
        return None;
    }
    let longest_pt = width_pt.max(height_pt);
    let shortest_pt = width_pt.min(height_pt);
    let max_side_px = f64::from(settings.max_side_px.min(u32::from(u16::MAX)));
    let largest_dpi = (max_side_px * 72.0 / longest_pt).floor();
    let dpi = f64::from(settings.dpi).min(largest_dpi);
    if dpi < 1.0 || (shortest_pt * dpi / 72.0) < 1.0 {
        return None;
    }
    Some(dpi as u32)
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A4: (f32, f32) = (595.276, 841.89);

    fn settings(dpi: u32) -> PdfRenderSettings {
        PdfRenderSettings {
            dpi,
            max_side_px: 8000,
        }
    }

    #[test]
    fn a4_at_300_dpi_fits() {
        assert_eq!(fitting_dpi(A4.0, A4.1, settings(300)), Some(300));
    }

    #[test]
    fn a_poster_is_rendered_at_a_lower_resolution() {
        // A0 is 2384 x 3370 pt; at 300 DPI that would be 14043 px high.
        let dpi = fitting_dpi(2384.0, 3370.0, settings(300)).unwrap();
        assert_eq!(dpi, 170);
        assert!(3370.0 * dpi as f32 / 72.0 <= 8000.0);
    }

    #[test]
    fn absurd_page_sizes_are_refused() {
        assert_eq!(fitting_dpi(f32::NAN, 842.0, settings(300)), None);
        assert_eq!(fitting_dpi(0.0, 842.0, settings(300)), None);
        assert_eq!(fitting_dpi(1.0e9, 842.0, settings(300)), None);
        assert_eq!(fitting_dpi(f32::INFINITY, 842.0, settings(300)), None);
    }

    #[test]
    fn page_ranges_are_one_based_and_inclusive() {
        assert!(check_range(&(1..=3), 3).is_ok());
        assert!(check_range(&(2..=2), 3).is_ok());
        // A reversed range is what a caller computing `first..=last` wrongly would pass.
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 3..=2;
        for bad in [0..=1, reversed, 2..=4] {
            let error = check_range(&bad, 3).unwrap_err();
            assert_eq!(error.code(), "pdf.page_out_of_range");
        }
    }

    #[test]
    fn garbage_is_a_corrupt_pdf() {
        let error = pdf_page_count(b"%PDF-1.4\nthis is not a PDF at all").unwrap_err();
        assert!(
            matches!(error.code(), "pdf.corrupt" | "pdf.no_pages"),
            "{error}"
        );
        assert_eq!(pdf_page_count(b"").unwrap_err().code(), "pdf.corrupt");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_on_damaged_pdfs(
            cut in 0usize..3000,
            noise in proptest::collection::vec(proptest::num::u8::ANY, 0..32),
            at in 0usize..3000,
        ) {
            let sample = include_bytes!("../../../samples/de_rechnung.pdf");
            let mut bytes = sample[..cut.min(sample.len())].to_vec();
            let at = at.min(bytes.len());
            bytes.splice(at..at, noise);
            let settings = PdfRenderSettings { dpi: 30, max_side_px: 8000 };
            let _ = for_each_page(&bytes, 1..=1, settings, &mut |_| Ok(()));
        }
    }
}
