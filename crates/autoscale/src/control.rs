//! The control loop: every interval, read the queues and the pool, ask the policy, apply the
//! decision, and log and export it with its inputs.

use crate::actuator::Actuator;
use crate::controller::{Controller, Snapshot};
use crate::policy::{Decision, LaneLoad, Observation, PolicyConfig};
use async_trait::async_trait;
use std::future::Future;
use std::time::Duration;

/// Where the queue depths come from (the dispatcher reads its fast and bulk queues).
#[async_trait]
pub trait LoadSource: Send + Sync {
    /// The fast and the bulk lane now; an error skips this tick.
    async fn lanes(&self) -> Result<(LaneLoad, LaneLoad), String>;
}

/// Run the loop until `shutdown` resolves. Errors are logged and the tick skipped: a
/// scaler that stops on a throttled API call would leave the pool at whatever size it had.
pub async fn run_control_loop(
    config: PolicyConfig,
    actuator: &dyn Actuator,
    load: &dyn LoadSource,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut controller = Controller::new(config);
    let started = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = ticks.tick() => {}
        }
        let (fast, bulk) = match load.lanes().await {
            Ok(lanes) => lanes,
            Err(error) => {
                tracing::warn!(%error, "autoscaler: cannot read the queue depths; skipping this tick");
                continue;
            }
        };
        let current_workers = match actuator.current_workers().await {
            Ok(current) => current,
            Err(error) => {
                tracing::warn!(%error, "autoscaler: cannot read the worker count; skipping this tick");
                continue;
            }
        };
        let snapshot = Snapshot {
            fast,
            bulk,
            current_workers,
        };
        let (observation, decision) = controller.tick(started.elapsed(), &snapshot);
        report(controller.config(), &observation, &decision);
        if decision.changes(current_workers) {
            if let Err(error) = actuator.set_workers(decision.desired_workers).await {
                tracing::warn!(%error, desired = decision.desired_workers,
                    "autoscaler: cannot apply the decision");
                metrics::counter!("stapel_autoscaler_errors_total").increment(1);
            }
        }
    }
}

/// Log a decision with everything it was based on, and export the same figures as metrics
/// (`stapel_autoscaler_*`, through the `metrics` facade: whichever recorder the binary
/// installs sees them).
pub fn report(config: &PolicyConfig, observation: &Observation, decision: &Decision) {
    let backlog_per_worker = observation.backlog_seconds_per_worker(config);
    let fields = (
        observation.fast.visible,
        observation.fast.in_flight,
        observation.bulk.visible,
        observation.bulk.in_flight,
    );
    if decision.changes(observation.current_workers) {
        tracing::info!(
            reason = decision.reason.code(),
            current = observation.current_workers,
            desired = decision.desired_workers,
            needed = decision.needed_workers,
            fast_visible = fields.0,
            fast_in_flight = fields.1,
            bulk_visible = fields.2,
            bulk_in_flight = fields.3,
            backlog_seconds_per_worker = backlog_per_worker,
            target_wait_seconds = config.target_wait.as_secs_f64(),
            idle_seconds = observation.idle_for.as_secs(),
            "autoscaler: scaling"
        );
        metrics::counter!("stapel_autoscaler_scale_events_total", "reason" => decision.reason.code())
            .increment(1);
    } else {
        tracing::debug!(
            reason = decision.reason.code(),
            current = observation.current_workers,
            needed = decision.needed_workers,
            fast_visible = fields.0,
            fast_in_flight = fields.1,
            bulk_visible = fields.2,
            bulk_in_flight = fields.3,
            backlog_seconds_per_worker = backlog_per_worker,
            "autoscaler: holding"
        );
    }
    metrics::gauge!("stapel_autoscaler_current_workers")
        .set(f64::from(observation.current_workers));
    metrics::gauge!("stapel_autoscaler_desired_workers").set(f64::from(decision.desired_workers));
    metrics::gauge!("stapel_autoscaler_needed_workers").set(f64::from(decision.needed_workers));
    metrics::gauge!("stapel_autoscaler_backlog_seconds_per_worker").set(backlog_per_worker);
    metrics::gauge!("stapel_autoscaler_queue_visible", "lane" => "fast").set(fields.0 as f64);
    metrics::gauge!("stapel_autoscaler_queue_in_flight", "lane" => "fast").set(fields.1 as f64);
    metrics::gauge!("stapel_autoscaler_queue_visible", "lane" => "bulk").set(fields.2 as f64);
    metrics::gauge!("stapel_autoscaler_queue_in_flight", "lane" => "bulk").set(fields.3 as f64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actuator::ActuatorError;
    use std::sync::Mutex;

    /// A pool that is exactly as large as it was last told to be.
    struct FakePool {
        workers: Mutex<u32>,
        history: Mutex<Vec<u32>>,
    }

    #[async_trait]
    impl Actuator for FakePool {
        async fn current_workers(&self) -> Result<u32, ActuatorError> {
            Ok(*self.workers.lock().unwrap())
        }
        async fn set_workers(&self, desired: u32) -> Result<(), ActuatorError> {
            *self.workers.lock().unwrap() = desired;
            self.history.lock().unwrap().push(desired);
            Ok(())
        }
    }

    /// A queue whose backlog is whatever the test last put there; fails when told to.
    struct FakeQueue {
        visible: Mutex<Option<u64>>,
    }

    #[async_trait]
    impl LoadSource for FakeQueue {
        async fn lanes(&self) -> Result<(LaneLoad, LaneLoad), String> {
            let visible = self.visible.lock().unwrap().ok_or("queue unreachable")?;
            let fast = LaneLoad {
                visible,
                in_flight: 0,
                mean_processing_time: Some(Duration::from_secs(1)),
            };
            Ok((fast, LaneLoad::default()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn loop_scales_out_on_backlog_and_back_in_after_the_cooldown() {
        let pool = FakePool {
            workers: Mutex::new(1),
            history: Mutex::new(Vec::new()),
        };
        let queue = FakeQueue {
            visible: Mutex::new(Some(100)),
        };
        let config = PolicyConfig {
            min_workers: 1,
            max_workers: 4,
            target_wait: Duration::from_secs(10),
            scale_in_cooldown: Duration::from_secs(30),
            scale_in_max_percent: 100,
            ..PolicyConfig::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let script = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert_eq!(
                *pool.workers.lock().unwrap(),
                4,
                "scaled out to the maximum"
            );
            *queue.visible.lock().unwrap() = None;
            tokio::time::sleep(Duration::from_secs(10)).await;
            assert_eq!(
                *pool.workers.lock().unwrap(),
                4,
                "an unreadable queue changes nothing"
            );
            *queue.visible.lock().unwrap() = Some(0);
            tokio::time::sleep(Duration::from_secs(40)).await;
            let _ = stop.send(());
        };
        let control = run_control_loop(config, &pool, &queue, Duration::from_secs(1), async {
            let _ = stopped.await;
        });
        tokio::join!(script, control);
        assert_eq!(*pool.history.lock().unwrap(), vec![4, 1]);
    }
}
