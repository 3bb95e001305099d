//! `xtask doctor`: what is wrong with this machine or environment, and the remedy.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;

use crate::commands::Context;
use crate::compose::cli::ComposeCli;
use crate::compose::files;
use crate::compose::loader::{self, LoadProblem, LoadedFiles};
use crate::compose::model::{ComposeModel, HostPort};
use crate::compose::variables::Variables;
use crate::compose::{engine, state};
use crate::error::{Error, Result};
use crate::exec;
use crate::plan::CommandStep;
use crate::ui::Tone;

/// Check the engine, Compose, git, the config, required variables and ports
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask doctor
  cargo xtask --env production doctor
  cargo xtask --context shared-host doctor   check a remote engine")]
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
            crate::outln!(
                "# engine: {}",
                crate::compose::docker_host::engine().describe()
            );
            crate::outln!("# doctor only reads: docker version, compose version --short, compose config --format json, git --version, the config, ports");
            return Ok(());
        }
        let mut findings = Vec::new();
        let chosen = crate::compose::docker_host::engine();
        let engine_ok = match engine::check() {
            Ok(version) => {
                findings.push(Finding::ok(format!(
                    "Docker engine {version} answers: {}",
                    chosen.describe()
                )));
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
            let mut overrides = environment.env.clone();
            if let Some(name) = &environment.name {
                overrides
                    .entry("ENVIRONMENT".into())
                    .or_insert_with(|| name.clone());
            }
            let variables = Variables::for_project(
                &workspace.root,
                &workspace.tasks.project.env_file_paths(),
                &overrides,
            );
            let loaded = loader::load(&compose_files, &variables);
            findings.extend(load_problems(&workspace.root, &loaded.problems));
            findings.extend(required_variables(ctx)?);
            let (ports, from) = if engine_ok {
                compose_model(ctx, &loaded, &mut findings)
            } else {
                (loaded.model.host_ports(), "the files: no engine answers")
            };
            let ours = if engine_ok {
                our_ports(ctx)
            } else {
                BTreeSet::new()
            };
            match chosen.remote_host() {
                // Ports are taken or free on the engine's machine, not on this one.
                Some(remote) => findings.push(Finding::ok(format!(
                    "host ports are published on {remote} (the engine's machine): not checked here"
                ))),
                None => findings.extend(taken_ports(&ports, &ours, from)),
            }
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

/// What reading the compose files ran into: YAML errors (at FILE:LINE:COL),
/// includes and extends that lead nowhere, required variables left unset.
fn load_problems(root: &Path, problems: &[LoadProblem]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = files::yaml_diagnostics(root, problems)
        .into_iter()
        .map(|diagnostic| {
            Finding::problem(
                format!("a compose file is not valid YAML:\n{diagnostic}"),
                "fix the YAML syntax; `cargo xtask check` lists every error",
            )
        })
        .collect();
    findings.extend(
        files::cycle_diagnostics(root, problems)
            .into_iter()
            .map(|diagnostic| {
                Finding::problem(
                    diagnostic.message,
                    "remove one of these `include:` entries; compose refuses the cycle too",
                )
            }),
    );
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut seen = BTreeSet::new();
    for problem in problems {
        match problem {
            LoadProblem::Yaml { .. } => {}
            LoadProblem::Unreadable {
                path,
                named_in,
                why,
            } => findings.push(Finding::problem(
                format!(
                    "{} (named in {}) cannot be read: {why}",
                    shown(path),
                    shown(named_in)
                ),
                "fix the path in `include:` or `extends:`",
            )),
            LoadProblem::Cycle { .. } => {}
            LoadProblem::Extends { path, service, why } => findings.push(Finding::problem(
                format!("service `{service}` in {}: {why}", shown(path)),
                "fix its `extends:`",
            )),
            LoadProblem::MissingVariable { path, variable } => {
                if seen.insert(variable.name.clone()) {
                    findings.push(Finding::problem(
                        format!(
                            "{} is not set ({}; required in {})",
                            variable.name,
                            variable.message.trim(),
                            shown(path)
                        ),
                        format!(
                            "set {} in an env file (or the shell, or [environments.*.env] in tasks.toml)",
                            variable.name
                        ),
                    ));
                }
            }
        }
    }
    findings
}

/// The variables of `[project] required_env` that are unset or empty, by
/// the same rule that makes `up` and `run` refuse.
fn required_variables(ctx: &Context) -> Result<Vec<Finding>> {
    let workspace = ctx.workspace()?;
    Ok(ctx
        .environment()?
        .missing_required(&workspace.tasks.project)
        .into_iter()
        .map(|name| {
            Finding::problem(
                format!("{name} is not set (required by tasks.toml)"),
                format!("set {name} in .env (or the shell, or [environments.*.env] in tasks.toml)"),
            )
        })
        .collect())
}

/// The host ports to check and where they were read: compose's own merged
/// model when it can give one, else our reading of the files.
fn compose_model(
    ctx: &Context,
    loaded: &LoadedFiles,
    findings: &mut Vec<Finding>,
) -> (Vec<HostPort>, &'static str) {
    let Ok(project) = ctx.compose() else {
        return (loaded.model.host_ports(), "the files: no Compose found");
    };
    match ComposeModel::from_compose(&project) {
        Ok(Some(model)) => (model.host_ports(), "`compose config`"),
        Ok(None) => (
            loaded.model.host_ports(),
            "the files: Compose v1 has no `config --format json`",
        ),
        Err(error) => {
            // Our own reading has already said why when it saw a problem.
            if loaded.problems.is_empty() {
                findings.push(Finding::problem(
                    error.to_string(),
                    "`cargo xtask config` shows how compose reads the files",
                ));
            }
            (
                loaded.model.host_ports(),
                "the files: `compose config` failed",
            )
        }
    }
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

/// A problem for each host port something else already listens on.
fn taken_ports(ports: &[HostPort], ours: &BTreeSet<u16>, from: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut checked = BTreeSet::new();
    for HostPort {
        service,
        address,
        port,
    } in ports
    {
        if ours.contains(port) || !checked.insert((address.clone(), *port)) {
            continue;
        }
        let bind = if address.is_empty() {
            "0.0.0.0"
        } else {
            address.as_str()
        };
        if let Err(error) = TcpListener::bind((bind, *port)) {
            if error.kind() == std::io::ErrorKind::AddrInUse {
                findings.push(Finding::problem(
                    format!("host port {port} (published by service `{service}`; read from {from}) is already taken"),
                    format!("stop what listens on it (`ss -ltnp 'sport = :{port}'`), or publish another port"),
                ));
            }
        }
    }
    if findings.is_empty() && !checked.is_empty() {
        let list: Vec<String> = checked.iter().map(|(_, port)| port.to_string()).collect();
        findings.push(Finding::ok(format!(
            "host ports free: {} (read from {from})",
            list.join(", ")
        )));
    }
    findings
}
