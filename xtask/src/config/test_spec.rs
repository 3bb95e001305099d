//! `[services.NAME.test]` in tasks.toml: how `test` runs a service's suite:
//! the container, the runner's command, how `--path`, `--pdb`, `-k` and
//! `--quiet` map onto it, where it writes JUnit XML, an optional lint
//! command and an optional test database made from a template.

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// One `[services.NAME.test]`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// The compose service whose container runs the suite; default: the service itself.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub service: Option<Spanned<String>>,
    /// The runner (`["python3", "-m", "pytest"]`); a string runs through `sh -c`.
    #[cfg_attr(test, schemars(with = "CommandLine"))]
    pub command: Spanned<CommandLine>,
    /// What the runner is given when no `--path` is (`tests`); default: nothing.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub default_path: Option<Spanned<String>>,
    /// How a path is passed, `{path}` replaced; default `["{path}"]`.
    #[cfg_attr(test, schemars(with = "Option<Vec<String>>"))]
    pub path: Option<Spanned<Vec<String>>>,
    /// What `--pdb` adds; default `["--pdb"]`.
    pub pdb: Option<Vec<String>>,
    /// What `-k EXPR` adds, `{expr}` replaced; default `["-k", "{expr}"]`.
    #[cfg_attr(test, schemars(with = "Option<Vec<String>>"))]
    pub select: Option<Spanned<Vec<String>>>,
    /// What `--quiet` adds; default `["-q"]`.
    pub quiet: Option<Vec<String>>,
    /// Where the runner writes JUnit XML in the container; default
    /// `/tmp/xtask-junit-NAME.xml`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub junit: Option<Spanned<String>>,
    /// How the runner is told to write it, `{junit}` replaced; default
    /// `["--junitxml={junit}"]`; `[]` when the command writes it by itself.
    pub junit_args: Option<Vec<String>>,
    /// A lint command run in the same container with `--lint`.
    #[cfg_attr(test, schemars(with = "Option<CommandLine>"))]
    pub lint: Option<Spanned<CommandLine>>,
    /// The test database: a fresh copy of `template` before every run,
    /// its name in `PGDATABASE` (with `PGHOST` and `PGUSER`) for the runner.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub database: Option<Spanned<String>>,
    /// The template it is copied from, made once by `[db]` init and test;
    /// default `DATABASE_template`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub template: Option<Spanned<String>>,
    /// Whether `[db]` init and test fill the template when it is made
    /// (default true); `false` leaves it empty for suites that migrate their
    /// own schema (alembic, Django), and they still start from a fresh copy.
    pub template_init: Option<bool>,
    /// Variables passed from our environment into the runner when set
    /// (`-e NAME`: the value appears on no command line).
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub pass_env: Vec<Spanned<String>>,
}
