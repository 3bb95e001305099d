//! What git says about a repository, asked (captured, never changing
//! anything) while a worktree plan is made.

use std::path::{Path, PathBuf};

use crate::exec;
use crate::plan::CommandStep;
use crate::worktrees::WorktreeError;

/// `git ARGS` in `dir`, its trimmed stdout when it succeeded.
fn ask(dir: &Path, args: &[&str]) -> Result<Option<String>, WorktreeError> {
    let step = CommandStep::new(std::iter::once("git").chain(args.iter().copied())).dir(dir);
    let out = exec::capture(&step).map_err(|e| WorktreeError::Git {
        dir: dir.to_path_buf(),
        why: e.to_string(),
    })?;
    Ok(out.success().then(|| out.stdout.trim().to_string()))
}

/// Whether `dir` is the top folder of a git work tree.
pub fn is_toplevel(dir: &Path) -> Result<bool, WorktreeError> {
    let Some(top) = ask(dir, &["rev-parse", "--show-toplevel"])? else {
        return Ok(false);
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    Ok(same(Path::new(&top), dir))
}

/// Whether `reference` (`refs/heads/B`, `refs/remotes/origin/B`) exists.
pub fn has_ref(dir: &Path, reference: &str) -> Result<bool, WorktreeError> {
    Ok(ask(dir, &["rev-parse", "--verify", "--quiet", reference])?.is_some())
}

/// Whether `git check-ref-format --branch` accepts `branch`.
pub fn is_branch_name(dir: &Path, branch: &str) -> Result<bool, WorktreeError> {
    if branch.starts_with('-') {
        return Ok(false);
    }
    Ok(ask(dir, &["check-ref-format", "--branch", branch])?.is_some())
}

/// The worktree of `repo` that has `branch` checked out, if one has.
pub fn worktree_with_branch(repo: &Path, branch: &str) -> Result<Option<PathBuf>, WorktreeError> {
    let listing = ask(repo, &["worktree", "list", "--porcelain"])?.unwrap_or_default();
    let wanted = format!("branch refs/heads/{branch}");
    let mut current = None;
    for line in listing.lines() {
        if let Some(path) = line.strip_prefix("worktree ") {
            current = Some(PathBuf::from(path));
        } else if line == wanted {
            return Ok(current);
        }
    }
    Ok(None)
}

/// Uncommitted changes in the work tree at `dir`: porcelain lines, the
/// paths of `ours` (files and folders the worktree made) left out.
pub fn changes(dir: &Path, ours: &[PathBuf]) -> Result<Vec<String>, WorktreeError> {
    let listing = ask(
        dir,
        &["status", "--porcelain=v1", "--untracked-files=normal"],
    )?
    .ok_or_else(|| WorktreeError::Git {
        dir: dir.to_path_buf(),
        why: "`git status` failed".into(),
    })?;
    Ok(listing
        .lines()
        .filter(|line| {
            let path = dir.join(line.get(3..).unwrap_or("").trim_end_matches('/'));
            !ours
                .iter()
                .any(|own| path.starts_with(own) || own.starts_with(&path))
        })
        .map(str::to_string)
        .collect())
}

/// How many commits of HEAD in `dir` no ref but `branch` holds: the work
/// deleting `branch` would lose.
pub fn commits_only_on(dir: &Path, branch: &str) -> Result<usize, WorktreeError> {
    let refs = ask(dir, &["for-each-ref", "--format=%(refname)"])?.unwrap_or_default();
    let own = format!("refs/heads/{branch}");
    let mut args = vec!["rev-list", "--count", "HEAD", "--not"];
    args.extend(refs.lines().filter(|r| *r != own));
    let count = ask(dir, &args)?.ok_or_else(|| WorktreeError::Git {
        dir: dir.to_path_buf(),
        why: "`git rev-list` failed".into(),
    })?;
    Ok(count.parse().unwrap_or(0))
}

/// The branch checked out at `dir` (`None` when detached or unreadable).
pub fn current_branch(dir: &Path) -> Option<String> {
    ask(dir, &["branch", "--show-current"])
        .ok()
        .flatten()
        .filter(|b| !b.is_empty())
}
