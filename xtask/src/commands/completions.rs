//! `xtask completions SHELL`: completion scripts that know the project's tasks and services.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Print a shell completion script (includes the project's tasks and services)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask completions bash > ~/.local/share/bash-completion/completions/cargo-xtask
  cargo xtask completions zsh > ~/.zfunc/_cargo-xtask")]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl CompletionsArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("completions"))
    }
}
