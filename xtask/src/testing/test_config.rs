//! One service's test configuration with every default filled in, and the
//! runner's argv for the options given on the command line.

use crate::config::test_spec::TestSpec;
use crate::config::{CommandLine, TasksFile};
use crate::error::{Error, Result};

/// What the command line asks of every suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunnerOptions {
    pub path: Option<String>,
    pub pdb: bool,
    pub select: Option<String>,
    pub quiet: bool,
    /// After `--`: given to the runner as they are.
    pub args: Vec<String>,
}

/// `[services.NAME.test]` resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestConfig {
    /// The service the suite belongs to (the name in output and JUnit files).
    pub name: String,
    /// The compose service whose container runs it.
    pub container: String,
    pub command: Vec<String>,
    pub default_path: Option<String>,
    pub path: Vec<String>,
    pub pdb: Vec<String>,
    pub select: Vec<String>,
    pub quiet: Vec<String>,
    /// Where the runner writes JUnit XML in the container.
    pub junit: String,
    pub junit_args: Vec<String>,
    /// `junit` was set (not the default path).
    pub junit_configured: bool,
    pub lint: Option<Vec<String>>,
    pub database: Option<String>,
    pub template: Option<String>,
    /// `[db]` init and test fill the template when it is made.
    pub template_init: bool,
    pub pass_env: Vec<String>,
}

impl TestConfig {
    /// The suites of `services`, else every configured one.
    pub fn select(tasks: &TasksFile, services: &[String]) -> Result<Vec<TestConfig>> {
        let configured: Vec<(String, TestConfig)> = tasks
            .services
            .iter()
            .filter_map(|(name, service)| {
                let spec = service.test.as_ref()?;
                Some((
                    name.get_ref().clone(),
                    TestConfig::resolve(name.get_ref(), spec),
                ))
            })
            .collect();
        let names: Vec<&str> = configured.iter().map(|(n, _)| n.as_str()).collect();
        if configured.is_empty() {
            return Err(Error::usage_with_help(
                "no service has a test configuration",
                "add one to tasks.toml, e.g.\n    [services.web.test]\n    command = [\"python3\", \"-m\", \"pytest\"]\n    default_path = \"tests\"",
            ));
        }
        if services.is_empty() {
            return Ok(configured.into_iter().map(|(_, c)| c).collect());
        }
        let mut chosen = Vec::new();
        for name in services {
            match configured.iter().find(|(n, _)| n == name) {
                Some((_, config)) => {
                    if !chosen.contains(config) {
                        chosen.push(config.clone());
                    }
                }
                None => {
                    let close = crate::suggest::closest(name, names.iter().copied())
                        .map(|c| format!("did you mean `{c}`? "))
                        .unwrap_or_default();
                    return Err(Error::usage_with_help(
                        format!(
                            "`{}` has no test configuration ([services.{0}.test] in tasks.toml)",
                            crate::ui::sanitize_for_terminal(name)
                        ),
                        format!("{close}services with tests: {}", names.join(", ")),
                    ));
                }
            }
        }
        Ok(chosen)
    }

    pub fn resolve(name: &str, spec: &TestSpec) -> Self {
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let database = spec.database.as_ref().map(|d| d.get_ref().clone());
        Self {
            name: name.to_string(),
            container: spec
                .service
                .as_ref()
                .map_or_else(|| name.to_string(), |s| s.get_ref().clone()),
            command: runner(spec.command.get_ref()),
            default_path: spec.default_path.as_ref().map(|p| p.get_ref().clone()),
            path: spec
                .path
                .as_ref()
                .map_or_else(|| strings(&["{path}"]), |p| p.get_ref().clone()),
            pdb: spec.pdb.clone().unwrap_or_else(|| strings(&["--pdb"])),
            select: spec
                .select
                .as_ref()
                .map_or_else(|| strings(&["-k", "{expr}"]), |s| s.get_ref().clone()),
            quiet: spec.quiet.clone().unwrap_or_else(|| strings(&["-q"])),
            junit: spec.junit.as_ref().map_or_else(
                || format!("/tmp/xtask-junit-{name}.xml"),
                |j| j.get_ref().clone(),
            ),
            junit_args: spec
                .junit_args
                .clone()
                .unwrap_or_else(|| strings(&["--junitxml={junit}"])),
            junit_configured: spec.junit.is_some(),
            lint: spec.lint.as_ref().map(|l| l.get_ref().to_argv()),
            template: spec
                .template
                .as_ref()
                .map(|t| t.get_ref().clone())
                .or_else(|| database.as_ref().map(|d| format!("{d}_template"))),
            database,
            template_init: spec.template_init.unwrap_or(true),
            pass_env: spec.pass_env.iter().map(|v| v.get_ref().clone()).collect(),
        }
    }

    /// The runner's argv: the command, JUnit, quiet, pdb, `-k`, the path
    /// (or the default one), then the arguments after `--`.
    pub fn runner_argv(&self, options: &RunnerOptions) -> Vec<String> {
        let mut argv = self.command.clone();
        argv.extend(
            self.junit_args
                .iter()
                .map(|a| a.replace("{junit}", &self.junit)),
        );
        if options.quiet {
            argv.extend(self.quiet.iter().cloned());
        }
        if options.pdb {
            argv.extend(self.pdb.iter().cloned());
        }
        if let Some(expr) = &options.select {
            argv.extend(self.select.iter().map(|a| a.replace("{expr}", expr)));
        }
        if let Some(path) = options.path.as_ref().or(self.default_path.as_ref()) {
            argv.extend(self.path.iter().map(|a| a.replace("{path}", path)));
        }
        argv.extend(options.args.iter().cloned());
        argv
    }

    /// Whether a JUnit report is expected: the runner is told to write it,
    /// or `junit` names where the command writes it by itself.
    pub fn writes_junit(&self) -> bool {
        !self.junit_args.is_empty() || self.junit_configured
    }
}

/// The runner's argv: a shell line gets the arguments we add as `"$@"`
/// (`sh -c LINE ARG` would make ARG `$0` and drop it).
fn runner(command: &CommandLine) -> Vec<String> {
    match command {
        CommandLine::Argv(argv) => argv.clone(),
        CommandLine::Shell(line) => vec![
            "sh".into(),
            "-c".into(),
            format!("{line} \"$@\""),
            "sh".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> TestConfig {
        let spec: TestSpec = toml::from_str(toml_text).expect("a test spec");
        TestConfig::resolve("web", &spec)
    }

    #[test]
    fn defaults_fit_pytest() {
        let web = config("command = [\"pytest\"]\ndefault_path = \"tests\"\n");
        assert_eq!(
            web.runner_argv(&RunnerOptions::default()),
            ["pytest", "--junitxml=/tmp/xtask-junit-web.xml", "tests"]
        );
        let options = RunnerOptions {
            path: Some("tests/test_a.py".into()),
            pdb: true,
            select: Some("writes and not slow".into()),
            quiet: true,
            args: vec!["-x".into()],
        };
        assert_eq!(
            web.runner_argv(&options),
            [
                "pytest",
                "--junitxml=/tmp/xtask-junit-web.xml",
                "-q",
                "--pdb",
                "-k",
                "writes and not slow",
                "tests/test_a.py",
                "-x"
            ]
        );
        assert_eq!(web.container, "web");
        assert_eq!(web.template, None);
    }

    #[test]
    fn mappings_follow_the_configuration() {
        let portal = config(
            "service = \"portal\"\ncommand = \"execute run-tests\"\npath = [\"--path={path}\"]\n\
             pdb = [\"--pdb\", \"-s\"]\njunit = \"/shared/junit.xml\"\njunit_args = []\ndatabase = \"c3s_test\"\n",
        );
        let options = RunnerOptions {
            path: Some("src/portal_web".into()),
            pdb: true,
            ..RunnerOptions::default()
        };
        assert_eq!(
            portal.runner_argv(&options),
            [
                "sh",
                "-c",
                "execute run-tests \"$@\"",
                "sh",
                "--pdb",
                "-s",
                "--path=src/portal_web"
            ]
        );
        assert_eq!(portal.container, "portal");
        assert_eq!(portal.template.as_deref(), Some("c3s_test_template"));
        assert!(portal.writes_junit());
    }
}
