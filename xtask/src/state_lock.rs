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

/// Makes `dir` (xtask's own folder) ignore itself in git with a
/// `.gitignore` of `*`, so nothing needs adding to the team's. Only ever a
/// new file: an existing entry, a link included, is left as it is and
/// never written through.
pub fn ignore_itself(dir: &Path) -> std::io::Result<()> {
    let ignore = dir.join(".gitignore");
    if ignore.symlink_metadata().is_ok() {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&ignore)
    {
        Ok(mut file) => file.write_all(b"*\n"),
        // Made by a run beside this one.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

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
            if dir.ends_with(STATE_DIR) {
                ignore_itself(dir).map_err(io)?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_folder_ignores_itself_but_never_writes_through_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "mine\n").expect("write");
        let state = dir.path().join(".xtask");
        std::fs::create_dir(&state).expect("mkdir");
        std::os::unix::fs::symlink(&outside, state.join(".gitignore")).expect("symlink");
        super::ignore_itself(&state).expect("ignore_itself");
        assert_eq!(std::fs::read_to_string(&outside).expect("read"), "mine\n");
        // A dangling link: following it would create the file it names.
        let dangling = dir.path().join("elsewhere");
        let other = dir.path().join(".xtask2");
        std::fs::create_dir(&other).expect("mkdir");
        std::os::unix::fs::symlink(&dangling, other.join(".gitignore")).expect("symlink");
        super::ignore_itself(&other).expect("ignore_itself");
        assert!(!dangling.exists(), "written through a dangling link");

        let fresh = dir.path().join("fresh");
        std::fs::create_dir(&fresh).expect("mkdir");
        super::ignore_itself(&fresh).expect("ignore_itself");
        super::ignore_itself(&fresh).expect("twice");
        assert_eq!(
            std::fs::read_to_string(fresh.join(".gitignore")).expect("read"),
            "*\n"
        );
    }
}
