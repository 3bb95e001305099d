//! Mode and owner changes that act on the named entry itself, never through
//! a symbolic link and never on a file that has other names (hard links):
//! `init` runs as root when owners are set, and a `chmod 0666` that followed
//! a link made by a step would change a file anywhere on the host.
//!
//! The entry is opened with `O_PATH | O_NOFOLLOW`, looked at through that
//! descriptor, and changed through it, so it cannot be swapped for a link
//! between the look and the change.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Why a mode or owner was not changed.
#[derive(Debug, thiserror::Error)]
pub enum AttributeError {
    #[error("is a symbolic link (to {0}); init never changes a mode or owner through a link")]
    Link(String),
    #[error("has {0} names (hard links): a mode or owner set on it would change the file under its other names too, which may be outside the environment; left as it is")]
    HardLinked(u64),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The entry at `path` itself, opened without following a link in its last
/// component and refused when it is a link or a file with several names.
fn open_entry(path: &Path) -> Result<File, AttributeError> {
    let entry = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let meta = entry.metadata()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "?".into());
        return Err(AttributeError::Link(target));
    }
    // Folders cannot be hard-linked; their link count is their subfolders'.
    if !meta.is_dir() && meta.nlink() > 1 {
        return Err(AttributeError::HardLinked(meta.nlink()));
    }
    Ok(entry)
}

/// `chmod MODE PATH` on the entry itself.
pub fn set_mode(path: &Path, mode: u32) -> Result<(), AttributeError> {
    use std::os::unix::fs::PermissionsExt;
    let entry = open_entry(path)?;
    let permissions = std::fs::Permissions::from_mode(mode);
    // fchmod refuses an O_PATH descriptor; its /proc name is the opened inode
    // (what glibc's fchmodat does for AT_SYMLINK_NOFOLLOW).
    let by_descriptor = format!("/proc/self/fd/{}", entry.as_raw_fd());
    match std::fs::set_permissions(&by_descriptor, permissions.clone()) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        done => return Ok(done?),
    }
    // Without /proc: the entry opened for reading, again without following
    // a link, and changed only if it is still the inode looked at.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)?;
    let (looked, now) = (entry.metadata()?, opened.metadata()?);
    if (looked.dev(), looked.ino()) != (now.dev(), now.ino()) {
        return Err(std::io::Error::other("it changed while init looked at it").into());
    }
    opened.set_permissions(permissions)?;
    Ok(())
}

/// `chown USER:GROUP PATH` on the entry itself (`None` leaves that part).
pub fn set_owner(path: &Path, user: Option<u32>, group: Option<u32>) -> Result<(), AttributeError> {
    let entry = open_entry(path)?;
    // -1 (all bits set) is chown's "leave this one as it is".
    let user = user.unwrap_or(u32::MAX);
    let group = group.unwrap_or(u32::MAX);
    // SAFETY: the descriptor is open for the whole call; the path is a
    // valid empty C string.
    let done = unsafe {
        libc::fchownat(
            entry.as_raw_fd(),
            c"".as_ptr(),
            user,
            group,
            libc::AT_EMPTY_PATH,
        )
    };
    if done != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode_of(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn modes_are_set_on_files_and_folders_but_never_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret");
        std::fs::write(&secret, "x").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();

        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        set_mode(&file, 0o640).unwrap();
        assert_eq!(mode_of(&file), 0o640);
        set_mode(dir.path(), 0o750).unwrap();
        assert_eq!(mode_of(dir.path()), 0o750);

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert!(matches!(
            set_mode(&link, 0o666),
            Err(AttributeError::Link(_))
        ));
        assert!(matches!(
            set_owner(&link, Some(65534), None),
            Err(AttributeError::Link(_))
        ));
        let outside_mode = mode_of(outside.path());
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dirlink")).unwrap();
        assert!(set_mode(&dir.path().join("dirlink"), 0o777).is_err());
        assert_eq!(mode_of(outside.path()), outside_mode);

        let hard = dir.path().join("hard");
        std::fs::hard_link(&secret, &hard).unwrap();
        assert!(matches!(
            set_mode(&hard, 0o666),
            Err(AttributeError::HardLinked(2))
        ));
        assert_eq!(mode_of(&secret), 0o600, "the outside file is untouched");
    }
}
