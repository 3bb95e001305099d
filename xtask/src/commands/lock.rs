//! `xtask lock`: record the exact commit of every repo in repos.lock.

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::repos::lockfile::{Lockfile, LOCK_FILE};
use crate::repos::update_lock;

/// Write repos.lock with the exact commit of every repo
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask lock               then commit repos.lock
  cargo xtask update --locked    reproduce exactly those commits")]
pub struct LockArgs {}

impl LockArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        // Not while an update moves the repos: the lock would record half of it.
        let _running = (!ctx.global.dry_run)
            .then(|| {
                update_lock::acquire(&workspace.root, true, |holder| {
                    let who = holder
                        .map(|pid| format!(" (pid {pid})"))
                        .unwrap_or_default();
                    ctx.ui.status(
                        "Waiting",
                        format!("for the `update` running in this environment{who} to finish"),
                    );
                })
            })
            .transpose()
            .map_err(|e| Error::Other(e.into()))?;
        let lock = Lockfile::of_checkouts(workspace).map_err(|not_cloned| {
            Error::usage_with_help(not_cloned.to_string(), "run `cargo xtask update` first")
        })?;
        if ctx.global.dry_run {
            crate::outln!(
                "# write {LOCK_FILE} with {}",
                crate::ui::plural(lock.repos.len(), "repo", "repos")
            );
            for repo in &lock.repos {
                crate::outln!("# {} {}", repo.name, repo.rev);
            }
            return Ok(());
        }
        lock.write(&workspace.root)
            .map_err(|e| anyhow::Error::from(e).context(format!("cannot write {LOCK_FILE}")))?;
        ctx.ui.status(
            "Locked",
            format!(
                "{} in {LOCK_FILE}",
                crate::ui::plural(lock.repos.len(), "repo", "repos")
            ),
        );
        Ok(())
    }
}
