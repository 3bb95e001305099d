//! One `update` at a time per environment: an OS file lock on
//! `.xtask/update.lock` under the root. The kernel releases it when the
//! process ends however it ends, so a crash or `kill -9` leaves no stale
//! lock to clear by hand.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The folder of xtask's own state in an environment root.
pub const STATE_DIR: &str = ".xtask";

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct UpdateLock {
    _file: File,
}

/// Why the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another `update` is running in this environment{}; nothing was changed", holder_text(.holder))]
    Busy { holder: Option<String> },
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn holder_text(holder: &Option<String>) -> String {
    holder
        .as_deref()
        .map(|pid| format!(" (pid {pid})"))
        .unwrap_or_default()
}

impl UpdateLock {
    /// Takes the environment's update lock. When another run holds it,
    /// `wait` decides: block until it is free (after telling `on_wait` the
    /// holder's pid), or fail at once.
    pub fn acquire(
        root: &Path,
        wait: bool,
        on_wait: impl FnOnce(Option<&str>),
    ) -> Result<Self, LockError> {
        let dir = root.join(STATE_DIR);
        let path = dir.join("update.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            // The folder ignores itself: nothing to add to the team's .gitignore.
            std::fs::write(&ignore, "*\n").map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                if !wait {
                    return Err(LockError::Busy { holder });
                }
                on_wait(holder.as_deref());
                file.lock().map_err(io)?;
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        // Who holds it, for the message a second run prints.
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}

pub(crate) fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let pid = text.trim();
    (!pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit())).then(|| pid.to_string())
}
