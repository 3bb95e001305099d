//! `xtask update`: clone what is missing, fast-forward what exists, never lose local work.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Clone missing repos and fast-forward existing ones (never discards local work)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask update                    every repo in repos.toml
  cargo xtask update trytond portal     just these two
  cargo xtask update --group upstream   the repos labelled `group = \"upstream\"`
  cargo xtask update --locked           exactly the commits in repos.lock")]
pub struct UpdateArgs {
    /// Repos to update (default: all)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Only repos with this group label
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
    /// Parallel network operations (default: `jobs` in repos.toml)
    #[arg(short, long, value_name = "N", env = "XTASK_JOBS")]
    pub jobs: Option<usize>,
    /// Check out exactly the commits recorded in repos.lock
    #[arg(long, env = "XTASK_LOCKED")]
    pub locked: bool,
    /// Also overwrite copied example files with their examples
    #[arg(long)]
    pub reset: bool,
    /// Fail when a repo is skipped because of local changes or divergence
    #[arg(long, env = "XTASK_STRICT")]
    pub strict: bool,
    /// Which git does network work: auto, cli or git2
    #[arg(long, value_name = "TRANSPORT", env = "XTASK_TRANSPORT")]
    pub transport: Option<crate::config::Transport>,
}

impl UpdateArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("update"))
    }
}
