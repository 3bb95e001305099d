//! Running a [`Step::Parallel`](crate::plan::Step::Parallel): its lanes in
//! parallel (bounded by `jobs`) with their output prefixed by the lane's
//! label, whole lines only; a lone lane in the foreground with the
//! terminal. The first failure stops the rest. After the user interrupts
//! (a signal relayed to a child), nothing more starts, whatever the
//! interrupted child's exit code.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::exec::{self, ExecError};
use crate::plan::{CommandStep, EnteredService, Lane};
use crate::ui::{sanitize_for_terminal as clean, Tone, Ui};

/// The lane that failed and how.
#[derive(Debug)]
pub struct LaneFailure {
    pub lane: String,
    pub step: String,
    /// The child's exit code (128 + N for signal N), or 127/1 when it could not start.
    pub code: i32,
    pub error: Option<ExecError>,
    /// The running service the failed step entered (see [`CommandStep::enters`]).
    pub enters: Option<Box<EnteredService>>,
}

impl LaneFailure {
    /// Stopped before `lane` started because signal `signal` was relayed.
    fn interrupted(lane: &str, signal: i32) -> Self {
        LaneFailure {
            lane: lane.to_string(),
            step: String::new(),
            code: 128 + signal,
            enters: None,
            error: None,
        }
    }

    fn of(lane: &Lane, step: &CommandStep, code: i32, error: Option<ExecError>) -> Self {
        LaneFailure {
            lane: lane.label.clone(),
            step: step.to_string(),
            code,
            error,
            enters: step.enters.clone(),
        }
    }
}

/// Fails when the user has interrupted the invocation: nothing more may start.
fn stop_if_interrupted(lane: &str) -> Result<(), LaneFailure> {
    match exec::interrupt_signal() {
        Some(signal) => Err(LaneFailure::interrupted(lane, signal)),
        None => Ok(()),
    }
}

/// Runs the lanes of one level; stops at the first failure or interrupt.
pub fn run(lanes: &[Lane], ui: &Ui, jobs: usize) -> Result<(), LaneFailure> {
    if let Some(first) = lanes.first() {
        stop_if_interrupted(&first.label)?;
    }
    let runnable: Vec<&Lane> = lanes
        .iter()
        .filter(|lane| match &lane.skip {
            Some(reason) => {
                ui.status_tone(
                    "Fresh",
                    format!("{} ({reason})", clean(&lane.label)),
                    Tone::Neutral,
                );
                false
            }
            None => true,
        })
        .collect();
    match runnable.as_slice() {
        [] => Ok(()),
        [lane] => run_foreground(lane, ui),
        lanes => run_parallel(lanes, ui, jobs.max(1)),
    }
}

fn run_foreground(lane: &Lane, ui: &Ui) -> Result<(), LaneFailure> {
    ui.status("Running", clean(&lane.label));
    for step in &lane.steps {
        stop_if_interrupted(&lane.label)?;
        if ui.verbosity >= 1 {
            ui.command(clean(&step.to_string()));
        }
        match exec::run_foreground(step) {
            Ok(0) => {}
            Ok(code) => return Err(LaneFailure::of(lane, step, code, None)),
            Err(error) => return Err(LaneFailure::of(lane, step, error.exit_code(), Some(error))),
        }
    }
    Ok(())
}

/// Runs one lane's steps with prefixed output; registers its running child
/// so that a sibling's failure can stop it.
/// A step with a phase says how long it took, as in the foreground.
fn run_prefixed(
    lane: &Lane,
    prefix: &str,
    stop: &AtomicBool,
    running: &Mutex<Vec<i32>>,
    ui: &Ui,
) -> Result<(), LaneFailure> {
    for step in &lane.steps {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        stop_if_interrupted(&lane.label)?;
        let started = std::time::Instant::now();
        let child = exec::spawn_piped(step)
            .map_err(|e| LaneFailure::of(lane, step, e.exit_code(), Some(e)))?;
        let pid = child.child.id() as i32;
        if let Ok(mut pids) = running.lock() {
            pids.push(pid);
        }
        let result = child.wait_relaying(prefix);
        if let Ok(mut pids) = running.lock() {
            pids.retain(|p| *p != pid);
        }
        match result {
            Ok(0) => {
                if let Some(phase) = &step.phase {
                    let took = crate::ui::seconds(started.elapsed());
                    ui.status("Done", format!("{phase} ({took})"));
                }
            }
            Ok(code) => return Err(LaneFailure::of(lane, step, code, None)),
            Err(error) => return Err(LaneFailure::of(lane, step, 1, Some(error))),
        }
    }
    Ok(())
}

fn run_parallel(lanes: &[&Lane], ui: &Ui, jobs: usize) -> Result<(), LaneFailure> {
    // Each lane at once holds a child's two output pipes (and their other
    // ends while it starts): no more at once than the open-files limit allows.
    let (jobs, lowered) = crate::descriptor_budget::jobs_within_limit(jobs, 6);
    if let Some(why) = lowered {
        ui.verbose(why);
    }
    let labels: Vec<&str> = lanes.iter().map(|l| l.label.as_str()).collect();
    ui.status(
        "Running",
        format!("{} (in parallel)", clean(&labels.join(", "))),
    );
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let stop = AtomicBool::new(false);
    let running: Mutex<Vec<i32>> = Mutex::new(Vec::new());
    let first_failure: Mutex<Option<LaneFailure>> = Mutex::new(None);
    let queue: Mutex<Vec<&Lane>> = Mutex::new(lanes.iter().rev().copied().collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(lanes.len()) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Some(lane) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                    return;
                };
                let prefix = format!("[{:<width$}] ", clean(&lane.label));
                if let Err(failed) = run_prefixed(lane, &prefix, &stop, &running, ui) {
                    if !stop.swap(true, Ordering::SeqCst) {
                        // First failure: stop the siblings still running.
                        if let Ok(pids) = running.lock() {
                            for pid in pids.iter() {
                                // SAFETY: signals a process group our executor created.
                                unsafe {
                                    libc::kill(-*pid, libc::SIGTERM);
                                }
                            }
                        }
                        if let Ok(mut slot) = first_failure.lock() {
                            *slot = Some(failed);
                        }
                    }
                    return;
                }
            });
        }
    });
    match first_failure.into_inner().ok().flatten() {
        Some(failed) => Err(failed),
        None => Ok(()),
    }
}
