//! Time this crate's render + OCR per page against the `tesseract` command line on the same
//! pages.
//!
//! ```text
//! cargo run --release -p stapel-ocr --example ocr_vs_cli -- [--psm 4] [--langs deu+eng]
//!     [--orientation] [--repeat N] [--dump DIR] samples/*.pdf
//! ```
//!
//! Each PDF page is rendered at 300 DPI to a grey PNG in a temporary directory. "ours" is
//! `OcrEngine::ocr_pdf` for that page (render, blank check, optional orientation detection,
//! recognition, TSV parse) with the same languages and page segmentation as the command line;
//! "cli" is `tesseract <png> - --psm N -l <langs> --dpi 300` with `OMP_THREAD_LIMIT=1`, which
//! also pays for process start, model loading and PNG decoding on every page, as a worker that
//! shells out would. `--langs detect` uses the default language detection for ours and `eng`
//! for the command line. `--repeat N` times each page N times and keeps the fastest of each,
//! which on a shared machine is the closest to the idle time.

use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use stapel_ocr::{Language, LanguagePolicy, OcrConfig, OcrEngine, PageSegmentation};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DPI: u32 = 300;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Err(error) = stapel_ocr::ensure_single_threaded_openmp() {
        eprintln!("could not restart with OMP_THREAD_LIMIT=1: {error}");
    }
    let mut psm = PageSegmentation::SingleColumn;
    let mut languages = "detect".to_owned();
    let mut orientation = false;
    let mut dump: Option<PathBuf> = None;
    let mut repeat = 1u32;
    let mut pdfs = Vec::new();
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--psm" => {
                psm = match arguments.next().as_deref() {
                    Some("3") => PageSegmentation::Auto,
                    Some("4") => PageSegmentation::SingleColumn,
                    Some("6") => PageSegmentation::SingleBlock,
                    other => return Err(format!("--psm takes 3, 4 or 6, not {other:?}").into()),
                }
            }
            "--langs" => languages = arguments.next().ok_or("--langs needs a value")?,
            "--orientation" => orientation = true,
            "--repeat" => {
                repeat = arguments
                    .next()
                    .and_then(|value| value.parse().ok())
                    .filter(|value| *value > 0)
                    .ok_or("--repeat needs a positive number")?
            }
            "--dump" => dump = Some(arguments.next().ok_or("--dump needs a directory")?.into()),
            _ => pdfs.push(PathBuf::from(argument)),
        }
    }
    if pdfs.is_empty() {
        return Err(
            "usage: ocr_vs_cli [--psm 3|4|6] [--langs deu+eng|detect] [--orientation] \
                    [--repeat N] [--dump DIR] FILE.pdf..."
                .into(),
        );
    }
    let (policy, cli_languages) = if languages == "detect" {
        (
            LanguagePolicy::Detect {
                first_pass: vec![Language::English],
            },
            "eng".to_owned(),
        )
    } else {
        (
            LanguagePolicy::Fixed(parse_languages(&languages)?),
            languages.clone(),
        )
    };
    let started = Instant::now();
    let mut engine = OcrEngine::new(OcrConfig {
        languages: policy,
        page_segmentation: psm,
        detect_orientation: orientation,
        ..OcrConfig::default()
    })?;
    println!(
        "engine start-up {:.0} ms; psm {}, languages ours {languages}, cli {cli_languages}, \
         orientation detection {orientation}",
        ms(started.elapsed()),
        psm.psm_number()
    );
    let work_dir = tempfile::tempdir()?;
    if let Some(dir) = &dump {
        std::fs::create_dir_all(dir)?;
    }
    println!(
        "{:<34} {:>4} {:>9} {:>9} {:>9} {:>7} {:>6} {:>6}",
        "file", "page", "render", "ours", "cli", "cli/ours", "words", "cliwds"
    );
    let (mut total_ours, mut total_cli, mut total_pages) = (Duration::ZERO, Duration::ZERO, 0u32);
    for path in &pdfs {
        let bytes = std::fs::read(path)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let page_count = stapel_ocr::pdf_page_count(&bytes)?;
        let (pngs, render_times) = render_to_pngs(&bytes, work_dir.path(), &name)?;
        let mut detected = None;
        for page in 1..=page_count {
            let index = page as usize - 1;
            let (mut ours, mut cli) = (Duration::MAX, Duration::MAX);
            let mut document = None;
            let mut output = None;
            for _ in 0..repeat {
                let started = Instant::now();
                document = Some(engine.ocr_pdf(&bytes, page..=page)?);
                ours = ours.min(started.elapsed());

                let started = Instant::now();
                let run = Command::new("tesseract")
                    .arg(&pngs[index])
                    .args(["-", "--psm", &psm.psm_number().to_string()])
                    .args(["-l", &cli_languages, "--dpi", &DPI.to_string()])
                    .env("OMP_THREAD_LIMIT", "1")
                    .output()?;
                cli = cli.min(started.elapsed());
                if !run.status.success() {
                    return Err(format!(
                        "tesseract failed: {}",
                        String::from_utf8_lossy(&run.stderr)
                    )
                    .into());
                }
                output = Some(run);
            }
            let (Some(document), Some(output)) = (document, output) else {
                return Err("no run".into());
            };
            let cli_text = String::from_utf8_lossy(&output.stdout);
            if page == 1 {
                detected = document.detected_language;
            }
            let ocr_page = &document.pages[0];
            println!(
                "{:<34} {:>4} {:>6.0} ms {:>6.0} ms {:>6.0} ms {:>7.2} {:>6} {:>6}",
                name,
                page,
                ms(render_times[index]),
                ms(ours),
                ms(cli),
                cli.as_secs_f64() / ours.as_secs_f64(),
                ocr_page.words.len(),
                cli_text.split_whitespace().count(),
            );
            if let Some(dir) = &dump {
                let stem = format!("{name}.p{page}.psm{}", psm.psm_number());
                std::fs::write(dir.join(format!("{stem}.ours.txt")), ocr_page.text())?;
                std::fs::write(dir.join(format!("{stem}.cli.txt")), cli_text.as_bytes())?;
            }
            total_ours += ours;
            total_cli += cli;
            total_pages += 1;
        }
        if languages == "detect" {
            println!(
                "{:<34}      detected {detected:?}, read with {:?}",
                "",
                engine.loaded_languages()
            );
        }
    }
    let pages = f64::from(total_pages.max(1));
    println!(
        "mean per page: ours {:.0} ms, cli {:.0} ms, cli/ours {:.2} ({total_pages} pages)",
        ms(total_ours) / pages,
        ms(total_cli) / pages,
        total_cli.as_secs_f64() / total_ours.as_secs_f64()
    );
    Ok(())
}

fn parse_languages(text: &str) -> Result<Vec<Language>, String> {
    text.split('+')
        .map(|code| {
            Language::ALL
                .into_iter()
                .find(|language| language.tesseract_code() == code)
                .ok_or_else(|| format!("unknown language {code}"))
        })
        .collect()
}

/// Render every page at 300 DPI to a grey PNG, the way a pipeline around the command line would.
fn render_to_pngs(
    bytes: &[u8],
    dir: &Path,
    name: &str,
) -> Result<(Vec<PathBuf>, Vec<Duration>), Box<dyn std::error::Error>> {
    let pdf = Pdf::new(bytes.to_vec()).map_err(|error| format!("{name}: {error:?}"))?;
    let cache = RenderCache::new();
    let scale = DPI as f32 / 72.0;
    let settings = PixmapSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: WHITE,
    };
    let (mut paths, mut times) = (Vec::new(), Vec::new());
    for (index, page) in pdf.pages().iter().enumerate() {
        let started = Instant::now();
        let pixmap = hayro::render(
            page,
            &cache,
            &Default::default(),
            &RenderSettings::default(),
            &settings,
        );
        times.push(started.elapsed());
        let grey: Vec<u8> = pixmap
            .data_as_u8_slice()
            .chunks_exact(4)
            .map(|p| {
                ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8
            })
            .collect();
        let image =
            image::GrayImage::from_raw(u32::from(pixmap.width()), u32::from(pixmap.height()), grey)
                .ok_or("pixmap size mismatch")?;
        let path = dir.join(format!("{name}.p{}.png", index + 1));
        image.save(&path)?;
        paths.push(path);
    }
    Ok((paths, times))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
