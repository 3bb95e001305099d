//! One-container commands: run, shell, exec (their steps built by
//! [`crate::compose::service_step`]).

use crate::commands::Context;
use crate::compose::project::{wants_tty, ComposeProject};
use crate::compose::service_step::{self, OneOffOptions, ServiceStep};
use crate::compose::state;
use crate::error::{Error, Result};
use crate::plan::{CommandStep, Plan, Step};
use crate::stack::one_off;

/// Run a service's command in a fresh container with its ports published
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask run portal                       the service's default command
  cargo xtask run portal pserve --help         any command
  cargo xtask run -e DEBUG=1 --no-deps portal  compose's run options, before the service
  cargo xtask run --no-ports portal pytest     beside the running portal: its ports not published
  cargo xtask --dry-run run portal             the exact docker compose call")]
pub struct RunArgs {
    #[command(flatten)]
    pub options: RunOptions,
    /// The service (asked for on a terminal when left out), then the
    /// command (default: the service's `command` in tasks.toml); everything
    /// after the service belongs to the command, as with compose
    #[arg(
        value_name = "SERVICE [CMD]",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
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
  cargo xtask exec db psql -U postgres
  cargo xtask exec portal ls /shared/src")]
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

/// Compose's own `run` options that `xtask run` passes on (before the service).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunOptions {
    /// Set a variable in the container (repeatable)
    #[arg(short = 'e', value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Do not start the services it depends on
    #[arg(long)]
    pub no_deps: bool,
    /// Run in the background; print the container's name
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Run as this user (name or uid[:gid])
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Override the image's entrypoint
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Do not publish the service's ports (beside its running container)
    #[arg(long)]
    pub no_ports: bool,
}

impl From<&RunOptions> for OneOffOptions {
    fn from(options: &RunOptions) -> Self {
        OneOffOptions {
            publish_ports: !options.no_ports,
            env: options.env.clone(),
            no_deps: options.no_deps,
            detach: options.detach,
            user: options.user.clone(),
            entrypoint: options.entrypoint.clone(),
            workdir: options.workdir.clone(),
        }
    }
}

/// `run --rm --service-ports ...` of `command` (see [`service_step::run_args`]).
fn run_args(service: &str, command: &[String], tty: bool) -> Vec<String> {
    run_args_with(&RunOptions::default(), service, command, tty)
}

/// [`run_args`] with `xtask run`'s options.
fn run_args_with(
    options: &RunOptions,
    service: &str,
    command: &[String],
    tty: bool,
) -> Vec<String> {
    service_step::run_args(&options.into(), service, command, tty)
}

/// `exec` of `command` into the running `service` (see [`ServiceStep::exec`]).
fn exec_step(
    project: &ComposeProject,
    service: &str,
    command: &[String],
    env: &[(String, String)],
    tty: bool,
) -> CommandStep {
    ServiceStep::new(project, service)
        .env(env)
        .tty(tty)
        .exec(command)
}

impl RunArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let mut words = self.words.into_iter();
        let service = ctx.service_or_choose(words.next(), "run")?;
        let given: Vec<String> = words.collect();
        ctx.require_variables(&ctx.environment()?)?;
        let project = ctx.compose()?;
        let command = if given.is_empty() {
            ctx.workspace()?
                .tasks
                .service(&service)
                .and_then(|s| s.command.as_ref())
                .map(|c| c.get_ref().to_argv())
                .unwrap_or_default()
        } else {
            given
        };
        let mut plan = Plan::new();
        plan.run(project.command(run_args_with(
            &self.options,
            &service,
            &command,
            wants_tty(),
        )));
        if ctx.global.dry_run {
            return ctx.execute(&plan);
        }
        ctx.require_engine()?;
        if !self.options.no_ports {
            let model = ctx.files_model(&ctx.environment()?)?;
            one_off::refuse_taken_ports(&model, &project, &service)?;
        }
        let before = one_off::one_offs(&project.name, &service);
        let result = ctx.execute(&plan);
        if let Err(Error::Child { code, .. }) = &result {
            if *code > 128 {
                one_off::remove_leftovers(&ctx.ui, &project, &service, &before);
            }
        }
        result
    }
}

impl ShellArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let service = ctx.service_or_choose(self.service, "open a shell in")?;
        ctx.require_variables(&ctx.environment()?)?;
        let project = ctx.compose()?;
        ctx.require_engine()?;
        let shell: Vec<String> = ctx
            .workspace()?
            .tasks
            .service(&service)
            .and_then(|s| s.shell.as_deref())
            .unwrap_or("/bin/sh")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let running =
            state::running(&project.name, &service).map_err(|e| Error::Other(e.into()))?;
        let tty = wants_tty();
        let mut plan = Plan::new();
        match running.first() {
            Some(container) => {
                plan.push(Step::Note(format!(
                    "{service} is running ({}): exec into it",
                    container.name
                )));
                plan.run(exec_step(&project, &service, &shell, &[], tty));
            }
            None => {
                plan.push(Step::Note(format!(
                    "{service} is not running: a fresh container, removed on exit"
                )));
                plan.run(project.command(run_args(&service, &shell, tty)));
            }
        }
        ctx.execute(&plan)
    }
}

impl ExecArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        ctx.check_service(&self.service)?;
        ctx.require_variables(&ctx.environment()?)?;
        let project = ctx.compose()?;
        ctx.require_engine()?;
        let mut plan = Plan::new();
        plan.run(exec_step(
            &project,
            &self.service,
            &self.command,
            &[],
            wants_tty(),
        ));
        ctx.execute(&plan)
    }
}
