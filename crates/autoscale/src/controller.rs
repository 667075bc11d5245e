//! The memory around the pure policy: when the pool last scaled, how long the queues have
//! been idle, and the measured processing times.
//!
//! The clock is passed in (time since some start), so the simulation drives the very same
//! controller as the dispatcher's control loop, only faster.

use crate::policy::{decide, Decision, LaneLoad, Observation, PolicyConfig};
use std::time::Duration;

/// What the queues and the pool look like at one tick.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    /// The fast lane.
    pub fast: LaneLoad,
    /// The bulk lane.
    pub bulk: LaneLoad,
    /// Workers running now.
    pub current_workers: u32,
}

/// Feeds the policy its history: call [`Controller::tick`] every control interval and apply
/// the decision it returns.
#[derive(Debug, Clone)]
pub struct Controller {
    config: PolicyConfig,
    last_scale_out: Option<Duration>,
    last_scale_in: Option<Duration>,
    idle_since: Option<Duration>,
}

impl Controller {
    /// A controller that has never scaled.
    pub fn new(config: PolicyConfig) -> Self {
        Self {
            config,
            last_scale_out: None,
            last_scale_in: None,
            idle_since: None,
        }
    }

    /// The policy's settings.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The observation the policy would see at `now` for this snapshot.
    pub fn observe(&mut self, now: Duration, snapshot: &Snapshot) -> Observation {
        let idle = snapshot.fast.visible
            + snapshot.fast.in_flight
            + snapshot.bulk.visible
            + snapshot.bulk.in_flight
            == 0;
        if !idle {
            self.idle_since = None;
        } else if self.idle_since.is_none() {
            self.idle_since = Some(now);
        }
        Observation {
            fast: snapshot.fast,
            bulk: snapshot.bulk,
            current_workers: snapshot.current_workers,
            since_scale_out: self.last_scale_out.map(|at| now.saturating_sub(at)),
            since_scale_in: self.last_scale_in.map(|at| now.saturating_sub(at)),
            idle_for: self
                .idle_since
                .map_or(Duration::ZERO, |at| now.saturating_sub(at)),
        }
    }

    /// Decide for this tick and remember a scale event, assuming the caller applies it.
    /// Returns the observation too, so the caller can log the decision with its inputs.
    pub fn tick(&mut self, now: Duration, snapshot: &Snapshot) -> (Observation, Decision) {
        let observation = self.observe(now, snapshot);
        let decision = decide(&self.config, &observation);
        if decision.desired_workers > snapshot.current_workers {
            self.last_scale_out = Some(now);
        } else if decision.desired_workers < snapshot.current_workers {
            self.last_scale_in = Some(now);
        }
        (observation, decision)
    }
}

/// An exponentially weighted mean of processing times: recent jobs count most, so the
/// estimate follows a change in the document mix within a few dozen jobs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimator {
    weight: f64,
    mean_seconds: Option<f64>,
}

impl MeanEstimator {
    /// `weight` is the share of each new sample (0.05: about the last 20 jobs).
    pub fn new(weight: f64) -> Self {
        Self {
            weight: weight.clamp(0.0001, 1.0),
            mean_seconds: None,
        }
    }

    /// Add one job's processing time.
    pub fn record(&mut self, sample: Duration) {
        let sample = sample.as_secs_f64();
        self.mean_seconds = Some(match self.mean_seconds {
            None => sample,
            Some(mean) => mean + self.weight * (sample - mean),
        });
    }

    /// The current estimate, once a job was recorded.
    pub fn mean(&self) -> Option<Duration> {
        self.mean_seconds.map(Duration::from_secs_f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Reason;

    fn snapshot(visible: u64, in_flight: u64, current_workers: u32) -> Snapshot {
        Snapshot {
            fast: LaneLoad {
                visible,
                in_flight,
                mean_processing_time: Some(Duration::from_secs(1)),
            },
            current_workers,
            ..Snapshot::default()
        }
    }

    fn config() -> PolicyConfig {
        PolicyConfig {
            min_workers: 1,
            max_workers: 10,
            target_wait: Duration::from_secs(10),
            scale_out_cooldown: Duration::from_secs(5),
            scale_in_cooldown: Duration::from_secs(60),
            scale_in_max_percent: 50,
            scale_to_zero_after: Some(Duration::from_secs(300)),
            ..PolicyConfig::default()
        }
    }

    #[test]
    fn remembers_scale_events_for_the_cooldowns() {
        let mut controller = Controller::new(config());
        let secs = Duration::from_secs;
        let (_, decision) = controller.tick(secs(0), &snapshot(50, 1, 1));
        assert_eq!(decision.desired_workers, 6);
        let (observation, decision) = controller.tick(secs(2), &snapshot(100, 6, 6));
        assert_eq!(observation.since_scale_out, Some(secs(2)));
        assert_eq!(decision.reason, Reason::ScaleOutCooldown);
        let (_, decision) = controller.tick(secs(6), &snapshot(100, 6, 6));
        assert_eq!(decision.desired_workers, 10);
        // Drained: scale-in waits a full cooldown after the last scale-out.
        let (_, decision) = controller.tick(secs(30), &snapshot(0, 1, 10));
        assert_eq!(decision.reason, Reason::ScaleInCooldown);
        let (_, decision) = controller.tick(secs(66), &snapshot(0, 1, 10));
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (5, Reason::BacklogBelowTarget)
        );
        let (_, decision) = controller.tick(secs(100), &snapshot(0, 1, 5));
        assert_eq!(decision.reason, Reason::ScaleInCooldown);
    }

    #[test]
    fn counts_idle_time_from_the_first_empty_tick() {
        let mut controller = Controller::new(config());
        let secs = Duration::from_secs;
        controller.tick(secs(0), &snapshot(0, 1, 1));
        let (observation, _) = controller.tick(secs(10), &snapshot(0, 0, 1));
        assert_eq!(observation.idle_for, Duration::ZERO);
        let (observation, decision) = controller.tick(secs(200), &snapshot(0, 0, 1));
        assert_eq!(
            (observation.idle_for, decision.desired_workers),
            (secs(190), 1)
        );
        let (_, decision) = controller.tick(secs(310), &snapshot(0, 0, 1));
        assert_eq!(
            (decision.desired_workers, decision.reason),
            (0, Reason::IdleScaleToZero)
        );
        let (observation, decision) = controller.tick(secs(320), &snapshot(3, 0, 0));
        assert_eq!(
            (observation.idle_for, decision.desired_workers),
            (Duration::ZERO, 1)
        );
    }

    #[test]
    fn mean_estimator_follows_recent_samples() {
        let mut mean = MeanEstimator::new(0.5);
        assert_eq!(mean.mean(), None);
        mean.record(Duration::from_secs(2));
        assert_eq!(mean.mean(), Some(Duration::from_secs(2)));
        mean.record(Duration::from_secs(4));
        assert_eq!(mean.mean(), Some(Duration::from_secs(3)));
    }
}
