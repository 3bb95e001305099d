//! The MySQL-family plans that work on whole databases: create, delete,
//! rebuild, setup, list and shell.

use crate::db::error::Result;
use crate::db::mysql::swap::SwapParts;
use crate::db::mysql::{client, sql};
use crate::db::snapshots::safety_snapshot_names;
use crate::db::target::{checked, DataChoice, DbPlan, DbTarget};
use crate::plan::{CommandStep, Plan};

/// `db create`: the database if missing, then `[db] roles` as users.
pub fn create(target: &DbTarget<'_>, database: Option<&str>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    plan.run(client::script(target, &[("name", &db)], &sql::create()));
    client::users(target, &mut plan, &db)?;
    Ok(DbPlan::from(plan))
}

/// `db delete`: asked first, under the lock, dropped.
pub fn delete(
    target: &DbTarget<'_>,
    database: Option<&str>,
    confirm: Option<&str>,
) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    target.confirm(&mut plan, "Delete", &db, confirm);
    target.lock(&mut plan, &db);
    plan.run(client::script(target, &[("name", &db)], &sql::drop()));
    Ok(DbPlan::done(plan, "Deleted", db))
}

/// `db setup`: the configured database created if missing, its users,
/// initialised, given its data.
pub fn setup(target: &DbTarget<'_>, data: DataChoice) -> Result<DbPlan> {
    let db = target.database(None)?;
    let mut plan = Plan::new();
    plan.run(client::script(target, &[("name", &db)], &sql::create()));
    client::users(target, &mut plan, &db)?;
    target.initialise(&mut plan, &db, data)?;
    Ok(DbPlan::done(plan, "Set up", db))
}

/// The positional parameters of [`SET_ASIDE`] after the swap's, named.
const SET_ASIDE_ARGS: &str = "prepare=$1 cleanup=$2; shift 2; ";

/// `sh -c` in the tools service, under the container's lock on the staging
/// database: makes it, empty (`$prepare`), and swaps it in for the
/// database as one piece (`swap_whole`, [`SwapParts`]): the database's tables, with
/// their triggers, views and routines, moved into the kept database, then
/// what is left of it (its events) dropped by the swap's tidy-up. On a
/// failure before, or SIGTERM before that piece, the staging database is
/// dropped (`$cleanup`). The rest of the arguments is the connection.
const SET_ASIDE: &str = "trap 'sql \"$cleanup\" \"$@\" > /dev/null 2>&1; exit 143' TERM INT HUP; \
sql \"$prepare\" \"$@\" || exit 1; \
swap_whole \"$@\"; \
sql \"$cleanup\" \"$@\" > /dev/null; echo 'the database was not set aside' >&2; exit 1";

/// `db rebuild`: the database's tables (with their triggers, views and
/// routines) set aside into a snapshot database (`NAME__snap_rebuild-<time>`,
/// one RENAME TABLE) unless `no_backup`,
/// the database dropped, created, its users, initialised and given its data.
pub fn rebuild(
    target: &DbTarget<'_>,
    options: &crate::db::database_plans::RebuildOptions,
) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let mut plan = Plan::new();
    target.confirm(
        &mut plan,
        "Rebuild (delete and recreate)",
        &db,
        options.confirm.as_deref(),
    );
    target.lock(&mut plan, &db);
    plan.run(set_aside(target, &db, "rebuild", options.no_backup)?);
    plan.run(client::script(target, &[("name", &db)], &sql::create()));
    client::users(target, &mut plan, &db)?;
    target.initialise(&mut plan, &db, options.data)?;
    Ok(DbPlan::done(plan, "Rebuilt", db))
}

/// The names a swap of `db` works with: the staging database, where the
/// tables it replaces go, whether they are kept there, and the line that
/// says where they are.
pub struct SwapNames {
    pub staging: String,
    pub kept: String,
    pub keep: bool,
    pub hint: String,
}

impl SwapNames {
    /// The names for a `why` (rebuild, restore) of `db`: the replaced
    /// tables kept in `NAME__snap_WHY-<time>` unless `no_backup`.
    pub fn new(target: &DbTarget<'_>, db: &str, why: &str, no_backup: bool) -> Result<Self> {
        let staging = format!("{db}__restoring");
        checked(&staging, "database")?;
        Ok(match safety_snapshot_names(target, db, why, no_backup)? {
            Some(kept) => Self {
                hint: format!(
                    "the replaced tables are kept in database {}",
                    kept.database()
                ),
                kept: kept.database().to_string(),
                keep: true,
                staging,
            },
            None => {
                let kept = format!("{db}__replaced");
                checked(&kept, "database")?;
                Self {
                    staging,
                    kept,
                    keep: false,
                    hint: String::new(),
                }
            }
        })
    }

    /// The session variables of the swap scripts (`@db`, `@staging`, ...).
    pub fn prelude(&self, db: &str, done: &str) -> String {
        format!(
            "{}SET @keep = {};\n",
            sql::variables(&[
                ("db", db),
                ("staging", &self.staging),
                ("kept", &self.kept),
                ("hint", &self.hint),
                ("done", done),
            ]),
            u8::from(self.keep)
        )
    }

    /// The swap of `db` (`prelude`: the session variables) that keeps the
    /// replaced tables as these names say.
    pub fn swap_parts<'a>(&'a self, prelude: String, db: &'a str) -> SwapParts<'a> {
        SwapParts {
            prelude,
            db,
            staging: &self.staging,
            kept: &self.kept,
            keep: self.keep,
            move_tables: sql::swap(),
            drop_db_after: false,
        }
    }
}

/// The step that moves `db`'s tables, triggers, views and routines aside
/// (kept unless `no_backup`) and drops it.
fn set_aside(target: &DbTarget<'_>, db: &str, why: &str, no_backup: bool) -> Result<CommandStep> {
    let names = SwapNames::new(target, db, why, no_backup)?;
    let mut swap = names.swap_parts(names.prelude(db, &format!("set aside database {db}")), db);
    swap.drop_db_after = true;
    Ok(swap.call(
        target,
        (SET_ASIDE_ARGS, SET_ASIDE),
        vec![sql::prepare_staging(), sql::drop_staging()],
        &[],
    ))
}

/// `db list`: name, size and tables of each database (JSON with `json`).
pub fn list(target: &DbTarget<'_>, json: bool) -> DbPlan {
    let mut argv = client::connection(target.settings);
    if json {
        argv.extend(client::BATCH.map(String::from));
        argv.push("--raw".into());
        argv.push(format!("--execute={}", sql::list_json()));
    } else {
        argv.push("--table".into());
        argv.push(format!("--execute={}", sql::list()));
    }
    let mut plan = Plan::new();
    plan.run(target.client.tool(argv, &[], false));
    DbPlan::from(plan)
}

/// `db shell`: the engine's own client on `database`, `args` passed on.
pub fn shell(target: &DbTarget<'_>, database: Option<&str>, args: Vec<String>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut argv = client::connection(target.settings);
    argv.push(format!("--database={db}"));
    argv.extend(args);
    let mut plan = Plan::new();
    plan.run(target.client.tool(argv, &[], target.tty));
    Ok(DbPlan::from(plan))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::compose::environment::{ActiveEnvironment, Choice};
    use crate::db::client::fixtures::{project, settings};
    use crate::db::client::{DatabaseClient, ToolsEntry};
    use crate::db::engine::{Engine, EngineChoice};
    use crate::plan::{Input, Step};

    /// Runs `check` against a MariaDB target on the fixtures, with a role
    /// and its password.
    fn with_mariadb(check: impl FnOnce(&DbTarget<'_>)) {
        let project = project();
        let mut settings = settings();
        settings.engine = EngineChoice {
            engine: Engine::Mariadb,
            reason: "[db] engine".into(),
        };
        settings.user = "root".into();
        settings.roles = vec!["app".into()];
        settings.role_password = Some(("APP_PW".into(), "r0le-secret".into()));
        let environment = ActiveEnvironment {
            name: Some("development".into()),
            choice: Choice::Default,
            project: "demo".into(),
            project_reason: String::new(),
            env_files: Vec::new(),
            env_file_values: BTreeMap::new(),
            chain: vec!["development".into()],
            compose_files: Vec::new(),
            env: BTreeMap::new(),
            value_files: BTreeMap::new(),
        };
        let target = DbTarget {
            client: DatabaseClient::new(&project, &settings, ToolsEntry::Exec),
            settings: &settings,
            environment: &environment,
            root: Path::new("/env"),
            tty: false,
        };
        check(&target);
    }

    #[test]
    fn create_passes_names_as_hex_and_passwords_by_name_only() {
        with_mariadb(|target| {
            let plan = create(target, Some("a-b$c")).map(|p| p.plan.steps);
            let steps = plan.unwrap_or_default();
            let [Step::Run(database), Step::Run(users)] = steps.as_slice() else {
                panic!("{steps:?}");
            };
            let line = database.argv.join(" ");
            assert!(
                line.contains("-e MYSQL_PWD ") && line.contains("mariadb --host=db --user=root"),
                "{line}"
            );
            assert!(
                !line.contains("s3cret") && !line.contains("a-b$c"),
                "{line}"
            );
            let Input::Text(script) = &database.stdin else {
                panic!("no script");
            };
            assert!(
                script.starts_with("SET @name = X'612d622463';\n"),
                "{script}"
            );
            let line = users.argv.join(" ");
            assert!(line.contains("-e XTASK_ROLE_PASSWORD"), "{line}");
            let Input::Text(script) = &users.stdin else {
                panic!("no script");
            };
            assert!(!line.contains("r0le-secret") && !script.contains("r0le-secret"));
            assert!(users
                .context_env
                .contains(&("XTASK_ROLE_PASSWORD".into(), "r0le-secret".into())));
        });
    }

    #[test]
    fn a_delete_asks_then_locks_then_drops() {
        with_mariadb(|target| {
            let steps = delete(target, None, None)
                .map(|p| p.plan.steps)
                .unwrap_or_default();
            assert!(matches!(
                steps.as_slice(),
                [Step::Confirm { .. }, Step::Lock { .. }, Step::Run(_)]
            ));
        });
    }
}
