//! Whole-stack compose commands: up, down, build, logs, ps, restart, scale, config.
//! Their clap arguments are in `args.rs`; the plans come from `stack/`.

use std::time::Duration;

use crate::commands::Context;
use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::stack::readiness::wait_until_healthy;
use crate::stack::shared_mounts;
use crate::stack::stack_plan::{self, Replicas, StackCommand, UpOptions};

mod args;

pub use args::{
    BuildArgs, ConfigArgs, DownArgs, LogsArgs, PsArgs, RestartArgs, ScaleArgs, StopArgs, UpArgs,
};

fn check_services(ctx: &Context, services: &[String]) -> Result<()> {
    services.iter().try_for_each(|s| ctx.check_service(s))
}

/// Runs the plan of a stack command on the dev stack.
fn run_compose(ctx: &Context, command: StackCommand) -> Result<()> {
    let project = ctx.compose()?;
    ctx.require_engine()?;
    ctx.execute(&stack_plan::plan(&project, &command))
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
        let options = UpOptions {
            services: self.services,
            detach: self.detach,
            wait: self.wait,
            wait_timeout_seconds: self.wait_timeout,
            build: self.build,
        };
        let mut plan = stack_plan::plan(&project, &StackCommand::Up(options.clone()));
        if ctx.global.dry_run {
            return ctx.execute(&plan);
        }
        // The wait's note is for --dry-run: we poll ourselves below.
        plan.steps.truncate(1);
        ctx.execute(&plan)?;
        if stack_plan::waits_after(&project, &options) {
            wait_until_healthy(
                &ctx.ui,
                &project,
                &options.services,
                Duration::from_secs(options.wait_timeout_seconds),
            )?;
        }
        Ok(())
    }
}

impl StopArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        let services = self.services;
        run_compose(ctx, StackCommand::Stop { services })
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
        ctx.execute(&stack_plan::plan(&project, &StackCommand::Down))
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
    let tasks = &ctx.workspace()?.tasks;
    let plan = stack_plan::down_volumes_plan(tasks, environment, project, &volumes, why, answer);
    Ok(plan)
}

/// [`shared_mounts::refuse_shared_mounts`] for `project`; with
/// `other_environments`, every environment of the workspace is asked too.
pub fn refuse_shared_mounts(
    ctx: &Context,
    environment: &ActiveEnvironment,
    project: &ComposeProject,
    other_environments: bool,
) -> Result<()> {
    let workspace = ctx.workspace()?;
    let every_environment = || {
        let names = workspace.tasks.environments.keys();
        names
            .map(|name| Some(name.get_ref().as_str()))
            .chain([None])
            .filter_map(|name| ctx.environment_named(name).ok())
            .collect()
    };
    let others: Option<shared_mounts::Environments> =
        other_environments.then_some(&every_environment);
    Ok(shared_mounts::refuse_shared_mounts(
        workspace,
        environment,
        project,
        others,
    )?)
}

impl BuildArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        let (services, no_cache) = (self.services, self.no_cache);
        run_compose(ctx, StackCommand::Build { services, no_cache })
    }
}

impl LogsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        run_compose(
            ctx,
            StackCommand::Logs {
                services: self.services,
                follow: self.follow,
                tail: self.tail,
            },
        )
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
        let rows = stack_plan::ps_rows(&containers);
        crate::ui::print_table(&["SERVICE", "CONTAINER", "STATUS", "PORTS"], &rows);
        Ok(())
    }
}

impl RestartArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        check_services(ctx, &self.services)?;
        ctx.require_variables(&ctx.environment()?)?;
        let services = self.services;
        run_compose(ctx, StackCommand::Restart { services })
    }
}

impl ScaleArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        ctx.require_variables(&ctx.environment()?)?;
        let mut replicas = Vec::new();
        for pair in &self.replicas {
            let parsed = Replicas::parse(pair)?;
            ctx.check_service(&parsed.service)?;
            replicas.push(parsed);
        }
        run_compose(ctx, StackCommand::Scale { replicas })
    }
}

impl ConfigArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let show_secrets = self.show_secrets;
        run_compose(ctx, StackCommand::Config { show_secrets })
    }
}
