//! `[tasks.NAME]` in tasks.toml: the team's own tasks (the make replacement).
//! Key names follow mise's TOML tasks where they mean the same thing.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// One `[tasks.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub description: Option<String>,
    /// A string runs in `sh -c`, a list is an argv, a list of lists runs in order.
    pub run: Option<Spanned<RunSpec>>,
    /// Run inside this compose service instead of on the host.
    #[serde(rename = "in")]
    pub in_service: Option<Spanned<String>>,
    /// Tasks or built-in commands to run first.
    #[serde(default)]
    pub depends: Vec<Spanned<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the environment root.
    pub dir: Option<Spanned<String>>,
    /// Ask this before anything runs.
    pub confirm: Option<String>,
    /// Globs; with `outputs`, the task is skipped when no source is newer than the outputs.
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
    /// Other names the task answers to.
    pub alias: Option<Spanned<Aliases>>,
    /// Leave the task out of listings.
    #[serde(default)]
    pub hide: bool,
    /// Named arguments, passed as `{name}` and as environment variables.
    #[serde(default)]
    pub args: BTreeMap<Spanned<String>, ArgSpec>,
}

/// `run = ...`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RunSpec {
    /// One command (a shell line or an argv).
    One(CommandLine),
    /// Several commands, run in order.
    Many(Vec<CommandLine>),
}

/// `alias = "l"` or `alias = ["l", "li"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Aliases {
    One(String),
    Many(Vec<String>),
}

impl Aliases {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Aliases::One(name) => vec![name.as_str()],
            Aliases::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// One `[tasks.NAME.args]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    pub default: Option<String>,
    pub help: Option<String>,
}
