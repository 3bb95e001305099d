//! The database of one environment as the `db` commands plan against it:
//! names checked, confirmations, the lock, the built-in roles and
//! extensions, the project's `[db]` steps, and what the plan reports.

use std::path::{Path, PathBuf};

use crate::compose::environment::{ActiveEnvironment, Choice};
use crate::config::db::identifier_problem;
use crate::config::CommandLine;
use crate::db::client::DatabaseClient;
use crate::db::error::{DbError, Result};
use crate::db::scripts;
use crate::db::settings::DbSettings;
use crate::plan::{CommandStep, Plan, Step};

/// Which data a setup or rebuild loads after `[db] init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataChoice {
    /// None: init only.
    #[default]
    Nothing,
    /// `[db] demo`.
    Demo,
    /// `[db] test`.
    Test,
}

/// What a `db` command reports once its plan ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closing {
    /// The dump written, with its size.
    Backup(PathBuf),
    /// One closing line with the time: `Rebuilt tryton in 41.2 s`.
    Done { verb: &'static str, what: String },
}

/// A `db` command's plan and what it reports after running it.
#[derive(Debug, Default)]
pub struct DbPlan {
    /// What runs (and what `--dry-run` prints).
    pub plan: Plan,
    /// What is reported once it ran.
    pub closing: Option<Closing>,
}

impl From<Plan> for DbPlan {
    fn from(plan: Plan) -> Self {
        Self {
            plan,
            closing: None,
        }
    }
}

impl DbPlan {
    /// The plan, reporting `verb` on `what` with the time once it ran.
    pub fn done(plan: Plan, verb: &'static str, what: String) -> Self {
        Self {
            plan,
            closing: Some(Closing::Done { verb, what }),
        }
    }
}

/// The database of one environment, and how to reach it: resolved inputs
/// only (the command resolved the environment, the settings and the client).
pub struct DbTarget<'a> {
    /// psql and pg_dump in the tools service.
    pub client: DatabaseClient<'a>,
    /// `[db]` of the environment.
    pub settings: &'a DbSettings,
    /// The environment: its project, name and how it was chosen.
    pub environment: &'a ActiveEnvironment,
    /// The environment's root: its state directory holds the locks.
    pub root: &'a Path,
    /// Whether interactive tools (psql, the project's steps) get a TTY.
    pub tty: bool,
}

/// Refuses a name that is no identifier we pass on.
pub fn checked(name: &str, what: &str) -> Result<()> {
    match identifier_problem(name) {
        None => Ok(()),
        Some(problem) => Err(DbError::InvalidName {
            name: crate::ui::sanitize_for_terminal(name).into_owned(),
            what: what.to_string(),
            problem,
        }),
    }
}

impl DbTarget<'_> {
    /// The database named, else the configured one; checked either way.
    pub fn database(&self, name: Option<&str>) -> Result<String> {
        let name = name.unwrap_or(&self.settings.database);
        checked(name, "database")?;
        Ok(name.to_string())
    }

    /// psql running `script` from stdin on the maintenance database, with
    /// `variables` as psql variables.
    pub fn script(&self, script: String, variables: &[(&str, &str)]) -> CommandStep {
        self.client.script("postgres", script, variables)
    }

    /// The built-in one-time setup of `[db] roles` and `[db] extensions`
    /// (as the Indico seed's): roles created when missing, then the
    /// extensions in `database`. Names checked, passed as psql variables.
    pub fn roles_and_extensions(&self, plan: &mut Plan, database: &str) -> Result<()> {
        let roles = &self.settings.roles;
        if !roles.is_empty() {
            for role in roles {
                checked(role, "role")?;
            }
            let numbered = scripts::numbered("role", roles);
            let variables = scripts::as_variables(&numbered);
            let secrets: Vec<(String, String)> = self
                .settings
                .role_password
                .iter()
                .map(|(_, value)| (scripts::ROLE_PASSWORD_VARIABLE.to_string(), value.clone()))
                .collect();
            if let (Some(variable), None) = (
                &self.settings.role_password_env,
                &self.settings.role_password,
            ) {
                plan.push(Step::Note(format!(
                    "`{variable}` ([db] role_password_env) is not set: roles created now get no password"
                )));
            }
            plan.run(self.client.script_passing(
                "postgres",
                scripts::roles(roles.len(), !secrets.is_empty()),
                &variables,
                &secrets,
            ));
        }
        let extensions = &self.settings.extensions;
        if !extensions.is_empty() {
            for extension in extensions {
                checked(extension, "extension")?;
            }
            let numbered = scripts::numbered("extension", extensions);
            let variables = scripts::as_variables(&numbered);
            plan.run(self.client.script(
                database,
                scripts::extensions(extensions.len()),
                &variables,
            ));
        }
        Ok(())
    }

    /// Asks before `what` is done to `database`: the name typed in a
    /// protected environment (`confirm`, typed in advance), else yes/no
    /// (`--yes` answers it).
    pub fn confirm(&self, plan: &mut Plan, what: &str, database: &str, confirm: Option<&str>) {
        let question = format!(
            "{what} database `{database}` in environment `{}`?",
            self.settings.environment
        );
        if self.settings.protected {
            plan.push(Step::ConfirmTyped {
                question: format!("{question} (`{}` is protected)", self.settings.environment),
                expected: database.to_string(),
                answer: confirm.map(str::to_string),
            });
        } else {
            plan.push(Step::Confirm { question });
        }
    }

    /// The lock that keeps two replacements of `database` apart.
    pub fn lock(&self, plan: &mut Plan, database: &str) {
        plan.push(Step::Lock {
            path: self
                .root
                .join(crate::state_lock::STATE_DIR)
                .join(format!("db-{}-{database}.lock", self.environment.project)),
            what: format!(
                "a rebuild or restore of `{database}` in environment `{}`",
                self.settings.environment
            ),
        });
    }

    /// The project's `step` for `database` (`{db}` replaced), if configured.
    fn project_step(&self, command: Option<&CommandLine>, database: &str) -> Option<CommandStep> {
        let argv = DbSettings::project_argv(command?, database);
        let env = self.settings.client_env(database);
        Some(self.client.tool(argv, &env, self.tty))
    }

    /// Init, then the chosen data, for `database`.
    pub fn initialise(&self, plan: &mut Plan, database: &str, data: DataChoice) -> Result<()> {
        if let Some(step) = self.project_step(self.settings.init.as_ref(), database) {
            plan.run(step.phase(format!("[db] init of {database}")));
        }
        let (chosen, key) = match data {
            DataChoice::Demo => (self.settings.demo.as_ref(), "demo"),
            DataChoice::Test => (self.settings.test.as_ref(), "test"),
            DataChoice::Nothing => (None, ""),
        };
        match self.project_step(chosen, database) {
            Some(step) => {
                plan.run(step.phase(format!("[db] {key} data into {database}")));
            }
            None if !key.is_empty() => return Err(DbError::NoDataCommand(key)),
            None => {}
        }
        Ok(())
    }

    /// `--env NAME ` when the environment was chosen with the flag, for
    /// commands we suggest.
    pub fn env_flag(&self) -> String {
        match &self.environment.name {
            Some(env) if self.environment.choice == Choice::Flag => format!("--env {env} "),
            _ => String::new(),
        }
    }

    /// ` --db NAME` unless `database` is the default one.
    pub fn db_flag(&self, database: &str) -> String {
        if database == self.settings.database {
            String::new()
        } else {
            format!(" --db {database}")
        }
    }
}
