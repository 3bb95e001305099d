//! What must hold before compose is started for an environment: its env
//! files exist, its required variables are set, the services named are
//! ones the compose files declare. Each failure says what to do.

use crate::compose::environment::ActiveEnvironment;
use crate::compose::files;
use crate::config::Workspace;

/// A precondition that does not hold; [`Unmet::help`] says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmet {
    /// Compose fails with "couldn't find env file" before `update` made it.
    #[error("the env file {file} does not exist")]
    EnvFile { file: String, help: String },
    /// `[project] required_env` unset or empty.
    #[error(
        "required {} not set: {} ([project] required_env); nothing was started",
        if .missing.len() == 1 { "variable" } else { "variables" },
        .missing.join(", ")
    )]
    Variables { missing: Vec<String>, help: String },
    /// No such service in the compose files (nor `[services]`).
    #[error("no service `{service}` in the compose files")]
    UnknownService { service: String, help: String },
}

impl Unmet {
    /// What to do about it.
    pub fn help(&self) -> &str {
        match self {
            Unmet::EnvFile { help, .. }
            | Unmet::Variables { help, .. }
            | Unmet::UnknownService { help, .. } => help,
        }
    }
}

/// Each env file of `[project] env_files` exists; else which `[[copy]]` makes it.
pub fn env_files_exist(workspace: &Workspace) -> Result<(), Unmet> {
    for file in workspace.tasks.project.env_file_paths() {
        if workspace.root.join(&file).exists() {
            continue;
        }
        let help = match workspace.repos.copy_to(&file) {
            Some(copy) => format!(
                "run `cargo xtask update`: it copies {} to {file} ([[copy]] in repos.toml); then review it",
                copy.from.get_ref()
            ),
            None => format!("create {file}, or remove it from [project] env_files"),
        };
        return Err(Unmet::EnvFile { file, help });
    }
    Ok(())
}

/// Every variable of `[project] required_env` is set (in the shell, the
/// env files or the environment's `env`), naming where to set the others.
pub fn required_variables_set(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
) -> Result<(), Unmet> {
    let missing = environment.missing_required(&workspace.tasks.project);
    if missing.is_empty() {
        return Ok(());
    }
    let file = environment
        .env_files
        .first()
        .cloned()
        .unwrap_or_else(|| ".env".into());
    let example = workspace
        .repos
        .copy_to(&file)
        .map(|c| format!(" (made from {} by `cargo xtask update`)", c.from.get_ref()))
        .unwrap_or_default();
    let help = format!(
        "set {} in {file}{example}{}, or in the shell; empty counts as unset",
        if missing.len() == 1 { "it" } else { "them" },
        environment
            .name
            .as_deref()
            .map(|name| format!(", in [environments.{name}] env"))
            .unwrap_or_default(),
    );
    Err(Unmet::Variables { missing, help })
}

/// The services `environment`'s compose files declare, plus those
/// configured in `[services]`.
pub fn declared_services(workspace: &Workspace, environment: &ActiveEnvironment) -> Vec<String> {
    let mut names = files::services_in(&files::effective_files(
        &workspace.root,
        &environment.compose_files,
    ));
    for name in workspace.tasks.services.keys() {
        if !names.contains(name.get_ref()) {
            names.push(name.get_ref().clone());
        }
    }
    names
}

/// `service` is one of `names` (any when none are known), else the closest.
pub fn known_service(names: &[String], service: &str) -> Result<(), Unmet> {
    if names.is_empty() || names.iter().any(|n| n == service) {
        return Ok(());
    }
    let help = match crate::suggest::closest(service, names.iter().map(String::as_str)) {
        Some(closest) => format!("did you mean `{closest}`? services: {}", names.join(", ")),
        None => format!("services: {}", names.join(", ")),
    };
    Err(Unmet::UnknownService {
        service: service.to_string(),
        help,
    })
}
