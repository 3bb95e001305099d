//! One-container commands: run, shell, exec.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Run a service's command in a fresh container with its ports published
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask run portal                       the service's default command
  cargo xtask run portal execute --help        any command")]
pub struct RunArgs {
    /// The service (asked for on a terminal when left out)
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,
    /// The command (default: the service's `command` in tasks.toml)
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

/// Open a shell in a service's container (the running one, else a fresh one)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask shell portal
  cargo xtask --dry-run shell portal    says whether it would exec or run")]
pub struct ShellArgs {
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,
}

/// Run a command in a service's running container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask exec db psql -U postgres")]
pub struct ExecArgs {
    #[arg(value_name = "SERVICE")]
    pub service: String,
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

impl RunArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("run"))
    }
}
impl ShellArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("shell"))
    }
}
impl ExecArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("exec"))
    }
}
