//! Replay a filing-month day and a January at three times its volume against the autoscaling
//! policy, and print the figures for BENCHMARKS.md.
//!
//! `cargo run --release -p stapel-autoscale --example simulate`

use stapel_autoscale::simulation::{simulate, DayProfile, SimulationConfig, WaitFigures};

fn main() {
    for (platform, config) in [
        ("ECS Fargate", SimulationConfig::fargate()),
        ("local processes", SimulationConfig::local_processes()),
    ] {
        let policy = &config.policy;
        println!(
            "{platform}: min {} max {} workers, target {:?} of backlog per worker, acceptable wait {:?}, \
             scale-out cooldown {:?}, scale-in cooldown {:?} (at most {} % per step), decisions every {:?}, \
             worker start-up {:?}",
            policy.min_workers,
            policy.max_workers,
            policy.target_wait,
            config.acceptable_wait,
            policy.scale_out_cooldown,
            policy.scale_in_cooldown,
            policy.scale_in_max_percent,
            config.control_interval,
            config.worker_start_delay,
        );
        println!();
        println!(
            "| day | documents | jobs | work h (ideal) | worker-h | worker-h / ideal | peak workers | scale events | fast wait p50 / p95 / p99 / max s | bulk wait p50 / p95 / p99 / max s |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for (name, profile) in [
            ("filing-month peak, last year", DayProfile::last_year_peak()),
            ("January, 3x last year", DayProfile::january_triple()),
        ] {
            let arrivals = profile.arrivals();
            let report = simulate(&arrivals, &config);
            let waits = |figures: &WaitFigures| {
                format!(
                    "{:.1} / {:.1} / {:.1} / {:.1}",
                    figures.p50, figures.p95, figures.p99, figures.max
                )
            };
            println!(
                "| {name} | {} | {} | {:.1} | {:.1} | {:.2} | {} | {} | {} | {} |",
                profile.documents,
                report.jobs,
                report.ideal_worker_hours,
                report.worker_hours,
                report.worker_hours / report.ideal_worker_hours,
                report.peak_workers,
                report.scale_events,
                waits(&report.fast_wait),
                waits(&report.bulk_wait),
            );
            if report.unfinished > 0 {
                println!("  ({} jobs unfinished)", report.unfinished);
            }
        }
        println!();
    }
}
