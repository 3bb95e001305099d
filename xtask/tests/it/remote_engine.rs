//! A second Docker engine on its own unix socket (tests/images/second-engine)
//! stands in for a shared Docker host: xtask must drive it exactly as
//! compose does, chosen through DOCKER_HOST, through `--context` (and its
//! twin XTASK_CONTEXT) and through DOCKER_CONTEXT, with both Compose flavours,
//! and leave nothing on either engine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::engine::{http_get, leftovers_of, require_engine, wait_for};
use crate::harness::Env;

const SOCKET_HOST: &str = "unix:///tmp/xtask-dockerd2/docker.sock";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/images/second-engine")
}

/// The second dockerd, stopped (and its folder removed) on drop, also when
/// the test fails.
struct SecondEngine;

impl SecondEngine {
    fn start() -> Self {
        require_engine();
        let out = Command::new("bash")
            .arg(script())
            .args(["start", "xtask-test/busybox:1"])
            .output()
            .expect("run tests/images/second-engine");
        // Stopped on drop even when the start half-failed.
        let engine = SecondEngine;
        assert!(
            out.status.success(),
            "second-engine start failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), SOCKET_HOST);
        // The first engine keeps its default bridge (a dockerd started with
        // `--bridge=none` deletes the host's docker0, and with it every
        // `docker run` and `docker build` of the first engine).
        let first_bridge = Command::new("docker")
            .args([
                "network",
                "inspect",
                "bridge",
                "--format",
                "{{index .Options \"com.docker.network.bridge.name\"}}",
            ])
            .output()
            .expect("docker network inspect");
        let name = String::from_utf8_lossy(&first_bridge.stdout)
            .trim()
            .to_string();
        let name = if name.is_empty() {
            "docker0".to_string()
        } else {
            name
        };
        assert!(
            Path::new("/sys/class/net").join(&name).exists(),
            "starting the second engine removed the first engine's bridge {name}"
        );
        engine
    }
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).arg("stop").output();
    }
}

/// A docker context pointing at the second engine, removed on drop.
struct TestContext(String);

impl TestContext {
    fn create() -> Self {
        let name = format!("xtask-test-2-{}", std::process::id());
        let out = Command::new("docker")
            .args(["context", "create", &name, "--docker"])
            .arg(format!("host={SOCKET_HOST}"))
            .output()
            .expect("docker context create");
        let context = TestContext(name);
        assert!(
            out.status.success(),
            "docker context create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        context
    }
}

impl Drop for TestContext {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["context", "rm", "--force", &self.0])
            .output();
    }
}

/// Containers, networks and volumes of `project` on the engine at `host`.
fn leftovers_on(host: &str, project: &str) -> Vec<String> {
    let label = format!("label=com.docker.compose.project={project}");
    let mut left = Vec::new();
    for args in [
        vec!["ps", "-aq", "--filter", &label],
        vec!["network", "ls", "-q", "--filter", &label],
        vec!["volume", "ls", "-q", "--filter", &label],
    ] {
        let out = Command::new("docker")
            .args(["-H", host])
            .args(&args)
            .output()
            .expect("docker ls");
        left.extend(
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|id| format!("{} {id}", args[0])),
        );
    }
    left
}

/// Running containers of `project` on the engine at `host`, by service.
fn running_on(host: &str, project: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["-H", host, "ps", "--filter"])
        .arg(format!("label=com.docker.compose.project={project}"))
        .args(["--format", "{{.Label \"com.docker.compose.service\"}}"])
        .output()
        .expect("docker ps");
    let mut services: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    services.sort();
    services
}

/// A web server with a port published on 127.0.0.1 and a worker, from the
/// only image the second engine has.
fn fixture() -> (Env, String) {
    let env = Env::new();
    env.tasks_toml("[project]\ncompose_files = [\"docker-compose.yml\"]\n");
    env.write(
        "docker-compose.yml",
        r#"services:
  web:
    image: xtask-test/busybox:1
    command: ["sh", "-c", "echo second engine > /var/www/index.html && exec httpd -f -p 8080 -h /var/www"]
    ports:
      - "127.0.0.1::8080"
    stop_signal: SIGKILL
  worker:
    image: xtask-test/busybox:1
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
"#,
    );
    let project = env.project_name();
    (env, project)
}

/// The host port `urls --json` gives for the web server, and its host.
fn web_url(urls_json: &str) -> (String, u16) {
    let urls: serde_json::Value = serde_json::from_str(urls_json).expect("urls --json");
    let web = urls
        .as_array()
        .expect("an array")
        .iter()
        .find(|u| u["service"] == "web")
        .unwrap_or_else(|| panic!("no web URL in {urls_json}"));
    (
        web["host"].as_str().expect("host").to_string(),
        web["host_port"].as_u64().expect("host_port") as u16,
    )
}

/// Brings the fixture up and down on the second engine with `select`
/// choosing it, checking each step on both engines.
fn round_trip(
    env: &Env,
    project: &str,
    select: &dyn Fn(crate::harness::Xtask) -> crate::harness::Xtask,
) {
    let xtask = |args: &[&str]| select(env.xtask(args));
    xtask(&["up", "-d"]).ok();
    assert_eq!(running_on(SOCKET_HOST, project), ["web", "worker"]);
    assert!(
        leftovers_of(project).is_empty(),
        "the default engine got containers of {project}: {:?}",
        leftovers_of(project)
    );
    xtask(&["ps"])
        .ok()
        .stdout_has("web.1")
        .stdout_has("worker.1");

    // A unix socket is this machine: the URL is local, and it answers.
    let urls = xtask(&["urls", "--json"]).ok();
    let (host, port) = web_url(&urls.stdout);
    assert_eq!(host, "127.0.0.1", "{}", urls.stdout);
    let body = wait_for(
        "the web server on the second engine",
        Duration::from_secs(30),
        || match http_get(port) {
            Ok((200, body)) => Ok(body),
            Ok((status, _)) => Err(format!("status {status}")),
            Err(e) => Err(e),
        },
    );
    assert_eq!(body.trim(), "second engine");

    xtask(&["down"]).ok();
    assert!(
        leftovers_on(SOCKET_HOST, project).is_empty(),
        "{:?}",
        leftovers_on(SOCKET_HOST, project)
    );
    assert!(leftovers_of(project).is_empty());
}

#[test]
fn a_second_engine_is_driven_through_docker_host_and_through_a_context() {
    let _engine = SecondEngine::start();

    // DOCKER_HOST, Compose v2: every command line says which engine.
    let (env, project) = fixture();
    env.xtask(["up", "-d", "--dry-run"])
        .env("DOCKER_HOST", SOCKET_HOST)
        .ok()
        .stdout_has(&format!(
            "DOCKER_HOST={SOCKET_HOST} docker compose -p {project}"
        ));
    env.xtask(["doctor"])
        .env("DOCKER_HOST", SOCKET_HOST)
        .ok()
        .stderr_has(&format!("answers: DOCKER_HOST={SOCKET_HOST}"));
    round_trip(&env, &project, &|x| x.env("DOCKER_HOST", SOCKET_HOST));

    // A context, Compose v1 (which gets the context's endpoint as DOCKER_HOST).
    let context = TestContext::create();
    let name = context.0.clone();
    let (env, project) = fixture();
    env.xtask(["--context", &name, "up", "-d", "--dry-run"])
        .env("XTASK_COMPOSE", "docker-compose")
        .ok()
        .stdout_has(&format!(
            "DOCKER_HOST={SOCKET_HOST} docker-compose -p {project}"
        ));
    env.xtask(["--context", &name, "doctor"])
        .ok()
        .stderr_has(&format!("context `{name}` (--context) ({SOCKET_HOST})"));
    round_trip(&env, &project, &|x| {
        x.env("XTASK_COMPOSE", "docker-compose")
            .env("XTASK_CONTEXT", &name)
            // The flag wins over DOCKER_HOST, as it does for docker.
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    });

    // DOCKER_CONTEXT alone, Compose v2: `--context` goes on every line.
    let (env, project) = fixture();
    env.xtask(["up", "-d", "--dry-run"])
        .env("DOCKER_CONTEXT", &name)
        .ok()
        .stdout_has(&format!("docker --context {name} compose -p {project}"));
    round_trip(&env, &project, &|x| x.env("DOCKER_CONTEXT", &name));
}
