//! Up-to-date checks: a task with `sources` and `outputs` is skipped when
//! every output exists and none is older than the newest source; a task
//! with `outputs` and no `sources` (a one-time step) is skipped while every
//! output exists, as make does with a target without prerequisites.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::GlobBuilder;

/// Folders never searched for sources or outputs.
const SKIPPED_DIRS: [&str; 3] = [".git", "target", "node_modules"];

/// Files under `root` matching `pattern` (relative to `root`).
pub fn expand(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    // Start at the longest folder prefix without glob characters.
    let literal: Vec<&str> = pattern
        .split('/')
        .take_while(|part| !part.contains(['*', '?', '[', '{']))
        .collect();
    let base = if literal.len() == pattern.split('/').count() {
        return if root.join(pattern).is_file() {
            vec![root.join(pattern)]
        } else {
            Vec::new()
        };
    } else {
        root.join(literal.join("/"))
    };
    let mut found = Vec::new();
    let mut stack = vec![base];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()) {
                    stack.push(path);
                }
            } else if path
                .strip_prefix(root)
                .is_ok_and(|rel| matcher.is_match(rel))
            {
                found.push(path);
            }
        }
    }
    found
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `Some(reason)` when the task can be skipped.
pub fn up_to_date(root: &Path, sources: &[String], outputs: &[String]) -> Option<String> {
    if outputs.is_empty() {
        return None;
    }
    let mut oldest_output: Option<SystemTime> = None;
    for pattern in outputs {
        let mut files = expand(root, pattern);
        // A folder named as it is counts too (`outputs = [".venv"]`).
        if files.is_empty() && root.join(pattern).is_dir() {
            files.push(root.join(pattern));
        }
        if files.is_empty() {
            return None;
        }
        for file in files {
            let time = modified(&file)?;
            oldest_output = Some(oldest_output.map_or(time, |t| t.min(time)));
        }
    }
    if sources.is_empty() {
        return Some("up to date: its outputs exist and it has no sources".to_string());
    }
    let source_files: Vec<PathBuf> = sources.iter().flat_map(|p| expand(root, p)).collect();
    if source_files.is_empty() {
        return None;
    }
    let newest_source = source_files.iter().filter_map(|f| modified(f)).max()?;
    (newest_source <= oldest_output?).then(|| {
        format!(
            "up to date: {} older than its outputs",
            crate::ui::plural(source_files.len(), "source file", "source files")
        )
    })
}
