//! The record of one checkpoint, `.xtask/checkpoints/NAME.json`: when, the
//! note, every repo's branch and commit, the database snapshot, the stored
//! `[[copy]]` files and the services' image ids. The record is written
//! last and atomically: a checkpoint exists exactly when its record does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checkpoints::CheckpointError;
use crate::repos::recorded_head::RecordedHead;

/// Where checkpoints live, under the environment root (ignored by git).
pub const CHECKPOINTS_DIR: &str = ".xtask/checkpoints";

/// The longest checkpoint name: its database snapshot's name must stay
/// within Postgres's 63 bytes.
const MAX_NAME: usize = 40;

/// One checkpoint as its record file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub name: String,
    /// UTC, `20261202T174000Z`.
    pub saved_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The environment it was saved in.
    pub environment: String,
    pub repos: Vec<RepoRecord>,
    /// The database snapshot, when there was a database to snapshot.
    pub database: Option<DatabaseRecord>,
    /// The `[[copy]]` files that existed, stored beside the record.
    pub files: Vec<StoredFile>,
    /// The image id each running service's container was made from.
    pub images: BTreeMap<String, String>,
    /// What could not be recorded, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// One repo's branch and commit at save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoRecord {
    pub name: String,
    /// Relative to the environment root.
    pub path: String,
    #[serde(flatten)]
    pub head: RecordedHead,
}

/// The template database that holds the checkpoint's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseRecord {
    /// The database snapshotted.
    pub name: String,
    /// The snapshot's name (`db snapshot list` shows it).
    pub snapshot: String,
}

/// A `[[copy]]` target's content, kept in the checkpoint's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// The `[[copy]]`'s `to`, relative to the environment root.
    pub path: String,
    /// Where its content is kept, relative to [`CHECKPOINTS_DIR`].
    pub stored: String,
    /// Its permission bits.
    pub mode: u32,
}

/// Refuses a name that is not a plain word (`[A-Za-z0-9_-]`, starting
/// with a letter or digit, at most 40 bytes): it names files and a database.
pub fn check_name(name: &str) -> Result<(), CheckpointError> {
    let problem = if name.is_empty() {
        Some("it is empty")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("it must start with a letter or a digit")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        Some("only letters, digits, `_` and `-` are allowed")
    } else if name.len() > MAX_NAME {
        Some("it is longer than 40 bytes")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(CheckpointError::InvalidName {
            name: crate::ui::sanitize_for_terminal(name).into_owned(),
            problem,
        }),
    }
}

/// The folder of checkpoints under `root`.
pub fn folder(root: &Path) -> PathBuf {
    root.join(CHECKPOINTS_DIR)
}

/// The record file of checkpoint `name`.
pub fn record_path(root: &Path, name: &str) -> PathBuf {
    folder(root).join(format!("{name}.json"))
}

impl Checkpoint {
    /// Reads checkpoint `name`; `Ok(None)` when there is none.
    pub fn read(root: &Path, name: &str) -> Result<Option<Self>, CheckpointError> {
        check_name(name)?;
        let path = record_path(root, name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CheckpointError::Read { path, source }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| CheckpointError::Damaged { path, source })
    }

    /// Every checkpoint of the environment, oldest first.
    pub fn list(root: &Path) -> Result<Vec<Self>, CheckpointError> {
        let dir = folder(root);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(CheckpointError::Read { path: dir, source }),
        };
        let mut all = Vec::new();
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            // Temporary files of an atomic write start with a dot.
            let Some(name) = file_name.strip_suffix(".json") else {
                continue;
            };
            if check_name(name).is_err() {
                continue;
            }
            if let Some(checkpoint) = Self::read(root, name)? {
                all.push(checkpoint);
            }
        }
        all.sort_by(|a, b| (&a.saved_at, &a.name).cmp(&(&b.saved_at, &b.name)));
        Ok(all)
    }

    /// The record as written: pretty JSON, one trailing newline.
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        let text = serde_json::to_string_pretty(self).map_err(CheckpointError::Encode)?;
        Ok(format!("{text}\n"))
    }

    /// The folder its stored files are in, relative to [`CHECKPOINTS_DIR`].
    pub fn files_folder(&self) -> Option<&str> {
        self.files
            .first()
            .and_then(|file| file.stored.split('/').next())
    }
}
