//! `status`: each repo's pin, HEAD, distance to upstream and local changes,
//! read from disk in parallel, without the network.

use std::path::Path;

use serde::Serialize;

use crate::repos::local_state::{self, Head, MadeHere, Presence};
use crate::repos::sync::RepoJob;
use crate::ui::plural;

/// One repo's status, as printed and as `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct RepoStatus {
    pub name: String,
    pub path: String,
    pub pin: String,
    /// `missing`, `ok`, or `broken`.
    pub state: &'static str,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub detached: bool,
    pub ahead: Option<usize>,
    pub behind: Option<usize>,
    pub changed_files: usize,
    pub untracked_files: usize,
    /// Untracked entries the environment made (repos.toml's links, Python's
    /// byproducts such as `__pycache__/`): not counted as local work.
    pub generated_files: usize,
    /// Why the repo could not be read, for `broken`.
    pub problem: Option<String>,
    /// A git operation stopped half-way (`a rebase`, `a merge`, ...).
    pub in_progress: Option<String>,
}

/// `job`'s status; `made` says which untracked entries are the environment's own.
pub fn read(job: &RepoJob, made: &MadeHere) -> RepoStatus {
    let mut status = RepoStatus {
        name: job.name.clone(),
        path: job.display_path.clone(),
        pin: job.pin.to_string(),
        state: "missing",
        branch: None,
        commit: None,
        detached: false,
        ahead: None,
        behind: None,
        changed_files: 0,
        untracked_files: 0,
        generated_files: 0,
        problem: None,
        in_progress: None,
    };
    match local_state::open(Path::new(&job.path)) {
        Presence::Missing => {}
        Presence::NotARepo(why) => {
            status.state = "broken";
            status.problem = Some(format!("not a git repository: {why}"));
        }
        Presence::Repo(repo) => match local_state::inspect(&repo) {
            Ok(local) => {
                status.state = "ok";
                status.commit = local.head.oid().map(|o| o.to_string());
                match &local.head {
                    Head::Branch { name, .. } => status.branch = Some(name.clone()),
                    Head::Detached(_) => status.detached = true,
                    Head::Unborn => {}
                }
                if let Some((ahead, behind)) = local.upstream {
                    status.ahead = Some(ahead);
                    status.behind = Some(behind);
                }
                status.changed_files = local.changes.tracked;
                status.untracked_files = local.changes.untracked;
                if local.changes.untracked > 0 {
                    if let Ok((untracked, generated)) = local_state::untracked_split(&repo, made) {
                        status.untracked_files = untracked;
                        status.generated_files = generated;
                    }
                }
                status.in_progress =
                    local_state::operation_in_progress(&repo).map(|op| format!("{op} in progress"));
            }
            Err(error) => {
                status.state = "broken";
                status.problem = Some(error.message().to_string());
            }
        },
    }
    status
}

/// Reads every repo's status on a few threads, in config order.
pub fn read_all(jobs: &[RepoJob], made: &MadeHere) -> Vec<RepoStatus> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|job| read(job, made)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// `status`'s table: name, path, pin, head, upstream, changes.
pub fn status_rows(statuses: &[RepoStatus]) -> Vec<[String; 6]> {
    statuses
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.path.clone(),
                s.pin.clone(),
                head(s),
                upstream(s),
                changes(s),
            ]
        })
        .collect()
}

/// The branch and commit, or why there is none.
fn head(status: &RepoStatus) -> String {
    let commit = status
        .commit
        .as_deref()
        .map(|c| &c[..c.len().min(7)])
        .unwrap_or("");
    match (status.state, &status.branch) {
        ("missing", _) => "missing".into(),
        ("broken", _) => format!("broken: {}", status.problem.as_deref().unwrap_or("")),
        (_, Some(branch)) => format!("{branch} {commit}"),
        _ => format!("detached {commit}"),
    }
}

/// Where the branch stands against its upstream, in words.
fn upstream(status: &RepoStatus) -> String {
    match (status.ahead, status.behind) {
        (Some(0), Some(0)) => "up to date".into(),
        (Some(a), Some(0)) => format!("{a} ahead"),
        (Some(0), Some(b)) => format!("{b} behind"),
        (Some(a), Some(b)) => format!("{a} ahead, {b} behind"),
        _ => "".into(),
    }
}

/// Local changes and an operation in progress, in words.
fn changes(status: &RepoStatus) -> String {
    let files = match (status.changed_files, status.untracked_files) {
        (0, 0) => "".into(),
        (c, 0) => plural(c, "changed file", "changed files"),
        (0, u) => plural(u, "untracked file", "untracked files"),
        (c, u) => format!("{c} changed, {u} untracked"),
    };
    match (&status.in_progress, files.is_empty()) {
        (Some(operation), true) => operation.clone(),
        (Some(operation), false) => format!("{operation}; {files}"),
        (None, _) => files,
    }
}
