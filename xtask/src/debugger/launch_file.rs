//! `.vscode/launch.json` on disk, for `debug`: found (through a symbolic
//! link only when it leads to a file inside the environment root), read and
//! edited before anything else changes, and written back as an edit: the
//! same file (a link stays a link), its mode and owner, its line endings.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::env_root::{EnvRoot, Escape};
use crate::debugger::launch_json::{self, Edit};

/// Where launch.json is, relative to the root, as messages show it.
pub const LAUNCH_JSON: &str = ".vscode/launch.json";

/// What `debug` will do to launch.json, decided before the service is
/// recreated.
#[derive(Debug)]
pub enum LaunchUpdate {
    /// The entry is already there as it would be written.
    Unchanged,
    /// `text` goes to `target` (the file itself, links resolved).
    Write {
        target: PathBuf,
        text: String,
        /// The text it was made from (`None`: no file), to see that the
        /// file did not change meanwhile (an edit keeps its mode and owner).
        read: Option<String>,
        /// How the change is told: "created with", "gained", "updated".
        verb: &'static str,
    },
    /// The file is left as it is, for this reason.
    LeftAlone(String),
}

impl LaunchUpdate {
    /// Reads launch.json under `root` and decides how `entry` gets in.
    pub fn prepare(root: &Path, entry: &Value) -> Self {
        let target = match EnvRoot::new(root)
            .map_err(|e| e.to_string())
            .and_then(|env_root| env_root.resolve(LAUNCH_JSON).map_err(|why| leads(&why)))
        {
            Ok(target) => target,
            Err(why) => return Self::LeftAlone(why),
        };
        let text = match std::fs::read_to_string(&target) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Self::LeftAlone(format!("cannot read it: {e}")),
        };
        let edit = match &text {
            Some(text) if !text.trim().is_empty() => match launch_json::upsert(text, entry) {
                Ok(edit) => edit,
                Err(why) => return Self::LeftAlone(why.to_string()),
            },
            _ => Edit::Created(launch_json::new_file(entry)),
        };
        let read = text;
        let (text, verb) = match edit {
            Edit::Unchanged => return Self::Unchanged,
            Edit::Created(text) => (text, "created with"),
            Edit::Added(text) => (text, "gained"),
            Edit::Replaced(text) => (text, "updated"),
        };
        Self::Write {
            target,
            text,
            read,
            verb,
        }
    }

    /// Writes the file whole or not at all (nothing for the other cases),
    /// unless it changed since it was read: an edit made meanwhile is kept.
    pub fn write(&self) -> std::io::Result<()> {
        let Self::Write {
            target, text, read, ..
        } = self
        else {
            return Ok(());
        };
        let now = match std::fs::read_to_string(target) {
            Ok(now) => Some(now),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if &now != read {
            return Err(std::io::Error::other(
                "it changed while the service was recreated; not overwritten",
            ));
        }
        if read.is_some() {
            return crate::atomic_file::replace(target, text);
        }
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder)?;
        }
        crate::atomic_file::write(target, text)
    }
}

/// Why a path of launch.json is not followed, in the words of a message.
fn leads(why: &Escape) -> String {
    match why {
        Escape::Outside(to) => format!(
            "it leads outside the environment root (to {}); a link is followed only to a file inside it",
            to.display()
        ),
        other => format!("its path {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::os::unix::fs::PermissionsExt;

    fn entry() -> Value {
        json!({"name": "web: attach (xtask)", "type": "debugpy", "request": "attach"})
    }

    #[test]
    fn a_linked_file_is_edited_at_its_target_inside_and_refused_outside() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".vscode")).unwrap();
        std::fs::create_dir(root.path().join("team")).unwrap();
        std::fs::write(root.path().join("team/launch.json"), "{}\n").unwrap();
        let link = root.path().join(LAUNCH_JSON);
        std::os::unix::fs::symlink("../team/launch.json", &link).unwrap();
        let update = LaunchUpdate::prepare(root.path(), &entry());
        update.write().unwrap();
        assert!(
            link.symlink_metadata().unwrap().is_symlink(),
            "still a link"
        );
        let text = std::fs::read_to_string(root.path().join("team/launch.json")).unwrap();
        assert!(text.contains("web: attach (xtask)"), "{text}");

        std::fs::remove_file(&link).unwrap();
        let theirs = outside.path().join("launch.json");
        std::fs::write(&theirs, "{}\n").unwrap();
        std::os::unix::fs::symlink(&theirs, &link).unwrap();
        let LaunchUpdate::LeftAlone(why) = LaunchUpdate::prepare(root.path(), &entry()) else {
            panic!("followed outside")
        };
        assert!(why.contains("leads outside the environment root"), "{why}");
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "{}\n");
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let update = LaunchUpdate::prepare(root.path(), &entry());
        std::fs::create_dir(root.path().join(".vscode")).unwrap();
        std::fs::write(root.path().join(LAUNCH_JSON), "{} // mine\n").unwrap();
        assert!(update.write().is_err());
        let text = std::fs::read_to_string(root.path().join(LAUNCH_JSON)).unwrap();
        assert_eq!(text, "{} // mine\n");
    }

    #[test]
    fn an_edit_keeps_the_mode() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join(LAUNCH_JSON);
        std::fs::create_dir(root.path().join(".vscode")).unwrap();
        std::fs::write(&path, "{}\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o440)).unwrap();
        LaunchUpdate::prepare(root.path(), &entry())
            .write()
            .unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o440);
    }
}
