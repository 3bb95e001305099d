//! Helpers for tests against the real Docker engine: a fixture environment
//! with its own compose project, torn down (and checked to be gone) on drop,
//! bounded waits, and HTTP to ports published on 127.0.0.1.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::Env;

/// Fails loudly when no engine answers: these tests never skip.
pub fn require_engine() {
    let out = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the Docker engine does not answer (run .ci/ensure-engine): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("docker is not installed (run .ci/ensure-engine): {e}"),
    }
}

/// The fixture under tests/e2e, copied into a fresh environment whose folder
/// name (and so compose project name) is unique.
pub struct Stack {
    pub env: Env,
    pub project: String,
    /// Extra environment for every xtask run (e.g. XTASK_COMPOSE).
    pub compose: Option<&'static str>,
}

impl Stack {
    pub fn fixture() -> Self {
        Self::from_fixture("tests/e2e")
    }

    /// The fixture folder `folder` (relative to the repository root),
    /// copied into a fresh environment whose folder name, and so compose
    /// project name, is unique.
    pub fn from_fixture(folder: &str) -> Self {
        require_engine();
        let env = Env::new();
        crate::harness::copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(folder),
            env.path(),
        );
        let project = env.project_name();
        Self {
            env,
            project,
            compose: None,
        }
    }

    /// The same fixture driven through Compose v1 (`docker-compose`).
    pub fn with_compose_v1(mut self) -> Self {
        self.compose = Some("docker-compose");
        self
    }

    pub fn xtask<I, S>(&self, args: I) -> crate::harness::Xtask
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let run = self.env.xtask(args);
        match self.compose {
            Some(compose) => run.env("XTASK_COMPOSE", compose),
            None => run,
        }
    }

    /// The projects of the fixture's environments: development (the
    /// default, named after the folder) and testing.
    pub fn projects(&self) -> [String; 2] {
        [self.project.clone(), format!("{}_testing", self.project)]
    }

    /// Everything the engine still has of these projects: containers, networks, volumes.
    pub fn leftovers(&self) -> Vec<String> {
        self.projects()
            .iter()
            .flat_map(|project| leftovers_of(project))
            .collect()
    }

    /// Published host port of `service` replica `index` for `container_port`.
    pub fn port(&self, urls_json: &str, service: &str, container_port: u16) -> Vec<u16> {
        let urls: serde_json::Value = serde_json::from_str(urls_json).expect("urls --json");
        urls.as_array()
            .expect("an array")
            .iter()
            .filter(|u| u["service"] == service && u["container_port"] == container_port)
            .map(|u| u["host_port"].as_u64().expect("host_port") as u16)
            .collect()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for project in self.projects() {
            tear_down(&project);
        }
        if !std::thread::panicking() {
            let left = self.leftovers();
            assert!(
                left.is_empty(),
                "project {} left behind: {left:?}",
                self.project
            );
        }
    }
}

/// Containers, networks and volumes the engine still has of `project`.
pub fn leftovers_of(project: &str) -> Vec<String> {
    let label = format!("label=com.docker.compose.project={project}");
    let mut left = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-aq", "--filter", &label]),
        ("network", vec!["network", "ls", "-q", "--filter", &label]),
        ("volume", vec!["volume", "ls", "-q", "--filter", &label]),
    ] {
        let out = Command::new("docker")
            .args(&args)
            .output()
            .expect("docker ls");
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            left.push(format!("{kind} {id}"));
        }
    }
    left
}

/// Takes a compose project down (whatever the test left) when dropped, and
/// checks that nothing of it is left.
pub(crate) struct ProjectGuard(pub String);

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        tear_down(&self.0);
        if !std::thread::panicking() {
            let left = leftovers_of(&self.0);
            assert!(left.is_empty(), "project {} left behind: {left:?}", self.0);
        }
    }
}

/// Removes everything of `project`, with the engine directly, whatever
/// state the test left.
pub fn tear_down(project: &str) {
    {
        let label = format!("label=com.docker.compose.project={project}");
        let ids = Command::new("docker")
            .args(["ps", "-aq", "--filter", &label])
            .output();
        if let Ok(ids) = ids {
            let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
                .split_whitespace()
                .map(String::from)
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .arg("rm")
                    .arg("-f")
                    .args(&ids)
                    .output();
            }
        }
        for kind in ["network", "volume"] {
            if let Ok(out) = Command::new("docker")
                .args([kind, "ls", "-q", "--filter", &label])
                .output()
            {
                let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                if !ids.is_empty() {
                    let _ = Command::new("docker")
                        .arg(kind)
                        .arg("rm")
                        .args(&ids)
                        .output();
                }
            }
        }
    }
}

/// Polls `check` every 200 ms until it returns Some, failing after `timeout`
/// with `what` and the last observation.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        match check() {
            Ok(value) => return value,
            Err(observed) => last = observed,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "gave up after {} s waiting for {what}; last: {last}",
        timeout.as_secs()
    );
}

/// Full ids of `service`'s containers in `project`, found by compose's
/// labels: the running ones, or with `stopped_too` every one.
pub fn container_ids(project: &str, service: &str, stopped_too: bool) -> Vec<String> {
    let mut args = vec!["ps", "-q", "--no-trunc"];
    if stopped_too {
        args.push("-a");
    }
    let project = format!("label=com.docker.compose.project={project}");
    let service = format!("label=com.docker.compose.service={service}");
    args.extend(["--filter", &project, "--filter", &service]);
    let out = std::process::Command::new("docker")
        .args(&args)
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// The one container, running or not, of `service` in `project`.
pub fn the_container(project: &str, service: &str) -> String {
    let ids = container_ids(project, service, true);
    assert_eq!(
        ids.len(),
        1,
        "one container of {service} in {project}: {ids:?}"
    );
    ids[0].clone()
}

/// `GET /` on 127.0.0.1:port; returns the status line and body.
pub fn http_get(port: u16) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {response:?}"))?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((status, body))
}

/// A port on 127.0.0.1 nothing listens on right now (the kernel's choice).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
