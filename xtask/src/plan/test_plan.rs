//! A test run as data (a [`Step::Tests`](crate::plan::Step::Tests)): the
//! phases before the suites (build, up, the database templates), the
//! suites (each: a fresh test database, the runner, its JUnit report,
//! lint), and the tear-down. `testing/` builds it; the interpreter runs it,
//! timing every phase, the suites side by side with their output prefixed;
//! `--dry-run` prints it whole.

use std::fmt;
use std::path::PathBuf;

use crate::plan::CommandStep;

/// One step of a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseStep {
    Run(CommandStep),
    /// Runs `steps` only when `check` prints nothing: a database template
    /// is made once, when missing; a test database is copied when no spare
    /// was renamed into place. With `show`, what `check` printed is shown.
    WhenMissing {
        what: String,
        check: CommandStep,
        steps: Vec<PhaseStep>,
        show: bool,
    },
}

/// A named, timed row of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: String,
    pub steps: Vec<PhaseStep>,
}

impl Phase {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            steps: Vec::new(),
        }
    }

    pub fn run(mut self, step: CommandStep) -> Self {
        self.steps.push(PhaseStep::Run(step));
        self
    }
}

/// Where a suite's JUnit XML is read from, and the file it is copied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunitCopy {
    pub read: ReportRead,
    pub file: PathBuf,
}

/// How the report gets out of the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportRead {
    /// A command run after the suite prints it (and removes it, so a
    /// crashed runner's next report is never an old one).
    After(Box<CommandStep>),
    /// The runner's wrapper prints it after this marker line (see
    /// [`crate::testing::wrapper`]).
    Inline(String),
}

/// One service's suite. (Its fresh test database is made before the
/// suites start, one after another: psql reads its script on stdin, which
/// a prefixed child does not get.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    pub name: String,
    /// One step: the runner.
    pub tests: Phase,
    /// The runner's wrapper waits for `go` on stdin: it is started before
    /// the preparation, so that its start overlaps the test database's.
    pub gated: bool,
    pub junit: Option<JunitCopy>,
    pub lint: Option<Phase>,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPlan {
    /// Said before anything runs (and first in a dry run).
    pub notes: Vec<String>,
    pub prepare: Vec<Phase>,
    /// Made while the suites run (the next run's spare test databases):
    /// started after `prepare`, waited for before the tear-down, output
    /// captured; a failure is a note, never a failed run.
    pub background: Vec<Phase>,
    pub suites: Vec<Suite>,
    pub teardown: Option<Phase>,
    pub jobs: usize,
    /// Suites one after another with our terminal (one suite, or `--pdb`).
    pub foreground: bool,
}

impl Suite {
    /// Its timed phases: the tests, then lint.
    pub fn phases(&self) -> impl Iterator<Item = &Phase> {
        std::iter::once(&self.tests).chain(self.lint.iter())
    }

    /// The runner, when the tests are one command.
    pub fn runner(&self) -> Option<&CommandStep> {
        match self.tests.steps.as_slice() {
            [PhaseStep::Run(runner)] => Some(runner),
            _ => None,
        }
    }

    /// The marker line its runner's wrapper prints before the report.
    pub fn inline_marker(&self) -> Option<&str> {
        match &self.junit {
            Some(JunitCopy {
                read: ReportRead::Inline(marker),
                ..
            }) => Some(marker),
            _ => None,
        }
    }
}

impl fmt::Display for PhaseStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhaseStep::Run(command) => write!(f, "{command}"),
            PhaseStep::WhenMissing {
                what, check, steps, ..
            } => {
                write!(
                    f,
                    "# when {what} is missing (nothing printed by this check):\n{check}"
                )?;
                for step in steps {
                    write!(f, "\n{step}")?;
                }
                write!(f, "\n# end when")
            }
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# {}", self.name)?;
        for step in &self.steps {
            writeln!(f, "{step}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TestPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.notes {
            writeln!(f, "# {note}")?;
        }
        for phase in &self.prepare {
            write!(f, "{phase}")?;
        }
        if self.suites.len() > 1 && !self.foreground {
            writeln!(
                f,
                "# the suites run in parallel (up to {} at a time), output prefixed `NAME | `",
                self.jobs
            )?;
        }
        if !self.background.is_empty() {
            writeln!(
                f,
                "# while the suites run (captured; waited for before the end; a failure is a note):"
            )?;
            for phase in &self.background {
                write!(f, "{phase}")?;
            }
        }
        for suite in &self.suites {
            if suite.gated {
                writeln!(
                    f,
                    "# {} is started before the preparation above and waits for `go` on its stdin, written when that has succeeded",
                    suite.tests.name
                )?;
            }
            write!(f, "{}", suite.tests)?;
            match &suite.junit {
                Some(JunitCopy {
                    read: ReportRead::After(read),
                    file,
                }) => writeln!(f, "{read} >{}", file.display())?,
                Some(JunitCopy {
                    read: ReportRead::Inline(marker),
                    file,
                }) => writeln!(
                    f,
                    "# its JUnit XML follows the line `{marker}` on its stdout: saved to {}",
                    file.display()
                )?,
                None => {}
            }
            if let Some(phase) = &suite.lint {
                write!(f, "{phase}")?;
            }
        }
        if let Some(phase) = &self.teardown {
            write!(f, "{phase}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A suite `web` that runs `argv`, ungated, without report or lint.
    pub(crate) fn suite(argv: &[&str]) -> Suite {
        Suite {
            name: "web".into(),
            tests: Phase::new("tests web").run(CommandStep::new(argv.iter().copied())),
            gated: false,
            junit: None,
            lint: None,
        }
    }

    #[test]
    fn a_dry_run_shows_the_background_phases_after_the_preparation() {
        let plan = TestPlan {
            notes: Vec::new(),
            prepare: vec![Phase::new("db web").run(CommandStep::new(["swap"]))],
            background: vec![Phase::new("spare web_test__spare").run(CommandStep::new(["make"]))],
            suites: vec![suite(&["pytest"])],
            teardown: None,
            jobs: 1,
            foreground: true,
        };
        let text = plan.to_string();
        let (swap, spare, tests) = (
            text.find("# db web\n").unwrap(),
            text.find("# while the suites run (captured; waited for before the end; a failure is a note):\n# spare web_test__spare\n").unwrap(),
            text.find("# tests web\n").unwrap(),
        );
        assert!(swap < spare && spare < tests, "{text}");
    }
}
