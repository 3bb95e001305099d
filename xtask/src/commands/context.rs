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
use crate::interpreter::Interpreter;
use crate::plan::Plan;
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
    /// Kept for the process's life: freeing it costs more than a no-op task.
    workspace: OnceCell<&'static Workspace>,
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
        Ok(self
            .workspace
            .get_or_init(|| Box::leak(Box::new(workspace))))
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

    /// What a step in `service` of `environment` needs, checked first (the
    /// service, the required variables): the compose project, and the
    /// service's running container to exec into, if it has one (its id).
    pub fn service_step(
        &self,
        environment: &ActiveEnvironment,
        service: &str,
    ) -> Result<(ComposeProject, Option<String>)> {
        self.check_service(service)?;
        self.require_variables(environment)?;
        let project = self.compose_for(environment)?;
        // The container `compose exec` enters: the lowest replica number.
        let running = crate::compose::state::running(&project.name, service)
            .ok()
            .and_then(|containers| containers.into_iter().min_by_key(|c| c.number))
            .map(|container| container.id);
        Ok((project, running))
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

    /// The interpreter with this invocation's flags.
    pub fn interpreter(&self) -> Interpreter<'_> {
        Interpreter {
            ui: &self.ui,
            dry_run: self.global.dry_run,
            yes: self.global.yes,
        }
    }

    /// Carries out `plan` (see [`Interpreter::execute`]).
    pub fn execute(&self, plan: &Plan) -> Result<()> {
        self.interpreter().execute(plan)
    }
}
