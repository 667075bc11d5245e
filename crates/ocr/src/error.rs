//! The errors of OCR, each with a stable code.

use stapel_domain::ErrorInfo;

/// Why a scanned document could not be read.
///
/// Every variant has a stable, dotted [`code`](OcrError::code); codes are added, never renamed.
/// Bad input (an unknown format, a broken or hostile file, a blank page) is a permanent failure
/// of that document; only [`OcrError::EngineInit`] and [`OcrError::Recognition`] point at the
/// machine (missing language data, a Tesseract failure) and are worth retrying elsewhere.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OcrError {
    /// The bytes are not one of the formats OCR reads (PDF, PNG, JPEG, TIFF, WebP).
    #[error("unsupported input format: {format}")]
    UnsupportedFormat {
        /// What the magic bytes said, e.g. "unknown" or "HEIC (no pure-Rust decoder)".
        format: String,
    },
    /// The image declares more pixels than the limits allow; it was not decoded.
    #[error("image is {width}x{height} pixels, more than the limit of {max_width}x{max_height}")]
    ImageTooLarge {
        /// Declared width in pixels.
        width: u32,
        /// Declared height in pixels.
        height: u32,
        /// The width limit.
        max_width: u32,
        /// The height limit.
        max_height: u32,
    },
    /// Decoding the image would allocate more memory than the limit allows.
    #[error("decoding the image needs more than {max_bytes} bytes of memory")]
    ImageNeedsTooMuchMemory {
        /// The allocation limit in bytes.
        max_bytes: u64,
    },
    /// The image is damaged or uses a feature the decoder does not support.
    #[error("image could not be decoded: {message}")]
    DecodeFailed {
        /// What the decoder said.
        message: String,
    },
    /// Every pixel of the image has (nearly) the same colour: there is nothing to read.
    #[error("the image is blank: (nearly) every pixel has the same colour")]
    BlankImage,
    /// The PDF's structure could not be read at all.
    #[error("PDF is corrupt: {message}")]
    PdfCorrupt {
        /// What went wrong.
        message: String,
    },
    /// The PDF is encrypted and cannot be opened with an empty password.
    #[error("PDF is encrypted: {message}")]
    PdfEncrypted {
        /// What the parser said.
        message: String,
    },
    /// The PDF parsed but has no pages (a broken page tree is read this way too).
    #[error("PDF has no pages")]
    NoPages,
    /// The requested page range is empty or goes beyond the document.
    #[error(
        "pages {first}..={last} requested, but the document has {page_count} pages (numbered from 1)"
    )]
    PageOutOfRange {
        /// First requested page (1-based).
        first: u32,
        /// Last requested page (1-based, inclusive).
        last: u32,
        /// Pages in the document.
        page_count: u32,
    },
    /// Every requested page rendered as a single colour. A truncated or damaged PDF renders
    /// this way without any error from the renderer, so this is reported, never read as "no
    /// text".
    #[error("PDF pages {pages:?} rendered blank (a truncated or damaged file renders this way)")]
    BlankRender {
        /// The blank pages (1-based).
        pages: Vec<u32>,
    },
    /// The PDF renderer panicked on this page (a damaged file, or a renderer bug).
    #[error("PDF renderer panicked on page {page}: {message}")]
    RenderPanic {
        /// The page (1-based).
        page: u32,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// Tesseract could not be initialised, usually because language data is missing.
    #[error("OCR engine could not be initialised for {languages}: {message}")]
    EngineInit {
        /// The Tesseract language string, such as `deu+eng`.
        languages: String,
        /// What failed.
        message: String,
    },
    /// Tesseract failed while recognising a page.
    #[error("OCR failed on page {page}: {message}")]
    Recognition {
        /// The page (1-based).
        page: u32,
        /// What failed.
        message: String,
    },
    /// The pages were not blank, but Tesseract recognised no word on any of them.
    #[error("OCR recognised no text")]
    NoText,
}

impl OcrError {
    /// The stable machine-readable code, such as `ocr.image_too_large`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedFormat { .. } => "ocr.unsupported_format",
            Self::ImageTooLarge { .. } | Self::ImageNeedsTooMuchMemory { .. } => {
                "ocr.image_too_large"
            }
            Self::DecodeFailed { .. } => "ocr.decode_failed",
            Self::BlankImage => "ocr.blank_image",
            Self::PdfCorrupt { .. } => "pdf.corrupt",
            Self::PdfEncrypted { .. } => "pdf.encrypted",
            Self::NoPages => "pdf.no_pages",
            Self::PageOutOfRange { .. } => "pdf.page_out_of_range",
            Self::BlankRender { .. } => "pdf.blank_render",
            Self::RenderPanic { .. } => "pdf.render_panic",
            Self::EngineInit { .. } => "ocr.engine_init_failed",
            Self::Recognition { .. } => "ocr.recognition_failed",
            Self::NoText => "ocr.no_text",
        }
    }

    /// The error as users see it: code plus sentence.
    pub fn to_error_info(&self) -> ErrorInfo {
        ErrorInfo::new(self.code(), self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dotted_snake_case() {
        let errors = [
            OcrError::UnsupportedFormat {
                format: "unknown".into(),
            },
            OcrError::NoPages,
            OcrError::BlankRender { pages: vec![1] },
            OcrError::NoText,
        ];
        for error in errors {
            let code = error.code();
            let (area, name) = code.split_once('.').unwrap();
            assert!(area == "ocr" || area == "pdf", "{code}");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }
}
