//! Whole-stack compose commands: up, down, build, logs, ps, restart, scale, config.

use crate::commands::{not_yet, Context};
use crate::error::Result;

/// Start the stack (or some services)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask up -d
  cargo xtask up -d --wait db web")]
pub struct UpArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Run in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Wait until the services' healthchecks pass (implies --detach)
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub wait_timeout: u64,
    /// Build images before starting
    #[arg(long)]
    pub build: bool,
}

/// Stop and remove the stack's containers and networks
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask down
  cargo xtask down --volumes     also remove named volumes (data!)")]
pub struct DownArgs {
    /// Also remove the stack's named volumes
    #[arg(short, long)]
    pub volumes: bool,
}

/// Build the stack's images
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask build
  cargo xtask build portal --no-cache")]
pub struct BuildArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Build without the cache
    #[arg(long)]
    pub no_cache: bool,
}

/// Show the services' output
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask logs -f portal")]
pub struct LogsArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Keep following new output
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines of each
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
}

/// List the stack's containers
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask ps
  cargo xtask ps --json")]
pub struct PsArgs {}

/// Restart services
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask restart portal")]
pub struct RestartArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Run N replicas of services
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask scale portal=2 worker=3")]
pub struct ScaleArgs {
    /// SERVICE=N pairs
    #[arg(value_name = "SERVICE=N", required = true)]
    pub replicas: Vec<String>,
}

/// Print the merged compose configuration of the active environment
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask config
  cargo xtask --env testing config")]
pub struct ConfigArgs {}

impl UpArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("up"))
    }
}
impl DownArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("down"))
    }
}
impl BuildArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("build"))
    }
}
impl LogsArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("logs"))
    }
}
impl PsArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("ps"))
    }
}
impl RestartArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("restart"))
    }
}
impl ScaleArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("scale"))
    }
}
impl ConfigArgs {
    pub fn run(self, _ctx: &Context) -> Result<()> {
        Err(not_yet("config"))
    }
}
