//! `xtask diff`: how each copied example file differs from its example.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Show how each copied file (e.g. .env) differs from its example
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask diff
  cargo xtask diff .env")]
pub struct DiffArgs {
    /// Copied files to compare (default: all `[[copy]]` targets)
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
}

impl DiffArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("diff"))
    }
}
