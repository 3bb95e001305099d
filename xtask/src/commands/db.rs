//! `db ...`: create, delete, rebuild, list, psql, copy, setup, backup,
//! restore and snapshots of the environment's database. Every command is a
//! plan: psql scripts fed on stdin with names as psql variables, dumps
//! streamed into files that appear only complete, confirmations, and an OS
//! lock per database for what replaces it.

use std::path::PathBuf;

use crate::commands::containers::step_in_service;
use crate::commands::Context;
use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::wants_tty;
use crate::config::db::identifier_problem;
use crate::config::CommandLine;
use crate::db::dump_file::{self, DumpFormat, DumpKind};
use crate::db::{scripts, DbSettings};
use crate::error::{Error, Result};
use crate::plan::{CommandStep, Compression, Input, LoadFile, Output, Plan, SealedInput, Step};

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
  cargo xtask db restore --partial-ok dump.sql scratch   SQL without pg_dump's completion line")]
    Restore(RestoreArgs),
    /// Snapshots as template databases: take, list, restore, remove
    #[command(after_help = "Examples:
  cargo xtask db snapshot --name before-migration
  cargo xtask db snapshot list
  cargo xtask db snapshot restore --latest
  cargo xtask db snapshot rm before-migration")]
    Snapshot(SnapshotArgs),
}

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
    /// custom (pg_dump -Fc, compressed, checked by restore), sql, or sql-gz
    #[arg(long, value_enum, default_value_t = DumpFormat::Custom)]
    pub format: DumpFormat,
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
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

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

/// The database of one environment, and how to reach it.
struct Target<'a> {
    ctx: &'a Context,
    environment: ActiveEnvironment,
    settings: DbSettings,
}

impl<'a> Target<'a> {
    fn new(ctx: &'a Context) -> Result<Self> {
        let environment = ctx.environment()?;
        let settings = DbSettings::resolve(ctx.workspace()?, &environment);
        Ok(Self {
            ctx,
            environment,
            settings,
        })
    }

    /// The database named, else the configured one; checked either way.
    fn database(&self, name: Option<&str>) -> Result<String> {
        let name = name.unwrap_or(&self.settings.database);
        checked(name, "database")?;
        Ok(name.to_string())
    }

    /// `argv` in the tools service, the password passed by name only.
    fn tool(&self, argv: Vec<String>, env: &[(String, String)], tty: bool) -> Result<CommandStep> {
        self.tool_passing(argv, env, tty, &[])
    }

    /// As [`Self::tool`], with `secrets` (variable, value) passed by name
    /// as the password is: their values are in compose's environment only.
    fn tool_passing(
        &self,
        argv: Vec<String>,
        env: &[(String, String)],
        tty: bool,
        secrets: &[(String, String)],
    ) -> Result<CommandStep> {
        let mut pass: Vec<String> = self
            .settings
            .password
            .iter()
            .map(|_| "PGPASSWORD".to_string())
            .collect();
        pass.extend(secrets.iter().map(|(key, _)| key.clone()));
        let mut step = step_in_service(
            self.ctx,
            &self.environment,
            &self.settings.tools_service,
            &argv,
            env,
            &pass,
            tty,
        )?;
        if let Some((_, value)) = &self.settings.password {
            // In compose's environment only: `-e PGPASSWORD` takes it from there.
            step.context_env.push(("PGPASSWORD".into(), value.clone()));
        }
        step.context_env.extend(secrets.iter().cloned());
        Ok(step)
    }

    /// `-h SERVER -U USER`, ended by `--`-free options only (psql takes no `--`).
    /// psql running `script` from stdin on the maintenance database, with
    /// `variables` as psql variables.
    fn script(&self, script: String, variables: &[(&str, &str)]) -> Result<CommandStep> {
        self.script_in("postgres", script, variables, &[])
    }

    /// As [`Self::script`], connected to `database`, with `secrets` passed
    /// by name (see [`Self::tool_passing`]).
    fn script_in(
        &self,
        database: &str,
        script: String,
        variables: &[(&str, &str)],
        secrets: &[(String, String)],
    ) -> Result<CommandStep> {
        let argv = self.settings.psql_script_argv(database, variables);
        Ok(self
            .tool_passing(argv, &[], false, secrets)?
            .stdin(Input::Text(script)))
    }

    /// The built-in one-time setup of `[db] roles` and `[db] extensions`
    /// (as the Indico seed's): roles created when missing, then the
    /// extensions in `database`. Names checked, passed as psql variables.
    fn roles_and_extensions(&self, plan: &mut Plan, database: &str) -> Result<()> {
        let roles = &self.settings.roles;
        if !roles.is_empty() {
            for role in roles {
                checked(role, "role")?;
            }
            let numbered = scripts::numbered("role", roles);
            let variables = scripts::as_variables(&numbered);
            let secrets: Vec<(String, String)> = self
                .settings
                .role_password
                .iter()
                .map(|(_, value)| (scripts::ROLE_PASSWORD_VARIABLE.to_string(), value.clone()))
                .collect();
            if let (Some(variable), None) = (
                &self.settings.role_password_env,
                &self.settings.role_password,
            ) {
                plan.push(Step::Note(format!(
                    "`{variable}` ([db] role_password_env) is not set: roles created now get no password"
                )));
            }
            plan.run(self.script_in(
                "postgres",
                scripts::roles(roles.len(), !secrets.is_empty()),
                &variables,
                &secrets,
            )?);
        }
        let extensions = &self.settings.extensions;
        if !extensions.is_empty() {
            for extension in extensions {
                checked(extension, "extension")?;
            }
            let numbered = scripts::numbered("extension", extensions);
            let variables = scripts::as_variables(&numbered);
            plan.run(self.script_in(
                database,
                scripts::extensions(extensions.len()),
                &variables,
                &[],
            )?);
        }
        Ok(())
    }

    /// Asks before `what` is done to `database`: the name typed in a
    /// protected environment, else yes/no (`--yes` answers it).
    fn confirm(&self, plan: &mut Plan, what: &str, database: &str, confirm: &ConfirmArgs) {
        let question = format!(
            "{what} database `{database}` in environment `{}`?",
            self.settings.environment
        );
        if self.settings.protected {
            plan.push(Step::ConfirmTyped {
                question: format!("{question} (`{}` is protected)", self.settings.environment),
                expected: database.to_string(),
                answer: confirm.confirm.clone(),
            });
        } else {
            plan.push(Step::Confirm { question });
        }
    }

    /// The lock that keeps two replacements of `database` apart.
    fn lock(&self, plan: &mut Plan, database: &str) -> Result<()> {
        let root = &self.ctx.workspace()?.root;
        plan.push(Step::Lock {
            path: root
                .join(crate::state_lock::STATE_DIR)
                .join(format!("db-{}-{database}.lock", self.environment.project)),
            what: format!(
                "a rebuild or restore of `{database}` in environment `{}`",
                self.settings.environment
            ),
        });
        Ok(())
    }

    /// The project's `step` for `database` (`{db}` replaced), if configured.
    fn project_step(
        &self,
        command: Option<&CommandLine>,
        database: &str,
    ) -> Result<Option<CommandStep>> {
        let Some(command) = command else {
            return Ok(None);
        };
        let argv = DbSettings::project_argv(command, database);
        let env = self.settings.client_env(database);
        Ok(Some(self.tool(argv, &env, wants_tty())?))
    }

    /// Init, then the chosen data, for `database`.
    fn initialise(&self, plan: &mut Plan, database: &str, data: &DataArgs) -> Result<()> {
        if let Some(step) = self.project_step(self.settings.init.as_ref(), database)? {
            plan.run(step.phase(format!("[db] init of {database}")));
        }
        let (chosen, key) = if data.demo {
            (self.settings.demo.as_ref(), "demo")
        } else if data.test {
            (self.settings.test.as_ref(), "test")
        } else {
            (None, "")
        };
        match self.project_step(chosen, database)? {
            Some(step) => {
                plan.run(step.phase(format!("[db] {key} data into {database}")));
            }
            None if !key.is_empty() => {
                return Err(Error::usage_with_help(
                    format!("--{key} needs `{key}` in [db] of tasks.toml"),
                    format!("e.g. {key} = [\"execute\", \"db-{key}-setup\"] under [db]"),
                ))
            }
            None => {}
        }
        Ok(())
    }

    /// Sets `database` aside before it is replaced: kept as the snapshot
    /// `kept` when there is one, else dropped ([`scripts::set_aside`]).
    fn set_aside(&self, database: &str, kept: Option<&SafetySnapshot>) -> Result<CommandStep> {
        let (snapshot, marker, hint) = kept
            .map(|k| (k.database.as_str(), k.marker.as_str(), k.hint.as_str()))
            .unwrap_or_default();
        self.script(
            scripts::set_aside(),
            &[
                ("name", database),
                ("snapshot", snapshot),
                ("marker", marker),
                ("hint", hint),
            ],
        )
    }

    /// The snapshot a `why` (rebuild, restore) of `database` keeps unless
    /// `--no-backup`: its database, marker, and the line that says how to
    /// get back to it.
    fn safety_snapshot_names(
        &self,
        database: &str,
        why: &str,
        skip: &NoBackupArg,
    ) -> Result<Option<SafetySnapshot>> {
        if skip.no_backup {
            return Ok(None);
        }
        let name = format!(
            "{why}-{}",
            dump_file::utc_timestamp_millis(std::time::SystemTime::now())
        );
        let full = Self::snapshot_database(database, &name).map_err(|_| {
            Error::usage_with_help(
                format!("`{database}` is too long a name for a snapshot before the {why}"),
                "pass --no-backup (and take a `db backup` first), or use a shorter database name",
            )
        })?;
        // Said by the script, only when it took the snapshot: a database
        // that did not exist has nothing to get back to.
        let hint = format!(
            "to get back: cargo xtask {}db snapshot restore {name}{}",
            self.env_flag(),
            self.db_flag(database)
        );
        Ok(Some(SafetySnapshot {
            database: full,
            marker: Self::snapshot_marker(database),
            hint,
        }))
    }

    /// Where a swap puts the database it replaces: `(snapshot, marker,
    /// hint)` of the snapshot kept ([`Self::safety_snapshot_names`]), or
    /// `NAME__replaced` with no marker (dropped after the swap).
    fn aside_names(
        &self,
        database: &str,
        why: &str,
        skip: &NoBackupArg,
    ) -> Result<(String, String, String)> {
        Ok(match self.safety_snapshot_names(database, why, skip)? {
            Some(kept) => (kept.database, kept.marker, kept.hint),
            None => {
                let aside = format!("{database}__replaced");
                checked(&aside, "database")?;
                (aside, String::new(), String::new())
            }
        })
    }

    /// Refuses, with how to start it, when the database server's service
    /// has no running container in the project (found through compose's
    /// labels): a one-off tools container would only fail with psql's
    /// "connection refused".
    fn require_server(&self) -> Result<()> {
        let project = &self.environment.project;
        let server = &self.settings.server;
        let running = crate::compose::state::running(project, server)
            .map_err(|e| Error::usage(e.to_string()))?;
        if running.is_empty() {
            return Err(Error::usage_with_help(
                format!("the database server `{server}` is not running in project {project}"),
                format!(
                    "start it with `cargo xtask {}up -d {server}`",
                    self.env_flag()
                ),
            ));
        }
        Ok(())
    }

    /// `--env NAME ` when the environment was chosen with the flag, for
    /// commands we suggest.
    fn env_flag(&self) -> String {
        match &self.environment.name {
            Some(env) if self.environment.choice == crate::compose::environment::Choice::Flag => {
                format!("--env {env} ")
            }
            _ => String::new(),
        }
    }

    /// ` --db NAME` unless `database` is the default one.
    fn db_flag(&self, database: &str) -> String {
        if database == self.settings.database {
            String::new()
        } else {
            format!(" --db {database}")
        }
    }

    fn snapshot_prefix(database: &str) -> String {
        format!("{database}__snap_")
    }

    fn snapshot_marker(database: &str) -> String {
        format!("xtask-snapshot:{database}")
    }

    /// The database holding snapshot `name` of `database`, checked.
    fn snapshot_database(database: &str, name: &str) -> Result<String> {
        // The full name starts with the database's: only it needs the rules.
        let full = format!("{}{name}", Self::snapshot_prefix(database));
        checked(&full, "snapshot database")?;
        Ok(full)
    }
}

/// Refuses a name that is no identifier we pass on.
fn checked(name: &str, what: &str) -> Result<()> {
    match identifier_problem(name) {
        None => Ok(()),
        Some(problem) => Err(Error::usage_with_help(
            format!(
                "`{}` is not a valid {what} name: {problem}",
                crate::ui::sanitize_for_terminal(name)
            ),
            crate::config::db::IDENTIFIER_HELP,
        )),
    }
}

impl DbArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let target = Target::new(ctx)?;
        // One listing of the project answers every step's "is the tools
        // service running" and the server check; it is the engine check
        // too (only its failure is diagnosed further).
        let planning = crate::compose::state::Planning::start();
        if !ctx.global.dry_run {
            if let Err(error) = crate::compose::state::containers(&target.environment.project) {
                ctx.require_engine()?;
                return Err(Error::usage(error.to_string()));
            }
        }
        let mut plan = Plan::new();
        let mut after = None;
        match self.command {
            DbCommand::Create(args) => {
                let db = target.database(args.name.as_deref())?;
                plan.run(target.script(scripts::CREATE.into(), &[("name", &db)])?);
                target.roles_and_extensions(&mut plan, &db)?;
            }
            DbCommand::Delete(args) => {
                let db = target.database(args.name.name.as_deref())?;
                target.confirm(&mut plan, "Delete", &db, &args.confirm);
                target.lock(&mut plan, &db)?;
                plan.run(target.script(scripts::drop(), &[("name", &db)])?);
                after = Some(After::Done {
                    verb: "Deleted",
                    what: db,
                });
            }
            DbCommand::Rebuild(args) => {
                let db = target.database(args.name.name.as_deref())?;
                target.confirm(
                    &mut plan,
                    "Rebuild (delete and recreate)",
                    &db,
                    &args.confirm,
                );
                target.lock(&mut plan, &db)?;
                // Kept as the snapshot (renamed, not copied), else dropped.
                let kept = target.safety_snapshot_names(&db, "rebuild", &args.no_backup)?;
                plan.run(target.set_aside(&db, kept.as_ref())?);
                plan.run(target.script(scripts::CREATE.into(), &[("name", &db)])?);
                target.roles_and_extensions(&mut plan, &db)?;
                target.initialise(&mut plan, &db, &args.data)?;
                after = Some(After::Done {
                    verb: "Rebuilt",
                    what: db,
                });
            }
            DbCommand::Setup(data) => {
                let db = target.database(None)?;
                plan.run(target.script(scripts::CREATE.into(), &[("name", &db)])?);
                target.roles_and_extensions(&mut plan, &db)?;
                target.initialise(&mut plan, &db, &data)?;
                after = Some(After::Done {
                    verb: "Set up",
                    what: db,
                });
            }
            DbCommand::List => {
                let json = ctx.global.json;
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
                plan.run(target.tool(argv, &[], false)?);
            }
            DbCommand::Psql(args) => {
                let db = target.database(args.name.name.as_deref())?;
                let mut argv = vec!["psql".to_string()];
                argv.extend(target.settings.connection());
                argv.extend(["-d".into(), db]);
                argv.extend(args.args);
                plan.run(target.tool(argv, &[], wants_tty())?);
            }
            DbCommand::Copy(args) => {
                let source = target.database(Some(&args.source))?;
                let dst = target.database(Some(&args.target))?;
                // Names reach Postgres quoted: equal strings are one database.
                if source == dst {
                    return Err(Error::usage(format!(
                        "SRC and DST are the same database `{dst}`; nothing was changed"
                    )));
                }
                if args.force {
                    target.confirm(&mut plan, "Replace", &dst, &args.confirm);
                    target.lock(&mut plan, &dst)?;
                    let staging = format!("{dst}__copying");
                    checked(&staging, "database")?;
                    let (snapshot, marker, hint) =
                        target.aside_names(&dst, "copy", &args.no_backup)?;
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
                    )?);
                } else {
                    plan.run(
                        target.script(scripts::copy(), &[("name", &dst), ("source", &source)])?,
                    );
                }
            }
            DbCommand::Backup(args) => {
                let db = target.database(args.name.name.as_deref())?;
                let root = ctx.workspace()?.root.clone();
                let path = match args.output {
                    Some(path) => std::path::absolute(&path).map_err(anyhow::Error::from)?,
                    None => dump_file::default_path(
                        &root,
                        &db,
                        &target.settings.environment,
                        args.format,
                    ),
                };
                let mut record = path.clone().into_os_string();
                record.push(".json");
                let record = PathBuf::from(record);
                // Checked before pg_dump runs: the dump and its record are
                // two files, and neither replaces one we did not make
                // without --force (which keeps it as NAME.~N~).
                if let (Some(dump_at), Some(record_at)) =
                    (dump_file::resolved(&path), dump_file::resolved(&record))
                {
                    if dump_at == record_at || dump_file::same_file(&dump_at, &record_at) {
                        return Err(Error::usage(format!(
                            "{} and its record {} are one file ({}); nothing was written",
                            path.display(),
                            record.display(),
                            dump_at.display()
                        )));
                    }
                }
                for output in [&path, &record] {
                    if output.symlink_metadata().is_err() {
                        continue;
                    }
                    if !args.force {
                        return Err(Error::usage_with_help(
                            format!("{} exists; nothing was written", output.display()),
                            "choose another -o, or pass --force to replace it (the old file is kept as NAME.~1~)",
                        ));
                    }
                    plan.push(Step::KeepAside {
                        path: output.clone(),
                        aside: dump_file::free_aside_name(output),
                    });
                }
                let mut argv = vec!["pg_dump".to_string()];
                argv.extend(target.settings.connection());
                argv.extend(args.format.pg_dump_options());
                argv.extend(["-d".into(), db.clone()]);
                // Never a TTY: it would turn LF into CRLF inside the dump.
                let dump = target
                    .tool(argv, &[], false)?
                    .stdout(if args.format.compressed_on_host() {
                        Output::Zstd(path.clone())
                    } else {
                        Output::File(path.clone())
                    })
                    .progress("backup");
                let mut version = vec!["psql".to_string(), "-X".into(), "-A".into(), "-t".into()];
                version.extend(target.settings.connection());
                version.extend([
                    "-d".into(),
                    "postgres".into(),
                    "-c".into(),
                    "SHOW server_version".into(),
                ]);
                let version = target.tool(version, &[], false)?;
                plan.run(dump.clone());
                plan.push(Step::Record {
                    path: record,
                    fields: vec![
                        ("database".into(), db.clone()),
                        ("environment".into(), target.settings.environment.clone()),
                        ("format".into(), args.format.extension().into()),
                        (
                            "created_utc".into(),
                            dump_file::utc_timestamp(std::time::SystemTime::now()),
                        ),
                        ("command".into(), dump.to_string()),
                    ],
                    query: Some(("server_version".into(), version)),
                });
                after = Some(After::Backup(path));
            }
            DbCommand::Restore(args) => {
                let db = target.database(args.name.name.as_deref())?;
                let file = std::path::absolute(&args.file).map_err(anyhow::Error::from)?;
                let kind = DumpKind::of(&file).map_err(|e| {
                    Error::usage(format!(
                        "cannot read {}: {e}; nothing was changed",
                        file.display()
                    ))
                })?;
                let loaded = format!("{db}__restoring");
                checked(&loaded, "database")?;
                // Compressed files are unpacked on the host, so that what
                // they hold is read (and checked) before it reaches psql.
                let (kind, compression) = match kind {
                    DumpKind::Zstd => {
                        let head = crate::exec::zstd_head(&file, 6).map_err(|e| {
                            Error::usage_with_help(
                                format!(
                                    "{} is not a whole zstd stream: {e}; nothing was changed",
                                    file.display()
                                ),
                                "the file is damaged or incomplete: restore another backup",
                            )
                        })?;
                        let inner = match DumpKind::of_head(&head) {
                            DumpKind::Gzip | DumpKind::Zstd => DumpKind::Compressed("twice"),
                            inner => inner,
                        };
                        (inner, Compression::Zstd)
                    }
                    DumpKind::Gzip => (DumpKind::Sql, Compression::Gzip),
                    kind => (kind, Compression::None),
                };
                let load_file = LoadFile {
                    path: file.clone(),
                    compression,
                };
                // What only we send, after the last byte: the loader's side
                // swaps only a database that got it (see RESTORE_IN_STAGING).
                let seal = new_seal()?;
                // Where a custom dump is copied in the container (see below).
                let mut copy_inside = String::new();
                let (load, sql, sealing) = match kind {
                    DumpKind::Custom => {
                        if compression == Compression::Zstd {
                            plan.push(Step::Note(format!("checking {}", file.display())));
                            plan.push(Step::TestZstd {
                                path: file.clone(),
                                progress: "check".into(),
                            });
                        }
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
                        let jobs = ctx.global.jobs.unwrap_or_else(|| {
                            std::thread::available_parallelism().map_or(4, |n| n.get().clamp(4, 8))
                        });
                        copy_inside = format!(
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
                            loaded.clone(),
                        ]);
                        // The seal's bytes follow the dump's; the container
                        // side checks and cuts them off before pg_restore.
                        (argv, None, seal.clone())
                    }
                    DumpKind::Sql => {
                        plan.push(Step::CheckSql {
                            file: load_file.clone(),
                            partial_ok: args.partial_ok,
                            progress: "check".into(),
                        });
                        let mut argv = vec!["psql".to_string(), "-X".into(), "-q".into()];
                        argv.extend(target.settings.connection());
                        argv.extend([
                            "-v".into(),
                            "ON_ERROR_STOP=1".into(),
                            "--single-transaction".into(),
                            "-d".into(),
                            loaded.clone(),
                            "-f".into(),
                            "-".into(),
                        ]);
                        // A statement psql runs only when its lexer is at
                        // the top level after the whole file: it seals the
                        // staging database (inside the load's transaction).
                        let statement = format!(
                            "\nCOMMENT ON DATABASE \"{}\" IS '{seal}';\n",
                            loaded.replace('"', "\"\"")
                        );
                        (argv, Some(args.partial_ok), statement)
                    }
                    DumpKind::Zstd | DumpKind::Gzip | DumpKind::Compressed(_) => {
                        let what = match kind {
                            DumpKind::Compressed(what) => what,
                            _ => "twice",
                        };
                        return Err(Error::usage_with_help(
                            format!(
                                "{} is compressed ({what}); nothing was changed",
                                file.display()
                            ),
                            "decompress it first, or restore a custom-format, SQL, .sql.gz or .zst dump (`db backup`)",
                        ));
                    }
                };
                target.confirm(&mut plan, "Replace", &db, &args.confirm);
                target.lock(&mut plan, &db)?;
                // The database it replaces is kept as the snapshot by the
                // swap itself (renamed, not copied first); without one it is
                // renamed aside in the swap's transaction and dropped after.
                let (snapshot, marker, hint) =
                    target.aside_names(&db, "restore", &args.no_backup)?;
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
                    copy_inside,
                    scripts::drop_staging(),
                    scripts::SEAL.into(),
                    format!("restored database {db}"),
                ];
                argv.extend(load);
                // Settings for this session only (PGOPTIONS): index builds
                // sort in memory, and commits do not wait for the disk. A
                // crash mid-restore loses only the staging database.
                let settings = [("PGOPTIONS".to_string(), RESTORE_SETTINGS.to_string())];
                plan.run(
                    target
                        .tool_passing(argv, &settings, false, &[(SEAL_VARIABLE.to_string(), seal)])?
                        .stdin(Input::Sealed(Box::new(SealedInput {
                            file: load_file,
                            sql,
                            seal: sealing,
                        })))
                        .progress("restore"),
                );
            }
            DbCommand::Snapshot(args) => {
                snapshot(&target, &mut plan, args)?;
            }
        }
        if !ctx.global.dry_run {
            target.require_server()?;
        }
        drop(planning);
        let started = std::time::Instant::now();
        ctx.execute(&plan)?;
        if ctx.global.dry_run {
            return Ok(());
        }
        match after {
            Some(After::Backup(path)) => {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                ctx.ui
                    .status("Backed up", format!("{} ({size} bytes)", path.display()));
            }
            Some(After::Done { verb, what }) => ctx.ui.status(
                verb,
                format!("{what} in {}", crate::ui::seconds(started.elapsed())),
            ),
            None => {}
        }
        Ok(())
    }
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
/// `${10}` set (a custom dump), stdin is copied into that file, which must
/// end with the seal's bytes (cut off, then the table of contents read
/// whole by `pg_restore --list`), the file appended to the loader's
/// arguments, and the database sealed (script `${12}`) once pg_restore
/// succeeded; the file is removed however the call ends. On any failure
/// the staging database is dropped (script `${11}`). Names, scripts and
/// arguments stay arguments: nothing is pasted into the line; the scripts
/// reach psql on a pipe of their own.
const RESTORE_IN_STAGING: &str = "h=$1 u=$2 db=$3 loaded=$4 create=$5 swap=$6 snap=$7 mark=$8 hint=$9 copy=${10} cleanup=${11} seal=${12} done=${13}; shift 13; \
admin() { psql -X -q -v ON_ERROR_STOP=1 -h \"$h\" -U \"$u\" -d postgres -v \"name=$1\" -v \"loaded=$loaded\" -v \"snapshot=$snap\" -v \"marker=$mark\" -v \"hint=$hint\" -v \"seal=$XTASK_LOAD_SEAL\" -v \"done=$done\" -f -; }; \
restricts() { set -- $(psql -V 2>/dev/null | sed -n 's/^psql (PostgreSQL) \\([0-9]*\\)\\.\\([0-9]*\\).*/\\1 \\2/p'); [ -n \"$2\" ] || return 1; \
case $1 in 13) [ \"$2\" -ge 22 ];; 14) [ \"$2\" -ge 19 ];; 15) [ \"$2\" -ge 14 ];; 16) [ \"$2\" -ge 10 ];; 17) [ \"$2\" -ge 6 ];; *) [ \"$1\" -ge 18 ];; esac; }; \
load() { if [ -z \"$copy\" ]; then if restricts; then { printf '\\\\restrict %s\\n' \"$XTASK_LOAD_SEAL\"; cat; } | \"$@\"; else \"$@\"; fi; return; fi; \
cat > \"$copy\" || return 1; n=${#XTASK_LOAD_SEAL}; \
if [ \"$n\" -lt 16 ] || [ \"$(tail -c \"$n\" \"$copy\")\" != \"$XTASK_LOAD_SEAL\" ]; then echo \"the dump did not arrive whole (no seal after it)\" >&2; return 1; fi; \
size=$(wc -c < \"$copy\") && truncate -s \"$((size - n))\" \"$copy\" && pg_restore --list \"$copy\" > /dev/null && \"$@\" \"$copy\" && printf '%s\\n' \"$seal\" | admin \"$loaded\"; }; \
if [ -n \"$copy\" ]; then trap 'rm -f \"$copy\"' EXIT; trap 'exit 143' TERM INT HUP; fi; \
printf '%s\\n' \"$create\" | admin \"$loaded\" || exit 1; \
if load \"$@\" && printf '%s\\n' \"$swap\" | admin \"$db\"; then exit 0; fi; \
printf '%s\\n' \"$cleanup\" | admin \"$loaded\" > /dev/null; \
echo \"the database was not replaced\" >&2; exit 1";

/// The variable, in the tools' environment only, that carries a load's
/// seal into the container (never on a command line the loaded SQL could read).
const SEAL_VARIABLE: &str = "XTASK_LOAD_SEAL";

/// A new random seal: 32 hex digits from the system's random source.
fn new_seal() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Other(anyhow::Error::from(e).context("cannot read /dev/urandom")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The restore session's settings (see `db restore`).
const RESTORE_SETTINGS: &str = "-c maintenance_work_mem=512MB -c synchronous_commit=off";

/// The snapshot a rebuild or restore keeps (see `Target::safety_snapshot_names`).
struct SafetySnapshot {
    database: String,
    marker: String,
    hint: String,
}

/// What to report once the plan ran.
enum After {
    Backup(PathBuf),
    /// One closing line with the time: `Rebuilt tryton in 41.2 s`.
    Done {
        verb: &'static str,
        what: String,
    },
}

fn snapshot(target: &Target<'_>, plan: &mut Plan, args: SnapshotArgs) -> Result<()> {
    match args.command {
        None => {
            let db = target.database(args.name.name.as_deref())?;
            let name = args
                .snapshot
                .unwrap_or_else(|| dump_file::utc_timestamp(std::time::SystemTime::now()));
            let full = Target::snapshot_database(&db, &name)?;
            plan.run(target.script(
                scripts::snapshot(),
                &[
                    ("name", &db),
                    ("snapshot", &full),
                    ("marker", &Target::snapshot_marker(&db)),
                ],
            )?);
            let env = match &target.environment.name {
                Some(env)
                    if target.environment.choice == crate::compose::environment::Choice::Flag =>
                {
                    format!("--env {env} ")
                }
                _ => String::new(),
            };
            plan.push(Step::Note(format!(
                "restore it with: cargo xtask {env}db snapshot restore {name}{}",
                if db == target.settings.database {
                    String::new()
                } else {
                    format!(" --db {db}")
                }
            )));
        }
        Some(SnapshotCommand::List(name)) => {
            let db = target.database(name.name.as_deref())?;
            plan.run(target.script(
                scripts::SNAPSHOT_LIST.into(),
                &[
                    ("name", &db),
                    ("prefix", &Target::snapshot_prefix(&db)),
                    ("marker", &Target::snapshot_marker(&db)),
                ],
            )?);
        }
        Some(SnapshotCommand::Restore(args)) => {
            let db = target.database(args.name.as_deref())?;
            let full = match &args.snapshot {
                Some(name) => Target::snapshot_database(&db, name)?,
                None => String::new(),
            };
            target.confirm(plan, "Replace (from a snapshot)", &db, &args.confirm);
            target.lock(plan, &db)?;
            // Copied beside the database, then swapped in: a failed copy
            // leaves it as it was.
            let loaded = format!("{db}__restoring");
            checked(&loaded, "database")?;
            // The state it replaces is kept as a snapshot too, as rebuild
            // and restore keep theirs (`--latest` then goes back to it).
            let (aside, aside_marker, hint) =
                target.aside_names(&db, "snapshot-restore", &args.no_backup)?;
            let seal = new_seal()?;
            let done = format!("restored {db} from the snapshot");
            plan.run(target.script(
                scripts::snapshot_restore_beside(),
                &[
                    ("name", &db),
                    ("snapshot", &full),
                    ("marker", &Target::snapshot_marker(&db)),
                    ("latest", if args.latest { "true" } else { "false" }),
                    ("loaded", &loaded),
                    ("aside", &aside),
                    ("aside_marker", &aside_marker),
                    ("hint", &hint),
                    ("seal", &seal),
                    ("done", &done),
                ],
            )?);
        }
        Some(SnapshotCommand::Rm(args)) => {
            let db = target.database(args.name.as_deref())?;
            let full = Target::snapshot_database(&db, &args.snapshot)?;
            plan.run(target.script(
                scripts::snapshot_remove(),
                &[
                    ("name", &db),
                    ("snapshot", &full),
                    ("marker", &Target::snapshot_marker(&db)),
                ],
            )?);
        }
    }
    Ok(())
}
