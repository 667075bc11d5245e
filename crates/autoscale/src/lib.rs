//! The worker autoscaler: how many workers should run, and making it so.
//!
//! - [`policy`]: a pure function from queue depths, in-flight jobs, processing times and the
//!   pool's history to a desired worker count and a [`Reason`]. Target tracking on backlog
//!   per worker, bounds, fast scale-out, slow scale-in after a cooldown, optional scale to
//!   zero.
//! - [`controller`]: the policy's memory (last scale events, idle time) and a processing-time
//!   estimator; the simulation and the control loop share it.
//! - [`actuator`]: the [`Actuator`] trait the decisions go to; [`ecs`] scales an ECS
//!   service, the dispatcher's local pool implements it for worker processes.
//! - [`control`]: the control loop, with decisions logged and exported as metrics.
//! - [`simulation`]: a deterministic replay of a filing-month day against the policy.
//!
//! **Invariant:** [`decide`] never returns more than `max_workers`, never fewer than
//! `min_workers` unless idle with scale-to-zero, and never fewer than there are while the
//! backlog per worker is above target.
#![deny(missing_docs)]

pub mod actuator;
pub mod control;
pub mod controller;
pub mod ecs;
pub mod policy;
pub mod simulation;

pub use actuator::{Actuator, ActuatorError};
pub use control::{report, run_control_loop, LoadSource};
pub use controller::{Controller, MeanEstimator, Snapshot};
pub use ecs::EcsActuator;
pub use policy::{decide, Decision, LaneLoad, Observation, PolicyConfig, Reason};
