//! `cargo xtask TASK [ARGS...]`: plan the task and its dependencies, confirm,
//! then run (or print the plan with --dry-run).

use std::path::PathBuf;

use crate::commands::Context;
use crate::compose::project::wants_tty;
use crate::compose::service_step::ServiceStep;
use crate::error::{Error, Result};
use crate::plan::CommandStep;
use crate::suggest::closest;
use crate::tasks::catalog;
use crate::tasks::task_plan::{self, StepMaker};
use crate::ui::sanitize_for_terminal;

/// Makes built-in and in-container steps for the task planner.
struct ContextSteps<'a> {
    ctx: &'a Context,
    exe: String,
    root: PathBuf,
    builtins: Vec<String>,
}

impl ContextSteps<'_> {
    /// The global flags a built-in child should see as typed by the user;
    /// the environment is the task's when it pins one, and none when the
    /// step names its own (`xtask:up --env testing`).
    fn forwarded_flags(&self, args: &[String], environment: Option<&str>) -> Vec<String> {
        let global = &self.ctx.global;
        let mut flags = vec!["-C".to_string(), self.root.to_string_lossy().into_owned()];
        let own = args.iter().any(|a| a == "--env" || a.starts_with("--env="));
        if let Some(environment) = environment
            .or(global.environment.as_deref())
            .filter(|_| !own)
        {
            flags.extend(["--env".into(), environment.to_string()]);
        }
        if global.yes {
            flags.push("--yes".into());
        }
        if global.quiet {
            flags.push("--quiet".into());
        }
        for _ in 0..global.verbose {
            flags.push("-v".into());
        }
        if let Some(jobs) = global.jobs {
            flags.extend(["--jobs".into(), jobs.to_string()]);
        }
        if let Some(context) = &global.context {
            flags.extend(["--context".into(), context.clone()]);
        }
        flags
    }
}

impl StepMaker for ContextSteps<'_> {
    fn is_builtin(&self, name: &str) -> bool {
        self.builtins.iter().any(|b| b == name)
    }

    fn builtin(&self, args: &[String], environment: Option<&str>) -> CommandStep {
        let mut argv = vec![self.exe.clone()];
        argv.extend(self.forwarded_flags(args, environment));
        argv.extend(args.iter().cloned());
        CommandStep::new(argv).dir(&self.root)
    }

    fn in_service(
        &self,
        service: &str,
        argv: &[String],
        env: &[(String, String)],
        environment: Option<&str>,
    ) -> Result<CommandStep> {
        let environment = self.ctx.environment_named(environment)?;
        let (project, running) = self.ctx.service_step(&environment, service)?;
        Ok(ServiceStep::new(&project, service)
            .in_environment(environment.name.as_deref())
            .env(env)
            .tty(wants_tty())
            .exec_or_run(running.is_some(), argv))
    }

    fn host_env(&self, environment: Option<&str>) -> Result<Vec<(String, String)>> {
        let environment = self.ctx.environment_named(environment)?;
        let mut variables = environment.host_variables(&self.root);
        // A task's own `docker` calls use the engine `--context` chose; an
        // empty DOCKER_HOST is unset for docker, so the context wins.
        if let Some(context) = &self.ctx.global.context {
            variables.push(("DOCKER_CONTEXT".into(), context.clone()));
            variables.push(("DOCKER_HOST".into(), String::new()));
        }
        Ok(variables)
    }
}

/// Runs the task named by `argv[0]` with the rest as its arguments.
pub fn run(argv: Vec<String>, ctx: &Context) -> Result<()> {
    let (name, rest) = argv
        .split_first()
        .ok_or_else(|| Error::usage("no task named"))?;
    let workspace = ctx.workspace()?;
    let Some(task) = catalog::resolve(&workspace.tasks, name) else {
        let builtins = crate::cli::builtin_names();
        let candidates = catalog::all_names(&workspace.tasks)
            .into_iter()
            .chain(builtins.iter().map(String::as_str));
        let message = format!("no task or command `{}`", sanitize_for_terminal(name));
        return Err(match closest(name, candidates) {
            Some(close) => Error::usage_with_help(
                format!(
                    "{message}; did you mean `{}`?",
                    sanitize_for_terminal(close)
                ),
                format!("`{}` lists them all", crate::ui::invoked_as()),
            ),
            None => Error::usage_with_help(
                message,
                format!(
                    "`{}` lists the built-in commands and the project's tasks",
                    crate::ui::invoked_as()
                ),
            ),
        });
    };
    // `TASK --help` shows the help and runs nothing; after `--` it is the task's.
    if crate::tasks::arguments::asks_for_help(rest) {
        crate::commands::help::print_task_help(workspace, task);
        return Ok(());
    }
    let steps = ContextSteps {
        ctx,
        exe: std::env::current_exe()
            .map_or_else(|_| "xtask".into(), |p| p.to_string_lossy().into_owned()),
        root: workspace.root.clone(),
        builtins: crate::cli::builtin_names(),
    };
    let plan = task_plan::plan(&workspace.tasks, &workspace.root, task, rest, &steps)
        .map_err(|e| Error::usage(sanitize_for_terminal(&e.to_string())))?;
    // Counting cores reads cgroup files: only when tasks could run side by side.
    let jobs = ctx
        .global
        .jobs
        .unwrap_or_else(|| match plan.widest_level() {
            0 | 1 => 1,
            _ => std::thread::available_parallelism().map_or(2, |n| n.get()),
        });
    ctx.execute(&plan.into_plan(jobs))
}
