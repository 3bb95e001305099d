//! `init`: the environment's one-time setup from `[init]` in tasks.toml:
//! persistent folders (owner, group, mode), default config files copied
//! without overwriting, one-time steps run while their output is missing.
//! Idempotent: a second run changes nothing and says so.

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};
use crate::setup::init_plan::{self, InitAction, InitInputs, PathResolver};

/// One-time setup: folders, default config files, one-time steps ([init])
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask -C examples/camcops init             create what is missing; a second run changes nothing
  cargo xtask -C examples/camcops --dry-run init   every folder, copy and command, nothing done
  cargo xtask -C examples/camcops init --force     replace changed config files and step outputs (NAME.bak kept)
(this repository's stack has no [init]; examples/camcops and examples/indico have)")]
pub struct InitArgs {
    /// Replace config files that differ and outputs of steps that exist,
    /// keeping each old file as a backup (NAME.bak, NAME.bak.1, ...)
    #[arg(long)]
    pub force: bool,
}

impl InitArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let Some(spec) = &workspace.tasks.init else {
            return Err(Error::usage_with_help(
                "tasks.toml has no [init]: there is no one-time setup to do",
                "describe it with [[init.folder]], [[init.copy]] and [[init.step]] (see the README, \"One-time setup\")",
            ));
        };
        let environment = ctx.environment()?;
        let in_service = spec.steps.iter().any(|s| s.service.is_some());
        let compose = if in_service {
            Some(ctx.compose_for(&environment)?)
        } else {
            None
        };
        let root_user = init_plan::running_as_root();
        let actions = init_plan::plan(&InitInputs {
            workspace,
            spec,
            environment: &environment,
            compose: compose.as_ref(),
            force: self.force,
            root_user,
        })?;
        let changes = actions.iter().filter(|a| a.changes()).count();
        if ctx.global.dry_run {
            for action in &actions {
                crate::outln!("{action}");
            }
            if changes == 0 {
                crate::outln!("# nothing to do: everything is in place");
            }
            return Ok(());
        }
        let runs_in_service = actions.iter().any(|a| {
            matches!(
                a,
                InitAction::Step {
                    service: Some(_),
                    ..
                }
            )
        });
        // Before anything changes: a chown that cannot work stops here.
        for action in &actions {
            if let InitAction::Chown {
                path,
                owner,
                as_root: true,
            } = action
            {
                if let Some(why) = init_plan::unknown_owner(owner) {
                    return Err(Error::usage_with_help(
                        format!("cannot give {path} to {owner}: {why}; nothing was changed"),
                        "create the account first (e.g. `useradd --system indico`), or change owner/group in [[init.folder]]",
                    ));
                }
            }
        }
        if runs_in_service {
            ctx.require_variables(&environment)?;
            ctx.require_engine()?;
        }
        // Steps change the disk: each action's paths are checked again just
        // before it, and a step's outputs just after it.
        let boundary = PathResolver::new(workspace, &environment, spec.outside_root)?;
        let stopped = |why: String| {
            Error::Other(anyhow::anyhow!(
                "init stopped: {why}; nothing after this was done"
            ))
        };
        for action in &actions {
            for place in action.places() {
                boundary.check_still_inside(place).map_err(stopped)?;
            }
            match action {
                InitAction::Done(what) => ctx.ui.verbose(format!("done: {what}")),
                InitAction::Kept { path, why } => ctx.ui.warn(format!("kept {path}: {why}")),
                InitAction::Chown {
                    path,
                    owner,
                    as_root: false,
                } => ctx.ui.note(format!(
                    "not running as root: the owner of {path} is left as it is; as root, run: chown {owner} -- {}",
                    shell_words::quote(&path.path.to_string_lossy())
                )),
                InitAction::Chown {
                    path,
                    owner,
                    as_root: true,
                } => {
                    init_plan::apply(action).map_err(stopped)?;
                    ctx.ui.status("Owned", format!("{path} by {owner}"));
                }
                InitAction::Step {
                    name,
                    makes,
                    command,
                    ..
                } => {
                    ctx.ui.status("Running", format!("step {name}"));
                    let mut plan = Plan::new();
                    plan.push(Step::Run(command.clone()));
                    ctx.execute(&plan)?;
                    let made: Vec<String> = makes.iter().map(ToString::to_string).collect();
                    let missing: Vec<&String> = makes
                        .iter()
                        .zip(&made)
                        .filter(|(place, _)| place.path.symlink_metadata().is_err())
                        .map(|(_, shown)| shown)
                        .collect();
                    if !missing.is_empty() {
                        return Err(Error::usage_with_help(
                            format!(
                                "step {name} succeeded but did not make {}",
                                missing
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            "fix `creates` in [[init.step]] (the files the command writes), or the command",
                        ));
                    }
                    for place in makes {
                        boundary.check_still_inside(place).map_err(|why| {
                            stopped(format!("step {name}: {why}"))
                        })?;
                    }
                    ctx.ui.status("Made", made.join(", "));
                }
                other => {
                    init_plan::apply(other).map_err(stopped)?;
                    let (verb, what) = match other {
                        InitAction::CreateFolder { path, .. } => ("Created", path.to_string()),
                        InitAction::SetMode { path, mode } => {
                            ("Mode", format!("{path} {mode:04o}"))
                        }
                        InitAction::Copy {
                            from,
                            to,
                            backup: None,
                            ..
                        } => ("Copied", format!("{from} to {to}")),
                        InitAction::Copy {
                            from,
                            to,
                            backup: Some(backup),
                            ..
                        } => (
                            "Replaced",
                            format!("{to} with {from} (the old file is {backup})"),
                        ),
                        InitAction::MoveAside { path, backup } => {
                            ("Kept", format!("{path} as {backup}"))
                        }
                        _ => ("Done", other.to_string()),
                    };
                    ctx.ui.status(verb, what);
                }
            }
        }
        if changes == 0 {
            ctx.ui.status(
                "Unchanged",
                format!(
                    "nothing to do: {} already in place",
                    crate::ui::plural(actions.len(), "thing", "things")
                ),
            );
        }
        Ok(())
    }
}
