//! The page image handed to Tesseract: 8-bit grey pixels and their resolution.

/// A page as 8-bit grey pixels, one byte per pixel, rows top to bottom, no padding.
///
/// Tesseract binarises grey itself (Otsu), so colour would only cost memory: an A4 page at
/// 300 DPI is 8.7 MB grey against 35 MB as RGBA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GreyImage {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// A page ready for recognition.
#[derive(Debug)]
pub(crate) struct PageRaster {
    /// 1-based page number within the document.
    pub page_number: u32,
    pub image: GreyImage,
    /// The resolution the pixels have (for Tesseract's size heuristics).
    pub dpi: u32,
    /// The resolution that was asked for, when the page was too large and had to be rendered at
    /// `dpi` instead.
    pub dpi_reduced_from: Option<u32>,
}

/// Pixels further than this from the page's dominant grey count as ink.
const INK_DIFFERENCE: u8 = 48;

/// A page is blank when fewer than one pixel in this many is ink. At 300 DPI an A4 page has
/// 8.7 million pixels, so fewer than about 430 ink pixels: less than two printed characters.
const BLANK_INK_RATIO: u64 = 20_000;

impl GreyImage {
    /// Convert premultiplied RGBA, rendered onto an opaque white background, to grey
    /// (ITU-R BT.601 weights in fixed point).
    pub fn from_rgba(width: u32, height: u32, rgba: &[u8]) -> Self {
        let pixels = rgba
            .chunks_exact(4)
            .map(|pixel| luma(pixel[0], pixel[1], pixel[2]))
            .collect();
        Self {
            width,
            height,
            pixels,
        }
    }

    /// Whether (nearly) every pixel has the same grey: a blank sheet, or what a truncated PDF
    /// renders as. Works for dark backgrounds too, since it compares with the dominant value.
    pub fn is_blank(&self) -> bool {
        let mut histogram = [0u64; 256];
        for &pixel in &self.pixels {
            histogram[usize::from(pixel)] += 1;
        }
        let dominant = histogram
            .iter()
            .enumerate()
            .max_by_key(|(_, count)| **count)
            .map_or(0, |(value, _)| value as u8);
        let ink: u64 = histogram
            .iter()
            .enumerate()
            .filter(|(value, _)| (*value as u8).abs_diff(dominant) > INK_DIFFERENCE)
            .map(|(_, count)| count)
            .sum();
        let total = self.pixels.len() as u64;
        ink.saturating_mul(BLANK_INK_RATIO) < total
    }

    /// The image turned clockwise by `degrees` (0, 90, 180 or 270; anything else is 0).
    pub fn rotated_clockwise(&self, degrees: u32) -> Self {
        let (width, height) = (self.width as usize, self.height as usize);
        let source = |x: usize, y: usize| self.pixels[y * width + x];
        match degrees {
            90 => {
                // New size height x width; new (x, y) comes from old (y, height - 1 - x).
                let mut pixels = Vec::with_capacity(self.pixels.len());
                for new_y in 0..width {
                    for new_x in 0..height {
                        pixels.push(source(new_y, height - 1 - new_x));
                    }
                }
                Self {
                    width: self.height,
                    height: self.width,
                    pixels,
                }
            }
            180 => {
                let mut pixels = self.pixels.clone();
                pixels.reverse();
                Self {
                    width: self.width,
                    height: self.height,
                    pixels,
                }
            }
            270 => {
                // New (x, y) comes from old (width - 1 - y, x).
                let mut pixels = Vec::with_capacity(self.pixels.len());
                for new_y in 0..width {
                    for new_x in 0..height {
                        pixels.push(source(width - 1 - new_y, new_x));
                    }
                }
                Self {
                    width: self.height,
                    height: self.width,
                    pixels,
                }
            }
            _ => self.clone(),
        }
    }
}

/// ITU-R BT.601 luma in 8-bit fixed point (the weights sum to 256).
pub(crate) fn luma(red: u8, green: u8, blue: u8) -> u8 {
    ((u32::from(red) * 77 + u32::from(green) * 150 + u32::from(blue) * 29) >> 8) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32, pixels: &[u8]) -> GreyImage {
        GreyImage {
            width,
            height,
            pixels: pixels.to_vec(),
        }
    }

    #[test]
    fn white_and_black_map_to_the_ends_of_the_grey_scale() {
        let grey = GreyImage::from_rgba(2, 1, &[255, 255, 255, 255, 0, 0, 0, 255]);
        assert_eq!(grey.pixels, vec![255, 0]);
    }

    #[test]
    fn a_uniform_page_is_blank_and_a_page_with_ink_is_not() {
        let white = image(300, 300, &[255; 90_000]);
        assert!(white.is_blank());
        let grey_noise: Vec<u8> = (0..90_000).map(|i| 200 + (i % 20) as u8).collect();
        assert!(image(300, 300, &grey_noise).is_blank());
        let mut text = vec![255u8; 90_000];
        for pixel in text.iter_mut().skip(1000).step_by(97).take(500) {
            *pixel = 0;
        }
        assert!(!image(300, 300, &text).is_blank());
        // White text on black counts as ink too.
        let mut inverted = vec![0u8; 90_000];
        inverted[..500].fill(255);
        assert!(!image(300, 300, &inverted).is_blank());
    }

    #[test]
    fn rotations_move_the_corners_where_expected() {
        // 3 wide, 2 high:
        // 1 2 3
        // 4 5 6
        let original = image(3, 2, &[1, 2, 3, 4, 5, 6]);
        let clockwise = original.rotated_clockwise(90);
        assert_eq!((clockwise.width, clockwise.height), (2, 3));
        assert_eq!(clockwise.pixels, vec![4, 1, 5, 2, 6, 3]);
        assert_eq!(
            original.rotated_clockwise(180).pixels,
            vec![6, 5, 4, 3, 2, 1]
        );
        let counter = original.rotated_clockwise(270);
        assert_eq!(counter.pixels, vec![3, 6, 2, 5, 1, 4]);
        assert_eq!(counter.rotated_clockwise(90), original);
        assert_eq!(original.rotated_clockwise(0), original);
    }
}
