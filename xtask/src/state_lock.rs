//! An OS file lock held for the rest of a plan (`Step::Lock`): one
//! `db rebuild` or `restore` of a database at a time. As with the update
//! lock, the kernel releases it when the process ends however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use crate::repos::update_lock::read_holder;

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Why the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum StateLockError {
    #[error("{what} is already running{}; nothing was changed", .holder.as_deref().map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    Busy {
        what: String,
        holder: Option<String>,
    },
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StateLock {
    /// Takes the lock at `path` (its folder is made), or fails at once
    /// naming `what` runs already and the holder's pid.
    pub fn try_acquire(path: &Path, what: &str) -> Result<Self, StateLockError> {
        let io = |source| StateLockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
            let ignore = dir.join(".gitignore");
            if dir.ends_with(crate::repos::update_lock::STATE_DIR) && !ignore.exists() {
                // The folder ignores itself: nothing to add to the team's .gitignore.
                std::fs::write(&ignore, "*\n").map_err(io)?;
            }
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StateLockError::Busy {
                    what: what.to_string(),
                    holder: read_holder(&mut file),
                })
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}
