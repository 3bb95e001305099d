//! Real git repositories for tests: bare "remotes" with commits, branches
//! and tags, made with the git CLI in a temp dir.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// Runs git in `dir` and returns its trimmed stdout; panics with git's stderr.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A folder of bare remotes, each with a scratch clone to commit from.
pub struct Remotes {
    dir: TempDir,
}

impl Remotes {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("xtask-remotes-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// A bare remote `NAME.git` whose default branch `main` has one commit.
    pub fn create(&self, name: &str) -> Remote {
        let bare = self.dir.path().join(format!("{name}.git"));
        let work = self.dir.path().join(format!("{name}-work"));
        git(
            self.dir.path(),
            &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
        );
        git(
            self.dir.path(),
            &["init", "-q", "-b", "main", work.to_str().unwrap()],
        );
        git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
        let remote = Remote { bare, work };
        remote.commit("README", &format!("{name}\n"));
        remote.push("main");
        remote
    }
}

/// One bare remote and the scratch clone that feeds it.
pub struct Remote {
    pub bare: PathBuf,
    pub work: PathBuf,
}

impl Remote {
    pub fn url(&self) -> String {
        self.bare.to_string_lossy().into_owned()
    }

    /// Writes a file and commits it on the current scratch branch; returns the commit.
    pub fn commit(&self, file: &str, content: &str) -> String {
        let path = self.work.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, content).unwrap();
        git(&self.work, &["add", "-A"]);
        git(
            &self.work,
            &["commit", "-q", "-m", &format!("change {file}")],
        );
        self.head()
    }

    pub fn head(&self) -> String {
        git(&self.work, &["rev-parse", "HEAD"])
    }

    pub fn push(&self, refspec: &str) {
        git(&self.work, &["push", "-q", "--force", "origin", refspec]);
    }

    pub fn checkout_new_branch(&self, branch: &str) {
        git(&self.work, &["checkout", "-q", "-b", branch]);
    }

    pub fn checkout(&self, branch: &str) {
        git(&self.work, &["checkout", "-q", branch]);
    }

    pub fn tag(&self, tag: &str) {
        git(&self.work, &["tag", "-a", "-m", tag, tag]);
        git(&self.work, &["push", "-q", "origin", tag]);
    }
}

/// Writes `file` in a clone and commits it there (local work of the user's).
pub fn commit_locally(clone: &Path, file: &str, content: &str) -> String {
    std::fs::write(clone.join(file), content).unwrap();
    git(clone, &["add", file]);
    git(
        clone,
        &["commit", "-q", "-m", &format!("local change to {file}")],
    );
    git(clone, &["rev-parse", "HEAD"])
}

/// What a clone looks like: branch (or None when detached) and commit.
pub fn head_of(repo: &Path) -> (Option<String>, String) {
    let commit = git(repo, &["rev-parse", "HEAD"]);
    let branch = Command::new("git")
        .args(["symbolic-ref", "-q", "--short", "HEAD"])
        .current_dir(repo)
        .output()
        .expect("git symbolic-ref");
    let branch = String::from_utf8_lossy(&branch.stdout).trim().to_string();
    ((!branch.is_empty()).then_some(branch), commit)
}
