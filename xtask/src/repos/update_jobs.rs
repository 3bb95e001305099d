//! What `update` syncs: the repos selected by name and group, each at the
//! pin of the active environment, or at repos.lock's commit (`--locked`).

use std::path::PathBuf;

use crate::config::{self, ConfigErrors, Pin, RepoSpec, Workspace, REPOS_FILE};
use crate::error::Error;
use crate::repos::lockfile::{Lockfile, LOCK_FILE};
use crate::repos::selection::{select, SelectionError};
use crate::repos::sync::RepoJob;

/// Why `update` cannot start, or how it ended badly.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("no {REPOS_FILE} in {}", .0.display())]
    NoReposFile(PathBuf),
    /// A name or group that repos.toml does not have.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error("{LOCK_FILE} has no commit for: {}", .0.join(", "))]
    NotLocked(Vec<String>),
    #[error("--locked needs {LOCK_FILE}, which does not exist")]
    NoLockFile,
    #[error("{0}")]
    InvalidLockFile(ConfigErrors),
    /// Repos or layout entries failed (each said already).
    #[error("{}", .0.join(", "))]
    Failed(Vec<String>),
    #[error("{0} repos were skipped and --strict is set")]
    Skipped(usize),
}

impl From<UpdateError> for Error {
    fn from(error: UpdateError) -> Self {
        let help = match &error {
            UpdateError::NoReposFile(_) => {
                "create repos.toml with a [[repo]] per repository (see docs/repos.md)"
            }
            UpdateError::NotLocked(_) => {
                "run `cargo xtask lock` after updating, or update without --locked"
            }
            UpdateError::NoLockFile => "run `cargo xtask lock` first",
            UpdateError::Selection(_) => return Error::usage(error.to_string()),
            UpdateError::InvalidLockFile(errors) => {
                return config::Error::Invalid(errors.clone()).into()
            }
            UpdateError::Failed(_) | UpdateError::Skipped(_) => return Error::Other(error.into()),
        };
        Error::usage_with_help(error.to_string(), help)
    }
}

/// The repos `update` was asked for, with repos.lock when `--locked`.
pub struct Selection<'a> {
    specs: Vec<&'a RepoSpec>,
    lock: Option<Lockfile>,
}

/// The repos named (all when `names` and `groups` are empty), with
/// repos.lock read when `locked`.
pub fn select_repos<'a>(
    workspace: &'a Workspace,
    names: &[String],
    groups: &[String],
    locked: bool,
) -> Result<Selection<'a>, UpdateError> {
    if workspace.repos_source.is_none() {
        return Err(UpdateError::NoReposFile(workspace.root.clone()));
    }
    let specs = select(&workspace.repos, names, groups)?;
    let lock = if locked {
        Some(
            Lockfile::read(&workspace.root)
                .map_err(UpdateError::InvalidLockFile)?
                .ok_or(UpdateError::NoLockFile)?,
        )
    } else {
        None
    };
    Ok(Selection { specs, lock })
}

impl Selection<'_> {
    /// A sync job per repo, pinned as `environment` says (`[repo.environments.NAME]`),
    /// or at repos.lock's commit.
    pub fn jobs(
        &self,
        workspace: &Workspace,
        environment: Option<&str>,
    ) -> Result<Vec<RepoJob>, UpdateError> {
        let mut jobs = Vec::new();
        let mut unlocked = Vec::new();
        for spec in &self.specs {
            let pin = match &self.lock {
                Some(lock) => match lock.revs().get(spec.name()) {
                    Some(rev) => Pin::Rev(rev.to_string()),
                    None => {
                        unlocked.push(spec.name().to_string());
                        continue;
                    }
                },
                None => spec.pin_in(environment),
            };
            jobs.push(RepoJob::new(&workspace.root, &workspace.repos, spec, pin));
        }
        if !unlocked.is_empty() {
            return Err(UpdateError::NotLocked(unlocked));
        }
        Ok(jobs)
    }
}
