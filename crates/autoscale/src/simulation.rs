//! A deterministic replay of a filing-month day against the policy, in simulated time.
//!
//! Bookkeepers upload in batches during office hours; the mix is mostly e-invoices and
//! text-layer PDFs (tens of milliseconds each) with a share of scans (about a second per
//! page, long ones in the bulk lane split into five-page parts). A worker looks at the bulk
//! lane first only while fewer than half of the busy workers would hold bulk work, as the real
//! worker does (`stapel_pipeline::lanes::bulk_first`); new workers
//! need a start-up delay before their first job; a worker told to stop finishes its job.
//! The same [`Controller`] as the dispatcher's control loop decides, from the same inputs.
//!
//! Everything is seeded, so a run gives the same figures every time.

use crate::controller::{Controller, MeanEstimator, Snapshot};
use crate::policy::{LaneLoad, PolicyConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::time::Duration;

/// Seconds in the simulated day.
const DAY: f64 = 86_400.0;

/// Relative upload volume per hour of a filing-month day: a morning and an afternoon peak,
/// quiet nights.
const HOURLY_WEIGHTS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 8.0, 11.0, 11.0, 9.0, 6.0, 8.0, 10.0, 9.0, 7.0, 5.0,
    3.0, 2.0, 1.5, 1.0, 0.6, 0.3,
];

/// Pages per page-range job of a split scan (the worker's `--scan-part-pages` default).
const PART_PAGES: u32 = 5;

/// Which queue a job waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Small documents.
    Fast,
    /// Long scans and their page-range parts.
    Bulk,
}

/// One job entering a queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Seconds since midnight.
    pub at: f64,
    /// The queue it waits in.
    pub lane: Lane,
    /// Seconds of one worker's time it takes.
    pub work: f64,
}

/// The day to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct DayProfile {
    /// Documents uploaded over the day.
    pub documents: u64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl DayProfile {
    /// Last year's busiest filing-month day.
    pub fn last_year_peak() -> Self {
        Self {
            documents: 40_000,
            seed: 2025,
        }
    }

    /// January at three times last year's volume.
    pub fn january_triple() -> Self {
        Self {
            documents: 120_000,
            seed: 2026,
        }
    }

    /// The jobs of this day, ordered by arrival: batches of uploads at random times weighted
    /// by office hours, each document an e-invoice, a text PDF or a scan.
    pub fn arrivals(&self) -> Vec<Arrival> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let total_weight: f64 = HOURLY_WEIGHTS.iter().sum();
        let mut arrivals = Vec::new();
        let mut documents = 0;
        while documents < self.documents {
            let roll: f64 = rng.random();
            let batch = if roll < 0.6 {
                1
            } else if roll < 0.95 {
                rng.random_range(2..=50)
            } else {
                rng.random_range(51..=300)
            };
            let batch = batch.min(self.documents - documents);
            let mut pick = rng.random::<f64>() * total_weight;
            let mut hour = 0;
            while hour < 23 && pick >= HOURLY_WEIGHTS[hour] {
                pick -= HOURLY_WEIGHTS[hour];
                hour += 1;
            }
            let at = (hour as f64 + rng.random::<f64>()) * 3600.0;
            for index in 0..batch {
                // An upload of many files takes a while; the files arrive one after another.
                document_jobs(&mut rng, at + index as f64 * 0.05, &mut arrivals);
            }
            documents += batch;
        }
        arrivals.sort_by(|a, b| a.at.total_cmp(&b.at));
        arrivals
    }
}

fn document_jobs(rng: &mut ChaCha8Rng, at: f64, arrivals: &mut Vec<Arrival>) {
    let kind: f64 = rng.random();
    let fast = |work: f64| Arrival {
        at,
        lane: Lane::Fast,
        work,
    };
    if kind < 0.45 {
        // A structured e-invoice: parsed exactly, no PDF work.
        arrivals.push(fast(rng.random_range(0.02..0.06)));
    } else if kind < 0.80 {
        // A PDF with a text layer.
        arrivals.push(fast(rng.random_range(0.05..0.20)));
    } else {
        let pages: u32 = if kind < 0.97 {
            rng.random_range(1..=3)
        } else {
            rng.random_range(4..=60)
        };
        let per_page = rng.random_range(0.8..1.4);
        if pages <= 3 {
            arrivals.push(fast(per_page * f64::from(pages)));
        } else if pages <= PART_PAGES {
            arrivals.push(Arrival {
                at,
                lane: Lane::Bulk,
                work: per_page * f64::from(pages),
            });
        } else {
            let mut first = 1;
            while first <= pages {
                let last = (first + PART_PAGES - 1).min(pages);
                arrivals.push(Arrival {
                    at,
                    lane: Lane::Bulk,
                    work: per_page * f64::from(last - first + 1),
                });
                first = last + 1;
            }
        }
    }
}

/// The platform the workers run on.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationConfig {
    /// The policy under test.
    pub policy: PolicyConfig,
    /// How often the control loop decides.
    pub control_interval: Duration,
    /// From "start a worker" to its first receive (a Fargate task: about 40 s).
    pub worker_start_delay: Duration,
    /// Workers at midnight.
    pub initial_workers: u32,
    /// The wait the deployment promises (what the tests assert). The policy's
    /// `target_wait` is set lower, leaving room for start-up and decision delays.
    pub acceptable_wait: Duration,
}

impl SimulationConfig {
    /// Workers as ECS Fargate tasks (about 40 s to start), scaled by the dispatcher's
    /// control loop every 15 s; a minute's wait is acceptable. The policy aims at 15 s of
    /// backlog per worker: the start-up and the decision interval take the rest.
    pub fn fargate() -> Self {
        Self {
            policy: PolicyConfig {
                min_workers: 1,
                max_workers: 300,
                target_wait: Duration::from_secs(15),
                default_fast_job_time: Duration::from_millis(500),
                default_bulk_job_time: Duration::from_secs(10),
                scale_out_cooldown: Duration::from_secs(15),
                scale_in_cooldown: Duration::from_secs(60),
                scale_in_max_percent: 50,
                scale_to_zero_after: None,
            },
            control_interval: Duration::from_secs(15),
            worker_start_delay: Duration::from_secs(40),
            initial_workers: 1,
            acceptable_wait: Duration::from_secs(60),
        }
    }

    /// Local worker processes (started in about a second), decided every 5 s: the
    /// dispatcher's defaults, with the machine's CPU limit lifted to see the demand.
    pub fn local_processes() -> Self {
        Self {
            policy: PolicyConfig {
                max_workers: 300,
                ..PolicyConfig::default()
            },
            control_interval: Duration::from_secs(5),
            worker_start_delay: Duration::from_secs(1),
            initial_workers: 1,
            acceptable_wait: Duration::from_secs(30),
        }
    }
}

/// Waits of one lane's jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WaitFigures {
    /// Jobs that ran.
    pub jobs: usize,
    /// Median wait, seconds.
    pub p50: f64,
    /// 95th percentile, seconds.
    pub p95: f64,
    /// 99th percentile, seconds.
    pub p99: f64,
    /// Longest wait, seconds.
    pub max: f64,
}

impl WaitFigures {
    fn of(mut waits: Vec<f64>) -> Self {
        if waits.is_empty() {
            return Self::default();
        }
        waits.sort_by(f64::total_cmp);
        let at = |quantile: f64| {
            let index = ((waits.len() as f64 * quantile).ceil() as usize).clamp(1, waits.len());
            waits[index - 1]
        };
        Self {
            jobs: waits.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: waits[waits.len() - 1],
        }
    }
}

/// What a replayed day cost and how long jobs waited.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationReport {
    /// Jobs that arrived (documents plus scan parts).
    pub jobs: usize,
    /// Jobs still waiting or running at the end of the run (must be none).
    pub unfinished: usize,
    /// Seconds of processing in all jobs.
    pub work_seconds: f64,
    /// Worker-hours paid for: every worker from its start to its stop, start-up included.
    pub worker_hours: f64,
    /// Worker-hours of the ideal: all the work done back to back by one worker.
    pub ideal_worker_hours: f64,
    /// Most workers at once.
    pub peak_workers: u32,
    /// Decisions that changed the pool.
    pub scale_events: usize,
    /// Fast-lane waits.
    pub fast_wait: WaitFigures,
    /// Bulk-lane waits.
    pub bulk_wait: WaitFigures,
}

struct SimWorker {
    spawned: f64,
    /// When it may take its next job (start-up done, previous job finished).
    free_at: f64,
    /// Lane of the job running until `free_at`.
    running: Option<Lane>,
    /// Told to stop: takes no more jobs and leaves once `free_at` has passed.
    stopping: bool,
}

/// Replay `arrivals` (ordered by time) on a pool that `config` scales; runs past midnight
/// until every job is done.
pub fn simulate(arrivals: &[Arrival], config: &SimulationConfig) -> SimulationReport {
    let step = config.control_interval.as_secs_f64().max(0.1);
    let start_delay = config.worker_start_delay.as_secs_f64();
    let mut controller = Controller::new(config.policy.clone());
    let mut fast: VecDeque<Arrival> = VecDeque::new();
    let mut bulk: VecDeque<Arrival> = VecDeque::new();
    let mut fast_mean = MeanEstimator::new(0.05);
    let mut bulk_mean = MeanEstimator::new(0.05);
    let mut fast_waits = Vec::new();
    let mut bulk_waits = Vec::new();
    let mut workers: Vec<SimWorker> = (0..config.initial_workers)
        .map(|_| SimWorker {
            spawned: 0.0,
            free_at: 0.0,
            running: None,
            stopping: false,
        })
        .collect();
    let mut worker_seconds = 0.0;
    let mut peak_workers = config.initial_workers;
    let mut scale_events = 0;
    let mut next_arrival = 0;
    let mut now = 0.0;
    // Past midnight the run continues until the queues drain (bounded, in case a policy
    // never drains them: the report then counts the unfinished jobs).
    while now < DAY || (now < 2.0 * DAY && (!fast.is_empty() || !bulk.is_empty())) {
        let end = now + step;
        // Decide on what the queues look like at the start of the interval.
        let in_flight = |lane: Lane| {
            workers
                .iter()
                .filter(|worker| worker.running == Some(lane) && worker.free_at > now)
                .count() as u64
        };
        let snapshot = Snapshot {
            fast: LaneLoad {
                visible: fast.len() as u64,
                in_flight: in_flight(Lane::Fast),
                mean_processing_time: fast_mean.mean(),
            },
            bulk: LaneLoad {
                visible: bulk.len() as u64,
                in_flight: in_flight(Lane::Bulk),
                mean_processing_time: bulk_mean.mean(),
            },
            current_workers: workers.iter().filter(|w| !w.stopping).count() as u32,
        };
        let (_, decision) = controller.tick(Duration::from_secs_f64(now), &snapshot);
        let current = snapshot.current_workers;
        if decision.desired_workers > current {
            scale_events += 1;
            for _ in current..decision.desired_workers {
                workers.push(SimWorker {
                    spawned: now,
                    free_at: now + start_delay,
                    running: None,
                    stopping: false,
                });
            }
        } else if decision.desired_workers < current {
            scale_events += 1;
            // Stop idle workers first, then the newest: ECS and the local pool both pick.
            let mut to_stop = current - decision.desired_workers;
            let mut order: Vec<usize> = (0..workers.len())
                .filter(|&i| !workers[i].stopping)
                .collect();
            order.sort_by(|&a, &b| {
                let busy = |i: usize| workers[i].free_at > now;
                busy(a)
                    .cmp(&busy(b))
                    .then(workers[b].spawned.total_cmp(&workers[a].spawned))
            });
            for index in order {
                if to_stop == 0 {
                    break;
                }
                workers[index].stopping = true;
                to_stop -= 1;
            }
        }
        // Workers that were told to stop leave once their job is done.
        workers.retain(|worker| {
            let leaves = worker.stopping && worker.free_at <= now;
            if leaves {
                worker_seconds += worker.free_at.max(now) - worker.spawned;
            }
            !leaves
        });
        peak_workers = peak_workers.max(workers.len() as u32);

        // Serve the interval: always the earliest free worker next, FIFO within each lane.
        loop {
            while next_arrival < arrivals.len() && arrivals[next_arrival].at < end {
                let arrival = arrivals[next_arrival];
                match arrival.lane {
                    Lane::Fast => fast.push_back(arrival),
                    Lane::Bulk => bulk.push_back(arrival),
                }
                next_arrival += 1;
            }
            let Some((index, free_at)) = workers
                .iter()
                .enumerate()
                .filter(|(_, worker)| !worker.stopping && worker.free_at < end)
                .map(|(index, worker)| (index, worker.free_at.max(now)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                break;
            };
            // The worker's lane rule, on the lanes' in-flight counts at this moment.
            let busy = |lane: Lane| {
                workers
                    .iter()
                    .filter(|worker| worker.running == Some(lane) && worker.free_at > free_at)
                    .count()
            };
            let (busy_fast, busy_bulk) = (busy(Lane::Fast), busy(Lane::Bulk));
            let bulk_first = (busy_bulk + 1) * 2 <= busy_fast + busy_bulk + 1;
            let worker = &mut workers[index];
            let ready =
                |queue: &VecDeque<Arrival>| queue.front().is_some_and(|job| job.at <= free_at);
            let lane = match (ready(&fast), ready(&bulk)) {
                (true, true) if bulk_first => Some(Lane::Bulk),
                (true, _) => Some(Lane::Fast),
                (false, true) => Some(Lane::Bulk),
                (false, false) => None,
            };
            let Some(lane) = lane else {
                // Nothing yet: idle until the next job arrives, or the end of the interval.
                let next = [fast.front(), bulk.front()]
                    .into_iter()
                    .flatten()
                    .map(|job| job.at)
                    .fold(end, f64::min);
                worker.free_at = next.max(free_at + 1e-9);
                worker.running = None;
                continue;
            };
            let (queue, waits, mean) = match lane {
                Lane::Fast => (&mut fast, &mut fast_waits, &mut fast_mean),
                Lane::Bulk => (&mut bulk, &mut bulk_waits, &mut bulk_mean),
            };
            let job = queue.pop_front().expect("checked ready above");
            waits.push(free_at - job.at);
            mean.record(Duration::from_secs_f64(job.work));
            worker.running = Some(lane);
            worker.free_at = free_at + job.work;
        }
        now = end;
    }
    for worker in &workers {
        worker_seconds += worker.free_at.max(now) - worker.spawned;
    }
    let work_seconds: f64 = arrivals.iter().map(|arrival| arrival.work).sum();
    SimulationReport {
        jobs: arrivals.len(),
        unfinished: fast.len() + bulk.len() + (arrivals.len() - next_arrival),
        work_seconds,
        worker_hours: worker_seconds / 3600.0,
        ideal_worker_hours: work_seconds / 3600.0,
        peak_workers,
        scale_events,
        fast_wait: WaitFigures::of(fast_waits),
        bulk_wait: WaitFigures::of(bulk_waits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_measured_by_quantile() {
        let figures = WaitFigures::of((1..=100).map(f64::from).collect());
        assert_eq!(
            (figures.p50, figures.p95, figures.p99, figures.max),
            (50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(WaitFigures::of(Vec::new()), WaitFigures::default());
    }

    #[test]
    fn one_worker_serves_jobs_in_order_of_arrival() {
        let arrivals = [0.0, 1.0, 1.5].map(|at| Arrival {
            at,
            lane: Lane::Fast,
            work: 2.0,
        });
        let config = SimulationConfig {
            policy: PolicyConfig {
                min_workers: 1,
                max_workers: 1,
                ..PolicyConfig::default()
            },
            control_interval: Duration::from_secs(1),
            worker_start_delay: Duration::ZERO,
            initial_workers: 1,
            acceptable_wait: Duration::from_secs(30),
        };
        let report = simulate(&arrivals, &config);
        // Starts at 0, 2 and 4: waits 0, 1 and 2.5.
        assert_eq!(report.fast_wait.max, 2.5);
        assert_eq!(report.fast_wait.jobs, 3);
        assert_eq!(report.unfinished, 0);
        assert!((report.worker_hours - 24.0).abs() < 0.01, "{report:?}");
    }

    #[test]
    fn arrivals_are_deterministic_and_office_hours_dominate() {
        let profile = DayProfile {
            documents: 2_000,
            seed: 7,
        };
        let arrivals = profile.arrivals();
        assert_eq!(arrivals, profile.arrivals());
        let office = arrivals
            .iter()
            .filter(|a| (8.0 * 3600.0..18.0 * 3600.0).contains(&a.at))
            .count();
        assert!(
            office * 10 > arrivals.len() * 7,
            "{office} of {}",
            arrivals.len()
        );
    }
}
