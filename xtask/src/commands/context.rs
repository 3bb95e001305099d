//! What every command gets: the global flags, the UI, the configuration
//! (loaded on first use), and the one way to carry out a plan.

use std::cell::OnceCell;
use std::path::PathBuf;

use crate::cli::{builtin_names, GlobalArgs};
use crate::compose::cli::ComposeCli;
use crate::compose::environment::{self, ActiveEnvironment};
use crate::compose::preconditions;
use crate::compose::project::ComposeProject;
use crate::config::{self, Workspace};
use crate::error::{Error, Result};
use crate::exec;
use crate::plan::{Plan, Step};
use crate::ui::Ui;

/// An unmet precondition is a usage error with its remedy.
fn unmet(error: preconditions::Unmet) -> Error {
    Error::usage_with_help(error.to_string(), error.help())
}

/// A value file's problem reads as a configuration error (FILE:LINE:COL).
fn environment_error(error: environment::EnvironmentError) -> Error {
    match error {
        environment::EnvironmentError::ValueFile(diagnostic) => {
            config::Error::Invalid((*diagnostic).into()).into()
        }
        other => Error::usage(other.to_string()),
    }
}

pub struct Context {
    pub global: GlobalArgs,
    pub ui: Ui,
    workspace: OnceCell<Workspace>,
}

impl Context {
    pub fn new(global: GlobalArgs, ui: Ui) -> Self {
        crate::compose::docker_host::select(global.context.clone());
        Self {
            global,
            ui,
            workspace: OnceCell::new(),
        }
    }

    /// The environment root: `-C DIR`, else the nearest folder upwards
    /// holding tasks.toml.
    pub fn root(&self) -> Result<PathBuf> {
        match &self.global.root {
            Some(dir) => {
                let dir = std::path::absolute(dir).map_err(anyhow::Error::from)?;
                if dir.join(config::TASKS_FILE).is_file() {
                    Ok(dir)
                } else {
                    Err(config::Error::NoRoot { start: dir }.into())
                }
            }
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    anyhow::Error::from(e).context("cannot read the current directory")
                })?;
                Ok(Workspace::discover(&cwd)?)
            }
        }
    }

    /// The loaded and validated configuration.
    pub fn workspace(&self) -> Result<&Workspace> {
        if let Some(workspace) = self.workspace.get() {
            return Ok(workspace);
        }
        let workspace = Workspace::load(&self.root()?)?;
        let builtins = builtin_names();
        let builtins: Vec<&str> = builtins.iter().map(String::as_str).collect();
        let mut errors = crate::check::validate(&workspace, &builtins);
        if !errors.is_empty() {
            errors.sort();
            return Err(config::Error::Invalid(errors).into());
        }
        Ok(self.workspace.get_or_init(|| workspace))
    }

    /// The active environment (`--env`, `XTASK_ENV`, `.env`, default).
    pub fn environment(&self) -> Result<ActiveEnvironment> {
        let workspace = self.workspace()?;
        let flag = self.global.environment.as_deref();
        environment::resolve(workspace, flag, self.global.environment_from_env_var)
            .map_err(environment_error)
    }

    /// The compose project name of the active environment, without asking
    /// which Compose CLI is installed: reads through labels need nothing more.
    pub fn project_name(&self) -> Result<String> {
        Ok(self.environment()?.project)
    }

    /// The environment a task pins (`None`: the active one).
    pub fn environment_named(&self, name: Option<&str>) -> Result<ActiveEnvironment> {
        let Some(name) = name else {
            return self.environment();
        };
        let workspace = self.workspace()?;
        let mut environment =
            environment::resolve(workspace, Some(name), false).map_err(environment_error)?;
        environment.choice = environment::Choice::Task;
        Ok(environment)
    }

    /// The compose project of the active environment.
    pub fn compose(&self) -> Result<ComposeProject> {
        self.compose_for(&self.environment()?)
    }

    /// The compose project of `environment`.
    pub fn compose_for(&self, environment: &ActiveEnvironment) -> Result<ComposeProject> {
        let workspace = self.workspace()?;
        if !self.global.dry_run {
            self.require_env_files(workspace)?;
        }
        let cli = ComposeCli::detect().map_err(|e| {
            Error::usage_with_help(
                e.to_string(),
                "install the Compose plugin (`docker compose`) or docker-compose, or set XTASK_COMPOSE",
            )
        })?;
        Ok(ComposeProject::new(cli, workspace, environment))
    }

    /// Compose fails with "couldn't find env file" before `update` made it:
    /// say which file, and which `[[copy]]` makes it.
    fn require_env_files(&self, workspace: &config::Workspace) -> Result<()> {
        preconditions::env_files_exist(workspace).map_err(unmet)
    }

    /// Refuses to start anything while a variable of `[project]
    /// required_env` is unset or empty in the shell, the env files and the
    /// environment's `env` (not in dry runs), naming where to set each.
    pub fn require_variables(&self, environment: &ActiveEnvironment) -> Result<()> {
        if self.global.dry_run {
            return Ok(());
        }
        let workspace = self.workspace()?;
        self.require_env_files(workspace)?;
        preconditions::required_variables_set(workspace, environment).map_err(unmet)
    }

    /// Fails with the cause and remedy when no engine answers (not in dry runs).
    pub fn require_engine(&self) -> Result<()> {
        if self.global.dry_run {
            return Ok(());
        }
        crate::compose::engine::check()
            .map(|_| ())
            .map_err(|e| Error::Other(anyhow::Error::from(e)))
    }

    /// The dev stack's project name and its containers, from one `docker
    /// ps` (no version probe: an engine that does not answer is diagnosed
    /// from that call's error); in a dry run, prints the query instead and
    /// returns `None`.
    pub fn containers(&self) -> Result<Option<(String, Vec<crate::compose::state::Container>)>> {
        let project = self.project_name()?;
        if self.global.dry_run {
            crate::outln!("{}", crate::compose::state::ps_command(&project));
            return Ok(None);
        }
        let containers =
            crate::compose::state::containers(&project).map_err(|e| Error::Other(e.into()))?;
        Ok(Some((project, containers)))
    }

    /// `environment`'s compose files as our own loader reads them (no
    /// process started; files it cannot read are `check`'s to report).
    pub fn files_model(
        &self,
        environment: &ActiveEnvironment,
    ) -> Result<crate::compose::model::ComposeModel> {
        Ok(crate::compose::model::ComposeModel::declared(
            self.workspace()?,
            environment,
        ))
    }

    /// The services the compose files of the active environment declare,
    /// plus those configured in `[services]`.
    pub fn services(&self) -> Result<Vec<String>> {
        Ok(preconditions::declared_services(
            self.workspace()?,
            &self.environment()?,
        ))
    }

    /// Checks a service name against the compose files, suggesting the closest.
    pub fn check_service(&self, service: &str) -> Result<()> {
        preconditions::known_service(&self.services()?, service).map_err(unmet)
    }

    /// The service the user named, else one chosen on a terminal, else an
    /// error listing the services.
    pub fn service_or_choose(&self, service: Option<String>, command: &str) -> Result<String> {
        if let Some(service) = service {
            self.check_service(&service)?;
            return Ok(service);
        }
        let names = self.services()?;
        if let Some(index) = self
            .ui
            .select(&format!("Which service to {command}?"), &names)?
        {
            return Ok(names[index].clone());
        }
        Err(Error::usage_with_help(
            format!("`{command}` needs a service"),
            if names.is_empty() {
                "no services are declared in the compose files".to_string()
            } else {
                format!("one of: {}", names.join(", "))
            },
        ))
    }

    /// Whether `environment` (or one it inherits from) is `protected`.
    pub fn is_protected(&self, environment: &ActiveEnvironment) -> Result<bool> {
        Ok(environment.is_protected(&self.workspace()?.tasks))
    }

    /// The confirmation a destructive step needs: `expected` typed (or
    /// `--confirm EXPECTED`) in a protected environment, where `--yes` is
    /// not enough; else yes/no, which `--yes` answers.
    pub fn confirm_destruction(
        &self,
        environment: &ActiveEnvironment,
        question: String,
        expected: &str,
        answer: Option<&str>,
    ) -> Result<Step> {
        let tasks = &self.workspace()?.tasks;
        Ok(environment.confirmation(tasks, question, expected, answer))
    }

    /// Carries out `plan`: in a dry run, prints it on stdout and runs
    /// nothing; otherwise runs each step in order and stops at the first
    /// failure, returning the child's exit code as the error's.
    pub fn execute(&self, plan: &Plan) -> Result<()> {
        if self.global.dry_run {
            crate::out!("{plan}");
            return Ok(());
        }
        // Locks taken by the plan, released when it ends however it ends.
        let mut locks = Vec::new();
        for step in &plan.steps {
            match step {
                Step::ConfirmTyped {
                    question,
                    expected,
                    answer,
                } => {
                    let confirmed = match answer {
                        Some(answer) => answer == expected,
                        // No one to type it: say what to pass (never "--yes").
                        None if !self.ui.interactive => false,
                        None => self.ui.confirm_typed(question, expected)?,
                    };
                    if !confirmed {
                        return Err(Error::usage_with_help(
                            format!("`{expected}` was not confirmed: nothing was changed"),
                            format!("type the name exactly, or pass --confirm {expected} (--yes alone is not enough in a protected environment)"),
                        ));
                    }
                }
                Step::Lock { path, what } => {
                    let lock = crate::state_lock::StateLock::try_acquire(path, what)
                        .map_err(|e| Error::Other(anyhow::Error::from(e)))?;
                    locks.push(lock);
                }
                Step::Record {
                    path,
                    fields,
                    query,
                } => self.record(path, fields, query.as_ref())?,
                Step::Note(text) => self.ui.note(text),
                Step::TestZstd { path, progress } => {
                    exec::test_zstd(path, progress).map_err(|e| {
                        Error::Other(anyhow::anyhow!(
                            "{e}; nothing was changed\n  = help: the file is damaged or incomplete: restore another backup"
                        ))
                    })?;
                }
                Step::CheckSql {
                    file,
                    partial_ok,
                    progress,
                } => {
                    exec::check_sql(file, *partial_ok, progress)?;
                }
                Step::KeepAside { path, aside } => {
                    // A second name costs nothing; a copy where links are not had.
                    std::fs::hard_link(path, aside)
                        .or_else(|e| match e.kind() {
                            std::io::ErrorKind::AlreadyExists => Err(e),
                            _ => std::fs::copy(path, aside).map(|_| ()),
                        })
                        .map_err(|e| {
                            Error::Other(anyhow::Error::from(e).context(format!(
                                "cannot keep {} as {}; nothing was changed",
                                path.display(),
                                aside.display()
                            )))
                        })?;
                    self.ui
                        .note(format!("kept {} as {}", path.display(), aside.display()));
                }
                Step::Confirm { question } => {
                    if !self.ui.confirm(question, self.global.yes)? {
                        return Err(Error::Declined);
                    }
                }
                Step::Run(command) => {
                    if self.ui.verbosity >= 1 {
                        self.ui.command(command);
                    }
                    let started = std::time::Instant::now();
                    if let Some(phase) = &command.phase {
                        self.ui.status("Running", phase);
                    }
                    let code = exec::run_foreground(command)?;
                    if let (Some(phase), 0) = (&command.phase, code) {
                        self.ui.status(
                            "Done",
                            format!("{phase} ({})", crate::ui::seconds(started.elapsed())),
                        );
                    }
                    if code != 0 && !command.ok_codes.contains(&code) {
                        return Err(Error::Child {
                            command: command.to_string(),
                            code,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes a [`Step::Record`]: the fields, plus a query's output (masked).
    fn record(
        &self,
        path: &std::path::Path,
        fields: &[(String, String)],
        query: Option<&(String, crate::plan::CommandStep)>,
    ) -> Result<()> {
        let mut object = serde_json::Map::new();
        for (key, value) in fields {
            object.insert(
                key.clone(),
                serde_json::Value::String(crate::mask::text(value).into_owned()),
            );
        }
        if let Some((key, command)) = query {
            let out = exec::capture(command)?;
            let value = if out.success() {
                out.stdout.trim().to_string()
            } else {
                format!("unknown ({})", out.stderr.trim())
            };
            object.insert(
                key.clone(),
                serde_json::Value::String(crate::mask::text(&value).into_owned()),
            );
        }
        let text = serde_json::to_string_pretty(&serde_json::Value::Object(object))
            .map_err(anyhow::Error::from)?;
        crate::atomic_file::write(path, &format!("{text}\n")).map_err(|e| {
            Error::Other(anyhow::Error::from(e).context(format!("cannot write {}", path.display())))
        })
    }
}
