//! `db snapshot`'s arguments, and the plan each subcommand asks for.

use super::args::{ConfirmArgs, NameArg, NoBackupArg};
use crate::db::error::Result;
use crate::db::mysql::copy as mysql;
use crate::db::snapshots::{self, SnapshotRestoreOptions};
use crate::db::target::{DbPlan, DbTarget};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SnapshotArgs {
    #[command(subcommand)]
    pub command: Option<SnapshotCommand>,
    #[command(flatten)]
    pub name: NameArg,
    /// The snapshot's name; default: the UTC time
    #[arg(long = "name", value_name = "S")]
    pub snapshot: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum SnapshotCommand {
    /// The snapshots of the database, oldest first
    #[command(after_help = "Examples:
  cargo xtask db snapshot list")]
    List(NameArg),
    /// Replace the database with a snapshot (asks first)
    #[command(after_help = "Examples:
  cargo xtask db snapshot restore before-migration
  cargo xtask --yes db snapshot restore --latest")]
    Restore(SnapshotRestoreArgs),
    /// Remove a snapshot
    #[command(after_help = "Examples:
  cargo xtask db snapshot rm before-migration")]
    Rm(SnapshotRmArgs),
}

#[derive(Debug, clap::Args)]
pub struct SnapshotRestoreArgs {
    /// The snapshot (see `db snapshot list`)
    #[arg(value_name = "S", required_unless_present = "latest")]
    pub snapshot: Option<String>,
    /// The newest snapshot
    #[arg(long, conflicts_with = "snapshot")]
    pub latest: bool,
    /// The database; default: `[db] name`
    #[arg(long = "db", value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub no_backup: NoBackupArg,
}

#[derive(Debug, clap::Args)]
pub struct SnapshotRmArgs {
    #[arg(value_name = "S")]
    pub snapshot: String,
    /// The database; default: `[db] name`
    #[arg(long = "db", value_name = "NAME")]
    pub name: Option<String>,
}

/// The snapshot plans of one engine family: template databases on
/// Postgres, tablespace copies on MariaDB (`db::mysql::copy`).
struct EnginePlans {
    take: fn(&DbTarget<'_>, Option<&str>, Option<String>) -> Result<DbPlan>,
    list: fn(&DbTarget<'_>, Option<&str>) -> Result<DbPlan>,
    restore: fn(&DbTarget<'_>, &SnapshotRestoreOptions) -> Result<DbPlan>,
    remove: fn(&DbTarget<'_>, Option<&str>, &str) -> Result<DbPlan>,
}

impl EnginePlans {
    fn of(target: &DbTarget<'_>) -> Self {
        if target.settings.engine.engine.is_mysql_family() {
            Self {
                take: mysql::take,
                list: mysql::list,
                restore: mysql::restore,
                remove: mysql::remove,
            }
        } else {
            Self {
                take: snapshots::take,
                list: snapshots::list,
                restore: snapshots::restore,
                remove: snapshots::remove,
            }
        }
    }
}

impl SnapshotArgs {
    /// The plan of `db snapshot` or of its subcommand, for the target's engine.
    pub fn plan(self, target: &DbTarget<'_>) -> Result<DbPlan> {
        let plans = EnginePlans::of(target);
        match self.command {
            None => (plans.take)(target, self.name.name.as_deref(), self.snapshot),
            Some(SnapshotCommand::List(name)) => (plans.list)(target, name.name.as_deref()),
            Some(SnapshotCommand::Restore(args)) => (plans.restore)(
                target,
                &SnapshotRestoreOptions {
                    snapshot: args.snapshot,
                    latest: args.latest,
                    database: args.name,
                    confirm: args.confirm.confirm,
                    no_backup: args.no_backup.no_backup,
                },
            ),
            Some(SnapshotCommand::Rm(args)) => {
                (plans.remove)(target, args.name.as_deref(), &args.snapshot)
            }
        }
    }
}
