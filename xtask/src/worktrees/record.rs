//! The record of one worktree, kept by the original environment
//! (`.xtask/worktrees/NAME.json`): written before the first change of
//! `worktree add` (so that an interrupted add can be removed) and again,
//! `complete`, after its last; removed by `worktree rm` as its last step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::worktrees::WorktreeError;

/// Where the original keeps its worktrees' records.
pub const RECORDS_FOLDER: &str = ".xtask/worktrees";

/// One git worktree `worktree add` made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    /// The original's repository (the environment root, or a repo's folder).
    pub repo: PathBuf,
    /// The git worktree made of it.
    pub path: PathBuf,
    pub branch: String,
    /// Whether `add` made the branch (then `rm` deletes it, when it held no work).
    pub created_branch: bool,
}

/// Everything `list` shows and `rm` removes of one worktree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorktreeRecord {
    pub name: String,
    /// The worktree's environment root.
    pub path: PathBuf,
    /// Its compose project (the default environment's, or `--from`'s).
    pub project: String,
    pub branch: String,
    /// The environment it was made from (`--from`), if one was named.
    pub environment: Option<String>,
    /// Host-port variables of its env file and the ports they were given.
    pub ports: BTreeMap<String, u16>,
    /// Debugger ports of its services (`debug SERVICE` in the worktree), by
    /// service: never the original's nor another worktree's.
    #[serde(default)]
    pub debug_ports: BTreeMap<String, u16>,
    /// The environment repository's worktree first, then each repo's.
    pub checkouts: Vec<Checkout>,
    /// Files `add` wrote into the worktree (copies, its mark), relative to it.
    pub written: Vec<PathBuf>,
    /// Image tags `add` gave the original's images for the new project.
    pub image_tags: Vec<String>,
    /// False until `add` finished: an interrupted add shows as incomplete.
    pub complete: bool,
}

impl WorktreeRecord {
    /// The record's file in the original at `root`.
    pub fn file(root: &Path, name: &str) -> PathBuf {
        root.join(RECORDS_FOLDER).join(format!("{name}.json"))
    }

    /// The dump `add --db copy` streams the original's database through.
    pub fn dump_file(root: &Path, name: &str) -> PathBuf {
        root.join(RECORDS_FOLDER).join(format!("{name}.dump"))
    }

    /// The record as its file holds it.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The record of `name` in the original at `root`, if there is one.
    pub fn read(root: &Path, name: &str) -> Result<Option<Self>, WorktreeError> {
        let path = Self::file(root, name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(WorktreeError::Record { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| WorktreeError::Record {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })
    }

    /// Every record in the original at `root`, by name.
    pub fn all(root: &Path) -> Result<Vec<Self>, WorktreeError> {
        let folder = root.join(RECORDS_FOLDER);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(WorktreeError::Record {
                    path: folder,
                    source,
                })
            }
        };
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".json") {
                records.extend(Self::read(root, name)?);
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }
}

/// Holds the original's worktree records for one `add` or `rm` at a time
/// (two adds at once would choose the same free ports), waiting for the
/// holder after telling `on_wait` its pid; the kernel drops it if we die.
pub fn lock(
    root: &Path,
    on_wait: impl FnOnce(Option<&str>),
) -> Result<crate::state_lock::StateLock, crate::state_lock::StateLockError> {
    let path = root.join(RECORDS_FOLDER).with_extension("lock");
    crate::state_lock::StateLock::acquire(&path, "worktree add or rm", on_wait)
}

/// Whether `name` may name a worktree: it becomes part of a folder, a
/// branch and a compose project name.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.len() <= 64
}

/// The folder of worktree `name` of the original at `root`: a sibling
/// (`<root>-wt-NAME`), which editors and tools open as a project of its own.
pub fn folder_of(root: &Path, name: &str) -> PathBuf {
    let folder = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "env".into());
    root.with_file_name(format!("{folder}-wt-{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folder_branch_and_project_safe() {
        assert!(valid_name("feature-x"));
        assert!(valid_name("a1.b_c"));
        for bad in ["", "-x", ".x", "a/b", "a b", "ü"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_folder_is_a_sibling() {
        assert_eq!(
            folder_of(Path::new("/src/shop"), "fix"),
            PathBuf::from("/src/shop-wt-fix")
        );
    }
}
