//! `xtask urls`: every published port of every running container, as a URL.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// List a URL for every published port of every running container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask urls
  cargo xtask urls --json")]
pub struct UrlsArgs {}

impl UrlsArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("urls"))
    }
}
