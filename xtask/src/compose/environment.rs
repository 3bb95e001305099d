//! Which environment (development, testing, ...) is active and why, and what
//! it adds: compose files and variables, following `inherits`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::config::Workspace;

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
            Choice::None => "no environment is chosen or configured",
        }
    }
}

/// The active environment, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveEnvironment {
    pub name: Option<String>,
    pub choice: Choice,
    /// The environment and its ancestors, nearest first.
    pub chain: Vec<String>,
    /// Compose files, project's first, then each ancestor's, then its own.
    pub compose_files: Vec<String>,
    /// Variables, the nearest definition winning.
    pub env: BTreeMap<String, String>,
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
    #[error("environment `{0}` inherits from itself through {1}")]
    Cycle(String, String),
}

/// `ENVIRONMENT=...` from the root's `.env`, if any.
pub fn dotenv_environment(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".env")).ok()?;
    text.lines().find_map(|line| {
        let line = line.trim();
        let value = line
            .strip_prefix("ENVIRONMENT=")
            .or_else(|| line.strip_prefix("export ENVIRONMENT="))?;
        let value = value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        (!value.is_empty()).then_some(value)
    })
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
                env.extend(spec.env.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    Ok(ActiveEnvironment {
        name,
        choice,
        chain,
        compose_files,
        env,
    })
}
