//! Parallel environments: a second copy of the environment beside the
//! original (git worktrees of the environment repository and of every repo,
//! the copied files with their own project name and host ports, the images
//! shared, the database copied), listed and removed again.

pub mod add_plan;
pub mod git_queries;
pub mod listing;
pub mod port_variables;
pub mod record;
pub mod rm_plan;

use std::path::PathBuf;

/// Why a worktree cannot be added or removed; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("`{0}` is no worktree name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit")]
    BadName(String),
    #[error("`{0}` is no branch name git accepts")]
    BadBranch(String),
    #[error("the worktree `{0}` exists already (at {1})")]
    Exists(String, PathBuf),
    #[error("{0} exists already: the worktree's folder must be new")]
    FolderTaken(PathBuf),
    #[error(
        "the environment root {0} is not the top of a git repository: a worktree of it needs one"
    )]
    NotARepository(PathBuf),
    #[error("no worktree `{name}` here (known: {known})")]
    Unknown { name: String, known: String },
    #[error("{repo}: branch `{branch}` is checked out in another worktree ({at})")]
    BranchInUse {
        repo: String,
        branch: String,
        at: String,
    },
    #[error("the original's stack ({0}) is not running: its database cannot be copied")]
    OriginalDown(String),
    /// Work that removing the worktree would lose, one line per repo.
    #[error("worktree {name} holds work that removing it would lose; nothing was changed:\n  {}", .problems.join("\n  "))]
    HoldsWork { name: String, problems: Vec<String> },
    #[error(transparent)]
    NoFreePort(#[from] port_variables::NoFreePort),
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot ask the engine about {project}: {why}")]
    Engine { project: String, why: String },
    #[error("cannot read the record {path}")]
    Record {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot ask git in {dir}: {why}")]
    Git { dir: PathBuf, why: String },
}

impl WorktreeError {
    /// What to do about it.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            WorktreeError::NotARepository(_) => Some("make the environment a git repository (`git init && git add -A && git commit`), ignoring the repos folder and .env"),
            WorktreeError::Exists(..) => Some("pick another name, or remove it first: `cargo xtask worktree rm NAME`"),
            WorktreeError::FolderTaken(_) => Some("move that folder away or pick another name"),
            WorktreeError::OriginalDown(_) => Some("start it (`cargo xtask up --wait`), or add the worktree with `--db empty` or `--db none`"),
            WorktreeError::BranchInUse { .. } => Some("pick another branch with --branch"),
            WorktreeError::HoldsWork { .. } => Some("commit and push the work (or merge it into another branch), or discard it with git; then run `worktree rm` again"),
            _ => None,
        }
    }
}
