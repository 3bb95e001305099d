//! The whole stack of an environment: the compose call behind each stack
//! command (`up`, `down`, `stop`, `logs`, ...), the readiness wait of
//! `up --wait`, the refusal of a project that would share a writable
//! host folder with another, and `run`'s taken ports and leftover one-off
//! containers.

pub mod environment_view;
pub mod one_off;
pub mod readiness;
pub mod shared_mounts;
pub mod stack_plan;

use crate::compose::state::StateError;
use crate::error::Error;

/// Why a stack command cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The engine could not be asked about the project's containers.
    #[error(transparent)]
    Engine(#[from] StateError),
    /// `up --wait` ran out of time with these containers not ready.
    #[error("gave up after {seconds} s waiting for: {}", waiting.join(", "))]
    NotReady { seconds: u64, waiting: Vec<String> },
    /// `scale` got something that is not `SERVICE=N`.
    #[error("`{0}` is not SERVICE=N")]
    NotReplicas(String),
    /// The project would write a host folder another project writes.
    #[error("{message}")]
    SharedMount { message: String, help: String },
    /// A host port `run SERVICE` would publish is already held.
    #[error("{message}")]
    PortTaken { message: String, help: String },
}

impl From<StackError> for Error {
    fn from(error: StackError) -> Self {
        match error {
            StackError::NotReplicas(_) => {
                Error::usage_with_help(error.to_string(), "for example: cargo xtask scale portal=2")
            }
            StackError::SharedMount { message, help } | StackError::PortTaken { message, help } => {
                Error::usage_with_help(message, help)
            }
            other => Error::Other(other.into()),
        }
    }
}
