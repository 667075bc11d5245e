//! The isolated PDF path end to end, with a real child process.
//!
//! This test binary is its own child: run with `extract-pdf-text` it behaves like the worker's
//! hidden subcommand (`child_main_extract_pdf_text`); run without, it runs the tests below
//! (`harness = false`, so there is a plain `main`).

use stapel_extract::{
    child_main_extract_pdf_text, extract_pdf_text, extract_pdf_text_isolated, ExtractError,
    IsolationError, IsolationLimits, PdfLimits,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("extract-pdf-text") {
        let code = child_main_extract_pdf_text(
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        );
        std::process::exit(code);
    }
    let tests: [(&str, fn()); 4] = [
        (
            "isolated_text_equals_in_process_text",
            isolated_text_equals_in_process_text,
        ),
        (
            "child_errors_cross_the_process_boundary",
            child_errors_cross_the_process_boundary,
        ),
        ("junk_never_costs_a_process", junk_never_costs_a_process),
        (
            "memory_limit_kills_the_child_not_the_parent",
            memory_limit_kills_the_child_not_the_parent,
        ),
    ];
    for (name, test) in tests {
        print!("test {name} ... ");
        test();
        println!("ok");
    }
    // A failing test panics and exits non-zero before this line.
    println!("\ntest result: ok. {} passed; 0 failed", tests.len());
}

fn this_program() -> PathBuf {
    std::env::current_exe().expect("current exe")
}

fn limits() -> IsolationLimits {
    IsolationLimits {
        wall_time: Duration::from_secs(20),
        ..IsolationLimits::default()
    }
}

fn read(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn isolated_text_equals_in_process_text() {
    let pdf = read("../../samples/fr_facture.pdf");
    let isolated = extract_pdf_text_isolated(&this_program(), &pdf, &limits()).expect("isolated");
    let in_process = extract_pdf_text(&pdf, &PdfLimits::default()).expect("in process");
    assert_eq!(isolated, in_process);
    assert!(isolated.full_text().contains("Électricité"));
}

fn child_errors_cross_the_process_boundary() {
    let truncated = read("tests/fixtures/truncated.pdf");
    let error = extract_pdf_text_isolated(&this_program(), &truncated, &limits()).unwrap_err();
    assert!(matches!(error, ExtractError::Corrupt { .. }), "{error:?}");
}

fn junk_never_costs_a_process() {
    let error = extract_pdf_text_isolated(Path::new("/nonexistent/worker"), b"junk", &limits())
        .unwrap_err();
    assert!(matches!(error, ExtractError::NotAPdf), "{error:?}");
}

fn memory_limit_kills_the_child_not_the_parent() {
    let pdf = read("../../samples/fr_facture.pdf");
    let tiny = IsolationLimits {
        address_space_bytes: 8 * 1024 * 1024,
        ..limits()
    };
    let error = extract_pdf_text_isolated(&this_program(), &pdf, &tiny).unwrap_err();
    assert!(
        matches!(
            error,
            ExtractError::Isolation(
                IsolationError::Killed { .. } | IsolationError::ExitStatus { .. }
            )
        ),
        "{error:?}"
    );
}
