//! `init`: the environment's one-time setup from `[init]` in tasks.toml:
//! persistent folders (owner, group, mode), default config files copied
//! without overwriting, one-time steps run while their output is missing.
//! Idempotent: a second run changes nothing and says so.

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::setup::init_plan::{self, InitInputs};

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
        let actions = init_plan::plan(&InitInputs {
            workspace,
            spec,
            environment: &environment,
            compose: compose.as_ref(),
            force: self.force,
            root_user: init_plan::running_as_root(),
        })?;
        if !ctx.global.dry_run {
            init_plan::check_owners(&actions)?;
            if init_plan::runs_in_service(&actions) {
                ctx.require_variables(&environment)?;
                ctx.require_engine()?;
            }
        }
        ctx.execute(&init_plan::steps(workspace, spec, actions))
    }
}
