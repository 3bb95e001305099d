//! The mark a worktree environment carries (`.xtask/worktree.json`, written
//! by `worktree add`): its name, the original's base project name and the
//! original's root. Its compose projects are named after the original's,
//! never after its own folder, so that two worktrees never share one.

use std::path::{Path, PathBuf};

/// Where the mark lives, relative to the environment root.
pub const MARKER_FILE: &str = ".xtask/worktree.json";

/// What a worktree environment knows of itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct WorktreeMarker {
    /// The worktree's name (`worktree add NAME`).
    pub name: String,
    /// The original's base compose project name.
    pub base: String,
    /// The original environment's root.
    pub origin: PathBuf,
    /// The port `debug SERVICE` listens on here when `--port` says none,
    /// by service (chosen by `worktree add`, free of the original's).
    #[serde(default)]
    pub debug_ports: std::collections::BTreeMap<String, u16>,
}

impl WorktreeMarker {
    /// The mark of the environment at `root`, when it is a worktree (an
    /// unreadable mark counts as none: `worktree list` in the original names it).
    pub fn read(root: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(root.join(MARKER_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// A project name of the original turned into the worktree's own.
    pub fn project(&self, original: &str) -> String {
        format!("{original}_{}", self.name)
    }

    /// The debugger port of `service` in this worktree, if `add` chose one.
    pub fn debug_port(&self, service: &str) -> Option<u16> {
        self.debug_ports.get(service).copied()
    }
}
