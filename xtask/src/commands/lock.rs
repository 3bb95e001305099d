//! `xtask lock`: record the exact commit of every repo in repos.lock.

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::repos::local_state::MadeHere;
use crate::repos::lockfile::{LockedRepo, Lockfile, LOCK_FILE};
use crate::repos::status::read;
use crate::repos::sync::RepoJob;
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
        let mut lock = Lockfile::default();
        let mut missing = Vec::new();
        for spec in &workspace.repos.repos {
            let job = RepoJob::new(&workspace.root, &workspace.repos, spec, spec.pin());
            match read(&job, &MadeHere::default()).commit {
                Some(rev) => lock.repos.push(LockedRepo {
                    name: job.name,
                    url: crate::mask::without_credentials(&job.url),
                    rev,
                }),
                None => missing.push(job.name),
            }
        }
        if !missing.is_empty() {
            return Err(Error::usage_with_help(
                format!(
                    "cannot lock repos that are not cloned: {}",
                    missing.join(", ")
                ),
                "run `cargo xtask update` first",
            ));
        }
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
