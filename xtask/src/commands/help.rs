//! Listing commands and tasks, `help NAME`, and running a task.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Show help for a built-in command or a task
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask help update
  cargo xtask help lint")]
pub struct HelpArgs {
    /// A built-in command or a task
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

impl HelpArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("help"))
    }
}

/// `cargo xtask` with no command: built-in commands and the project's tasks.
pub fn list(_ctx: &Context) -> Result<()> {
    Err(not_yet("--list"))
}

/// `cargo xtask NAME [ARGS...]` for a task NAME.
pub fn run_task(argv: Vec<String>, _ctx: &Context) -> Result<()> {
    Err(not_yet(argv.first().map_or("task", String::as_str)))
}
