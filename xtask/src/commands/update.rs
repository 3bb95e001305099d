//! `xtask update`: clone what is missing, fast-forward what exists, never lose local work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use clap::builder::BoolishValueParser;
use clap::ArgAction;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::commands::Context;
use crate::config::{Pin, Transport, Workspace};
use crate::error::{Error, Result};
use crate::repos::layout::{self, LayoutAction};
use crate::repos::local_state::short;
use crate::repos::lockfile::{Lockfile, LOCK_FILE};
use crate::repos::notices;
use crate::repos::selection::select;
use crate::repos::sync::{describe_plan, sync_all, RepoJob, SyncOutcome, SyncReport, SyncSettings};
use crate::repos::update_lock;
use crate::ui::{Tone, Ui};

/// Clone missing repos and fast-forward existing ones (never discards local work)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask update                    every repo in repos.toml
  cargo xtask update trytond pyramid    just these two
  cargo xtask -C examples/collecting-society update --group upstream
                                        the repos labelled `group = \"upstream\"`
  cargo xtask update --locked           exactly the commits in repos.lock
  cargo xtask update --jobs 32          more parallel fetches (network-bound)
  cargo xtask update --reset pyramid    reset example copies, point origin back
  cargo xtask update --no-wait          fail if another update runs here
  cargo xtask --dry-run update          what would be cloned, synced and copied")]
pub struct UpdateArgs {
    /// Repos to update (default: all)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Only repos with this group label
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
    /// Check out exactly the commits recorded in repos.lock
    #[arg(long, env = "XTASK_LOCKED", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub locked: bool,
    /// Also overwrite copied example files with their examples (old files kept
    /// as .bak, .bak.1, ...), and point an `origin` that differs from repos.toml back at it
    #[arg(long)]
    pub reset: bool,
    /// Fail at once instead of waiting when another update runs in this environment
    #[arg(long, env = "XTASK_NO_WAIT", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_wait: bool,
    /// Fail when a repo is skipped because of local changes or divergence
    #[arg(long, env = "XTASK_STRICT", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub strict: bool,
    /// Which git does network work: auto, cli or git2
    #[arg(long, value_name = "TRANSPORT", env = "XTASK_TRANSPORT")]
    pub transport: Option<Transport>,
}

/// Counts of how repos ended, for the summary.
#[derive(Default)]
struct Tally {
    cloned: usize,
    updated: usize,
    up_to_date: usize,
    skipped: usize,
    failed: usize,
}

impl UpdateArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        require_repos_file(workspace)?;
        let selected = select(&workspace.repos, &self.names, &self.group).map_err(Error::usage)?;
        let locked = if self.locked {
            Some(read_lock(workspace)?)
        } else {
            None
        };
        // Repos follow the active environment's pins ([repo.environments.NAME]).
        let environment = ctx.environment()?;
        let mut jobs = Vec::new();
        let mut unlocked = Vec::new();
        for spec in &selected {
            let pin = match &locked {
                Some(lock) => match lock.revs().get(spec.name()) {
                    Some(rev) => Pin::Rev(rev.to_string()),
                    None => {
                        unlocked.push(spec.name().to_string());
                        continue;
                    }
                },
                None => spec.pin_in(environment.name.as_deref()),
            };
            jobs.push(RepoJob::new(&workspace.root, &workspace.repos, spec, pin));
        }
        if !unlocked.is_empty() {
            return Err(Error::usage_with_help(
                format!("{LOCK_FILE} has no commit for: {}", unlocked.join(", ")),
                "run `cargo xtask lock` after updating, or update without --locked",
            ));
        }
        if ctx.global.dry_run {
            for job in &jobs {
                crate::outln!("{}", crate::mask::text(&describe_plan(job)));
            }
            for action in &layout::plan(&workspace.root, &workspace.repos, self.reset) {
                crate::outln!("{action}");
            }
            return Ok(());
        }

        // One update per environment; the kernel drops the lock if we die.
        let _lock = update_lock::acquire(&workspace.root, !self.no_wait, |holder| {
            let who = holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default();
            ctx.ui.status_tone(
                "Waiting",
                format!("for another `update` in this environment{who} to finish (--no-wait fails instead)"),
                Tone::Neutral,
            );
        })
        .map_err(|e| Error::Other(e.into()))?;
        // A mirror set for this environment alone (offline/use-mirrors).
        crate::repos::transport::use_environment_git_config(&workspace.root);
        // From here an interrupt stops work at a safe point: no half checkout.
        let _deferred = crate::exec::defer_interrupts();

        let defaults = &workspace.repos.defaults;
        let (parallel, lowered) = crate::descriptor_budget::jobs_within_limit(
            ctx.global.jobs.unwrap_or(defaults.jobs),
            crate::repos::sync::DESCRIPTORS_PER_JOB,
        );
        if let Some(why) = lowered {
            ctx.ui.verbose(why);
        }
        let settings = SyncSettings {
            transport: self.transport.unwrap_or(defaults.transport),
            jobs: parallel,
            jobs_per_host: defaults
                .jobs_per_host
                .max(ctx.global.jobs.unwrap_or(0))
                .min(parallel),
            reset_origin: self.reset,
        };
        let results = run_with_progress(&ctx.ui, jobs, &settings)?;

        // Planned after the sync: the repos just cloned may hold examples and link targets.
        let layout = if crate::exec::interrupted() {
            Vec::new()
        } else {
            layout::plan(&workspace.root, &workspace.repos, self.reset)
        };
        let outcomes = layout::apply(&workspace.root, &layout);
        let mut layout_errors = Vec::new();
        let mut to_review = Vec::new();
        for (action, outcome) in layout.iter().zip(outcomes) {
            if let Err(error) = outcome {
                layout_errors.push(error);
                continue;
            }
            match action {
                LayoutAction::Conflict(what) => ctx.ui.warn(format!("left {what}")),
                LayoutAction::Refused(_) => {}
                LayoutAction::CreateFolder(path) => ctx.ui.status("Created", path),
                LayoutAction::Link { path, target } => {
                    ctx.ui.status("Linked", format!("{path} -> {target}"))
                }
                LayoutAction::Copy { from, to, backup } => {
                    match backup {
                        Some(backup) => ctx.ui.status(
                            "Reset",
                            format!("{to} from {from} (old file kept as {backup})"),
                        ),
                        None => ctx.ui.status("Copied", format!("{from} to {to}")),
                    }
                    to_review.push(to.clone());
                }
                other @ LayoutAction::Unchanged { .. } => ctx.ui.note(other),
            }
        }
        if !to_review.is_empty() {
            ctx.ui.note(format!(
                "review {}: new copies of their examples, to fill in with your own values (`cargo xtask diff` shows what differs)",
                to_review.join(", ")
            ));
        }

        let tally = summarize(&ctx.ui, &results);
        print_notices(ctx, workspace, &results);
        for error in &layout_errors {
            ctx.ui.error(error);
        }
        if let Some(signal) = crate::exec::interrupt_signal() {
            return Err(Error::Child {
                command: "update".into(),
                code: 128 + signal,
            });
        }
        if tally.failed > 0 || !layout_errors.is_empty() {
            let mut failures = Vec::new();
            if tally.failed > 0 {
                failures.push(format!(
                    "{} of {} failed",
                    tally.failed,
                    crate::ui::plural(results.len(), "repo", "repos")
                ));
            }
            match layout_errors.len() {
                0 => {}
                1 => failures.push("1 layout entry failed".to_string()),
                n => failures.push(format!("{n} layout entries failed")),
            }
            return Err(Error::Other(anyhow::anyhow!("{}", failures.join(", "))));
        }
        if self.strict && tally.skipped > 0 {
            return Err(Error::Other(anyhow::anyhow!(
                "{} repos were skipped and --strict is set",
                tally.skipped
            )));
        }
        Ok(())
    }
}

fn require_repos_file(workspace: &Workspace) -> Result<()> {
    if workspace.repos_source.is_none() {
        return Err(Error::usage_with_help(
            format!(
                "no {} in {}",
                crate::config::REPOS_FILE,
                workspace.root.display()
            ),
            "create repos.toml with a [[repo]] per repository (see docs/repos.md)",
        ));
    }
    Ok(())
}

fn read_lock(workspace: &Workspace) -> Result<Lockfile> {
    Lockfile::read(&workspace.root)
        .map_err(|e| Error::Config(crate::config::Error::Invalid(e)))?
        .ok_or_else(|| {
            Error::usage_with_help(
                format!("--locked needs {LOCK_FILE}, which does not exist"),
                "run `cargo xtask lock` first",
            )
        })
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

fn run_with_progress(
    ui: &Ui,
    jobs: Vec<RepoJob>,
    settings: &SyncSettings,
) -> Result<Vec<(RepoJob, SyncOutcome)>> {
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
    results.map_err(Error::Other)
}

fn summarize(ui: &Ui, results: &[(RepoJob, SyncOutcome)]) -> Tally {
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

fn print_notices(ctx: &Context, workspace: &Workspace, results: &[(RepoJob, SyncOutcome)]) {
    if workspace.repos.notices.is_empty() {
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
    for message in notices::matching(&workspace.repos.notices, &changed) {
        ctx.ui.note(message);
    }
}
