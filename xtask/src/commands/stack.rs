//! Whole-stack compose commands: up, down, build, logs, ps, restart, scale, config.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::commands::Context;
use crate::compose::environment::ActiveEnvironment;
use crate::compose::model::ComposeModel;
use crate::compose::mounts;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::db::DbSettings;
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};

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

impl StopArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        let mut args = vec!["stop".to_string()];
        args.extend(self.services);
        run_compose(ctx, args)
    }
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
        let environment = ctx.environment()?;
        ctx.require_variables(&environment)?;
        let project = ctx.compose_for(&environment)?;
        ctx.require_engine()?;
        if !ctx.global.dry_run {
            refuse_shared_mounts(ctx, &environment, &project, false)?;
        }
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
        let environment = ctx.environment()?;
        let project = ctx.compose_for(&environment)?;
        if self.volumes {
            let plan =
                down_volumes_plan(ctx, &environment, &project, None, self.confirm.as_deref())?;
            return ctx.execute(&plan);
        }
        if !ctx.global.dry_run {
            ctx.require_engine()?;
        }
        let mut plan = Plan::new();
        plan.run(project.command(["down", "--remove-orphans"]));
        ctx.execute(&plan)
    }
}

/// `down --volumes` of `project`, after the confirmation it needs: yes/no
/// naming the volumes (`--yes` answers it), or in a protected environment
/// the project's name typed (`answer`: `--confirm NAME`). `why` is said
/// in the question (why a command that usually does not ask does).
pub fn down_volumes_plan(
    ctx: &Context,
    environment: &ActiveEnvironment,
    project: &ComposeProject,
    why: Option<&str>,
    answer: Option<&str>,
) -> Result<Plan> {
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
    let why = why.map(|why| format!(" ({why})")).unwrap_or_default();
    let mut plan = Plan::new();
    plan.push(ctx.confirm_destruction(
        environment,
        format!("Delete {which}{why}? Their data is lost"),
        &project.name,
        answer,
    )?);
    plan.run(project.command(["down", "--remove-orphans", "--volumes"]));
    Ok(plan)
}

/// Refuses, before anything starts, a project that would write a host
/// folder a running container of another project writes: a data directory
/// on either side (the `[db]` server's mounts, an image's VOLUME), or any
/// writable folder that is not a repository's source. With
/// `other_environments` (`test`), also a data directory of the `[db]`
/// server that another environment of the workspace declares, running or
/// not. Paths are compared resolved. Skipped when the engine or compose
/// cannot be asked (then nothing starts either).
pub fn refuse_shared_mounts(
    ctx: &Context,
    environment: &ActiveEnvironment,
    project: &ComposeProject,
    other_environments: bool,
) -> Result<()> {
    let workspace = ctx.workspace()?;
    let server = DbSettings::resolve(workspace, environment).server;
    let mut theirs = mounts::running_elsewhere(&project.name).unwrap_or_default();
    theirs.retain(|m| m.writable);
    // Declared data directories matter only when our server bind-mounts
    // one: read from the files first, so that a run without one asks
    // compose nothing.
    let declared = other_environments && server_binds(ctx, environment, &server)?;
    if theirs.is_empty() && !declared {
        return Ok(());
    }
    let Ok(model) = ComposeModel::merged(project) else {
        return Ok(());
    };
    let ours = model.bind_mounts();
    if ours.is_empty() {
        return Ok(());
    }
    for mount in &mut theirs {
        mount.data |= mount.service.as_deref() == Some(server.as_str());
    }
    if declared {
        theirs.extend(declared_data_mounts(ctx, project, &theirs)?);
    }
    let repos: Vec<std::path::PathBuf> = workspace
        .repos
        .repos
        .iter()
        .map(|repo| mounts::resolve(&workspace.root.join(workspace.repos.repo_path(repo))))
        .collect();
    let mut image_volumes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let shared = mounts::shared(
        &project.root,
        &ours,
        &theirs,
        |mount| {
            mount.service == server
                || mount.image.as_ref().is_some_and(|image| {
                    image_volumes
                        .entry(image.clone())
                        .or_insert_with(|| mounts::image_volumes(image))
                        .iter()
                        .any(|volume| std::path::Path::new(&mount.target).starts_with(volume))
                })
        },
        |path| repos.iter().any(|repo| mounts::overlap(path, repo)),
    );
    if shared.is_empty() {
        return Ok(());
    }
    let mut holders: Vec<String> = Vec::new();
    for holder in shared.iter().map(|s| s.theirs.holder()) {
        if !holders.contains(&holder) {
            holders.push(holder);
        }
    }
    let lines: Vec<String> = shared
        .iter()
        .map(|s| {
            format!(
                "  service `{}` would mount {} at {}{}; {}",
                s.ours.service,
                s.ours.source,
                s.ours.target,
                if std::path::Path::new(&s.ours.source) == s.resolved {
                    String::new()
                } else {
                    format!(" (that is {})", s.resolved.display())
                },
                s.theirs.describe(),
            )
        })
        .collect();
    let stop = shared
        .iter()
        .find_map(|s| s.theirs.container.as_ref().and(s.theirs.project.as_ref()));
    Err(Error::usage_with_help(
        format!(
            "project {} (environment `{}`) would share a bind-mounted folder with {}; nothing was started\n{}",
            project.name,
            environment.name.as_deref().unwrap_or("default"),
            holders.join(", "),
            lines.join("\n")
        ),
        format!(
            "{}{}",
            if shared.iter().any(|s| s.data) {
                "two servers on one data directory corrupt it: give each environment its own (a named volume, or another folder in its compose file)"
            } else {
                "two projects writing one folder overwrite each other's files: give each environment its own, or mount it read-only (`:ro`) in this one"
            },
            match stop {
                Some(other) => format!(", or stop project {other} first"),
                None => String::new(),
            }
        ),
    ))
}

/// Whether `server` bind-mounts a host path in `environment`'s compose
/// files, as our own loader reads them (no process started).
fn server_binds(ctx: &Context, environment: &ActiveEnvironment, server: &str) -> Result<bool> {
    Ok(ctx
        .files_model(environment)?
        .bind_mounts()
        .iter()
        .any(|mount| mount.service == server))
}

/// The `[db]` server's bind mounts in every other environment of the
/// workspace (another compose project, none of whose containers is in
/// `running` already), as compose resolves them.
fn declared_data_mounts(
    ctx: &Context,
    project: &ComposeProject,
    running: &[mounts::OtherMount],
) -> Result<Vec<mounts::OtherMount>> {
    let workspace = ctx.workspace()?;
    let mut seen = vec![project.name.clone()];
    seen.extend(running.iter().filter_map(|m| m.project.clone()));
    let mut found = Vec::new();
    let names = workspace
        .tasks
        .environments
        .keys()
        .map(|name| Some(name.get_ref().as_str()))
        .chain([None]);
    for name in names {
        let Ok(other) = ctx.environment_named(name) else {
            continue;
        };
        if seen.contains(&other.project) {
            continue;
        }
        seen.push(other.project.clone());
        let server = DbSettings::resolve(workspace, &other).server;
        let Ok(model) = ctx
            .compose_for(&other)
            .map_err(|_| ())
            .and_then(|p| ComposeModel::merged(&p).map_err(|_| ()))
        else {
            continue;
        };
        for mount in model
            .bind_mounts()
            .into_iter()
            .filter(|m| m.service == server)
        {
            found.push(mounts::OtherMount {
                container: None,
                project: Some(other.project.clone()),
                service: Some(mount.service),
                environment: Some(other.name.clone().unwrap_or_else(|| "default".into())),
                source: mount.source.into(),
                target: mount.target,
                writable: !mount.read_only,
                data: true,
            });
        }
    }
    Ok(found)
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
