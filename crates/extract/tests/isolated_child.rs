//! The isolated PDF path end to end, with real child processes, fresh and warm.
//!
//! This test binary is its own child: run with `extract-pdf-text [--serve]` it behaves like the
//! worker's hidden subcommand (`child_main_extract_pdf_text`); with `spin --serve` it burns CPU
//! on a request whose body is `spin` (for the per-request CPU budget); with `fragile --serve` it
//! dies on the second request it serves; run without, it runs the
//! tests below (`harness = false`, so there is a plain `main`).

use stapel_extract::{
    child_main_extract_pdf_text, extract_pdf_text, extract_pdf_text_isolated, ChildMode, Children,
    ExtractError, IsolationError, IsolationLimits, PdfLimits, WarmChildren,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = ChildMode::from_flag(args.iter().any(|arg| arg == "--serve"));
    match args.get(1).map(String::as_str) {
        Some("extract-pdf-text") => std::process::exit(child_main_extract_pdf_text(
            mode,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        )),
        Some("spin") => std::process::exit(mode.answer(
            "spin",
            1024,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
            |_, body| {
                // black_box hides from the optimiser (and clippy) that the body never changes.
                while std::hint::black_box(body.as_slice()) == b"spin" {}
                String::from_utf8_lossy(&body).into_owned()
            },
        )),
        Some("fragile") => {
            let mut served = 0;
            std::process::exit(mode.answer(
                "fragile",
                1024,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
                |_, body| {
                    // Dies of its history: on the second request it serves, whatever it is.
                    served += 1;
                    if served == 2 {
                        std::process::exit(3);
                    }
                    body.len()
                },
            ))
        }
        _ => {}
    }
    type Test = (&'static str, fn(&Children));
    let tests: [Test; 4] = [
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
    let mut passed = 0;
    for (kind, children) in [
        ("fresh", Children::fresh(this_program())),
        ("warm", Children::warm(this_program(), 100)),
    ] {
        for (name, test) in tests {
            print!("test {name} ({kind} children) ... ");
            test(&children);
            println!("ok");
            passed += 1;
        }
    }
    let warm_tests: [(&str, fn()); 4] = [
        (
            "a_death_in_a_used_child_is_retried_in_a_fresh_one",
            a_death_in_a_used_child_is_retried_in_a_fresh_one,
        ),
        (
            "a_warm_child_serves_request_after_request",
            a_warm_child_serves_request_after_request,
        ),
        (
            "each_request_gets_its_own_cpu_budget_and_a_spinning_child_is_replaced",
            each_request_gets_its_own_cpu_budget_and_a_spinning_child_is_replaced,
        ),
        (
            "a_child_is_replaced_after_its_last_use",
            a_child_is_replaced_after_its_last_use,
        ),
    ];
    for (name, test) in warm_tests {
        print!("test {name} ... ");
        test();
        println!("ok");
        passed += 1;
    }
    // A failing test panics and exits non-zero before this line.
    println!("\ntest result: ok. {passed} passed; 0 failed");
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

fn isolated_text_equals_in_process_text(children: &Children) {
    let pdf = read("../../samples/fr_facture.pdf");
    let isolated = extract_pdf_text_isolated(children, &pdf, &limits()).expect("isolated");
    let in_process = extract_pdf_text(&pdf, &PdfLimits::default()).expect("in process");
    assert_eq!(isolated, in_process);
    assert!(isolated.full_text().contains("Électricité"));
}

fn child_errors_cross_the_process_boundary(children: &Children) {
    let truncated = read("tests/fixtures/truncated.pdf");
    let error = extract_pdf_text_isolated(children, &truncated, &limits()).unwrap_err();
    assert!(matches!(error, ExtractError::Corrupt { .. }), "{error:?}");
}

fn junk_never_costs_a_process(children: &Children) {
    let missing = match children {
        Children::Fresh(_) => Children::fresh("/nonexistent/worker"),
        Children::Warm(_) => Children::warm("/nonexistent/worker", 100),
    };
    let error = extract_pdf_text_isolated(&missing, b"junk", &limits()).unwrap_err();
    assert!(matches!(error, ExtractError::NotAPdf), "{error:?}");
}

fn memory_limit_kills_the_child_not_the_parent(children: &Children) {
    let pdf = read("../../samples/fr_facture.pdf");
    let tiny = IsolationLimits {
        address_space_bytes: 8 * 1024 * 1024,
        ..limits()
    };
    let error = extract_pdf_text_isolated(children, &pdf, &tiny).unwrap_err();
    assert!(
        matches!(
            error,
            ExtractError::Isolation(
                IsolationError::Killed { .. } | IsolationError::ExitStatus { .. }
            )
        ),
        "{error:?}"
    );
    // The children of ordinary limits are unaffected.
    isolated_text_equals_in_process_text(children);
}

fn a_warm_child_serves_request_after_request() {
    let pool = Arc::new(WarmChildren::new(this_program(), 100));
    let children = Children::Warm(Arc::clone(&pool));
    let french = read("../../samples/fr_facture.pdf");
    let german = read("../../samples/de_rechnung.pdf");
    let truncated = read("tests/fixtures/truncated.pdf");
    for _ in 0..3 {
        let text = extract_pdf_text_isolated(&children, &french, &limits()).unwrap();
        assert_eq!(
            text,
            extract_pdf_text(&french, &PdfLimits::default()).unwrap()
        );
        // A document's error is an answer, not a failed child: the child stays.
        let error = extract_pdf_text_isolated(&children, &truncated, &limits()).unwrap_err();
        assert!(matches!(error, ExtractError::Corrupt { .. }), "{error:?}");
        let text = extract_pdf_text_isolated(&children, &german, &limits()).unwrap();
        assert_eq!(
            text,
            extract_pdf_text(&german, &PdfLimits::default()).unwrap()
        );
        assert_eq!(pool.idle_count(), 1, "one child served every request");
    }
}

fn each_request_gets_its_own_cpu_budget_and_a_spinning_child_is_replaced() {
    let pool = Arc::new(WarmChildren::new(this_program(), 100));
    let children = Children::Warm(Arc::clone(&pool));
    let one_second = IsolationLimits {
        cpu_seconds: 1,
        wall_time: Duration::from_secs(20),
        ..IsolationLimits::default()
    };
    // Three quick requests in one child: budgets do not add up against it.
    for _ in 0..3 {
        let answer = children.run("spin", &[], b"quick", &one_second).unwrap();
        assert_eq!(answer, b"\"quick\"");
    }
    let error = children.run("spin", &[], b"spin", &one_second).unwrap_err();
    assert!(
        matches!(error, IsolationError::Killed { signal, .. } if signal == libc::SIGXCPU),
        "{error:?}"
    );
    assert_eq!(pool.idle_count(), 0, "the spinning child is gone");
    let answer = children.run("spin", &[], b"after", &one_second).unwrap();
    assert_eq!(answer, b"\"after\"");

    // The wall clock catches what the CPU limit does not.
    let short = IsolationLimits {
        wall_time: Duration::from_millis(500),
        ..one_second
    };
    let started = std::time::Instant::now();
    let error = children.run("spin", &[], b"spin", &short).unwrap_err();
    assert!(matches!(error, IsolationError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        children.run("spin", &[], b"again", &short).unwrap(),
        b"\"again\""
    );
}

fn a_child_is_replaced_after_its_last_use() {
    let pool = Arc::new(WarmChildren::new(this_program(), 2));
    let children = Children::Warm(Arc::clone(&pool));
    let french = read("../../samples/fr_facture.pdf");
    extract_pdf_text_isolated(&children, &french, &limits()).unwrap();
    assert_eq!(pool.idle_count(), 1);
    extract_pdf_text_isolated(&children, &french, &limits()).unwrap();
    assert_eq!(pool.idle_count(), 0, "retired after two uses");
    extract_pdf_text_isolated(&children, &french, &limits()).unwrap();
    assert_eq!(pool.idle_count(), 1);
}

fn a_death_in_a_used_child_is_retried_in_a_fresh_one() {
    let pool = Arc::new(WarmChildren::new(this_program(), 100));
    let children = Children::Warm(Arc::clone(&pool));
    for _ in 0..4 {
        // Every second request kills the child serving it; a fresh child then answers it.
        assert_eq!(
            children.run("fragile", &[], b"abc", &limits()).unwrap(),
            b"3"
        );
    }
}
