//! What a test run owns of the project it runs in (and so may stop and
//! delete), and the locks that keep two runs off one test database.

use std::path::Path;

use crate::compose::environment::ActiveEnvironment;
use crate::error::{Error, Result};
use crate::state_lock::StateLock;
use crate::testing::test_config::TestConfig;
use crate::ui::Ui;

/// Holds the lock of every test database of `configs` (the one `db
/// rebuild` and `restore` take), waiting for a holder and saying so.
pub fn lock_test_databases(
    root: &Path,
    project: &str,
    configs: &[TestConfig],
    ui: &Ui,
) -> Result<Vec<StateLock>> {
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
            StateLock::acquire(
                &path,
                &format!("a test run that uses `{database}`"),
                |holder| {
                    ui.status(
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
pub fn is_testing_environment(
    environment: &ActiveEnvironment,
    others: impl IntoIterator<Item = ActiveEnvironment>,
) -> bool {
    let inherits = |env: &ActiveEnvironment| env.chain.iter().any(|name| name == "testing");
    if !inherits(environment) {
        return false;
    }
    let shared = others
        .into_iter()
        .any(|other| !inherits(&other) && other.project == environment.project);
    !shared
}

/// What a run may stop and delete of the project it runs in: only what
/// it owns.
pub struct Ownership {
    /// Its containers: a testing environment's, or a project of which no
    /// container existed before the run.
    pub containers: bool,
    /// Its volumes too (`--ci`): a testing environment's, or a project
    /// that had no volume before the run.
    pub volumes: bool,
    /// Why not, said before the run starts.
    pub notes: Vec<String>,
}

/// What [`Ownership::of`] looks at.
pub struct OwnershipInputs<'a> {
    pub environment: &'a ActiveEnvironment,
    pub project: &'a str,
    /// A testing environment's project (see [`is_testing_environment`]).
    pub testing: bool,
    /// The environment is `protected`: its volumes are always kept.
    pub protected: bool,
    pub ci: bool,
    pub dry_run: bool,
}

impl Ownership {
    /// Looks at `project` before the run. In a dry run an engine that does
    /// not answer owns nothing; otherwise its error is the run's.
    /// `require_engine` diagnoses an engine that does not answer.
    pub fn of(
        inputs: &OwnershipInputs<'_>,
        require_engine: &dyn Fn() -> Result<()>,
    ) -> Result<Self> {
        let OwnershipInputs {
            environment,
            project,
            testing,
            protected,
            ci,
            dry_run,
        } = *inputs;
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
        >| match (result, dry_run) {
            (Ok(names), _) => Ok(Some(names)),
            (Err(_), true) => Ok(None),
            (Err(error), false) => {
                require_engine()?;
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
