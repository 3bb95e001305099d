//! Which Docker engine every `docker` and compose call talks to, chosen as
//! the docker CLI chooses it: `--context NAME` (XTASK_CONTEXT), else
//! DOCKER_HOST, else DOCKER_CONTEXT, else the `currentContext` of docker's
//! config.json, else the local socket. The choice is made once per run and
//! written into every command line we build, so `--dry-run` shows it and
//! all tools agree (Compose v1 ignores DOCKER_CONTEXT and finds contexts
//! only beside a config.json: it gets the context's endpoint as DOCKER_HOST).

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::exec;
use crate::plan::CommandStep;

/// Where the engine choice came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineChoice {
    /// `--context NAME` or XTASK_CONTEXT.
    Flag(String),
    /// DOCKER_HOST in the environment.
    Host(String),
    /// DOCKER_CONTEXT in the environment.
    EnvContext(String),
    /// `currentContext` in docker's config.json (`docker context use`).
    CurrentContext(String),
    /// Nothing chosen: the engine on the local default socket.
    Default,
}

/// The engine of this run: the choice, and its endpoint once asked.
#[derive(Debug)]
pub struct Engine {
    pub choice: EngineChoice,
    endpoint: OnceLock<Option<String>>,
    /// The context's TLS folder, once asked (Compose v1 only).
    tls: OnceLock<Option<PathBuf>>,
}

/// What kind of program a command line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// The docker CLI, or Compose v2+ (plugin or standalone): both take `--context`.
    Docker,
    /// Compose v1 (Python): DOCKER_HOST.
    ComposeV1,
}

static ENGINE: OnceLock<Engine> = OnceLock::new();
/// The `--context` flag of this run, kept until a command needs the engine.
static CONTEXT_FLAG: OnceLock<Option<String>> = OnceLock::new();

/// Fixes the `--context` flag for this run; the first call wins. The
/// engine is resolved when first asked (reading the docker CLI's config
/// costs a task that never calls docker).
pub fn select(flag: Option<String>) {
    let _ = CONTEXT_FLAG.set(flag);
}

/// The engine of this run (chosen from the environment alone when
/// [`select`] was not called).
pub fn engine() -> &'static Engine {
    ENGINE.get_or_init(|| {
        let flag = CONTEXT_FLAG.get().cloned().flatten();
        Engine::resolve(flag, |key| std::env::var(key).ok())
    })
}

/// `docker ARGS...` against this run's engine.
pub fn docker<I, S>(args: I) -> CommandStep
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut argv = vec!["docker".to_string()];
    argv.extend(args.into_iter().map(Into::into));
    engine().apply(CommandStep::new(argv), Client::Docker)
}

impl Engine {
    /// Resolves the choice by the docker CLI's precedence; `var` reads the environment.
    pub fn resolve(flag: Option<String>, var: impl Fn(&str) -> Option<String>) -> Engine {
        let set = |key: &str| var(key).filter(|v| !v.trim().is_empty());
        let choice = if let Some(name) = flag.filter(|f| !f.trim().is_empty()) {
            EngineChoice::Flag(name)
        } else if let Some(host) = set("DOCKER_HOST") {
            EngineChoice::Host(host)
        } else if let Some(name) = set("DOCKER_CONTEXT") {
            EngineChoice::EnvContext(name)
        } else if let Some(name) = current_context(&var) {
            EngineChoice::CurrentContext(name)
        } else {
            EngineChoice::Default
        };
        let endpoint = OnceLock::new();
        match &choice {
            EngineChoice::Host(host) => {
                let _ = endpoint.set(Some(host.clone()));
            }
            EngineChoice::Default => {
                let _ = endpoint.set(None);
            }
            _ => {}
        }
        Engine {
            choice,
            endpoint,
            tls: OnceLock::new(),
        }
    }

    /// The context named, if the engine is chosen through one.
    pub fn context(&self) -> Option<&str> {
        match &self.choice {
            EngineChoice::Flag(name)
            | EngineChoice::EnvContext(name)
            | EngineChoice::CurrentContext(name) => Some(name),
            _ => None,
        }
    }

    /// The engine's address (`unix:///…`, `tcp://host:2376`, `ssh://user@host`);
    /// `None` for the local default. A context's is read with `docker context inspect`.
    pub fn endpoint(&self) -> Option<String> {
        self.endpoint
            .get_or_init(|| self.context().and_then(inspect_endpoint))
            .clone()
    }

    /// How the choice reads to a user: `context xtask-2 (tcp://build:2376)`.
    pub fn describe(&self) -> String {
        let endpoint = self.endpoint();
        let at = endpoint
            .as_deref()
            .map(|e| format!(" ({})", crate::mask::text(e)))
            .unwrap_or_default();
        match &self.choice {
            EngineChoice::Flag(name) => format!("context `{name}` (--context){at}"),
            EngineChoice::EnvContext(name) => format!("context `{name}` (DOCKER_CONTEXT){at}"),
            EngineChoice::CurrentContext(name) => {
                format!("context `{name}` (docker context use){at}")
            }
            EngineChoice::Host(host) => format!("DOCKER_HOST={}", crate::mask::text(host)),
            EngineChoice::Default => "the local engine (default socket)".to_string(),
        }
    }

    /// The host a published port answers on when the engine runs on another
    /// machine; `None` when it runs here.
    pub fn remote_host(&self) -> Option<String> {
        remote_host(self.endpoint().as_deref()?)
    }

    /// Points `step` (a `docker …` or compose command line) at this engine.
    pub fn apply(&self, mut step: CommandStep, client: Client) -> CommandStep {
        if self.choice == EngineChoice::Default {
            return step;
        }
        let v1_host = match client {
            Client::ComposeV1 => self.endpoint(),
            Client::Docker => None,
        };
        match (v1_host, self.context()) {
            (Some(host), Some(name)) => {
                step.env.push(("DOCKER_HOST".into(), host));
                if let Some(certs) = self.tls.get_or_init(|| tls_dir(name)) {
                    step.env.push(("DOCKER_TLS_VERIFY".into(), "1".into()));
                    step.env
                        .push(("DOCKER_CERT_PATH".into(), certs.display().to_string()));
                }
            }
            // `docker --context N compose …`, `docker-compose --context N …`
            // (also v1 when the context has no endpoint: it then says why).
            (None, Some(name)) => {
                let at = step.argv.len().min(1);
                step.argv
                    .splice(at..at, ["--context".to_string(), name.to_string()]);
            }
            // Inherited anyway; written out so that the printed line is the whole truth.
            (_, None) => {
                if let EngineChoice::Host(host) = &self.choice {
                    step.env.push(("DOCKER_HOST".into(), host.clone()));
                }
            }
        }
        step
    }
}

/// docker's config folder: DOCKER_CONFIG, else ~/.docker.
fn config_dir(var: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    var("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".docker")))
}

/// `currentContext` of config.json, unless it is `default`.
fn current_context(var: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let text = std::fs::read_to_string(config_dir(var)?.join("config.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    config["currentContext"]
        .as_str()
        .filter(|name| !name.is_empty() && *name != "default")
        .map(str::to_string)
}

/// The docker endpoint of context `name`, asked of the docker CLI.
fn inspect_endpoint(name: &str) -> Option<String> {
    let step = CommandStep::new([
        "docker",
        "context",
        "inspect",
        "--format",
        "{{.Endpoints.docker.Host}}",
        "--",
        name,
    ]);
    let out = exec::capture(&step).ok()?;
    let host = out.stdout.trim();
    (out.success() && !host.is_empty()).then(|| host.to_string())
}

/// The TLS material docker keeps for context `name`, if any.
fn tls_dir(name: &str) -> Option<PathBuf> {
    let step = CommandStep::new([
        "docker",
        "context",
        "inspect",
        "--format",
        "{{.Storage.TLSPath}}",
        "--",
        name,
    ]);
    let out = exec::capture(&step).ok()?;
    let dir = PathBuf::from(out.stdout.trim()).join("docker");
    (out.success() && dir.join("ca.pem").is_file()).then_some(dir)
}

/// The host of an engine address when it is another machine:
/// `tcp://build.example:2376` → `build.example`, `ssh://me@build` → `build`;
/// a unix socket, a named pipe or a loopback address → `None`.
pub fn remote_host(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("tcp", endpoint));
    if !matches!(scheme, "tcp" | "ssh" | "http" | "https") {
        return None;
    }
    let authority = rest.split('/').next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let local = host.is_empty()
        || host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    (!local).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(flag: Option<&str>, vars: &[(&str, &str)]) -> Engine {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Engine::resolve(flag.map(str::to_string), move |key| {
            vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn remote_hosts_come_from_tcp_and_ssh_addresses() {
        assert_eq!(
            remote_host("tcp://build.example:2376").as_deref(),
            Some("build.example")
        );
        assert_eq!(
            remote_host("ssh://deploy@shared-docker").as_deref(),
            Some("shared-docker")
        );
        assert_eq!(
            remote_host("ssh://deploy@shared-docker:2222/").as_deref(),
            Some("shared-docker")
        );
        assert_eq!(
            remote_host("tcp://[fd00::5]:2375").as_deref(),
            Some("fd00::5")
        );
        assert_eq!(remote_host("build:2375").as_deref(), Some("build"));
        assert_eq!(remote_host("unix:///var/run/docker.sock"), None);
        assert_eq!(remote_host("npipe:////./pipe/docker_engine"), None);
        assert_eq!(remote_host("tcp://127.0.0.1:2375"), None);
        assert_eq!(remote_host("tcp://localhost:2375"), None);
        assert_eq!(remote_host("tcp://[::1]:2375"), None);
    }

    #[test]
    fn the_choice_follows_the_docker_cli_precedence() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".docker")).unwrap();
        std::fs::write(
            home.path().join(".docker/config.json"),
            r#"{"currentContext": "shared"}"#,
        )
        .unwrap();
        let home = home.path().to_str().unwrap();
        let all = [
            ("HOME", home),
            ("DOCKER_HOST", "tcp://h:2375"),
            ("DOCKER_CONTEXT", "env"),
        ];
        assert_eq!(
            resolve(Some("flag"), &all).choice,
            EngineChoice::Flag("flag".into())
        );
        assert_eq!(
            resolve(None, &all).choice,
            EngineChoice::Host("tcp://h:2375".into())
        );
        assert_eq!(
            resolve(None, &[all[0], all[2]]).choice,
            EngineChoice::EnvContext("env".into())
        );
        assert_eq!(
            resolve(None, &[all[0]]).choice,
            EngineChoice::CurrentContext("shared".into())
        );
        assert_eq!(resolve(None, &[]).choice, EngineChoice::Default);
        assert_eq!(
            resolve(None, &[("DOCKER_HOST", " ")]).choice,
            EngineChoice::Default,
            "an empty DOCKER_HOST is unset, as docker reads it"
        );
    }

    #[test]
    fn every_client_is_pointed_at_the_same_engine() {
        let by_flag = resolve(Some("two"), &[]);
        let _ = by_flag
            .endpoint
            .set(Some("unix:///tmp/two.sock".to_string()));
        let compose = CommandStep::new(["docker", "compose", "-p", "x", "ps"]);
        assert_eq!(
            by_flag.apply(compose.clone(), Client::Docker).to_string(),
            "docker --context two compose -p x ps"
        );
        let v1 = CommandStep::new(["docker-compose", "-p", "x", "ps"]);
        assert_eq!(
            by_flag.apply(v1.clone(), Client::Docker).to_string(),
            "docker-compose --context two -p x ps"
        );
        assert_eq!(
            by_flag.apply(v1.clone(), Client::ComposeV1).to_string(),
            "DOCKER_HOST=unix:///tmp/two.sock docker-compose -p x ps"
        );
        let by_host = resolve(None, &[("DOCKER_HOST", "tcp://build:2375")]);
        assert_eq!(
            by_host.apply(compose, Client::Docker).to_string(),
            "DOCKER_HOST=tcp://build:2375 docker compose -p x ps"
        );
        assert_eq!(by_host.remote_host().as_deref(), Some("build"));
        let local = resolve(None, &[]);
        assert_eq!(
            local.apply(v1, Client::ComposeV1).to_string(),
            "docker-compose -p x ps"
        );
        assert_eq!(local.remote_host(), None);
    }
}
