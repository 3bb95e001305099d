//! The plans of the `db` commands that work on whole databases: create,
//! delete, rebuild, setup, list, psql and copy.

use crate::db::error::{DbError, Result};
use crate::db::scripts;
use crate::db::seal::new_seal;
use crate::db::snapshots::{aside_names, safety_snapshot_names, set_aside};
use crate::db::target::{checked, DataChoice, DbPlan, DbTarget};
use crate::plan::Plan;

/// `db create`: the database if missing, then roles and extensions.
pub fn create(target: &DbTarget<'_>, database: Option<&str>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    plan.run(target.script(scripts::CREATE.into(), &[("name", &db)]));
    target.roles_and_extensions(&mut plan, &db)?;
    Ok(DbPlan::from(plan))
}

/// `db delete`: asked first, under the lock, other sessions terminated.
pub fn delete(
    target: &DbTarget<'_>,
    database: Option<&str>,
    confirm: Option<&str>,
) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    target.confirm(&mut plan, "Delete", &db, confirm);
    target.lock(&mut plan, &db);
    plan.run(target.script(scripts::drop(), &[("name", &db)]));
    Ok(DbPlan::done(plan, "Deleted", db))
}

/// What `db rebuild` was asked.
#[derive(Debug, Clone, Default)]
pub struct RebuildOptions {
    /// The database; default: `[db] name`.
    pub database: Option<String>,
    /// Drop the database instead of keeping it as a snapshot.
    pub no_backup: bool,
    /// The data loaded after init.
    pub data: DataChoice,
    /// The name typed in advance (protected environments).
    pub confirm: Option<String>,
}

/// `db rebuild`: the database set aside (a snapshot unless `no_backup`),
/// created, initialised and given its data.
pub fn rebuild(target: &DbTarget<'_>, options: &RebuildOptions) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let mut plan = Plan::new();
    target.confirm(
        &mut plan,
        "Rebuild (delete and recreate)",
        &db,
        options.confirm.as_deref(),
    );
    target.lock(&mut plan, &db);
    // Kept as the snapshot (renamed, not copied), else dropped.
    let kept = safety_snapshot_names(target, &db, "rebuild", options.no_backup)?;
    plan.run(set_aside(target, &db, kept.as_ref()));
    plan.run(target.script(scripts::CREATE.into(), &[("name", &db)]));
    target.roles_and_extensions(&mut plan, &db)?;
    target.initialise(&mut plan, &db, options.data)?;
    Ok(DbPlan::done(plan, "Rebuilt", db))
}

/// `db setup`: the configured database created if missing, initialised,
/// given its data.
pub fn setup(target: &DbTarget<'_>, data: DataChoice) -> Result<DbPlan> {
    let db = target.database(None)?;
    let mut plan = Plan::new();
    plan.run(target.script(scripts::CREATE.into(), &[("name", &db)]));
    target.roles_and_extensions(&mut plan, &db)?;
    target.initialise(&mut plan, &db, data)?;
    Ok(DbPlan::done(plan, "Set up", db))
}

/// `db list`: name, size and owner of each database (JSON with `json`).
pub fn list(target: &DbTarget<'_>, json: bool) -> DbPlan {
    let mut argv = vec!["psql".to_string(), "-X".into()];
    argv.extend(target.settings.connection());
    argv.extend(["-d".into(), "postgres".into()]);
    if json {
        argv.extend([
            "-A".into(),
            "-t".into(),
            "-c".into(),
            scripts::LIST_JSON.into(),
        ]);
    } else {
        argv.extend(["-c".into(), scripts::LIST.into()]);
    }
    let mut plan = Plan::new();
    plan.run(target.client.tool(argv, &[], false));
    DbPlan::from(plan)
}

/// `db psql`: a console on `database`, `args` passed on to psql.
pub fn psql(target: &DbTarget<'_>, database: Option<&str>, args: Vec<String>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut argv = vec!["psql".to_string()];
    argv.extend(target.settings.connection());
    argv.extend(["-d".into(), db]);
    argv.extend(args);
    let mut plan = Plan::new();
    plan.run(target.client.tool(argv, &[], target.tty));
    Ok(DbPlan::from(plan))
}

/// What `db copy` was asked.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// The database copied.
    pub source: String,
    /// The copy's name.
    pub target: String,
    /// Replace the target when it exists.
    pub force: bool,
    /// Drop the replaced target instead of keeping it as a snapshot.
    pub no_backup: bool,
    /// The name typed in advance (protected environments).
    pub confirm: Option<String>,
}

/// `db copy`: a template copy; with `force`, copied beside the target and
/// swapped in, the target kept as a snapshot unless `no_backup`.
pub fn copy(target: &DbTarget<'_>, options: &CopyOptions) -> Result<DbPlan> {
    let source = target.database(Some(&options.source))?;
    let dst = target.database(Some(&options.target))?;
    // Names reach Postgres quoted: equal strings are one database.
    if source == dst {
        return Err(DbError::SameDatabase(dst));
    }
    let mut plan = Plan::new();
    if !options.force {
        plan.run(target.script(scripts::copy(), &[("name", &dst), ("source", &source)]));
        return Ok(DbPlan::from(plan));
    }
    target.confirm(&mut plan, "Replace", &dst, options.confirm.as_deref());
    target.lock(&mut plan, &dst);
    let staging = format!("{dst}__copying");
    checked(&staging, "database")?;
    let (snapshot, marker, hint) = aside_names(target, &dst, "copy", options.no_backup)?;
    let seal = new_seal()?;
    let done = format!("copied database {source} to {dst}");
    plan.run(target.script(
        scripts::copy_replacing(),
        &[
            ("name", &dst),
            ("source", &source),
            ("loaded", &staging),
            ("snapshot", &snapshot),
            ("marker", &marker),
            ("hint", &hint),
            ("seal", &seal),
            ("done", &done),
        ],
    ));
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
    use crate::db::snapshots;
    use crate::plan::Step;

    fn environment(choice: Choice) -> ActiveEnvironment {
        ActiveEnvironment {
            name: Some("staging".into()),
            choice,
            project: "demo".into(),
            project_reason: String::new(),
            env_files: Vec::new(),
            env_file_values: BTreeMap::new(),
            chain: vec!["staging".into()],
            compose_files: Vec::new(),
            env: BTreeMap::new(),
            value_files: BTreeMap::new(),
        }
    }

    /// Runs `check` against a target on the fixtures.
    fn with_target(choice: Choice, check: impl FnOnce(&DbTarget<'_>)) {
        let project = project();
        let settings = settings();
        let environment = environment(choice);
        let target = DbTarget {
            client: DatabaseClient::new(&project, &settings, ToolsEntry::Exec),
            settings: &settings,
            environment: &environment,
            root: Path::new("/env"),
            tty: false,
        };
        check(&target);
    }

    fn notes(plan: &DbPlan) -> Vec<String> {
        plan.plan
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Note(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_copy_onto_itself_is_refused_before_any_step() {
        with_target(Choice::Default, |target| {
            let options = CopyOptions {
                source: "shop".into(),
                target: "shop".into(),
                ..CopyOptions::default()
            };
            let error = copy(target, &options).map(|_| ()).unwrap_err();
            assert_eq!(
                error.to_string(),
                "SRC and DST are the same database `shop`; nothing was changed"
            );
        });
    }

    #[test]
    fn a_bad_name_says_why_and_how_names_look() {
        with_target(Choice::Default, |target| {
            let error = create(target, Some("no;way")).map(|_| ()).unwrap_err();
            assert!(error
                .to_string()
                .starts_with("`no;way` is not a valid database name: "));
            assert!(error.help().is_some());
        });
    }

    #[test]
    fn demo_data_needs_its_command() {
        with_target(Choice::Default, |target| {
            let error = setup(target, DataChoice::Demo).map(|_| ()).unwrap_err();
            assert_eq!(
                error.to_string(),
                "--demo needs `demo` in [db] of tasks.toml"
            );
        });
    }

    #[test]
    fn a_snapshot_says_how_to_restore_it_with_the_flags_it_needs() {
        with_target(Choice::Flag, |target| {
            let plan = snapshots::take(target, Some("other"), Some("before".into()));
            assert_eq!(
                plan.as_ref().map(notes).unwrap_or_default(),
                ["restore it with: cargo xtask --env staging db snapshot restore before --db other"]
            );
        });
        with_target(Choice::Default, |target| {
            let plan = snapshots::take(target, None, Some("before".into()));
            assert_eq!(
                plan.as_ref().map(notes).unwrap_or_default(),
                ["restore it with: cargo xtask db snapshot restore before"]
            );
        });
    }

    #[test]
    fn a_delete_asks_then_locks_then_drops() {
        with_target(Choice::Default, |target| {
            let plan = delete(target, None, None)
                .map(|p| p.plan.steps)
                .unwrap_or_default();
            assert!(matches!(
                plan.as_slice(),
                [Step::Confirm { .. }, Step::Lock { .. }, Step::Run(_)]
            ));
        });
    }
}
