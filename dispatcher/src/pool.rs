//! The local worker pool of the embedded default: worker processes this dispatcher starts,
//! restarts when they crash, resizes when the autoscaler says so, and stops gracefully.
//!
//! Workers are processes, not threads, so a worker that dies (a crash, an out-of-memory kill)
//! takes nothing else down; its job reappears in the queue after the visibility timeout.
//! A worker retired by a scale-in gets SIGTERM: it stops receiving and finishes (or releases)
//! its job before it exits, so scaling in loses nothing either.

use async_trait::async_trait;
use stapel_autoscale::{Actuator, ActuatorError};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to run the pool.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Executable to start (this dispatcher, whose `worker` subcommand runs a worker).
    pub program: PathBuf,
    /// Arguments, starting with the subcommand.
    pub args: Vec<OsString>,
    /// Extra environment variables (secrets that must not show in the process list).
    pub env: Vec<(OsString, OsString)>,
    /// Number of worker processes to start with ([`PoolHandle::resize`] changes it).
    pub size: usize,
    /// How long a worker may take to finish its job after SIGTERM before it is killed.
    pub stop_grace: Duration,
    /// Niceness added to each worker (and so to its isolated children): on one machine the
    /// dispatcher's uploads come before processing.
    pub nice: i32,
}

/// What the pool is doing, for the autoscaler's logs and for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Workers the pool keeps running (and replaces when they crash).
    pub size: usize,
    /// Process ids of the running workers of the pool.
    pub running: Vec<u32>,
    /// Process ids of workers told to stop that are still finishing their job.
    pub retiring: Vec<u32>,
}

/// A running pool; [`WorkerPool::shutdown`] stops it.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    handle: PoolHandle,
    status: watch::Receiver<PoolStatus>,
    supervisor: JoinHandle<()>,
}

/// Changes the size of a running pool: the autoscaler's [`Actuator`] for local processes.
#[derive(Clone)]
pub struct PoolHandle {
    size: Arc<watch::Sender<usize>>,
}

impl PoolHandle {
    /// Keep `size` workers: start new ones, or retire the newest gracefully.
    pub fn resize(&self, size: usize) {
        self.size.send_replace(size);
    }

    /// The size the pool keeps (workers being retired not counted).
    pub fn size(&self) -> usize {
        *self.size.borrow()
    }
}

#[async_trait]
impl Actuator for PoolHandle {
    async fn current_workers(&self) -> Result<u32, ActuatorError> {
        Ok(u32::try_from(self.size()).unwrap_or(u32::MAX))
    }

    async fn set_workers(&self, desired: u32) -> Result<(), ActuatorError> {
        self.resize(usize::try_from(desired).unwrap_or(usize::MAX));
        Ok(())
    }
}

struct Slot {
    index: usize,
    child: Option<Child>,
    started: Instant,
    quick_exits: u32,
    restart_at: Option<Instant>,
}

/// A worker told to stop, and when it must be gone.
struct Retiring {
    index: usize,
    child: Child,
    deadline: Instant,
}

impl WorkerPool {
    /// Start `config.size` workers and supervise them.
    pub fn start(config: PoolConfig) -> Self {
        let (stop, stopped) = watch::channel(false);
        let (size, size_changes) = watch::channel(config.size);
        let (status_sender, status) = watch::channel(PoolStatus::default());
        let supervisor = tokio::spawn(supervise(config, stopped, size_changes, status_sender));
        Self {
            stop,
            handle: PoolHandle {
                size: Arc::new(size),
            },
            status,
            supervisor,
        }
    }

    /// A handle that resizes this pool.
    pub fn handle(&self) -> PoolHandle {
        self.handle.clone()
    }

    /// What the pool is doing now.
    pub fn status(&self) -> PoolStatus {
        self.status.borrow().clone()
    }

    /// Follows what the pool is doing, for `/metrics`.
    pub fn status_receiver(&self) -> watch::Receiver<PoolStatus> {
        self.status.clone()
    }

    /// Ask every worker to stop (SIGTERM), wait for them to finish their jobs, kill stragglers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.supervisor.await;
    }
}

/// A local worker belongs to the dispatcher that started it: when the dispatcher dies without
/// shutting the pool down (SIGKILL, a crash), the kernel sends the worker SIGTERM, and the
/// worker releases its job and exits instead of polling on as an orphan. (`kill_on_drop` only
/// covers an orderly exit.) The signal follows the spawning thread, a runtime thread that
/// lives as long as the dispatcher. The worker also runs `nice` steps below the dispatcher.
#[cfg(target_os = "linux")]
fn stop_with_this_process(command: &mut Command, nice: i32) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: between fork and exec only async-signal-safe calls: prctl, getppid, nice.
    unsafe {
        command.pre_exec(move || {
            // Best effort: a worker at the dispatcher's priority still works.
            if nice != 0 {
                libc::nice(nice);
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The dispatcher may have died before the prctl: then nobody would signal.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the dispatcher exited"));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn stop_with_this_process(_command: &mut Command, _nice: i32) {}

fn spawn_worker(config: &PoolConfig, index: usize) -> Option<Child> {
    let mut command = Command::new(&config.program);
    command
        .args(&config.args)
        .envs(config.env.iter().map(|(key, value)| (key, value)))
        // Meant for a worker of its own: local workers would all claim the same port.
        .env_remove("STAPEL_WORKER_METRICS_ADDR")
        .kill_on_drop(true);
    stop_with_this_process(&mut command, config.nice);
    match command.spawn() {
        Ok(child) => {
            tracing::info!(worker = index, pid = child.id(), "worker started");
            Some(child)
        }
        Err(error) => {
            tracing::error!(worker = index, %error, program = %config.program.display(),
                "cannot start worker");
            None
        }
    }
}

fn new_slot(config: &PoolConfig, index: usize) -> Slot {
    Slot {
        index,
        child: spawn_worker(config, index),
        started: Instant::now(),
        quick_exits: 0,
        restart_at: None,
    }
}

async fn supervise(
    config: PoolConfig,
    mut stopped: watch::Receiver<bool>,
    mut size: watch::Receiver<usize>,
    status: watch::Sender<PoolStatus>,
) {
    let mut next_index = config.size;
    let mut slots: Vec<Slot> = (0..config.size)
        .map(|index| new_slot(&config, index))
        .collect();
    let mut retiring: Vec<Retiring> = Vec::new();
    loop {
        let wanted = *size.borrow_and_update();
        while slots.len() < wanted {
            slots.push(new_slot(&config, next_index));
            next_index += 1;
        }
        while slots.len() > wanted {
            // The newest worker goes first: the oldest have proven they start cleanly.
            let Some(slot) = slots.pop() else { break };
            if let Some(child) = slot.child {
                terminate(&child);
                tracing::info!(
                    worker = slot.index,
                    pid = child.id(),
                    "worker retiring (scale-in)"
                );
                retiring.push(Retiring {
                    index: slot.index,
                    child,
                    deadline: Instant::now() + config.stop_grace,
                });
            }
        }
        for slot in &mut slots {
            check_slot(&config, slot);
        }
        reap_retiring(&mut retiring).await;
        status.send_replace(PoolStatus {
            size: slots.len(),
            running: slots
                .iter()
                .filter_map(|slot| slot.child.as_ref().and_then(Child::id))
                .collect(),
            retiring: retiring.iter().filter_map(|r| r.child.id()).collect(),
        });
        tokio::select! {
            _ = stopped.changed() => break,
            _ = size.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
    for slot in &slots {
        if let Some(child) = &slot.child {
            terminate(child);
        }
    }
    let deadline = tokio::time::Instant::now() + config.stop_grace;
    let everyone = slots
        .into_iter()
        .filter_map(|slot| slot.child.map(|child| (slot.index, child)))
        .chain(retiring.into_iter().map(|r| (r.index, r.child)));
    for (index, mut child) in everyone {
        match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(Ok(status)) => tracing::info!(worker = index, %status, "worker stopped"),
            Ok(Err(error)) => tracing::warn!(worker = index, %error, "waiting for worker failed"),
            Err(_) => {
                tracing::warn!(worker = index, "worker did not stop in time; killing it");
                let _ = child.kill().await;
            }
        }
    }
}

/// SIGTERM: the worker stops receiving and finishes or releases its job.
fn terminate(child: &Child) {
    if let Some(pid) = child.id() {
        // SAFETY: sending a signal to a child we spawned and have not reaped; its pid
        // cannot have been reused while we hold the un-waited Child.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
}

/// Forget retired workers that exited; kill those past their grace period.
async fn reap_retiring(retiring: &mut Vec<Retiring>) {
    let mut still = Vec::with_capacity(retiring.len());
    for mut worker in retiring.drain(..) {
        match worker.child.try_wait() {
            Ok(Some(status)) => {
                tracing::info!(worker = worker.index, %status, "retired worker stopped");
            }
            Ok(None) if Instant::now() >= worker.deadline => {
                tracing::warn!(
                    worker = worker.index,
                    "retired worker did not stop in time; killing it"
                );
                let _ = worker.child.kill().await;
            }
            Ok(None) => still.push(worker),
            Err(error) => {
                tracing::warn!(worker = worker.index, %error, "cannot check retired worker");
                still.push(worker);
            }
        }
    }
    *retiring = still;
}

/// Replace a worker that exited: self-healing, with a growing delay for one that keeps
/// dying right after start (a broken configuration should not spin the CPU).
fn check_slot(config: &PoolConfig, slot: &mut Slot) {
    let index = slot.index;
    if let Some(child) = &mut slot.child {
        match child.try_wait() {
            Ok(None) => return,
            Ok(Some(status)) => {
                let lived = slot.started.elapsed();
                slot.quick_exits = if lived < Duration::from_secs(10) {
                    slot.quick_exits + 1
                } else {
                    0
                };
                let delay = Duration::from_millis(250 * 2u64.pow(slot.quick_exits.min(7)));
                tracing::warn!(worker = index, %status, ?lived, restart_in = ?delay, "worker exited; replacing it");
                slot.child = None;
                slot.restart_at = Some(Instant::now() + delay);
            }
            Err(error) => {
                tracing::warn!(worker = index, %error, "cannot check worker status");
                return;
            }
        }
    }
    let due = slot.restart_at.is_none_or(|at| Instant::now() >= at);
    if slot.child.is_none() && due {
        slot.child = spawn_worker(config, index);
        slot.started = Instant::now();
        slot.restart_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in worker: on SIGTERM it "finishes its job" (sleeps a little, then writes a
    /// file named after its pid) and exits, as the real worker does.
    fn fake_worker_pool(dir: &std::path::Path, size: usize, grace: Duration) -> PoolConfig {
        let script = format!(
            "trap 'sleep 0.3; touch {dir}/finished-$$; exit 0' TERM; \
             while true; do sleep 0.05; done",
            dir = dir.display()
        );
        PoolConfig {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: Vec::new(),
            size,
            stop_grace: grace,
            nice: 0,
        }
    }

    async fn wait_for(
        pool: &WorkerPool,
        what: &str,
        check: impl Fn(&PoolStatus) -> bool,
    ) -> PoolStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = pool.status();
            if check(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn finished(dir: &std::path::Path, pid: u32) -> bool {
        dir.join(format!("finished-{pid}")).exists()
    }

    #[tokio::test]
    async fn workers_run_at_the_configured_niceness_below_the_dispatcher() {
        fn niceness(stat: &str) -> i32 {
            // Field 19 of /proc/PID/stat, counted after the parenthesised command name.
            let after_name = &stat[stat.rfind(')').unwrap() + 2..];
            after_name.split(' ').nth(16).unwrap().parse().unwrap()
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("stat");
        let config = PoolConfig {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                format!(
                    "cat /proc/$$/stat > {out}.tmp; mv {out}.tmp {out}; \
                     while true; do sleep 0.05; done",
                    out = out.display()
                )
                .into(),
            ],
            env: Vec::new(),
            size: 1,
            stop_grace: Duration::from_millis(500),
            nice: 7,
        };
        let pool = WorkerPool::start(config);
        wait_for(&pool, "the worker's stat", |_| out.exists()).await;
        let ours = niceness(&std::fs::read_to_string("/proc/self/stat").unwrap());
        let worker = niceness(&std::fs::read_to_string(&out).unwrap());
        assert_eq!(worker, (ours + 7).min(19));
        pool.shutdown().await;
    }

    #[tokio::test]
    async fn resize_starts_workers_and_retires_them_gracefully() {
        let dir = tempfile::tempdir().unwrap();
        let pool = WorkerPool::start(fake_worker_pool(dir.path(), 1, Duration::from_secs(10)));
        let handle = pool.handle();
        wait_for(&pool, "one worker", |s| s.running.len() == 1).await;
        handle.resize(3);
        let grown = wait_for(&pool, "three workers", |s| s.running.len() == 3).await;
        assert_eq!(handle.current_workers().await.unwrap(), 3);

        handle.set_workers(1).await.unwrap();
        let shrunk = wait_for(&pool, "retirements done", |s| {
            s.running.len() == 1 && s.retiring.is_empty()
        })
        .await;
        // The oldest stays; the two newest got SIGTERM and finished their "job" first.
        assert_eq!(shrunk.running, grown.running[..1]);
        for pid in &grown.running[1..] {
            assert!(
                finished(dir.path(), *pid),
                "worker {pid} was not stopped gracefully"
            );
        }
        let kept = shrunk.running[0];
        pool.shutdown().await;
        assert!(
            finished(dir.path(), kept),
            "shutdown stops the last worker gracefully"
        );
    }

    #[tokio::test]
    async fn crashed_workers_are_replaced_at_any_size() {
        let dir = tempfile::tempdir().unwrap();
        let pool = WorkerPool::start(fake_worker_pool(dir.path(), 2, Duration::from_secs(10)));
        let before = wait_for(&pool, "two workers", |s| s.running.len() == 2).await;
        // SAFETY: a child of this pool, alive (status just listed it).
        unsafe { libc::kill(before.running[1] as libc::pid_t, libc::SIGKILL) };
        let after = wait_for(&pool, "a replacement", |s| {
            s.running.len() == 2 && !s.running.contains(&before.running[1])
        })
        .await;
        assert_eq!(after.running[0], before.running[0]);
        pool.handle().resize(0);
        wait_for(&pool, "an empty pool", |s| {
            s.running.is_empty() && s.retiring.is_empty()
        })
        .await;
        pool.shutdown().await;
    }

    #[tokio::test]
    async fn a_worker_that_ignores_sigterm_is_killed_after_the_grace_period() {
        let config = PoolConfig {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                "trap '' TERM; while true; do sleep 0.05; done".into(),
            ],
            env: Vec::new(),
            size: 2,
            stop_grace: Duration::from_millis(500),
            nice: 0,
        };
        let pool = WorkerPool::start(config);
        wait_for(&pool, "two workers", |s| s.running.len() == 2).await;
        pool.handle().resize(1);
        wait_for(&pool, "one retiring", |s| s.retiring.len() == 1).await;
        wait_for(&pool, "the retiree killed", |s| {
            s.retiring.is_empty() && s.running.len() == 1
        })
        .await;
        let started = Instant::now();
        pool.shutdown().await;
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
