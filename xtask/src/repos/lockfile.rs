//! `repos.lock`: the exact commit of every repo, written by `lock` and read
//! by `update --locked`. Written atomically (temp file, then rename).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigErrors, Diagnostic, SourceFile};

pub const LOCK_FILE: &str = "repos.lock";

const HEADER: &str = "# Written by `cargo xtask lock`. `cargo xtask update --locked` checks out exactly these commits.\n\n";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    #[serde(default, rename = "repo")]
    pub repos: Vec<LockedRepo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedRepo {
    pub name: String,
    /// The url without credentials: never a password or token in a file.
    pub url: String,
    pub rev: String,
}

impl Lockfile {
    pub fn read(root: &Path) -> Result<Option<Self>, ConfigErrors> {
        let path = root.join(LOCK_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let source = SourceFile::read(&path, LOCK_FILE)
            .map_err(|e| Diagnostic::whole_file(LOCK_FILE, format!("cannot read: {e}")))?;
        let lock: Lockfile = toml::from_str(&source.text).map_err(|e| {
            let diagnostic = match e.span() {
                Some(span) => Diagnostic::at(&source, span, e.message().trim_end()),
                None => Diagnostic::whole_file(LOCK_FILE, e.message().trim_end()),
            };
            diagnostic.help("regenerate it with `cargo xtask lock`")
        })?;
        Ok(Some(lock))
    }

    pub fn revs(&self) -> BTreeMap<&str, &str> {
        self.repos
            .iter()
            .map(|r| (r.name.as_str(), r.rev.as_str()))
            .collect()
    }

    /// Writes the lock file next to tasks.toml, atomically.
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        write_atomically(&root.join(LOCK_FILE), &format!("{HEADER}{text}"))
    }
}

/// Writes `text` to a temporary file beside `path`, syncs it, and renames it
/// over `path`, so readers see the old file or the new one, never half.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomically_with_mode(path, text, 0o644)
}

/// [`write_atomically`] with the file's permission bits.
pub fn write_atomically_with_mode(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
