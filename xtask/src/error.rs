//! The error every command returns, and the one mapping from errors to exit
//! codes: 0 success, 1 failure, 2 bad usage or configuration, a child's own
//! code when a child failed, 128 + N when signal N ended it.

use crate::config;
use crate::exec::ExecError;
use crate::ui::PromptError;

/// Exit code for bad usage or invalid configuration.
pub const USAGE: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration could not be found, read or validated.
    #[error(transparent)]
    Config(#[from] config::Error),
    /// The command line asks for something that cannot be done.
    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },
    /// A child process failed; its own output already said why.
    #[error("`{command}` exited with code {code}")]
    Child { command: String, code: i32 },
    /// The user declined a confirmation: nothing ran.
    #[error("cancelled: nothing was run")]
    Declined,
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// Anything else, with its context chain.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            help: None,
        }
    }

    pub fn usage_with_help(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            help: Some(help.into()),
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_)
            | Error::Usage { .. }
            | Error::Prompt(PromptError::NoTerminal { .. }) => USAGE,
            Error::Child { code, .. } => *code,
            Error::Declined => 1,
            Error::Exec(error) => error.exit_code(),
            _ => 1,
        }
    }

    /// The messages to show, each after its own `error: `.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::Config(config::Error::Invalid(errors)) => {
                let mut messages: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                if messages.len() > 1 {
                    messages.push(format!("{} problems in the configuration", messages.len()));
                }
                messages
            }
            other => vec![other.render()],
        }
    }

    /// The text shown after `error: `, with hints on following lines.
    pub fn render(&self) -> String {
        match self {
            Error::Config(config::Error::Invalid(errors)) => errors.to_string(),
            Error::Config(error @ config::Error::NoRoot { .. }) => format!(
                "{error}\n  = help: run xtask inside an environment, pass -C DIR, or create an empty tasks.toml to start one"
            ),
            Error::Usage {
                message,
                help: Some(help),
            } => format!("{message}\n  = help: {help}"),
            Error::Other(error) => {
                let mut text = error.to_string();
                for cause in error.chain().skip(1) {
                    text.push_str(&format!("\n  caused by: {cause}"));
                }
                text
            }
            other => other.to_string(),
        }
    }
}
