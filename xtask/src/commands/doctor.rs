//! `xtask doctor`: what is wrong with this machine or environment, and the remedy.

use std::collections::BTreeSet;
use std::net::TcpListener;

use crate::commands::Context;
use crate::compose::cli::ComposeCli;
use crate::compose::files;
use crate::compose::{engine, state};
use crate::error::{Error, Result};
use crate::exec;
use crate::plan::CommandStep;
use crate::ui::Tone;

/// Check the engine, Compose, git, the config, required variables and ports
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask doctor
  cargo xtask --env production doctor")]
pub struct DoctorArgs {}

/// One thing doctor looked at.
struct Finding {
    ok: bool,
    what: String,
    remedy: Option<String>,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Self {
        Self {
            ok: true,
            what: what.into(),
            remedy: None,
        }
    }
    fn problem(what: impl Into<String>, remedy: impl Into<String>) -> Self {
        Self {
            ok: false,
            what: what.into(),
            remedy: Some(remedy.into()),
        }
    }
}

impl DoctorArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        if ctx.global.dry_run {
            crate::outln!("# doctor only reads: docker version, compose version --short, git --version, the config, ports");
            return Ok(());
        }
        let mut findings = Vec::new();
        let engine_ok = match engine::check() {
            Ok(version) => {
                findings.push(Finding::ok(format!("Docker engine {version} answers")));
                true
            }
            Err(down) => {
                findings.push(Finding::problem(
                    format!("the Docker engine does not answer: {}", down.cause),
                    down.remedy,
                ));
                false
            }
        };
        match ComposeCli::detect() {
            Ok(cli) => findings.push(Finding::ok(format!("Compose: {}", cli.flavour()))),
            Err(error) => findings.push(Finding::problem(
                error.to_string(),
                "install the Compose plugin (`docker compose`) or docker-compose, or set XTASK_COMPOSE",
            )),
        }
        match exec::capture(&CommandStep::new(["git", "--version"])) {
            Ok(out) if out.success() => findings.push(Finding::ok(out.stdout.trim().to_string())),
            _ => findings.push(Finding::problem(
                "git is not installed",
                "install git (`apt-get install git`)",
            )),
        }
        match ctx.workspace() {
            Ok(_) => findings.push(Finding::ok("tasks.toml and repos.toml are valid")),
            Err(error) => findings.push(Finding::problem(
                format!(
                    "the configuration has problems:\n{}",
                    error.messages().join("\n")
                ),
                "fix them; `cargo xtask check` lists them all",
            )),
        }
        if let Ok(workspace) = ctx.workspace() {
            let environment = ctx.environment()?;
            let compose_files = files::effective_files(&workspace.root, &environment.compose_files);
            for file in &compose_files {
                if !file.is_file() {
                    findings.push(Finding::problem(
                        format!("compose file {} does not exist", file.display()),
                        "create it, or remove it from tasks.toml",
                    ));
                }
            }
            findings.extend(required_variables(ctx, &compose_files, &environment.env)?);
            let ours = if engine_ok {
                our_ports(ctx)
            } else {
                BTreeSet::new()
            };
            findings.extend(taken_ports(&compose_files, &ours));
        }

        let problems = findings.iter().filter(|f| !f.ok).count();
        for finding in &findings {
            if finding.ok {
                ctx.ui.status_tone("ok", &finding.what, Tone::Good);
            } else {
                ctx.ui.status_tone("problem", &finding.what, Tone::Bad);
                if let Some(remedy) = &finding.remedy {
                    crate::errln!("{:>12} {remedy}", "fix:");
                }
            }
        }
        if problems > 0 {
            return Err(Error::Other(anyhow::anyhow!(
                "doctor found {}",
                crate::ui::plural(problems, "problem", "problems")
            )));
        }
        ctx.ui.status("Healthy", "nothing to fix");
        Ok(())
    }
}

/// Values the environment gets from .env, env files, tasks.toml and the shell.
fn known_variables(
    ctx: &Context,
    environment_env: &std::collections::BTreeMap<String, String>,
) -> Result<BTreeSet<String>> {
    let workspace = ctx.workspace()?;
    let mut known: BTreeSet<String> = std::env::vars().map(|(k, _)| k).collect();
    known.extend(environment_env.keys().cloned());
    let mut env_files = workspace.tasks.project.env_file_paths();
    env_files.push(".env".into());
    for file in env_files {
        if let Ok(text) = std::fs::read_to_string(workspace.root.join(file)) {
            for line in text.lines() {
                let line = line.trim().trim_start_matches("export ");
                if let Some((key, value)) = line.split_once('=') {
                    if !line.starts_with('#') && !value.trim().is_empty() {
                        known.insert(key.trim().to_string());
                    }
                }
            }
        }
    }
    Ok(known)
}

fn required_variables(
    ctx: &Context,
    compose_files: &[std::path::PathBuf],
    environment_env: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<Finding>> {
    let workspace = ctx.workspace()?;
    let known = known_variables(ctx, environment_env)?;
    let mut required: Vec<(String, String)> = workspace
        .tasks
        .project
        .required_env
        .iter()
        .map(|v| (v.get_ref().clone(), "required by tasks.toml".to_string()))
        .collect();
    for file in compose_files {
        if let Ok(text) = std::fs::read_to_string(file) {
            required.extend(files::required_variables(&text));
        }
    }
    let mut seen = BTreeSet::new();
    Ok(required
        .into_iter()
        .filter(|(name, _)| seen.insert(name.clone()))
        .filter(|(name, _)| !known.contains(name))
        .map(|(name, message)| {
            Finding::problem(
                format!("{name} is not set ({})", message.trim()),
                format!("set {name} in .env (or the shell, or [environments.*.env] in tasks.toml)"),
            )
        })
        .collect())
}

/// Host ports our own running containers hold (those are not conflicts).
fn our_ports(ctx: &Context) -> BTreeSet<u16> {
    let Ok(project) = ctx.compose() else {
        return BTreeSet::new();
    };
    state::containers(&project.name)
        .map(|all| {
            all.iter()
                .filter(|c| c.is_running())
                .flat_map(|c| c.ports.iter().map(|p| p.host_port))
                .collect()
        })
        .unwrap_or_default()
}

fn taken_ports(compose_files: &[std::path::PathBuf], ours: &BTreeSet<u16>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut checked = BTreeSet::new();
    for file in compose_files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (address, port) in files::published_ports(&text) {
            if ours.contains(&port) || !checked.insert((address.clone(), port)) {
                continue;
            }
            let bind = if address.is_empty() {
                "0.0.0.0".to_string()
            } else {
                address.clone()
            };
            if let Err(error) = TcpListener::bind((bind.as_str(), port)) {
                if error.kind() == std::io::ErrorKind::AddrInUse {
                    findings.push(Finding::problem(
                        format!("host port {port} (published in {}) is already taken", file.display()),
                        format!("stop what listens on it (`ss -ltnp 'sport = :{port}'`), or publish another port"),
                    ));
                }
            }
        }
    }
    findings
}
