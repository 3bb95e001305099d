//! How a test run reaches the stack: commands into its containers
//! (`docker compose exec`, or `docker exec` into a kept stack's containers)
//! and the test databases of `[db]` (psql in the tools service, the `db`
//! commands' scripts, names as psql variables; spares made ahead).

use std::collections::BTreeMap;

use crate::compose::project::ComposeProject;
use crate::compose::service_step::ServiceStep;
use crate::config::CommandLine;
use crate::db::client::{DatabaseClient, ToolsEntry};
use crate::db::{scripts, DbSettings};
use crate::error::{Error, Result};
use crate::plan::test_plan::PhaseStep;
use crate::plan::CommandStep;

/// The names around the test database `database`: `spare`, a copy of its
/// template made while a run's suites run, renamed into place by the next
/// run, which renames the database it replaces to `used` (dropped while
/// its suites run).
pub struct SpareNames {
    pub spare: String,
    pub used: String,
}

/// `None` when a name would pass Postgres's 63 bytes (the run copies instead).
pub fn spare_of(database: &str) -> Option<SpareNames> {
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
pub fn kept_containers(
    project: &str,
    services: &[String],
) -> Result<Option<BTreeMap<String, String>>> {
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
pub enum Exec<'a> {
    /// `docker compose exec`: the containers are started by the plan.
    Compose(&'a ComposeProject),
    /// `docker exec` into the kept containers the compose labels named:
    /// the same container, environment and working directory, without the
    /// 0.1 to 0.3 s compose takes to load the project on every call.
    Kept(&'a ComposeProject, BTreeMap<String, String>),
}

impl Exec<'_> {
    fn project(&self) -> &ComposeProject {
        match self {
            Exec::Compose(project) | Exec::Kept(project, _) => project,
        }
    }

    /// The kept container of `service`, if the stack is kept.
    fn container(&self, service: &str) -> Option<&String> {
        match self {
            Exec::Compose(_) => None,
            Exec::Kept(_, ids) => ids.get(service),
        }
    }

    /// `argv` in `service`'s container, `env` set, `pass` passed by name,
    /// marked so that an interrupt stops it (see compose/service_step.rs).
    pub fn step(
        &self,
        service: &str,
        argv: &[String],
        env: &[(String, String)],
        pass: &[String],
        tty: bool,
    ) -> CommandStep {
        let step = ServiceStep::new(self.project(), service)
            .env(env)
            .pass(pass)
            .tty(tty);
        match self.container(service) {
            Some(id) => step.docker_exec(id, argv),
            None => step.exec(argv),
        }
    }
}

/// The test databases of `[db]` in the testing environment: psql in the
/// tools service (the one database client), the `db` commands' scripts,
/// names as psql variables.
pub struct TestDatabase<'a> {
    /// How the suites' commands get into the containers.
    pub exec: &'a Exec<'a>,
    pub settings: &'a DbSettings,
    client: DatabaseClient<'a>,
}

impl<'a> TestDatabase<'a> {
    /// The test databases reached through `exec`.
    pub fn new(exec: &'a Exec<'a>, settings: &'a DbSettings) -> Self {
        let entry = match exec.container(&settings.tools_service) {
            Some(id) => ToolsEntry::Container(id.clone()),
            None => ToolsEntry::Exec,
        };
        Self {
            exec,
            settings,
            client: DatabaseClient::new(exec.project(), settings, entry),
        }
    }

    /// `argv` exec'd in the tools service, the password passed by name.
    fn tool(&self, argv: Vec<String>, env: &[(String, String)]) -> CommandStep {
        self.client.tool(argv, env, false)
    }

    /// psql running `script` on `database`, `variables` as psql variables.
    fn script(&self, database: &str, script: String, variables: &[(&str, &str)]) -> CommandStep {
        self.client.script(database, script, variables)
    }

    /// A bounded wait (60 s) for the server to accept connections.
    pub fn wait_until_ready(&self) -> CommandStep {
        self.client.wait_until_ready()
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
    pub fn template_steps(
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
    pub fn swap_spare(
        &self,
        database: &str,
        spare: &str,
        used: &str,
        template: &str,
    ) -> CommandStep {
        self.spare_script(scripts::swap_spare(), database, spare, used, template)
    }

    /// The fallback: the spare and a used database (if any) dropped,
    /// `database` copied afresh.
    pub fn copy_dropping_spare(
        &self,
        database: &str,
        spare: &str,
        used: &str,
        template: &str,
    ) -> CommandStep {
        self.spare_script(
            scripts::copy_dropping_spare(),
            database,
            spare,
            used,
            template,
        )
    }

    /// `script` on the server with the names of a spare swap as psql
    /// variables: `name` (the test database), `spare`, `used`, `source`.
    fn spare_script(
        &self,
        script: String,
        database: &str,
        spare: &str,
        used: &str,
        template: &str,
    ) -> CommandStep {
        self.script(
            "postgres",
            script,
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
    pub fn make_spare(&self, spare: &str, used: &str, template: &str) -> CommandStep {
        self.script(
            "postgres",
            scripts::make_spare(),
            &[("spare", spare), ("used", used), ("source", template)],
        )
    }

    /// Drops `database` and copies it from `template`: every run starts
    /// from the template, whatever the last one wrote.
    pub fn fresh_copy(&self, database: &str, template: &str) -> CommandStep {
        self.script(
            "postgres",
            format!("{}{}", scripts::drop_scratch(), scripts::copy()),
            &[("name", database), ("source", template)],
        )
    }
}
