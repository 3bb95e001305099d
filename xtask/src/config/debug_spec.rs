//! `[services.NAME.debug]` in tasks.toml: the debugger `debug NAME` starts
//! the service under, its port, and where the sources are on both sides.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// One `[services.NAME.debug]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DebugSpec {
    /// debugpy (the default) or ptvsd (the seed's).
    #[serde(default)]
    pub debugger: Debugger,
    /// The port the debugger listens on in the container and on 127.0.0.1;
    /// default 5678.
    #[cfg_attr(test, schemars(with = "Option<u16>"))]
    pub port: Option<Spanned<u16>>,
    /// The program run under the debugger; default: the service's `command`.
    #[cfg_attr(test, schemars(with = "Option<CommandLine>"))]
    pub command: Option<Spanned<CommandLine>>,
    /// Host folder (relative to the root) -> the container's path of the
    /// same sources, for breakpoints and the editor's attach configuration.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub path_mappings: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// The debuggers `debug` knows how to start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Debugger {
    #[default]
    Debugpy,
    Ptvsd,
}

impl Debugger {
    pub fn name(self) -> &'static str {
        match self {
            Debugger::Debugpy => "debugpy",
            Debugger::Ptvsd => "ptvsd",
        }
    }
}

/// The port when neither `--port` nor `port` says one.
pub const DEFAULT_DEBUG_PORT: u16 = 5678;
