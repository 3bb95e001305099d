//! What `update` says while and after it syncs: a line per repo as it
//! ends (spinners on a terminal), the tally, and the notices of changed files.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::config::ReposFile;
use crate::repos::layout::{LayoutAction, LayoutError};
use crate::repos::local_state::short;
use crate::repos::notices;
use crate::repos::sync::{sync_all, RepoJob, SyncOutcome, SyncReport, SyncSettings};
use crate::repos::update_jobs::UpdateError;
use crate::ui::{Tone, Ui};

/// Counts of how repos ended, for the summary.
#[derive(Default)]
pub struct Tally {
    /// Repos cloned.
    pub cloned: usize,
    pub updated: usize,
    pub up_to_date: usize,
    pub skipped: usize,
    pub failed: usize,
}

fn outcome_line(job: &RepoJob, outcome: &SyncOutcome) -> (&'static str, String, Tone) {
    match outcome {
        SyncOutcome::Cloned { at } => ("Cloned", format!("{} ({at})", job.name), Tone::Good),
        SyncOutcome::Updated { from, to, switched } => {
            let range = if from == to {
                short(*to)
            } else {
                format!("{}..{}", short(*from), short(*to))
            };
            match switched {
                Some(switch) => (
                    "Updated",
                    format!("{} {range} ({switch})", job.name),
                    Tone::Good,
                ),
                None => ("Updated", format!("{} {range}", job.name), Tone::Good),
            }
        }
        SyncOutcome::UpToDate { note: Some(note) } => (
            "Up to date",
            format!("{} ({note})", job.name),
            Tone::Neutral,
        ),
        SyncOutcome::UpToDate { note: None } => ("Up to date", job.name.clone(), Tone::Neutral),
        SyncOutcome::Skipped { reason } => {
            ("Skipped", format!("{}: {reason}", job.name), Tone::Warn)
        }
        SyncOutcome::Failed { reason } => ("Failed", format!("{}: {reason}", job.name), Tone::Bad),
    }
}

/// Runs the sync of `jobs`, each outcome shown as it ends (spinners on a
/// terminal); what needs attention waits for [`summarize`].
pub fn run_with_progress(
    ui: &Ui,
    jobs: Vec<RepoJob>,
    settings: &SyncSettings,
) -> anyhow::Result<Vec<(RepoJob, SyncOutcome)>> {
    // With several repos, what needs attention (skipped, failed) is said
    // once, in the summary's list after the tally, not also as it happens.
    let several = jobs.len() > 1;
    let said_later = move |outcome: &SyncOutcome| {
        several
            && matches!(
                outcome,
                SyncOutcome::Skipped { .. } | SyncOutcome::Failed { .. }
            )
    };
    let results = if ui.interactive && ui.verbosity >= 0 {
        let multi = MultiProgress::new();
        let bars: Arc<Mutex<HashMap<String, ProgressBar>>> = Arc::default();
        let style = ProgressStyle::with_template("{spinner:.cyan} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let (start_multi, start_bars) = (multi.clone(), bars.clone());
        let done_ui = ui.clone();
        let (trace_ui, trace_multi) = (ui.clone(), multi.clone());
        let report = SyncReport {
            on_start: Box::new(move |job| {
                let bar = start_multi.add(ProgressBar::new_spinner().with_style(style.clone()));
                bar.set_message(
                    crate::mask::text(&format!("{} ({})", job.name, job.display_path)).into_owned(),
                );
                bar.enable_steady_tick(std::time::Duration::from_millis(100));
                if let Ok(mut bars) = start_bars.lock() {
                    bars.insert(job.name.clone(), bar);
                }
            }),
            on_done: Box::new(move |job, outcome| {
                if let Some(bar) = bars.lock().ok().and_then(|mut b| b.remove(&job.name)) {
                    bar.finish_and_clear();
                }
                if said_later(outcome) {
                    return;
                }
                let (verb, message, tone) = outcome_line(job, outcome);
                multi.suspend(|| done_ui.status_tone(verb, message, tone));
            }),
            on_command: Arc::new(move |line| {
                if trace_ui.verbosity >= 1 {
                    trace_multi.suspend(|| trace_ui.command(line));
                }
            }),
        };
        sync_all(jobs, settings, report)
    } else {
        let (done_ui, trace_ui) = (ui.clone(), ui.clone());
        let report = SyncReport {
            on_start: Box::new(|_| {}),
            on_done: Box::new(move |job, outcome| {
                if said_later(outcome) {
                    return;
                }
                let (verb, message, tone) = outcome_line(job, outcome);
                done_ui.status_tone(verb, message, tone);
            }),
            on_command: Arc::new(move |line| {
                if trace_ui.verbosity >= 1 {
                    trace_ui.command(line);
                }
            }),
        };
        sync_all(jobs, settings, report)
    };
    results
}

/// Prints the tally, then each skipped or failed repo once.
pub fn summarize(ui: &Ui, results: &[(RepoJob, SyncOutcome)]) -> Tally {
    let mut tally = Tally::default();
    for (_, outcome) in results {
        match outcome {
            SyncOutcome::Cloned { .. } => tally.cloned += 1,
            SyncOutcome::Updated { .. } => tally.updated += 1,
            SyncOutcome::UpToDate { .. } => tally.up_to_date += 1,
            SyncOutcome::Skipped { .. } => tally.skipped += 1,
            SyncOutcome::Failed { .. } => tally.failed += 1,
        }
    }
    let tone = if tally.failed > 0 {
        Tone::Bad
    } else if tally.skipped > 0 {
        Tone::Warn
    } else {
        Tone::Good
    };
    ui.status_tone(
        "Summary",
        format!(
            "{} cloned, {} updated, {} up to date, {} skipped, {} failed",
            tally.cloned, tally.updated, tally.up_to_date, tally.skipped, tally.failed
        ),
        tone,
    );
    // What needs attention, once, after the tally (not printed as it
    // happened: see run_with_progress).
    if results.len() > 1 {
        for (job, outcome) in results {
            if matches!(
                outcome,
                SyncOutcome::Skipped { .. } | SyncOutcome::Failed { .. }
            ) {
                let (verb, message, tone) = outcome_line(job, outcome);
                ui.status_tone(verb, message, tone);
            }
        }
    }
    tally
}

/// The `[[notice]]`s of repos.toml whose files the sync changed.
pub fn print_notices(ui: &Ui, repos: &ReposFile, results: &[(RepoJob, SyncOutcome)]) {
    if repos.notices.is_empty() {
        return;
    }
    let mut changed = Vec::new();
    for (job, outcome) in results {
        if let Some((from, to)) = outcome.range() {
            for file in notices::changed_files(&job.path, from, to) {
                changed.push(format!("{}/{file}", job.display_path));
            }
        }
    }
    for message in notices::matching(&repos.notices, &changed) {
        ui.note(message);
    }
}

/// Says what each layout action did (`outcomes` in the same order) and
/// which copies to review; returns the errors, to report after the summary.
pub fn report_layout(
    ui: &Ui,
    layout: &[LayoutAction],
    outcomes: Vec<Result<(), LayoutError>>,
) -> Vec<String> {
    let mut errors = Vec::new();
    let mut to_review = Vec::new();
    for (action, outcome) in layout.iter().zip(outcomes) {
        if let Err(error) = outcome {
            errors.push(error.to_string());
            continue;
        }
        match action {
            LayoutAction::Conflict(what) => ui.warn(format!("left {what}")),
            LayoutAction::Refused(_) => {}
            LayoutAction::CreateFolder(path) => ui.status("Created", path),
            LayoutAction::Link { path, target } => {
                ui.status("Linked", format!("{path} -> {target}"))
            }
            LayoutAction::Copy { from, to, backup } => {
                match backup {
                    Some(backup) => ui.status(
                        "Reset",
                        format!("{to} from {from} (old file kept as {backup})"),
                    ),
                    None => ui.status("Copied", format!("{from} to {to}")),
                }
                to_review.push(to.clone());
            }
            other @ LayoutAction::Unchanged { .. } => ui.note(other),
        }
    }
    if !to_review.is_empty() {
        ui.note(format!(
            "review {}: new copies of their examples, to fill in with your own values (`cargo xtask diff` shows what differs)",
            to_review.join(", ")
        ));
    }
    errors
}

/// How the update ended badly, if it did: repos failed, layout entries
/// failed, or (with `strict`) repos skipped.
pub fn failure(
    tally: &Tally,
    repos: usize,
    layout_errors: usize,
    strict: bool,
) -> Option<UpdateError> {
    if tally.failed > 0 || layout_errors > 0 {
        let mut failures = Vec::new();
        if tally.failed > 0 {
            failures.push(format!(
                "{} of {} failed",
                tally.failed,
                crate::ui::plural(repos, "repo", "repos")
            ));
        }
        match layout_errors {
            0 => {}
            1 => failures.push("1 layout entry failed".to_string()),
            n => failures.push(format!("{n} layout entries failed")),
        }
        return Some(UpdateError::Failed(failures));
    }
    (strict && tally.skipped > 0).then_some(UpdateError::Skipped(tally.skipped))
}
