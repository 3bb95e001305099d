//! What every command gets: the global flags, the UI, the configuration
//! (loaded on first use), and the one way to carry out a plan.

use std::cell::OnceCell;
use std::path::PathBuf;

use crate::cli::{builtin_names, GlobalArgs};
use crate::compose::cli::ComposeCli;
use crate::compose::environment::{self, ActiveEnvironment};
use crate::compose::files;
use crate::compose::project::{ComposeProject, Stack};
use crate::config::{self, Workspace};
use crate::error::{Error, Result};
use crate::exec;
use crate::plan::{Plan, Step};
use crate::ui::Ui;

pub struct Context {
    pub global: GlobalArgs,
    pub ui: Ui,
    workspace: OnceCell<Workspace>,
}

impl Context {
    pub fn new(global: GlobalArgs, ui: Ui) -> Self {
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
        let errors = workspace.validate(&builtins);
        if !errors.is_empty() {
            return Err(config::Error::Invalid(errors).into());
        }
        Ok(self.workspace.get_or_init(|| workspace))
    }

    /// The active environment (`--env`, `XTASK_ENV`, `.env`, default).
    pub fn environment(&self) -> Result<ActiveEnvironment> {
        let workspace = self.workspace()?;
        let flag = self.global.environment.as_deref();
        let typed = std::env::args().any(|a| a == "--env" || a.starts_with("--env="));
        let from_env_var = flag.is_some() && !typed;
        environment::resolve(workspace, flag, from_env_var).map_err(|e| Error::usage(e.to_string()))
    }

    /// The compose project name of `stack`, without asking which Compose
    /// CLI is installed: reads through labels need nothing more.
    pub fn project_name(&self, stack: Stack) -> Result<String> {
        Ok(stack.project_name(&self.workspace()?.project_name()))
    }

    /// The compose project of `stack` in the active environment.
    pub fn compose(&self, stack: Stack) -> Result<ComposeProject> {
        let workspace = self.workspace()?;
        let environment = self.environment()?;
        let cli = ComposeCli::detect().map_err(|e| {
            Error::usage_with_help(
                e.to_string(),
                "install the Compose plugin (`docker compose`) or docker-compose, or set XTASK_COMPOSE",
            )
        })?;
        Ok(ComposeProject::new(cli, workspace, &environment, stack))
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
        let project = self.project_name(Stack::Dev)?;
        if self.global.dry_run {
            crate::outln!("{}", crate::compose::state::ps_command(&project));
            return Ok(None);
        }
        let containers =
            crate::compose::state::containers(&project).map_err(|e| Error::Other(e.into()))?;
        Ok(Some((project, containers)))
    }

    /// The services the compose files of the active environment declare,
    /// plus those configured in `[services]`.
    pub fn services(&self) -> Result<Vec<String>> {
        let workspace = self.workspace()?;
        let environment = self.environment()?;
        let mut names = files::services_in(&files::effective_files(
            &workspace.root,
            &environment.compose_files,
        ));
        for name in workspace.tasks.services.keys() {
            if !names.contains(name.get_ref()) {
                names.push(name.get_ref().clone());
            }
        }
        Ok(names)
    }

    /// Checks a service name against the compose files, suggesting the closest.
    pub fn check_service(&self, service: &str) -> Result<()> {
        let names = self.services()?;
        if names.is_empty() || names.iter().any(|n| n == service) {
            return Ok(());
        }
        let closest = crate::suggest::closest(service, names.iter().map(String::as_str));
        let message = format!("no service `{service}` in the compose files");
        Err(match closest {
            Some(closest) => Error::usage_with_help(
                message,
                format!("did you mean `{closest}`? services: {}", names.join(", ")),
            ),
            None => Error::usage_with_help(message, format!("services: {}", names.join(", "))),
        })
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

    /// Carries out `plan`: in a dry run, prints it on stdout and runs
    /// nothing; otherwise runs each step in order and stops at the first
    /// failure, returning the child's exit code as the error's.
    pub fn execute(&self, plan: &Plan) -> Result<()> {
        if self.global.dry_run {
            crate::out!("{plan}");
            return Ok(());
        }
        for step in &plan.steps {
            match step {
                Step::Note(text) => self.ui.note(text),
                Step::Confirm { question } => {
                    if !self.ui.confirm(question, self.global.yes)? {
                        return Err(Error::Declined);
                    }
                }
                Step::Run(command) => {
                    if self.ui.verbosity >= 1 {
                        self.ui.command(command);
                    }
                    let code = exec::run_foreground(command)?;
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
}
