//! `repos.lock`: the exact commit of every repo, written by `lock` and read
//! by `update --locked`. Written atomically (temp file, then rename).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigErrors, Diagnostic, SourceFile, Workspace};
use crate::repos::local_state::MadeHere;
use crate::repos::status::read;
use crate::repos::sync::RepoJob;

pub const LOCK_FILE: &str = "repos.lock";

const HEADER: &str = "# Written by `cargo xtask lock`. `cargo xtask update --locked` checks out exactly these commits.\n\n";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    #[serde(default, rename = "repo")]
    pub repos: Vec<LockedRepo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedRepo {
    pub name: String,
    /// The url without credentials: never a password or token in a file.
    pub url: String,
    pub rev: String,
}

/// Repos that cannot be locked: not cloned (or no commit to read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot lock repos that are not cloned: {}", .0.join(", "))]
pub struct NotCloned(pub Vec<String>);

impl Lockfile {
    /// The commit checked out in every repo of `workspace` now, with urls
    /// without credentials.
    pub fn of_checkouts(workspace: &Workspace) -> Result<Self, NotCloned> {
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
            return Err(NotCloned(missing));
        }
        Ok(lock)
    }

    pub fn read(root: &Path) -> Result<Option<Self>, ConfigErrors> {
        let path = root.join(LOCK_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let source = SourceFile::read(&path, LOCK_FILE)
            .map_err(|e| Diagnostic::whole_file(LOCK_FILE, format!("cannot read: {e}")))?;
        let lock: Lockfile = toml::from_str(&source.text).map_err(|e| {
            let diagnostic = match e.span() {
                Some(span) => Diagnostic::at(&source, span, e.message().trim_end()),
                None => Diagnostic::whole_file(LOCK_FILE, e.message().trim_end()),
            };
            diagnostic.help("regenerate it with `cargo xtask lock`")
        })?;
        Ok(Some(lock))
    }

    pub fn revs(&self) -> BTreeMap<&str, &str> {
        self.repos
            .iter()
            .map(|r| (r.name.as_str(), r.rev.as_str()))
            .collect()
    }

    /// Writes the lock file next to tasks.toml, atomically.
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        crate::atomic_file::write(&root.join(LOCK_FILE), &format!("{HEADER}{text}"))
    }
}
