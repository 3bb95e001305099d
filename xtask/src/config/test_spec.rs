//! `[services.NAME.test]` in tasks.toml: how `test` runs a service's suite:
//! the container, the runner's command, how `--path`, `--pdb`, `-k` and
//! `--quiet` map onto it, where it writes JUnit XML, an optional lint
//! command and an optional test database made from a template.

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// One `[services.NAME.test]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// The compose service whose container runs the suite; default: the service itself.
    pub service: Option<Spanned<String>>,
    /// The runner (`["python3", "-m", "pytest"]`); a string runs through `sh -c`.
    pub command: Spanned<CommandLine>,
    /// What the runner is given when no `--path` is (`tests`); default: nothing.
    pub default_path: Option<Spanned<String>>,
    /// How a path is passed, `{path}` replaced; default `["{path}"]`.
    pub path: Option<Spanned<Vec<String>>>,
    /// What `--pdb` adds; default `["--pdb"]`.
    pub pdb: Option<Vec<String>>,
    /// What `-k EXPR` adds, `{expr}` replaced; default `["-k", "{expr}"]`.
    pub select: Option<Spanned<Vec<String>>>,
    /// What `--quiet` adds; default `["-q"]`.
    pub quiet: Option<Vec<String>>,
    /// Where the runner writes JUnit XML in the container; default
    /// `/tmp/xtask-junit-NAME.xml`.
    pub junit: Option<Spanned<String>>,
    /// How the runner is told to write it, `{junit}` replaced; default
    /// `["--junitxml={junit}"]`; `[]` when the command writes it by itself.
    pub junit_args: Option<Vec<String>>,
    /// A lint command run in the same container with `--lint`.
    pub lint: Option<Spanned<CommandLine>>,
    /// The test database: a fresh copy of `template` before every run,
    /// its name in `PGDATABASE` (with `PGHOST` and `PGUSER`) for the runner.
    pub database: Option<Spanned<String>>,
    /// The template it is copied from, made once by `[db]` init and test;
    /// default `DATABASE_template`.
    pub template: Option<Spanned<String>>,
    /// Whether `[db]` init and test fill the template when it is made
    /// (default true); `false` leaves it empty for suites that migrate their
    /// own schema (alembic, Django), and they still start from a fresh copy.
    pub template_init: Option<bool>,
    /// Variables passed from our environment into the runner when set
    /// (`-e NAME`: the value appears on no command line).
    #[serde(default)]
    pub pass_env: Vec<Spanned<String>>,
}
