//! Scanner-like PDFs built from a page image: fixtures for tests and benchmarks of the scan
//! path (a real scanner's PDF is an image per page, often with a text layer of its own).

use crate::OcrError;

/// An A4 PDF of `pages` pages, each showing `png` (re-encoded as a JPEG, as scanners do), with
/// `text` as an optional text layer at the foot of each page.
pub fn scanned_pdf(png: &[u8], text: Option<&str>, pages: usize) -> Result<Vec<u8>, OcrError> {
    let decode_failed = |error: image::ImageError| OcrError::DecodeFailed {
        message: error.to_string(),
    };
    let image = image::load_from_memory(png)
        .map_err(decode_failed)?
        .to_luma8();
    let (width, height) = image.dimensions();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&image)
        .map_err(decode_failed)?;
    let mut content = b"q 595 0 0 842 0 0 cm /Im0 Do Q".to_vec();
    if let Some(text) = text {
        content.extend_from_slice(format!("\nBT /F1 9 Tf 50 20 Td ({text}) Tj ET").as_bytes());
    }
    // Objects 1-6 as for one page; pages 2.. are objects 7.. sharing the image and content.
    let kids: Vec<String> = std::iter::once("3 0 R".to_owned())
        .chain((1..pages).map(|extra| format!("{} 0 R", 6 + extra)))
        .collect();
    let page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>".to_vec();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")).into_bytes(),
        page.clone(),
        [
            format!(
                "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
                jpeg.len()
            )
            .into_bytes(),
            jpeg,
            b"\nendstream".to_vec(),
        ]
        .concat(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content,
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ];
    objects.extend(std::iter::repeat_n(page, pages.saturating_sub(1)));
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    Ok(pdf)
}
