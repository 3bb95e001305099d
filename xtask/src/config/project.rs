//! `[project]` in tasks.toml: the compose project and its base files.

use serde::Deserialize;
use toml::Spanned;

/// `[project]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Compose project name; default: the environment root's folder name.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub name: Option<Spanned<String>>,
    /// Base compose files, in order (relative to the environment root).
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub compose_files: Vec<Spanned<String>>,
    /// Env files passed to compose for variable interpolation.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub env_files: Vec<Spanned<String>>,
    /// The environment used when neither `--env`, `XTASK_ENV` nor `ENVIRONMENT` in `.env` says.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub default_environment: Option<Spanned<String>>,
    /// Variables that must be set for the stack to work (checked by `doctor`).
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub required_env: Vec<Spanned<String>>,
}

impl ProjectSpec {
    /// The env files, relative to the environment root.
    pub fn env_file_paths(&self) -> Vec<String> {
        self.env_files.iter().map(|f| f.get_ref().clone()).collect()
    }

    /// The base compose files, relative to the environment root.
    pub fn compose_file_paths(&self) -> Vec<String> {
        self.compose_files
            .iter()
            .map(|f| f.get_ref().clone())
            .collect()
    }
}
