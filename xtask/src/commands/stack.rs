//! Whole-stack compose commands: up, down, build, logs, ps, restart, scale, config.

use std::time::{Duration, Instant};

use crate::commands::Context;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};

/// Start the stack (or some services)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask up -d
  cargo xtask up -d --wait db web
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
  cargo xtask down --volumes --yes   in scripts")]
pub struct DownArgs {
    /// Also remove the stack's named volumes (asks first; --yes in scripts)
    #[arg(long)]
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
  cargo xtask --env testing config
  cargo xtask config --show-secrets > resolved.yml    # passwords as they are")]
pub struct ConfigArgs {
    /// Print the values of secret-looking keys and URL passwords as they
    /// are, instead of `***`
    #[arg(long)]
    pub show_secrets: bool,
}

fn check_services(ctx: &Context, services: &[String]) -> Result<()> {
    services.iter().try_for_each(|s| ctx.check_service(s))
}

/// Runs a one-step compose plan on the dev stack.
fn run_compose(ctx: &Context, args: Vec<String>) -> Result<()> {
    let project = ctx.compose()?;
    ctx.require_engine()?;
    let mut plan = Plan::new();
    plan.run(project.command(args));
    ctx.execute(&plan)
}

impl UpArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        ctx.require_variables(&ctx.environment()?)?;
        let project = ctx.compose()?;
        ctx.require_engine()?;
        let mut args = vec!["up".to_string()];
        if self.detach || self.wait {
            args.push("--detach".into());
        }
        if self.build {
            args.push("--build".into());
        }
        let native_wait = self.wait && project.cli.supports_wait();
        if native_wait {
            args.extend([
                "--wait".into(),
                "--wait-timeout".into(),
                self.wait_timeout.to_string(),
            ]);
        }
        args.extend(self.services.iter().cloned());
        let mut plan = Plan::new();
        plan.run(project.command(args));
        if self.wait && !native_wait {
            plan.push(Step::Note(format!(
                "wait up to {} s until {} running and healthy (Compose {} has no --wait)",
                self.wait_timeout,
                if self.services.is_empty() {
                    "every service is".to_string()
                } else {
                    self.services.join(", ") + " are"
                },
                project.cli.version
            )));
        }
        if ctx.global.dry_run {
            return ctx.execute(&plan);
        }
        let wait_note = plan.steps.len() > 1;
        plan.steps.truncate(1);
        ctx.execute(&plan)?;
        if wait_note {
            wait_until_healthy(
                ctx,
                &project,
                &self.services,
                Duration::from_secs(self.wait_timeout),
            )?;
        }
        Ok(())
    }
}

/// Polls the project's containers until every one (of `services`) runs and
/// is healthy, failing with the laggards' names after `timeout`.
pub fn wait_until_healthy(
    ctx: &Context,
    project: &ComposeProject,
    services: &[String],
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let containers = state::containers(&project.name).map_err(|e| Error::Other(e.into()))?;
        let waiting: Vec<String> = containers
            .iter()
            .filter(|c| !c.one_off && (services.is_empty() || services.contains(&c.service)))
            .filter(|c| {
                !c.is_running()
                    || c.status.contains("(health: starting)")
                    || c.status.contains("(unhealthy)")
            })
            .map(|c| format!("{} ({})", c.name, c.status))
            .collect();
        if waiting.is_empty() {
            ctx.ui.status("Ready", format!("{} is up", project.name));
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Other(anyhow::anyhow!(
                "gave up after {} s waiting for: {}",
                timeout.as_secs(),
                waiting.join(", ")
            )));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

impl DownArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let mut args = vec!["down".to_string(), "--remove-orphans".into()];
        let project = ctx.compose()?;
        let mut plan = Plan::new();
        if self.volumes {
            args.push("--volumes".into());
            // Database volumes are the one thing `down` cannot give back.
            let volumes = if ctx.global.dry_run {
                state::volumes(&project.name).unwrap_or_default()
            } else {
                ctx.require_engine()?;
                state::volumes(&project.name).map_err(|e| Error::Other(e.into()))?
            };
            let which = if volumes.is_empty() {
                format!("the named volumes of project {}", project.name)
            } else {
                format!(
                    "the volumes {} of project {}",
                    volumes.join(", "),
                    project.name
                )
            };
            plan.push(Step::Confirm {
                question: format!("Delete {which}? Their data is lost"),
            });
        } else if !ctx.global.dry_run {
            ctx.require_engine()?;
        }
        plan.run(project.command(args));
        ctx.execute(&plan)
    }
}

impl BuildArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        let mut args = vec!["build".to_string()];
        if self.no_cache {
            args.push("--no-cache".into());
        }
        args.extend(self.services);
        run_compose(ctx, args)
    }
}

impl LogsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        let mut args = vec!["logs".to_string()];
        if self.follow {
            args.push("--follow".into());
        }
        if let Some(tail) = self.tail {
            args.extend(["--tail".into(), tail.to_string()]);
        }
        args.extend(self.services);
        run_compose(ctx, args)
    }
}

impl PsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let Some((project, containers)) = ctx.containers()? else {
            return Ok(());
        };
        if ctx.global.json {
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&containers).map_err(anyhow::Error::from)?
            );
            return Ok(());
        }
        if containers.is_empty() {
            ctx.ui.note(format!("no containers in project {project}"));
            return Ok(());
        }
        let rows: Vec<[String; 4]> = containers
            .iter()
            .map(|c| {
                let ports: Vec<String> = c
                    .ports
                    .iter()
                    .map(|p| {
                        format!(
                            "{}:{}->{}/{}",
                            p.host, p.host_port, p.container_port, p.protocol
                        )
                    })
                    .collect();
                let service = if c.one_off {
                    format!("{} (one-off)", c.service)
                } else {
                    format!("{}.{}", c.service, c.number)
                };
                [service, c.name.clone(), c.status.clone(), ports.join(", ")]
            })
            .collect();
        crate::ui::print_table(&["SERVICE", "CONTAINER", "STATUS", "PORTS"], &rows);
        Ok(())
    }
}

impl RestartArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        ctx.require_variables(&ctx.environment()?)?;
        let mut args = vec!["restart".to_string()];
        args.extend(self.services);
        run_compose(ctx, args)
    }
}

impl ScaleArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        ctx.require_variables(&ctx.environment()?)?;
        let mut args = vec!["up".to_string(), "--detach".into(), "--no-recreate".into()];
        let mut services = Vec::new();
        for pair in &self.replicas {
            let (service, count) = pair
                .split_once('=')
                .filter(|(s, n)| !s.is_empty() && n.parse::<u32>().is_ok())
                .ok_or_else(|| {
                    Error::usage_with_help(
                        format!("`{pair}` is not SERVICE=N"),
                        "for example: cargo xtask scale portal=2",
                    )
                })?;
            ctx.check_service(service)?;
            args.extend(["--scale".into(), format!("{service}={count}")]);
            services.push(service.to_string());
        }
        args.extend(services);
        run_compose(ctx, args)
    }
}

impl ConfigArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let project = ctx.compose()?;
        ctx.require_engine()?;
        let mut command = project.command(vec!["config".to_string()]);
        if !self.show_secrets {
            command.stdout = crate::plan::Output::Masked;
        }
        let mut plan = Plan::new();
        plan.run(command);
        ctx.execute(&plan)
    }
}
