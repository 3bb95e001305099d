//! A repo's recorded branch and commit (a checkpoint's), read from the work
//! tree, and the move back to it under `update`'s rules: never over
//! uncommitted changes, never leaving commits that no other ref keeps, the
//! work tree put back when a step fails after files changed.

use std::path::Path;

use git2::{Oid, Repository};

use crate::repos::local_state::{self, short, Head, Presence};
use crate::repos::sync::{refuse_blocked, transition, SyncError};

/// Where a repo's HEAD stood: on `branch` at `commit`, or detached there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedHead {
    /// `None`: HEAD was detached.
    pub branch: Option<String>,
    /// The full commit id.
    pub commit: String,
    /// Whether tracked files had uncommitted changes (not recorded: only said).
    pub dirty: bool,
}

impl RecordedHead {
    /// `main at 1a2b3c4`, `detached at 1a2b3c4`.
    pub fn describe(&self) -> String {
        let short: String = self.commit.chars().take(7).collect();
        match &self.branch {
            Some(branch) => format!("{branch} at {short}"),
            None => format!("detached at {short}"),
        }
    }
}

/// Why a repo cannot be read or moved.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("not cloned; run `cargo xtask update` first")]
    Missing,
    #[error("not a git repository ({0})")]
    NotARepo(String),
    #[error("it has no commit yet")]
    Unborn,
    /// A rule of `update` refuses the move; nothing was changed.
    #[error("{0}")]
    Refused(String),
    #[error("{}", .0.message())]
    Git(#[from] git2::Error),
    #[error(transparent)]
    Move(#[from] SyncError),
}

/// What a move did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    /// Already there: nothing changed.
    Already,
    /// From `from` (as `Head::describe` says it) to the recorded head.
    From(String),
}

fn open(path: &Path) -> Result<Repository, HeadError> {
    match local_state::open(path) {
        Presence::Missing => Err(HeadError::Missing),
        Presence::NotARepo(why) => Err(HeadError::NotARepo(why)),
        Presence::Repo(repo) => Ok(repo),
    }
}

/// The branch and commit of the repo at `path` now, and whether it is dirty.
pub fn read(path: &Path) -> Result<RecordedHead, HeadError> {
    let repo = open(path)?;
    let dirty = local_state::changes(&repo)?.has_uncommitted_work();
    match local_state::head(&repo)? {
        Head::Branch {
            name,
            oid: Some(oid),
        } => Ok(RecordedHead {
            branch: Some(name),
            commit: oid.to_string(),
            dirty,
        }),
        Head::Detached(oid) => Ok(RecordedHead {
            branch: None,
            commit: oid.to_string(),
            dirty,
        }),
        Head::Branch { oid: None, .. } | Head::Unborn => Err(HeadError::Unborn),
    }
}

/// A repo that may be moved, with what it would take.
struct Checked {
    repo: Repository,
    head: Head,
    target: Oid,
}

/// Checks every rule before a move of the repo at `path` to `wanted`;
/// `Ok(None)` when it is already there.
fn check(path: &Path, wanted: &RecordedHead) -> Result<Option<Checked>, HeadError> {
    let repo = open(path)?;
    if let Some(operation) = local_state::operation_in_progress(&repo) {
        return Err(HeadError::Refused(format!(
            "{operation} is in progress; finish or abort it (see `git status`)"
        )));
    }
    let target = Oid::from_str(&wanted.commit)
        .ok()
        .filter(|oid| repo.find_commit(*oid).is_ok())
        .ok_or_else(|| {
            HeadError::Refused(format!(
                "commit {} is not in this repository any more",
                wanted.commit
            ))
        })?;
    let head = local_state::head(&repo)?;
    let there = match (&head, &wanted.branch) {
        (Head::Branch { name, oid }, Some(branch)) => name == branch && *oid == Some(target),
        (Head::Detached(oid), None) => *oid == target,
        _ => false,
    };
    if there {
        return Ok(None);
    }
    let tracked = local_state::changes(&repo)?.tracked;
    if tracked > 0 {
        return Err(HeadError::Refused(format!(
            "uncommitted changes in {}; commit or stash them",
            crate::ui::plural(tracked, "file", "files")
        )));
    }
    let lost = left_behind(&repo, &head, wanted.branch.as_deref(), target)?;
    if lost > 0 {
        return Err(HeadError::Refused(format!(
            "{} on {} that no other branch or tag holds would be left behind; keep them with `git branch NAME` (or push them)",
            crate::ui::plural(lost, "commit", "commits"),
            head.describe()
        )));
    }
    if let Some(reason) = refuse_blocked(&repo, wanted.branch.as_deref()) {
        return Err(HeadError::Refused(reason));
    }
    Ok(Some(Checked { repo, head, target }))
}

/// How many commits the move would leave that no ref keeps: those of a
/// detached HEAD, and those of the recorded branch past `target` (its ref
/// is rewritten), unless another branch, remote branch or tag holds them.
fn left_behind(
    repo: &Repository,
    head: &Head,
    branch: Option<&str>,
    target: Oid,
) -> Result<usize, git2::Error> {
    let rewritten = branch.map(|b| format!("refs/heads/{b}"));
    let mut tips = Vec::new();
    if let Head::Detached(oid) = head {
        tips.push(*oid);
    }
    if let Some(name) = &rewritten {
        if let Ok(tip) = repo.refname_to_id(name) {
            tips.push(tip);
        }
    }
    if tips.is_empty() {
        return Ok(0);
    }
    let mut walk = repo.revwalk()?;
    for tip in tips {
        walk.push(tip)?;
    }
    walk.hide(target)?;
    for reference in repo.references()?.flatten() {
        let name = reference.name().unwrap_or_default();
        if Some(name) == rewritten.as_deref() || name == "HEAD" {
            continue;
        }
        if let Ok(commit) = reference.peel_to_commit() {
            walk.hide(commit.id())?;
        }
    }
    Ok(walk.take(1000).filter(Result::is_ok).count())
}

/// What stands in the way of moving the repo at `path` to `wanted`
/// (nothing is changed); `None` when it may move or is there already.
pub fn refusal(path: &Path, wanted: &RecordedHead) -> Option<HeadError> {
    check(path, wanted).err()
}

/// Moves the repo at `path` to `wanted`, every rule checked again first
/// (the disk may have changed since the plan was made).
pub fn move_to(path: &Path, wanted: &RecordedHead) -> Result<Moved, HeadError> {
    let Some(Checked { repo, head, target }) = check(path, wanted)? else {
        return Ok(Moved::Already);
    };
    let from = match &head {
        Head::Branch {
            name,
            oid: Some(oid),
        } => format!("{name} at {}", short(*oid)),
        other => other.describe(),
    };
    match &wanted.branch {
        Some(branch) => {
            let name = format!("refs/heads/{branch}");
            transition(&repo, head.oid(), target, || {
                repo.reference(&name, target, true, "xtask checkpoint restore")?;
                repo.set_head(&name)
            })?;
        }
        None => transition(&repo, head.oid(), target, || repo.set_head_detached(target))?,
    }
    Ok(Moved::From(from))
}
