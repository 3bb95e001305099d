//! The arguments of the `db` subcommands, and the options they become.

use std::path::PathBuf;

use crate::db::backup_plan::BackupOptions;
use crate::db::database_plans::{CopyOptions, RebuildOptions};
use crate::db::dump_file::DumpFormat;
use crate::db::restore_plan::RestoreOptions;
use crate::db::target::DataChoice;

/// A database name (default: `[db] name`).
#[derive(Debug, clap::Args)]
pub struct NameArg {
    /// The database; default: `[db] name` of the environment
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

/// Confirmation for destructive commands.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfirmArgs {
    /// In a protected environment: the database's name, typed in advance
    /// (`--yes` alone is not enough there)
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DestructiveArgs {
    #[command(flatten)]
    pub name: NameArg,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

/// Which data to load after initialising.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Load demo data (`[db] demo`)
    #[arg(long, conflicts_with = "test")]
    pub demo: bool,
    /// Load test data (`[db] test`)
    #[arg(long)]
    pub test: bool,
}

/// The safety net before a database is replaced.
#[derive(Debug, Clone, clap::Args)]
pub struct NoBackupArg {
    /// Drop the database being replaced instead of keeping it as a snapshot
    /// (kept by renaming it: free, whatever its size)
    #[arg(long)]
    pub no_backup: bool,
}

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub name: NameArg,
    #[command(flatten)]
    pub no_backup: NoBackupArg,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, clap::Args)]
pub struct PsqlArgs {
    #[command(flatten)]
    pub name: NameArg,
    /// Arguments for psql, after `--`
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    #[arg(value_name = "SRC")]
    pub source: String,
    #[arg(value_name = "DST")]
    pub target: String,
    /// Replace DST when it exists (copied beside it, then swapped in; DST
    /// kept as a snapshot unless --no-backup)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub no_backup: NoBackupArg,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub name: NameArg,
    /// The file to write; default backups/<db>-<environment>-<UTC time>.<ext>
    /// (its record beside it: FILE.json)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE (and FILE.json) when they exist; each replaced file is
    /// kept as NAME.~N~
    #[arg(long)]
    pub force: bool,
    /// custom (pg_dump -Fc, compressed, checked by restore), sql, sql-gz or
    /// sql-zst; default: custom on Postgres, sql-zst on MySQL and MariaDB
    #[arg(long, value_enum)]
    pub format: Option<DumpFormat>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A dump made by `db backup` (custom format) or plain SQL
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub name: NameArg,
    #[command(flatten)]
    pub no_backup: NoBackupArg,
    /// Load a SQL file that does not show it is whole (empty, or without
    /// pg_dump's `-- PostgreSQL database dump complete` at its end) as it is
    #[arg(long)]
    pub partial_ok: bool,
    /// Load the file even when the restore cache holds it, and keep no entry
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl DataArgs {
    /// The data chosen (clap keeps `--demo` and `--test` apart).
    pub fn choice(&self) -> DataChoice {
        match (self.demo, self.test) {
            (true, _) => DataChoice::Demo,
            (_, true) => DataChoice::Test,
            _ => DataChoice::Nothing,
        }
    }
}

impl RebuildArgs {
    pub fn options(self) -> RebuildOptions {
        RebuildOptions {
            database: self.name.name,
            no_backup: self.no_backup.no_backup,
            data: self.data.choice(),
            confirm: self.confirm.confirm,
        }
    }
}

impl CopyArgs {
    pub fn options(self) -> CopyOptions {
        CopyOptions {
            source: self.source,
            target: self.target,
            force: self.force,
            no_backup: self.no_backup.no_backup,
            confirm: self.confirm.confirm,
        }
    }
}

impl BackupArgs {
    pub fn options(self) -> BackupOptions {
        BackupOptions {
            database: self.name.name,
            output: self.output,
            force: self.force,
            format: self.format,
        }
    }
}

impl RestoreArgs {
    /// The options, with pg_restore's `jobs` from the global `--jobs`
    /// and the global `--dry-run`.
    pub fn options(self, jobs: Option<usize>, dry_run: bool) -> RestoreOptions {
        RestoreOptions {
            file: self.file,
            database: self.name.name,
            no_backup: self.no_backup.no_backup,
            partial_ok: self.partial_ok,
            confirm: self.confirm.confirm,
            jobs,
            no_cache: self.no_cache,
            dry_run,
        }
    }
}
