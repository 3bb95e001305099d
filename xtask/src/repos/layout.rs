//! The files around the repos: folders to create, links to make, example
//! files to copy. Existing files are never overwritten, except copies with
//! `--reset`, which keep the old file as `NAME.bak`.

use std::path::Path;

use crate::config::ReposFile;

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
}

impl std::fmt::Display for LayoutAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayoutAction::CreateFolder(path) => write!(f, "create folder {path}"),
            LayoutAction::Link { path, target } => write!(f, "link {path} -> {target}"),
            LayoutAction::Copy {
                from,
                to,
                reset: false,
            } => write!(f, "copy {from} to {to}"),
            LayoutAction::Copy {
                from,
                to,
                reset: true,
            } => write!(f, "reset {to} from {from} (old file kept as {to}.bak)"),
            LayoutAction::Conflict(why) => write!(f, "leave {why}"),
        }
    }
}

/// Decides what the layout needs, looking only at the file system.
pub fn plan(root: &Path, repos: &ReposFile, reset: bool) -> Vec<LayoutAction> {
    let mut actions = Vec::new();
    for folder in &repos.folders {
        let path = folder.path.get_ref();
        let full = root.join(path);
        if full.is_file() {
            actions.push(LayoutAction::Conflict(format!(
                "{path}: a file is where a folder should be"
            )));
        } else if !full.exists() {
            actions.push(LayoutAction::CreateFolder(path.clone()));
        }
    }
    for link in &repos.links {
        let (path, target) = (link.path.get_ref(), link.target.get_ref());
        let full = root.join(path);
        let wanted = relative_target(path, target);
        match std::fs::read_link(&full) {
            Ok(existing) if existing == wanted || existing == root.join(target) => {}
            Ok(existing) => actions.push(LayoutAction::Conflict(format!(
                "{path}: a link to {} is there, not to {target}",
                existing.display()
            ))),
            Err(_) if full.exists() => actions.push(LayoutAction::Conflict(format!(
                "{path}: a file or folder is in the way of the link"
            ))),
            Err(_) => actions.push(LayoutAction::Link {
                path: path.clone(),
                target: target.clone(),
            }),
        }
    }
    for copy in &repos.copies {
        let (from, to) = (copy.from.get_ref(), copy.to.get_ref());
        if !root.join(from).is_file() {
            actions.push(LayoutAction::Conflict(format!(
                "{to}: its example {from} does not exist"
            )));
        } else if !root.join(to).exists() {
            actions.push(LayoutAction::Copy {
                from: from.clone(),
                to: to.clone(),
                reset: false,
            });
        } else if reset {
            actions.push(LayoutAction::Copy {
                from: from.clone(),
                to: to.clone(),
                reset: true,
            });
        }
    }
    actions
}

/// A link's target as written into the link: relative to the link's folder,
/// so the tree can move (and be mounted into containers) as a whole.
fn relative_target(path: &str, target: &str) -> std::path::PathBuf {
    let depth = Path::new(path).components().count().saturating_sub(1);
    let mut relative = std::path::PathBuf::new();
    for _ in 0..depth {
        relative.push("..");
    }
    relative.join(target)
}

/// Carries out the actions; returns one error line per action that failed.
pub fn apply(root: &Path, actions: &[LayoutAction]) -> Vec<String> {
    let mut errors = Vec::new();
    for action in actions {
        let result = match action {
            LayoutAction::CreateFolder(path) => {
                std::fs::create_dir_all(root.join(path)).map_err(|e| format!("{path}: {e}"))
            }
            LayoutAction::Link { path, target } => {
                let full = root.join(path);
                full.parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|_| std::os::unix::fs::symlink(relative_target(path, target), &full))
                    .map_err(|e| format!("{path}: {e}"))
            }
            LayoutAction::Copy { from, to, reset } => {
                let dest = root.join(to);
                let backup = || -> std::io::Result<()> {
                    if *reset {
                        std::fs::copy(&dest, root.join(format!("{to}.bak")))?;
                    }
                    Ok(())
                };
                backup()
                    .and_then(|_| dest.parent().map_or(Ok(()), std::fs::create_dir_all))
                    .and_then(|_| {
                        use std::os::unix::fs::PermissionsExt;
                        let mode =
                            std::fs::metadata(root.join(from))?.permissions().mode() & 0o7777;
                        let text = std::fs::read_to_string(root.join(from))?;
                        crate::repos::lockfile::write_atomically_with_mode(&dest, &text, mode)
                    })
                    .map_err(|e| format!("{to}: {e}"))
            }
            LayoutAction::Conflict(_) => Ok(()),
        };
        if let Err(error) = result {
            errors.push(error);
        }
    }
    errors
}
