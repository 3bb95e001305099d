//! `[docs]` in tasks.toml: how `docs` builds and serves the documentation
//! (the seed's `scripts/docs` and its `docker-compose.documentation.yml`).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// The one `[docs]` table.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DocsSpec {
    /// The environment whose compose project builds the docs (its own
    /// project, its compose files); default: the active one.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub environment: Option<Spanned<String>>,
    /// The compose service that holds Sphinx.
    #[cfg_attr(test, schemars(with = "String"))]
    pub service: Spanned<String>,
    /// The build, run in the service (`["sphinx-build", "-b", "html", SRC, OUT]`,
    /// or the project's own script). A string runs in `sh -c`.
    #[cfg_attr(test, schemars(with = "CommandLine"))]
    pub command: Spanned<CommandLine>,
    /// Where the built HTML lands on the host, relative to the root.
    #[cfg_attr(test, schemars(with = "String"))]
    pub output: Spanned<String>,
    /// The built HTML's folder in the container, for `--serve`; default:
    /// the last argument of a `sphinx-build` command.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub html_dir: Option<Spanned<String>>,
    /// What `--no-autoapi` adds to the build.
    #[serde(default)]
    pub no_autoapi: NoAutoapiSpec,
    /// The port `--serve` publishes on 127.0.0.1 (the same in the container).
    #[cfg_attr(test, schemars(with = "Option<u16>"))]
    pub serve_port: Option<Spanned<u16>>,
}

/// `[docs.no_autoapi]`: arguments appended to the build command (a string
/// command gets them as `"$@"`) and variables set in the container.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoAutoapiSpec {
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// The port `--serve` uses when `serve_port` is not set.
pub const DEFAULT_SERVE_PORT: u16 = 8000;

impl DocsSpec {
    /// The built HTML's folder in the container, if known.
    pub fn html_dir(&self) -> Option<String> {
        if let Some(dir) = &self.html_dir {
            return Some(dir.get_ref().clone());
        }
        match self.command.get_ref() {
            CommandLine::Argv(argv)
                if argv
                    .first()
                    .is_some_and(|p| p.rsplit('/').next() == Some("sphinx-build")) =>
            {
                argv.last().filter(|a| !a.starts_with('-')).cloned()
            }
            _ => None,
        }
    }

    pub fn serve_port(&self) -> u16 {
        self.serve_port
            .as_ref()
            .map_or(DEFAULT_SERVE_PORT, |p| *p.get_ref())
    }
}
