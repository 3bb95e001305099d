//! `checkpoint save|list|restore|rm`: named states of the environment. The
//! arguments become options, the database and the images are resolved
//! here (what is unavailable is said, not fatal, for `save`), and the plans
//! come from `checkpoints::checkpoint_plans`.

use crate::checkpoints::checkpoint_plans::{self, SaveOptions};
use crate::checkpoints::record::Checkpoint;
use crate::checkpoints::{service_images, CheckpointInputs, DbAccess, ImageIds};
use crate::commands::Context;
use crate::compose::environment::{ActiveEnvironment, Choice};
use crate::compose::project::wants_tty;
use crate::db::client::{DatabaseClient, ToolsEntry};
use crate::db::target::DbTarget;
use crate::db::DbSettings;
use crate::error::Result;
use crate::plan::Plan;

/// Save and restore named states: repos' commits, the database, copied files
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask checkpoint save before-migration --note 'green tests'
  cargo xtask checkpoint list
  cargo xtask --yes checkpoint restore before-migration
  cargo xtask --yes checkpoint rm before-migration
Checkpoints live in .xtask/checkpoints/ (never committed); see docs/checkpoints.md.")]
pub struct CheckpointArgs {
    #[command(subcommand)]
    pub command: CheckpointCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CheckpointCommand {
    /// Record every repo's branch and commit, snapshot the database, store the copied files
    #[command(after_help = "Examples:
  cargo xtask checkpoint save before-migration
  cargo xtask checkpoint save before-migration --force --note 'after the fix'")]
    Save(SaveArgs),
    /// The checkpoints, oldest first (`--json` for scripts)
    #[command(after_help = "Examples:
  cargo xtask checkpoint list
  cargo xtask checkpoint list --json")]
    List,
    /// Go back to a checkpoint: repos, database and copied files (asks first)
    #[command(after_help = "Examples:
  cargo xtask checkpoint restore before-migration
  cargo xtask --yes checkpoint restore before-migration")]
    Restore(RestoreArgs),
    /// Remove a checkpoint: its record, stored files and database snapshot (asks first)
    #[command(after_help = "Examples:
  cargo xtask --yes checkpoint rm before-migration")]
    Rm(NameArgs),
}

#[derive(Debug, clap::Args)]
pub struct SaveArgs {
    /// The checkpoint's name (letters, digits, `_`, `-`)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// What this state is, shown by `checkpoint list`
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Replace a checkpoint of that name (its old parts removed once the new one is saved)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The checkpoint (see `checkpoint list`)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The database's name, typed in advance (a protected environment wants it)
    #[arg(long, value_name = "DB")]
    pub confirm: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct NameArgs {
    /// The checkpoint (see `checkpoint list`)
    #[arg(value_name = "NAME")]
    pub name: String,
}

impl CheckpointCommand {
    /// Whether it prints JSON with `--json`: the listing.
    pub fn has_json(&self) -> bool {
        matches!(self, CheckpointCommand::List)
    }
}

impl CheckpointArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let wanted = match self.command {
            CheckpointCommand::List => return list(ctx, &Checkpoint::list(&workspace.root)?),
            CheckpointCommand::Save(args) => Wanted::Save(SaveOptions {
                name: args.name,
                note: args.note,
                force: args.force,
                database_only: false,
            }),
            CheckpointCommand::Restore(args) => Wanted::Restore {
                name: args.name,
                confirm: args.confirm,
            },
            CheckpointCommand::Rm(args) => Wanted::Remove(args.name),
        };
        let plan = with_inputs(ctx, true, |inputs| plan(ctx, inputs, wanted))?;
        ctx.execute(&plan)
    }
}

/// The plan of `wanted`, with a save's warnings said first.
fn plan(ctx: &Context, inputs: &CheckpointInputs<'_>, wanted: Wanted) -> Result<Plan> {
    Ok(match wanted {
        Wanted::Save(options) => {
            let saved = checkpoint_plans::save(inputs, &options)?;
            for warning in &saved.warnings {
                ctx.ui.warn(warning);
            }
            saved.plan
        }
        Wanted::Restore { name, confirm } => {
            checkpoint_plans::restore(inputs, &name, confirm.as_deref())?
        }
        Wanted::Remove(name) => checkpoint_plans::remove(inputs, &name)?,
    })
}

/// Runs `work` with the checkpoint inputs of the active environment: the
/// database when it can be reached (else why not) and, with `images`, the
/// services' image ids; all read once, before the plan runs.
pub fn with_inputs<R>(
    ctx: &Context,
    images: bool,
    work: impl FnOnce(&CheckpointInputs<'_>) -> Result<R>,
) -> Result<R> {
    let workspace = ctx.workspace()?;
    let environment = ctx.environment()?;
    let settings = DbSettings::resolve(workspace, &environment);
    let _planning = crate::compose::state::Planning::start();
    let project = match workspace.tasks.db {
        Some(_) => database_project(ctx, &environment, &settings),
        None => Err("no [db] in tasks.toml".to_string()),
    };
    let target = project.as_ref().map(|(project, running)| DbTarget {
        client: DatabaseClient::new(
            project,
            &settings,
            match running {
                Some(id) => ToolsEntry::Container(id.clone()),
                None => ToolsEntry::Run,
            },
        )
        .in_environment(environment.name.as_deref()),
        settings: &settings,
        environment: &environment,
        root: &workspace.root,
        tty: wants_tty(),
    });
    let inputs = CheckpointInputs {
        workspace,
        environment: settings.environment.clone(),
        env_flag: env_flag(&environment),
        database: match &target {
            Ok(target) => DbAccess::Ready(target),
            Err(why) => DbAccess::Unavailable(why.to_string()),
        },
        images: if images {
            service_images::read(&environment.project)
        } else {
            ImageIds::Unavailable("not read".into())
        },
    };
    work(&inputs)
}

/// What a subcommand other than `list` asks for.
enum Wanted {
    Save(SaveOptions),
    Restore {
        name: String,
        confirm: Option<String>,
    },
    Remove(String),
}

/// The compose project the database tools run in, and the tools
/// service's running container (its id), if it has one; or why the
/// database cannot be reached now.
fn database_project(
    ctx: &Context,
    environment: &ActiveEnvironment,
    settings: &DbSettings,
) -> std::result::Result<(crate::compose::project::ComposeProject, Option<String>), String> {
    let server = &settings.server;
    match crate::compose::state::running(&environment.project, server) {
        Ok(running) if running.is_empty() => {
            return Err(format!(
            "its server `{server}` is not running (start it with `cargo xtask {}up -d {server}`)",
            env_flag(environment)
        ))
        }
        Ok(_) => {}
        Err(error) => return Err(error.to_string()),
    }
    ctx.service_step(environment, &settings.tools_service)
        .map_err(|error| error.to_string())
}

/// `--env NAME ` when the environment was chosen with the flag.
fn env_flag(environment: &ActiveEnvironment) -> String {
    match &environment.name {
        Some(env) if environment.choice == Choice::Flag => format!("--env {env} "),
        _ => String::new(),
    }
}

/// `checkpoint list`: a table, or JSON with `--json`.
fn list(ctx: &Context, checkpoints: &[Checkpoint]) -> Result<()> {
    if ctx.global.json {
        let text = serde_json::to_string_pretty(checkpoints).map_err(anyhow::Error::from)?;
        crate::outln!("{text}");
        return Ok(());
    }
    if checkpoints.is_empty() {
        ctx.ui
            .note("no checkpoints yet: `cargo xtask checkpoint save NAME` makes one".to_string());
        return Ok(());
    }
    let rows: Vec<[String; 5]> = checkpoints
        .iter()
        .map(|c| {
            let dirty = c.repos.iter().filter(|r| r.head.dirty).count();
            let dirty = if dirty > 0 {
                format!(" ({dirty} dirty)")
            } else {
                String::new()
            };
            [
                c.name.clone(),
                c.saved_at.clone(),
                format!("{}{dirty}", c.repos.len()),
                c.database
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |db| db.name.clone()),
                c.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    crate::ui::print_table(&["NAME", "SAVED (UTC)", "REPOS", "DATABASE", "NOTE"], &rows);
    Ok(())
}
