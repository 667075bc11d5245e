//! What kind of file the bytes are, from their magic bytes (never from a file name).

use crate::OcrError;

/// A format OCR can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// A PDF; pages are rendered with hayro, then recognised.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image (EXIF orientation is applied).
    Jpeg,
    /// A TIFF image; every page of a multi-page TIFF is read.
    Tiff,
    /// A WebP image.
    Webp,
}

/// Where a PDF header may start: the same tolerance as the text-layer reader in `stapel-extract`.
const PDF_HEADER_WINDOW: usize = 1024;

/// Detect the format from the magic bytes.
///
/// Formats that are recognised but not readable (HEIC/HEIF and AVIF phone photos, GIF, BMP) are
/// named in the [`OcrError::UnsupportedFormat`] message, so the user learns what to convert.
pub fn detect_format(bytes: &[u8]) -> Result<InputFormat, OcrError> {
    let unsupported = |format: &str| {
        Err(OcrError::UnsupportedFormat {
            format: format.to_owned(),
        })
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(InputFormat::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(InputFormat::Jpeg);
    }
    // Classic TIFF ("*" = 42) and BigTIFF ("+" = 43), both byte orders.
    if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        return Ok(InputFormat::Tiff);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(InputFormat::Webp);
    }
    let head = &bytes[..bytes.len().min(PDF_HEADER_WINDOW)];
    if head.windows(5).any(|window| window == b"%PDF-") {
        return Ok(InputFormat::Pdf);
    }
    // ISO base media files: a box size, then "ftyp" and the major brand.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                unsupported("HEIC/HEIF (no maintained pure-Rust decoder; convert to JPEG or PNG)")
            }
            b"avif" | b"avis" => unsupported("AVIF"),
            _ => unsupported("an ISO media file (video or HEIF variant)"),
        };
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return unsupported("GIF");
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        return unsupported("BMP");
    }
    if bytes.is_empty() {
        return unsupported("empty input");
    }
    unsupported("unknown (no known magic bytes)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_supported_formats_by_magic_bytes() {
        assert_eq!(
            detect_format(b"\x89PNG\r\n\x1a\nrest").unwrap(),
            InputFormat::Png
        );
        assert_eq!(
            detect_format(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            InputFormat::Jpeg
        );
        assert_eq!(detect_format(b"II*\0....").unwrap(), InputFormat::Tiff);
        assert_eq!(detect_format(b"MM\0*....").unwrap(), InputFormat::Tiff);
        assert_eq!(
            detect_format(b"RIFF\x10\0\0\0WEBPVP8 ").unwrap(),
            InputFormat::Webp
        );
        assert_eq!(detect_format(b"%PDF-1.7\n").unwrap(), InputFormat::Pdf);
        assert_eq!(
            detect_format(b"\r\n  junk before %PDF-1.4").unwrap(),
            InputFormat::Pdf
        );
    }

    #[test]
    fn names_heic_and_rejects_unknown_bytes() {
        let heic = detect_format(b"\0\0\0\x18ftypheic\0\0\0\0").unwrap_err();
        assert_eq!(heic.code(), "ocr.unsupported_format");
        assert!(heic.to_string().contains("HEIC"), "{heic}");
        let random = detect_format(&[7, 3, 99, 250, 1, 0, 42]).unwrap_err();
        assert_eq!(random.code(), "ocr.unsupported_format");
        assert_eq!(
            detect_format(b"").unwrap_err().code(),
            "ocr.unsupported_format"
        );
    }

    #[test]
    fn a_file_name_in_the_bytes_does_not_matter() {
        assert!(detect_format(b"invoice.png is what the user called it").is_err());
    }
}
