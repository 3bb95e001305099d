//! `test [SERVICE...]`: each service's test suite in its container in the
//! testing environment's own compose project, from a fresh copy of a test
//! database template, suites side by side, a table of timed phases at the
//! end with the tests counted from JUnit XML.

use std::path::PathBuf;

use crate::commands::stack::{down_volumes_plan, refuse_shared_mounts};
use crate::commands::Context;
use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::{wants_tty, ComposeProject};
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};
use crate::testing::ownership::{
    is_testing_environment, lock_test_databases, Ownership, OwnershipInputs,
};
use crate::testing::run_builder::{self, TestOptions, TestRunInputs};
use crate::testing::test_config::{RunnerOptions, TestConfig};

/// Run services' test suites in the testing environment's containers
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask test                       every service with [services.NAME.test]
  cargo xtask test portal --path tests/test_views.py -k front_page
  cargo xtask test portal --pdb          stop in pdb on a failure; type at its prompt
  cargo xtask test --keep                leave the stack up: the next run only execs
  cargo xtask test --down                tear the testing project down (volumes too)
  cargo xtask --env development test --ci   the stack is stopped only if this run started it;
                                         volumes that were there before are kept
  cargo xtask test --ci --junit results  build, no TTY, JUnit XML in results/, tear down
  cargo xtask test portal -- -x          arguments after -- go to the runner
  cargo xtask --dry-run test portal      every command, nothing run
The global -q (--quiet) also makes the runner quiet; --jobs bounds the suites run at once.")]
pub struct TestArgs {
    /// The services whose suites run; default: all with a test configuration
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Run only this file or folder (passed as the service's `path` says)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Stop in the debugger on a failure, with the terminal (one suite at a time)
    #[arg(long)]
    pub pdb: bool,
    /// Run only the tests this expression selects (pytest's -k)
    #[arg(short = 'k', value_name = "EXPR")]
    pub select: Option<String>,
    /// Also run each service's lint command
    #[arg(long)]
    pub lint: bool,
    /// Rebuild the images and recreate the database templates first
    #[arg(long)]
    pub build: bool,
    /// Leave the test stack up, so that the next run only execs into it
    #[arg(long, conflicts_with_all = ["down", "ci"])]
    pub keep: bool,
    /// Only tear the testing project down (containers, networks, volumes) and exit;
    /// in an environment that is not a testing one, asks first (as `down --volumes`)
    #[arg(long)]
    pub down: bool,
    /// With --down in a protected environment: the compose project's name,
    /// typed in advance (`--yes` alone is not enough there)
    #[arg(long, value_name = "PROJECT", requires = "down")]
    pub confirm: Option<String>,
    /// For CI: no prompts, colour or TTY; build first; JUnit XML collected
    /// (in test-results/ unless --junit); torn down after
    #[arg(long, conflicts_with = "pdb")]
    pub ci: bool,
    /// Copy each service's JUnit XML to DIR/<service>.xml
    #[arg(long, value_name = "DIR")]
    pub junit: Option<PathBuf>,
    /// Arguments for the runner, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// The environment the tests run in: the one typed with `--env`, else
/// `testing` when defined, else the active one. (`XTASK_ENV`, which a
/// developer may keep set to `development`, does not move the tests there.)
fn test_environment(ctx: &Context) -> Result<ActiveEnvironment> {
    if ctx.global.environment.is_some() && !ctx.global.environment_from_env_var {
        return ctx.environment();
    }
    if ctx.workspace()?.tasks.environment("testing").is_some() {
        return ctx.environment_named(Some("testing"));
    }
    ctx.environment()
}

impl TestArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        // The runner takes the path as an argument: `-rf` would be read as
        // its options, not as a file.
        if let Some(path) = self.path.as_deref().filter(|p| p.starts_with('-')) {
            return Err(Error::usage_with_help(
                format!(
                    "--path `{}` would reach the runner as an option",
                    crate::ui::sanitize_for_terminal(path)
                ),
                format!(
                    "write it as ./{}, or pass runner options after `--`",
                    crate::ui::sanitize_for_terminal(path)
                ),
            ));
        }
        let environment = test_environment(ctx)?;
        ctx.require_variables(&environment)?;
        let project = ctx.compose_for(&environment)?;
        let tasks = &ctx.workspace()?.tasks;
        let others = tasks
            .environments
            .keys()
            .filter_map(|name| ctx.environment_named(Some(name.get_ref())).ok())
            .chain(ctx.environment_named(None).ok());
        let testing = is_testing_environment(&environment, others);
        if self.down {
            return self.down(ctx, &environment, &project, testing);
        }
        let configs = TestConfig::select(tasks, &self.services)?;
        // Two projects' servers on one data directory corrupt it: checked
        // before anything starts (in a dry run too, as a read-only look);
        // a testing project's against every environment's, running or not.
        refuse_shared_mounts(ctx, &environment, &project, testing)?;
        // Two runs at once would drop and swap each other's test database
        // mid-suite: the second waits, on the lock `db rebuild` takes too.
        let _locks = if ctx.global.dry_run {
            Vec::new()
        } else {
            lock_test_databases(&ctx.workspace()?.root, &project.name, &configs, &ctx.ui)?
        };
        if self.ci {
            // A CI log shows escape codes as they are.
            console::set_colors_enabled(false);
            console::set_colors_enabled_stderr(false);
        }
        // Looked at before anything starts: what was there is not ours.
        let require_engine = || ctx.require_engine();
        let ownership = Ownership::of(
            &OwnershipInputs {
                environment: &environment,
                project: &project.name,
                testing,
                protected: ctx.is_protected(&environment)?,
                ci: self.ci,
                dry_run: ctx.global.dry_run,
            },
            &require_engine,
        )?;
        let inputs = TestRunInputs {
            workspace: ctx.workspace()?,
            environment: &environment,
            project: &project,
            configs: &configs,
            ownership: &ownership,
            dry_run: ctx.global.dry_run,
        };
        let plan = run_builder::plan(&inputs, &self.options(ctx), &require_engine)?;
        if !ctx.global.dry_run {
            // `test | head`: the suites still run, the stack is still torn
            // down, and the exit code still says whether they passed.
            crate::ui::keep_working_if_stdout_closes();
            if self.pdb && !wants_tty() {
                ctx.ui
                    .warn("--pdb without a terminal: the debugger's prompt cannot be typed into");
            }
        }
        let mut run = Plan::new();
        run.push(Step::Tests(Box::new(plan)));
        ctx.execute(&run)
    }

    /// `--down`: the test stack torn down, volumes too (asking first where
    /// the run does not own them).
    fn down(
        &self,
        ctx: &Context,
        environment: &ActiveEnvironment,
        project: &ComposeProject,
        testing: bool,
    ) -> Result<()> {
        let plan = if testing && !ctx.is_protected(environment)? {
            let mut plan = Plan::new();
            plan.run(project.command(["down", "--volumes", "--remove-orphans"]));
            ctx.require_engine()?;
            plan
        } else {
            down_volumes_plan(
                ctx,
                environment,
                project,
                (!testing).then_some("not a testing project"),
                self.confirm.as_deref(),
            )?
        };
        ctx.execute(&plan)?;
        if !ctx.global.dry_run {
            ctx.ui.status(
                "Removed",
                format!("the test stack (project {})", project.name),
            );
        }
        Ok(())
    }

    /// The options of the run, from the flags.
    fn options(&self, ctx: &Context) -> TestOptions {
        TestOptions {
            build: self.build,
            ci: self.ci,
            keep: self.keep,
            lint: self.lint,
            junit: self.junit.clone(),
            jobs: ctx.global.jobs,
            runner: RunnerOptions {
                path: self.path.clone(),
                pdb: self.pdb,
                select: self.select.clone(),
                quiet: ctx.global.quiet,
                args: self.args.clone(),
            },
        }
    }
}
