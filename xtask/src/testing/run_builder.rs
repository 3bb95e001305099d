//! Builds a test run's plan ([`TestPlan`]) from resolved inputs: the
//! phases before the suites (build, up, the database templates, each
//! suite's fresh test database), the spares made in the background, the
//! suites (runner, JUnit report, lint) and the tear-down of what the run
//! owns. The interpreter runs it.

use std::path::{Path, PathBuf};

use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::{wants_tty, ComposeProject};
use crate::compose::service_step::exec_id;
use crate::config::Workspace;
use crate::db::DbSettings;
use crate::error::Result;
use crate::plan::test_plan::{JunitCopy, Phase, PhaseStep, ReportRead, Suite, TestPlan};
use crate::testing::ownership::Ownership;
use crate::testing::test_config::{RunnerOptions, TestConfig};
use crate::testing::test_database::{kept_containers, spare_of, Exec, SpareNames, TestDatabase};
use crate::testing::wrapper::{InlineReport, Wrapper};

/// What the command line asks of a test run.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Rebuild the images and recreate the templates first.
    pub build: bool,
    /// No TTY, build first, JUnit XML collected, torn down after.
    pub ci: bool,
    /// Leave the stack up.
    pub keep: bool,
    /// Also run each service's lint command.
    pub lint: bool,
    /// Where the JUnit XML goes (`--junit DIR`).
    pub junit: Option<PathBuf>,
    /// At most this many suites at once (`--jobs`).
    pub jobs: Option<usize>,
    /// What every runner is given.
    pub runner: RunnerOptions,
}

/// What the plan is built from.
pub struct TestRunInputs<'a> {
    pub workspace: &'a Workspace,
    pub environment: &'a ActiveEnvironment,
    pub project: &'a ComposeProject,
    pub configs: &'a [TestConfig],
    pub ownership: &'a Ownership,
    /// A dry run looks at the engine read-only, and an engine that does
    /// not answer is no error.
    pub dry_run: bool,
}

/// The whole run; `require_engine` diagnoses an engine that does not answer.
pub fn plan(
    inputs: &TestRunInputs<'_>,
    options: &TestOptions,
    require_engine: &dyn Fn() -> Result<()>,
) -> Result<TestPlan> {
    let TestRunInputs {
        workspace,
        environment,
        project,
        configs,
        ownership,
        ..
    } = *inputs;
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
    let build = options.build || options.ci;
    let kept = kept_stack(inputs, &services, build, require_engine)?;
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
    let database = TestDatabase::new(&exec, &db);
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
    let background = database_phases(
        &database,
        configs,
        build,
        template_ahead,
        options.ci,
        &mut prepare,
    )?;
    let junit_dir = match (&options.junit, options.ci) {
        (Some(dir), _) => Some(std::path::absolute(dir).map_err(anyhow::Error::from)?),
        (None, true) => Some(workspace.root.join("test-results")),
        (None, false) => None,
    };
    let foreground = options.runner.pdb || configs.len() == 1;
    let tty = !options.ci && foreground && wants_tty();
    let suites = configs
        .iter()
        .map(|config| {
            suite(
                config,
                inputs,
                options,
                &database,
                tty,
                junit_dir.as_deref(),
            )
        })
        .collect();
    let teardown = if options.keep || !ownership.containers {
        None
    } else {
        let mut args = vec!["down".to_string(), "--remove-orphans".into()];
        // CI leaves nothing; a developer's run keeps the templates' volume.
        if options.ci && ownership.volumes {
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
        jobs: options
            .jobs
            .unwrap_or(configs.len())
            .clamp(1, configs.len().max(1)),
        foreground,
    })
}

/// The running containers of a kept stack, which is only exec'd into (no
/// `up`, no wait); `None` when the stack is not up, or is rebuilt.
fn kept_stack(
    inputs: &TestRunInputs<'_>,
    services: &[String],
    build: bool,
    require_engine: &dyn Fn() -> Result<()>,
) -> Result<Option<std::collections::BTreeMap<String, String>>> {
    let project = &inputs.project.name;
    if inputs.dry_run {
        // A read-only look, so the plan shows what would really run.
        return Ok(match build {
            true => None,
            false => kept_containers(project, services).ok().flatten(),
        });
    }
    if build {
        require_engine()?;
        return Ok(None);
    }
    // The listing is the engine check too: only its failure is diagnosed.
    match kept_containers(project, services) {
        Ok(kept) => Ok(kept),
        Err(error) => {
            require_engine()?;
            Err(error)
        }
    }
}

/// The templates (pushed to `prepare` when made ahead) and each suite's
/// fresh test database (pushed to `prepare`); returns the spares made in
/// the background.
fn database_phases(
    database: &TestDatabase<'_>,
    configs: &[TestConfig],
    build: bool,
    template_ahead: bool,
    ci: bool,
    prepare: &mut Vec<Phase>,
) -> Result<Vec<Phase>> {
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
        phase.steps = database.template_steps(template, config.template_init, build, &spares)?;
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
                if !ci && !background.iter().any(|p: &Phase| p.name.ends_with(&spare)) {
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
    Ok(background)
}

/// One service's suite: its runner (wrapped when no terminal is given),
/// where its report is read from, its lint.
fn suite(
    config: &TestConfig,
    inputs: &TestRunInputs<'_>,
    options: &TestOptions,
    database: &TestDatabase<'_>,
    tty: bool,
    junit_dir: Option<&Path>,
) -> Suite {
    let exec = database.exec;
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(name) = &inputs.environment.name {
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
        &wrapper.wrap(config.runner_argv(&options.runner)),
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
                inputs
                    .workspace
                    .root
                    .join(crate::state_lock::STATE_DIR)
                    .join("test-results")
                    .join(&inputs.project.name)
                    .join(format!("{}.xml", config.name))
            },
            |dir| dir.join(format!("{}.xml", config.name)),
        ),
    });
    let lint = match (&config.lint, options.lint) {
        (Some(argv), true) => Some(Phase::new(format!("lint {}", config.name)).run(exec.step(
            &config.container,
            argv,
            &env,
            &[],
            false,
        ))),
        _ => None,
    };
    Suite {
        name: config.name.clone(),
        tests: Phase::new(format!("tests {}", config.name)).run(runner),
        gated: wrapper.gate,
        junit,
        lint,
    }
}
