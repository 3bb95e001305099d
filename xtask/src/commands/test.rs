//! `test [SERVICE...]`: each service's test suite in its container in the
//! testing environment's own compose project, from a fresh copy of a test
//! database template, suites side by side, a table of timed phases at the
//! end with the tests counted from JUnit XML.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::commands::containers::{exec_id, exec_step_passing, stop_script, EXEC_ID_VARIABLE};
use crate::commands::stack::{down_volumes_plan, refuse_shared_mounts};
use crate::commands::Context;
use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::{wants_tty, ComposeProject};
use crate::config::CommandLine;
use crate::db::{scripts, DbSettings};
use crate::error::{Error, Result};
use crate::plan::test_plan::{JunitCopy, Phase, PhaseStep, ReportRead, Suite, TestPlan};
use crate::plan::{CommandStep, Input, Plan, Step};
use crate::testing::test_config::{RunnerOptions, TestConfig};
use crate::testing::wrapper::{InlineReport, Wrapper};

/// Run services' test suites in the testing environment's containers
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask test                       every service with [services.NAME.test]
  cargo xtask test web --path tests/test_items.py -k writes
  cargo xtask test web --pdb             stop in pdb on a failure; type at its prompt
  cargo xtask test --keep                leave the stack up: the next run only execs
  cargo xtask test --down                tear the testing project down (volumes too)
  cargo xtask --env development test --ci   the stack is stopped only if this run started it;
                                         volumes that were there before are kept
  cargo xtask test --ci --junit results  build, no TTY, JUnit XML in results/, tear down
  cargo xtask test web -- -x             arguments after -- go to the runner
  cargo xtask --dry-run test web         every command, nothing run
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

/// Holds the lock of every test database of `configs` (the one `db
/// rebuild` and `restore` take), waiting for a holder and saying so.
fn lock_test_databases(
    ctx: &Context,
    project: &str,
    configs: &[TestConfig],
) -> Result<Vec<crate::state_lock::StateLock>> {
    let root = &ctx.workspace()?.root;
    let mut databases: Vec<&str> = configs
        .iter()
        .filter_map(|c| c.database.as_deref())
        .collect();
    databases.sort_unstable();
    databases.dedup();
    databases
        .into_iter()
        .map(|database| {
            let path = root
                .join(crate::state_lock::STATE_DIR)
                .join(format!("db-{project}-{database}.lock"));
            crate::state_lock::StateLock::acquire(
                &path,
                &format!("a test run that uses `{database}`"),
                |holder| {
                    ctx.ui.status(
                        "Waiting",
                        format!(
                            "for another run that uses `{database}`{}",
                            holder
                                .map(|pid| format!(" (pid {pid})"))
                                .unwrap_or_default()
                        ),
                    )
                },
            )
            .map_err(|e| Error::Other(anyhow::Error::from(e)))
        })
        .collect()
}

/// Whether `environment` is a testing environment, whose project the tests
/// own: `testing` or one inheriting from it, whose compose project no
/// other environment shares.
fn is_testing_environment(ctx: &Context, environment: &ActiveEnvironment) -> Result<bool> {
    let inherits = |env: &ActiveEnvironment| env.chain.iter().any(|name| name == "testing");
    if !inherits(environment) {
        return Ok(false);
    }
    let tasks = &ctx.workspace()?.tasks;
    let shared = tasks
        .environments
        .keys()
        .filter_map(|name| ctx.environment_named(Some(name.get_ref())).ok())
        .chain(ctx.environment_named(None).ok())
        .any(|other| !inherits(&other) && other.project == environment.project);
    Ok(!shared)
}

/// What a run may stop and delete of the project it runs in: only what
/// it owns.
struct Ownership {
    /// Its containers: a testing environment's, or a project of which no
    /// container existed before the run.
    containers: bool,
    /// Its volumes too (`--ci`): a testing environment's, or a project
    /// that had no volume before the run.
    volumes: bool,
    /// Why not, said before the run starts.
    notes: Vec<String>,
}

impl Ownership {
    /// Looks at `project` before the run. In a dry run an engine that does
    /// not answer owns nothing; otherwise its error is the run's.
    fn of(
        ctx: &Context,
        environment: &ActiveEnvironment,
        project: &str,
        testing: bool,
        ci: bool,
    ) -> Result<Self> {
        let protected = ctx.is_protected(environment)?;
        if testing {
            let mut notes = Vec::new();
            if protected && ci {
                notes.push(format!(
                    "environment `{}` is protected: the run keeps its volumes",
                    environment.name.as_deref().unwrap_or("default")
                ));
            }
            return Ok(Self {
                containers: true,
                volumes: !protected,
                notes,
            });
        }
        let listed = |result: std::result::Result<
            Vec<String>,
            crate::compose::state::StateError,
        >| match (result, ctx.global.dry_run) {
            (Ok(names), _) => Ok(Some(names)),
            (Err(_), true) => Ok(None),
            (Err(error), false) => {
                ctx.require_engine()?;
                Err(Error::Other(anyhow::Error::from(error)))
            }
        };
        let containers = listed(
            crate::compose::state::containers(project)
                .map(|list| list.into_iter().map(|c| c.name).collect()),
        )?;
        let volumes = listed(crate::compose::state::volumes(project))?;
        let name = environment.name.as_deref().unwrap_or("default");
        let mut notes = Vec::new();
        let owns_containers = containers.as_ref().is_some_and(Vec::is_empty);
        let owns_volumes =
            owns_containers && !protected && volumes.as_ref().is_some_and(Vec::is_empty);
        if containers.is_none() {
            notes.push(format!(
                "project {project} (environment `{name}`) is not a testing project and the engine does not answer: the plan takes it for one that was there before (not stopped, volumes kept)"
            ));
        } else if !owns_containers {
            notes.push(format!(
                "project {project} (environment `{name}`) is not a testing project and was there before this run: the run does not stop it or remove its volumes"
            ));
        } else if ci && !owns_volumes {
            notes.push(format!(
                "project {project} (environment `{name}`) is not a testing project: the run stops the containers it starts and keeps its volumes{}",
                match &volumes {
                    Some(names) if !names.is_empty() => format!(" ({})", names.join(", ")),
                    _ => String::new(),
                }
            ));
        }
        Ok(Self {
            containers: owns_containers,
            volumes: owns_volumes,
            notes,
        })
    }
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
        let testing = is_testing_environment(ctx, &environment)?;
        if self.down {
            let plan = if testing && !ctx.is_protected(&environment)? {
                let mut plan = Plan::new();
                plan.run(project.command(["down", "--volumes", "--remove-orphans"]));
                ctx.require_engine()?;
                plan
            } else {
                down_volumes_plan(
                    ctx,
                    &environment,
                    &project,
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
            return Ok(());
        }
        let configs = self.configs(ctx)?;
        // Two projects' servers on one data directory corrupt it: checked
        // before anything starts (in a dry run too, as a read-only look);
        // a testing project's against every environment's, running or not.
        refuse_shared_mounts(ctx, &environment, &project, testing)?;
        // Two runs at once would drop and swap each other's test database
        // mid-suite: the second waits, on the lock `db rebuild` takes too.
        let _locks = if ctx.global.dry_run {
            Vec::new()
        } else {
            lock_test_databases(ctx, &project.name, &configs)?
        };
        if self.ci {
            // A CI log shows escape codes as they are.
            console::set_colors_enabled(false);
            console::set_colors_enabled_stderr(false);
        }
        // Looked at before anything starts: what was there is not ours.
        let ownership = Ownership::of(ctx, &environment, &project.name, testing, self.ci)?;
        let plan = self.plan(ctx, &environment, &project, &configs, &ownership)?;
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

    /// The suites asked for, else every configured one.
    fn configs(&self, ctx: &Context) -> Result<Vec<TestConfig>> {
        let tasks = &ctx.workspace()?.tasks;
        let configured: Vec<(String, TestConfig)> = tasks
            .services
            .iter()
            .filter_map(|(name, service)| {
                let spec = service.test.as_ref()?;
                Some((
                    name.get_ref().clone(),
                    TestConfig::resolve(name.get_ref(), spec),
                ))
            })
            .collect();
        let names: Vec<&str> = configured.iter().map(|(n, _)| n.as_str()).collect();
        if configured.is_empty() {
            return Err(Error::usage_with_help(
                "no service has a test configuration",
                "add one to tasks.toml, e.g.\n    [services.web.test]\n    command = [\"python3\", \"-m\", \"pytest\"]\n    default_path = \"tests\"",
            ));
        }
        if self.services.is_empty() {
            return Ok(configured.into_iter().map(|(_, c)| c).collect());
        }
        let mut chosen = Vec::new();
        for name in &self.services {
            match configured.iter().find(|(n, _)| n == name) {
                Some((_, config)) => {
                    if !chosen.contains(config) {
                        chosen.push(config.clone());
                    }
                }
                None => {
                    let close = crate::suggest::closest(name, names.iter().copied())
                        .map(|c| format!("did you mean `{c}`? "))
                        .unwrap_or_default();
                    return Err(Error::usage_with_help(
                        format!(
                            "`{}` has no test configuration ([services.{0}.test] in tasks.toml)",
                            crate::ui::sanitize_for_terminal(name)
                        ),
                        format!("{close}services with tests: {}", names.join(", ")),
                    ));
                }
            }
        }
        Ok(chosen)
    }

    fn plan(
        &self,
        ctx: &Context,
        environment: &ActiveEnvironment,
        project: &ComposeProject,
        configs: &[TestConfig],
        ownership: &Ownership,
    ) -> Result<TestPlan> {
        let workspace = ctx.workspace()?;
        let db = DbSettings::resolve(workspace, environment);
        let uses_db = configs.iter().any(|c| c.database.is_some());
        let mut services: Vec<String> = Vec::new();
        for name in configs.iter().map(|c| c.container.clone()).chain(
            uses_db
                .then(|| [db.server.clone(), db.tools_service.clone()])
                .into_iter()
                .flatten(),
        ) {
            if !services.contains(&name) {
                services.push(name);
            }
        }
        let build = self.build || self.ci;
        // A kept stack is only exec'd into: no `up`, no wait.
        let kept = if ctx.global.dry_run {
            // A read-only look, so the plan shows what would really run.
            match build {
                true => None,
                false => kept_containers(&project.name, &services).ok().flatten(),
            }
        } else if build {
            ctx.require_engine()?;
            None
        } else {
            // The listing is the engine check too: only its failure is diagnosed.
            match kept_containers(&project.name, &services) {
                Ok(kept) => kept,
                Err(error) => {
                    ctx.require_engine()?;
                    return Err(error);
                }
            }
        };
        let running = kept.is_some();
        let mut notes = ownership.notes.clone();
        if let Some(ids) = &kept {
            let listed: Vec<String> = ids
                .iter()
                .map(|(service, id)| format!("{service} {}", &id[..id.len().min(12)]))
                .collect();
            notes.push(format!(
                "the test stack is up (kept): docker exec into {}",
                listed.join(", ")
            ));
        }
        let exec = match kept {
            Some(ids) => Exec::Kept(project, ids),
            None => Exec::Compose(project),
        };
        let database = TestDatabase {
            exec: &exec,
            settings: &db,
        };
        let mut prepare = Vec::new();
        if build {
            let mut args = vec!["build".to_string()];
            args.extend(services.iter().cloned());
            prepare.push(Phase::new("build").run(project.command(args)));
        }
        if !running {
            let mut args = vec!["up".to_string(), "-d".into()];
            args.extend(services.iter().cloned());
            let mut up = Phase::new("up").run(project.command(args));
            if uses_db {
                up = up.run(database.wait_until_ready());
            }
            prepare.push(up);
        }
        // A kept stack's template was made by an earlier run: checked only
        // when no spare can be renamed in (one exec fewer on every run).
        let template_ahead = build || !running;
        let mut templates: Vec<&str> = Vec::new();
        for config in configs.iter().filter(|_| template_ahead) {
            let Some(template) = config.template.as_deref() else {
                continue;
            };
            if templates.contains(&template) {
                continue;
            }
            templates.push(template);
            let spares: Vec<String> = configs
                .iter()
                .filter(|c| c.template.as_deref() == Some(template))
                .filter_map(|c| c.database.as_deref().and_then(spare_of))
                .flat_map(|names| [names.spare, names.used])
                .collect();
            let mut phase = Phase::new(format!("db template {template}"));
            phase.steps =
                database.template_steps(template, config.template_init, build, &spares)?;
            prepare.push(phase);
        }
        let mut background = Vec::new();
        for config in configs {
            let (Some(name), Some(template)) = (&config.database, &config.template) else {
                continue;
            };
            let mut copy = Vec::new();
            if !template_ahead {
                copy = database.template_steps(template, config.template_init, false, &[])?;
            }
            let mut phase = Phase::new(format!("db {}", config.name));
            match spare_of(name) {
                Some(SpareNames { spare, used }) => {
                    copy.push(PhaseStep::Run(
                        database.copy_dropping_spare(name, &spare, &used, template),
                    ));
                    phase.steps.push(PhaseStep::WhenMissing {
                        what: format!("a complete spare `{spare}` of `{template}`"),
                        check: database.swap_spare(name, &spare, &used, template),
                        steps: copy,
                        show: true,
                    });
                    // CI's tear-down removes the volume: a spare would be lost work.
                    if !self.ci && !background.iter().any(|p: &Phase| p.name.ends_with(&spare)) {
                        background.push(
                            Phase::new(format!("spare {spare}"))
                                .run(database.make_spare(&spare, &used, template)),
                        );
                    }
                }
                None => {
                    copy.push(PhaseStep::Run(database.fresh_copy(name, template)));
                    phase.steps = copy;
                }
            }
            prepare.push(phase);
        }
        let options = RunnerOptions {
            path: self.path.clone(),
            pdb: self.pdb,
            select: self.select.clone(),
            quiet: ctx.global.quiet,
            args: self.args.clone(),
        };
        let junit_dir = match (&self.junit, self.ci) {
            (Some(dir), _) => Some(std::path::absolute(dir).map_err(anyhow::Error::from)?),
            (None, true) => Some(workspace.root.join("test-results")),
            (None, false) => None,
        };
        let foreground = self.pdb || configs.len() == 1;
        let tty = !self.ci && foreground && wants_tty();
        let mut suites = Vec::new();
        for config in configs {
            suites.push(self.suite(
                config,
                environment,
                project,
                &exec,
                &database,
                &options,
                tty,
                junit_dir.as_deref(),
                &workspace.root,
            )?);
        }
        let teardown = if self.keep || !ownership.containers {
            None
        } else {
            let mut args = vec!["down".to_string(), "--remove-orphans".into()];
            // CI leaves nothing; a developer's run keeps the templates' volume.
            if self.ci && ownership.volumes {
                args.insert(1, "--volumes".into());
            }
            Some(Phase::new("down").run(project.command(args)))
        };
        Ok(TestPlan {
            notes,
            prepare,
            background,
            suites,
            teardown,
            jobs: ctx
                .global
                .jobs
                .unwrap_or(configs.len())
                .clamp(1, configs.len().max(1)),
            foreground,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn suite(
        &self,
        config: &TestConfig,
        environment: &ActiveEnvironment,
        project: &ComposeProject,
        exec: &Exec<'_>,
        database: &TestDatabase<'_>,
        options: &RunnerOptions,
        tty: bool,
        junit_dir: Option<&std::path::Path>,
        root: &std::path::Path,
    ) -> Result<Suite> {
        let mut env: Vec<(String, String)> = Vec::new();
        if let Some(name) = &environment.name {
            env.push(("ENVIRONMENT".into(), name.clone()));
        }
        if let Some(name) = &config.database {
            env.extend(database.settings.client_env(name));
        }
        let pass: Vec<String> = config
            .pass_env
            .iter()
            .filter(|name| std::env::var_os(name).is_some())
            .cloned()
            .collect();
        // Without a terminal, the runner's wrapper saves two execs: its
        // start overlaps the test database's on a kept stack, and it prints
        // the report after the run (see testing::wrapper).
        let wrapper = Wrapper {
            gate: !tty
                && matches!(exec, Exec::Kept(..))
                && config.database.is_some()
                && config.template.is_some(),
            report: (!tty && config.writes_junit())
                .then(|| InlineReport::new(&config.junit, &exec_id())),
        };
        let runner = exec.step(
            &config.container,
            &wrapper.wrap(config.runner_argv(options)),
            &env,
            &pass,
            tty,
        );
        let read = match &wrapper.report {
            Some(report) => ReportRead::Inline(report.marker.clone()),
            None => ReportRead::After(Box::new(exec.step(
                &config.container,
                &[
                    "sh".to_string(),
                    "-c".into(),
                    "cat \"$1\" && rm -f \"$1\"".into(),
                    "sh".into(),
                    config.junit.clone(),
                ],
                &[],
                &[],
                false,
            ))),
        };
        let junit = config.writes_junit().then(|| JunitCopy {
            read,
            file: junit_dir.map_or_else(
                || {
                    root.join(crate::state_lock::STATE_DIR)
                        .join("test-results")
                        .join(&project.name)
                        .join(format!("{}.xml", config.name))
                },
                |dir| dir.join(format!("{}.xml", config.name)),
            ),
        });
        let lint = match (&config.lint, self.lint) {
            (Some(argv), true) => Some(Phase::new(format!("lint {}", config.name)).run(exec.step(
                &config.container,
                argv,
                &env,
                &[],
                false,
            ))),
            _ => None,
        };
        Ok(Suite {
            name: config.name.clone(),
            tests: Phase::new(format!("tests {}", config.name)).run(runner),
            gated: wrapper.gate,
            junit,
            lint,
        })
    }
}

/// The names around the test database `database`: `spare`, a copy of its
/// template made while a run's suites run, renamed into place by the next
/// run, which renames the database it replaces to `used` (dropped while
/// its suites run).
struct SpareNames {
    spare: String,
    used: String,
}

/// `None` when a name would pass Postgres's 63 bytes (the run copies instead).
fn spare_of(database: &str) -> Option<SpareNames> {
    let names = SpareNames {
        spare: format!("{database}__spare"),
        used: format!("{database}__used"),
    };
    [&names.spare, &names.used]
        .iter()
        .all(|name| crate::config::db::identifier_problem(name).is_none())
        .then_some(names)
}

/// The running container of each of `services` in `project`, when every
/// one has one (a kept stack); `None` otherwise.
fn kept_containers(project: &str, services: &[String]) -> Result<Option<BTreeMap<String, String>>> {
    let containers = crate::compose::state::containers(project)
        .map_err(|e| Error::Other(anyhow::Error::from(e)))?;
    let mut ids = BTreeMap::new();
    for service in services {
        match containers
            .iter()
            .find(|c| !c.one_off && &c.service == service && c.is_running())
        {
            Some(container) => {
                ids.insert(service.clone(), container.id.clone());
            }
            None => return Ok(None),
        }
    }
    Ok(Some(ids))
}

/// How commands get into the stack's containers.
enum Exec<'a> {
    /// `docker compose exec`: the containers are started by the plan.
    Compose(&'a ComposeProject),
    /// `docker exec` into the kept containers the compose labels named:
    /// the same container, environment and working directory, without the
    /// 0.1 to 0.3 s compose takes to load the project on every call.
    Kept(&'a ComposeProject, BTreeMap<String, String>),
}

impl Exec<'_> {
    /// `argv` in `service`'s container, `env` set, `pass` passed by name,
    /// marked so that an interrupt stops it (see containers.rs).
    fn step(
        &self,
        service: &str,
        argv: &[String],
        env: &[(String, String)],
        pass: &[String],
        tty: bool,
    ) -> CommandStep {
        let (project, id) = match self {
            Exec::Compose(project) => {
                return exec_step_passing(project, service, argv, env, pass, tty)
            }
            Exec::Kept(project, ids) => match ids.get(service) {
                Some(id) => (project, id),
                None => return exec_step_passing(project, service, argv, env, pass, tty),
            },
        };
        let mark = exec_id();
        let mut args = vec!["docker".to_string(), "exec".into(), "-i".into()];
        if tty {
            args.push("-t".into());
        }
        for (key, value) in env {
            args.extend(["-e".into(), format!("{key}={value}")]);
        }
        for key in pass {
            args.extend(["-e".into(), key.clone()]);
        }
        args.extend(["-e".into(), format!("{EXEC_ID_VARIABLE}={mark}")]);
        args.push(id.clone());
        args.extend(argv.iter().cloned());
        let stop = CommandStep::new([
            "docker".to_string(),
            "exec".into(),
            id.clone(),
            "sh".into(),
            "-c".into(),
            stop_script(&mark),
        ]);
        CommandStep::new(args).dir(&project.root).on_interrupt(stop)
    }
}

/// The test databases of `[db]` in the testing environment: psql in the
/// tools service, the `db` commands' scripts, names as psql variables.
struct TestDatabase<'a> {
    exec: &'a Exec<'a>,
    settings: &'a DbSettings,
}

impl TestDatabase<'_> {
    /// `argv` exec'd in the tools service, the password passed by name.
    fn tool(&self, argv: Vec<String>, env: &[(String, String)]) -> CommandStep {
        let pass: Vec<String> = self
            .settings
            .password
            .iter()
            .map(|_| "PGPASSWORD".to_string())
            .collect();
        let mut step = self
            .exec
            .step(&self.settings.tools_service, &argv, env, &pass, false);
        if let Some((_, value)) = &self.settings.password {
            step.context_env.push(("PGPASSWORD".into(), value.clone()));
        }
        step
    }

    /// psql running `script` on `database`, `variables` as psql variables.
    fn script(&self, database: &str, script: String, variables: &[(&str, &str)]) -> CommandStep {
        let argv = self.settings.psql_script_argv(database, variables);
        self.tool(argv, &[]).stdin(Input::Text(script))
    }

    /// A bounded wait (60 s) for the server to accept connections.
    fn wait_until_ready(&self) -> CommandStep {
        let mut argv = vec![
            "sh".to_string(),
            "-c".into(),
            "i=0; until pg_isready -q \"$@\"; do i=$((i+1)); if [ $i -ge 120 ]; then echo \"the database server did not accept connections within 60 s\" >&2; exit 1; fi; sleep 0.5; done".into(),
            "sh".into(),
        ];
        argv.extend(self.settings.connection());
        self.tool(argv, &[])
    }

    /// A project step of `[db]` (`init`, `test`) for `database`.
    fn project_step(&self, command: &CommandLine, database: &str) -> CommandStep {
        let argv = DbSettings::project_argv(command, database);
        self.tool(argv, &self.settings.client_env(database))
    }

    /// `db template NAME`: made once (created, extensions, then, with
    /// `fill`, `[db] init` and `[db] test`, then marked complete) when no
    /// complete one is there; with `rebuild`, dropped first, and the
    /// `spares` copied from it.
    fn template_steps(
        &self,
        template: &str,
        fill: bool,
        rebuild: bool,
        spares: &[String],
    ) -> Result<Vec<PhaseStep>> {
        if let Some(problem) = crate::config::db::identifier_problem(template) {
            return Err(Error::usage(format!(
                "`{template}` is not a valid template name: {problem}"
            )));
        }
        let mut steps = Vec::new();
        if rebuild {
            for spare in spares {
                steps.push(PhaseStep::Run(self.script(
                    "postgres",
                    scripts::drop_spare(),
                    &[("spare", spare)],
                )));
            }
            steps.push(PhaseStep::Run(self.script(
                "postgres",
                scripts::drop_scratch(),
                &[("name", template)],
            )));
        }
        let mut create =
            vec![self.script("postgres", scripts::create_afresh(), &[("name", template)])];
        let extensions = &self.settings.extensions;
        if !extensions.is_empty() {
            let numbered = scripts::numbered("extension", extensions);
            let variables = scripts::as_variables(&numbered);
            create.push(self.script(template, scripts::extensions(extensions.len()), &variables));
        }
        for command in [&self.settings.init, &self.settings.test]
            .into_iter()
            .flatten()
            .filter(|_| fill)
        {
            create.push(self.project_step(command, template));
        }
        // Marked last: a template whose init failed is not taken for made.
        create.push(self.script(
            "postgres",
            scripts::MARK.into(),
            &[("name", template), ("marker", scripts::COMPLETE_TEMPLATE)],
        ));
        // The name is an identifier (checked above): no quote can end the literal.
        let mut check = vec!["psql".to_string(), "-X".into(), "-A".into(), "-t".into()];
        check.extend(self.settings.connection());
        check.extend([
            "-d".into(),
            "postgres".into(),
            "-c".into(),
            format!(
                "SELECT 1 FROM pg_database WHERE datname = '{template}' AND shobj_description(oid, 'pg_database') = '{}'",
                scripts::COMPLETE_TEMPLATE
            ),
        ]);
        steps.push(PhaseStep::WhenMissing {
            what: format!("the template `{template}`"),
            check: self.tool(check, &[]),
            steps: create.into_iter().map(PhaseStep::Run).collect(),
            show: false,
        });
        Ok(steps)
    }

    /// The spare `spare` renamed to `database` when it is a complete copy
    /// of `template` as it is now (milliseconds), saying so; else nothing.
    fn swap_spare(&self, database: &str, spare: &str, used: &str, template: &str) -> CommandStep {
        self.script(
            "postgres",
            scripts::swap_spare(),
            &[
                ("name", database),
                ("spare", spare),
                ("used", used),
                ("source", template),
            ],
        )
    }

    /// The fallback: the spare and a used database (if any) dropped,
    /// `database` copied afresh.
    fn copy_dropping_spare(
        &self,
        database: &str,
        spare: &str,
        used: &str,
        template: &str,
    ) -> CommandStep {
        self.script(
            "postgres",
            scripts::copy_dropping_spare(),
            &[
                ("name", database),
                ("spare", spare),
                ("used", used),
                ("source", template),
            ],
        )
    }

    /// The next run's spare copy of `template`, made while the suites run
    /// (after dropping the database the swap replaced).
    fn make_spare(&self, spare: &str, used: &str, template: &str) -> CommandStep {
        self.script(
            "postgres",
            scripts::make_spare(),
            &[("spare", spare), ("used", used), ("source", template)],
        )
    }

    /// Drops `database` and copies it from `template`: every run starts
    /// from the template, whatever the last one wrote.
    fn fresh_copy(&self, database: &str, template: &str) -> CommandStep {
        self.script(
            "postgres",
            format!("{}{}", scripts::drop_scratch(), scripts::copy()),
            &[("name", database), ("source", template)],
        )
    }
}
