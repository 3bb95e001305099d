//! `debug SERVICE`: recreate the service with its program under a Python
//! debugger listening on 127.0.0.1, tell the user how to attach, and keep
//! an attach configuration in `.vscode/launch.json`; `--off` undoes it.
//!
//! The debugger comes from a compose override file under `.xtask/` rather
//! than a `run --service-ports` one-off: the service keeps its name, network
//! aliases and other ports, so the rest of the stack still reaches it, and
//! `ps`, `logs` and `urls` see it as usual; `--off` (or a plain `up`) recreates
//! it from the project's own files.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::commands::Context;
use crate::compose::override_file;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::config::debug_spec::{DebugSpec, Debugger, DEFAULT_DEBUG_PORT};
use crate::config::EnvRoot;
use crate::debugger;
use crate::debugger::launch_file::{LaunchUpdate, LAUNCH_JSON};
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};
use crate::state_lock::STATE_DIR;

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
    /// The port on 127.0.0.1 (and in the container); default: [services.NAME.debug] port, else 5678
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
        let relative = override_file(&project.name, service);
        // Written and removed by us: the way to it must stay in the root.
        let override_path = EnvRoot::new(&workspace.root)
            .map_err(|e| e.to_string())
            .and_then(|root| root.resolve_entry(&relative).map_err(|why| why.to_string()))
            .map_err(|why| {
                Error::usage_with_help(
                    format!("{relative} {why}; nothing was changed"),
                    format!("remove the link on the way to {STATE_DIR}/, xtask's own folder"),
                )
            })?;
        let recreate = |project: &ComposeProject| {
            project.command([
                "up".to_string(),
                "--detach".into(),
                "--no-deps".into(),
                "--force-recreate".into(),
                service.to_string(),
            ])
        };

        if self.off {
            // A service stopped meanwhile stays stopped: only the override goes.
            let running = !state::running(&project.name, service)
                .unwrap_or_default()
                .is_empty();
            let mut plan = Plan::new();
            if running {
                plan.push(Step::Note(format!(
                    "recreate {service} from the project's compose files, without the debugger"
                )));
                plan.run(recreate(&project));
            } else {
                plan.push(Step::Note(format!(
                    "{service} is not running: nothing to recreate"
                )));
            }
            plan.push(Step::Note(format!("remove {relative}")));
            ctx.execute(&plan)?;
            if !ctx.global.dry_run {
                match std::fs::remove_file(&override_path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => ctx.ui.warn(format!("could not remove {relative}: {e}")),
                }
                ctx.ui
                    .status("Debugger", format!("off: {service} runs as usual"));
            }
            return Ok(());
        }

        let service_spec = workspace.tasks.service(service);
        let spec = service_spec
            .and_then(|s| s.debug.clone())
            .unwrap_or_default();
        let port = self
            .port
            .or(spec.port.as_ref().map(|p| *p.get_ref()))
            .unwrap_or(DEFAULT_DEBUG_PORT);
        let program = spec
            .command
            .as_ref()
            .or(service_spec.and_then(|s| s.command.as_ref()))
            .map(|c| c.get_ref().to_argv())
            .ok_or_else(|| {
                Error::usage_with_help(
                    format!("no program to run under the debugger for `{service}`"),
                    format!("set [services.{service}.debug] command = [\"python3\", \"app.py\"] (or [services.{service}] command) in tasks.toml"),
                )
            })?;
        if !ctx.global.dry_run {
            check_port(&project.name, service, port)?;
        }
        let command = debugger::command_line(spec.debugger, &program, port, self.wait);
        let text = override_text(service, &command, port, spec.debugger);
        let mut debug_project = project.clone();
        debug_project.files.push(relative.clone());

        // launch.json is read and edited before anything changes: a file it
        // cannot follow is known (and said) before the service is recreated.
        let entry = launch_entry(service, port, &spec);
        let mut launch = LaunchUpdate::prepare(&workspace.root, &entry);
        if let LaunchUpdate::Write { target, .. } = &launch {
            if crate::output_files::same_file(target, &override_path) {
                launch = LaunchUpdate::LeftAlone(format!("it is the override file {relative}"));
            }
        }
        let mut plan = Plan::new();
        plan.push(Step::Note(format!(
            "write {relative}: {service} runs `{}`, port 127.0.0.1:{port}",
            crate::plan::shell_line(&command)
        )));
        plan.run(recreate(&debug_project));
        plan.push(Step::Note(match &launch {
            LaunchUpdate::LeftAlone(why) => format!(
                "leave {LAUNCH_JSON} as it is ({why}); print the configuration `{}` to paste",
                entry_name(service)
            ),
            _ => format!(
                "put the configuration `{}` in {LAUNCH_JSON}",
                entry_name(service)
            ),
        }));
        if ctx.global.dry_run {
            return ctx.execute(&plan);
        }
        let previous = std::fs::read_to_string(&override_path).ok();
        write_override(&override_path, &text).map_err(|e| {
            Error::Other(anyhow::Error::from(e).context(format!("cannot write {relative}")))
        })?;
        if let Err(error) = ctx.execute(&plan) {
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
        report_launch_json(ctx, &launch, &entry);
        print_attach(&workspace.root, service, port, &spec, self.wait);
        Ok(())
    }
}

/// The override file of `service` in `project`, relative to the root.
fn override_file(project: &str, service: &str) -> String {
    format!("{STATE_DIR}/debug-{project}-{service}.yml")
}

/// The override: the program under the debugger, the port on 127.0.0.1.
/// JSON, which is YAML: no YAML writer needed, and no quoting to get wrong.
fn override_text(service: &str, command: &[String], port: u16, debugger: Debugger) -> String {
    let body = json!({
        "services": {
            service: {
                "command": command,
                "ports": [format!("127.0.0.1:{port}:{port}")],
            }
        }
    });
    override_file::render(
        &format!(
            "Written by `xtask debug {service}` ({}); `xtask debug {service} --off` removes it.",
            debugger.name()
        ),
        &body,
    )
}

fn write_override(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        crate::state_lock::ignore_itself(dir)?;
    }
    crate::atomic_file::write(path, text)
}

/// Refuses a port that something else listens on, before anything starts.
/// The service's own container publishing it (an earlier `debug`) is fine:
/// it is recreated.
fn check_port(project: &str, service: &str, port: u16) -> Result<()> {
    let ours = state::containers(project)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.service == service && c.is_running())
        .any(|c| c.ports.iter().any(|p| p.host_port == port));
    if ours {
        return Ok(());
    }
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::usage_with_help(
            format!("port {port} on 127.0.0.1 is taken ({e}); nothing was started"),
            format!("choose another with --port N, or stop what listens there (`ss -ltnp 'sport = :{port}'` shows it)"),
        )),
    }
}

fn entry_name(service: &str) -> String {
    format!("{service}: attach (xtask)")
}

/// The attach configuration VS Code's Python debugger reads.
fn launch_entry(service: &str, port: u16, spec: &DebugSpec) -> Value {
    let mut entry = json!({
        "name": entry_name(service),
        "type": match spec.debugger {
            Debugger::Debugpy => "debugpy",
            Debugger::Ptvsd => "python",
        },
        "request": "attach",
        "connect": { "host": "127.0.0.1", "port": port },
    });
    if !spec.path_mappings.is_empty() {
        let mappings: Vec<Value> = spec
            .path_mappings
            .iter()
            .map(|(host, container)| {
                json!({
                    "localRoot": format!("${{workspaceFolder}}/{}", host.get_ref().trim_end_matches('/')),
                    "remoteRoot": container.get_ref(),
                })
            })
            .collect();
        entry["pathMappings"] = Value::Array(mappings);
    }
    entry
}

/// Writes what [`LaunchUpdate::prepare`] decided and says so; a file left
/// alone is named with why, and the entry printed to paste.
fn report_launch_json(ctx: &Context, launch: &LaunchUpdate, entry: &Value) {
    let name = entry["name"].as_str().unwrap_or_default();
    let why = match launch {
        LaunchUpdate::Unchanged => return,
        LaunchUpdate::Write { verb, .. } => match launch.write() {
            Ok(()) => {
                ctx.ui
                    .status("Editor", format!("{LAUNCH_JSON} {verb} `{name}`"));
                return;
            }
            Err(e) => format!("cannot write it: {e}"),
        },
        LaunchUpdate::LeftAlone(why) => why.clone(),
    };
    ctx.ui.warn(format!(
        "left {LAUNCH_JSON} as it is ({why}); add this configuration to its \"configurations\" yourself:"
    ));
    crate::outln!(
        "{}",
        serde_json::to_string_pretty(entry).unwrap_or_default()
    );
}

/// How to attach: host, port, path mappings.
fn print_attach(root: &Path, service: &str, port: u16, spec: &DebugSpec, wait: bool) {
    let waiting = if wait {
        " (the program waits for a debugger to attach)"
    } else {
        ""
    };
    crate::outln!(
        "{service}: {} listening on 127.0.0.1:{port}{waiting}",
        spec.debugger.name()
    );
    crate::outln!("  attach to host 127.0.0.1, port {port}");
    for (host, container) in &spec.path_mappings {
        let local: PathBuf = root.join(host.get_ref());
        crate::outln!(
            "  path mapping: {} -> {}",
            local.display(),
            container.get_ref()
        );
    }
    crate::outln!(
        "  VS Code: Run and Debug, `{}` (.vscode/launch.json)",
        entry_name(service)
    );
    crate::outln!("  back to normal: cargo xtask debug {service} --off");
}
