//! `debug SERVICE`: recreate the service with its program under a Python
//! debugger listening on 127.0.0.1, tell the user how to attach, and keep
//! an attach configuration in `.vscode/launch.json`; `--off` undoes it.
//!
//! The debugger comes from a compose override file under `.xtask/` rather
//! than a `run --service-ports` one-off: the service keeps its name, network
//! aliases and other ports, so the rest of the stack still reaches it, and
//! `ps`, `logs` and `urls` see it as usual; `--off` (or a plain `up`) recreates
//! it from the project's own files.

use std::path::Path;

use crate::commands::Context;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::debugger::debug_session::{self, DebugError};
use crate::error::Result;

/// Restart a service under a debugger (debugpy, ptvsd) on 127.0.0.1 and set up the editor
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask debug portal               the portal under debugpy on 127.0.0.1:5678
  cargo xtask debug portal --wait        the program waits for the debugger to attach
  cargo xtask debug portal --port 5680   another port
  cargo xtask debug portal --off         back to normal
  cargo xtask --dry-run debug portal     the override file, the compose call")]
pub struct DebugArgs {
    /// The service ([services.NAME.debug] in tasks.toml)
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// Hold the program until a debugger attaches
    #[arg(long, conflicts_with = "off")]
    pub wait: bool,
    /// The port on 127.0.0.1 (and in the container); default: the one `worktree add` chose in a worktree, else [services.NAME.debug] port, else 5678
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..), conflicts_with = "off")]
    pub port: Option<u16>,
    /// Recreate the service without the debugger
    #[arg(long)]
    pub off: bool,
}

impl DebugArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        ctx.check_service(&self.service)?;
        let workspace = ctx.workspace()?;
        let environment = ctx.environment()?;
        ctx.require_variables(&environment)?;
        let project = ctx.compose_for(&environment)?;
        ctx.require_engine()?;
        let service = self.service.as_str();
        let (relative, override_path) =
            debug_session::override_path(&workspace.root, &project.name, service)?;
        if self.off {
            return off(ctx, &project, service, &relative, &override_path);
        }
        let on = debug_session::on_plan(
            workspace,
            &project,
            service,
            (&relative, &override_path),
            self.port,
            self.wait,
        )?;
        if ctx.global.dry_run {
            return ctx.execute(&on.plan);
        }
        debug_session::check_port(&project.name, service, on.port)?;
        let previous = std::fs::read_to_string(&override_path).ok();
        debug_session::write_override(&override_path, &on.override_text).map_err(|error| {
            DebugError::Write {
                relative: relative.clone(),
                error,
            }
        })?;
        if let Err(error) = ctx.execute(&on.plan) {
            // The service was not recreated under this file: it goes (or the
            // one of an earlier `debug` comes back).
            let undone = match &previous {
                Some(text) => crate::atomic_file::write(&override_path, text),
                None => std::fs::remove_file(&override_path),
            };
            if let Err(e) = undone {
                ctx.ui.warn(format!("could not undo {relative}: {e}"));
            }
            return Err(error);
        }
        debug_session::report_launch_json(&ctx.ui, &on.launch, &on.entry);
        debug_session::print_attach(&workspace.root, service, &on, self.wait);
        Ok(())
    }
}

/// `--off`: the service recreated without the debugger, the override removed.
fn off(
    ctx: &Context,
    project: &ComposeProject,
    service: &str,
    relative: &str,
    override_path: &Path,
) -> Result<()> {
    let running = !state::running(&project.name, service)
        .unwrap_or_default()
        .is_empty();
    ctx.execute(&debug_session::off_plan(
        project, service, relative, running,
    ))?;
    if !ctx.global.dry_run {
        match std::fs::remove_file(override_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => ctx.ui.warn(format!("could not remove {relative}: {e}")),
        }
        ctx.ui
            .status("Debugger", format!("off: {service} runs as usual"));
    }
    Ok(())
}
