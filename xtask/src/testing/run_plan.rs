//! A test run as data: the phases before the suites (build, up, the
//! database templates), the suites (each: a fresh test database, the
//! runner, its JUnit report, lint), and the tear-down. `--dry-run` prints
//! it whole; [`TestPlan::execute`] runs it through [`crate::exec`], timing
//! every phase, the suites side by side with their output prefixed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::exec::{self, RunningChild};
use crate::plan::CommandStep;
use crate::testing::junit::JunitCounts;
use crate::testing::summary::{Outcome, PhaseResult};
use crate::testing::wrapper::ReportSplit;
use crate::ui::{sanitize_for_terminal as clean, Ui};

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

impl TestPlan {
    /// Runs everything; a failed phase before the suites skips them, a
    /// failed suite does not stop the others; the tear-down always runs.
    pub fn execute(&self, ui: &Ui) -> Vec<PhaseResult> {
        for note in &self.notes {
            ui.note(note);
        }
        let mut results = Vec::new();
        // The runners that start first, started now and held at their gate.
        let first = if self.foreground { 1 } else { self.jobs.max(1) };
        let mut waiting: BTreeMap<usize, RunningChild> = BTreeMap::new();
        for (index, suite) in self.suites.iter().enumerate().take(first) {
            if let (true, Some(runner)) = (suite.gated, suite.runner()) {
                if exec::interrupted() {
                    break;
                }
                // One that cannot start now is started, and fails, in its turn.
                if let Ok(child) = exec::spawn_gated(runner) {
                    waiting.insert(index, child);
                }
            }
        }
        let mut ready = true;
        for phase in &self.prepare {
            if !ready || exec::interrupted() {
                results.push(PhaseResult::skipped(&phase.name));
                continue;
            }
            ui.status("Running", clean(&phase.name));
            let result = run_phase(phase, None);
            ready = result.outcome == Outcome::Passed;
            results.push(result);
        }
        ready = ready && !exec::interrupted();
        for child in waiting.values_mut() {
            child.open_gate(ready);
        }
        let opened = Instant::now();
        if !ready {
            for (_, child) in std::mem::take(&mut waiting) {
                let _ = child.wait();
            }
        }
        let started: Mutex<BTreeMap<usize, Started>> = Mutex::new(
            waiting
                .into_iter()
                .map(|(index, child)| (index, (child, opened)))
                .collect(),
        );
        let take_started = |index: usize| started.lock().ok().and_then(|mut s| s.remove(&index));
        if ready {
            std::thread::scope(|scope| {
                let background = (!self.background.is_empty() && !exec::interrupted())
                    .then(|| scope.spawn(|| run_background(&self.background)));
                if self.foreground || self.suites.len() == 1 {
                    for (index, suite) in self.suites.iter().enumerate() {
                        results.extend(run_suite(suite, ui, None, take_started(index)));
                    }
                } else {
                    results.extend(self.run_parallel(ui, &take_started));
                }
                match background.map(|handle| handle.join()) {
                    Some(Ok(reports)) => {
                        for report in reports {
                            match report {
                                Ok(done) => ui.verbose(done),
                                Err(note) => ui.note(note),
                            }
                        }
                    }
                    Some(Err(_)) => ui.note("the spare test databases were not made"),
                    None => {}
                }
            });
        } else {
            for suite in &self.suites {
                results.extend(suite.phases().map(|p| PhaseResult::skipped(&p.name)));
            }
        }
        if let Some(phase) = &self.teardown {
            ui.status("Running", clean(&phase.name));
            results.push(if exec::interrupted() {
                run_cleanup(phase)
            } else {
                run_phase(phase, None)
            });
        }
        results
    }

    fn run_parallel(
        &self,
        ui: &Ui,
        take_started: &(dyn Fn(usize) -> Option<Started> + Sync),
    ) -> Vec<PhaseResult> {
        let width = self
            .suites
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        let names: Vec<&str> = self.suites.iter().map(|s| s.name.as_str()).collect();
        // A suite at once holds its child's pipes and its report file.
        let (jobs, lowered) = crate::descriptor_budget::jobs_within_limit(self.jobs, 8);
        if let Some(why) = lowered {
            ui.verbose(why);
        }
        ui.status(
            "Testing",
            format!(
                "{} (in parallel, up to {} at a time)",
                clean(&names.join(", ")),
                jobs
            ),
        );
        let queue: Mutex<Vec<(usize, &Suite)>> =
            Mutex::new(self.suites.iter().enumerate().rev().collect());
        let done: Mutex<Vec<(usize, Vec<PhaseResult>)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, self.suites.len()) {
                scope.spawn(|| loop {
                    let Some((index, suite)) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                        return;
                    };
                    let prefix = format!("{:<width$} | ", clean(&suite.name));
                    let results = run_suite(suite, ui, Some(&prefix), take_started(index));
                    if let Ok(mut done) = done.lock() {
                        done.push((index, results));
                    }
                });
            }
        });
        let mut done = done.into_inner().unwrap_or_default();
        done.sort_by_key(|(index, _)| *index);
        done.into_iter().flat_map(|(_, results)| results).collect()
    }
}

/// A runner started ahead and the moment its gate opened.
type Started = (RunningChild, Instant);

impl Suite {
    fn phases(&self) -> impl Iterator<Item = &Phase> {
        std::iter::once(&self.tests).chain(self.lint.iter())
    }

    fn runner(&self) -> Option<&CommandStep> {
        match self.tests.steps.as_slice() {
            [PhaseStep::Run(runner)] => Some(runner),
            _ => None,
        }
    }

    fn inline_marker(&self) -> Option<&str> {
        match &self.junit {
            Some(JunitCopy {
                read: ReportRead::Inline(marker),
                ..
            }) => Some(marker),
            _ => None,
        }
    }
}

fn run_suite(
    suite: &Suite,
    ui: &Ui,
    prefix: Option<&str>,
    started: Option<Started>,
) -> Vec<PhaseResult> {
    let mut results = Vec::new();
    if exec::interrupted() {
        if let Some((child, _)) = started {
            let _ = child.wait();
        }
        results.push(PhaseResult::skipped(&suite.tests.name));
    } else {
        if prefix.is_none() {
            ui.status("Testing", clean(&suite.name));
        }
        let (mut result, report) = run_runner(suite, prefix, started);
        if let Some(junit) = &suite.junit {
            let xml = match (&junit.read, report) {
                (ReportRead::After(read), _) => read_junit(read),
                (ReportRead::Inline(_), Some(xml)) if !xml.trim().is_empty() => Ok(xml),
                (ReportRead::Inline(_), _) => Err("the runner wrote no JUnit XML".to_string()),
            };
            match xml.and_then(|xml| save_junit(&junit.file, &xml)) {
                Ok(counts) => result.counts = Some(counts),
                Err(why) => ui.warn(format!("no test counts for {}: {why}", clean(&suite.name))),
            }
        }
        results.push(result);
    }
    if let Some(phase) = &suite.lint {
        if exec::interrupted() {
            results.push(PhaseResult::skipped(&phase.name));
        } else {
            if prefix.is_none() {
                ui.status("Running", clean(&phase.name));
            }
            results.push(run_phase(phase, prefix));
        }
    }
    results
}

/// Runs the background phases one after another, captured (the suites have
/// the terminal): what each came to, a failure as a note to print.
fn run_background(phases: &[Phase]) -> Vec<Result<String, String>> {
    let mut reports = Vec::new();
    for phase in phases {
        let start = Instant::now();
        let mut failure = None;
        for step in &phase.steps {
            let PhaseStep::Run(command) = step else {
                continue;
            };
            if exec::interrupted() {
                failure = Some("interrupted".to_string());
                break;
            }
            match exec::capture(command) {
                Ok(out) if out.success() => {}
                Ok(out) => {
                    failure = Some(format!(
                        "exit code {}: {}",
                        out.code,
                        out.stderr.trim().lines().last().unwrap_or("no message")
                    ));
                    break;
                }
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        reports.push(match failure {
            None => Ok(format!(
                "{} made while the suites ran ({})",
                clean(&phase.name),
                seconds(start.elapsed())
            )),
            Some(why) => Err(format!(
                "{} not made ({}); the next run copies the template instead",
                clean(&phase.name),
                clean(&why)
            )),
        });
    }
    reports
}

/// The suite's runner: a wrapped one streamed here (its report split off
/// its stdout, its gate opened when it was not started ahead), any other
/// as a plain phase. The report, when the wrapper printed one.
fn run_runner(
    suite: &Suite,
    prefix: Option<&str>,
    started: Option<Started>,
) -> (PhaseResult, Option<String>) {
    let marker = suite.inline_marker();
    let runner = match suite.runner() {
        Some(runner) if suite.gated || marker.is_some() => runner,
        _ => return (run_phase(&suite.tests, prefix), None),
    };
    let result = |outcome, start: Instant| PhaseResult {
        name: suite.tests.name.clone(),
        outcome,
        duration: Some(start.elapsed()),
        counts: None,
    };
    let (child, start) = match started {
        Some(started) => started,
        None => {
            let start = Instant::now();
            let spawned = if suite.gated {
                exec::spawn_gated(runner).map(|mut child| {
                    child.open_gate(true);
                    child
                })
            } else {
                exec::spawn_piped(runner)
            };
            match spawned {
                Ok(child) => (child, start),
                Err(error) => {
                    crate::errln!("error: {error}");
                    return (result(Outcome::Failed(error.exit_code()), start), None);
                }
            }
        }
    };
    let split = marker.map_or_else(ReportSplit::none, ReportSplit::new);
    match child.wait_streaming(prefix, split) {
        Ok((code, split)) => {
            let outcome = match code {
                0 => Outcome::Passed,
                code => Outcome::Failed(code),
            };
            let report = split
                .into_report()
                .map(|xml| String::from_utf8_lossy(&xml).into_owned());
            (result(outcome, start), report)
        }
        Err(error) => {
            crate::errln!("error: {error}");
            (result(Outcome::Failed(error.exit_code()), start), None)
        }
    }
}

/// Runs the command that prints the suite's report.
fn read_junit(read: &CommandStep) -> Result<String, String> {
    let out = exec::capture(read).map_err(|e| e.to_string())?;
    if !out.success() || out.stdout.trim().is_empty() {
        return Err(format!(
            "the runner wrote no JUnit XML ({})",
            out.stderr.trim().lines().last().unwrap_or("empty")
        ));
    }
    Ok(out.stdout)
}

/// Counts the suite's report and writes it to `file`.
fn save_junit(file: &std::path::Path, xml: &str) -> Result<JunitCounts, String> {
    let counts = JunitCounts::parse(xml)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Under .xtask/ (no --junit): the folder ignores itself, as state_lock's does.
        if let Some(state) = dir
            .ancestors()
            .find(|a| a.ends_with(crate::state_lock::STATE_DIR))
        {
            let _ = crate::state_lock::ignore_itself(state);
        }
    }
    crate::atomic_file::write(file, xml)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(counts)
}

/// The tear-down after an interrupt: captured, which the signal already
/// relayed does not reach (a foreground child would get it at once).
fn run_cleanup(phase: &Phase) -> PhaseResult {
    let start = Instant::now();
    let mut outcome = Outcome::Passed;
    for step in &phase.steps {
        let PhaseStep::Run(command) = step else {
            continue;
        };
        match exec::capture(command) {
            Ok(out) if out.success() => {}
            Ok(out) => {
                crate::errln!("{}", out.stderr.trim_end());
                outcome = Outcome::Failed(out.code);
                break;
            }
            Err(error) => {
                crate::errln!("error: {error}");
                outcome = Outcome::Failed(error.exit_code());
                break;
            }
        }
    }
    PhaseResult {
        name: phase.name.clone(),
        outcome,
        duration: Some(start.elapsed()),
        counts: None,
    }
}

/// Runs a phase's steps in order, the first failure ending it.
fn run_phase(phase: &Phase, prefix: Option<&str>) -> PhaseResult {
    let start = Instant::now();
    let outcome = run_steps(&phase.steps, prefix);
    PhaseResult {
        name: phase.name.clone(),
        outcome,
        duration: Some(start.elapsed()),
        counts: None,
    }
}

fn run_steps(steps: &[PhaseStep], prefix: Option<&str>) -> Outcome {
    for step in steps {
        let outcome = match step {
            PhaseStep::Run(command) => run_command(command, prefix),
            PhaseStep::WhenMissing {
                check, steps, show, ..
            } => match exec::capture(check) {
                Ok(out) if out.success() && !out.stdout.trim().is_empty() => {
                    if *show {
                        for line in out.stdout.trim_end().lines() {
                            crate::outln!("{}{}", prefix.unwrap_or(""), clean(line));
                        }
                    }
                    Outcome::Passed
                }
                Ok(out) if out.success() => run_steps(steps, prefix),
                Ok(out) => {
                    crate::errln!("{}", out.stderr.trim_end());
                    Outcome::Failed(out.code)
                }
                Err(error) => {
                    crate::errln!("error: {error}");
                    Outcome::Failed(error.exit_code())
                }
            },
        };
        if outcome != Outcome::Passed {
            return outcome;
        }
    }
    Outcome::Passed
}

fn run_command(command: &CommandStep, prefix: Option<&str>) -> Outcome {
    let result = match prefix {
        None => exec::run_foreground(command),
        Some(prefix) => exec::spawn_piped(command).and_then(|child| child.wait_relaying(prefix)),
    };
    match result {
        Ok(0) => Outcome::Passed,
        Ok(code) => Outcome::Failed(code),
        Err(error) => {
            crate::errln!("error: {error}");
            Outcome::Failed(error.exit_code())
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

/// How long a phase took, for the summary: `0.8s`, `1m 05s`.
pub fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!(
            "{}m {:02}s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Input;

    fn suite(argv: &[&str]) -> Suite {
        Suite {
            name: "web".into(),
            tests: Phase::new("tests web").run(CommandStep::new(argv.iter().copied())),
            gated: false,
            junit: None,
            lint: None,
        }
    }

    #[test]
    fn a_failed_background_phase_is_a_note_not_a_failed_run() {
        let plan = TestPlan {
            notes: Vec::new(),
            prepare: Vec::new(),
            background: vec![Phase::new("spare web_test__spare").run(CommandStep::new(["false"]))],
            suites: vec![suite(&["true"])],
            teardown: None,
            jobs: 1,
            foreground: true,
        };
        let rows = plan.execute(&Ui::new(crate::ui::ColorChoice::Never, 0, true));
        assert_eq!(rows.len(), 1, "no row for the spare: {rows:?}");
        assert_eq!(rows[0].outcome, Outcome::Passed);
    }

    #[test]
    fn background_phases_get_their_script_on_stdin_and_report_failures() {
        let fed = CommandStep::new(["sh", "-c", "test \"$(cat)\" = script"])
            .stdin(Input::Text("script".into()));
        let reports = run_background(&[
            Phase::new("spare a").run(fed),
            Phase::new("spare b").run(CommandStep::new(["sh", "-c", "echo no >&2; exit 3"])),
        ]);
        assert!(
            reports[0]
                .as_ref()
                .is_ok_and(|done| done.starts_with("spare a made while the suites ran (")),
            "{reports:?}"
        );
        assert_eq!(
            reports[1],
            Err(
                "spare b not made (exit code 3: no); the next run copies the template instead"
                    .into()
            ),
        );
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
