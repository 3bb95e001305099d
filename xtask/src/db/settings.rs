//! `[db]` as it applies to one environment: the project's `[db]`, then each
//! ancestor's `[environments.NAME.db]`, then the environment's own.

use crate::compose::environment::ActiveEnvironment;
use crate::config::db::{identifier_problem, DbSpec};
use crate::config::{CommandLine, Workspace};
use crate::db::engine::EngineChoice;

/// The service that runs the database server when `[db]` says nothing.
pub const DEFAULT_SERVER: &str = "db";
/// Restored dumps kept as cache entries when `[db]` says nothing.
pub const DEFAULT_RESTORE_CACHE: u32 = 0;

/// Everything the `db` commands need to reach the database of an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSettings {
    /// The engine (`[db] engine`, else the server's image) and why.
    pub engine: EngineChoice,
    /// Where psql, pg_dump and the project's steps run.
    pub tools_service: String,
    /// The host the tools connect to.
    pub server: String,
    /// The database a command works on when none is named.
    pub database: String,
    pub user: String,
    /// The variable holding the password, and its value when set (never printed).
    pub password: Option<(String, String)>,
    /// `[db] password_env`, set or not (to say where the password lives).
    pub password_env: Option<String>,
    /// Roles created when missing, before `init`.
    pub roles: Vec<String>,
    /// The variable holding the new roles' password, and its value when set (never printed).
    pub role_password: Option<(String, String)>,
    /// `[db] role_password_env`, set or not (to say when it is not).
    pub role_password_env: Option<String>,
    /// Extensions created in the database, before `init`.
    pub extensions: Vec<String>,
    pub init: Option<CommandLine>,
    pub demo: Option<CommandLine>,
    pub test: Option<CommandLine>,
    /// Destructive commands need the name typed, not just `--yes`.
    pub protected: bool,
    /// The environment's name for messages and file names.
    pub environment: String,
    /// How many restored dumps are kept as cache entries (0: no cache).
    pub restore_cache: u32,
}

impl DbSettings {
    /// What a project step of `[db]` and a test runner get to find
    /// `database`: `PGHOST`, `PGUSER`, `PGDATABASE` (Postgres), or
    /// `MYSQL_HOST`, `MYSQL_USER`, `MYSQL_DATABASE` (the MySQL family: the
    /// clients read `MYSQL_HOST`, the others are the official images' names).
    pub fn client_env(&self, database: &str) -> Vec<(String, String)> {
        let [host, user, name] = if self.engine.engine.is_mysql_family() {
            ["MYSQL_HOST", "MYSQL_USER", "MYSQL_DATABASE"]
        } else {
            ["PGHOST", "PGUSER", "PGDATABASE"]
        };
        vec![
            (host.into(), self.server.clone()),
            (user.into(), self.user.clone()),
            (name.into(), database.into()),
        ]
    }

    /// A project step of `[db]` (`init`, `demo`, `test`) for `database`:
    /// `{db}` replaced in each argument, or, in a shell line, by the name
    /// quoted for the shell.
    pub fn project_argv(command: &CommandLine, database: &str) -> Vec<String> {
        match command {
            CommandLine::Argv(argv) => argv.iter().map(|a| a.replace("{db}", database)).collect(),
            CommandLine::Shell(line) => vec![
                "sh".into(),
                "-c".into(),
                line.replace("{db}", &shell_words::quote(database)),
            ],
        }
    }

    /// How the tools reach the server: `-h SERVER -U USER`.
    pub fn connection(&self) -> Vec<String> {
        vec![
            "-h".into(),
            self.server.clone(),
            "-U".into(),
            self.user.clone(),
        ]
    }

    /// `psql` running a script fed on stdin against `database`, stopping at
    /// the first error, with `variables` as psql variables (`-v key=value`,
    /// used as `:"key"` and `:'key'`): names never pasted into SQL.
    pub fn psql_script_argv(&self, database: &str, variables: &[(&str, &str)]) -> Vec<String> {
        let mut argv = vec![
            "psql".to_string(),
            "-X".into(),
            "-q".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
        ];
        argv.extend(self.connection());
        argv.extend(["-d".into(), database.into()]);
        for (key, value) in variables {
            argv.extend(["-v".into(), format!("{key}={value}")]);
        }
        argv.extend(["-f".into(), "-".into()]);
        argv
    }

    /// Resolves `[db]` for `environment`; the nearest definition of each field wins.
    pub fn resolve(workspace: &Workspace, environment: &ActiveEnvironment) -> Self {
        let tasks = &workspace.tasks;
        let mut spec = tasks.db.clone().unwrap_or_default();
        let mut protected = false;
        // `chain` is nearest first: apply the farthest ancestor first.
        for name in environment.chain.iter().rev() {
            let Some(env) = tasks.environment(name) else {
                continue;
            };
            protected |= env.protected;
            if let Some(over) = &env.db {
                merge(&mut spec, over);
            }
        }
        let server = spec
            .server
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_else(|| DEFAULT_SERVER.into());
        let tools_service = spec
            .service
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_else(|| server.clone());
        let database = spec
            .name
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_else(|| default_database(&environment.project));
        let secret = |variable: &Option<toml::Spanned<String>>| {
            let name = variable.as_ref()?.get_ref();
            let value = std::env::var(name)
                .ok()
                .or_else(|| environment.env.get(name).cloned())
                .or_else(|| environment.env_file_values.get(name).cloned())?;
            // Masked wherever it appears in what we print, whatever its name.
            crate::mask::remember(&value);
            Some((name.clone(), value))
        };
        let password = secret(&spec.password_env);
        let password_env = spec.password_env.as_ref().map(|s| s.get_ref().clone());
        let role_password = secret(&spec.role_password_env);
        let names = |list: &Option<toml::Spanned<Vec<toml::Spanned<String>>>>| -> Vec<String> {
            list.as_ref()
                .map(|l| l.get_ref().iter().map(|n| n.get_ref().clone()).collect())
                .unwrap_or_default()
        };
        let engine = engine_of(workspace, environment, &spec, &server);
        Self {
            tools_service,
            server,
            database,
            user: spec
                .user
                .as_ref()
                .map(|s| s.get_ref().clone())
                .unwrap_or_else(|| engine.engine.default_user().into()),
            engine,
            password,
            password_env,
            roles: names(&spec.roles),
            role_password,
            role_password_env: spec.role_password_env.as_ref().map(|v| v.get_ref().clone()),
            extensions: names(&spec.extensions),
            init: spec.init.map(|c| c.into_inner()),
            demo: spec.demo.map(|c| c.into_inner()),
            test: spec.test.map(|c| c.into_inner()),
            protected,
            environment: environment.name.clone().unwrap_or_else(|| "default".into()),
            restore_cache: spec
                .restore_cache
                .map_or(DEFAULT_RESTORE_CACHE, |n| n.into_inner()),
        }
    }
}

/// `[db] engine`, else the engine the server's image names (read from the
/// compose files by our loader, only when the key is not set), else Postgres.
fn engine_of(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    spec: &DbSpec,
    server: &str,
) -> EngineChoice {
    let configured = spec.engine.as_ref().map(|e| *e.get_ref());
    let image = match (configured, &workspace.tasks.db) {
        (None, Some(_)) => {
            crate::compose::model::ComposeModel::declared(workspace, environment).image_of(server)
        }
        _ => None,
    };
    EngineChoice::resolve(configured, server, image.as_deref())
}

fn merge(base: &mut DbSpec, over: &DbSpec) {
    macro_rules! take {
        ($($field:ident),*) => {$(
            if over.$field.is_some() {
                base.$field = over.$field.clone();
            }
        )*};
    }
    take!(
        engine,
        service,
        server,
        name,
        user,
        password_env,
        roles,
        role_password_env,
        extensions,
        init,
        demo,
        test,
        restore_cache
    );
}

/// The environment's project name as a database name (`c3s_testing`).
fn default_database(project: &str) -> String {
    let name: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(crate::config::db::MAX_IDENTIFIER_BYTES)
        .collect();
    if identifier_problem(&name).is_some() {
        format!("_{}", &name[..name.len().min(62)])
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_name_becomes_a_database_name() {
        assert_eq!(default_database("c3s_testing"), "c3s_testing");
        assert_eq!(default_database("my-app"), "my_app");
        assert_eq!(default_database("3tier"), "_3tier");
    }
}
