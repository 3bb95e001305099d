//! What every command gets: the global flags, the UI, the configuration
//! (loaded on first use), and the one way to carry out a plan.

use std::cell::OnceCell;
use std::path::PathBuf;

use crate::cli::{builtin_names, GlobalArgs};
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

    /// Carries out `plan`: in a dry run, prints it on stdout and runs
    /// nothing; otherwise runs each step in order and stops at the first
    /// failure, returning the child's exit code as the error's.
    pub fn execute(&self, plan: &Plan) -> Result<()> {
        if self.global.dry_run {
            print!("{plan}");
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
