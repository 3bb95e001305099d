//! `xtask monitor`: cpu and memory per container.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Show cpu and memory use per container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask monitor
  cargo xtask monitor --watch")]
pub struct MonitorArgs {
    /// Refresh until interrupted
    #[arg(short, long)]
    pub watch: bool,
    /// Seconds between refreshes with --watch
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    pub interval: u64,
}

impl MonitorArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("monitor"))
    }
}
