//! The clap arguments of the stack commands, one struct each.

/// Start the stack (or some services)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask up -d
  cargo xtask up -d --wait db portal
  cargo xtask --env testing up -d")]
pub struct UpArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Run in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Wait until the services are running and their healthchecks pass (implies --detach)
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
  cargo xtask down --volumes     also remove named volumes (asks first: data!)
  cargo xtask down --volumes --yes   in scripts
  cargo xtask -C examples/collecting-society --env production down --volumes --confirm c3s_production
                                 a protected environment: its project's name typed")]
pub struct DownArgs {
    /// Also remove the stack's named volumes (asks first; --yes in scripts)
    #[arg(long)]
    pub volumes: bool,
    /// In a protected environment: the compose project's name, typed in
    /// advance (`--yes` alone is not enough there)
    #[arg(long, value_name = "PROJECT", requires = "volumes")]
    pub confirm: Option<String>,
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
  cargo xtask logs -f portal
  cargo xtask logs --tail 50")]
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

/// Stop services (or the stack), keeping containers and volumes; `up` starts them again
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask stop                stop the whole stack; the database keeps its data
  cargo xtask stop portal         free the portal's port for `cargo xtask run portal`
  cargo xtask up -d               start what was stopped")]
pub struct StopArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

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
  cargo xtask --env testing scale portal=2   the testing project's ports are picked by the engine")]
pub struct ScaleArgs {
    /// SERVICE=N pairs
    #[arg(value_name = "SERVICE=N", required = true)]
    pub replicas: Vec<String>,
}

/// Print the merged compose configuration of the active environment
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask config
  cargo xtask --env testing config
  cargo xtask config --show-secrets > resolved.yml    # passwords as they are")]
pub struct ConfigArgs {
    /// Print the values of secret-looking keys and URL passwords as they
    /// are, instead of `***`
    #[arg(long)]
    pub show_secrets: bool,
}
