//! `worktree list`: each worktree's name, folder, project, branches, state
//! and URLs, read from the records and asked of git and the engine.

use serde::Serialize;

use crate::compose::service_urls::service_urls;
use crate::compose::state;
use crate::config::TasksFile;
use crate::worktrees::git_queries;
use crate::worktrees::record::WorktreeRecord;

/// One row of the listing.
#[derive(Debug, Serialize)]
pub struct WorktreeRow {
    pub name: String,
    pub path: String,
    pub project: String,
    /// `up`, `partly up`, `down`, or `incomplete` (an interrupted add).
    pub state: String,
    /// Each checkout's folder (relative to the worktree) and its branch now.
    pub branches: Vec<(String, String)>,
    pub ports: std::collections::BTreeMap<String, u16>,
    /// The port `debug SERVICE` listens on in the worktree, by service.
    pub debug_ports: std::collections::BTreeMap<String, u16>,
    pub urls: Vec<String>,
}

/// The rows of every worktree of the original at `root`.
pub fn rows(
    root: &std::path::Path,
    tasks: &TasksFile,
) -> Result<Vec<WorktreeRow>, crate::worktrees::WorktreeError> {
    let remote = crate::compose::docker_host::engine().remote_host();
    let mut rows = Vec::new();
    for record in WorktreeRecord::all(root)? {
        let listed = state::containers(&record.project);
        let containers = listed.as_ref().map(Vec::clone).unwrap_or_default();
        let running = containers.iter().filter(|c| c.is_running()).count();
        let state = if !record.complete || !record.path.is_dir() {
            "incomplete"
        } else if listed.is_err() {
            "unknown (no engine answers)"
        } else if running == 0 {
            "down"
        } else if running < containers.len() {
            "partly up"
        } else {
            "up"
        };
        let (urls, _) = service_urls(tasks, &containers, remote.as_deref());
        let branches = record
            .checkouts
            .iter()
            .map(|c| {
                let at = c.path.strip_prefix(&record.path).unwrap_or(&c.path);
                let shown = if at.as_os_str().is_empty() {
                    ".".to_string()
                } else {
                    at.display().to_string()
                };
                let branch = git_queries::current_branch(&c.path)
                    .unwrap_or_else(|| "(missing or detached)".into());
                (shown, branch)
            })
            .collect();
        rows.push(WorktreeRow {
            name: record.name,
            path: record.path.display().to_string(),
            project: record.project,
            state: state.into(),
            branches,
            ports: record.ports,
            debug_ports: record.debug_ports,
            urls: urls.into_iter().map(|u| u.url).collect(),
        });
    }
    Ok(rows)
}
