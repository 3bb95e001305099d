//! `[services.NAME]` in tasks.toml: what the tool knows about a compose service.

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;
use super::debug_spec::DebugSpec;
use super::test_spec::TestSpec;

/// One `[services.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// What `run NAME` starts when no command is given (the seed's `execute deploy-portal`).
    #[cfg_attr(test, schemars(with = "Option<CommandLine>"))]
    pub command: Option<Spanned<CommandLine>>,
    /// The shell `shell NAME` opens; default `/bin/sh`.
    pub shell: Option<String>,
    /// The scheme `urls` shows (`https` for a TLS server on 8443); default:
    /// the container's `xtask.scheme` label, else a guess from the port.
    pub scheme: Option<String>,
    /// The path `urls` appends (`/portal/`); default: the `xtask.path` label.
    pub path: Option<String>,
    /// How `debug NAME` runs it under a debugger.
    pub debug: Option<DebugSpec>,
    /// How `test` runs this service's suite (`[services.NAME.test]`).
    pub test: Option<TestSpec>,
}
