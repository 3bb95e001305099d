//! The files around the repos: folders to create, links to make, example
//! files to copy. Existing files are never overwritten, except copies with
//! `--reset`, which keep the old file as `NAME.bak` (then `NAME.bak.1`, ...:
//! a backup is never overwritten). Every path is resolved inside the
//! environment root, when planning and again just before writing.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::config::repos_file::printable;
use crate::config::{text_problem, EnvRoot, Escape, ReposFile};

/// Backups tried per file before giving up (`NAME.bak`, `NAME.bak.1`, ...).
const MAX_BACKUPS: usize = 1000;

/// What one layout entry needs or got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutAction {
    CreateFolder(String),
    Link {
        path: String,
        target: String,
    },
    /// Copy the example `from` to `to`; with `backup`, `to` exists and is
    /// first copied there (a path relative to the root).
    Copy {
        from: String,
        to: String,
        backup: Option<String>,
    },
    /// `--reset` of a file that already equals its example: nothing to do.
    Unchanged {
        from: String,
        to: String,
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
                backup: None,
            } => write!(f, "copy {} to {}", printable(from), printable(to)),
            LayoutAction::Copy {
                from,
                to,
                backup: Some(backup),
            } => write!(
                f,
                "reset {} from {} (old file kept as {})",
                printable(to),
                printable(from),
                printable(backup)
            ),
            LayoutAction::Unchanged { from, to } => write!(
                f,
                "{} unchanged (same as {})",
                printable(to),
                printable(from)
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
    // Where the repositories are: a link is never made inside one that
    // is not cloned (its folder would stand in the way of the clone).
    let repo_folders: Vec<PathBuf> = repos
        .repos
        .iter()
        .filter_map(|spec| {
            root.resolve(Path::new(repos.defaults.root.get_ref()).join(spec.relative_path()))
                .ok()
        })
        .collect();
    // What this same update makes before its links: folders and copies
    // (a link to one of them, or to a folder on the way, is not dangling).
    let made_first: Vec<PathBuf> = repos
        .folders
        .iter()
        .map(|folder| folder.path.get_ref())
        .chain(repos.copies.iter().map(|copy| copy.to.get_ref()))
        .filter_map(|path| root.resolve(path).ok())
        .collect();
    for link in &repos.links {
        actions.extend(plan_link(
            &root,
            link.path.get_ref(),
            link.target.get_ref(),
            &repo_folders,
            &made_first,
        ));
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

fn plan_link(
    root: &EnvRoot,
    path: &str,
    target: &str,
    repo_folders: &[PathBuf],
    made_first: &[PathBuf],
) -> Option<LayoutAction> {
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
        // A link to nothing (its repository failed to clone, say) is not made.
        Err(_) if !wanted.exists() && !made_first.iter().any(|made| made.starts_with(&wanted)) => {
            Some(LayoutAction::Conflict(format!(
                "{shown}: not linked, its target {shown_target} does not exist"
            )))
        }
        Err(_) if inside_a_missing_clone(&entry, repo_folders) => Some(LayoutAction::Conflict(
            format!("{shown}: not linked, it lies in a repository that is not cloned"),
        )),
        Err(_) => Some(LayoutAction::Link {
            path: path.to_string(),
            target: target.to_string(),
        }),
    }
}

/// Whether `entry` lies in one of `repo_folders` that holds no clone.
fn inside_a_missing_clone(entry: &Path, repo_folders: &[PathBuf]) -> bool {
    repo_folders
        .iter()
        .any(|folder| entry.starts_with(folder) && !folder.join(".git").exists())
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
            backup: None,
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
    if std::fs::read(&dest).is_ok_and(|current| current == example) {
        return Some(LayoutAction::Unchanged {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    match next_backup(&dest) {
        Some(backup) => Some(LayoutAction::Copy {
            from: from.to_string(),
            to: to.to_string(),
            backup: Some(root.relative(&backup).to_string_lossy().into_owned()),
        }),
        None => Some(LayoutAction::Refused(format!(
            "{shown_to}: it already has {MAX_BACKUPS} backups; remove some"
        ))),
    }
}

/// The first of `NAME.bak`, `NAME.bak.1`, `NAME.bak.2`, ... beside `dest`
/// that nothing (not even a dangling link) occupies.
pub fn next_backup(dest: &Path) -> Option<PathBuf> {
    let name = dest.file_name()?.to_string_lossy().into_owned();
    (0..MAX_BACKUPS)
        .map(|n| match n {
            0 => dest.with_file_name(format!("{name}.bak")),
            n => dest.with_file_name(format!("{name}.bak.{n}")),
        })
        .find(|candidate| candidate.symlink_metadata().is_err())
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

/// Why a layout action failed or was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LayoutError {
    #[error("cannot resolve the environment root {}: {source}", root.display())]
    Root {
        root: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("{}: it {why}", printable(path))]
    Refused {
        path: String,
        #[source]
        why: Escape,
    },
    #[error("{}: its target {} {why}", printable(path), printable(target))]
    TargetRefused {
        path: String,
        target: String,
        #[source]
        why: Escape,
    },
    #[error("{}: its example {} {why}", printable(to), printable(from))]
    ExampleRefused {
        to: String,
        from: String,
        #[source]
        why: Escape,
    },
    #[error(
        "{}: its example {} is not a text file: {why}",
        printable(to),
        printable(from)
    )]
    ExampleNotText {
        to: String,
        from: String,
        why: &'static str,
    },
    #[error("{}: has no parent folder", printable(path))]
    NoParent { path: String },
    #[error("{}: {source}", printable(path))]
    Io {
        path: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Refused when planned (the plan's own words).
    #[error("{0}")]
    Planned(String),
}

/// Carries out the actions; returns how each ended, in order (an error
/// for each that failed or was refused). Paths are resolved again
/// here, as the repos just synced may have put links where the plan saw none.
pub fn apply(root: &Path, actions: &[LayoutAction]) -> Vec<Result<(), LayoutError>> {
    let root = match EnvRoot::new(root) {
        Ok(env_root) => env_root,
        Err(source) => {
            let error = LayoutError::Root {
                root: root.to_path_buf(),
                source: Arc::new(source),
            };
            return actions.iter().map(|_| Err(error.clone())).collect();
        }
    };
    actions
        .iter()
        .map(|action| apply_one(&root, action))
        .collect()
}

fn apply_one(root: &EnvRoot, action: &LayoutAction) -> Result<(), LayoutError> {
    let refused = |path: &str| {
        let path = path.to_string();
        move |why| LayoutError::Refused { path, why }
    };
    let io_error = |path: &str| {
        let path = path.to_string();
        move |e| LayoutError::Io {
            path,
            source: Arc::new(e),
        }
    };
    match action {
        LayoutAction::CreateFolder(path) => {
            let full = root.resolve(path).map_err(refused(path))?;
            std::fs::create_dir_all(full).map_err(io_error(path))
        }
        LayoutAction::Link { path, target } => {
            let entry = root.resolve_entry(path).map_err(refused(path))?;
            let wanted = root
                .resolve(target)
                .map_err(|why| LayoutError::TargetRefused {
                    path: path.clone(),
                    target: target.clone(),
                    why,
                })?;
            let folder = entry
                .parent()
                .ok_or_else(|| LayoutError::NoParent { path: path.clone() })?;
            std::fs::create_dir_all(folder).map_err(io_error(path))?;
            std::os::unix::fs::symlink(relative_target(folder, &wanted), &entry)
                .map_err(io_error(path))
        }
        LayoutAction::Copy { from, to, backup } => copy_example(root, from, to, backup.as_deref()),
        LayoutAction::Unchanged { .. } | LayoutAction::Conflict(_) => Ok(()),
        LayoutAction::Refused(why) => Err(LayoutError::Planned(why.clone())),
    }
}

/// Copies the example `from` to `to`, keeping the old `to` as `backup` first.
fn copy_example(
    root: &EnvRoot,
    from: &str,
    to: &str,
    backup: Option<&str>,
) -> Result<(), LayoutError> {
    use std::os::unix::fs::PermissionsExt;
    let io_error = |path: &str| {
        let path = path.to_string();
        move |e| LayoutError::Io {
            path,
            source: Arc::new(e),
        }
    };
    let source = root
        .resolve(from)
        .map_err(|why| LayoutError::ExampleRefused {
            to: to.to_string(),
            from: from.to_string(),
            why,
        })?;
    let dest = root.resolve(to).map_err(|why| LayoutError::Refused {
        path: to.to_string(),
        why,
    })?;
    let example = std::fs::read(&source).map_err(io_error(from))?;
    if let Some(why) = text_problem(&example) {
        return Err(LayoutError::ExampleNotText {
            to: to.to_string(),
            from: from.to_string(),
            why,
        });
    }
    let text = String::from_utf8_lossy(&example).into_owned();
    if let Some(backup) = backup {
        let backup_path = root
            .resolve_entry(backup)
            .map_err(|why| LayoutError::Refused {
                path: backup.to_string(),
                why,
            })?;
        let old = std::fs::read(&dest).map_err(io_error(to))?;
        let mode = std::fs::metadata(&dest)
            .map_err(io_error(to))?
            .permissions()
            .mode()
            & 0o7777;
        write_new_file(&backup_path, &old, mode).map_err(io_error(backup))?;
    }
    if let Some(folder) = dest.parent() {
        std::fs::create_dir_all(folder).map_err(io_error(to))?;
    }
    let mode = std::fs::metadata(&source)
        .map_err(io_error(from))?
        .permissions()
        .mode()
        & 0o7777;
    crate::atomic_file::write_with_mode(&dest, &text, mode).map_err(io_error(to))
}

/// Writes `bytes` to a temporary file beside `path`, then links it into
/// place only if nothing is at `path`: readers never see half a file, and
/// an existing file is never replaced.
pub fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
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

    #[test]
    fn backups_take_the_first_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join(".env");
        assert_eq!(next_backup(&dest), Some(dir.path().join(".env.bak")));
        std::fs::write(dir.path().join(".env.bak"), "").unwrap();
        std::os::unix::fs::symlink("/nowhere", dir.path().join(".env.bak.1")).unwrap();
        assert_eq!(next_backup(&dest), Some(dir.path().join(".env.bak.2")));
    }
}
