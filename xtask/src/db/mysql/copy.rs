//! Snapshots and copies on the MySQL family: the tables of one database
//! copied into a staging database as files (transportable tablespaces, in
//! the server's container), with their views, triggers and routines, then
//! moved where they belong with one RENAME TABLE: into a new snapshot
//! database, or swapped into the database replaced (`snapshot restore`,
//! `copy`), whose tables and objects are kept aside. Events are refused:
//! copied, they would run in the copy.

use crate::db::database_plans::CopyOptions;
use crate::db::engine::Engine;
use crate::db::error::{DbError, Result};
use crate::db::mysql::plans::SwapNames;
use crate::db::mysql::swap::SwapParts;
use crate::db::mysql::{client, sql};
use crate::db::snapshots::{snapshot_database, snapshot_prefix, SnapshotRestoreOptions};
use crate::db::target::{checked, DbPlan, DbTarget};
use crate::plan::{CommandStep, Plan, Step};

/// The positional parameters of [`COPY_TABLES`] after the swap's, named.
const COPY_TABLES_ARGS: &str = "prepare=$1 refusals=$2 generate=$3 cleanup=$4 src=$5; shift 5; ";

/// `sh -c` in the server's container: refuses with what `$refusals`
/// lists, makes the staging database (`$prepare`), copies the structure
/// of `$src` into it (the dump tool with `--no-data`, into the client:
/// tables with their foreign keys, triggers, routines and views), its
/// data as files (the script `$generate` prints), then swaps it in as one
/// piece (`swap_whole`, [`SwapParts`]: into a new snapshot, or for the database
/// replaced, whose tables and objects are kept aside); on any failure
/// before, drops the staging database (`$cleanup`), as on SIGTERM (what
/// compose's stop of an interrupted exec sends): the staging database
/// never holds the only copy of anything. The rest of the arguments is
/// the connection.
const COPY_TABLES: &str = "structure=$(mktemp) || exit 1; trap 'rm -f \"$structure\"; rm -rf \"$lock\"' EXIT; \
trap 'sql \"$cleanup\" \"$@\" > /dev/null 2>&1; exit 143' TERM INT HUP; \
if ! found=$(sql \"$refusals\" \"$@\"); then fail 'cannot ask the server what the copy needs'; exit 1; fi; \
if [ -n \"$found\" ]; then fail \"nothing was changed: $(echo $found)\"; exit 1; fi; \
if ! sql \"$prepare\" \"$@\"; then exit 1; \
elif ! \"$dumper\" \"$@\" --no-data --triggers --routines --skip-events --skip-comments -- \"$src\" > \"$structure\"; then fail 'the tables could not be read'; \
elif ! \"$client\" \"$@\" --batch --binary-mode -- \"$staging\" < \"$structure\"; then fail 'the tables could not be made'; \
elif ! script=$(sql \"$generate\" \"$@\"); then fail 'the copy could not be planned'; \
elif ! printf '%s\\n' \"$script\" | \"$client\" \"$@\" --batch --skip-column-names; then fail 'the copy failed'; \
else swap_whole \"$@\"; fi; \
sql \"$cleanup\" \"$@\" > /dev/null; fail 'nothing was changed'; exit 1";

/// Refuses a copy on MySQL (not built there) and when the tools run
/// outside the server's container: the files are copied there.
fn require_server_container(target: &DbTarget<'_>, what: &str) -> Result<()> {
    let settings = target.settings;
    if settings.engine.engine == Engine::Mysql {
        return Err(DbError::NotOnEngine {
            what: what.into(),
            engine: settings.engine.engine.name(),
            why: "the copy finds the tables' files through MariaDB's INNODB_SYS_TABLESPACES, which MySQL 8 does not have",
            help: "take a `db backup` and `db restore` it (under another name for a copy)".into(),
        });
    }
    if settings.tools_service == settings.server {
        return Ok(());
    }
    Err(DbError::NotOnEngine {
        what: what.into(),
        engine: settings.engine.engine.name(),
        why: "the tables are copied as files in the server's container",
        help: format!(
            "leave out [db] service (the tools then run in `{}`)",
            settings.server
        ),
    })
}

/// The call that copies `src` into the staging database of `swap` and
/// swaps it in, with `swap.prelude` (the names) before each script.
fn copy_step(target: &DbTarget<'_>, src: &str, mut swap: SwapParts<'_>) -> CommandStep {
    swap.prelude = format!(
        "{}{}",
        swap.prelude,
        sql::variables(&[
            ("src", src),
            ("src_dir", &sql::folder_of(src)),
            ("staging_dir", &sql::folder_of(swap.staging)),
        ])
    );
    swap.call(
        target,
        (COPY_TABLES_ARGS, COPY_TABLES),
        vec![
            sql::prepare_staging(),
            sql::copy_refusals(),
            sql::tablespace_copy(),
            sql::drop_staging(),
            src.into(),
        ],
        &[],
    )
}

/// `db snapshot`: the tables of `database` copied into `NAME__snap_S`.
pub fn take(target: &DbTarget<'_>, database: Option<&str>, name: Option<String>) -> Result<DbPlan> {
    require_server_container(target, "db snapshot")?;
    let db = target.database(database)?;
    let name =
        name.unwrap_or_else(|| crate::db::dump_file::utc_timestamp(std::time::SystemTime::now()));
    let full = snapshot_database(&db, &name)?;
    let staging = format!("{db}__snapping");
    checked(&staging, "database")?;
    let prelude = format!(
        "{}SET @must_be_new = 1, @keep = 1;\n",
        sql::variables(&[
            ("db", &full),
            ("staging", &staging),
            ("done", &format!("took snapshot {name} of {db}")),
        ])
    );
    let mut plan = Plan::new();
    plan.run(copy_step(
        target,
        &db,
        SwapParts {
            prelude,
            db: &full,
            staging: &staging,
            kept: "",
            keep: true,
            move_tables: sql::move_into_new(),
            drop_db_after: false,
        },
    ));
    plan.push(Step::Note(format!(
        "restore it with: cargo xtask {}db snapshot restore {name}{}",
        target.env_flag(),
        target.db_flag(&db)
    )));
    Ok(DbPlan::from(plan))
}

/// `db snapshot list`: the snapshots of `database`, by name.
pub fn list(target: &DbTarget<'_>, database: Option<&str>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut argv = client::connection(target.settings);
    argv.push("--table".into());
    let step = target
        .client
        .tool(argv, &[], false)
        .stdin(crate::plan::Input::Text(format!(
            "{}{}",
            sql::variables(&[("prefix", &snapshot_prefix(&db))]),
            sql::snapshot_list()
        )));
    let mut plan = Plan::new();
    plan.run(step);
    Ok(DbPlan::from(plan))
}

/// `db snapshot restore`: the snapshot copied beside the database and
/// swapped in; the tables it replaces kept as a snapshot too.
pub fn restore(target: &DbTarget<'_>, options: &SnapshotRestoreOptions) -> Result<DbPlan> {
    require_server_container(target, "db snapshot restore")?;
    let db = target.database(options.database.as_deref())?;
    let name = match &options.snapshot {
        Some(name) => name.clone(),
        None => latest(target, &db)?,
    };
    let full = snapshot_database(&db, &name)?;
    let mut plan = Plan::new();
    target.confirm(
        &mut plan,
        "Replace (from a snapshot)",
        &db,
        options.confirm.as_deref(),
    );
    target.lock(&mut plan, &db);
    let names = SwapNames::new(target, &db, "snapshot-restore", options.no_backup)?;
    let prelude = format!(
        "{}SET @must_be_new = 0;\n",
        names.prelude(&db, &format!("restored {db} from snapshot {name}"))
    );
    plan.run(copy_step(target, &full, names.swap_parts(prelude, &db)));
    Ok(DbPlan::from(plan))
}

/// The newest snapshot of `db` (`--latest`), asked now (a read): the one
/// whose schema comment names the latest time. Snapshots made before
/// xtask wrote that comment have none, and are left out.
fn latest(target: &DbTarget<'_>, db: &str) -> Result<String> {
    let prefix = snapshot_prefix(db);
    let no_latest = |why: String| DbError::NoLatestSnapshot {
        database: db.to_string(),
        why,
    };
    if !target.client.enters_running_container() {
        return Err(no_latest(
            ": it is asked in the running tools service, and none runs".into(),
        ));
    }
    let mut argv = client::connection(target.settings);
    argv.extend(client::BATCH.map(String::from));
    let step = target
        .client
        .tool(argv, &[], false)
        .stdin(crate::plan::Input::Text(format!(
            "{}{}",
            sql::variables(&[("prefix", &prefix)]),
            sql::latest_snapshot()
        )));
    let found = crate::exec::capture(&step).map_err(|e| no_latest(format!(": {e}")))?;
    if !found.success() {
        return Err(no_latest(format!(": {}", found.stderr.trim())));
    }
    match found.stdout.trim().strip_prefix(&prefix) {
        Some(name) if !name.is_empty() => Ok(name.to_string()),
        _ => Err(no_latest(String::new())),
    }
}

/// `db snapshot rm`: the snapshot's database dropped.
pub fn remove(target: &DbTarget<'_>, database: Option<&str>, name: &str) -> Result<DbPlan> {
    let db = target.database(database)?;
    let full = snapshot_database(&db, name)?;
    let mut plan = Plan::new();
    plan.run(client::script(target, &[("name", &full)], &sql::drop()));
    Ok(DbPlan::from(plan))
}

/// `db copy`: the tables of SRC copied beside DST and moved in (a new
/// DST), or, with `force`, swapped in, DST's tables kept unless `no_backup`.
pub fn copy(target: &DbTarget<'_>, options: &CopyOptions) -> Result<DbPlan> {
    require_server_container(target, "db copy")?;
    let source = target.database(Some(&options.source))?;
    let dst = target.database(Some(&options.target))?;
    if source == dst {
        return Err(DbError::SameDatabase(dst));
    }
    let mut plan = Plan::new();
    if options.force {
        target.confirm(&mut plan, "Replace", &dst, options.confirm.as_deref());
    }
    target.lock(&mut plan, &dst);
    let names = SwapNames::new(target, &dst, "copy", options.no_backup)?;
    let done = format!("copied database {source} to {dst}");
    let prelude = format!(
        "{}SET @must_be_new = {};\n",
        names.prelude(&dst, &done),
        u8::from(!options.force)
    );
    plan.run(copy_step(target, &source, names.swap_parts(prelude, &dst)));
    Ok(DbPlan::from(plan))
}
