//! `xtask lock`: record the exact commit of every repo in repos.lock.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Write repos.lock with the exact commit of every repo
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask lock               then commit repos.lock
  cargo xtask update --locked    reproduce exactly those commits")]
pub struct LockArgs {}

impl LockArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("lock"))
    }
}
