//! What git says about a repository, asked (captured, never changing
//! anything) while a worktree plan is made.

use std::path::{Path, PathBuf};

use crate::exec;
use crate::plan::CommandStep;
use crate::worktrees::WorktreeError;

/// `git ARGS` in `dir`, its trimmed stdout when it succeeded.
fn ask(dir: &Path, args: &[&str]) -> Result<Option<String>, WorktreeError> {
    Ok(ask_raw(dir, args)?.map(|out| out.trim().to_string()))
}

/// `git ARGS` in `dir`, its stdout as it was printed when it succeeded.
fn ask_raw(dir: &Path, args: &[&str]) -> Result<Option<String>, WorktreeError> {
    let step = CommandStep::new(std::iter::once("git").chain(args.iter().copied())).dir(dir);
    let out = exec::capture(&step).map_err(|e| WorktreeError::Git {
        dir: dir.to_path_buf(),
        why: e.to_string(),
    })?;
    Ok(out.success().then_some(out.stdout))
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

/// Uncommitted changes in the work tree at `dir`, as `XY path` (git's
/// porcelain status), the paths of `ours` (files and folders the worktree
/// made) left out, and untracked Python bytecode too: `*.pyc` files that
/// the stack's interpreter wrote when it imported the code, and writes
/// again, are nobody's work.
pub fn changes(dir: &Path, ours: &[PathBuf]) -> Result<Vec<String>, WorktreeError> {
    // Untrimmed: a status line starts with a blank (` M path`).
    let listing = ask_raw(
        dir,
        &["status", "--porcelain=v1", "-z", "--untracked-files=normal"],
    )?
    .ok_or_else(|| WorktreeError::Git {
        dir: dir.to_path_buf(),
        why: "`git status` failed".into(),
    })?;
    let mut changes = Vec::new();
    let mut entries = listing.split('\0').filter(|entry| !entry.is_empty());
    while let Some(entry) = entries.next() {
        let (status, relative) = (entry.get(..2).unwrap_or(""), entry.get(3..).unwrap_or(""));
        if status.starts_with(['R', 'C']) {
            entries.next(); // the path it was renamed or copied from
        }
        let path = dir.join(relative.trim_end_matches('/'));
        let made_by_us = ours
            .iter()
            .any(|own| path.starts_with(own) || own.starts_with(&path));
        if made_by_us || (status == "??" && only_bytecode(&path)) {
            continue;
        }
        changes.push(format!("{} {relative}", status.trim()));
    }
    Ok(changes)
}

/// Whether `path` is a Python bytecode file (`*.pyc`, `*.pyo`) or a folder
/// holding nothing else: what an interpreter regenerates from the sources.
fn only_bytecode(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if meta.is_file() {
        let extension = path.extension().and_then(|e| e.to_str());
        return matches!(extension, Some("pyc" | "pyo"));
    }
    if !meta.is_dir() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    entries
        .map(|entry| entry.map(|e| e.path()))
        .all(|entry| entry.is_ok_and(|p| only_bytecode(&p)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn bytecode_is_not_work_but_everything_else_is() {
        let repo = tempfile::tempdir().expect("tempdir");
        let dir = repo.path();
        git(dir, &["init", "-q"]);
        write(&dir.join("app/models.py"), "x = 1\n");
        write(&dir.join("README"), "readme\n");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-qm", "start"]);
        // What importing the code writes: beside tracked sources, in a
        // new folder, in the old style beside the source.
        write(&dir.join("app/__pycache__/models.cpython-311.pyc"), "b");
        write(&dir.join("plugins/__pycache__/p.cpython-311.pyc"), "b");
        write(&dir.join("app/models.pyc"), "b");
        assert_eq!(changes(dir, &[]).expect("status"), Vec::<String>::new());

        // Work: a note in a cache folder, a new file, a changed and a
        // renamed tracked file (its first line keeps its leading blank).
        write(&dir.join("app/__pycache__/notes.txt"), "mine");
        write(&dir.join("new file.py"), "y = 2\n");
        write(&dir.join("README"), "changed\n");
        git(dir, &["mv", "app/models.py", "app/model.py"]);
        let mut found = changes(dir, &[]).expect("status");
        found.sort();
        assert_eq!(
            found,
            [
                "?? app/__pycache__/",
                "?? new file.py",
                "M README",
                "R app/model.py",
            ]
        );
        // A link named like bytecode is not bytecode (it is not followed).
        std::os::unix::fs::symlink("/etc/hostname", dir.join("plugins/evil.pyc")).expect("link");
        let found = changes(dir, &[]).expect("status");
        assert!(found.contains(&"?? plugins/".to_string()), "{found:?}");
        std::fs::remove_file(dir.join("plugins/evil.pyc")).expect("unlink");

        // What the worktree made itself is left out.
        let ours = [dir.join("new file.py"), dir.join("README")];
        let mut found = changes(dir, &ours).expect("status");
        found.sort();
        assert_eq!(found, ["?? app/__pycache__/", "R app/model.py"]);
    }
}
