//! The local worker pool of the embedded default: worker processes this dispatcher starts,
//! restarts when they crash, and stops gracefully.
//!
//! Workers are processes, not threads, so a worker that dies (a crash, an out-of-memory kill)
//! takes nothing else down; its job reappears in the queue after the visibility timeout.

use std::ffi::OsString;
use std::path::PathBuf;
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
    /// Number of worker processes.
    pub size: usize,
    /// How long a worker may take to finish its job after SIGTERM before it is killed.
    pub stop_grace: Duration,
}

/// A running pool; [`WorkerPool::shutdown`] stops it.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    supervisor: JoinHandle<()>,
}

struct Slot {
    child: Option<Child>,
    started: Instant,
    quick_exits: u32,
    restart_at: Option<Instant>,
}

impl WorkerPool {
    /// Start `config.size` workers and supervise them.
    pub fn start(config: PoolConfig) -> Self {
        let (stop, stopped) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(config, stopped));
        Self { stop, supervisor }
    }

    /// Ask every worker to stop (SIGTERM), wait for them to finish their jobs, kill stragglers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.supervisor.await;
    }
}

fn spawn_worker(config: &PoolConfig, index: usize) -> Option<Child> {
    match Command::new(&config.program)
        .args(&config.args)
        .envs(config.env.iter().map(|(key, value)| (key, value)))
        .kill_on_drop(true)
        .spawn()
    {
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

async fn supervise(config: PoolConfig, mut stopped: watch::Receiver<bool>) {
    let mut slots: Vec<Slot> = (0..config.size)
        .map(|index| Slot {
            child: spawn_worker(&config, index),
            started: Instant::now(),
            quick_exits: 0,
            restart_at: None,
        })
        .collect();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        for (index, slot) in slots.iter_mut().enumerate() {
            check_slot(&config, index, slot);
        }
    }
    stop_all(&mut slots, config.stop_grace).await;
}

/// Replace a worker that exited: self-healing, with a growing delay for one that keeps
/// dying right after start (a broken configuration should not spin the CPU).
fn check_slot(config: &PoolConfig, index: usize, slot: &mut Slot) {
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

async fn stop_all(slots: &mut [Slot], grace: Duration) {
    for slot in slots.iter() {
        if let Some(pid) = slot.child.as_ref().and_then(Child::id) {
            // SAFETY: sending a signal to a child we spawned and have not reaped; its pid
            // cannot have been reused while we hold the un-waited Child.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
    }
    let deadline = tokio::time::Instant::now() + grace;
    for (index, slot) in slots.iter_mut().enumerate() {
        let Some(child) = &mut slot.child else {
            continue;
        };
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
