//! Which environment (development, testing, ...) is active and why, and what
//! it adds: compose files and variables, following `inherits`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::compose::env_file;
use crate::config::environment::{EnvValue, MAX_INHERITS_DEPTH};
use crate::config::project::ProjectSpec;
use crate::config::worktree_marker::WorktreeMarker;
use crate::config::{sanitize_project_name, TasksFile, Workspace};
use crate::plan::Step;

/// Where the choice of environment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// `--env NAME`.
    Flag,
    /// `XTASK_ENV`.
    EnvVar,
    /// `ENVIRONMENT=` in the root's `.env`.
    DotEnv,
    /// `[project] default_environment`.
    Default,
    /// `environment = "..."` of the task being run.
    Task,
    /// Nothing chose one: only the project's compose files apply.
    None,
}

impl Choice {
    pub fn explain(&self) -> &'static str {
        match self {
            Choice::Flag => "chosen with --env",
            Choice::EnvVar => "chosen by XTASK_ENV",
            Choice::DotEnv => "chosen by ENVIRONMENT in .env",
            Choice::Default => "the default_environment in tasks.toml",
            Choice::Task => "pinned by the task",
            Choice::None => "no environment is chosen or configured",
        }
    }
}

/// The active environment, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveEnvironment {
    pub name: Option<String>,
    pub choice: Choice,
    /// Its compose project: every command, task and `in =` of this
    /// environment works on this one, so stacks never mix.
    pub project: String,
    /// Why the project has that name.
    pub project_reason: String,
    /// The env files compose reads for interpolation (the configured ones,
    /// else `.env`), relative to the root.
    pub env_files: Vec<String>,
    /// The values of those env files (later files win).
    #[serde(skip)]
    pub env_file_values: BTreeMap<String, String>,
    /// The environment and its ancestors, nearest first.
    pub chain: Vec<String>,
    /// Compose files, project's first, then each ancestor's, then its own.
    pub compose_files: Vec<String>,
    /// Variables, the nearest definition winning.
    pub env: BTreeMap<String, String>,
    /// Which of `env` come from a file (`{ file = ... }`), and which file:
    /// plans pass them without printing them, as they do env files' values.
    #[serde(skip)]
    pub value_files: BTreeMap<String, String>,
}

impl ActiveEnvironment {
    /// What `env` prints: the environment and why, what it inherits, the
    /// project, env files, compose files and variables (as they are: the
    /// caller masks).
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = |l: String| lines.push(l);
        match &self.name {
            Some(name) => line(format!("environment: {name} ({})", self.choice.explain())),
            None => line(format!("environment: none ({})", self.choice.explain())),
        }
        if self.chain.len() > 1 {
            line(format!("inherits: {}", self.chain.join(" -> ")));
        }
        line(format!(
            "project: {} ({})",
            self.project, self.project_reason
        ));
        line(format!("env files: {}", self.env_files.join(", ")));
        if self.compose_files.is_empty() {
            line(
                "compose files: compose's defaults (docker-compose.yml, compose.yaml)".to_string(),
            );
        } else {
            line(format!("compose files: {}", self.compose_files.join(", ")));
        }
        for (key, value) in &self.env {
            match self.value_files.get(key) {
                Some(file) => line(format!("env: {key}=<the content of {file}>")),
                None => line(format!("env: {key}={value}")),
            }
        }
        lines
    }

    /// Whether this environment (or one it inherits from) is `protected`.
    pub fn is_protected(&self, tasks: &TasksFile) -> bool {
        self.chain
            .iter()
            .filter_map(|name| tasks.environment(name))
            .any(|spec| spec.protected)
    }

    /// The confirmation a destructive step needs: `expected` typed (or
    /// `--confirm EXPECTED`: `answer`) when protected, where `--yes` is
    /// not enough; else yes/no, which `--yes` answers.
    pub fn confirmation(
        &self,
        tasks: &TasksFile,
        question: String,
        expected: &str,
        answer: Option<&str>,
    ) -> Step {
        if self.is_protected(tasks) {
            Step::ConfirmTyped {
                question: format!(
                    "{question} (`{}` is protected)",
                    self.name.as_deref().unwrap_or("default")
                ),
                expected: expected.to_string(),
                answer: answer.map(str::to_string),
            }
        } else {
            Step::Confirm { question }
        }
    }

    /// The variables of `[project] required_env` that are unset or empty
    /// here: the one rule `up`, `run` and `doctor` share.
    pub fn missing_required(&self, project: &ProjectSpec) -> Vec<String> {
        let required: Vec<String> = project
            .required_env
            .iter()
            .map(|v| v.get_ref().clone())
            .collect();
        self.missing(&required)
    }

    /// The names of `required` that are unset or empty here: in the shell,
    /// the env files and the environment's `env`.
    fn missing(&self, required: &[String]) -> Vec<String> {
        required
            .iter()
            .filter(|name| {
                let set = |value: Option<&String>| value.is_some_and(|v| !v.trim().is_empty());
                !(set(self.env.get(*name))
                    || std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
                    || set(self.env_file_values.get(*name)))
            })
            .cloned()
            .collect()
    }

    /// The variables compose gets, for commands run on the host, in
    /// compose's precedence: the env files' values unless the shell sets
    /// them, then the environment's `env`, `ENVIRONMENT`, and the project
    /// and files, so that a plain `docker compose` in a task finds our stack.
    pub fn host_variables(&self, root: &Path) -> Vec<(String, String)> {
        let mut variables: Vec<(String, String)> = self
            .env_file_values
            .iter()
            .filter(|(key, _)| std::env::var_os(key).is_none())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        variables.extend(self.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(name) = &self.name {
            if !self.env.contains_key("ENVIRONMENT") {
                variables.push(("ENVIRONMENT".into(), name.clone()));
            }
        }
        variables.push(("COMPOSE_PROJECT_NAME".into(), self.project.clone()));
        if !self.compose_files.is_empty() {
            let files: Vec<String> = self
                .compose_files
                .iter()
                .map(|f| root.join(f).to_string_lossy().into_owned())
                .collect();
            variables.push(("COMPOSE_FILE".into(), files.join(":")));
        }
        variables
    }
}

/// Why an environment could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    #[error("unknown environment `{name}` ({why}); defined: {defined}{suggestion}")]
    Unknown {
        name: String,
        why: &'static str,
        /// `; did you mean `production`?` for the closest name, or empty.
        suggestion: String,
        defined: String,
    },
    #[error("environment `{0}` inherits through more than {MAX_INHERITS_DEPTH} environments ({1} -> ...); shorten the chain")]
    TooDeep(String, String),
    #[error("environment `{0}` inherits from itself through {1}")]
    Cycle(String, String),
    /// A value read from a file that cannot be read (at its place in tasks.toml).
    #[error("{0}")]
    ValueFile(Box<crate::config::Diagnostic>),
    /// An env file compose would refuse.
    #[error("cannot read the env file {0} (compose refuses it too); fix that line")]
    EnvFile(env_file::EnvFileError),
}

/// The text of one `env` value: itself, or the content of its file.
fn env_value(workspace: &Workspace, value: &EnvValue) -> Result<String, EnvironmentError> {
    let spec = match value {
        EnvValue::Text(text) => return Ok(text.clone()),
        EnvValue::File(spec) => spec,
    };
    let fail = |message: String, help: &str| {
        EnvironmentError::ValueFile(Box::new(
            crate::config::Diagnostic::at(&workspace.tasks_source, spec.file.span(), message)
                .help(help),
        ))
    };
    let written = spec.file.get_ref();
    let path = if spec.outside_root {
        workspace.root.join(written)
    } else {
        let root = crate::config::EnvRoot::new(&workspace.root).map_err(|e| {
            fail(
                format!("cannot resolve the environment root: {e}"),
                "check the folder's permissions",
            )
        })?;
        root.resolve(written).map_err(|why| {
            fail(
                format!("the value file `{written}` {why}"),
                "keep it inside the environment root, or set `outside_root = true` beside `file`",
            )
        })?
    };
    match std::fs::read_to_string(&path) {
        // As the shell's `$(cat FILE)`: trailing newlines dropped.
        Ok(text) => Ok(text.trim_end_matches('\n').to_string()),
        Err(e) => Err(fail(
            format!("cannot read the value file `{written}`: {e}"),
            "create it, or fix the path (relative to the folder holding tasks.toml)",
        )),
    }
}

/// `ENVIRONMENT=...` from the root's `.env`, if any.
pub fn dotenv_environment(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".env")).ok()?;
    env_file::parse(&text)
        .remove("ENVIRONMENT")
        .filter(|value| !value.is_empty())
}

/// Resolves the active environment. `flag` is what `--env` (or its twin
/// `XTASK_ENV`) said; `from_env_var` tells the two apart.
pub fn resolve(
    workspace: &Workspace,
    flag: Option<&str>,
    from_env_var: bool,
) -> Result<ActiveEnvironment, EnvironmentError> {
    let tasks = &workspace.tasks;
    let (name, choice) = if let Some(name) = flag {
        (
            Some(name.to_string()),
            if from_env_var {
                Choice::EnvVar
            } else {
                Choice::Flag
            },
        )
    } else if let Some(name) = dotenv_environment(&workspace.root) {
        (Some(name), Choice::DotEnv)
    } else if let Some(name) = &tasks.project.default_environment {
        (Some(name.get_ref().clone()), Choice::Default)
    } else {
        (None, Choice::None)
    };

    let mut compose_files = tasks.project.compose_file_paths();
    let mut env = BTreeMap::new();
    let mut value_files = BTreeMap::new();
    let mut chain = Vec::new();
    if let Some(name) = &name {
        let defined = || {
            let names: Vec<&str> = tasks
                .environments
                .keys()
                .map(|k| k.get_ref().as_str())
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        let mut current = Some(name.clone());
        while let Some(env_name) = current {
            if chain.len() > MAX_INHERITS_DEPTH {
                return Err(EnvironmentError::TooDeep(
                    name.clone(),
                    chain[..3].join(" -> "),
                ));
            }
            if chain.contains(&env_name) {
                chain.push(env_name.clone());
                return Err(EnvironmentError::Cycle(name.clone(), chain.join(" -> ")));
            }
            let Some(spec) = tasks.environment(&env_name) else {
                // An environment named only in .env or by the user, with no
                // section, is allowed when tasks.toml defines none at all.
                if tasks.environments.is_empty() {
                    break;
                }
                let names = tasks.environments.keys().map(|k| k.get_ref().as_str());
                let suggestion = crate::suggest::closest(&env_name, names)
                    .map(|close| format!("; did you mean `{close}`?"))
                    .unwrap_or_default();
                return Err(EnvironmentError::Unknown {
                    name: env_name,
                    why: choice.explain(),
                    suggestion,
                    defined: defined(),
                });
            };
            chain.push(env_name.clone());
            current = spec.inherits.as_ref().map(|p| p.get_ref().clone());
        }
        for env_name in chain.iter().rev() {
            if let Some(spec) = tasks.environment(env_name) {
                compose_files.extend(spec.compose_files.iter().map(|f| f.get_ref().clone()));
                for (key, value) in &spec.env {
                    env.insert(key.clone(), env_value(workspace, value)?);
                    match value {
                        EnvValue::File(file) => {
                            value_files.insert(key.clone(), file.file.get_ref().clone())
                        }
                        EnvValue::Text(_) => value_files.remove(key),
                    };
                }
            }
        }
    }
    let env_files = {
        let configured = tasks.project.env_file_paths();
        if configured.is_empty() {
            vec![".env".to_string()]
        } else {
            configured
        }
    };
    // As compose reads them: with tasks.toml's `env` (set on compose's
    // process) and the shell's environment seen by interpolation.
    let env_file_values =
        env_file::read_all(&workspace.root, &env_files, &env_file::process_lookup(&env))
            .map_err(EnvironmentError::EnvFile)?;
    // Known secrets are masked wherever they appear in what we print.
    for (key, value) in env.iter().chain(&env_file_values) {
        if crate::mask::is_secret_key(key) || value_files.contains_key(key) {
            crate::mask::remember(value);
        }
    }
    let (project, project_reason) = project_of(workspace, name.as_deref(), &env_file_values);
    Ok(ActiveEnvironment {
        name,
        choice,
        project,
        project_reason,
        env_files,
        env_file_values,
        chain,
        compose_files,
        env,
        value_files,
    })
}

/// The compose project of environment `name`: its own `project`, else the
/// base name for the default environment (or none), else `<base>_<name>`.
/// The base is `[project] name`, else `COMPOSE_PROJECT_NAME` from the env
/// files (what plain `docker compose` in the root would use), else the
/// root folder's name. In a worktree (`.xtask/worktree.json`) every name
/// is the original's with `_<worktree>` added, so the two never share one.
fn project_of(
    workspace: &Workspace,
    name: Option<&str>,
    env_file_values: &BTreeMap<String, String>,
) -> (String, String) {
    let (project, why) = original_project_of(workspace, name, env_file_values);
    match WorktreeMarker::read(&workspace.root) {
        Some(worktree) => (
            sanitize_project_name(&worktree.project(&project)),
            format!(
                "{why}, then _{}: a worktree has its own project",
                worktree.name
            ),
        ),
        None => (project, why),
    }
}

/// [`project_of`] as the original environment names it (in a worktree,
/// from the original's base, recorded in its mark).
fn original_project_of(
    workspace: &Workspace,
    name: Option<&str>,
    env_file_values: &BTreeMap<String, String>,
) -> (String, String) {
    let tasks = &workspace.tasks;
    if let Some(own) = name
        .and_then(|n| tasks.environment(n))
        .and_then(|spec| spec.project.as_ref())
    {
        return (
            sanitize_project_name(own.get_ref()),
            "set by the environment's `project`".into(),
        );
    }
    let (base, why) = match WorktreeMarker::read(&workspace.root) {
        Some(worktree) => (worktree.base, "the original's base project name"),
        None => base_project(workspace, env_file_values),
    };
    let default = tasks
        .project
        .default_environment
        .as_ref()
        .map(|d| d.get_ref().as_str());
    match name {
        Some(name) if Some(name) != default => (
            sanitize_project_name(&format!("{base}_{name}")),
            format!("{why}, then _{name}: each environment has its own project"),
        ),
        _ => (
            sanitize_project_name(&base),
            format!("{why} (the default environment)"),
        ),
    }
}

/// The base of every project name of an environment that is no worktree,
/// and why: `[project] name`, else `COMPOSE_PROJECT_NAME` from the env
/// files, else the root folder's name.
pub fn base_project(
    workspace: &Workspace,
    env_file_values: &BTreeMap<String, String>,
) -> (String, &'static str) {
    match (
        &workspace.tasks.project.name,
        env_file_values.get("COMPOSE_PROJECT_NAME"),
    ) {
        (Some(name), _) => (name.get_ref().clone(), "[project] name"),
        (None, Some(value)) if !value.trim().is_empty() => {
            (value.clone(), "COMPOSE_PROJECT_NAME in the env file")
        }
        _ => (workspace.project_name(), "the root folder's name"),
    }
}
