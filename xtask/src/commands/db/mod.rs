//! `db ...`: create, delete, rebuild, list, psql, shell, copy, setup,
//! backup, restore and snapshots of the environment's database, on
//! Postgres or the MySQL family (`db/mysql/`, chosen in one place:
//! `DbCommand::plan`). Every command is a
//! plan: psql scripts fed on stdin with names as psql variables, dumps
//! streamed into files that appear only complete, confirmations, and an OS
//! lock per database for what replaces it. The plans are built in `db/`;
//! this module turns the arguments into their options and runs the plan.

mod args;
mod cache;
mod snapshot;

use crate::commands::Context;
use crate::compose::project::wants_tty;
use crate::db::backup_plan;
use crate::db::client::{DatabaseClient, ToolsEntry};
use crate::db::database_plans;
use crate::db::error::DbError;
use crate::db::mysql;
use crate::db::restore_plan;
use crate::db::target::{Closing, DbPlan, DbTarget};
use crate::db::DbSettings;
use crate::error::{Error, Result};
use args::{
    BackupArgs, CopyArgs, DataArgs, DestructiveArgs, NameArg, PsqlArgs, RebuildArgs, RestoreArgs,
};
use cache::CacheArgs;
use snapshot::SnapshotArgs;

/// Create, delete, rebuild, back up, restore and snapshot the environment's database
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask db create                  the environment's database ([db] name), if missing
  cargo xtask db rebuild --demo          old one kept as a snapshot; create, initialise, demo data
  cargo xtask db backup                  backups/<db>-<env>-<UTC time>.dump
  cargo xtask db restore backups/tryton-development-20261125T231500Z.dump
                                         check the file, then replace the database
  cargo xtask db snapshot                a template copy; `db snapshot restore --latest`
  cargo xtask db psql -- -c 'select 1'   psql without a terminal
  cargo xtask --dry-run db rebuild       every command and script, nothing run")]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Create the database (says so, and succeeds, when it exists)
    #[command(after_help = "Examples:
  cargo xtask db create
  cargo xtask db create scratch")]
    Create(NameArg),
    /// Delete the database, other sessions terminated first (asks first)
    #[command(after_help = "Examples:
  cargo xtask db delete scratch
  cargo xtask --yes db delete scratch              in scripts
  cargo xtask -C examples/collecting-society --env production db delete --confirm c3s
                                                   a protected environment: the name typed")]
    Delete(DestructiveArgs),
    /// Set the database aside as a snapshot, create, initialise and load data (asks first)
    #[command(after_help = "Examples:
  cargo xtask db rebuild
  cargo xtask --yes db rebuild --demo              in scripts")]
    Rebuild(RebuildArgs),
    /// The databases: name, size and owner (`--json` for scripts)
    #[command(after_help = "Examples:
  cargo xtask db list
  cargo xtask db list --json")]
    List,
    /// A psql console on the database (a TTY only when we have one)
    #[command(after_help = "Examples:
  cargo xtask db psql
  cargo xtask db psql -- -c 'select count(*) from party_party'")]
    Psql(PsqlArgs),
    /// The engine's own client on the database: psql, mariadb or mysql (a TTY only when we have one)
    #[command(after_help = "Examples:
  cargo xtask db shell
  cargo xtask db shell -- -c 'select 1'          Postgres: psql's arguments
  cargo xtask db shell -- --execute='select 1'   MySQL, MariaDB: the client's arguments")]
    Shell(PsqlArgs),
    /// Copy a database (a template copy); --force replaces DST (asks first)
    #[command(after_help = "Examples:
  cargo xtask db copy tryton scratch
  cargo xtask --yes db copy tryton scratch --force    scratch kept as a snapshot
  cargo xtask --yes db copy tryton scratch --force --no-backup")]
    Copy(CopyArgs),
    /// Create the database if missing, initialise it and load data
    #[command(after_help = "Examples:
  cargo xtask db setup --demo")]
    Setup(DataArgs),
    /// Dump the database to backups/<db>-<env>-<UTC time>.dump (or -o FILE)
    #[command(after_help = "Examples:
  cargo xtask db backup
  cargo xtask db backup -o /tmp/tryton.sql --format sql
  cargo xtask db backup -o tryton.dump --force   replaces tryton.dump(.json), kept as tryton.dump.~1~
  cargo xtask db backup --format sql-gz          backups/<db>-<env>-<UTC time>.sql.gz")]
    Backup(BackupArgs),
    /// Replace the database with a dump, checked before anything changes (asks first)
    #[command(after_help = "Examples:
  cargo xtask db restore backups/tryton-development-20261125T231500Z.dump
  cargo xtask --yes db restore dump.sql scratch
  cargo xtask db restore --partial-ok dump.sql scratch   SQL without pg_dump's completion line
  cargo xtask db restore --no-cache dump.sql             load it, neither using nor filling the cache")]
    Restore(RestoreArgs),
    /// Snapshots as template databases: take, list, restore, remove
    #[command(after_help = "Examples:
  cargo xtask db snapshot --name before-migration
  cargo xtask db snapshot list
  cargo xtask db snapshot restore --latest
  cargo xtask db snapshot rm before-migration")]
    Snapshot(SnapshotArgs),
    /// The restore cache: what `db restore` loaded, kept as template databases
    #[command(after_help = "Examples:
  cargo xtask db cache list
  cargo xtask db cache clear")]
    Cache(CacheArgs),
}

impl DbArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let environment = ctx.environment()?;
        let workspace = ctx.workspace()?;
        let settings = DbSettings::resolve(workspace, &environment);
        // One listing of the project answers every step's "is the tools
        // service running" and the server check; it is the engine check
        // too (only its failure is diagnosed further).
        let planning = crate::compose::state::Planning::start();
        if !ctx.global.dry_run {
            if let Err(error) = crate::compose::state::containers(&environment.project) {
                ctx.require_engine()?;
                return Err(Error::usage(error.to_string()));
            }
        }
        let (project, running) = ctx.service_step(&environment, &settings.tools_service)?;
        // `docker exec` into the running container found above: the same
        // container `compose exec` enters, without compose's start-up and
        // project load (`db list`: 0.145 -> 0.115 s with Compose v2,
        // 0.634 -> 0.111 s with v1).
        let entry = match running {
            Some(id) => ToolsEntry::Container(id),
            None => ToolsEntry::Run,
        };
        let target = DbTarget {
            client: DatabaseClient::new(&project, &settings, entry)
                .in_environment(environment.name.as_deref()),
            settings: &settings,
            environment: &environment,
            root: &workspace.root,
            tty: wants_tty(),
        };
        let planned = self.command.plan(&target, ctx)?;
        if !ctx.global.dry_run {
            require_server(&target)?;
        }
        drop(planning);
        let started = std::time::Instant::now();
        ctx.execute(&planned.plan)?;
        if ctx.global.dry_run {
            return Ok(());
        }
        match planned.closing {
            Some(Closing::Backup(path)) => {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                ctx.ui
                    .status("Backed up", format!("{} ({size} bytes)", path.display()));
            }
            Some(Closing::Done { verb, what }) => ctx.ui.status(
                verb,
                format!("{what} in {}", crate::ui::seconds(started.elapsed())),
            ),
            None => {}
        }
        Ok(())
    }
}

/// Refuses, with how to start it, when the database server's service has
/// no running container in the project (found through compose's labels):
/// a one-off tools container would only fail with psql's "connection refused".
fn require_server(target: &DbTarget<'_>) -> Result<(), DbError> {
    let project = &target.environment.project;
    let server = &target.settings.server;
    let running = crate::compose::state::running(project, server).map_err(DbError::Engine)?;
    if running.is_empty() {
        return Err(DbError::ServerStopped {
            server: server.clone(),
            project: project.clone(),
            env_flag: target.env_flag(),
        });
    }
    Ok(())
}

impl DbCommand {
    /// Whether it prints JSON with `--json`: the listings.
    pub fn has_json(&self) -> bool {
        matches!(
            self,
            DbCommand::List
                | DbCommand::Cache(CacheArgs {
                    command: cache::CacheCommand::List(_)
                })
        )
    }

    /// The subcommand's plan, from its options, for the target's engine.
    fn plan(self, target: &DbTarget<'_>, ctx: &Context) -> Result<DbPlan, DbError> {
        if target.settings.engine.engine.is_mysql_family() {
            return self.plan_mysql(target, ctx);
        }
        match self {
            DbCommand::Shell(args) => {
                database_plans::psql(target, args.name.name.as_deref(), args.args)
            }
            DbCommand::Create(args) => database_plans::create(target, args.name.as_deref()),
            DbCommand::Delete(args) => database_plans::delete(
                target,
                args.name.name.as_deref(),
                args.confirm.confirm.as_deref(),
            ),
            DbCommand::Rebuild(args) => database_plans::rebuild(target, &args.options()),
            DbCommand::Setup(data) => database_plans::setup(target, data.choice()),
            DbCommand::List => Ok(database_plans::list(target, ctx.global.json)),
            DbCommand::Psql(args) => {
                database_plans::psql(target, args.name.name.as_deref(), args.args)
            }
            DbCommand::Copy(args) => database_plans::copy(target, &args.options()),
            DbCommand::Backup(args) => backup_plan::backup(target, &args.options()),
            DbCommand::Restore(args) => {
                restore_plan::restore(target, &args.options(ctx.global.jobs, ctx.global.dry_run))
            }
            DbCommand::Snapshot(args) => args.plan(target),
            DbCommand::Cache(args) => args.plan(target, ctx.global.json),
        }
    }

    /// The plan on MySQL or MariaDB: the subcommands the family has so far;
    /// the others refused before anything runs, saying what to use.
    fn plan_mysql(self, target: &DbTarget<'_>, ctx: &Context) -> Result<DbPlan, DbError> {
        let not_yet = |what: &str, help: &str| DbError::NotOnEngine {
            what: what.into(),
            engine: target.settings.engine.engine.name(),
            why: "xtask does not have it on this engine yet",
            help: help.into(),
        };
        match self {
            DbCommand::Create(args) => mysql::plans::create(target, args.name.as_deref()),
            DbCommand::Delete(args) => mysql::plans::delete(
                target,
                args.name.name.as_deref(),
                args.confirm.confirm.as_deref(),
            ),
            DbCommand::Rebuild(args) => mysql::plans::rebuild(target, &args.options()),
            DbCommand::Setup(data) => mysql::plans::setup(target, data.choice()),
            DbCommand::List => Ok(mysql::plans::list(target, ctx.global.json)),
            DbCommand::Shell(args) => {
                mysql::plans::shell(target, args.name.name.as_deref(), args.args)
            }
            DbCommand::Psql(_) => Err(DbError::NotOnEngine {
                what: "db psql".into(),
                engine: target.settings.engine.engine.name(),
                why: "psql is PostgreSQL's client",
                help: "use `cargo xtask db shell` (the engine's own client; `-- ARGS` passed on)"
                    .into(),
            }),
            DbCommand::Backup(args) => mysql::dump::backup(target, &args.options()),
            DbCommand::Restore(args) => {
                mysql::dump::restore(target, &args.options(ctx.global.jobs, ctx.global.dry_run))
            }
            DbCommand::Copy(args) => mysql::copy::copy(target, &args.options()),
            DbCommand::Snapshot(args) => args.plan(target),
            DbCommand::Cache(_) => Err(not_yet("db cache", "every restore loads its file")),
        }
    }
}
