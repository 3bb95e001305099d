//! The plan of `db restore`: the file checked on the host, then loaded
//! into a staging database beside the one it replaces and swapped in only
//! when whole and sealed; the database replaced kept as a snapshot.

use std::path::{Path, PathBuf};

use crate::db::dump_file::{self, DumpKind};
use crate::db::error::{DbError, Result};
use crate::db::restore_cache::{self, Lookup};
use crate::db::scripts;
use crate::db::seal::{new_seal, SEAL_VARIABLE};
use crate::db::snapshots::aside_names;
use crate::db::target::{checked, DbPlan, DbTarget};
use crate::plan::{Compression, Input, LoadFile, Plan, SealedInput, Step};

/// What `db restore` was asked.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// A dump made by `db backup` (custom format) or plain SQL.
    pub file: PathBuf,
    /// The database; default: `[db] name`.
    pub database: Option<String>,
    /// Drop the replaced database instead of keeping it as a snapshot.
    pub no_backup: bool,
    /// Load a SQL file that does not show it is whole, as it is.
    pub partial_ok: bool,
    /// The name typed in advance (protected environments).
    pub confirm: Option<String>,
    /// pg_restore's jobs (`--jobs`); default: the cores, 4 to 8.
    pub jobs: Option<usize>,
    /// Neither use nor fill the restore cache.
    pub no_cache: bool,
    /// Only the plan is printed: the cache is looked up only in a running
    /// tools container (a dry run makes none).
    pub dry_run: bool,
}

/// How the staging database is loaded: the loader's argv, the SQL check
/// of the stream (`Some(partial_ok)` for SQL), the bytes that seal it,
/// and where a custom dump is copied in the container (empty for SQL).
struct Loader {
    argv: Vec<String>,
    sql: Option<bool>,
    sealing: String,
    copy_inside: String,
}

/// The kind of what `file` holds once unpacked on the host, and how it
/// is unpacked: compressed files are unpacked on the host, so that what
/// they hold is read (and checked) before it reaches psql.
fn unpacked(file: &Path, kind: DumpKind) -> Result<(DumpKind, Compression)> {
    Ok(match kind {
        DumpKind::Zstd => {
            let head = crate::exec::zstd_head(file, 6).map_err(|source| DbError::BrokenZstd {
                file: file.to_path_buf(),
                source,
            })?;
            let inner = match DumpKind::of_head(&head) {
                DumpKind::Gzip | DumpKind::Zstd => DumpKind::Compressed("twice"),
                inner => inner,
            };
            (inner, Compression::Zstd)
        }
        DumpKind::Gzip => (DumpKind::Sql, Compression::Gzip),
        kind => (kind, Compression::None),
    })
}

/// pg_restore of a custom dump into `loaded` (a zstd-compressed one is
/// unpacked on the host as it streams: a damaged or cut file gets no
/// seal, so the container side refuses it before the staging database is
/// made).
fn custom_loader(target: &DbTarget<'_>, loaded: &str, seal: &str, jobs: Option<usize>) -> Loader {
    // pg_restore works in parallel (-j) only from a file it
    // can seek in: the dump is copied into the container
    // first, its table of contents read whole there (a
    // truncated or corrupt dump fails before the staging
    // database is made), and the copy removed however the
    // restore ends. One container call for all of it: a
    // separate check cost a compose start-up and, for a
    // zstd file, a second decompression. Jobs: at least 4,
    // since index builds wait on the disk as much as on a
    // core (on 2 cores, 210 MB with four indexes: 2.9-3.2 s
    // with 4 jobs, 3.3-3.6 s with 2 or streamed into one).
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get().clamp(4, 8)));
    let copy_inside = format!(
        "/tmp/xtask-restore-{}.dump",
        dump_file::utc_timestamp(std::time::SystemTime::now())
    );
    let mut argv = vec!["pg_restore".to_string()];
    argv.extend(target.settings.connection());
    argv.extend([
        "--no-owner".into(),
        "--exit-on-error".into(),
        format!("--jobs={jobs}"),
        "-d".into(),
        loaded.to_string(),
    ]);
    // The seal's bytes follow the dump's; the container
    // side checks and cuts them off before pg_restore.
    Loader {
        argv,
        sql: None,
        sealing: seal.to_string(),
        copy_inside,
    }
}

/// psql loading SQL into `loaded` in one transaction. The file is read
/// as psql will as it streams (see [`SealedInput::sql`]), in one pass: a
/// meta-command stops the stream before its line, and a file that is not
/// whole gets no seal, so the staging database is dropped and the
/// database is never touched. (A first pass of its own, before the load,
/// cost a whole decompression and scan: 1.1 s of 10 for 462 MB.)
fn sql_loader(target: &DbTarget<'_>, loaded: &str, seal: &str, partial_ok: bool) -> Loader {
    let mut argv = vec!["psql".to_string(), "-X".into(), "-q".into()];
    argv.extend(target.settings.connection());
    argv.extend([
        "-v".into(),
        "ON_ERROR_STOP=1".into(),
        "--single-transaction".into(),
        "-d".into(),
        loaded.to_string(),
        "-f".into(),
        "-".into(),
    ]);
    // A statement psql runs only when its lexer is at
    // the top level after the whole file: it seals the
    // staging database (inside the load's transaction).
    let sealing = format!(
        "\nCOMMENT ON DATABASE \"{}\" IS '{seal}';\n",
        loaded.replace('"', "\"\"")
    );
    Loader {
        argv,
        sql: Some(partial_ok),
        sealing,
        copy_inside: String::new(),
    }
}

/// `db restore`: every check first, then one container call that makes
/// the staging database, loads it and swaps it in.
pub fn restore(target: &DbTarget<'_>, options: &RestoreOptions) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let file = std::path::absolute(&options.file).map_err(DbError::Path)?;
    let kind = DumpKind::of(&file).map_err(|source| DbError::Unreadable {
        file: file.clone(),
        source,
    })?;
    let loaded = format!("{db}__restoring");
    checked(&loaded, "database")?;
    let (kind, compression) = unpacked(&file, kind)?;
    let load_file = LoadFile {
        path: file.clone(),
        compression,
    };
    // What only we send, after the last byte: the loader's side
    // swaps only a database that got it (see RESTORE_IN_STAGING).
    let what = match kind {
        DumpKind::Compressed(what) => Some(what),
        DumpKind::Zstd | DumpKind::Gzip => Some("twice"),
        DumpKind::Custom | DumpKind::Sql => None,
    };
    if let Some(what) = what {
        return Err(DbError::Compressed { file, what });
    }
    let seal = new_seal()?;
    let mut plan = Plan::new();
    let lookup = restore_cache::lookup(target, &db, &file, options);
    plan.push(Step::Note(lookup.note()));
    if let Lookup::Hit { entry, .. } = &lookup {
        return from_cache(target, plan, &db, entry, &seal, options);
    }
    let loader = if kind == DumpKind::Custom {
        custom_loader(target, &loaded, &seal, options.jobs)
    } else {
        sql_loader(target, &loaded, &seal, options.partial_ok)
    };
    target.confirm(&mut plan, "Replace", &db, options.confirm.as_deref());
    target.lock(&mut plan, &db);
    // The database it replaces is kept as the snapshot by the
    // swap itself (renamed, not copied first); without one it is
    // renamed aside in the swap's transaction and dropped after.
    let (snapshot, marker, hint) = aside_names(target, &db, "restore", options.no_backup)?;
    // On a miss the sealed staging database is copied before the swap
    // (nobody is connected to it yet), then marked once its hash is known.
    let (keep, pending, digest_to) = lookup.keep_loaded();
    // Loaded beside the database, swapped in only when complete:
    // a bad file leaves the database as it was. One container
    // call makes the staging database, loads it and swaps it in
    // (each `exec` costs a compose start-up); names, scripts and
    // the loader's argv are its positional parameters.
    let mut argv = vec![
        "sh".to_string(),
        "-c".into(),
        RESTORE_IN_STAGING.into(),
        "sh".into(),
        target.settings.server.clone(),
        target.settings.user.clone(),
        db.clone(),
        loaded.clone(),
        format!("{}{}", scripts::drop_scratch(), scripts::CREATE),
        scripts::swap_in(),
        snapshot,
        marker,
        hint,
        loader.copy_inside,
        scripts::drop_staging(),
        scripts::SEAL.into(),
        format!("restored database {db}"),
        keep,
        pending,
    ];
    argv.extend(loader.argv);
    // Settings for this session only (PGOPTIONS): index builds
    // sort in memory, and commits do not wait for the disk. A
    // crash mid-restore loses only the staging database.
    let settings = [("PGOPTIONS".to_string(), RESTORE_SETTINGS.to_string())];
    plan.run(
        target
            .client
            .tool_passing(argv, &settings, false, &[(SEAL_VARIABLE.to_string(), seal)])
            .stdin(Input::Sealed(Box::new(SealedInput {
                file: load_file,
                sql: loader.sql,
                seal: loader.sealing,
                digest_to,
                completion: None,
                defer_keys: false,
            })))
            .progress("restore"),
    );
    if let Some(mark) = restore_cache::mark_step(target, &db, &lookup) {
        plan.run(mark);
    }
    Ok(DbPlan::from(plan))
}

/// A hit: the cache entry copied beside the database and swapped in, with
/// the same confirmation, lock and kept snapshot as a load.
fn from_cache(
    target: &DbTarget<'_>,
    mut plan: Plan,
    db: &str,
    entry: &restore_cache::CacheEntry,
    seal: &str,
    options: &RestoreOptions,
) -> Result<DbPlan> {
    target.confirm(&mut plan, "Replace", db, options.confirm.as_deref());
    target.lock(&mut plan, db);
    let loaded = format!("{db}__restoring");
    let (snapshot, marker, hint) = aside_names(target, db, "restore", options.no_backup)?;
    let done = format!("restored database {db} (from the restore cache)");
    plan.run(target.script(
        scripts::cache_hit(),
        &[
            ("name", db),
            ("source", &entry.database),
            ("entry_comment", &entry.comment),
            ("loaded", &loaded),
            ("snapshot", &snapshot),
            ("marker", &marker),
            ("hint", &hint),
            ("seal", seal),
            ("done", &done),
        ],
    ));
    Ok(DbPlan::from(plan))
}

/// `sh -c` that makes the staging database `$4` (script `$5`), runs the
/// loader (the rest of its arguments) with our stdin, and only when that
/// succeeded and the staging database carries the seal `$XTASK_LOAD_SEAL`
/// swaps it in for `$3` (script `$6`, which checks the seal first and
/// moves the database it replaces to `$7`: kept there as a snapshot
/// marked `$8`, saying `$9`, when `$8` is not empty, else dropped; it
/// prints `${13}`); `$1`/`$2` are the server and user. A SQL load is
/// sealed by the statement xtask sends after the file's last byte, and
/// runs in psql's restricted mode (`\restrict` with the seal as its key:
/// no meta-command at all) where psql has it (13.22, 14.19, 15.14, 16.10,
/// 17.6, 18 and later), besides xtask's own refusal of them; with
/// `${10}` set (a custom dump), stdin is first copied into that file,
/// which must end with the seal's bytes (cut off, then the table of
/// contents read whole by `pg_restore --list`), all before the staging
/// database is made; then the file is appended to the loader's arguments,
/// and the database sealed (script `${12}`) once pg_restore succeeded;
/// the file is removed however the call ends. Before the swap,
/// with `${14}` set, that script copies the loaded database to the restore
/// cache entry in the making `${15}` (its failure only said). On any failure
/// the staging database is dropped (script `${11}`). Names, scripts and
/// arguments stay arguments: nothing is pasted into the line; the scripts
/// reach psql on a pipe of their own.
const RESTORE_IN_STAGING: &str = "h=$1 u=$2 db=$3 loaded=$4 create=$5 swap=$6 snap=$7 mark=$8 hint=$9 copy=${10} cleanup=${11} seal=${12} done=${13} keep=${14} pending=${15}; shift 15; \
admin() { psql -X -q -v ON_ERROR_STOP=1 -h \"$h\" -U \"$u\" -d postgres -v \"name=$1\" -v \"loaded=$loaded\" -v \"snapshot=$snap\" -v \"marker=$mark\" -v \"hint=$hint\" -v \"seal=$XTASK_LOAD_SEAL\" -v \"done=$done\" -f -; }; \
restricts() { set -- $(psql -V 2>/dev/null | sed -n 's/^psql (PostgreSQL) \\([0-9]*\\)\\.\\([0-9]*\\).*/\\1 \\2/p'); [ -n \"$2\" ] || return 1; \
case $1 in 13) [ \"$2\" -ge 22 ];; 14) [ \"$2\" -ge 19 ];; 15) [ \"$2\" -ge 14 ];; 16) [ \"$2\" -ge 10 ];; 17) [ \"$2\" -ge 6 ];; *) [ \"$1\" -ge 18 ];; esac; }; \
receive() { cat > \"$copy\" || return 1; n=${#XTASK_LOAD_SEAL}; \
if [ \"$n\" -lt 16 ] || [ \"$(tail -c \"$n\" \"$copy\")\" != \"$XTASK_LOAD_SEAL\" ]; then echo \"the dump did not arrive whole (no seal after it)\" >&2; return 1; fi; \
size=$(wc -c < \"$copy\") && truncate -s \"$((size - n))\" \"$copy\" && pg_restore --list \"$copy\" > /dev/null; }; \
load() { if [ -z \"$copy\" ]; then if restricts; then { printf '\\\\restrict %s\\n' \"$XTASK_LOAD_SEAL\"; cat; } | \"$@\"; else \"$@\"; fi; return; fi; \
\"$@\" \"$copy\" && printf '%s\\n' \"$seal\" | admin \"$loaded\"; }; \
if [ -n \"$copy\" ]; then trap 'rm -f \"$copy\"' EXIT; trap 'exit 143' TERM INT HUP; \
receive || { echo \"the database was not replaced\" >&2; exit 1; }; fi; \
printf '%s\\n' \"$create\" | admin \"$loaded\" || exit 1; \
keep_entry() { [ -z \"$keep\" ] || printf '%s\\n' \"$keep\" | admin \"$pending\" || echo \"the restore cache entry could not be made (the restore goes on)\" >&2; }; \
if load \"$@\" && keep_entry && printf '%s\\n' \"$swap\" | admin \"$db\"; then exit 0; fi; \
printf '%s\\n' \"$cleanup\" | admin \"$loaded\" > /dev/null; \
echo \"the database was not replaced\" >&2; exit 1";

/// The restore session's settings (see `db restore`).
const RESTORE_SETTINGS: &str = "-c maintenance_work_mem=512MB -c synchronous_commit=off";
