//! `xtask update`: clone what is missing, fast-forward what exists, never lose local work.

use clap::builder::BoolishValueParser;
use clap::ArgAction;

use crate::checkpoints::branch_switch;
use crate::commands::{checkpoint, Context};
use crate::config::{Transport, Workspace};
use crate::error::{Error, Result};
use crate::repos::layout;
use crate::repos::sync::{describe_plan, RepoJob, SyncSettings};
use crate::repos::sync_progress::{
    failure, print_notices, report_layout, run_with_progress, summarize,
};
use crate::repos::update_jobs::select_repos;
use crate::repos::update_lock;
use crate::ui::Tone;

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

impl UpdateArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let selection = select_repos(workspace, &self.names, &self.group, self.locked)?;
        // Repos follow the active environment's pins ([repo.environments.NAME]).
        let environment = ctx.environment()?;
        let jobs = selection.jobs(workspace, environment.name.as_deref())?;
        if ctx.global.dry_run {
            for job in &jobs {
                crate::outln!("{}", crate::mask::text(&describe_plan(job)));
            }
            for action in &layout::plan(&workspace.root, &workspace.repos, self.reset) {
                crate::outln!("{action}");
            }
            let followed = branch_switch::followed(workspace);
            if !followed.is_empty() {
                crate::outln!(
                    "# then, when {} changes branch: the database checkpointed as branch-REPO-OLD, branch-REPO-NEW restored if it exists",
                    followed.join(" or ")
                );
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
        let before = branch_switch::branches(workspace);
        let synced = self.sync(ctx, workspace, jobs);
        let switched =
            match branch_switch::first_switch(&before, &branch_switch::branches(workspace)) {
                Some(switch) if !crate::exec::interrupted() => {
                    checkpoint::with_inputs(ctx, false, |inputs| {
                        ctx.execute(&branch_switch::switch_plan(inputs, &switch)?)
                    })
                }
                _ => Ok(()),
            };
        synced.and(switched)
    }

    /// Syncs `jobs`, lays out links and copies, and reports how it went.
    fn sync(&self, ctx: &Context, workspace: &Workspace, jobs: Vec<RepoJob>) -> Result<()> {
        let settings = self.settings(ctx, workspace);
        let results = run_with_progress(&ctx.ui, jobs, &settings).map_err(Error::Other)?;

        // Planned after the sync: the repos just cloned may hold examples and link targets.
        let layout = if crate::exec::interrupted() {
            Vec::new()
        } else {
            layout::plan(&workspace.root, &workspace.repos, self.reset)
        };
        let outcomes = layout::apply(&workspace.root, &layout);
        let layout_errors = report_layout(&ctx.ui, &layout, outcomes);

        let tally = summarize(&ctx.ui, &results);
        print_notices(&ctx.ui, &workspace.repos, &results);
        for error in &layout_errors {
            ctx.ui.error(error);
        }
        if let Some(signal) = crate::exec::interrupt_signal() {
            return Err(Error::Child {
                command: "update".into(),
                code: 128 + signal,
            });
        }
        match failure(&tally, results.len(), layout_errors.len(), self.strict) {
            Some(failure) => Err(failure.into()),
            None => Ok(()),
        }
    }

    /// How many repos at once (within the open-files limit), over which transport.
    fn settings(&self, ctx: &Context, workspace: &Workspace) -> SyncSettings {
        let defaults = &workspace.repos.defaults;
        let (parallel, lowered) = crate::descriptor_budget::jobs_within_limit(
            ctx.global.jobs.unwrap_or(defaults.jobs),
            crate::repos::sync::DESCRIPTORS_PER_JOB,
        );
        if let Some(why) = lowered {
            ctx.ui.verbose(why);
        }
        SyncSettings {
            transport: self.transport.unwrap_or(defaults.transport),
            jobs: parallel,
            jobs_per_host: defaults
                .jobs_per_host
                .max(ctx.global.jobs.unwrap_or(0))
                .min(parallel),
            reset_origin: self.reset,
        }
    }
}
