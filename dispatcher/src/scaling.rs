//! The autoscaler's inputs and outputs in the dispatcher: queue depths from the backends,
//! and the choice of actuator (the local pool or an ECS service).

use async_trait::async_trait;
use stapel_autoscale::{LaneLoad, LoadSource, PolicyConfig};
use stapel_pipeline::Backends;
use std::time::Duration;

/// Reads the fast and the bulk lane's depth from the job queues.
pub struct QueueLoad {
    /// The queues to read.
    pub backends: Backends,
}

#[async_trait]
impl LoadSource for QueueLoad {
    async fn lanes(&self) -> Result<(LaneLoad, LaneLoad), String> {
        let fast = self
            .backends
            .queue
            .depth()
            .await
            .map_err(|e| e.to_string())?;
        let bulk = self
            .backends
            .bulk
            .depth()
            .await
            .map_err(|e| e.to_string())?;
        // Processing times are not measured across processes yet: the policy falls back to
        // its configured per-lane means.
        let lane = |visible, in_flight| LaneLoad {
            visible,
            in_flight,
            mean_processing_time: None,
        };
        Ok((
            lane(fast.visible, fast.in_flight),
            lane(bulk.visible, bulk.in_flight),
        ))
    }
}

/// The autoscaler's flags of `dispatcher serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleArgs {
    /// Fewest local workers when autoscaling (when --workers is not given).
    #[arg(long, env = "STAPEL_MIN_WORKERS", default_value_t = 1)]
    pub min_workers: u32,

    /// Most workers when autoscaling (default: the number of CPUs for local workers).
    #[arg(long, env = "STAPEL_MAX_WORKERS")]
    pub max_workers: Option<u32>,

    /// Acceptable queue wait in seconds: workers are added while the backlog per worker
    /// would take longer than this to drain.
    #[arg(long, env = "STAPEL_SCALE_TARGET_WAIT", default_value_t = 30)]
    pub scale_target_wait: u64,

    /// Seconds between autoscaler decisions.
    #[arg(long, env = "STAPEL_SCALE_INTERVAL", default_value_t = 5)]
    pub scale_interval: u64,

    /// Seconds after any scale event before workers are removed.
    #[arg(long, env = "STAPEL_SCALE_IN_COOLDOWN", default_value_t = 60)]
    pub scale_in_cooldown: u64,

    /// Stop every worker after the queues have been empty this many seconds (off by
    /// default: --min-workers stay).
    #[arg(long, env = "STAPEL_SCALE_TO_ZERO_AFTER")]
    pub scale_to_zero_after: Option<u64>,

    /// Assumed mean processing time of a fast-lane job, milliseconds.
    #[arg(long, env = "STAPEL_SCALE_FAST_JOB_MS", default_value_t = 500)]
    pub scale_fast_job_ms: u64,

    /// Assumed mean processing time of a bulk-lane job, milliseconds.
    #[arg(long, env = "STAPEL_SCALE_BULK_JOB_MS", default_value_t = 10_000)]
    pub scale_bulk_job_ms: u64,

    /// ECS cluster of --ecs-service.
    #[arg(long, env = "STAPEL_ECS_CLUSTER", requires = "ecs_service")]
    pub ecs_cluster: Option<String>,

    /// Scale this ECS service's desired count instead of local worker processes.
    #[arg(long, env = "STAPEL_ECS_SERVICE", requires = "ecs_cluster")]
    pub ecs_service: Option<String>,
}

impl ScaleArgs {
    /// The policy these flags describe; `default_max` applies without --max-workers.
    pub fn policy(&self, default_max: u32) -> PolicyConfig {
        let max_workers = self.max_workers.unwrap_or(default_max);
        PolicyConfig {
            min_workers: self.min_workers.min(max_workers),
            max_workers,
            target_wait: Duration::from_secs(self.scale_target_wait.max(1)),
            default_fast_job_time: Duration::from_millis(self.scale_fast_job_ms.max(1)),
            default_bulk_job_time: Duration::from_millis(self.scale_bulk_job_ms.max(1)),
            scale_in_cooldown: Duration::from_secs(self.scale_in_cooldown),
            scale_to_zero_after: self.scale_to_zero_after.map(Duration::from_secs),
            ..PolicyConfig::default()
        }
    }
}

/// The control loop running in the background of `serve`.
pub struct Autoscaler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Autoscaler {
    /// Start deciding every `interval` for the queues of `backends`, applying to `actuator`.
    pub fn spawn(
        policy: PolicyConfig,
        actuator: Box<dyn stapel_autoscale::Actuator>,
        backends: Backends,
        interval: Duration,
    ) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tracing::info!(
            min_workers = policy.min_workers,
            max_workers = policy.max_workers,
            target_wait_seconds = policy.target_wait.as_secs(),
            interval_seconds = interval.as_secs(),
            "autoscaler started"
        );
        let task = tokio::spawn(async move {
            let load = QueueLoad { backends };
            stapel_autoscale::run_control_loop(policy, actuator.as_ref(), &load, interval, async {
                let _ = stopped.await;
            })
            .await;
        });
        Self { stop, task }
    }

    /// Stop deciding (before the pool shuts down, so nothing restarts workers).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
