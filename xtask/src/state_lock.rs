//! OS file locks under the environment's `.xtask/` folder: one `update`
//! per environment, one `db rebuild` or `restore` per database. The kernel
//! releases a lock when its process ends however it ends, so a crash or
//! `kill -9` leaves no stale lock to clear by hand; the holder writes its
//! pid into the file so that a second run can name it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The folder of xtask's own state in an environment root.
pub const STATE_DIR: &str = ".xtask";

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
    /// Takes the lock at `path`, or fails at once naming `what` runs
    /// already and the holder's pid.
    pub fn try_acquire(path: &Path, what: &str) -> Result<Self, StateLockError> {
        Self::take(path, what, None::<fn(Option<&str>)>)
    }

    /// Takes the lock at `path`, waiting for the holder when there is one
    /// (after telling `on_wait` its pid).
    pub fn acquire(
        path: &Path,
        what: &str,
        on_wait: impl FnOnce(Option<&str>),
    ) -> Result<Self, StateLockError> {
        Self::take(path, what, Some(on_wait))
    }

    fn take(
        path: &Path,
        what: &str,
        wait: Option<impl FnOnce(Option<&str>)>,
    ) -> Result<Self, StateLockError> {
        let io = |source| StateLockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
            let ignore = dir.join(".gitignore");
            if dir.ends_with(STATE_DIR) && !ignore.exists() {
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
                let holder = read_holder(&mut file);
                let Some(on_wait) = wait else {
                    return Err(StateLockError::Busy {
                        what: what.to_string(),
                        holder,
                    });
                };
                on_wait(holder.as_deref());
                file.lock().map_err(io)?;
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}

/// The pid the holder wrote, if it wrote one.
fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let pid = text.trim();
    (!pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit())).then(|| pid.to_string())
}
