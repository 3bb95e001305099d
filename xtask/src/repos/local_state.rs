//! What a repository on disk looks like right now, read with libgit2 and no
//! network: where HEAD is, what changed locally, how it stands to upstream.

use std::path::Path;

use git2::{BranchType, Oid, Repository, StatusOptions};

/// Where HEAD points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    Branch {
        name: String,
        oid: Option<Oid>,
    },
    Detached(Oid),
    /// A fresh repository with no commit.
    Unborn,
}

impl Head {
    pub fn oid(&self) -> Option<Oid> {
        match self {
            Head::Branch { oid, .. } => *oid,
            Head::Detached(oid) => Some(*oid),
            Head::Unborn => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Head::Branch { name, .. } => name.clone(),
            Head::Detached(oid) => format!("detached at {}", short(*oid)),
            Head::Unborn => "no commits".into(),
        }
    }
}

/// Local changes: tracked files modified or staged, and untracked files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    pub tracked: usize,
    pub untracked: usize,
}

impl Changes {
    /// Changes to tracked files are work an update must not touch.
    pub fn has_uncommitted_work(&self) -> bool {
        self.tracked > 0
    }
}

/// A repository's state on disk.
#[derive(Debug, Clone)]
pub struct LocalState {
    pub head: Head,
    pub changes: Changes,
    /// The URL of `origin`, if any.
    pub origin_url: Option<String>,
    /// (ahead, behind) of the current branch against its upstream.
    pub upstream: Option<(usize, usize)>,
}

/// Seven hex digits, like `git log --oneline`.
pub fn short(oid: Oid) -> String {
    oid.to_string().chars().take(7).collect()
}

/// What is at `path`.
pub enum Presence {
    Missing,
    /// Something that is not a git work tree (a file, or a non-empty folder).
    NotARepo(String),
    Repo(Repository),
}

pub fn open(path: &Path) -> Presence {
    if !path.exists() {
        return Presence::Missing;
    }
    if path.is_dir()
        && path
            .read_dir()
            .map(|mut d| d.next().is_none())
            .unwrap_or(false)
    {
        return Presence::Missing;
    }
    match Repository::open(path) {
        Ok(repo) if repo.workdir().is_some_and(|w| same_dir(w, path)) => Presence::Repo(repo),
        Ok(_) => {
            Presence::NotARepo("it is inside another repository, not a clone of its own".into())
        }
        Err(error) => Presence::NotARepo(error.message().to_string()),
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Reads HEAD, local changes, origin and upstream distance.
pub fn inspect(repo: &Repository) -> Result<LocalState, git2::Error> {
    let head = head(repo)?;
    let changes = changes(repo)?;
    let origin_url = origin_url(repo);
    let upstream = match &head {
        Head::Branch {
            name,
            oid: Some(local),
        } => repo
            .find_branch(name.as_str(), BranchType::Local)
            .ok()
            .and_then(|b| b.upstream().ok())
            .and_then(|u| u.get().target())
            .and_then(|up| repo.graph_ahead_behind(*local, up).ok()),
        _ => None,
    };
    Ok(LocalState {
        head,
        changes,
        origin_url,
        upstream,
    })
}

/// The URL of `origin` as configured, if there is one. Read from the
/// repository's config rather than through libgit2's remote, which applies
/// the user's `url.<base>.insteadOf`: a clone made through a mirror keeps
/// the url of repos.toml, and is no fork.
pub fn origin_url(repo: &Repository) -> Option<String> {
    repo.config()
        .ok()
        .and_then(|config| config.get_string("remote.origin.url").ok())
}

/// Where HEAD points (no work tree scan).
pub fn head(repo: &Repository) -> Result<Head, git2::Error> {
    Ok(match repo.head() {
        Ok(reference) if repo.head_detached()? => Head::Detached(reference.peel_to_commit()?.id()),
        Ok(reference) => Head::Branch {
            name: reference.shorthand().unwrap_or("HEAD").to_string(),
            oid: reference.target(),
        },
        Err(error) if error.code() == git2::ErrorCode::UnbornBranch => {
            let name = repo
                .find_reference("HEAD")
                .ok()
                .and_then(|r| {
                    r.symbolic_target()
                        .ok()
                        .flatten()
                        .map(|t| t.trim_start_matches("refs/heads/").to_string())
                })
                .unwrap_or_default();
            if name.is_empty() {
                Head::Unborn
            } else {
                Head::Branch { name, oid: None }
            }
        }
        Err(error) => return Err(error),
    })
}

/// What counts as a local change: tracked files modified or staged, and
/// untracked files (an untracked folder as one entry), no submodules.
fn change_options() -> StatusOptions {
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true);
    options
}

/// Local changes (a scan of the work tree: only when something must move).
pub fn changes(repo: &Repository) -> Result<Changes, git2::Error> {
    let statuses = repo.statuses(Some(&mut change_options()))?;
    let mut changes = Changes::default();
    for entry in statuses.iter() {
        let status = entry.status();
        if status.is_wt_new() && !status.is_index_new() {
            changes.untracked += 1;
        } else if !status.is_ignored() {
            changes.tracked += 1;
        }
    }
    Ok(changes)
}

/// Folders and files that Python and its tools make beside the code, which
/// a repository's own ignore rules usually hide (`status` counts them apart).
const BYPRODUCT_NAMES: [&str; 3] = ["__pycache__", ".pytest_cache", ".mypy_cache"];
const BYPRODUCT_SUFFIXES: [&str; 3] = [".pyc", ".pyo", ".egg-info"];

/// The entries of a work tree that the environment made itself: the links
/// of repos.toml (absolute paths, their folders resolved), and byproducts.
#[derive(Debug, Default, Clone)]
pub struct MadeHere {
    pub links: Vec<std::path::PathBuf>,
}

impl MadeHere {
    /// Whether the untracked entry `entry` (relative to `workdir`, a folder
    /// ending in `/`) is the environment's own rather than local work.
    pub fn owns(&self, workdir: &Path, entry: &str) -> bool {
        let entry = entry.trim_end_matches('/');
        let name = entry.rsplit('/').next().unwrap_or(entry);
        if BYPRODUCT_NAMES.contains(&name)
            || BYPRODUCT_SUFFIXES
                .iter()
                .any(|suffix| name.ends_with(suffix))
        {
            return true;
        }
        let path = workdir.join(entry);
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        is_link
            && self
                .links
                .iter()
                .any(|link| *link == resolved_parent(&path))
    }
}

/// `path` with its folder resolved (links followed) but not itself.
pub fn resolved_parent(path: &Path) -> std::path::PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map_or_else(|_| path.to_path_buf(), |parent| parent.join(name)),
        _ => path.to_path_buf(),
    }
}

/// Untracked entries split into local work and the environment's own
/// (`made`): `(untracked, generated)`.
pub fn untracked_split(repo: &Repository, made: &MadeHere) -> Result<(usize, usize), git2::Error> {
    let Some(workdir) = repo.workdir() else {
        return Ok((0, 0));
    };
    let statuses = repo.statuses(Some(&mut change_options()))?;
    let (mut untracked, mut generated) = (0, 0);
    for entry in statuses.iter() {
        let status = entry.status();
        if status.is_wt_new() && !status.is_index_new() {
            let path = String::from_utf8_lossy(entry.path_bytes());
            if made.owns(workdir, &path) {
                generated += 1;
            } else {
                untracked += 1;
            }
        }
    }
    Ok((untracked, generated))
}

/// The changed files themselves, as `git status --short` shows them: a
/// two-letter code (index, work tree; `??` untracked) and the path.
pub fn changed_files(repo: &Repository) -> Result<Vec<(String, String)>, git2::Error> {
    let statuses = repo.statuses(Some(&mut change_options()))?;
    let mut files = Vec::new();
    for entry in statuses.iter() {
        let status = entry.status();
        if status.is_ignored() {
            continue;
        }
        let code = if status.is_wt_new() && !status.is_index_new() {
            "??".to_string()
        } else {
            let index = match () {
                _ if status.is_index_new() => 'A',
                _ if status.is_index_modified() => 'M',
                _ if status.is_index_deleted() => 'D',
                _ if status.is_index_renamed() => 'R',
                _ if status.is_index_typechange() => 'T',
                _ => ' ',
            };
            let tree = match () {
                _ if status.is_wt_modified() => 'M',
                _ if status.is_wt_deleted() => 'D',
                _ if status.is_wt_renamed() => 'R',
                _ if status.is_wt_typechange() => 'T',
                _ if status.is_conflicted() => 'U',
                _ => ' ',
            };
            format!("{index}{tree}")
        };
        let path = String::from_utf8_lossy(entry.path_bytes()).into_owned();
        files.push((code, path));
    }
    Ok(files)
}

/// The git operation stopped half-way in this repository (`a rebase`,
/// `a merge`, ...), if any: moving HEAD under it would lose commits.
pub fn operation_in_progress(repo: &Repository) -> Option<&'static str> {
    use git2::RepositoryState as State;
    match repo.state() {
        State::Clean => None,
        State::Merge => Some("a merge"),
        State::Revert | State::RevertSequence => Some("a revert"),
        State::CherryPick | State::CherryPickSequence => Some("a cherry-pick"),
        State::Bisect => Some("a bisect"),
        State::Rebase | State::RebaseInteractive | State::RebaseMerge => Some("a rebase"),
        State::ApplyMailbox => Some("a `git am`"),
        State::ApplyMailboxOrRebase => Some("a `git am` or rebase"),
    }
}

/// How many commits from `oid` back no branch, remote branch or tag
/// contains (0: leaving `oid` loses nothing). Counting stops at `limit`.
pub fn unreferenced_commits(
    repo: &Repository,
    oid: Oid,
    limit: usize,
) -> Result<usize, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push(oid)?;
    for glob in ["heads", "remotes", "tags"] {
        walk.hide_glob(glob)?;
    }
    let mut count = 0;
    for commit in walk {
        commit?;
        count += 1;
        if count >= limit {
            break;
        }
    }
    Ok(count)
}

/// A lock file another git process holds (or left behind) that a checkout
/// of `branch` would trip over half-way: the index, HEAD, or the branch ref.
pub fn lock_in_the_way(repo: &Repository, branch: Option<&str>) -> Option<std::path::PathBuf> {
    let mut candidates = vec![
        repo.path().join("index.lock"),
        repo.path().join("HEAD.lock"),
    ];
    if let Some(branch) = branch {
        candidates.push(
            repo.commondir()
                .join("refs/heads")
                .join(format!("{branch}.lock")),
        );
    }
    candidates.into_iter().find(|path| path.exists())
}

/// The work tree of another worktree of this repository that has `branch`
/// checked out (git refuses to check a branch out twice).
pub fn checked_out_elsewhere(repo: &Repository, branch: &str) -> Option<std::path::PathBuf> {
    let wanted = format!("refs/heads/{branch}");
    let here = repo.workdir().and_then(|w| w.canonicalize().ok());
    let mut others: Vec<Repository> = Vec::new();
    if repo.is_worktree() {
        if let Ok(main) = Repository::open(repo.commondir()) {
            others.push(main);
        }
    }
    if let Ok(names) = repo.worktrees() {
        for name in names.iter().flatten().flatten() {
            if let Ok(worktree) = repo.find_worktree(name) {
                if let Ok(other) = Repository::open_from_worktree(&worktree) {
                    others.push(other);
                }
            }
        }
    }
    others.into_iter().find_map(|other| {
        let workdir = other.workdir()?.to_path_buf();
        if workdir.canonicalize().ok() == here {
            return None;
        }
        let head = other.find_reference("HEAD").ok()?;
        (head.symbolic_target().ok().flatten() == Some(wanted.as_str())).then_some(workdir)
    })
}
