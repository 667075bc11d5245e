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

use rust_decimal::Decimal;
use stapel_domain::{DocumentType, ExtractedInvoice};
use stapel_pipeline::ocr::{ocr_pages, OcrReading, PageSelection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The fields compared, in print order.
const FIELDS: [&str; 17] = [
    "document_type",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "supplier_name",
    "supplier_vat_id",
    "customer_name",
    "net_total",
    "vat_total",
    "gross_total",
    "amount_due",
    "vat_breakdown",
    "iban",
    "lines_count",
    "lines_net",
    "lines_exact",
];

/// The fields the Field extraction issue holds to ≥ 95 % exact; the rest to ≥ 90 %.
const CORE_FIELDS: [&str; 7] = [
    "invoice_number",
    "issue_date",
    "currency",
    "net_total",
    "vat_total",
    "gross_total",
    "supplier_vat_id",
];

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
    let (invoice, truth) = if truth.document_type == Some(DocumentType::CreditNote) {
        (unsigned_found(invoice), unsigned_truth(truth))
    } else {
        (invoice, truth)
    };
    let mut fields = compare(&invoice, &truth);
    mark_unprinted(
        &mut fields,
        &format!(
            "{}\n{}",
            text.pages.join("\n"),
            text.layout_pages.join("\n")
        ),
    );
    for (field, result) in fields.iter_mut() {
        let key = if field.starts_with("lines") {
            "lines"
        } else {
            field
        };
        result.confidence = invoice.confidence.get(key).copied();
    }
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

fn print_report(documents: &[DocumentResult], engine_start_up: Duration) {
    let total = documents.len();
    println!();
    println!("per-field exact-match accuracy on {total} documents:");
    println!(
        "  {:<16} {:>7} {:>8} {:>7} {:>13}",
        "field", "right", "missing", "wrong", "not in text"
    );
    for field in FIELDS {
        let right = documents
            .iter()
            .filter(|document| document.fields[field].is_right())
            .count();
        let missing = documents
            .iter()
            .filter(|document| {
                let result = &document.fields[field];
                !result.is_right() && result.found == "null"
            })
            .count();
        let not_in_text = documents
            .iter()
            .filter(|document| document.fields[field].not_in_text)
            .count();
        let wrong = total - right - missing;
        println!("  {field:<16} {right:>3}/{total:<3} {missing:>8} {wrong:>7} {not_in_text:>13}");
    }
    let share = |fields: &[&str], selected: &[&DocumentResult]| {
        let right: usize = fields
            .iter()
            .map(|field| {
                selected
                    .iter()
                    .filter(|document| document.fields[*field].is_right())
                    .count()
            })
            .sum();
        let total = fields.len() * selected.len();
        format!(
            "{right}/{total} = {:.1}%",
            100.0 * right as f64 / total.max(1) as f64
        )
    };
    let all: Vec<&DocumentResult> = documents.iter().collect();
    let rest: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|field| !CORE_FIELDS.contains(field))
        .collect();
    println!(
        "  core fields ({}): {}",
        CORE_FIELDS.join(", "),
        share(&CORE_FIELDS, &all)
    );
    println!("  other fields: {}", share(&rest, &all));
    println!("  (\"not in text\": the expected identifier, name or date appears nowhere in the OCR text)");

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
    println!("by resolution:");
    for dpi in RESOLUTIONS {
        let selected: Vec<&DocumentResult> = documents
            .iter()
            .filter(|document| document.dpi == dpi)
            .collect();
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
            "  {dpi} DPI: {:>2} documents, {pages:>2} pages, {:.2} s/page, confidence {confidence:.3}, core {}, other {}",
            selected.len(),
            time.as_secs_f64() / f64::from(pages.max(1)),
            share(&CORE_FIELDS, &selected),
            share(&rest, &selected)
        );
    }

    println!();
    println!("misses (\"wrong\" = a value that is not the truth, worse than null):");
    for document in documents {
        for field in FIELDS {
            let result = &document.fields[field];
            if result.is_right() {
                continue;
            }
            let kind = match (result.found == "null", result.not_in_text) {
                (true, false) => "missing",
                (true, true) => "missing, truth not in OCR text",
                (false, false) => "WRONG",
                (false, true) => "WRONG, truth not in OCR text",
            };
            let confidence = result
                .confidence
                .map_or(String::new(), |value| format!(" (confidence {value:.2})"));
            println!(
                "  {} {field} [{kind}]: found {}{confidence} expected {}",
                document.name, result.found, result.expected
            );
        }
    }
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

/// One field's ground truth and what the extractor found, both as comparable text.
struct FieldResult {
    expected: String,
    found: String,
    /// The expected value appears nowhere in the OCR text: the miss is Tesseract's, not the
    /// parser's. Only identifiers, names and dates are checked.
    not_in_text: bool,
    /// The extractor's confidence in what it found.
    confidence: Option<f32>,
}

impl FieldResult {
    fn is_right(&self) -> bool {
        self.expected == self.found
    }
}

/// Mark the misses whose expected value is not in the text at all. Only identifiers, names
/// and dates are checked; amounts and lists are printed in too many forms to tell.
fn mark_unprinted(results: &mut BTreeMap<&'static str, FieldResult>, text: &str) {
    let squeeze = |value: &str| -> String {
        value
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect()
    };
    let page = squeeze(text);
    for (field, result) in results.iter_mut() {
        if result.is_right() || result.expected == "null" {
            continue;
        }
        let forms: Vec<String> = match *field {
            "issue_date" | "due_date" => {
                let Ok(date) = chrono::NaiveDate::parse_from_str(&result.expected, "%Y-%m-%d")
                else {
                    continue;
                };
                [
                    "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%B%e,%Y", "%d.%m.%y",
                ]
                .iter()
                .map(|format| squeeze(&date.format(format).to_string()))
                .collect()
            }
            "invoice_number" | "supplier_name" | "customer_name" | "supplier_vat_id" | "iban" => {
                vec![squeeze(&result.expected)]
            }
            _ => continue,
        };
        result.not_in_text = !forms.iter().any(|form| page.contains(form.as_str()));
    }
}

/// One line item: quantity, unit price, net amount, VAT rate.
type LineTruth = (
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
);

/// Ground truth, in the extractor's vocabulary.
struct Invoice {
    document_type: Option<DocumentType>,
    invoice_number: Option<String>,
    issue_date: Option<String>,
    due_date: Option<String>,
    currency: Option<String>,
    supplier_name: Option<String>,
    supplier_vat_id: Option<String>,
    customer_name: Option<String>,
    net_total: Option<Decimal>,
    vat_total: Option<Decimal>,
    gross_total: Option<Decimal>,
    /// The amount to pay: the printed amount due, else the gross total.
    amount_due: Option<Decimal>,
    /// (rate, base, amount) per rate.
    vat_breakdown: Vec<(Decimal, Decimal, Decimal)>,
    iban: Option<String>,
    lines: Vec<LineTruth>,
}

/// Ground truth in the `*.expected.json` shape (the public `ExtractedInvoice` field names).
fn read_expected_json(json: &str) -> Option<Invoice> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
    let decimal =
        |value: &serde_json::Value, key: &str| Decimal::from_str(value.get(key)?.as_str()?).ok();
    let document_type = match text("document_type").as_deref() {
        Some("credit_note") => DocumentType::CreditNote,
        _ => DocumentType::Invoice,
    };
    let gross_total = decimal(&value, "gross_total");
    let list = |key: &str| {
        value
            .get(key)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    Some(Invoice {
        document_type: Some(document_type),
        invoice_number: text("invoice_number"),
        issue_date: text("issue_date"),
        due_date: text("due_date"),
        currency: text("currency"),
        supplier_name: text("supplier_name"),
        supplier_vat_id: text("supplier_vat_id"),
        customer_name: text("customer_name"),
        net_total: decimal(&value, "net_total"),
        vat_total: decimal(&value, "vat_total"),
        gross_total,
        // No separate amount due printed: the amount to pay is the gross total.
        amount_due: decimal(&value, "amount_due").or(gross_total),
        vat_breakdown: list("vat_breakdown")
            .iter()
            .filter_map(|entry| {
                Some((
                    decimal(entry, "rate")?,
                    decimal(entry, "base")?,
                    decimal(entry, "amount")?,
                ))
            })
            .collect(),
        iban: text("iban"),
        lines: list("lines")
            .iter()
            .map(|line| {
                (
                    decimal(line, "quantity"),
                    decimal(line, "unit_price"),
                    decimal(line, "net_amount"),
                    decimal(line, "vat_rate"),
                )
            })
            .collect(),
    })
}

fn show<T: ToString>(value: Option<T>) -> String {
    value.map_or("null".to_owned(), |value| value.to_string())
}

/// Names compare with whitespace collapsed and case folded.
fn name(value: Option<&str>) -> String {
    show(value.map(|value| {
        value
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    }))
}

fn compact(value: Option<&str>) -> String {
    show(value.map(|value| value.replace(' ', "").to_uppercase()))
}

fn amount(value: Option<Decimal>) -> String {
    show(value.map(|value| value.normalize()))
}

/// A credit note may print its amounts negative or positive, and stapel books both the same way
/// (see `stapel_booking`), so credit notes are compared by magnitude.
fn unsigned_found(mut invoice: ExtractedInvoice) -> ExtractedInvoice {
    for amount in [
        &mut invoice.net_total,
        &mut invoice.vat_total,
        &mut invoice.gross_total,
        &mut invoice.amount_due,
    ] {
        *amount = amount.map(|value| value.abs());
    }
    for entry in &mut invoice.vat_breakdown {
        entry.base = entry.base.abs();
        entry.amount = entry.amount.abs();
    }
    for line in &mut invoice.lines {
        line.quantity = line.quantity.map(|value| value.abs());
        line.unit_price = line.unit_price.map(|value| value.abs());
        line.net_amount = line.net_amount.map(|value| value.abs());
    }
    invoice
}

fn unsigned_truth(mut truth: Invoice) -> Invoice {
    for amount in [
        &mut truth.net_total,
        &mut truth.vat_total,
        &mut truth.gross_total,
        &mut truth.amount_due,
    ] {
        *amount = amount.map(|value| value.abs());
    }
    for (_, base, amount) in &mut truth.vat_breakdown {
        *base = base.abs();
        *amount = amount.abs();
    }
    for (quantity, price, net, _) in &mut truth.lines {
        *quantity = quantity.map(|value| value.abs());
        *price = price.map(|value| value.abs());
        *net = net.map(|value| value.abs());
    }
    truth
}

fn compare(found: &ExtractedInvoice, truth: &Invoice) -> BTreeMap<&'static str, FieldResult> {
    let mut results = BTreeMap::new();
    let mut add = |field: &'static str, expected: String, found: String| {
        results.insert(
            field,
            FieldResult {
                expected,
                found,
                not_in_text: false,
                confidence: None,
            },
        );
    };
    let document_type = |value: DocumentType| format!("{value:?}");
    add(
        "document_type",
        show(truth.document_type.map(document_type)),
        document_type(found.document_type),
    );
    add(
        "invoice_number",
        show(truth.invoice_number.clone()),
        show(found.invoice_number.clone()),
    );
    add(
        "issue_date",
        show(truth.issue_date.clone()),
        show(found.issue_date),
    );
    add(
        "due_date",
        show(truth.due_date.clone()),
        show(found.due_date),
    );
    add(
        "currency",
        show(truth.currency.clone()),
        show(found.currency.clone()),
    );
    add(
        "supplier_name",
        name(truth.supplier_name.as_deref()),
        name(found.supplier_name.as_deref()),
    );
    add(
        "supplier_vat_id",
        compact(truth.supplier_vat_id.as_deref()),
        compact(found.supplier_vat_id.as_deref()),
    );
    add(
        "customer_name",
        name(truth.customer_name.as_deref()),
        name(found.customer_name.as_deref()),
    );
    add(
        "net_total",
        amount(truth.net_total),
        amount(found.net_total),
    );
    add(
        "vat_total",
        amount(truth.vat_total),
        amount(found.vat_total),
    );
    add(
        "gross_total",
        amount(truth.gross_total),
        amount(found.gross_total),
    );
    // The truth's amount due defaults to the gross total, so the found one does too.
    let found_due = found.amount_due.or(found.gross_total);
    add("amount_due", amount(truth.amount_due), amount(found_due));
    let breakdown = |entries: Vec<(Decimal, Decimal, Decimal)>| {
        let mut entries: Vec<String> = entries
            .into_iter()
            .map(|(rate, base, amount)| {
                format!(
                    "{}%:{}:{}",
                    rate.normalize(),
                    base.normalize(),
                    amount.normalize()
                )
            })
            .collect();
        entries.sort();
        if entries.is_empty() {
            "null".to_owned()
        } else {
            format!("[{}]", entries.join(" "))
        }
    };
    add(
        "vat_breakdown",
        breakdown(truth.vat_breakdown.clone()),
        breakdown(
            found
                .vat_breakdown
                .iter()
                .map(|entry| (entry.rate, entry.base, entry.amount))
                .collect(),
        ),
    );
    add(
        "iban",
        compact(truth.iban.as_deref()),
        compact(found.iban.as_deref()),
    );
    let null_if_empty =
        |count: usize, text: String| if count == 0 { "null".to_owned() } else { text };
    add(
        "lines_count",
        null_if_empty(truth.lines.len(), truth.lines.len().to_string()),
        null_if_empty(found.lines.len(), found.lines.len().to_string()),
    );
    let nets = |nets: Vec<Option<Decimal>>| {
        let shown: Vec<String> = nets.into_iter().map(amount).collect();
        null_if_empty(shown.len(), format!("[{}]", shown.join(" ")))
    };
    add(
        "lines_net",
        nets(truth.lines.iter().map(|line| line.2).collect()),
        nets(found.lines.iter().map(|line| line.net_amount).collect()),
    );
    let exact = |lines: Vec<LineTruth>| {
        let shown: Vec<String> = lines
            .into_iter()
            .map(|(quantity, price, net, rate)| {
                format!(
                    "{}x{}={}@{}",
                    amount(quantity),
                    amount(price),
                    amount(net),
                    amount(rate)
                )
            })
            .collect();
        null_if_empty(shown.len(), format!("[{}]", shown.join(" ")))
    };
    add(
        "lines_exact",
        exact(truth.lines.clone()),
        exact(
            found
                .lines
                .iter()
                .map(|line| {
                    (
                        line.quantity,
                        line.unit_price,
                        line.net_amount,
                        line.vat_rate,
                    )
                })
                .collect(),
        ),
    );
    results
}
