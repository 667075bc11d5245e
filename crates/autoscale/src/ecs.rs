//! The ECS actuator: the worker service's desired count, set with `UpdateService`.
//!
//! ECS stops surplus tasks with SIGTERM and waits `stopTimeout` (up to 120 s on Fargate)
//! before SIGKILL; a worker stops receiving on SIGTERM and finishes its job, and a job cut
//! off by the kill reappears after its visibility timeout, so nothing is lost.

use crate::actuator::{Actuator, ActuatorError};
use async_trait::async_trait;
use aws_sdk_ecs::error::DisplayErrorContext;
use aws_sdk_ecs::Client;

const PLATFORM: &str = "ecs";

/// Scales one ECS service.
#[derive(Debug, Clone)]
pub struct EcsActuator {
    client: Client,
    cluster: String,
    service: String,
}

impl EcsActuator {
    /// The service `service` (name or ARN) in `cluster` (name or ARN).
    pub fn new(client: Client, cluster: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            client,
            cluster: cluster.into(),
            service: service.into(),
        }
    }

    fn platform_error(error: impl std::error::Error) -> ActuatorError {
        ActuatorError::Platform {
            platform: PLATFORM,
            message: DisplayErrorContext(error).to_string(),
        }
    }
}

#[async_trait]
impl Actuator for EcsActuator {
    async fn current_workers(&self) -> Result<u32, ActuatorError> {
        let answer = self
            .client
            .describe_services()
            .cluster(&self.cluster)
            .services(&self.service)
            .send()
            .await
            .map_err(Self::platform_error)?;
        let service = answer
            .services()
            .iter()
            .find(|service| service.status() != Some("INACTIVE"))
            .ok_or_else(|| ActuatorError::NotFound {
                platform: PLATFORM,
                service: format!("{}/{}", self.cluster, self.service),
            })?;
        // The desired count, not the running count: tasks still starting are already
        // on their way, and counting them as missing would scale out twice.
        Ok(u32::try_from(service.desired_count()).unwrap_or(0))
    }

    async fn set_workers(&self, desired: u32) -> Result<(), ActuatorError> {
        self.client
            .update_service()
            .cluster(&self.cluster)
            .service(&self.service)
            .desired_count(i32::try_from(desired).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(Self::platform_error)?;
        Ok(())
    }
}
