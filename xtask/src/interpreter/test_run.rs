//! Running a [`TestPlan`] (a [`Step::Tests`](crate::plan::Step::Tests)):
//! every phase timed, a failed phase before the suites skipping them, the
//! suites side by side with their output prefixed (or one after another
//! with the terminal), runners started ahead and held at their gate, the
//! spare test databases made in the background, the tear-down always; the
//! rows of the summary collected.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::exec::{self, RunningChild};
use crate::plan::test_plan::{Phase, PhaseStep, ReportRead, Suite, TestPlan};
use crate::plan::CommandStep;
use crate::testing::junit::{JunitCounts, JunitError};
use crate::testing::summary::{seconds, Outcome, PhaseResult};
use crate::testing::wrapper::ReportSplit;
use crate::ui::{sanitize_for_terminal as clean, Ui};

/// Why a suite has no test counts (a warning, never a failed run).
#[derive(Debug, thiserror::Error)]
enum ReportError {
    #[error("{0}")]
    Exec(#[from] exec::ExecError),
    #[error("the runner wrote no JUnit XML ({0})")]
    NotWritten(String),
    #[error("the runner wrote no JUnit XML")]
    NoneInline,
    #[error(transparent)]
    Junit(#[from] JunitError),
    #[error("cannot create {}: {source}", .dir.display())]
    Folder {
        dir: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .file.display())]
    Write {
        file: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a background phase came to: a line to say (verbose when made, a
/// note when not).
#[derive(Debug, Clone, PartialEq, Eq)]
enum BackgroundReport {
    Made(String),
    NotMade(String),
}

/// Runs everything; a failed phase before the suites skips them, a
/// failed suite does not stop the others; the tear-down always runs.
pub fn run(plan: &TestPlan, ui: &Ui) -> Vec<PhaseResult> {
    for note in &plan.notes {
        ui.note(note);
    }
    let mut results = Vec::new();
    // The runners that start first, started now and held at their gate.
    let first = if plan.foreground { 1 } else { plan.jobs.max(1) };
    let mut waiting: BTreeMap<usize, RunningChild> = BTreeMap::new();
    for (index, suite) in plan.suites.iter().enumerate().take(first) {
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
    for phase in &plan.prepare {
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
            let background = (!plan.background.is_empty() && !exec::interrupted())
                .then(|| scope.spawn(|| run_background(&plan.background)));
            if plan.foreground || plan.suites.len() == 1 {
                for (index, suite) in plan.suites.iter().enumerate() {
                    results.extend(run_suite(suite, ui, None, take_started(index)));
                }
            } else {
                results.extend(run_parallel(plan, ui, &take_started));
            }
            match background.map(|handle| handle.join()) {
                Some(Ok(reports)) => {
                    for report in reports {
                        match report {
                            BackgroundReport::Made(done) => ui.verbose(done),
                            BackgroundReport::NotMade(note) => ui.note(note),
                        }
                    }
                }
                Some(Err(_)) => ui.note("the spare test databases were not made"),
                None => {}
            }
        });
    } else {
        for suite in &plan.suites {
            results.extend(suite.phases().map(|p| PhaseResult::skipped(&p.name)));
        }
    }
    if let Some(phase) = &plan.teardown {
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
    plan: &TestPlan,
    ui: &Ui,
    take_started: &(dyn Fn(usize) -> Option<Started> + Sync),
) -> Vec<PhaseResult> {
    let width = plan
        .suites
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let names: Vec<&str> = plan.suites.iter().map(|s| s.name.as_str()).collect();
    // A suite at once holds its child's pipes and its report file.
    let (jobs, lowered) = crate::descriptor_budget::jobs_within_limit(plan.jobs, 8);
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
        Mutex::new(plan.suites.iter().enumerate().rev().collect());
    let done: Mutex<Vec<(usize, Vec<PhaseResult>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, plan.suites.len()) {
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

/// A runner started ahead and the moment its gate opened.
type Started = (RunningChild, Instant);

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
                (ReportRead::Inline(_), _) => Err(ReportError::NoneInline),
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
fn run_background(phases: &[Phase]) -> Vec<BackgroundReport> {
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
            None => BackgroundReport::Made(format!(
                "{} made while the suites ran ({})",
                clean(&phase.name),
                seconds(start.elapsed())
            )),
            Some(why) => BackgroundReport::NotMade(format!(
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
fn read_junit(read: &CommandStep) -> Result<String, ReportError> {
    let out = exec::capture(read)?;
    if !out.success() || out.stdout.trim().is_empty() {
        return Err(ReportError::NotWritten(
            out.stderr
                .trim()
                .lines()
                .last()
                .unwrap_or("empty")
                .to_string(),
        ));
    }
    Ok(out.stdout)
}

/// Counts the suite's report and writes it to `file`.
fn save_junit(file: &std::path::Path, xml: &str) -> Result<JunitCounts, ReportError> {
    let counts = JunitCounts::parse(xml)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ReportError::Folder {
            dir: dir.to_path_buf(),
            source,
        })?;
        // Under .xtask/ (no --junit): the folder ignores itself, as state_lock's does.
        if let Some(state) = dir
            .ancestors()
            .find(|a| a.ends_with(crate::state_lock::STATE_DIR))
        {
            let _ = crate::state_lock::ignore_itself(state);
        }
    }
    crate::atomic_file::write(file, xml).map_err(|source| ReportError::Write {
        file: file.to_path_buf(),
        source,
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Input;

    use crate::plan::test_plan::tests::suite;

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
        let rows = run(&plan, &Ui::new(crate::ui::ColorChoice::Never, 0, true));
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
            matches!(&reports[0], BackgroundReport::Made(done) if done.starts_with("spare a made while the suites ran (")),
            "{reports:?}"
        );
        assert_eq!(
            reports[1],
            BackgroundReport::NotMade(
                "spare b not made (exit code 3: no); the next run copies the template instead"
                    .into()
            ),
        );
    }
}
