//! The scaling policy: one pure function from what the queues look like to a worker count.
//!
//! Target tracking on backlog per worker, as AWS recommends for queue workers: a worker can
//! take on `acceptable wait / mean processing time` waiting jobs before a new job would wait
//! longer than acceptable. With two lanes whose jobs differ a thousandfold in size (a text
//! invoice takes tens of milliseconds, a scan a second per page), the backlog is counted in
//! seconds of work rather than in jobs, so one formula covers both lanes:
//!
//! ```text
//! needed = in_flight + Σ_lane visible(lane) × mean_processing_time(lane) / target_wait
//! ```
//!
//! Jobs in flight each occupy a worker; the waiting work is spread so that the queue drains
//! within the target wait. Scale-out jumps straight to what is needed; scale-in removes a
//! bounded share of the workers at a time, and only after a cooldown, because a worker
//! stopped too early costs a queue wait while a worker kept too long costs only a few minutes
//! of compute.

use std::fmt;
use std::time::Duration;

/// How to scale. Chosen per deployment: local processes start in milliseconds, Fargate tasks
/// in about a minute, which changes how eagerly to scale in.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    /// Fewest workers while there is work, or while idle without scale-to-zero.
    pub min_workers: u32,
    /// Most workers ever: what the machine, the account or the budget allows.
    pub max_workers: u32,
    /// How long a job may wait in the queue: the backlog per worker is kept below
    /// `target_wait / mean processing time`.
    pub target_wait: Duration,
    /// Mean processing time of a fast-lane job until one has been measured.
    pub default_fast_job_time: Duration,
    /// Mean processing time of a bulk-lane job until one has been measured.
    pub default_bulk_job_time: Duration,
    /// Least time between two scale-outs, so a new worker's first jobs show in the queue
    /// depth before more are added. Short: waiting is what scaling out prevents.
    pub scale_out_cooldown: Duration,
    /// Least time after any scale event before scaling in: a peak that pauses for a coffee
    /// break should not lose its workers.
    pub scale_in_cooldown: Duration,
    /// Largest share of the workers, in percent, one scale-in may stop (at least one).
    pub scale_in_max_percent: u32,
    /// Stop every worker after the queues have been empty this long (`None`: keep
    /// `min_workers`). The next job then waits for a worker to start.
    pub scale_to_zero_after: Option<Duration>,
}

impl Default for PolicyConfig {
    /// Defaults for local worker processes.
    fn default() -> Self {
        Self {
            min_workers: 1,
            max_workers: 8,
            target_wait: Duration::from_secs(30),
            default_fast_job_time: Duration::from_millis(500),
            default_bulk_job_time: Duration::from_secs(10),
            scale_out_cooldown: Duration::from_secs(5),
            scale_in_cooldown: Duration::from_secs(60),
            scale_in_max_percent: 50,
            scale_to_zero_after: None,
        }
    }
}

/// One lane's queue as the policy sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LaneLoad {
    /// Jobs waiting to be received (SQS `ApproximateNumberOfMessages`).
    pub visible: u64,
    /// Jobs received and not yet deleted (`...NotVisible`): each occupies a worker.
    pub in_flight: u64,
    /// Measured mean processing time of this lane's jobs, if any were measured recently.
    pub mean_processing_time: Option<Duration>,
}

/// What the policy decides from: a snapshot of the queues, the pool and the clock.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observation {
    /// The fast lane (small documents).
    pub fast: LaneLoad,
    /// The bulk lane (large documents, scan parts).
    pub bulk: LaneLoad,
    /// Workers running now (or the desired count the platform last accepted).
    pub current_workers: u32,
    /// Time since the last scale-out (`None`: never).
    pub since_scale_out: Option<Duration>,
    /// Time since the last scale-in (`None`: never).
    pub since_scale_in: Option<Duration>,
    /// How long both queues have been empty, nothing in flight either (zero while busy).
    pub idle_for: Duration,
}

impl Observation {
    /// Seconds of work waiting in both lanes, with measured or default processing times.
    pub fn backlog_seconds(&self, config: &PolicyConfig) -> f64 {
        let fast = self
            .fast
            .mean_processing_time
            .unwrap_or(config.default_fast_job_time);
        let bulk = self
            .bulk
            .mean_processing_time
            .unwrap_or(config.default_bulk_job_time);
        self.fast.visible as f64 * fast.as_secs_f64()
            + self.bulk.visible as f64 * bulk.as_secs_f64()
    }

    /// Jobs waiting in both lanes.
    pub fn visible(&self) -> u64 {
        self.fast.visible + self.bulk.visible
    }

    /// Jobs being processed in both lanes.
    pub fn in_flight(&self) -> u64 {
        self.fast.in_flight + self.bulk.in_flight
    }

    /// Seconds of waiting work per current worker (all of it when there are no workers).
    pub fn backlog_seconds_per_worker(&self, config: &PolicyConfig) -> f64 {
        self.backlog_seconds(config) / f64::from(self.current_workers.max(1))
    }
}

/// Why the policy chose its count; `code()` is the stable label in logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The backlog per worker is above target: add workers to drain it in time.
    BacklogAboveTarget,
    /// Fewer workers than the configured minimum (the bounds changed, or workers died).
    BelowMinimum,
    /// More workers than the configured maximum.
    AboveMaximum,
    /// More workers than the backlog needs, and the cooldown has passed.
    BacklogBelowTarget,
    /// The queues have been empty long enough: stop every worker.
    IdleScaleToZero,
    /// More workers are needed, but the last scale-out was too recent.
    ScaleOutCooldown,
    /// Fewer workers would do, but the last scale event was too recent.
    ScaleInCooldown,
    /// The workers match the backlog.
    OnTarget,
    /// More workers are needed than the maximum allows: stay at the maximum.
    AtMaximum,
}

impl Reason {
    /// Stable label for logs and metrics.
    pub fn code(self) -> &'static str {
        match self {
            Reason::BacklogAboveTarget => "backlog_above_target",
            Reason::BelowMinimum => "below_minimum",
            Reason::AboveMaximum => "above_maximum",
            Reason::BacklogBelowTarget => "backlog_below_target",
            Reason::IdleScaleToZero => "idle_scale_to_zero",
            Reason::ScaleOutCooldown => "scale_out_cooldown",
            Reason::ScaleInCooldown => "scale_in_cooldown",
            Reason::OnTarget => "on_target",
            Reason::AtMaximum => "at_maximum",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Workers there should be.
    pub desired_workers: u32,
    /// Workers the backlog alone asks for, before bounds, cooldowns and step limits.
    pub needed_workers: u32,
    /// Why `desired_workers` is what it is.
    pub reason: Reason,
}

impl Decision {
    /// Whether applying this decision changes the pool.
    pub fn changes(&self, current_workers: u32) -> bool {
        self.desired_workers != current_workers
    }
}

/// Decide how many workers there should be. Pure: the same observation gives the same
/// decision, so the simulation and the tests exercise exactly what production runs.
pub fn decide(config: &PolicyConfig, observation: &Observation) -> Decision {
    let max = config.max_workers;
    let min = config.min_workers.min(max);
    let current = observation.current_workers;
    let target_wait = config.target_wait.as_secs_f64().max(0.001);
    let busy = observation.in_flight() as f64;
    let needed_float = busy + observation.backlog_seconds(config) / target_wait;
    // Waiting jobs always need a worker, however short they are expected to be.
    let mut needed = needed_float.ceil().min(f64::from(u32::MAX)) as u32;
    if observation.visible() > 0 {
        needed = needed.max(1);
    }
    let decision = |desired_workers: u32, reason: Reason| Decision {
        desired_workers,
        needed_workers: needed,
        reason,
    };

    let idle = observation.visible() == 0 && observation.in_flight() == 0;
    if idle {
        if let Some(after) = config.scale_to_zero_after {
            if observation.idle_for >= after {
                return if current == 0 {
                    decision(0, Reason::OnTarget)
                } else {
                    decision(0, Reason::IdleScaleToZero)
                };
            }
        }
    }
    // Out of bounds is corrected at once, whatever the cooldowns say.
    if current > max {
        return decision(max, Reason::AboveMaximum);
    }
    // An idle pool scaled to zero stays at zero until work arrives.
    let floor = if idle && current == 0 && config.scale_to_zero_after.is_some() {
        0
    } else {
        min
    };
    if current < floor {
        return decision(needed.clamp(floor, max), Reason::BelowMinimum);
    }
    let target = needed.clamp(floor, max);

    if target > current {
        let cooling = observation
            .since_scale_out
            .is_some_and(|since| since < config.scale_out_cooldown);
        // A pool at zero with work waiting is started at once: nothing else will drain it.
        if cooling && current > 0 {
            return decision(current, Reason::ScaleOutCooldown);
        }
        return decision(target, Reason::BacklogAboveTarget);
    }
    if target < current {
        let recent = |since: Option<Duration>| since.is_some_and(|s| s < config.scale_in_cooldown);
        if recent(observation.since_scale_out) || recent(observation.since_scale_in) {
            return decision(current, Reason::ScaleInCooldown);
        }
        let step = (u64::from(current) * u64::from(config.scale_in_max_percent)).div_ceil(100);
        let step = u32::try_from(step).unwrap_or(u32::MAX).max(1);
        return decision(
            target.max(current.saturating_sub(step)),
            Reason::BacklogBelowTarget,
        );
    }
    if needed > max {
        decision(current, Reason::AtMaximum)
    } else {
        decision(current, Reason::OnTarget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> PolicyConfig {
        PolicyConfig {
            min_workers: 1,
            max_workers: 20,
            target_wait: Duration::from_secs(30),
            default_fast_job_time: Duration::from_secs(1),
            default_bulk_job_time: Duration::from_secs(10),
            scale_out_cooldown: Duration::from_secs(5),
            scale_in_cooldown: Duration::from_secs(60),
            scale_in_max_percent: 25,
            scale_to_zero_after: None,
        }
    }

    fn observe(fast_visible: u64, in_flight: u64, current_workers: u32) -> Observation {
        Observation {
            fast: LaneLoad {
                visible: fast_visible,
                in_flight,
                mean_processing_time: None,
            },
            current_workers,
            ..Observation::default()
        }
    }

    #[test]
    fn backlog_above_target_scales_out_to_what_is_needed_in_one_step() {
        // 300 jobs of 1 s, 30 s acceptable: 10 workers drain them in time, plus 2 busy.
        let decision = decide(&config(), &observe(300, 2, 2));
        assert_eq!(decision.desired_workers, 12);
        assert_eq!(decision.reason, Reason::BacklogAboveTarget);
    }

    #[test]
    fn lanes_are_weighed_by_their_processing_time() {
        let mut observation = observe(0, 0, 1);
        observation.bulk.visible = 30;
        observation.bulk.mean_processing_time = Some(Duration::from_secs(20));
        // 600 s of scans over 30 s: 20 workers.
        assert_eq!(decide(&config(), &observation).desired_workers, 20);
        observation.fast.visible = 30;
        observation.fast.mean_processing_time = Some(Duration::from_millis(50));
        observation.bulk.visible = 0;
        // 1.5 s of text invoices: one worker is plenty.
        assert_eq!(decide(&config(), &observation).desired_workers, 1);
    }

    #[test]
    fn maximum_caps_scale_out() {
        let decision = decide(&config(), &observe(10_000, 0, 20));
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (20, Reason::AtMaximum)
        );
        assert_eq!(decision.needed_workers, 334);
    }

    #[test]
    fn scale_out_waits_for_its_short_cooldown_but_not_from_zero() {
        let mut observation = observe(300, 0, 2);
        observation.since_scale_out = Some(Duration::from_secs(2));
        let decision = decide(&config(), &observation);
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (2, Reason::ScaleOutCooldown)
        );
        observation.current_workers = 0;
        let mut config = config();
        config.min_workers = 0;
        assert_eq!(decide(&config, &observation).desired_workers, 10);
    }

    #[test]
    fn scale_in_waits_for_the_cooldown_then_removes_a_bounded_share() {
        let mut observation = observe(0, 1, 16);
        observation.since_scale_out = Some(Duration::from_secs(30));
        let decision = decide(&config(), &observation);
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (16, Reason::ScaleInCooldown)
        );
        observation.since_scale_out = Some(Duration::from_secs(90));
        observation.since_scale_in = Some(Duration::from_secs(10));
        assert_eq!(
            decide(&config(), &observation).reason,
            Reason::ScaleInCooldown
        );
        observation.since_scale_in = Some(Duration::from_secs(61));
        let decision = decide(&config(), &observation);
        // 25 % of 16 is 4.
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (12, Reason::BacklogBelowTarget)
        );
    }

    #[test]
    fn idle_pool_keeps_the_minimum_or_scales_to_zero_when_allowed() {
        let mut observation = observe(0, 0, 1);
        observation.idle_for = Duration::from_secs(3600);
        assert_eq!(decide(&config(), &observation).desired_workers, 1);
        let mut config = config();
        config.scale_to_zero_after = Some(Duration::from_secs(600));
        let decision = decide(&config, &observation);
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (0, Reason::IdleScaleToZero)
        );
        observation.idle_for = Duration::from_secs(60);
        assert_eq!(decide(&config, &observation).desired_workers, 1);
        // Once at zero it stays there while idle, though min_workers is 1 ...
        observation.current_workers = 0;
        assert_eq!(decide(&config, &observation).desired_workers, 0);
        // ... and the first waiting job wakes it up.
        observation.fast.visible = 1;
        observation.idle_for = Duration::ZERO;
        let decision = decide(&config, &observation);
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (1, Reason::BelowMinimum)
        );
    }

    #[test]
    fn out_of_bounds_pools_are_corrected_at_once() {
        let mut observation = observe(0, 0, 30);
        observation.since_scale_in = Some(Duration::ZERO);
        let decision = decide(&config(), &observation);
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (20, Reason::AboveMaximum)
        );
        let mut config = config();
        config.min_workers = 3;
        let decision = decide(&config, &observe(0, 0, 1));
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (3, Reason::BelowMinimum)
        );
    }

    fn any_config() -> impl Strategy<Value = PolicyConfig> {
        (
            0u32..10,
            0u32..200,
            1u64..600,
            1u64..5_000,
            1u64..60_000,
            0u64..120,
            0u64..900,
            0u32..=100,
            proptest::option::of(0u64..3_600),
        )
            .prop_map(
                |(min, max, wait, fast_ms, bulk_ms, out_s, in_s, percent, zero_s)| PolicyConfig {
                    min_workers: min,
                    max_workers: max,
                    target_wait: Duration::from_secs(wait),
                    default_fast_job_time: Duration::from_millis(fast_ms),
                    default_bulk_job_time: Duration::from_millis(bulk_ms),
                    scale_out_cooldown: Duration::from_secs(out_s),
                    scale_in_cooldown: Duration::from_secs(in_s),
                    scale_in_max_percent: percent,
                    scale_to_zero_after: zero_s.map(Duration::from_secs),
                },
            )
    }

    fn any_lane() -> impl Strategy<Value = LaneLoad> {
        (
            prop_oneof![Just(0u64), 0u64..100, 0u64..1_000_000],
            prop_oneof![Just(0u64), 0u64..300],
            proptest::option::of(1u64..100_000),
        )
            .prop_map(|(visible, in_flight, ms)| LaneLoad {
                visible,
                in_flight,
                mean_processing_time: ms.map(Duration::from_millis),
            })
    }

    fn any_observation() -> impl Strategy<Value = Observation> {
        let since = || proptest::option::of((0u64..2_000).prop_map(Duration::from_secs));
        (
            any_lane(),
            any_lane(),
            0u32..300,
            since(),
            since(),
            0u64..7_200,
        )
            .prop_map(
                |(fast, bulk, current_workers, since_scale_out, since_scale_in, idle)| {
                    Observation {
                        fast,
                        bulk,
                        current_workers,
                        since_scale_out,
                        since_scale_in,
                        idle_for: Duration::from_secs(idle),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn desired_never_exceeds_the_maximum(config in any_config(), observation in any_observation()) {
            prop_assert!(decide(&config, &observation).desired_workers <= config.max_workers);
        }

        #[test]
        fn desired_respects_the_minimum_unless_idle_with_scale_to_zero(
            config in any_config(), observation in any_observation()
        ) {
            let decision = decide(&config, &observation);
            let idle = observation.visible() == 0 && observation.in_flight() == 0;
            if decision.desired_workers < config.min_workers.min(config.max_workers) {
                prop_assert!(idle && config.scale_to_zero_after.is_some(), "{decision:?}");
            }
        }

        #[test]
        fn waiting_work_always_gets_a_worker(config in any_config(), observation in any_observation()) {
            let decision = decide(&config, &observation);
            if observation.visible() > 0 && config.max_workers > 0 {
                prop_assert!(decision.desired_workers >= 1);
            }
        }

        #[test]
        fn never_scales_in_while_backlog_per_worker_is_above_target(
            config in any_config(), observation in any_observation()
        ) {
            let decision = decide(&config, &observation);
            let above_target = observation.backlog_seconds_per_worker(&config)
                > config.target_wait.as_secs_f64();
            if above_target && observation.current_workers <= config.max_workers {
                prop_assert!(decision.desired_workers >= observation.current_workers, "{decision:?}");
            }
        }

        #[test]
        fn scale_in_is_bounded_and_respects_the_cooldown(
            config in any_config(), observation in any_observation()
        ) {
            let decision = decide(&config, &observation);
            let current = observation.current_workers;
            if decision.desired_workers < current
                && current <= config.max_workers
                && decision.reason != Reason::IdleScaleToZero
            {
                let recent = |since: Option<Duration>| since.is_some_and(|s| s < config.scale_in_cooldown);
                prop_assert!(!recent(observation.since_scale_out) && !recent(observation.since_scale_in));
                let step = (u64::from(current) * u64::from(config.scale_in_max_percent)).div_ceil(100).max(1);
                prop_assert!(u64::from(current - decision.desired_workers) <= step);
            }
        }

        #[test]
        fn scale_out_reaches_the_need_within_bounds(config in any_config(), observation in any_observation()) {
            let decision = decide(&config, &observation);
            if decision.reason == Reason::BacklogAboveTarget {
                prop_assert!(decision.desired_workers > observation.current_workers);
                prop_assert_eq!(decision.desired_workers, decision.needed_workers.min(config.max_workers));
            }
        }

        #[test]
        fn more_backlog_never_asks_for_fewer_workers(
            config in any_config(), observation in any_observation(), extra in 0u64..10_000
        ) {
            let mut busier = observation;
            busier.fast.visible += extra;
            busier.idle_for = Duration::ZERO;
            let mut less_busy = observation;
            less_busy.idle_for = Duration::ZERO;
            prop_assert!(decide(&config, &busier).needed_workers >= decide(&config, &less_busy).needed_workers);
        }
    }
}
