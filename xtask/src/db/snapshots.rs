//! Snapshots as template databases: their names and markers, the safety
//! snapshot a replacement keeps, and the plans of `db snapshot` (take,
//! list, restore, rm).

use crate::db::dump_file;
use crate::db::error::{DbError, Result};
use crate::db::scripts;
use crate::db::seal::new_seal;
use crate::db::target::{checked, DbPlan, DbTarget};
use crate::plan::{CommandStep, Plan, Step};

/// `NAME__snap_`: what every snapshot database of `database` starts with.
pub(crate) fn snapshot_prefix(database: &str) -> String {
    format!("{database}__snap_")
}

/// The comment that marks a database as a snapshot of `database`.
fn snapshot_marker(database: &str) -> String {
    format!("xtask-snapshot:{database}")
}

/// The database holding snapshot `name` of `database`, checked.
pub(crate) fn snapshot_database(database: &str, name: &str) -> Result<String> {
    // The full name starts with the database's: only it needs the rules.
    let full = format!("{}{name}", snapshot_prefix(database));
    checked(&full, "snapshot database")?;
    Ok(full)
}

/// The snapshot a rebuild or restore keeps (see [`safety_snapshot_names`]).
pub struct SafetySnapshot {
    database: String,
    marker: String,
    hint: String,
}

impl SafetySnapshot {
    /// The database that holds it.
    pub fn database(&self) -> &str {
        &self.database
    }
}

/// The snapshot a `why` (rebuild, restore) of `database` keeps unless
/// `no_backup`: its database, marker, and the line that says how to get
/// back to it.
pub fn safety_snapshot_names(
    target: &DbTarget<'_>,
    database: &str,
    why: &str,
    no_backup: bool,
) -> Result<Option<SafetySnapshot>> {
    if no_backup {
        return Ok(None);
    }
    let name = format!(
        "{why}-{}",
        dump_file::utc_timestamp_millis(std::time::SystemTime::now())
    );
    let full = snapshot_database(database, &name).map_err(|_| DbError::SnapshotNameTooLong {
        database: database.to_string(),
        why: why.to_string(),
    })?;
    // Said by the script, only when it took the snapshot: a database
    // that did not exist has nothing to get back to.
    let hint = format!(
        "to get back: cargo xtask {}db snapshot restore {name}{}",
        target.env_flag(),
        target.db_flag(database)
    );
    Ok(Some(SafetySnapshot {
        database: full,
        marker: snapshot_marker(database),
        hint,
    }))
}

/// Where a swap puts the database it replaces: `(snapshot, marker, hint)`
/// of the snapshot kept ([`safety_snapshot_names`]), or `NAME__replaced`
/// with no marker (dropped after the swap).
pub fn aside_names(
    target: &DbTarget<'_>,
    database: &str,
    why: &str,
    no_backup: bool,
) -> Result<(String, String, String)> {
    Ok(
        match safety_snapshot_names(target, database, why, no_backup)? {
            Some(kept) => (kept.database, kept.marker, kept.hint),
            None => {
                let aside = format!("{database}__replaced");
                checked(&aside, "database")?;
                (aside, String::new(), String::new())
            }
        },
    )
}

/// Sets `database` aside before it is replaced: kept as the snapshot
/// `kept` when there is one, else dropped ([`scripts::set_aside`]).
pub fn set_aside(
    target: &DbTarget<'_>,
    database: &str,
    kept: Option<&SafetySnapshot>,
) -> CommandStep {
    let (snapshot, marker, hint) = kept
        .map(|k| (k.database.as_str(), k.marker.as_str(), k.hint.as_str()))
        .unwrap_or_default();
    target.script(
        scripts::set_aside(),
        &[
            ("name", database),
            ("snapshot", snapshot),
            ("marker", marker),
            ("hint", hint),
        ],
    )
}

/// `db snapshot`: a template copy of `database` (default: `[db] name`)
/// named `name` (default: the UTC time), and how to restore it.
pub fn take(target: &DbTarget<'_>, database: Option<&str>, name: Option<String>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let name = name.unwrap_or_else(|| dump_file::utc_timestamp(std::time::SystemTime::now()));
    let mut plan = Plan::new();
    plan.run(take_step(target, &db, &name)?);
    plan.push(Step::Note(format!(
        "restore it with: cargo xtask {}db snapshot restore {name}{}",
        target.env_flag(),
        target.db_flag(&db)
    )));
    Ok(DbPlan::from(plan))
}

/// The step that takes snapshot `name` of `database` (refused when it exists).
pub fn take_step(target: &DbTarget<'_>, database: &str, name: &str) -> Result<CommandStep> {
    let full = snapshot_database(database, name)?;
    Ok(target.script(
        scripts::snapshot(),
        &[
            ("name", database),
            ("snapshot", &full),
            ("marker", &snapshot_marker(database)),
        ],
    ))
}

/// `db snapshot list`: the snapshots of `database`, oldest first.
pub fn list(target: &DbTarget<'_>, database: Option<&str>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    plan.run(target.script(
        scripts::SNAPSHOT_LIST.into(),
        &[
            ("name", &db),
            ("prefix", &snapshot_prefix(&db)),
            ("marker", &snapshot_marker(&db)),
        ],
    ));
    Ok(DbPlan::from(plan))
}

/// What `db snapshot restore` was asked.
#[derive(Debug, Clone, Default)]
pub struct SnapshotRestoreOptions {
    /// The snapshot; `None` with `latest`.
    pub snapshot: Option<String>,
    /// The newest snapshot.
    pub latest: bool,
    /// The database; default: `[db] name`.
    pub database: Option<String>,
    /// The name typed in advance (protected environments).
    pub confirm: Option<String>,
    /// Drop the state it replaces instead of keeping it as a snapshot.
    pub no_backup: bool,
}

/// `db snapshot restore`: the snapshot copied beside the database, then
/// swapped in; the state it replaces kept as a snapshot too.
pub fn restore(target: &DbTarget<'_>, options: &SnapshotRestoreOptions) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let mut plan = Plan::new();
    target.confirm(
        &mut plan,
        "Replace (from a snapshot)",
        &db,
        options.confirm.as_deref(),
    );
    restore_steps(target, &mut plan, &db, options)?;
    Ok(DbPlan::from(plan))
}

/// The lock and the swap of a snapshot restore of `database` (no
/// confirmation: the caller asks), added to `plan`.
pub fn restore_steps(
    target: &DbTarget<'_>,
    plan: &mut Plan,
    db: &str,
    options: &SnapshotRestoreOptions,
) -> Result<()> {
    let db = db.to_string();
    let full = match &options.snapshot {
        Some(name) => snapshot_database(&db, name)?,
        None => String::new(),
    };
    target.lock(plan, &db);
    // Copied beside the database, then swapped in: a failed copy
    // leaves it as it was.
    let loaded = format!("{db}__restoring");
    checked(&loaded, "database")?;
    // The state it replaces is kept as a snapshot too, as rebuild
    // and restore keep theirs (`--latest` then goes back to it).
    let (aside, aside_marker, hint) =
        aside_names(target, &db, "snapshot-restore", options.no_backup)?;
    let seal = new_seal()?;
    let done = format!("restored {db} from the snapshot");
    plan.run(target.script(
        scripts::snapshot_restore_beside(),
        &[
            ("name", &db),
            ("snapshot", &full),
            ("marker", &snapshot_marker(&db)),
            ("latest", if options.latest { "true" } else { "false" }),
            ("loaded", &loaded),
            ("aside", &aside),
            ("aside_marker", &aside_marker),
            ("hint", &hint),
            ("seal", &seal),
            ("done", &done),
        ],
    ));
    Ok(())
}

/// `db snapshot rm`: the snapshot `name` of `database` dropped.
pub fn remove(target: &DbTarget<'_>, database: Option<&str>, name: &str) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    plan.run(remove_step(target, &db, name)?);
    Ok(DbPlan::from(plan))
}

/// The step that drops snapshot `name` of `database` (refused when missing).
pub fn remove_step(target: &DbTarget<'_>, database: &str, name: &str) -> Result<CommandStep> {
    let full = snapshot_database(database, name)?;
    Ok(target.script(
        scripts::snapshot_remove(),
        &[
            ("name", database),
            ("snapshot", &full),
            ("marker", &snapshot_marker(database)),
        ],
    ))
}
