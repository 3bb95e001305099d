//! The one database client: psql, pg_dump and the project's `[db]` steps
//! in the tools service, the password passed by name only, scripts fed on
//! stdin with names as psql variables. `db` and `test` build their steps here.

use crate::compose::project::ComposeProject;
use crate::compose::service_step::ServiceStep;
use crate::db::settings::DbSettings;
use crate::plan::{CommandStep, Input};

/// How the client's commands get into the tools service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolsEntry {
    /// `compose exec` into its running container.
    Exec,
    /// `compose run --rm`: a fresh container for each command.
    Run,
    /// `docker exec` into this container (the service's, by id).
    Container(String),
}

/// Commands against the database server of one environment, run in its
/// tools service.
#[derive(Debug, Clone)]
pub struct DatabaseClient<'a> {
    project: &'a ComposeProject,
    settings: &'a DbSettings,
    entry: ToolsEntry,
    environment: Option<String>,
}

impl<'a> DatabaseClient<'a> {
    /// The client of `settings` in `project`, entering the tools service by `entry`.
    pub fn new(project: &'a ComposeProject, settings: &'a DbSettings, entry: ToolsEntry) -> Self {
        Self {
            project,
            settings,
            entry,
            environment: None,
        }
    }

    /// `ENVIRONMENT=NAME` in the tools' environment (see [`ServiceStep::in_environment`]).
    pub fn in_environment(mut self, name: Option<&str>) -> Self {
        self.environment = name.map(str::to_string);
        self
    }

    /// Whether its commands enter a running container (no container made).
    pub fn enters_running_container(&self) -> bool {
        !matches!(self.entry, ToolsEntry::Run)
    }

    /// `argv` in the tools service, the password passed by name only.
    pub fn tool(&self, argv: Vec<String>, env: &[(String, String)], tty: bool) -> CommandStep {
        self.tool_passing(argv, env, tty, &[])
    }

    /// As [`Self::tool`], with `secrets` (variable, value) passed by name
    /// as the password is: their values are in compose's environment only.
    pub fn tool_passing(
        &self,
        argv: Vec<String>,
        env: &[(String, String)],
        tty: bool,
        secrets: &[(String, String)],
    ) -> CommandStep {
        // PGPASSWORD or MYSQL_PWD: read by the clients themselves.
        let password_variable = self.settings.engine.engine.password_variable();
        let mut pass: Vec<String> = self
            .settings
            .password
            .iter()
            .map(|_| password_variable.to_string())
            .collect();
        pass.extend(secrets.iter().map(|(key, _)| key.clone()));
        let step = ServiceStep::new(self.project, &self.settings.tools_service)
            .in_environment(self.environment.as_deref())
            .env(env)
            .pass(&pass)
            .tty(tty);
        let mut step = match &self.entry {
            ToolsEntry::Exec => step.exec(&argv),
            ToolsEntry::Run => step.run(&argv),
            ToolsEntry::Container(id) => step.docker_exec(id, &argv),
        };
        if let Some((_, value)) = &self.settings.password {
            // In compose's environment only: `-e PGPASSWORD` takes it from there.
            step.context_env
                .push((password_variable.into(), value.clone()));
        }
        step.context_env.extend(secrets.iter().cloned());
        step
    }

    /// psql running `script` from stdin on `database`, with `variables`
    /// as psql variables.
    pub fn script(
        &self,
        database: &str,
        script: String,
        variables: &[(&str, &str)],
    ) -> CommandStep {
        self.script_passing(database, script, variables, &[])
    }

    /// As [`Self::script`], with `secrets` passed by name (see [`Self::tool_passing`]).
    pub fn script_passing(
        &self,
        database: &str,
        script: String,
        variables: &[(&str, &str)],
        secrets: &[(String, String)],
    ) -> CommandStep {
        let argv = self.settings.psql_script_argv(database, variables);
        self.tool_passing(argv, &[], false, secrets)
            .stdin(Input::Text(script))
    }

    /// A bounded wait (60 s) for the server to accept connections.
    pub fn wait_until_ready(&self) -> CommandStep {
        let mut argv = vec![
            "sh".to_string(),
            "-c".into(),
            "i=0; until pg_isready -q \"$@\"; do i=$((i+1)); if [ $i -ge 120 ]; then echo \"the database server did not accept connections within 60 s\" >&2; exit 1; fi; sleep 0.5; done".into(),
            "sh".into(),
        ];
        argv.extend(self.settings.connection());
        self.tool(argv, &[], false)
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A project and `[db]` settings for the db plans' unit tests.

    use crate::compose::project::ComposeProject;
    use crate::db::settings::DbSettings;

    pub(crate) fn project() -> ComposeProject {
        ComposeProject::for_tests(&[])
    }

    pub(crate) fn settings() -> DbSettings {
        DbSettings {
            engine: crate::db::engine::EngineChoice {
                engine: crate::db::engine::Engine::Postgres,
                reason: "[db] engine".into(),
            },
            tools_service: "tools".into(),
            server: "db".into(),
            database: "shop".into(),
            user: "postgres".into(),
            password: Some(("DB_PASSWORD".into(), "s3cret".into())),
            password_env: Some("DB_PASSWORD".into()),
            roles: Vec::new(),
            role_password: None,
            role_password_env: None,
            extensions: Vec::new(),
            init: None,
            demo: None,
            test: None,
            protected: false,
            environment: "development".into(),
            restore_cache: 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{project, settings};
    use super::*;
    #[test]
    fn the_password_and_secrets_are_passed_by_name_only() {
        let project = project();
        let settings = settings();
        let client = DatabaseClient::new(&project, &settings, ToolsEntry::Run);
        let step = client.script_passing(
            "shop",
            "SELECT 1;".into(),
            &[("name", "shop")],
            &[("XTASK_LOAD_SEAL".into(), "abc".into())],
        );
        let line = step.argv.join(" ");
        assert!(
            line.contains("-e PGPASSWORD -e XTASK_LOAD_SEAL tools psql"),
            "{line}"
        );
        assert!(!line.contains("s3cret") && !line.contains("abc"), "{line}");
        assert!(step
            .context_env
            .contains(&("PGPASSWORD".into(), "s3cret".into())));
        assert!(step
            .context_env
            .contains(&("XTASK_LOAD_SEAL".into(), "abc".into())));
        assert_eq!(step.stdin, Input::Text("SELECT 1;".into()));
    }

    #[test]
    fn a_known_container_is_entered_with_docker_exec() {
        let project = project();
        let settings = settings();
        let client = DatabaseClient::new(&project, &settings, ToolsEntry::Container("abc".into()));
        let step = client.wait_until_ready();
        assert_eq!(step.argv[..3], ["docker", "exec", "-i"]);
        assert!(step.argv.iter().any(|a| a == "abc"));
    }
}
