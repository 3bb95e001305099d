//! `db backup` and `db restore` on the MySQL family: mysqldump or
//! mariadb-dump (consistent without locking InnoDB) compressed on the
//! host; a restore loaded into a staging database, checked as it streams
//! (a plain file's end read first), and its tables swapped in with one
//! RENAME TABLE only when the load was whole.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::db::backup_plan::{dump_and_record, BackupOptions, Dump};
use crate::db::dump_file::{DumpFormat, DumpKind};
use crate::db::error::{DbError, Result};
use crate::db::mysql::client;
use crate::db::mysql::plans::SwapNames;
use crate::db::mysql::sql;
use crate::db::restore_plan::RestoreOptions;
use crate::db::seal::{new_seal, SEAL_VARIABLE};
use crate::db::target::{DbPlan, DbTarget};
use crate::plan::{Compression, Input, LoadFile, Plan, SealedInput};

/// The dump tool's options: one transaction (InnoDB read consistently,
/// nothing locked), with routines, triggers and events.
const DUMP_OPTIONS: [&str; 4] = [
    "--single-transaction",
    "--routines",
    "--triggers",
    "--events",
];

/// What mysqldump and mariadb-dump write last (unless told not to comment).
const COMPLETION_LINE: &str = "-- Dump completed";

/// `db backup`: the dump streamed into the file (zstd on the host by
/// default), then its record with the server's version.
pub fn backup(target: &DbTarget<'_>, options: &BackupOptions) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let engine = target.settings.engine.engine;
    let format = options.format.unwrap_or(DumpFormat::SqlZst);
    if matches!(format, DumpFormat::Custom | DumpFormat::SqlGz) {
        return Err(DbError::NotOnEngine {
            what: format!("--format {}", format.extension()),
            engine: engine.name(),
            why: "it is pg_dump's",
            help: "use --format sql-zst (the default here) or --format sql".into(),
        });
    }
    let mut dump = client::connection(target.settings);
    dump[0] = engine.dump_tool().into();
    dump.extend(DUMP_OPTIONS.map(String::from));
    dump.extend(["--".into(), db.clone()]);
    let mut version = client::connection(target.settings);
    version.extend(client::BATCH.map(String::from));
    version.push("--execute=SELECT VERSION()".into());
    dump_and_record(
        target,
        options,
        Dump {
            database: db,
            format,
            argv: dump,
            version,
            engine: Some(engine.name()),
        },
    )
}

/// Whether the last line of the plain SQL file `file` is the dump tool's
/// completion line (a dump cut short has none).
fn ends_whole(file: &Path) -> std::io::Result<bool> {
    let mut handle = std::fs::File::open(file)?;
    let size = handle.metadata()?.len();
    handle.seek(SeekFrom::Start(size.saturating_sub(256)))?;
    let mut tail = Vec::new();
    handle.read_to_end(&mut tail)?;
    let tail = String::from_utf8_lossy(&tail);
    Ok(tail
        .trim_end()
        .lines()
        .last()
        .is_some_and(|line| line.starts_with(COMPLETION_LINE)))
}

/// How `file` is read into the loader: a plain one must end with the
/// completion line unless `partial_ok` (read from its end, before anything
/// changes); zstd and gzip are checked as they stream, in one pass (a
/// damaged or cut stream, or one whose last line is not the completion
/// line, sends no seal: nothing is swapped).
fn load_file(file: PathBuf, partial_ok: bool, engine: &'static str) -> Result<LoadFile> {
    let kind = DumpKind::of(&file).map_err(|source| DbError::Unreadable {
        file: file.clone(),
        source,
    })?;
    let compression = match kind {
        DumpKind::Custom => return Err(DbError::ForeignDump { file, engine }),
        DumpKind::Compressed(what) => return Err(DbError::Compressed { file, what }),
        DumpKind::Zstd => Compression::Zstd,
        DumpKind::Gzip => Compression::Gzip,
        DumpKind::Sql => {
            let whole = ends_whole(&file).map_err(|source| DbError::Unreadable {
                file: file.clone(),
                source,
            })?;
            if !whole && !partial_ok {
                return Err(DbError::IncompleteSql {
                    file,
                    expected: COMPLETION_LINE,
                });
            }
            Compression::None
        }
    };
    Ok(LoadFile {
        path: file,
        compression,
    })
}

/// The positional parameters of [`RESTORE_IN_STAGING`] after the swap's,
/// named.
const RESTORE_IN_STAGING_ARGS: &str = "prepare=$1 sealq=$2 cleanup=$3; shift 3; ";

/// `sh -c` in the tools service. Makes the staging database (`$prepare`),
/// loads our stdin into it (`--one-database`, the database named as an
/// operand, not `--database`, which it ignores: statements for another
/// database skipped; `--binary-mode`: no client commands). Only when the
/// load succeeded and the staging database carries the seal
/// `$XTASK_LOAD_SEAL` (asked by `$sealq`), it swaps it in as one piece
/// with its views, triggers, routines and events (`swap_whole`, see
/// [`SwapNames::swap_parts`]). On a
/// failure before the swap, or SIGTERM before that piece (compose's stop
/// of an interrupted exec), the staging database is dropped (`$cleanup`).
/// Killed with xtask, the load sees its input end without the seal. The
/// rest of the arguments is the connection.
const RESTORE_IN_STAGING: &str = "trap 'sql \"$cleanup\" \"$@\" > /dev/null 2>&1; exit 143' TERM INT HUP; \
sql \"$prepare\" \"$@\" || exit 1; \
if ! \"$client\" \"$@\" --batch --skip-column-names --binary-mode --one-database -- \"$staging\"; then fail 'the load failed'; \
elif [ \"$(sql \"$sealq\" \"$@\")\" != \"$XTASK_LOAD_SEAL\" ]; then fail 'the dump did not arrive whole (no seal after it)'; \
else swap_whole \"$@\"; fi; \
sql \"$cleanup\" \"$@\" > /dev/null; echo 'the database was not replaced' >&2; exit 1";

/// `db restore`: every check first, then one call into the tools service
/// that loads a staging database and swaps it in.
pub fn restore(target: &DbTarget<'_>, options: &RestoreOptions) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let engine = target.settings.engine.engine.name();
    if options.no_cache {
        return Err(DbError::NotOnEngine {
            what: "--no-cache".into(),
            engine,
            why: "there is no restore cache here",
            help: "leave it out: every restore loads the file".into(),
        });
    }
    let file = std::path::absolute(&options.file).map_err(DbError::Path)?;
    let mut plan = Plan::new();
    let load_file = load_file(file, options.partial_ok, engine)?;
    target.confirm(&mut plan, "Replace", &db, options.confirm.as_deref());
    target.lock(&mut plan, &db);
    let names = SwapNames::new(target, &db, "restore", options.no_backup)?;
    let seal = new_seal()?;
    let step = names
        .swap_parts(names.prelude(&db, &format!("restored database {db}")), &db)
        .call(
            target,
            (RESTORE_IN_STAGING_ARGS, RESTORE_IN_STAGING),
            vec![
                sql::prepare_staging(),
                sql::seal_of_staging(),
                sql::drop_staging(),
            ],
            &[(SEAL_VARIABLE.to_string(), seal.clone())],
        );
    plan.run(
        step.stdin(Input::Sealed(Box::new(SealedInput {
            file: load_file,
            sql: None,
            seal: sql::sealing(&seal),
            digest_to: None,
            // Checked as it streams too: a compressed file may hold a cut dump.
            completion: (!options.partial_ok).then(|| COMPLETION_LINE.to_string()),
            defer_keys: true,
        })))
        .progress("restore"),
    );
    Ok(DbPlan::from(plan))
}
