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

/// The positional parameters of [`SET_ASIDE`], named.
const SET_ASIDE_ARGS: &str = "prelude=$1 oddq=$2 dropq=$3 vdb=$4 swap=$5 drop=$6 existsq=$7 staging=$8 db=$9 kept=${10} keep=${11} client=${12} dumper=${13}; shift 13; ";

/// `sh -c` in the tools service, under the container's lock on the staging
/// database `$8` (the set-aside drops it), as one piece with SIGTERM,
/// SIGINT and SIGHUP ignored (children inherit that): refuses odd names
/// (`$2`); when `$9` exists (`$7`), reads the SQL of its triggers, views
/// (listed by `$4`) and routines with the dump tool, drops its triggers
/// and views (`$3`: they keep RENAME TABLE from moving tables), moves its
/// tables into `${10}` (`$5`, which makes it) and makes them there when
/// `${11}` is 1 (a failed move makes them again in `$9`), then drops what
/// is left (`$6`: `$9` with its routines and events). `$1` is the
/// variables' prelude, `${12}`/`${13}` the client and the dump tool, the
/// rest the connection.
const SET_ASIDE: &str = "sql() { s=$1; shift; printf '%s\\n%s\\n' \"$prelude\" \"$s\" | \"$client\" \"$@\" --batch --skip-column-names --binary-mode --raw; }; \
fail() { echo \"$1\" >&2; }; \
trap '' TERM INT HUP; set -f; nl=$(printf '\\nx'); nl=${nl%x}; \
found=$(sql \"$oddq\" \"$@\") || exit 1; \
if [ -n \"$found\" ]; then fail \"$(echo $found)\"; exit 1; fi; \
there=$(sql \"$existsq\" \"$@\") || exit 1; \
old=$(mktemp) && oldr=$(mktemp) || exit 1; trap 'rm -f \"$old\" \"$oldr\"; rm -rf \"$lock\"' EXIT; \
objects='--no-data --no-create-info --skip-comments --skip-opt'; \
if [ \"$there\" = 1 ]; then \
vd=$(sql \"$vdb\" \"$@\") || exit 1; \
if ! \"$dumper\" \"$@\" $objects --triggers --skip-routines --skip-events -- \"$db\" > \"$old\" \
|| ! (IFS=$nl; [ -z \"$vd\" ] || \"$dumper\" \"$@\" --no-data --skip-comments --skip-opt --skip-triggers -- \"$db\" $vd >> \"$old\") \
|| ! \"$dumper\" \"$@\" $objects --skip-triggers --routines --skip-events -- \"$db\" > \"$oldr\"; then fail 'cannot read the views, triggers and routines of the database; nothing was changed'; exit 1; fi; \
if ! drops=$(sql \"$dropq\" \"$@\") || ! printf '%s\\n' \"$drops\" | \"$client\" \"$@\" --batch --binary-mode; then fail 'cannot set the triggers and views aside'; \
\"$client\" \"$@\" --batch --binary-mode -- \"$db\" < \"$old\"; exit 1; fi; \
fi; \
if ! sql \"$swap\" \"$@\"; then fail 'the tables could not be set aside'; [ \"$there\" = 1 ] && \"$client\" \"$@\" --batch --binary-mode -- \"$db\" < \"$old\"; exit 1; fi; \
if [ \"$there\" = 1 ] && [ \"$keep\" = 1 ] && ! cat \"$old\" \"$oldr\" | \"$client\" \"$@\" --batch --binary-mode -- \"$kept\"; then fail \"the views, triggers and routines could not all be kept in $kept\"; fi; \
sql \"$drop\" \"$@\"";

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
    pub fn swap_parts<'a>(
        &'a self,
        target: &DbTarget<'_>,
        prelude: String,
        db: &'a str,
    ) -> SwapParts<'a> {
        SwapParts {
            prelude,
            engine: target.settings.engine.engine,
            db,
            staging: &self.staging,
            kept: &self.kept,
            keep: self.keep,
            move_tables: sql::swap(),
        }
    }
}

/// The step that moves `db`'s tables, triggers, views and routines aside
/// (kept unless `no_backup`) and drops it.
fn set_aside(target: &DbTarget<'_>, db: &str, why: &str, no_backup: bool) -> Result<CommandStep> {
    let names = SwapNames::new(target, db, why, no_backup)?;
    let mut argv = vec![
        "sh".to_string(),
        "-c".into(),
        format!("{SET_ASIDE_ARGS}{}{SET_ASIDE}", client::CONTAINER_LOCK),
        "sh".into(),
        names.prelude(db, &format!("set aside database {db}")),
        sql::odd_names(),
        sql::drops_before_swap(),
        sql::views_of("@db"),
        sql::swap(),
        format!("{}{}", sql::tidy(), sql::drop_emptied()),
        sql::db_exists(),
        names.staging.clone(),
        db.into(),
        names.kept.clone(),
        u8::from(names.keep).to_string(),
        target.settings.engine.engine.client().into(),
        target.settings.engine.engine.dump_tool().into(),
    ];
    argv.extend(client::connection(target.settings).into_iter().skip(1));
    Ok(target.client.tool(argv, &[], false))
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
