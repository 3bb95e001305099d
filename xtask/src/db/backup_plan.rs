//! The plan of `db backup`: the dump streamed into a file that appears only
//! complete, its record beside it, files we did not make never replaced
//! without `force`.

use std::path::{Path, PathBuf};

use crate::db::dump_file::{self, DumpFormat};
use crate::db::error::{DbError, Result};
use crate::db::target::{Closing, DbPlan, DbTarget};
use crate::plan::{Output, Plan, Step};

/// What `db backup` was asked.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    /// The database; default: `[db] name`.
    pub database: Option<String>,
    /// The file; default: `backups/<db>-<environment>-<UTC time>.<ext>`.
    pub output: Option<PathBuf>,
    /// Replace the file and its record, each kept as NAME.~N~.
    pub force: bool,
    /// custom, sql, sql-gz or sql-zst; default: the engine's (custom, or sql-zst).
    pub format: Option<DumpFormat>,
}

/// `FILE.json`: the record written beside a dump.
pub(crate) fn record_path(path: &Path) -> PathBuf {
    let mut record = path.to_path_buf().into_os_string();
    record.push(".json");
    PathBuf::from(record)
}

/// Checked before pg_dump runs: the dump and its record are two files, and
/// neither replaces one we did not make without `force` (which keeps it as
/// NAME.~N~, a step of `plan`).
pub(crate) fn check_outputs(
    plan: &mut Plan,
    path: &Path,
    record: &Path,
    force: bool,
) -> Result<()> {
    if let (Some(dump_at), Some(record_at)) =
        (dump_file::resolved(path), dump_file::resolved(record))
    {
        if dump_at == record_at || dump_file::same_file(&dump_at, &record_at) {
            return Err(DbError::RecordIsDump {
                dump: path.to_path_buf(),
                record: record.to_path_buf(),
                at: dump_at,
            });
        }
    }
    for output in [path, record] {
        if output.symlink_metadata().is_err() {
            continue;
        }
        if !force {
            return Err(DbError::OutputExists(output.to_path_buf()));
        }
        plan.push(Step::KeepAside {
            path: output.to_path_buf(),
            aside: dump_file::free_aside_name(output),
        });
    }
    Ok(())
}

/// `db backup`: pg_dump into the file, then its record (with the server's
/// version asked at the time).
pub fn backup(target: &DbTarget<'_>, options: &BackupOptions) -> Result<DbPlan> {
    let db = target.database(options.database.as_deref())?;
    let format = options.format.unwrap_or(DumpFormat::Custom);
    let mut dump = vec!["pg_dump".to_string()];
    dump.extend(target.settings.connection());
    dump.extend(format.pg_dump_options());
    dump.extend(["-d".into(), db.clone()]);
    let mut version = vec!["psql".to_string(), "-X".into(), "-A".into(), "-t".into()];
    version.extend(target.settings.connection());
    version.extend([
        "-d".into(),
        "postgres".into(),
        "-c".into(),
        "SHOW server_version".into(),
    ]);
    dump_and_record(
        target,
        options,
        Dump {
            database: db,
            format,
            argv: dump,
            version,
            engine: None,
        },
    )
}

/// `sh -c` around a dump tool's `$@` in its container: when that container
/// has zstd, the dump is compressed there (the stream out of the container,
/// which the engine relays at a few hundred MB/s, is then a fifteenth of the
/// size: a 245 MB dump of MariaDB went from 3.4 s to 1.9 s), else the dump
/// comes out as it is and the host compresses it (the collector tells the
/// two apart by zstd's magic number). The exit status is the dump's, and
/// not 0 when zstd failed: sh has no pipefail, so each reports on fd 3.
const COMPRESS_WHERE_IT_RUNS: &str = "command -v zstd > /dev/null 2>&1 || exec \"$@\"; \
exec 4>&1; status=$( { { \"$@\"; echo \"$?\" >&3; } | { zstd -q -c >&4 || echo zstd >&3; }; } 3>&1 ); \
case \"$status\" in 0) exit 0 ;; zstd*|*zstd) echo 'zstd failed in the container' >&2; exit 1 ;; *) exit \"${status:-1}\" ;; esac";

fn compressed_where_it_runs(argv: Vec<String>) -> Vec<String> {
    let mut wrapped = vec![
        "sh".to_string(),
        "-c".into(),
        COMPRESS_WHERE_IT_RUNS.into(),
        "sh".into(),
    ];
    wrapped.extend(argv);
    wrapped
}

/// One engine's dump of one database, as [`dump_and_record`] runs it.
pub(crate) struct Dump {
    pub database: String,
    pub format: DumpFormat,
    /// The dump tool's command line, in the tools service.
    pub argv: Vec<String>,
    /// A query printing the server's version, for the record.
    pub version: Vec<String>,
    /// The engine's name in the record (Postgres' records have none).
    pub engine: Option<&'static str>,
}

/// The plan every engine's backup shares: the file and its record checked
/// (kept aside with `force`), the dump streamed into the file (zstd on the
/// host when the format says so), then the record beside it.
pub(crate) fn dump_and_record(
    target: &DbTarget<'_>,
    options: &BackupOptions,
    dump: Dump,
) -> Result<DbPlan> {
    let Dump {
        database,
        format,
        argv,
        version,
        engine,
    } = dump;
    let path = match &options.output {
        Some(path) => std::path::absolute(path).map_err(DbError::Path)?,
        None => {
            dump_file::default_path(target.root, &database, &target.settings.environment, format)
        }
    };
    let record = record_path(&path);
    let mut plan = Plan::new();
    check_outputs(&mut plan, &path, &record, options.force)?;
    let argv = if format.compressed_on_host() {
        compressed_where_it_runs(argv)
    } else {
        argv
    };
    // Never a TTY: it would turn LF into CRLF inside the dump.
    let dump = target
        .client
        .tool(argv, &[], false)
        .stdout(if format.compressed_on_host() {
            Output::Zstd(path.clone())
        } else {
            Output::File(path.clone())
        })
        .progress("backup");
    let version = target.client.tool(version, &[], false);
    plan.run(dump.clone());
    let mut fields = vec![
        ("database".into(), database),
        ("environment".into(), target.settings.environment.clone()),
    ];
    if let Some(engine) = engine {
        fields.push(("engine".into(), engine.into()));
    }
    fields.extend([
        ("format".into(), format.extension().into()),
        (
            "created_utc".into(),
            dump_file::utc_timestamp(std::time::SystemTime::now()),
        ),
        ("command".into(), dump.to_string()),
    ]);
    plan.push(Step::Record {
        path: record,
        fields,
        query: Some(("server_version".into(), version)),
    });
    Ok(DbPlan {
        plan,
        closing: Some(Closing::Backup(path)),
    })
}
