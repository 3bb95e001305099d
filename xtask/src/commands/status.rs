//! `xtask status`: where every repo stands, without touching the network.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Show each repo's pin, branch or commit, ahead/behind, and local changes
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask status
  cargo xtask status trytond --json")]
pub struct StatusArgs {
    /// Repos to show (default: all)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

impl StatusArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("status"))
    }
}
