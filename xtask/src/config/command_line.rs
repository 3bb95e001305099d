//! A command as written in TOML: a string (run by `sh -c`) or a list (an argv).

use serde::Deserialize;

/// `"cmd with args"` (a shell line) or `["cmd", "arg"]` (an argv, no shell).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum CommandLine {
    Shell(String),
    Argv(Vec<String>),
}

impl CommandLine {
    /// The argv to execute: a shell line becomes `sh -c LINE`.
    pub fn to_argv(&self) -> Vec<String> {
        match self {
            CommandLine::Shell(line) => vec!["sh".into(), "-c".into(), line.clone()],
            CommandLine::Argv(argv) => argv.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            CommandLine::Shell(line) => line.trim().is_empty(),
            CommandLine::Argv(argv) => argv.is_empty(),
        }
    }
}
