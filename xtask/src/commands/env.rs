//! `xtask env`: which environment is active, and why.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Show the active environment (development, testing, ...) and where that choice came from
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask env
  cargo xtask --env testing env --json")]
pub struct EnvArgs {}

impl EnvArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("env"))
    }
}
