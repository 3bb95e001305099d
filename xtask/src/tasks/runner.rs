//! Running a [`TaskPlan`]: level by level; a level's nodes in parallel
//! (bounded by `jobs`) with their output prefixed by the task's name, whole
//! lines only; a lone node in the foreground with the terminal. The first
//! failure stops the rest and is reported again at the end. After the user
//! interrupts (a signal relayed to a child), nothing more starts, whatever
//! the interrupted child's exit code.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::exec::{self, ExecError};
use crate::plan::CommandStep;
use crate::tasks::task_plan::{PlannedNode, TaskPlan};
use crate::ui::{sanitize_for_terminal as clean, Tone, Ui};

/// The task that failed and how.
#[derive(Debug)]
pub struct TaskFailure {
    pub task: String,
    pub step: String,
    /// The child's exit code (128 + N for signal N), or 127/1 when it could not start.
    pub code: i32,
    pub error: Option<ExecError>,
}

impl TaskFailure {
    /// Stopped before `task` started because signal `signal` was relayed.
    fn interrupted(task: &str, signal: i32) -> Self {
        TaskFailure {
            task: task.to_string(),
            step: String::new(),
            code: 128 + signal,
            error: None,
        }
    }
}

/// Fails when the user has interrupted the invocation: nothing more may start.
fn stop_if_interrupted(task: &str) -> Result<(), TaskFailure> {
    match exec::interrupt_signal() {
        Some(signal) => Err(TaskFailure::interrupted(task, signal)),
        None => Ok(()),
    }
}

/// Runs every level of `plan`; stops at the first failure or interrupt.
pub fn run(plan: &TaskPlan, ui: &Ui, jobs: usize) -> Result<(), TaskFailure> {
    for level in &plan.levels {
        if let Some(&first) = level.first() {
            stop_if_interrupted(&plan.nodes[first].label)?;
        }
        let runnable: Vec<&PlannedNode> = level
            .iter()
            .map(|i| &plan.nodes[*i])
            .filter(|node| match &node.skip {
                Some(reason) => {
                    ui.status_tone(
                        "Fresh",
                        format!("{} ({reason})", clean(&node.label)),
                        Tone::Neutral,
                    );
                    false
                }
                None => true,
            })
            .collect();
        match runnable.as_slice() {
            [] => {}
            [node] => run_foreground(node, ui)?,
            nodes => run_parallel(nodes, ui, jobs.max(1))?,
        }
    }
    Ok(())
}

fn failure(
    node: &PlannedNode,
    step: &CommandStep,
    code: i32,
    error: Option<ExecError>,
) -> TaskFailure {
    TaskFailure {
        task: node.label.clone(),
        step: step.to_string(),
        code,
        error,
    }
}

fn run_foreground(node: &PlannedNode, ui: &Ui) -> Result<(), TaskFailure> {
    ui.status("Running", clean(&node.label));
    for step in &node.steps {
        stop_if_interrupted(&node.label)?;
        if ui.verbosity >= 1 {
            ui.command(clean(&step.to_string()));
        }
        match exec::run_foreground(step) {
            Ok(0) => {}
            Ok(code) => return Err(failure(node, step, code, None)),
            Err(error) => return Err(failure(node, step, error.exit_code(), Some(error))),
        }
    }
    Ok(())
}

/// Runs one node's steps with prefixed output; registers its running child
/// so that a sibling's failure can stop it.
fn run_prefixed(
    node: &PlannedNode,
    prefix: &str,
    stop: &AtomicBool,
    running: &Mutex<Vec<i32>>,
) -> Result<(), TaskFailure> {
    for step in &node.steps {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        stop_if_interrupted(&node.label)?;
        let child =
            exec::spawn_piped(step).map_err(|e| failure(node, step, e.exit_code(), Some(e)))?;
        let pid = child.child.id() as i32;
        if let Ok(mut pids) = running.lock() {
            pids.push(pid);
        }
        let result = child.wait_relaying(prefix);
        if let Ok(mut pids) = running.lock() {
            pids.retain(|p| *p != pid);
        }
        match result {
            Ok(0) => {}
            Ok(code) => return Err(failure(node, step, code, None)),
            Err(error) => return Err(failure(node, step, 1, Some(error))),
        }
    }
    Ok(())
}

fn run_parallel(nodes: &[&PlannedNode], ui: &Ui, jobs: usize) -> Result<(), TaskFailure> {
    // Each task at once holds a child's two output pipes (and their other
    // ends while it starts): no more at once than the open-files limit allows.
    let (jobs, lowered) = crate::descriptor_budget::jobs_within_limit(jobs, 6);
    if let Some(why) = lowered {
        ui.verbose(why);
    }
    let labels: Vec<&str> = nodes.iter().map(|n| n.label.as_str()).collect();
    ui.status(
        "Running",
        format!("{} (in parallel)", clean(&labels.join(", "))),
    );
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let stop = AtomicBool::new(false);
    let running: Mutex<Vec<i32>> = Mutex::new(Vec::new());
    let first_failure: Mutex<Option<TaskFailure>> = Mutex::new(None);
    let queue: Mutex<Vec<&PlannedNode>> = Mutex::new(nodes.iter().rev().copied().collect());
    let stop = Arc::new(stop);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(nodes.len()) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Some(node) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                    return;
                };
                let prefix = format!("[{:<width$}] ", clean(&node.label));
                if let Err(failed) = run_prefixed(node, &prefix, &stop, &running) {
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
