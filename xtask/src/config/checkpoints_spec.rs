//! `[checkpoints]` in tasks.toml: branch-aware databases, a database
//! checkpoint per branch of the repos followed.

use serde::Deserialize;
use toml::Spanned;

/// The one `[checkpoints]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckpointsSpec {
    /// When `update` or `checkpoint restore` changes the branch of a repo
    /// of `follow`, checkpoint the database under the old branch's name
    /// (`branch-REPO-BRANCH`) and restore the new branch's, if there is one.
    #[serde(default)]
    pub on_branch_switch: bool,
    /// The repos (names in repos.toml) whose branch the database follows;
    /// the first that changes branch names the checkpoints.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub follow: Vec<Spanned<String>>,
}
