//! deploy/ against the binaries: the CloudFormation template passes cfn-lint, and the
//! template, the Kubernetes manifests and the Dockerfile use only flags, environment
//! variables, ports and paths the `dispatcher` and `worker` binaries actually accept.
//!
//! The accepted flags and variables come from the binary's own `--help` (clap's command
//! definition), so renaming a flag without updating deploy/ fails here.

use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DISPATCHER: &str = env!("CARGO_BIN_EXE_dispatcher");

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn help(args: &[&str]) -> String {
    let output = Command::new(DISPATCHER)
        .args(args)
        .arg("--help")
        .output()
        .expect("dispatcher runs");
    assert!(output.status.success(), "{args:?} --help failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Flags (`--name`) and environment variables (`[env: NAME=`) a subcommand accepts.
struct Accepted {
    flags: BTreeSet<String>,
    env: BTreeSet<String>,
}

fn accepted(subcommand: &str) -> Accepted {
    let text = help(&[subcommand]);
    let mut flags = BTreeSet::new();
    let mut env = BTreeSet::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']') {
        if let Some(flag) = word.strip_prefix("--") {
            let flag = flag.split(['=', '<']).next().unwrap();
            if !flag.is_empty() {
                flags.insert(format!("--{flag}"));
            }
        }
    }
    for piece in text.split("[env: ").skip(1) {
        // `[env: NAME=value]`, or `[env: NAME]` when the value is hidden.
        env.insert(piece.split(['=', ']']).next().unwrap().to_owned());
    }
    assert!(
        flags.contains("--log-format") && env.contains("STAPEL_QUEUE"),
        "{text}"
    );
    Accepted { flags, env }
}

/// Variables the binaries read that clap does not list: the log filter and the AWS SDK's.
fn read_outside_clap(name: &str) -> bool {
    name == "STAPEL_LOG" || name.starts_with("AWS_")
}

fn check_command(what: &str, args: &[String], accepted: &Accepted) {
    for arg in args.iter().filter(|arg| arg.starts_with("--")) {
        let flag = arg.split('=').next().unwrap();
        assert!(
            accepted.flags.contains(flag),
            "{what}: flag {flag} is not accepted (known: {:?})",
            accepted.flags
        );
    }
}

fn check_env(what: &str, names: &[String], accepted: &Accepted) {
    for name in names {
        assert!(
            accepted.env.contains(name) || read_outside_clap(name),
            "{what}: environment variable {name} is read by nothing (known: {:?})",
            accepted.env
        );
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn template() -> Value {
    let text = std::fs::read_to_string(deploy_dir().join("aws/stapel.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("the template is YAML")
}

fn container(template: &Value, task_definition: &str) -> Value {
    let containers = &template["Resources"][task_definition]["Properties"]["ContainerDefinitions"];
    assert_eq!(
        containers.as_sequence().map(Vec::len),
        Some(1),
        "{task_definition}"
    );
    containers[0].clone()
}

fn names(list: &Value) -> Vec<String> {
    list.as_sequence()
        .into_iter()
        .flatten()
        .map(|item| item["Name"].as_str().expect("a Name").to_owned())
        .collect()
}

#[test]
fn cloudformation_containers_use_flags_and_variables_the_binaries_accept() {
    let template = template();
    let serve = accepted("serve");
    let worker = accepted("worker");

    let dispatcher = container(&template, "DispatcherTaskDefinition");
    let command = strings(&dispatcher["Command"]);
    assert_eq!(command.first().map(String::as_str), Some("serve"));
    check_command("dispatcher task", &command[1..], &serve);
    let mut variables = names(&dispatcher["Environment"]);
    variables.extend(names(&dispatcher["Secrets"]));
    check_env("dispatcher task", &variables, &serve);
    assert!(variables.contains(&"STAPEL_ECS_SERVICE".to_owned()));

    // The worker image's entrypoint is the `worker` binary, whose options are those of
    // `dispatcher worker`.
    let worker_container = container(&template, "WorkerTaskDefinition");
    check_command(
        "worker task",
        &strings(&worker_container["Command"]),
        &worker,
    );
    let mut variables = names(&worker_container["Environment"]);
    variables.extend(names(&worker_container["Secrets"]));
    check_env("worker task", &variables, &worker);

    // The dispatcher listens where the container port and the target group point.
    let listen = dispatcher["Environment"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|item| item["Name"] == "STAPEL_LISTEN")
        .and_then(|item| item["Value"].as_str())
        .expect("STAPEL_LISTEN is set");
    let port: u64 = listen.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        dispatcher["PortMappings"][0]["ContainerPort"].as_u64(),
        Some(port)
    );
    let target_group = &template["Resources"]["DispatcherTargetGroup"]["Properties"];
    assert_eq!(target_group["Port"].as_u64(), Some(port));
    assert_eq!(
        template["Resources"]["DispatcherService"]["Properties"]["LoadBalancers"][0]
            ["ContainerPort"]
            .as_u64(),
        Some(port)
    );
    assert_health_path_answers(target_group["HealthCheckPath"].as_str().unwrap());

    // The load balancer keeps the unauthenticated /metrics off the internet.
    let rule = &template["Resources"]["MetricsNotPublicRule"]["Properties"];
    assert_eq!(
        rule["Conditions"][0]["PathPatternConfig"]["Values"][0].as_str(),
        Some("/metrics")
    );
    assert_eq!(rule["Actions"][0]["Type"].as_str(), Some("fixed-response"));
    assert_eq!(
        rule["Actions"][0]["FixedResponseConfig"]["StatusCode"].as_str(),
        Some("404")
    );

    // Rolling deploys keep every dispatcher task until its replacement is healthy.
    let deployment =
        &template["Resources"]["DispatcherService"]["Properties"]["DeploymentConfiguration"];
    assert_eq!(deployment["MinimumHealthyPercent"].as_u64(), Some(100));
}

#[test]
fn cloudformation_queues_follow_the_lane_naming_of_setup() {
    let template = template();
    let name = |resource: &str| {
        let name = &template["Resources"][resource]["Properties"]["QueueName"];
        // `!Sub ${AWS::StackName}-jobs`: a tagged scalar.
        match name {
            Value::Tagged(tagged) => tagged.value.as_str().unwrap().to_owned(),
            other => other.as_str().unwrap().to_owned(),
        }
    };
    let jobs = name("JobQueue");
    assert_eq!(name("BulkQueue"), format!("{jobs}-bulk"));
    assert_eq!(name("DeadLetterQueue"), format!("{jobs}-dead"));
    for queue in ["JobQueue", "BulkQueue"] {
        let redrive = &template["Resources"][queue]["Properties"]["RedrivePolicy"];
        assert!(
            !redrive["deadLetterTargetArn"].is_null(),
            "{queue} has no redrive"
        );
    }
}

fn kubernetes_documents() -> Vec<Value> {
    let text = std::fs::read_to_string(deploy_dir().join("kubernetes/stapel.yaml")).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| serde::Deserialize::deserialize(document).expect("a YAML document"))
        .collect()
}

fn find<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn kubernetes_manifests_use_flags_variables_and_ports_the_binaries_accept() {
    let documents = kubernetes_documents();
    let serve = accepted("serve");
    let worker = accepted("worker");
    let config = find(&documents, "ConfigMap", "stapel");
    let config_names: Vec<String> = config["data"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|key| key.as_str().unwrap().to_owned())
        .collect();

    let dispatcher = &find(&documents, "Deployment", "stapel-dispatcher")["spec"]["template"]
        ["spec"]["containers"][0];
    assert!(dispatcher["image"]
        .as_str()
        .unwrap()
        .contains("stapel-dispatcher"));
    let args = strings(&dispatcher["args"]);
    assert_eq!(args.first().map(String::as_str), Some("serve"));
    check_command("dispatcher deployment", &args[1..], &serve);
    let mut variables = config_names.clone();
    variables.extend(
        dispatcher["env"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned()),
    );
    check_env("dispatcher deployment", &variables, &serve);
    let port = dispatcher["ports"][0]["containerPort"].as_u64().unwrap();
    let listen = dispatcher["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "STAPEL_LISTEN")
        .and_then(|e| e["value"].as_str())
        .unwrap();
    assert!(listen.ends_with(&format!(":{port}")), "{listen} vs {port}");
    let health = dispatcher["readinessProbe"]["httpGet"]["path"]
        .as_str()
        .unwrap();
    assert_health_path_answers(health);

    // Prometheus scrapes the paths and ports the annotations name.
    let annotations = |name: &str| {
        find(&documents, "Deployment", name)["spec"]["template"]["metadata"]["annotations"].clone()
    };
    let scrape = annotations("stapel-dispatcher");
    assert_eq!(
        scrape["prometheus.io/port"].as_str(),
        Some(port.to_string().as_str())
    );
    assert_health_path_answers(scrape["prometheus.io/path"].as_str().unwrap());

    let worker_container = &find(&documents, "Deployment", "stapel-worker")["spec"]["template"]
        ["spec"]["containers"][0];
    let worker_args = strings(&worker_container["args"]);
    let metrics_addr = worker_args
        .iter()
        .skip_while(|arg| *arg != "--metrics-addr")
        .nth(1)
        .expect("workers serve metrics");
    let metrics_port = worker_container["ports"][0]["containerPort"]
        .as_u64()
        .unwrap();
    assert!(metrics_addr.ends_with(&format!(":{metrics_port}")));
    assert_eq!(
        annotations("stapel-worker")["prometheus.io/port"].as_str(),
        Some(metrics_port.to_string().as_str())
    );
    assert!(worker_container["image"]
        .as_str()
        .unwrap()
        .contains("stapel-worker"));
    check_command(
        "worker deployment",
        &strings(&worker_container["args"]),
        &worker,
    );
    let mut variables = config_names;
    variables.extend(
        worker_container["env"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned()),
    );
    check_env("worker deployment", &variables, &worker);

    // KEDA scales the worker Deployment on both lanes' queues, the ones the workers read.
    let scaled = find(&documents, "ScaledObject", "stapel-worker");
    assert_eq!(scaled["spec"]["scaleTargetRef"]["name"], "stapel-worker");
    let urls: Vec<&str> = scaled["spec"]["triggers"]
        .as_sequence()
        .unwrap()
        .iter()
        .inspect(|t| assert_eq!(t["type"], "aws-sqs-queue"))
        .map(|t| t["metadata"]["queueURL"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            config["data"]["STAPEL_QUEUE"].as_str().unwrap(),
            config["data"]["STAPEL_BULK_QUEUE"].as_str().unwrap()
        ]
    );
}

#[test]
fn dockerfile_builds_both_binaries_with_the_ocr_languages() {
    let text = std::fs::read_to_string(deploy_dir().join("Dockerfile")).unwrap();
    for stage in ["AS dispatcher", "AS worker"] {
        assert!(text.contains(stage), "no stage {stage}");
    }
    assert!(text.contains(r#"ENTRYPOINT ["/usr/local/bin/dispatcher"]"#));
    assert!(text.contains(r#"ENTRYPOINT ["/usr/local/bin/worker"]"#));
    for language in ["eng", "nld", "deu", "dan", "ita", "fra"] {
        assert!(
            text.contains(&format!("tesseract-ocr-{language}")),
            "{language}"
        );
    }
    // The default command of the dispatcher image must parse.
    let output = Command::new(DISPATCHER)
        .args(["serve", "--workers", "0", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
}

#[test]
fn cloudformation_template_passes_cfn_lint() {
    let template = deploy_dir().join("aws/stapel.yaml");
    let output = Command::new("cfn-lint")
        .args(["--regions", "eu-central-1", "--"])
        .arg(&template)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cfn-lint cannot run ({error}): install it with `pip install cfn-lint` \
                 (scripts/test installs it into a virtualenv and puts it on PATH)"
            )
        });
    assert!(
        output.status.success(),
        "cfn-lint found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Start `dispatcher serve` on an empty data directory and check that `path` answers 200
/// without credentials, as a load balancer's or kubelet's health check asks it.
fn assert_health_path_answers(path: &str) {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(DISPATCHER)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "0",
            "--data-dir",
        ])
        .arg(data_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
}
