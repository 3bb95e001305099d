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

impl SnapshotArgs {
    /// The plan on MySQL or MariaDB (see `db::mysql::copy`).
    pub fn plan_mysql(self, target: &DbTarget<'_>) -> Result<DbPlan> {
        match self.command {
            None => mysql::take(target, self.name.name.as_deref(), self.snapshot),
            Some(SnapshotCommand::List(name)) => mysql::list(target, name.name.as_deref()),
            Some(SnapshotCommand::Restore(args)) => mysql::restore(
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
                mysql::remove(target, args.name.as_deref(), &args.snapshot)
            }
        }
    }

    /// The plan of `db snapshot` or of its subcommand.
    pub fn plan(self, target: &DbTarget<'_>) -> Result<DbPlan> {
        match self.command {
            None => snapshots::take(target, self.name.name.as_deref(), self.snapshot),
            Some(SnapshotCommand::List(name)) => snapshots::list(target, name.name.as_deref()),
            Some(SnapshotCommand::Restore(args)) => snapshots::restore(
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
                snapshots::remove(target, args.name.as_deref(), &args.snapshot)
            }
        }
    }
}
