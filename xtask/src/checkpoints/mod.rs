//! Checkpoints: named states of the environment to return to. One is a
//! record (every repo's branch and commit, a database snapshot, the
//! `[[copy]]` files' content, the services' image ids) and the plans of
//! `checkpoint save`, `restore` and `rm`, built from resolved inputs.

pub mod branch_switch;
pub mod checkpoint_plans;
pub mod record;
pub mod service_images;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Workspace;
use crate::db::error::DbError;
use crate::db::target::DbTarget;
use crate::error::Error;

/// Whether the database can be reached, and if not why.
pub enum DbAccess<'a> {
    Ready(&'a DbTarget<'a>),
    /// No `[db]`, or its server is not running: said in the record.
    Unavailable(String),
}

/// The services' image ids, or why they could not be read.
pub enum ImageIds {
    Read(BTreeMap<String, String>),
    Unavailable(String),
}

/// What the checkpoint plans work from: resolved by the command.
pub struct CheckpointInputs<'a> {
    pub workspace: &'a Workspace,
    /// The environment's name (for the record and messages).
    pub environment: String,
    /// `--env NAME ` when it was chosen with the flag, for commands we suggest.
    pub env_flag: String,
    pub database: DbAccess<'a>,
    pub images: ImageIds,
}

impl CheckpointInputs<'_> {
    pub fn root(&self) -> &Path {
        &self.workspace.root
    }
}

/// Why a checkpoint command cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint name `{name}` is not allowed: {problem}")]
    InvalidName { name: String, problem: &'static str },
    #[error("there is no checkpoint `{name}`")]
    NotFound { name: String, known: Vec<String> },
    #[error("checkpoint `{0}` exists already")]
    Exists(String),
    #[error("cannot restore checkpoint `{name}`; nothing was changed:\n{}", reasons.iter().map(|r| format!("  {r}")).collect::<Vec<_>>().join("\n"))]
    Refused { name: String, reasons: Vec<String> },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is damaged: {source}", path.display())]
    Damaged {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot encode the checkpoint's record: {0}")]
    Encode(#[source] serde_json::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<CheckpointError> for Error {
    fn from(error: CheckpointError) -> Self {
        let error = match error {
            CheckpointError::Db(db) => return db.into(),
            other => other,
        };
        let help = match &error {
            CheckpointError::InvalidName { .. } => {
                "name it with letters, digits, `_` and `-` (e.g. before-migration)".to_string()
            }
            CheckpointError::NotFound { known, .. } if known.is_empty() => {
                "there are no checkpoints yet: `cargo xtask checkpoint save NAME` makes one".into()
            }
            CheckpointError::NotFound { known, .. } => {
                format!("the checkpoints are: {}", known.join(", "))
            }
            CheckpointError::Exists(name) => {
                format!("pass --force to replace it, or `cargo xtask checkpoint rm {name}` first")
            }
            CheckpointError::Refused { .. } => {
                "fix what is named above (commit, stash, or start the stack), then restore again"
                    .into()
            }
            CheckpointError::Read { .. }
            | CheckpointError::Damaged { .. }
            | CheckpointError::Encode(_)
            | CheckpointError::Db(_) => return Error::Other(error.into()),
        };
        Error::usage_with_help(error.to_string(), help)
    }
}
