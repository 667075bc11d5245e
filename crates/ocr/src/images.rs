//! Decode scanned images (PNG, JPEG, TIFF with all its pages, WebP) to grey, with bounds.
//!
//! A decompression bomb is a small file that declares a huge image: a 30000 x 30000 PNG of one
//! colour compresses to a few hundred kilobytes and would decode to 3.6 GB. The declared size is
//! checked against [`ImageLimits`] *before* any pixel is decoded, and the decoders get the same
//! limits plus an allocation cap, so a file that lies about its size fails too.
//!
//! PNG, JPEG and WebP go through the `image` crate (which also applies a JPEG's EXIF
//! orientation, so phone photos come out upright). TIFF goes through the `tiff` crate directly,
//! because `image` reads only the first page of a multi-page TIFF, and scanners and fax servers
//! write one file per document.

use crate::format::InputFormat;
use crate::raster::{luma, GreyImage, PageRaster};
use crate::OcrError;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use std::io::Cursor;
use std::ops::RangeInclusive;
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult, Limits as TiffLimits};
use tiff::tags::Tag;
use tiff::ColorType as TiffColorType;

/// Bounds for decoding an image, checked before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Widest image accepted, in pixels. 20000 px is an A4 page at 2400 DPI, far beyond any
    /// scanner setting that helps OCR.
    pub max_width: u32,
    /// Tallest image accepted, in pixels.
    pub max_height: u32,
    /// Most memory one decode may allocate, in bytes; bounds what a file that lies about its
    /// size, or a 16-bit RGBA image within the pixel limits, can cost.
    pub max_alloc_bytes: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_width: 20_000,
            max_height: 20_000,
            max_alloc_bytes: 512 * 1024 * 1024,
        }
    }
}

/// Resolutions outside this range in an image's metadata are treated as missing (a common value
/// is 1, or 72 written by software that does not know).
const PLAUSIBLE_DPI: std::ops::RangeInclusive<u32> = 100..=1200;

/// The long side of A4, in inches, used to guess the resolution of an image without one.
const A4_LONG_SIDE_INCHES: f64 = 11.69;

/// Most pages counted in one TIFF: far more than any scan, few enough that a file whose page
/// chain is built to be endless is refused quickly.
pub const MAX_TIFF_PAGES: u32 = 100_000;

/// Count the pages of an image: the pages of a TIFF, one for any other format. Only the TIFF
/// directories are read, no pixels, so a long multi-page scan can be measured (and split)
/// before any page is decoded.
pub fn image_page_count(bytes: &[u8]) -> Result<u32, OcrError> {
    match crate::format::detect_format(bytes)? {
        InputFormat::Tiff => {}
        InputFormat::Pdf => {
            return Err(OcrError::UnsupportedFormat {
                format: "PDF (count it with pdf_page_count)".to_owned(),
            })
        }
        _ => return Ok(1),
    }
    let limits = ImageLimits::default();
    let mut decoder =
        TiffDecoder::new(Cursor::new(bytes)).map_err(|error| tiff_error(error, &limits))?;
    let mut pages = 1u32;
    while decoder.more_images() {
        if pages >= MAX_TIFF_PAGES {
            return Err(OcrError::DecodeFailed {
                message: format!("the TIFF has more than {MAX_TIFF_PAGES} pages"),
            });
        }
        decoder
            .next_image()
            .map_err(|error| tiff_error(error, &limits))?;
        pages += 1;
    }
    Ok(pages)
}

/// Decode the pages of the image in `pages` (1-based; an image other than a TIFF has one) and
/// hand each to `visit`, in order. Pages of a TIFF before the range are skipped without
/// decoding their pixels.
pub(crate) fn for_each_page(
    bytes: &[u8],
    format: InputFormat,
    pages: RangeInclusive<u32>,
    limits: &ImageLimits,
    visit: &mut dyn FnMut(PageRaster) -> Result<(), OcrError>,
) -> Result<(), OcrError> {
    let image_format = match format {
        InputFormat::Png => ImageFormat::Png,
        InputFormat::Jpeg => ImageFormat::Jpeg,
        InputFormat::Webp => ImageFormat::WebP,
        InputFormat::Tiff => return for_each_tiff_page(bytes, pages, limits, visit),
        InputFormat::Pdf => {
            return Err(OcrError::UnsupportedFormat {
                format: "PDF (read it with OcrEngine::ocr_pdf)".to_owned(),
            })
        }
    };
    if !pages.contains(&1) {
        return Err(OcrError::PageOutOfRange {
            first: *pages.start(),
            last: *pages.end(),
            page_count: 1,
        });
    }
    let image = decode_with_image_crate(bytes, image_format, limits)?;
    let metadata_dpi = match format {
        InputFormat::Png => png_dpi(bytes),
        InputFormat::Jpeg => jfif_dpi(bytes),
        _ => None,
    };
    let dpi = resolution_or_estimate(metadata_dpi, image.width, image.height);
    visit(PageRaster {
        page_number: 1,
        image,
        dpi,
        dpi_reduced_from: None,
    })
}

fn check_dimensions(width: u32, height: u32, limits: &ImageLimits) -> Result<(), OcrError> {
    if width > limits.max_width || height > limits.max_height {
        return Err(OcrError::ImageTooLarge {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    if width == 0 || height == 0 {
        return Err(OcrError::DecodeFailed {
            message: format!("the image is {width}x{height} pixels"),
        });
    }
    Ok(())
}

fn decode_with_image_crate(
    bytes: &[u8],
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<GreyImage, OcrError> {
    let map_error = |error| image_error(error, limits);
    // Reading the dimensions parses only the header.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(map_error)?;
    check_dimensions(width, height, limits)?;

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_width);
    decoder_limits.max_image_height = Some(limits.max_height);
    decoder_limits.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(map_error)?;
    // A phone stores the sensor's orientation in EXIF; a missing or unreadable tag is upright.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(map_error)?;
    image.apply_orientation(orientation);
    Ok(to_grey_on_white(image))
}

/// Grey pixels, with transparent areas shown on white (a screenshot with a transparent
/// background would otherwise turn black, text and all).
fn to_grey_on_white(image: DynamicImage) -> GreyImage {
    let (width, height) = (image.width(), image.height());
    if image.color().has_alpha() {
        let rgba = image.into_rgba8();
        let pixels = rgba
            .as_raw()
            .chunks_exact(4)
            .map(|pixel| on_white(luma(pixel[0], pixel[1], pixel[2]), pixel[3]))
            .collect();
        GreyImage {
            width,
            height,
            pixels,
        }
    } else {
        GreyImage {
            width,
            height,
            pixels: image.into_luma8().into_raw(),
        }
    }
}

/// Composite a grey value with straight alpha onto white.
fn on_white(grey: u8, alpha: u8) -> u8 {
    let (grey, alpha) = (u32::from(grey), u32::from(alpha));
    ((grey * alpha + 255 * (255 - alpha) + 127) / 255) as u8
}

fn image_error(error: ImageError, limits: &ImageLimits) -> OcrError {
    match error {
        ImageError::Limits(limit) => match limit.kind() {
            image::error::LimitErrorKind::DimensionError => OcrError::ImageTooLarge {
                width: 0,
                height: 0,
                max_width: limits.max_width,
                max_height: limits.max_height,
            },
            _ => OcrError::ImageNeedsTooMuchMemory {
                max_bytes: limits.max_alloc_bytes,
            },
        },
        other => OcrError::DecodeFailed {
            message: other.to_string(),
        },
    }
}

fn for_each_tiff_page(
    bytes: &[u8],
    pages: RangeInclusive<u32>,
    limits: &ImageLimits,
    visit: &mut dyn FnMut(PageRaster) -> Result<(), OcrError>,
) -> Result<(), OcrError> {
    let mut tiff_limits = TiffLimits::default();
    let max_alloc = usize::try_from(limits.max_alloc_bytes).unwrap_or(usize::MAX);
    tiff_limits.decoding_buffer_size = max_alloc;
    tiff_limits.intermediate_buffer_size = max_alloc;
    let mut decoder = TiffDecoder::new(Cursor::new(bytes))
        .map_err(|error| tiff_error(error, limits))?
        .with_limits(tiff_limits);
    let mut page_number = 1u32;
    loop {
        if page_number > *pages.end() {
            return Ok(());
        }
        if page_number < *pages.start() {
            if !decoder.more_images() {
                return Err(OcrError::PageOutOfRange {
                    first: *pages.start(),
                    last: *pages.end(),
                    page_count: page_number,
                });
            }
            decoder
                .next_image()
                .map_err(|error| tiff_error(error, limits))?;
            page_number += 1;
            continue;
        }
        let (width, height) = decoder
            .dimensions()
            .map_err(|error| tiff_error(error, limits))?;
        check_dimensions(width, height, limits)?;
        let color = decoder
            .colortype()
            .map_err(|error| tiff_error(error, limits))?;
        let metadata_dpi = tiff_dpi(&mut decoder);
        let mut buffer = DecodingResult::U8(Vec::new());
        let layout = decoder
            .read_image_to_buffer(&mut buffer)
            .map_err(|error| tiff_error(error, limits))?;
        if layout.planes > 1 {
            return Err(OcrError::DecodeFailed {
                message: format!("page {page_number}: planar TIFF ({color:?}) is not supported"),
            });
        }
        let image = tiff_to_grey(width, height, color, &buffer).map_err(|message| {
            OcrError::DecodeFailed {
                message: format!("page {page_number}: {message}"),
            }
        })?;
        let dpi = resolution_or_estimate(metadata_dpi, width, height);
        visit(PageRaster {
            page_number,
            image,
            dpi,
            dpi_reduced_from: None,
        })?;
        if !decoder.more_images() {
            return Ok(());
        }
        decoder
            .next_image()
            .map_err(|error| tiff_error(error, limits))?;
        page_number += 1;
    }
}

fn tiff_error(error: tiff::TiffError, limits: &ImageLimits) -> OcrError {
    match error {
        tiff::TiffError::LimitsExceeded => OcrError::ImageNeedsTooMuchMemory {
            max_bytes: limits.max_alloc_bytes,
        },
        other => OcrError::DecodeFailed {
            message: other.to_string(),
        },
    }
}

/// Convert one decoded TIFF page to grey. `tiff` has already inverted WhiteIsZero images, so 0
/// is black everywhere here.
fn tiff_to_grey(
    width: u32,
    height: u32,
    color: TiffColorType,
    buffer: &DecodingResult,
) -> Result<GreyImage, String> {
    let pixel_count = width as usize * height as usize;
    let too_short = |needed: usize, got: usize| {
        format!("{color:?} image of {width}x{height} needs {needed} samples, decoder gave {got}")
    };
    let pixels: Vec<u8> = match (color, buffer) {
        (TiffColorType::Gray(1), DecodingResult::U8(packed)) => {
            // Bilevel (fax) pages: rows of packed bits, each row padded to a whole byte.
            let row_bytes = (width as usize).div_ceil(8);
            if packed.len() < row_bytes * height as usize {
                return Err(too_short(row_bytes * height as usize, packed.len()));
            }
            let mut pixels = Vec::with_capacity(pixel_count);
            for row in packed.chunks_exact(row_bytes).take(height as usize) {
                for x in 0..width as usize {
                    let bit = (row[x / 8] >> (7 - x % 8)) & 1;
                    pixels.push(if bit == 1 { 255 } else { 0 });
                }
            }
            pixels
        }
        (TiffColorType::Gray(8), DecodingResult::U8(samples)) => samples
            .get(..pixel_count)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| too_short(pixel_count, samples.len()))?,
        (TiffColorType::Gray(16), DecodingResult::U16(samples)) => samples
            .get(..pixel_count)
            .ok_or_else(|| too_short(pixel_count, samples.len()))?
            .iter()
            .map(|sample| (sample >> 8) as u8)
            .collect(),
        (TiffColorType::GrayA(8), DecodingResult::U8(samples)) => samples
            .get(..pixel_count * 2)
            .ok_or_else(|| too_short(pixel_count * 2, samples.len()))?
            .chunks_exact(2)
            .map(|pixel| on_white(pixel[0], pixel[1]))
            .collect(),
        (TiffColorType::RGB(8), DecodingResult::U8(samples)) => samples
            .get(..pixel_count * 3)
            .ok_or_else(|| too_short(pixel_count * 3, samples.len()))?
            .chunks_exact(3)
            .map(|pixel| luma(pixel[0], pixel[1], pixel[2]))
            .collect(),
        (TiffColorType::RGB(16), DecodingResult::U16(samples)) => samples
            .get(..pixel_count * 3)
            .ok_or_else(|| too_short(pixel_count * 3, samples.len()))?
            .chunks_exact(3)
            .map(|pixel| {
                luma(
                    (pixel[0] >> 8) as u8,
                    (pixel[1] >> 8) as u8,
                    (pixel[2] >> 8) as u8,
                )
            })
            .collect(),
        (TiffColorType::RGBA(8), DecodingResult::U8(samples)) => samples
            .get(..pixel_count * 4)
            .ok_or_else(|| too_short(pixel_count * 4, samples.len()))?
            .chunks_exact(4)
            .map(|pixel| on_white(luma(pixel[0], pixel[1], pixel[2]), pixel[3]))
            .collect(),
        (TiffColorType::CMYK(8), DecodingResult::U8(samples)) => samples
            .get(..pixel_count * 4)
            .ok_or_else(|| too_short(pixel_count * 4, samples.len()))?
            .chunks_exact(4)
            .map(|pixel| {
                let key = 255 - u32::from(pixel[3]);
                let channel = |ink: u8| ((255 - u32::from(ink)) * key / 255) as u8;
                luma(channel(pixel[0]), channel(pixel[1]), channel(pixel[2]))
            })
            .collect(),
        (other, _) => return Err(format!("TIFF colour type {other:?} is not supported")),
    };
    Ok(GreyImage {
        width,
        height,
        pixels,
    })
}

/// The page's XResolution in dots per inch, if it has one.
fn tiff_dpi(decoder: &mut TiffDecoder<Cursor<&[u8]>>) -> Option<u32> {
    let (numerator, denominator) = match decoder.find_tag(Tag::XResolution).ok()?? {
        tiff::decoder::ifd::Value::Rational(numerator, denominator) => {
            (f64::from(numerator), f64::from(denominator))
        }
        _ => return None,
    };
    if denominator == 0.0 {
        return None;
    }
    let per_unit = numerator / denominator;
    // ResolutionUnit: 2 (the default) is inch, 3 is centimetre, 1 is "no unit".
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    match unit {
        2 => dpi_from_f64(per_unit),
        3 => dpi_from_f64(per_unit * 2.54),
        _ => None,
    }
}

/// The resolution from a PNG's `pHYs` chunk (pixels per metre), if it has one.
fn png_dpi(bytes: &[u8]) -> Option<u32> {
    let mut rest = bytes.get(8..)?;
    // pHYs must come before the first IDAT; stop there.
    while rest.len() >= 12 {
        let length = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
        let kind = &rest[4..8];
        let data = rest.get(8..8usize.checked_add(length)?)?;
        match kind {
            b"pHYs" if data.len() >= 9 && data[8] == 1 => {
                let per_metre = u32::from_be_bytes(data[..4].try_into().ok()?);
                return dpi_from_f64(f64::from(per_metre) * 0.0254);
            }
            b"IDAT" | b"IEND" => return None,
            _ => {}
        }
        rest = rest.get(12usize.checked_add(length)?..)?;
    }
    None
}

/// The resolution from a JPEG's JFIF header, if it has one with a unit.
fn jfif_dpi(bytes: &[u8]) -> Option<u32> {
    // FF D8, then an APP0 segment: FF E0, length, "JFIF\0", version (2), unit, x density (2).
    let segment = bytes.get(2..18)?;
    if segment[..2] != [0xFF, 0xE0] || &segment[4..9] != b"JFIF\0" {
        return None;
    }
    let unit = segment[11];
    let density = f64::from(u16::from_be_bytes([segment[12], segment[13]]));
    match unit {
        1 => dpi_from_f64(density),
        2 => dpi_from_f64(density * 2.54),
        _ => None,
    }
}

fn dpi_from_f64(dpi: f64) -> Option<u32> {
    (1.0..=100_000.0).contains(&dpi).then(|| dpi.round() as u32)
}

/// The metadata resolution when it is plausible, else a guess that the image shows an A4 page
/// filling the frame (a phone photo of 4032 x 3024 px gives 345 DPI). Tesseract uses the
/// resolution for its size heuristics and warns and guesses badly without one.
fn resolution_or_estimate(metadata_dpi: Option<u32>, width: u32, height: u32) -> u32 {
    if let Some(dpi) = metadata_dpi.filter(|dpi| PLAUSIBLE_DPI.contains(dpi)) {
        return dpi;
    }
    let long_side = f64::from(width.max(height));
    ((long_side / A4_LONG_SIDE_INCHES).round() as u32).clamp(70, 600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparent_pixels_become_white() {
        assert_eq!(on_white(0, 0), 255);
        assert_eq!(on_white(0, 255), 0);
        assert_eq!(on_white(100, 255), 100);
    }

    #[test]
    fn resolution_comes_from_metadata_or_the_page_size() {
        assert_eq!(resolution_or_estimate(Some(300), 2480, 3508), 300);
        // 72 DPI is what software writes when it does not know; a scan is not that coarse.
        assert_eq!(resolution_or_estimate(Some(72), 2480, 3508), 300);
        assert_eq!(resolution_or_estimate(None, 4032, 3024), 345);
        assert_eq!(resolution_or_estimate(None, 100, 50), 70);
    }

    #[test]
    fn reads_bilevel_tiff_rows_with_padding() {
        // 10 px wide: two bytes per row, the last 6 bits padding.
        let packed = vec![0b1000_0000, 0b0100_0000, 0b0000_0000, 0b1100_0000];
        let grey =
            tiff_to_grey(10, 2, TiffColorType::Gray(1), &DecodingResult::U8(packed)).unwrap();
        assert_eq!(grey.pixels.len(), 20);
        assert_eq!(grey.pixels[0], 255);
        assert_eq!(grey.pixels[1], 0);
        assert_eq!(grey.pixels[9], 255);
        assert_eq!(&grey.pixels[10..18], &[0; 8]);
        assert_eq!(&grey.pixels[18..], &[255, 255]);
    }

    #[test]
    fn a_short_tiff_buffer_is_an_error_not_a_panic() {
        let result = tiff_to_grey(
            10,
            10,
            TiffColorType::RGB(8),
            &DecodingResult::U8(vec![0; 5]),
        );
        assert!(result.is_err());
    }

    /// A little-endian TIFF whose only IFD declares `width` x `height` 8-bit grey pixels in one
    /// strip of `strip` bytes.
    fn tiff_declaring(width: u32, height: u32, strip: &[u8]) -> Vec<u8> {
        let entries: [(u16, u16, u32); 8] = [
            (256, 4, width),              // ImageWidth, LONG
            (257, 4, height),             // ImageLength, LONG
            (258, 3, 8),                  // BitsPerSample, SHORT
            (259, 3, 1),                  // Compression: none
            (262, 3, 1),                  // PhotometricInterpretation: BlackIsZero
            (273, 4, 0),                  // StripOffsets, patched below
            (278, 4, height),             // RowsPerStrip
            (279, 4, strip.len() as u32), // StripByteCounts
        ];
        let mut tiff = b"II*\0".to_vec();
        tiff.extend_from_slice(&8u32.to_le_bytes());
        tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        let strip_offset = 8 + 2 + entries.len() as u32 * 12 + 4;
        for (tag, kind, value) in entries {
            let value = if tag == 273 { strip_offset } else { value };
            tiff.extend_from_slice(&tag.to_le_bytes());
            tiff.extend_from_slice(&kind.to_le_bytes());
            tiff.extend_from_slice(&1u32.to_le_bytes());
            if kind == 3 {
                tiff.extend_from_slice(&(value as u16).to_le_bytes());
                tiff.extend_from_slice(&[0, 0]);
            } else {
                tiff.extend_from_slice(&value.to_le_bytes());
            }
        }
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(strip);
        tiff
    }

    fn pages_of(bytes: &[u8], format: InputFormat) -> Result<Vec<PageRaster>, OcrError> {
        let mut pages = Vec::new();
        for_each_page(
            bytes,
            format,
            1..=u32::MAX,
            &ImageLimits::default(),
            &mut |page| {
                pages.push(page);
                Ok(())
            },
        )?;
        Ok(pages)
    }

    #[test]
    fn a_tiff_declaring_a_huge_page_is_refused_before_decoding() {
        let bomb = tiff_declaring(100_000, 100_000, &[0; 16]);
        let error = pages_of(&bomb, InputFormat::Tiff).unwrap_err();
        assert!(
            matches!(error, OcrError::ImageTooLarge { width: 100_000, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_small_hand_made_tiff_decodes_and_a_cut_one_fails_cleanly() {
        let tiff = tiff_declaring(4, 2, &[0, 64, 128, 255, 255, 255, 255, 255]);
        let pages = pages_of(&tiff, InputFormat::Tiff).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(
            pages[0].image.pixels,
            vec![0, 64, 128, 255, 255, 255, 255, 255]
        );
        for length in [tiff.len() - 3, 20, 9] {
            let error = pages_of(&tiff[..length], InputFormat::Tiff).unwrap_err();
            assert_eq!(error.code(), "ocr.decode_failed", "{length}: {error}");
        }
    }

    #[test]
    fn reads_png_and_jfif_resolution() {
        // pHYs of 11811 px/m is 300 DPI.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0, 0, 0, 9]);
        png.extend_from_slice(b"pHYs");
        png.extend_from_slice(&11811u32.to_be_bytes());
        png.extend_from_slice(&11811u32.to_be_bytes());
        png.push(1);
        png.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(png_dpi(&png), Some(300));
        let jfif = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 1, 0x01, 0x2C, 0x01,
            0x2C,
        ];
        assert_eq!(jfif_dpi(&jfif), Some(300));
        assert_eq!(jfif_dpi(&[0xFF, 0xD8]), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_damaged_images(
            header in 0usize..4,
            cut in 0usize..4096,
            noise in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            at in 0usize..4096,
        ) {
            let valid = match header {
                0 => tiff_declaring(8, 8, &[200; 64]),
                1 => encode_png(),
                2 => b"RIFF\x30\0\0\0WEBPVP8 \x24\0\0\0".to_vec(),
                _ => vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0],
            };
            let mut bytes = valid[..cut.min(valid.len())].to_vec();
            let at = at.min(bytes.len());
            bytes.splice(at..at, noise);
            if let Ok(format) = crate::detect_format(&bytes) {
                if format != InputFormat::Pdf {
                    let _ = pages_of(&bytes, format);
                }
            }
        }
    }

    fn encode_png() -> Vec<u8> {
        let image = image::GrayImage::from_fn(16, 16, |x, y| image::Luma([(x * y) as u8]));
        let mut bytes = Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, ImageFormat::Png)
            .expect("encoding a PNG in memory");
        bytes.into_inner()
    }
}
