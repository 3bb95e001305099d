//! The files around the repos: folders to create, links to make, example
//! files to copy. Existing files are never overwritten, except copies with
//! `--reset`, which keep the old file as `NAME.bak`. Every path is resolved
//! inside the environment root, when planning and again just before writing.

use std::path::{Component, Path, PathBuf};

use crate::config::repos_file::printable;
use crate::config::{text_problem, EnvRoot, ReposFile};

/// What one layout entry needs or got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutAction {
    CreateFolder(String),
    Link {
        path: String,
        target: String,
    },
    Copy {
        from: String,
        to: String,
        reset: bool,
    },
    /// Something is in the way; left alone.
    Conflict(String),
    /// Not done, and counted as a failure: the path leads outside the
    /// environment, or the example is not text.
    Refused(String),
}

impl std::fmt::Display for LayoutAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayoutAction::CreateFolder(path) => write!(f, "create folder {}", printable(path)),
            LayoutAction::Link { path, target } => {
                write!(f, "link {} -> {}", printable(path), printable(target))
            }
            LayoutAction::Copy {
                from,
                to,
                reset: false,
            } => write!(f, "copy {} to {}", printable(from), printable(to)),
            LayoutAction::Copy {
                from,
                to,
                reset: true,
            } => write!(
                f,
                "reset {} from {} (old file kept as {}.bak)",
                printable(to),
                printable(from),
                printable(to)
            ),
            LayoutAction::Conflict(why) => write!(f, "leave {why}"),
            LayoutAction::Refused(why) => write!(f, "refuse {why}"),
        }
    }
}

/// Decides what the layout needs, looking only at the file system.
pub fn plan(root: &Path, repos: &ReposFile, reset: bool) -> Vec<LayoutAction> {
    let root = match EnvRoot::new(root) {
        Ok(root) => root,
        Err(e) => {
            return vec![LayoutAction::Refused(format!(
                "the layout: cannot resolve the environment root {}: {e}",
                root.display()
            ))]
        }
    };
    let mut actions = Vec::new();
    for folder in &repos.folders {
        actions.extend(plan_folder(&root, folder.path.get_ref()));
    }
    for link in &repos.links {
        actions.extend(plan_link(&root, link.path.get_ref(), link.target.get_ref()));
    }
    for copy in &repos.copies {
        actions.extend(plan_copy(
            &root,
            copy.from.get_ref(),
            copy.to.get_ref(),
            reset,
        ));
    }
    actions
}

fn plan_folder(root: &EnvRoot, path: &str) -> Option<LayoutAction> {
    let shown = printable(path);
    let full = match root.resolve(path) {
        Ok(full) => full,
        Err(why) => return Some(LayoutAction::Refused(format!("folder {shown}: it {why}"))),
    };
    if full.is_dir() {
        None
    } else if full.exists() {
        Some(LayoutAction::Conflict(format!(
            "{shown}: a file is where a folder should be"
        )))
    } else {
        Some(LayoutAction::CreateFolder(path.to_string()))
    }
}

fn plan_link(root: &EnvRoot, path: &str, target: &str) -> Option<LayoutAction> {
    let (shown, shown_target) = (printable(path), printable(target));
    let entry = match root.resolve_entry(path) {
        Ok(entry) => entry,
        Err(why) => return Some(LayoutAction::Refused(format!("link {shown}: it {why}"))),
    };
    let wanted = match root.resolve(target) {
        Ok(wanted) => wanted,
        Err(why) => {
            return Some(LayoutAction::Refused(format!(
                "link {shown}: its target {shown_target} {why}"
            )))
        }
    };
    match std::fs::read_link(&entry) {
        // Any link that leads to the target will do, however it is spelled.
        Ok(_) if root.resolve(path).as_ref() == Ok(&wanted) => None,
        Ok(existing) => Some(LayoutAction::Conflict(format!(
            "{shown}: a link to {} is there, not to {shown_target}",
            printable(&existing.to_string_lossy())
        ))),
        Err(_) if entry.symlink_metadata().is_ok() => Some(LayoutAction::Conflict(format!(
            "{shown}: a file or folder is in the way of the link"
        ))),
        Err(_) => Some(LayoutAction::Link {
            path: path.to_string(),
            target: target.to_string(),
        }),
    }
}

fn plan_copy(root: &EnvRoot, from: &str, to: &str, reset: bool) -> Option<LayoutAction> {
    let (shown_from, shown_to) = (printable(from), printable(to));
    let source = match root.resolve(from) {
        Ok(source) => source,
        Err(why) => {
            return Some(LayoutAction::Refused(format!(
                "{shown_to}: its example {shown_from} {why}"
            )))
        }
    };
    let dest = match root.resolve(to) {
        Ok(dest) => dest,
        Err(why) => return Some(LayoutAction::Refused(format!("{shown_to}: it {why}"))),
    };
    if !source.is_file() {
        return Some(LayoutAction::Conflict(format!(
            "{shown_to}: its example {shown_from} does not exist"
        )));
    }
    let example = match std::fs::read(&source) {
        Ok(example) => example,
        Err(e) => {
            return Some(LayoutAction::Refused(format!(
                "{shown_to}: cannot read its example {shown_from}: {e}"
            )))
        }
    };
    if let Some(why) = text_problem(&example) {
        return Some(LayoutAction::Refused(format!(
            "{shown_to}: its example {shown_from} is not a text file: {why}"
        )));
    }
    if dest.symlink_metadata().is_err() {
        return Some(LayoutAction::Copy {
            from: from.to_string(),
            to: to.to_string(),
            reset: false,
        });
    }
    if !reset {
        return None;
    }
    if dest.is_dir() {
        return Some(LayoutAction::Conflict(format!(
            "{shown_to}: a folder is where the copy of {shown_from} should be"
        )));
    }
    Some(LayoutAction::Copy {
        from: from.to_string(),
        to: to.to_string(),
        reset: true,
    })
}

/// A link's target as written into the link: relative to the link's
/// (resolved) folder, so the tree can move (and be mounted into containers)
/// as a whole. Both paths are absolute and free of links.
fn relative_target(link_folder: &Path, target: &Path) -> PathBuf {
    let from: Vec<Component> = link_folder.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for component in &to[common..] {
        relative.push(component);
    }
    relative
}

/// Carries out the actions; returns one error line per action that failed
/// or was refused. Paths are resolved again here, as the repos just synced
/// may have put links where the plan saw none.
pub fn apply(root: &Path, actions: &[LayoutAction]) -> Vec<String> {
    let root = match EnvRoot::new(root) {
        Ok(root) => root,
        Err(e) => {
            return vec![format!(
                "cannot resolve the environment root {}: {e}",
                root.display()
            )]
        }
    };
    actions
        .iter()
        .filter_map(|action| apply_one(&root, action).err())
        .collect()
}

fn apply_one(root: &EnvRoot, action: &LayoutAction) -> Result<(), String> {
    let refused = |what: &str, why: crate::config::Escape| format!("{}: it {why}", printable(what));
    let io_error = |what: &str, e: std::io::Error| format!("{}: {e}", printable(what));
    match action {
        LayoutAction::CreateFolder(path) => {
            let full = root.resolve(path).map_err(|why| refused(path, why))?;
            std::fs::create_dir_all(full).map_err(|e| io_error(path, e))
        }
        LayoutAction::Link { path, target } => {
            let entry = root.resolve_entry(path).map_err(|why| refused(path, why))?;
            let wanted = root.resolve(target).map_err(|why| {
                format!(
                    "{}: its target {} {why}",
                    printable(path),
                    printable(target)
                )
            })?;
            let folder = entry
                .parent()
                .ok_or_else(|| format!("{}: has no parent folder", printable(path)))?;
            std::fs::create_dir_all(folder).map_err(|e| io_error(path, e))?;
            std::os::unix::fs::symlink(relative_target(folder, &wanted), &entry)
                .map_err(|e| io_error(path, e))
        }
        LayoutAction::Copy { from, to, reset } => {
            use std::os::unix::fs::PermissionsExt;
            let source = root.resolve(from).map_err(|why| {
                format!("{}: its example {} {why}", printable(to), printable(from))
            })?;
            let dest = root.resolve(to).map_err(|why| refused(to, why))?;
            let example = std::fs::read(&source).map_err(|e| io_error(from, e))?;
            let text = match text_problem(&example) {
                None => String::from_utf8_lossy(&example).into_owned(),
                Some(why) => {
                    return Err(format!(
                        "{}: its example {} is not a text file: {why}",
                        printable(to),
                        printable(from)
                    ))
                }
            };
            if *reset {
                let backup = format!("{to}.bak");
                let backup_path = root
                    .resolve_entry(&backup)
                    .map_err(|why| refused(&backup, why))?;
                std::fs::copy(&dest, backup_path).map_err(|e| io_error(&backup, e))?;
            }
            if let Some(folder) = dest.parent() {
                std::fs::create_dir_all(folder).map_err(|e| io_error(to, e))?;
            }
            let mode = std::fs::metadata(&source)
                .map_err(|e| io_error(from, e))?
                .permissions()
                .mode()
                & 0o7777;
            crate::repos::lockfile::write_atomically_with_mode(&dest, &text, mode)
                .map_err(|e| io_error(to, e))
        }
        LayoutAction::Conflict(_) => Ok(()),
        LayoutAction::Refused(why) => Err(why.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_are_relative_to_the_links_folder() {
        assert_eq!(
            relative_target(Path::new("/e/shared/modules"), Path::new("/e/shared/var")),
            PathBuf::from("../var")
        );
        assert_eq!(
            relative_target(Path::new("/e/a/b/c"), Path::new("/e/x")),
            PathBuf::from("../../../x")
        );
        assert_eq!(
            relative_target(Path::new("/e"), Path::new("/e/x/y")),
            PathBuf::from("x/y")
        );
    }
}
