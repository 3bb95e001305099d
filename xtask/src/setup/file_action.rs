//! The file work of a [`FileAction`] (init's folders, copies, modes and
//! owners): modes and owners on the entry itself, never through a link;
//! copies that never overwrite unless a backup was kept first. The
//! interpreter calls [`check_inside`] and [`apply`] for each
//! [`crate::plan::Step::File`]; a step's command is the interpreter's.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::config::env_root::Escape;
use crate::config::EnvRoot;
use crate::plan::{FileAction, Place};
use crate::repos::layout::write_new_file;
use crate::setup::file_attributes::{self, AttributeError};

/// Why a file action stopped; each reads `PATH: why`.
#[derive(Debug, thiserror::Error)]
pub enum FileActionError {
    #[error("{shown}: {source}")]
    Io {
        shown: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{shown}: {source}")]
    Attribute {
        shown: String,
        #[source]
        source: AttributeError,
    },
    #[error("there is no user `{0}`")]
    NoUser(String),
    #[error("there is no group `{0}`")]
    NoGroup(String),
    #[error("{0}: appeared while init ran; not overwritten")]
    AppearedInstead(String),
    #[error("{0}: appeared while init ran")]
    Appeared(String),
    #[error("{shown} {why}")]
    Outside {
        shown: String,
        #[source]
        why: Escape,
    },
    #[error("cannot resolve the environment root {root}: {source}")]
    Root {
        root: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(place: &Place) -> impl FnOnce(std::io::Error) -> FileActionError + '_ {
    move |source| FileActionError::Io {
        shown: place.shown.clone(),
        source,
    }
}

/// Whether `place` is still inside `root` now that earlier actions and
/// steps have changed the disk (a step may have made a link on the way,
/// or the entry itself a link): every link followed.
pub fn check_inside(root: &Path, place: &Place) -> Result<(), FileActionError> {
    let env_root = EnvRoot::new(root).map_err(|source| FileActionError::Root {
        root: root.display().to_string(),
        source,
    })?;
    env_root
        .contains(&place.path)
        .map(|_| ())
        .map_err(|why| FileActionError::Outside {
            shown: place.shown.clone(),
            why,
        })
}

/// Does the file work of one action; a step's command is the interpreter's.
pub fn apply(action: &FileAction) -> Result<(), FileActionError> {
    match action {
        FileAction::CreateFolder { path, mode } => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            if let Some(mode) = mode {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(*mode);
            }
            builder.create(&path.path).map_err(io(path))
        }
        FileAction::SetMode { path, mode } => {
            file_attributes::set_mode(&path.path, *mode).map_err(|source| {
                FileActionError::Attribute {
                    shown: path.shown.clone(),
                    source,
                }
            })
        }
        FileAction::Chown {
            path,
            owner,
            as_root: true,
        } => {
            let (user, group) = match owner.split_once(':') {
                Some((user, group)) => (user, group),
                None => (owner.as_str(), ""),
            };
            let user = (!user.is_empty())
                .then(|| user_id(user).ok_or_else(|| FileActionError::NoUser(user.into())))
                .transpose()?;
            let group = (!group.is_empty())
                .then(|| group_id(group).ok_or_else(|| FileActionError::NoGroup(group.into())))
                .transpose()?;
            file_attributes::set_owner(&path.path, user, group).map_err(|source| {
                FileActionError::Attribute {
                    shown: path.shown.clone(),
                    source,
                }
            })
        }
        FileAction::Copy {
            from,
            to,
            mode,
            backup,
        } => copy(from, to, *mode, backup.as_ref()),
        FileAction::MoveAside { path, backup } => {
            if backup.path.symlink_metadata().is_ok() {
                return Err(FileActionError::Appeared(backup.shown.clone()));
            }
            std::fs::rename(&path.path, &backup.path).map_err(io(path))
        }
        FileAction::Chown { as_root: false, .. }
        | FileAction::Produce { .. }
        | FileAction::Kept { .. }
        | FileAction::Done(_) => Ok(()),
    }
}

/// Copies `from` to `to`, never over a file unless it was kept as `backup` first.
fn copy(
    from: &Place,
    to: &Place,
    mode: u32,
    backup: Option<&Place>,
) -> Result<(), FileActionError> {
    let bytes = std::fs::read(&from.path).map_err(io(from))?;
    if let Some(folder) = to.path.parent() {
        std::fs::create_dir_all(folder).map_err(io(to))?;
    }
    let Some(backup) = backup else {
        return write_new_file(&to.path, &bytes, mode).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => FileActionError::AppearedInstead(to.shown.clone()),
            _ => io(to)(e),
        });
    };
    let old = std::fs::read(&to.path).map_err(io(to))?;
    let old_mode = std::fs::metadata(&to.path)
        .map(|m| m.permissions().mode() & 0o7777)
        .map_err(io(to))?;
    write_new_file(&backup.path, &old, old_mode).map_err(io(backup))?;
    let text = String::from_utf8_lossy(&bytes);
    crate::atomic_file::write_with_mode(&to.path, &text, mode).map_err(io(to))
}

/// The id of a user named by name or number.
pub fn user_id(name: &str) -> Option<u32> {
    if let Ok(id) = name.parse() {
        return Some(id);
    }
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam reads the passwd database; the result is copied at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    // SAFETY: a non-null result points to a valid passwd record.
    (!entry.is_null()).then(|| unsafe { (*entry).pw_uid })
}

/// The id of a group named by name or number.
pub fn group_id(name: &str) -> Option<u32> {
    if let Ok(id) = name.parse() {
        return Some(id);
    }
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam reads the group database; the result is copied at once.
    let entry = unsafe { libc::getgrnam(name.as_ptr()) };
    // SAFETY: a non-null result points to a valid group record.
    (!entry.is_null()).then(|| unsafe { (*entry).gr_gid })
}
