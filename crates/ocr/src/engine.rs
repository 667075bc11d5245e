//! The OCR engine: one Tesseract instance per worker, reused for every page.

use crate::format::{detect_format, InputFormat};
use crate::images::{self, ImageLimits};
use crate::language::detect_language;
use crate::openmp::{openmp_is_single_threaded, OPENMP_THREAD_LIMIT_VAR};
use crate::osd::OrientationDetector;
use crate::page::{mean_confidence, words_from_tsv};
use crate::pdf::{self, PdfRenderSettings};
use crate::raster::{GreyImage, PageRaster};
use crate::{Language, OcrDocument, OcrError, OcrPage};
use std::ffi::{c_int, CString};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Instant;
use tesseract::plumbing::TessBaseApi;
use tesseract_sys::{
    TessOcrEngineMode_OEM_LSTM_ONLY, TessPageSegMode, TessPageSegMode_PSM_AUTO,
    TessPageSegMode_PSM_SINGLE_BLOCK, TessPageSegMode_PSM_SINGLE_COLUMN,
};

/// Which languages Tesseract reads with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanguagePolicy {
    /// Always these, in this order (for a tenant whose invoices are all in one language).
    Fixed(Vec<Language>),
    /// Read the first page that has text, detect its language, and if that language is not the
    /// first of the loaded set, load `<detected>+eng` and read that page again; the rest of the
    /// document is read with that set. The first pass uses the set left loaded by the previous
    /// document (initially `first_pass`), so a run of same-language invoices never re-reads a
    /// page or reloads a model. When the language is detected, the result does not depend on
    /// that history; when it is not, the first pass stands.
    Detect {
        /// The languages for the first document's first pass.
        first_pass: Vec<Language>,
    },
}

/// How Tesseract splits a page into lines.
///
/// The default is [`SingleColumn`](PageSegmentation::SingleColumn), chosen by reading the eight
/// sample invoices rendered at 300 DPI with each mode: `Auto` put the document title
/// ("RECHNUNG", "FACTURE", "FAKTURA") in a block of its own (in the French sample between two
/// lines of the customer's address) and split the Danish bank line in two; `SingleColumn` and
/// `SingleBlock` kept every row whole and differed in 7 of about 230 lines, all accents or
/// spaces (`SingleBlock` read "Città" where `SingleColumn` read "Citta", and "A l'attention"
/// where it read "À l'attention"). `SingleBlock` assumes one text size, which invoices with large
/// headings and totals do not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageSegmentation {
    /// Fully automatic layout analysis (Tesseract's `--psm 3`); finds columns, and so splits a
    /// label from its value when they are far apart.
    Auto,
    /// One column of text of varying sizes (`--psm 4`): each visual row becomes one line,
    /// so a table row or "Rechnungsnummer … RE-2026-11873" stays together.
    SingleColumn,
    /// One uniform block of text (`--psm 6`); like `SingleColumn`, but assumes one text size.
    SingleBlock,
}

impl PageSegmentation {
    fn to_tesseract(self) -> TessPageSegMode {
        match self {
            PageSegmentation::Auto => TessPageSegMode_PSM_AUTO,
            PageSegmentation::SingleColumn => TessPageSegMode_PSM_SINGLE_COLUMN,
            PageSegmentation::SingleBlock => TessPageSegMode_PSM_SINGLE_BLOCK,
        }
    }

    /// The number the `tesseract` command line takes as `--psm`.
    pub fn psm_number(self) -> u32 {
        match self {
            PageSegmentation::Auto => 3,
            PageSegmentation::SingleColumn => 4,
            PageSegmentation::SingleBlock => 6,
        }
    }
}

/// How the engine reads documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrConfig {
    /// Where the `*.traineddata` files are. `None` uses Tesseract's default: `TESSDATA_PREFIX`,
    /// else the path built into libtesseract (`/usr/share/tesseract-ocr/5/tessdata` on Debian).
    pub tessdata_dir: Option<PathBuf>,
    /// Which languages to read with.
    pub languages: LanguagePolicy,
    /// How pages are split into lines.
    pub page_segmentation: PageSegmentation,
    /// Resolution PDF pages are rendered at; 300 DPI is what Tesseract is trained for.
    pub pdf_dpi: u32,
    /// Longest side of a rendered PDF page in pixels; larger pages are rendered at a lower
    /// resolution, which [`OcrPage::dpi_reduced_from`] reports.
    pub max_render_side_px: u32,
    /// Bounds for decoding images, checked before decoding.
    pub image_limits: ImageLimits,
    /// When a page reads poorly (few words, or low confidence), ask Tesseract's OSD whether it
    /// is sideways or upside down, and if so read it again turned upright. Upright pages that
    /// read well pay nothing. Without `osd.traineddata` this is skipped with a warning.
    pub detect_orientation: bool,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            tessdata_dir: None,
            languages: LanguagePolicy::Detect {
                first_pass: vec![Language::English],
            },
            page_segmentation: PageSegmentation::SingleColumn,
            pdf_dpi: 300,
            max_render_side_px: 8000,
            image_limits: ImageLimits::default(),
            detect_orientation: true,
        }
    }
}

/// A Tesseract instance with its loaded languages, created once per worker and reused for every
/// page: loading the language models costs far more than a page's set-up.
///
/// Not `Sync`: one engine per thread. It is `Send`, so a worker can keep it across
/// `spawn_blocking` calls.
pub struct OcrEngine {
    config: OcrConfig,
    api: TessBaseApi,
    /// What `api` is initialised with; empty after a failed initialisation, so the next use
    /// initialises again.
    loaded: Vec<Language>,
    tessdata_dir: Option<CString>,
    orientation: Option<OrientationDetector>,
}

impl OcrEngine {
    /// Load Tesseract with the configured (or first-pass) languages, and the orientation model
    /// when asked for.
    ///
    /// Logs a warning when the process was not started with `OMP_THREAD_LIMIT=1` (see
    /// [`ensure_single_threaded_openmp`](crate::ensure_single_threaded_openmp)).
    pub fn new(config: OcrConfig) -> Result<Self, OcrError> {
        if !openmp_is_single_threaded() {
            tracing::warn!(
                "the process was not started with {OPENMP_THREAD_LIMIT_VAR}=1: libtesseract's \
                 OpenMP threads will compete with other workers (about 4x slower per page on 2 \
                 cores); start the worker with it, or call \
                 stapel_ocr::ensure_single_threaded_openmp() first in main"
            );
        }
        let tessdata_dir =
            match &config.tessdata_dir {
                Some(dir) => Some(CString::new(dir.as_os_str().as_encoded_bytes()).map_err(
                    |_| OcrError::EngineInit {
                        languages: String::new(),
                        message: format!("tessdata path {} contains a NUL byte", dir.display()),
                    },
                )?),
                None => None,
            };
        let initial = match &config.languages {
            LanguagePolicy::Fixed(languages) => languages.clone(),
            LanguagePolicy::Detect { first_pass } => first_pass.clone(),
        };
        let orientation = if config.detect_orientation {
            let detector = OrientationDetector::new(tessdata_dir.as_deref());
            if detector.is_none() {
                tracing::warn!(
                    "osd.traineddata could not be loaded; pages are read in the orientation \
                     they come in"
                );
            }
            detector
        } else {
            None
        };
        let mut engine = Self {
            config,
            api: TessBaseApi::create(),
            loaded: Vec::new(),
            tessdata_dir,
            orientation,
        };
        engine.load(&initial)?;
        Ok(engine)
    }

    /// The languages Tesseract currently has loaded, in priority order.
    pub fn loaded_languages(&self) -> &[Language] {
        &self.loaded
    }

    /// Recognise the pages `pages` (1-based, inclusive) of a PDF.
    ///
    /// Pages are rendered at [`OcrConfig::pdf_dpi`] one at a time. A page that renders blank is
    /// returned with [`OcrPage::blank`] set; if every requested page is blank, the result is
    /// [`OcrError::BlankRender`], because a truncated PDF renders that way.
    pub fn ocr_pdf(
        &mut self,
        pdf: &[u8],
        pages: RangeInclusive<u32>,
    ) -> Result<OcrDocument, OcrError> {
        let settings = PdfRenderSettings {
            dpi: self.config.pdf_dpi,
            max_side_px: self.config.max_render_side_px,
        };
        let mut reader = DocumentReader::new(self)?;
        pdf::for_each_page(pdf, pages, settings, &mut |raster| reader.read_page(raster))?;
        reader.finish(|blank_pages| OcrError::BlankRender { pages: blank_pages })
    }

    /// Recognise an image: PNG, JPEG, WebP, or every page of a TIFF. The format comes from the
    /// magic bytes.
    pub fn ocr_image(&mut self, image: &[u8]) -> Result<OcrDocument, OcrError> {
        self.ocr_image_pages(image, 1..=u32::MAX)
    }

    /// Recognise `pages` (1-based, inclusive) of an image: one part of a long multi-page TIFF.
    /// Other formats have one page. A range that ends past the last page stops there.
    pub fn ocr_image_pages(
        &mut self,
        image: &[u8],
        pages: RangeInclusive<u32>,
    ) -> Result<OcrDocument, OcrError> {
        let format = detect_format(image)?;
        if format == InputFormat::Pdf {
            return Err(OcrError::UnsupportedFormat {
                format: "PDF (read it with OcrEngine::ocr_pdf)".to_owned(),
            });
        }
        let limits = self.config.image_limits;
        let mut reader = DocumentReader::new(self)?;
        images::for_each_page(image, format, pages, &limits, &mut |raster| {
            reader.read_page(raster)
        })?;
        reader.finish(|_| OcrError::BlankImage)
    }

    /// Initialise Tesseract with `languages`, unless it already is.
    fn load(&mut self, languages: &[Language]) -> Result<(), OcrError> {
        if !self.loaded.is_empty() && self.loaded == languages {
            return Ok(());
        }
        let language_string = languages
            .iter()
            .map(|language| language.tesseract_code())
            .collect::<Vec<_>>()
            .join("+");
        if languages.is_empty() {
            return Err(OcrError::EngineInit {
                languages: language_string,
                message: "no language configured".to_owned(),
            });
        }
        self.loaded.clear();
        let started = Instant::now();
        let language = CString::new(language_string.clone()).map_err(|_| OcrError::EngineInit {
            languages: language_string.clone(),
            message: "language string contains a NUL byte".to_owned(),
        })?;
        self.api
            .init_4(
                self.tessdata_dir.as_deref(),
                Some(&language),
                TessOcrEngineMode_OEM_LSTM_ONLY,
            )
            .map_err(|_| OcrError::EngineInit {
                languages: language_string.clone(),
                message: format!(
                    "Tesseract could not load the language data (is {}.traineddata installed in {}?)",
                    language_string.replace('+', ".traineddata and "),
                    self.config
                        .tessdata_dir
                        .as_ref()
                        .map_or("the default tessdata directory".to_owned(), |dir| dir
                            .display()
                            .to_string())
                ),
            })?;
        self.api
            .set_page_seg_mode(self.config.page_segmentation.to_tesseract());
        tracing::debug!(
            languages = %language_string,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded Tesseract languages"
        );
        self.loaded = languages.to_vec();
        Ok(())
    }

    /// Read a page: blank check, recognition, and, when the result looks like a page that is
    /// sideways or upside down, orientation detection and a second reading turned upright.
    ///
    /// OSD costs about as much as reading a page, so it runs only when the upright reading is
    /// poor: a sideways page yields a handful of words, an upside-down one words at under 0.5
    /// confidence, while a clean upright page reads at over 0.9.
    fn read_page(&mut self, raster: &PageRaster) -> Result<OcrPage, OcrError> {
        if raster.image.is_blank() {
            return Ok(blank_page(raster));
        }
        let upright = self.recognise(raster, &raster.image, 0)?;
        if upright.words.len() >= ORIENTATION_CHECK_BELOW_WORDS
            && upright.mean_confidence >= ORIENTATION_CHECK_BELOW_CONFIDENCE
        {
            return Ok(upright);
        }
        let Some(detector) = self.orientation.as_mut() else {
            return Ok(upright);
        };
        let Some(orientation) = detector.detect(&raster.image, raster.dpi) else {
            return Ok(upright);
        };
        tracing::debug!(
            page = raster.page_number,
            ?orientation,
            "orientation detected"
        );
        let degrees = orientation.correction();
        if degrees == 0 {
            return Ok(upright);
        }
        let turned = self.recognise_turned(raster, degrees)?;
        // A wrong turn destroys the page; keep it only if it reads better.
        Ok(if turned.mean_confidence > upright.mean_confidence {
            turned
        } else {
            upright
        })
    }

    /// Recognise the raster turned `degrees` clockwise (0 for as it is).
    fn recognise_turned(&mut self, raster: &PageRaster, degrees: u32) -> Result<OcrPage, OcrError> {
        if degrees == 0 {
            self.recognise(raster, &raster.image, 0)
        } else {
            let turned = raster.image.rotated_clockwise(degrees);
            self.recognise(raster, &turned, degrees)
        }
    }

    /// Recognise `image` (the raster's pixels, possibly turned) with the loaded languages.
    fn recognise(
        &mut self,
        raster: &PageRaster,
        image: &GreyImage,
        rotation_degrees: u32,
    ) -> Result<OcrPage, OcrError> {
        let page_number = raster.page_number;
        let failure = |message: String| OcrError::Recognition {
            page: page_number,
            message,
        };
        let width = c_int::try_from(image.width)
            .map_err(|_| failure(format!("width {} too large", image.width)))?;
        let height = c_int::try_from(image.height)
            .map_err(|_| failure(format!("height {} too large", image.height)))?;
        let dpi = c_int::try_from(raster.dpi)
            .map_err(|_| failure(format!("resolution {} too large", raster.dpi)))?;
        // The binding multiplies height by row length in a C int.
        if u64::from(image.width) * u64::from(image.height) > i32::MAX as u64 {
            return Err(failure(format!(
                "{}x{} pixels is more than Tesseract takes",
                image.width, image.height
            )));
        }
        let started = Instant::now();
        self.api
            .set_image(&image.pixels, width, height, 1, width)
            .map_err(|error| failure(error.to_string()))?;
        self.api.set_source_resolution(dpi);
        self.api
            .recognize()
            .map_err(|error| failure(error.to_string()))?;
        let tsv = self
            .api
            .get_tsv_text(0)
            .map_err(|error| failure(error.to_string()))?;
        let words = words_from_tsv(&tsv.as_ref().to_string_lossy());
        tracing::debug!(
            page = page_number,
            words = words.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "recognised page"
        );
        Ok(OcrPage {
            page_number,
            width_px: image.width,
            height_px: image.height,
            dpi: raster.dpi,
            dpi_reduced_from: raster.dpi_reduced_from,
            rotation_degrees,
            blank: false,
            mean_confidence: mean_confidence(&words),
            words,
        })
    }
}

/// Pages read with fewer words than this get an orientation check...
const ORIENTATION_CHECK_BELOW_WORDS: usize = 10;

/// ...and so do pages read at a lower mean confidence than this.
const ORIENTATION_CHECK_BELOW_CONFIDENCE: f32 = 0.6;

/// A page that was (nearly) one colour, and so was not recognised.
fn blank_page(raster: &PageRaster) -> OcrPage {
    OcrPage {
        page_number: raster.page_number,
        width_px: raster.image.width,
        height_px: raster.image.height,
        dpi: raster.dpi,
        dpi_reduced_from: raster.dpi_reduced_from,
        rotation_degrees: 0,
        blank: true,
        words: Vec::new(),
        mean_confidence: 0.0,
    }
}

/// The state of reading one document: pages so far, and whether the language is settled.
struct DocumentReader<'engine> {
    engine: &'engine mut OcrEngine,
    pages: Vec<OcrPage>,
    language_settled: bool,
    detected_language: Option<Language>,
}

impl<'engine> DocumentReader<'engine> {
    fn new(engine: &'engine mut OcrEngine) -> Result<Self, OcrError> {
        let language_settled = match &engine.config.languages {
            LanguagePolicy::Fixed(languages) => {
                let languages = languages.clone();
                engine.load(&languages)?;
                true
            }
            LanguagePolicy::Detect { first_pass } => {
                if engine.loaded.is_empty() {
                    let first_pass = first_pass.clone();
                    engine.load(&first_pass)?;
                }
                false
            }
        };
        Ok(Self {
            engine,
            pages: Vec::new(),
            language_settled,
            detected_language: None,
        })
    }

    fn read_page(&mut self, raster: PageRaster) -> Result<(), OcrError> {
        let mut page = self.engine.read_page(&raster)?;
        if !self.language_settled && !page.words.is_empty() {
            self.language_settled = true;
            self.detected_language = detect_language(&page.text());
            if let Some(language) = self.detected_language {
                if self.engine.loaded.first() != Some(&language) {
                    let wanted = languages_for(language);
                    tracing::debug!(
                        page = raster.page_number,
                        detected = language.tesseract_code(),
                        "re-reading the page with the detected language first"
                    );
                    self.engine.load(&wanted)?;
                    page = self
                        .engine
                        .recognise_turned(&raster, page.rotation_degrees)?;
                }
            }
        }
        self.pages.push(page);
        Ok(())
    }

    fn finish(self, all_blank: impl FnOnce(Vec<u32>) -> OcrError) -> Result<OcrDocument, OcrError> {
        if self.pages.iter().all(|page| page.blank) {
            return Err(all_blank(
                self.pages.iter().map(|page| page.page_number).collect(),
            ));
        }
        if self.pages.iter().all(|page| page.words.is_empty()) {
            return Err(OcrError::NoText);
        }
        Ok(OcrDocument {
            pages: self.pages,
            languages_used: self.engine.loaded.clone(),
            detected_language: self.detected_language,
        })
    }
}

/// The set to read a detected language with: itself first, then English for the product names
/// and English labels that invoices in every language carry.
fn languages_for(language: Language) -> Vec<Language> {
    if language == Language::English {
        vec![Language::English]
    } else {
        vec![language, Language::English]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_can_move_to_a_blocking_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<OcrEngine>();
    }

    #[test]
    fn a_detected_language_is_read_first_with_english_behind_it() {
        assert_eq!(languages_for(Language::English), [Language::English]);
        assert_eq!(
            languages_for(Language::Danish),
            [Language::Danish, Language::English]
        );
    }
}
