//! The ECS actuator against moto's ECS (a server on a loopback port the test starts): reads
//! and sets a service's desired count, and names a missing service.

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode};
use stapel_autoscale::{Actuator, ActuatorError, EcsActuator};
use stapel_store_aws::moto::{unique_name, MotoServer};
use stapel_store_aws::AwsConfig;

#[tokio::test]
async fn ecs_actuator_reads_and_sets_the_desired_count() {
    let moto = MotoServer::start();
    let aws = AwsConfig::load(&moto.settings()).await;
    let client = aws_sdk_ecs::Client::new(aws.sdk_config());
    let cluster = unique_name("stapel");
    client
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("cluster created");
    client
        .register_task_definition()
        .family("stapel-worker")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("1024")
        .memory("2048")
        .container_definitions(
            ContainerDefinition::builder()
                .name("worker")
                .image("stapel-worker:test")
                .build(),
        )
        .send()
        .await
        .expect("task definition registered");
    client
        .create_service()
        .cluster(&cluster)
        .service_name("stapel-worker")
        .task_definition("stapel-worker")
        .desired_count(1)
        .send()
        .await
        .expect("service created");

    let actuator = EcsActuator::new(client.clone(), &cluster, "stapel-worker");
    assert_eq!(actuator.current_workers().await.unwrap(), 1);
    actuator.set_workers(7).await.unwrap();
    assert_eq!(actuator.current_workers().await.unwrap(), 7);
    let described = client
        .describe_services()
        .cluster(&cluster)
        .services("stapel-worker")
        .send()
        .await
        .unwrap();
    assert_eq!(described.services()[0].desired_count(), 7);
    actuator.set_workers(0).await.unwrap();
    assert_eq!(actuator.current_workers().await.unwrap(), 0);

    let missing = EcsActuator::new(client, &cluster, "no-such-service");
    match missing.current_workers().await {
        Err(ActuatorError::NotFound { service, .. }) => {
            assert_eq!(service, format!("{cluster}/no-such-service"));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}
