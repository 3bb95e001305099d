//! Is a Docker engine answering? If not, say why and what to do instead of
//! compose's raw error.

use crate::compose::docker_host;
use crate::exec;

/// The engine could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("the Docker engine does not answer: {cause}\n  = help: {remedy}")]
pub struct EngineDown {
    pub cause: String,
    pub remedy: String,
}

/// Asks the engine for its version; the error says what to do.
pub fn check() -> Result<String, EngineDown> {
    let out = exec::capture(&docker_host::docker([
        "version",
        "--format",
        "{{.Server.Version}}",
    ]));
    match out {
        Ok(out) if out.success() => Ok(out.stdout.trim().to_string()),
        Ok(out) => Err(diagnose(&out.stderr)),
        Err(error) => Err(EngineDown {
            cause: error.to_string(),
            remedy: "install Docker (e.g. `apt-get install docker.io`), then start it".into(),
        }),
    }
}

/// Turns the client's complaint into a cause and a remedy.
pub fn diagnose(stderr: &str) -> EngineDown {
    let engine = docker_host::engine();
    let cause = stderr
        .trim()
        .lines()
        .last()
        .unwrap_or("no answer")
        .to_string();
    let remedy = if stderr.contains("permission denied") {
        "your user may not use the engine's socket: `sudo usermod -aG docker $USER`, then log in again (or `newgrp docker`)".to_string()
    } else if let Some(name) = engine.context() {
        format!(
            "the engine chosen is {}: check it with `docker --context {name} info`, or choose another (--context NAME, DOCKER_CONTEXT, `docker context use default`)",
            engine.describe()
        )
    } else if let docker_host::EngineChoice::Host(host) = &engine.choice {
        format!(
            "DOCKER_HOST={} points to an engine that does not answer: fix or unset DOCKER_HOST",
            crate::mask::text(host)
        )
    } else if stderr.contains("Cannot connect")
        || stderr.contains("Is the docker daemon running")
        || stderr.contains("connect:")
    {
        "the daemon is not running: start it (`sudo systemctl start docker`, or `sudo dockerd &`)"
            .to_string()
    } else {
        "check `docker info` for the engine's own message".to_string()
    };
    EngineDown { cause, remedy }
}
