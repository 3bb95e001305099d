//! `doctor`: what is wrong with this machine or environment, each with its
//! remedy: the engine, Compose, git, the compose files, required
//! variables and host ports.

pub mod compose_findings;

use std::collections::BTreeSet;

use crate::compose::cli::ComposeCli;
use crate::compose::docker_host::Engine;
use crate::compose::environment::ActiveEnvironment;
use crate::compose::files;
use crate::compose::loader::{self, LoadedFiles};
use crate::compose::model::{ComposeModel, HostPort};
use crate::compose::project::ComposeProject;
use crate::compose::variables::Variables;
use crate::compose::{engine, state};
use crate::config::Workspace;
use crate::doctor::compose_findings::{load_problems, taken_ports};
use crate::exec;
use crate::plan::CommandStep;

/// One thing doctor looked at.
pub struct Finding {
    pub ok: bool,
    pub what: String,
    pub remedy: Option<String>,
}

impl Finding {
    /// Something that is as it should be.
    pub fn ok(what: impl Into<String>) -> Self {
        Self {
            ok: true,
            what: what.into(),
            remedy: None,
        }
    }
    /// Something wrong, and what to do about it.
    pub fn problem(what: impl Into<String>, remedy: impl Into<String>) -> Self {
        Self {
            ok: false,
            what: what.into(),
            remedy: Some(remedy.into()),
        }
    }
}

/// The engine (whether `chosen` answers), Compose and git; and whether the
/// engine answered.
pub fn machine_findings(chosen: &Engine) -> (Vec<Finding>, bool) {
    let mut findings = Vec::new();
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
    (findings, engine_ok)
}

/// What the engine can tell doctor about the environment's project.
pub enum ProjectAccess<'a> {
    /// No engine answers: the files are all there is.
    NoEngine,
    /// The engine answers but no Compose CLI was found.
    NoCompose,
    /// The project, to ask compose and the engine about.
    Project(&'a ComposeProject),
}

/// The environment's compose files, required variables and host ports;
/// `remote_host`: the engine's machine, where ports are not checked from here.
pub fn environment_findings(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    access: ProjectAccess,
    remote_host: Option<String>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
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
    findings.extend(
        environment
            .missing_required(&workspace.tasks.project)
            .into_iter()
            .map(|name| {
                Finding::problem(
                    format!("{name} is not set (required by tasks.toml)"),
                    format!(
                        "set {name} in .env (or the shell, or [environments.*.env] in tasks.toml)"
                    ),
                )
            }),
    );
    let (ports, from) = host_ports(&access, &loaded, &mut findings);
    let ours = match access {
        ProjectAccess::Project(project) => our_ports(project),
        _ => BTreeSet::new(),
    };
    match remote_host {
        // Ports are taken or free on the engine's machine, not on this one.
        Some(remote) => findings.push(Finding::ok(format!(
            "host ports are published on {remote} (the engine's machine): not checked here"
        ))),
        None => findings.extend(taken_ports(&ports, &ours, from)),
    }
    findings
}

/// The host ports to check and where they were read: compose's own merged
/// model when it can give one, else our reading of the files.
fn host_ports(
    access: &ProjectAccess,
    loaded: &LoadedFiles,
    findings: &mut Vec<Finding>,
) -> (Vec<HostPort>, &'static str) {
    let project = match access {
        ProjectAccess::NoEngine => {
            return (loaded.model.host_ports(), "the files: no engine answers")
        }
        ProjectAccess::NoCompose => {
            return (loaded.model.host_ports(), "the files: no Compose found")
        }
        ProjectAccess::Project(project) => project,
    };
    match ComposeModel::from_compose(project) {
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
fn our_ports(project: &ComposeProject) -> BTreeSet<u16> {
    state::containers(&project.name)
        .map(|all| {
            all.iter()
                .filter(|c| c.is_running())
                .flat_map(|c| c.ports.iter().map(|p| p.host_port))
                .collect()
        })
        .unwrap_or_default()
}
