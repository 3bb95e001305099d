//! `xtask worktree`: a second copy of the environment beside the original
//! (its own branches, project, host ports and database), listed and removed.

use crate::commands::Context;
use crate::config::worktree_marker::WorktreeMarker;
use crate::error::{Error, Result};
use crate::ui::Tone;
use crate::worktrees::add_plan::{self, AddOptions, DbSeed};
use crate::worktrees::{listing, record, rm_plan, WorktreeError};

/// Parallel environments: git worktrees of everything, their own stack and database
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask worktree add fix-login           ../<root>-wt-fix-login on branch fix-login, database copied
  cargo xtask worktree add review --branch feature/x --db empty
  cargo xtask worktree list                    name, folder, project, branches, state, URLs
  cargo xtask worktree rm fix-login            asks first; refuses while it holds work
  cargo xtask --dry-run worktree add demo --db none
                                               every step, nothing done")]
pub struct WorktreeArgs {
    #[command(subcommand)]
    pub command: WorktreeCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum WorktreeCommand {
    /// A new environment beside this one: git worktrees, copied files with free ports, its stack up, its database
    #[command(after_help = "Examples:
  cargo xtask worktree add fix-login          needs the original's stack up (its database is copied)
  cargo xtask worktree add review --branch feature/x --from testing --db none
  cargo xtask worktree add demo --db empty    a new database: `db setup` in the worktree")]
    Add(AddArgs),
    /// The worktrees of this environment: name, folder, project, branches, state (up/down), URLs
    #[command(after_help = "Examples:
  cargo xtask worktree list
  cargo xtask worktree list --json")]
    List,
    /// Tear down a worktree's stack and volumes and remove its git worktrees (asks first)
    #[command(after_help = "Examples:
  cargo xtask worktree rm fix-login
  cargo xtask --yes worktree rm fix-login     in scripts
  cargo xtask worktree rm hotfix --confirm hotfix
                                              a worktree of a protected environment")]
    Rm(RmArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The worktree's name: its folder `<root>-wt-NAME`, its project `<project>_NAME`
    pub name: String,
    /// The branch of every repo (checked out when it exists, else made from the pin); default: NAME
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// The environment copied (its .env choice and database); default: --env's, else the active one
    #[arg(long, value_name = "ENV")]
    pub from: Option<String>,
    /// The new database: a copy of the original's, a new one (`db setup`), or none
    #[arg(long, value_name = "HOW", default_value = "copy", value_parser = ["copy", "empty", "none"])]
    pub db: String,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// The worktree to remove
    pub name: String,
    /// The worktree's name, typed in advance (a worktree of a protected environment wants it)
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
}

impl WorktreeCommand {
    /// Whether it prints JSON with `--json`.
    pub fn has_json(&self) -> bool {
        matches!(self, WorktreeCommand::List)
    }
}

/// A refusal reads as a usage error with its remedy.
fn refused(error: WorktreeError) -> Error {
    match error.help() {
        Some(help) => Error::usage_with_help(error.to_string(), help),
        None => Error::usage(error.to_string()),
    }
}

/// This program, run in the new root for its stack and database.
fn this_xtask() -> Result<std::path::PathBuf> {
    std::env::current_exe()
        .map_err(|e| Error::Other(anyhow::Error::from(e).context("cannot find this program")))
}

impl WorktreeArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        match self.command {
            WorktreeCommand::Add(args) => args.run(ctx),
            WorktreeCommand::List => list(ctx),
            WorktreeCommand::Rm(args) => {
                let root = original_root(ctx)?;
                let _lock = lock(ctx, &root)?;
                let plan =
                    rm_plan::plan(&root, &args.name, &this_xtask()?, args.confirm.as_deref())
                        .map_err(refused)?;
                ctx.execute(&plan)
            }
        }
    }
}

impl AddArgs {
    fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        // `--env` (or XTASK_ENV) chooses as --from does: the worktree keeps that choice.
        let from = self.from.or_else(|| ctx.global.environment.clone());
        let environment = ctx.environment_named(from.as_deref())?;
        let _lock = lock(ctx, &workspace.root)?;
        let options = AddOptions {
            name: self.name,
            branch: self.branch,
            from,
            db: match self.db.as_str() {
                "empty" => DbSeed::Empty,
                "none" => DbSeed::None,
                _ => DbSeed::Copy,
            },
            xtask: this_xtask()?,
        };
        let planned = add_plan::plan(workspace, &environment, &options).map_err(refused)?;
        for warning in &planned.warnings {
            ctx.ui.warn(warning);
        }
        ctx.execute(&planned.plan)
    }
}

/// The lock on the records of `root`, held until the plan ends (none in a dry run).
fn lock(ctx: &Context, root: &std::path::Path) -> Result<Option<crate::state_lock::StateLock>> {
    if ctx.global.dry_run {
        return Ok(None);
    }
    let lock = record::lock(root, |holder| {
        let who = holder
            .map(|pid| format!(" (pid {pid})"))
            .unwrap_or_default();
        ctx.ui.status_tone(
            "Waiting",
            format!("for another `worktree add` or `rm` here{who} to finish"),
            Tone::Neutral,
        );
    })
    .map_err(|e| Error::Other(e.into()))?;
    Ok(Some(lock))
}

/// The original's root: the records are there (inside a worktree, its mark says where).
fn original_root(ctx: &Context) -> Result<std::path::PathBuf> {
    let root = ctx.workspace()?.root.clone();
    Ok(WorktreeMarker::read(&root).map_or(root, |marker| marker.origin))
}

fn list(ctx: &Context) -> Result<()> {
    let workspace = ctx.workspace()?;
    let rows = listing::rows(&original_root(ctx)?, &workspace.tasks).map_err(refused)?;
    if ctx.global.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    if rows.is_empty() {
        ctx.ui
            .note("no worktrees here (`cargo xtask worktree add NAME` makes one)");
        return Ok(());
    }
    let table: Vec<[String; 6]> = rows
        .iter()
        .map(|row| {
            let branches: Vec<String> = row
                .branches
                .iter()
                .map(|(path, branch)| format!("{path}:{branch}"))
                .collect();
            [
                row.name.clone(),
                row.path.clone(),
                row.project.clone(),
                branches.join(" "),
                row.state.clone(),
                row.urls.join(" "),
            ]
        })
        .collect();
    crate::ui::print_table(
        &["NAME", "PATH", "PROJECT", "BRANCHES", "STATE", "URLS"],
        &table,
    );
    Ok(())
}
