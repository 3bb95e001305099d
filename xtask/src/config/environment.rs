//! `[environments.NAME]` in tasks.toml: development, testing, staging, production.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::db::DbSpec;

/// One `[environments.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Extra compose files (overrides) added after the project's.
    #[serde(default)]
    pub compose_files: Vec<Spanned<String>>,
    /// Variables set for compose and every command run in this environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Another environment whose files and values this one starts from.
    pub inherits: Option<Spanned<String>>,
    /// The compose project of this environment; default: the project's
    /// name for the default environment, `<name>_<environment>` for others.
    pub project: Option<Spanned<String>>,
    /// Production and the like: destructive database commands need the
    /// database's name typed (or `--confirm NAME`); `--yes` alone is refused.
    #[serde(default)]
    pub protected: bool,
    /// Overrides of `[db]` for this environment (field by field).
    pub db: Option<DbSpec>,
}
