//! Where a decision takes effect: local worker processes, an ECS service, or anything else
//! that can report and change a worker count.

use async_trait::async_trait;

/// Why an actuator could not read or change the worker count.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActuatorError {
    /// The platform refused or failed the call (ECS throttling, a missing permission, ...).
    #[error("{platform}: {message}")]
    Platform {
        /// Which actuator (`ecs`, `local`).
        platform: &'static str,
        /// What went wrong, for the log.
        message: String,
    },
    /// The service to scale does not exist.
    #[error("{platform}: service {service} not found")]
    NotFound {
        /// Which actuator.
        platform: &'static str,
        /// The service as configured.
        service: String,
    },
}

/// Something whose worker count the control loop sets.
///
/// One required pair of methods keeps actuators interchangeable: the control loop reads the
/// current count, asks the policy, and sets the desired count, whatever runs the workers.
#[async_trait]
pub trait Actuator: Send + Sync {
    /// Workers there are now (for a platform that starts them asynchronously: the count it
    /// was last told to run).
    async fn current_workers(&self) -> Result<u32, ActuatorError>;

    /// Make it `desired` workers. Stopping a worker is always graceful: it finishes or
    /// releases its job first.
    async fn set_workers(&self, desired: u32) -> Result<(), ActuatorError>;
}
