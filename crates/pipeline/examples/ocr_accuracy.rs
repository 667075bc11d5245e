//! Field-extraction accuracy on synthetic scans: text-layer invoices rendered to page images,
//! degraded the way a scanner degrades them, read by OCR and parsed like any scan.
//!
//! ```sh
//! python3 bench/synth/generate.py /tmp/synth-ocr --count 60 --seed 5
//! cargo run --release -p stapel-pipeline --example ocr_accuracy -- /tmp/synth-ocr [--seed S]
//!     [--limit N] [--clean] [--dump DIR]
//! ```
//!
//! Every `DIR/*.pdf` with a `<name>.expected.json` beside it (the synthetic generator's output,
//! `bench/synth/`) is rendered page by page with `stapel_ocr::render_page_png` at a resolution
//! drawn per document from 150, 200 and 300 DPI. Each page is then degraded: turned by up to
//! ±1.5° (bilinear, on the grey pixels), blurred with a 3×3 box filter on about half the pages,
//! given Gaussian noise and salt-and-pepper specks, and re-encoded as JPEG at quality 50 to 85.
//! Every draw comes from `--seed` and the file name, so a rerun sees the same pixels; `--clean`
//! skips the degradation (same resolutions), so clean and degraded runs compare like for like.
//!
//! Each page image goes through `stapel_pipeline::ocr::ocr_pages`, the worker's OCR reader
//! (in-process here, without the child), the page readings are joined with `OcrReading::join`
//! and parsed with `stapel_extract::parse_pdf_text`, as the worker parses a scan. The comparison
//! rules are those of `crates/extract/examples/accuracy.rs` (exact match after normalising;
//! credit notes by magnitude; an `amount_due` of `null` in the truth means the gross total).
//!
//! Prints one line per document, per-field right / missing / wrong, the core and other shares,
//! the mean OCR confidence, seconds per page (the `ocr_pages` call: engine start-up, language
//! detection and any re-read included, as for a one-page scan in the worker), and every miss,
//! marked when the expected value does not appear in the OCR text at all (an OCR error rather
//! than a parser error). `--dump DIR` writes each document's OCR text and page images there.
//!
//! The process restarts itself with `OMP_THREAD_LIMIT=1` when it was not started with it.

#[path = "../../extract/examples/scoring/mod.rs"]
mod scoring;

use scoring::{
    print_field_table, print_misses, read_expected_json, score, share, FieldResult, CORE_FIELDS,
};
use stapel_pipeline::ocr::{ocr_pages, OcrReading, PageSelection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The resolutions a document is rendered at, one drawn per document.
const RESOLUTIONS: [u32; 3] = [150, 200, 300];

/// What the command line asks for.
struct Options {
    dir: PathBuf,
    limit: Option<usize>,
    seed: u64,
    clean: bool,
    dump: Option<PathBuf>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Err(error) = stapel_ocr::ensure_single_threaded_openmp() {
        eprintln!("could not restart with OMP_THREAD_LIMIT=1: {error}");
    }
    let options = parse_options()?;
    if let Some(dir) = &options.dump {
        std::fs::create_dir_all(dir)?;
    }
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(&options.dir)?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pdf"))
        .filter(|path| expected_json_path(path).is_file())
        .collect();
    pdfs.sort();
    if let Some(limit) = options.limit {
        pdfs.truncate(limit);
    }
    if pdfs.is_empty() {
        return Err(format!(
            "no *.pdf with a *.expected.json beside it in {}",
            options.dir.display()
        )
        .into());
    }

    // What one `ocr_pages` call pays before it reads anything: it creates an engine per call.
    let started = Instant::now();
    drop(stapel_ocr::OcrEngine::new(stapel_ocr::OcrConfig::default())?);
    let engine_start_up = started.elapsed();

    println!(
        "{} documents from {}, seed {}, {}",
        pdfs.len(),
        options.dir.display(),
        options.seed,
        if options.clean {
            "clean renders"
        } else {
            "degraded scans"
        }
    );
    println!(
        "engine start-up (OcrEngine::new, eng + osd, paid by every ocr_pages call): {:.0} ms",
        ms(engine_start_up)
    );
    println!(
        "{:<28} {:>4} {:>5} {:>6} {:>7} {:>5} {:>5}  degradation (first page)",
        "document", "dpi", "pages", "s/page", "conf", "lang", "core"
    );

    let mut documents = Vec::new();
    for pdf in &pdfs {
        documents.push(read_document(pdf, &options)?);
    }
    print_report(&documents, engine_start_up);
    Ok(())
}

fn parse_options() -> Result<Options, Box<dyn std::error::Error>> {
    let mut dir = None;
    let mut limit = None;
    let mut seed = 1;
    let mut clean = false;
    let mut dump = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--limit" => {
                limit = Some(
                    arguments
                        .next()
                        .and_then(|value| value.parse().ok())
                        .ok_or("--limit needs a number")?,
                )
            }
            "--seed" => {
                seed = arguments
                    .next()
                    .and_then(|value| value.parse().ok())
                    .ok_or("--seed needs a number")?
            }
            "--clean" => clean = true,
            "--dump" => dump = Some(PathBuf::from(arguments.next().ok_or("--dump needs a dir")?)),
            _ if dir.is_none() && !argument.starts_with("--") => {
                dir = Some(PathBuf::from(argument))
            }
            _ => return Err(format!("unexpected argument {argument}").into()),
        }
    }
    Ok(Options {
        dir: dir.ok_or(
            "usage: ocr_accuracy DIR [--limit N] [--seed S] [--clean] [--dump DIR] \
             (DIR from bench/synth/generate.py)",
        )?,
        limit,
        seed,
        clean,
        dump,
    })
}

fn expected_json_path(pdf: &Path) -> PathBuf {
    let stem = pdf.file_stem().unwrap_or_default().to_string_lossy();
    pdf.with_file_name(format!("{stem}.expected.json"))
}

/// One document's outcome.
struct DocumentResult {
    name: String,
    dpi: u32,
    pages: u32,
    /// Time in `ocr_pages`, all pages.
    ocr_time: Duration,
    /// Time rendering and degrading, all pages (not part of OCR).
    preparation_time: Duration,
    reading: OcrReading,
    fields: BTreeMap<&'static str, FieldResult>,
}

fn read_document(
    pdf: &Path,
    options: &Options,
) -> Result<DocumentResult, Box<dyn std::error::Error>> {
    let name = pdf
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let stem = pdf.file_stem().unwrap_or_default().to_string_lossy();
    let truth = read_expected_json(&std::fs::read_to_string(expected_json_path(pdf))?)
        .ok_or_else(|| format!("{name}: unreadable ground truth"))?;
    let bytes = std::fs::read(pdf)?;
    let page_count = stapel_ocr::pdf_page_count(&bytes)?;

    let mut random = Random::for_document(options.seed, &name);
    let dpi = RESOLUTIONS[random.below(RESOLUTIONS.len())];
    let mut readings = Vec::new();
    let mut ocr_time = Duration::ZERO;
    let mut preparation_time = Duration::ZERO;
    let mut first_degradation = String::from("none");
    for page in 1..=page_count {
        // Drawn in clean mode too, so both modes give every page the same draws.
        let degradation = Degradation::draw(&mut random);
        let started = Instant::now();
        let png = stapel_ocr::render_page_png(&bytes, page, dpi)?;
        let (image, extension) = if options.clean {
            (png, "png")
        } else {
            (degradation.apply(&png, dpi, &mut random)?, "jpg")
        };
        preparation_time += started.elapsed();
        if page == 1 && !options.clean {
            first_degradation = degradation.to_string();
        }
        if let Some(dir) = &options.dump {
            std::fs::write(dir.join(format!("{stem}.p{page}.{extension}")), &image)?;
        }
        let started = Instant::now();
        let reading = ocr_pages(&image, PageSelection::AllUpTo(1));
        ocr_time += started.elapsed();
        match reading {
            Ok(reading) => readings.push(reading),
            Err(failure) => println!(
                "{name} page {page}: OCR failed: {} {}",
                failure.code, failure.message
            ),
        }
    }
    let reading = OcrReading::join(&readings);
    let text = &reading.text;
    if let Some(dir) = &options.dump {
        let dump = format!(
            "{}\n\n===== layout =====\n\n{}",
            text.pages.join("\n\n===== page =====\n\n"),
            text.layout_pages.join("\n\n===== page =====\n\n")
        );
        std::fs::write(dir.join(format!("{stem}.ocr.txt")), dump)?;
    }
    let invoice = stapel_extract::parse_pdf_text(text);
    let fields = score(
        invoice,
        truth,
        &format!(
            "{}\n{}",
            text.pages.join("\n"),
            text.layout_pages.join("\n")
        ),
    );
    let core_right = CORE_FIELDS
        .iter()
        .filter(|field| fields[*field].is_right())
        .count();
    println!(
        "{:<28} {dpi:>4} {page_count:>5} {:>6.2} {:>7.3} {:>5} {core_right:>3}/{}  {first_degradation}",
        name,
        ocr_time.as_secs_f64() / f64::from(page_count.max(1)),
        reading.mean_confidence,
        reading.language.as_deref().unwrap_or("-"),
        CORE_FIELDS.len()
    );
    Ok(DocumentResult {
        name,
        dpi,
        pages: page_count,
        ocr_time,
        preparation_time,
        reading,
        fields,
    })
}

/// The field results of `selected`, in the shape the scoring module takes.
fn fields_of<'a>(selected: &[&'a DocumentResult]) -> Vec<&'a BTreeMap<&'static str, FieldResult>> {
    selected.iter().map(|document| &document.fields).collect()
}

fn print_report(documents: &[DocumentResult], engine_start_up: Duration) {
    let total = documents.len();
    println!();
    println!("per-field exact-match accuracy on {total} documents:");
    let all: Vec<&BTreeMap<&'static str, FieldResult>> =
        documents.iter().map(|document| &document.fields).collect();
    print_field_table(&all);
    let rest = scoring::other_fields();

    let pages: u32 = documents.iter().map(|document| document.pages).sum();
    let confidence_weighted: f64 = documents
        .iter()
        .map(|document| {
            f64::from(document.reading.mean_confidence) * f64::from(document.reading.pages)
        })
        .sum();
    let read_pages: u32 = documents
        .iter()
        .map(|document| document.reading.pages)
        .sum();
    let ocr_time: Duration = documents.iter().map(|document| document.ocr_time).sum();
    let preparation_time: Duration = documents
        .iter()
        .map(|document| document.preparation_time)
        .sum();
    println!();
    println!(
        "mean OCR word confidence: {:.3} over {read_pages} pages read of {pages}",
        confidence_weighted / f64::from(read_pages.max(1))
    );
    println!(
        "OCR time: {:.2} s per page ({:.1} s for {pages} pages; each call includes an engine \
         start-up of about {:.2} s); render + degrade {:.2} s per page, not included",
        ocr_time.as_secs_f64() / f64::from(pages.max(1)),
        ocr_time.as_secs_f64(),
        engine_start_up.as_secs_f64(),
        preparation_time.as_secs_f64() / f64::from(pages.max(1)),
    );
    let print_group = |label: &str, selected: &[&DocumentResult]| {
        if selected.is_empty() {
            return;
        }
        let pages: u32 = selected.iter().map(|document| document.pages).sum();
        let time: Duration = selected.iter().map(|document| document.ocr_time).sum();
        let confidence: f64 = selected
            .iter()
            .map(|document| {
                f64::from(document.reading.mean_confidence) * f64::from(document.reading.pages)
            })
            .sum::<f64>()
            / f64::from(pages.max(1));
        println!(
            "  {label:<9} {:>2} documents, {pages:>2} pages, {:.2} s/page, confidence {confidence:.3}, \
             core {}, other {}",
            selected.len(),
            time.as_secs_f64() / f64::from(pages.max(1)),
            share(&CORE_FIELDS, &fields_of(selected)),
            share(&rest, &fields_of(selected))
        );
    };
    println!("by resolution:");
    for dpi in RESOLUTIONS {
        let selected: Vec<&DocumentResult> = documents
            .iter()
            .filter(|document| document.dpi == dpi)
            .collect();
        print_group(&format!("{dpi} DPI"), &selected);
    }
    // The synthetic corpus names its files `NNNN_<language>_<layout>.pdf`.
    for (title, segment) in [("by layout:", 2), ("by language:", 1)] {
        let key = |document: &DocumentResult| {
            let stem = document.name.trim_end_matches(".pdf");
            stem.split('_').nth(segment).unwrap_or("other").to_owned()
        };
        let mut keys: Vec<String> = documents.iter().map(key).collect();
        keys.sort();
        keys.dedup();
        println!("{title}");
        for value in keys {
            let selected: Vec<&DocumentResult> = documents
                .iter()
                .filter(|document| key(document) == value)
                .collect();
            print_group(&value, &selected);
        }
    }

    println!();
    let misses: Vec<(String, BTreeMap<&'static str, FieldResult>)> = documents
        .iter()
        .map(|document| (document.name.clone(), document.fields.clone()))
        .collect();
    print_misses(&misses);
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A small deterministic generator (SplitMix64): the degradation must not change between runs
/// or machines, and it needs no statistical finesse.
struct Random(u64);

impl Random {
    /// Seeded by the run's seed and the file name (FNV-1a), so adding a file to the folder does
    /// not change the draws of the others.
    fn for_document(seed: u64, name: &str) -> Self {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hash)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Standard normal (Box-Muller).
    fn gaussian(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// How one page is degraded.
struct Degradation {
    /// Rotation, counter-clockwise, within ±1.5°.
    angle_degrees: f64,
    /// A 3×3 box blur, on about half the pages.
    blur: bool,
    /// Standard deviation of the Gaussian noise added to every pixel, in grey levels.
    noise_sigma: f64,
    /// Share of pixels set to black or white.
    salt_and_pepper: f64,
    /// JPEG quality of the re-encoding.
    jpeg_quality: u8,
}

impl Degradation {
    fn draw(random: &mut Random) -> Self {
        Self {
            angle_degrees: random.between(-1.5, 1.5),
            blur: random.unit() < 0.5,
            noise_sigma: random.between(3.0, 12.0),
            salt_and_pepper: random.between(0.0002, 0.002),
            jpeg_quality: 50 + random.below(36) as u8,
        }
    }

    /// Decode the rendered PNG, degrade its grey pixels and encode them as JPEG with the
    /// resolution in the JFIF header, as a scanner writes it.
    fn apply(
        &self,
        png: &[u8],
        dpi: u32,
        random: &mut Random,
    ) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let grey = image::load_from_memory_with_format(png, image::ImageFormat::Png)?.to_luma8();
        let (width, height) = grey.dimensions();
        let mut pixels = rotate(grey.as_raw(), width, height, self.angle_degrees);
        if self.blur {
            pixels = box_blur(&pixels, width, height);
        }
        for pixel in &mut pixels {
            let noisy = f64::from(*pixel) + self.noise_sigma * random.gaussian();
            *pixel = noisy.round().clamp(0.0, 255.0) as u8;
            if random.unit() < self.salt_and_pepper {
                *pixel = if random.unit() < 0.5 { 0 } else { 255 };
            }
        }
        let mut jpeg = Vec::new();
        let mut encoder =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, self.jpeg_quality);
        encoder.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(
            u16::try_from(dpi).unwrap_or(300),
        ));
        encoder.encode(&pixels, width, height, image::ExtendedColorType::L8)?;
        Ok(jpeg)
    }
}

impl std::fmt::Display for Degradation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{:+.2}° {}noise σ {:.1}, specks {:.2}‰, JPEG q{}",
            self.angle_degrees,
            if self.blur { "blur, " } else { "" },
            self.noise_sigma,
            self.salt_and_pepper * 1000.0,
            self.jpeg_quality
        )
    }
}

/// Turn the page by `degrees` about its centre (bilinear; what falls outside is white paper).
fn rotate(pixels: &[u8], width: u32, height: u32, degrees: f64) -> Vec<u8> {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (width, height) = (width as usize, height as usize);
    let (centre_x, centre_y) = (width as f64 / 2.0, height as f64 / 2.0);
    let at = |x: isize, y: isize| -> f64 {
        if x < 0 || y < 0 || x as usize >= width || y as usize >= height {
            255.0
        } else {
            f64::from(pixels[y as usize * width + x as usize])
        }
    };
    let mut turned = vec![255u8; width * height];
    for y in 0..height {
        let dy = y as f64 - centre_y;
        for x in 0..width {
            let dx = x as f64 - centre_x;
            // The source of each target pixel: the inverse rotation.
            let source_x = cos * dx + sin * dy + centre_x;
            let source_y = -sin * dx + cos * dy + centre_y;
            let (x0, y0) = (source_x.floor(), source_y.floor());
            let (fx, fy) = (source_x - x0, source_y - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            turned[y * width + x] = (top * (1.0 - fy) + bottom * fy).round() as u8;
        }
    }
    turned
}

/// 3×3 box blur; edge pixels average the neighbours they have.
fn box_blur(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width as usize, height as usize);
    let mut blurred = vec![0u8; width * height];
    for y in 0..height {
        for x in 0..width {
            let (mut sum, mut count) = (0u32, 0u32);
            for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                    sum += u32::from(pixels[ny * width + nx]);
                    count += 1;
                }
            }
            blurred[y * width + x] = ((sum + count / 2) / count) as u8;
        }
    }
    blurred
}

// The comparison below is the minimal part of `crates/extract/examples/accuracy.rs` that the
// `*.expected.json` ground truth needs, with the same rules.
