//! Orientation detection (sideways and upside-down scans and photos) with Tesseract's OSD.
//!
//! The `tesseract` binding has no call for `DetectOrientationScript`, so this is a small owner
//! of a second `TessBaseAPI`, initialised with `osd.traineddata` (legacy engine only), over
//! `tesseract-sys`. It finds 90-degree turns; small skew angles are left to Tesseract's own
//! line finding, which copes with a few degrees.
//!
//! OSD takes about as long as reading a page (0.4 to 0.5 s at 300 DPI, measured on 2 busy cores;
//! half the resolution saved little, a quarter made it guess), so the engine asks it only about
//! pages that read poorly. With raw pixels as input, Tesseract's OSD prints "Warning. Invalid
//! resolution 0 dpi. Using 70 instead." to stderr: its line remover reads the resolution from the
//! thresholded image, which a raw buffer does not carry, whatever `SetSourceResolution` says.
//! The verdicts were confident regardless (13.7 to 16.7 on the German sample, upright, sideways
//! and upside down).

use crate::raster::GreyImage;
use std::ffi::{c_char, c_int, CStr};
use std::ptr;
use tesseract_sys::{
    TessBaseAPI, TessBaseAPIClear, TessBaseAPICreate, TessBaseAPIDelete,
    TessBaseAPIDetectOrientationScript, TessBaseAPIInit2, TessBaseAPISetImage,
    TessBaseAPISetSourceResolution, TessOcrEngineMode_OEM_TESSERACT_ONLY,
};

/// Below this confidence an orientation verdict is ignored; Tesseract's own automatic mode
/// (`--psm 1`) uses the same margin (`min_orientation_margin`).
const MIN_CONFIDENCE: f32 = 7.0;

/// A `TessBaseAPI` loaded with the orientation model.
pub(crate) struct OrientationDetector {
    handle: *mut TessBaseAPI,
}

// SAFETY: a TessBaseAPI may be moved between threads; it is only unsafe to use from two threads
// at once, which `&mut self` on every use prevents.
unsafe impl Send for OrientationDetector {}

impl Drop for OrientationDetector {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is deleted exactly once.
        unsafe { TessBaseAPIDelete(self.handle) }
    }
}

impl OrientationDetector {
    /// Load `osd.traineddata`; `None` when it is missing or does not load.
    pub fn new(tessdata_dir: Option<&CStr>) -> Option<Self> {
        // SAFETY: TessBaseAPICreate has no preconditions; the result is owned by `detector`,
        // whose Drop deletes it even when Init fails.
        let detector = Self {
            handle: unsafe { TessBaseAPICreate() },
        };
        if detector.handle.is_null() {
            return None;
        }
        // SAFETY: the handle is valid; the strings are NUL-terminated and outlive the call
        // (Tesseract copies them).
        let status = unsafe {
            TessBaseAPIInit2(
                detector.handle,
                tessdata_dir.map_or(ptr::null(), CStr::as_ptr),
                c"osd".as_ptr(),
                TessOcrEngineMode_OEM_TESSERACT_ONLY,
            )
        };
        (status == 0).then_some(detector)
    }

    /// How far the image must be turned clockwise to be upright (0, 90, 180 or 270), with
    /// Tesseract's confidence; `None` when OSD found too little text to say.
    pub fn detect(&mut self, image: &GreyImage, dpi: u32) -> Option<Orientation> {
        let width = c_int::try_from(image.width).ok()?;
        let height = c_int::try_from(image.height).ok()?;
        let dpi = c_int::try_from(dpi).ok()?;
        if image.pixels.len() < image.width as usize * image.height as usize {
            return None;
        }
        let mut degrees: c_int = 0;
        let mut confidence: f32 = 0.0;
        let mut script: *const c_char = ptr::null();
        let mut script_confidence: f32 = 0.0;
        // SAFETY: the pixel buffer holds width * height bytes (checked above) with one byte per
        // pixel and `width` bytes per row; SetImage copies it. The out-pointers point to locals;
        // the script name points into Tesseract's static table and is not freed.
        let found = unsafe {
            TessBaseAPISetImage(self.handle, image.pixels.as_ptr(), width, height, 1, width);
            TessBaseAPISetSourceResolution(self.handle, dpi);
            let found = TessBaseAPIDetectOrientationScript(
                self.handle,
                &mut degrees,
                &mut confidence,
                &mut script,
                &mut script_confidence,
            );
            TessBaseAPIClear(self.handle);
            found
        };
        if found == 0 {
            return None;
        }
        // Tesseract reports how far the text is turned clockwise (a page scanned a quarter turn
        // clockwise gives 90); turning it back is the rest of the full circle. Checked by the
        // `turns_a_sideways_scan_upright` test.
        let rotate_clockwise = match degrees.rem_euclid(360) {
            90 => 270,
            180 => 180,
            270 => 90,
            _ => 0,
        };
        Some(Orientation {
            rotate_clockwise,
            confidence,
        })
    }
}

/// What OSD said about a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Orientation {
    /// Turn the page this far clockwise to make it upright.
    pub rotate_clockwise: u32,
    /// Tesseract's confidence in the verdict (unbounded; above 7 is reliable).
    pub confidence: f32,
}

impl Orientation {
    /// The turn to apply: none unless the verdict is confident.
    pub fn correction(self) -> u32 {
        if self.confidence >= MIN_CONFIDENCE {
            self.rotate_clockwise
        } else {
            0
        }
    }
}
