//! `xtask doctor`: what is wrong with this machine or environment, and the remedy.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Check the engine, Compose, git, the config, required variables and ports
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask doctor")]
pub struct DoctorArgs {}

impl DoctorArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("doctor"))
    }
}
