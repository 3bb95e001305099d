//! A service under a debugger: the override file that runs it there, the
//! plans that recreate it with and without, the port it needs, and what
//! the user is told to attach.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::compose::override_file;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::config::debug_spec::{DebugSpec, Debugger, DEFAULT_DEBUG_PORT};
use crate::config::worktree_marker::WorktreeMarker;
use crate::config::{EnvRoot, Workspace};
use crate::debugger;
use crate::debugger::launch_file::{LaunchUpdate, LAUNCH_JSON};
use crate::error::Error;
use crate::plan::{Plan, Step};
use crate::state_lock::STATE_DIR;
use crate::ui::Ui;

/// Why `debug` cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum DebugError {
    /// The way to the override file leaves the root (a link on it).
    #[error("{relative} {why}; nothing was changed")]
    OverridePath { relative: String, why: String },
    #[error("no program to run under the debugger for `{0}`")]
    NoProgram(String),
    #[error("port {port} on 127.0.0.1 is taken ({error}); nothing was started")]
    PortTaken {
        port: u16,
        #[source]
        error: std::io::Error,
    },
    #[error("cannot write {relative}")]
    Write {
        relative: String,
        #[source]
        error: std::io::Error,
    },
}

impl From<DebugError> for Error {
    fn from(error: DebugError) -> Self {
        let help = match &error {
            DebugError::OverridePath { .. } => {
                format!("remove the link on the way to {STATE_DIR}/, xtask's own folder")
            }
            DebugError::NoProgram(service) => format!("set [services.{service}.debug] command = [\"python3\", \"app.py\"] (or [services.{service}] command) in tasks.toml"),
            DebugError::PortTaken { port, .. } => format!("choose another with --port N, or stop what listens there (`ss -ltnp 'sport = :{port}'` shows it)"),
            DebugError::Write { .. } => return Error::Other(error.into()),
        };
        Error::usage_with_help(error.to_string(), help)
    }
}

/// The override file of `service`: relative to the root, and resolved
/// inside it (written and removed by us: the way to it must stay in the root).
pub fn override_path(
    root: &Path,
    project: &str,
    service: &str,
) -> Result<(String, PathBuf), DebugError> {
    let relative = override_file(project, service);
    let path = EnvRoot::new(root)
        .map_err(|e| e.to_string())
        .and_then(|root| root.resolve_entry(&relative).map_err(|why| why.to_string()))
        .map_err(|why| DebugError::OverridePath {
            relative: relative.clone(),
            why,
        })?;
    Ok((relative, path))
}

/// `up --force-recreate` of `service` alone, from `project`'s files.
fn recreate(project: &ComposeProject, service: &str) -> crate::plan::CommandStep {
    project.command([
        "up".to_string(),
        "--detach".into(),
        "--no-deps".into(),
        "--force-recreate".into(),
        service.to_string(),
    ])
}

/// `--off`: recreate `service` without the override when it runs (a
/// service stopped meanwhile stays stopped), then the file goes.
pub fn off_plan(project: &ComposeProject, service: &str, relative: &str, running: bool) -> Plan {
    let mut plan = Plan::new();
    if running {
        plan.push(Step::Note(format!(
            "recreate {service} from the project's compose files, without the debugger"
        )));
        plan.run(recreate(project, service));
    } else {
        plan.push(Step::Note(format!(
            "{service} is not running: nothing to recreate"
        )));
    }
    plan.push(Step::Note(format!("remove {relative}")));
    plan
}

/// `service` under its debugger: what to write, run and tell.
pub struct DebugOn {
    /// The debug settings of the service (`[services.NAME.debug]`).
    pub spec: DebugSpec,
    pub port: u16,
    /// The override file's text.
    pub override_text: String,
    /// What becomes of launch.json, decided before anything changes.
    pub launch: LaunchUpdate,
    /// The attach configuration.
    pub entry: Value,
    /// The recreation with the override, and what is done with launch.json.
    pub plan: Plan,
}

/// Plans `service` of `project` under its debugger on `port` (else the
/// configured one, else 5678); `wait` holds the program until one attaches.
pub fn on_plan(
    workspace: &Workspace,
    project: &ComposeProject,
    service: &str,
    (relative, override_path): (&str, &Path),
    port: Option<u16>,
    wait: bool,
) -> Result<DebugOn, DebugError> {
    let service_spec = workspace.tasks.service(service);
    let spec = service_spec
        .and_then(|s| s.debug.clone())
        .unwrap_or_default();
    // In a worktree, the port `worktree add` chose: the original's may be
    // in use by its own debug session.
    let worktree = WorktreeMarker::read(&workspace.root);
    let port = port
        .or(worktree.as_ref().and_then(|w| w.debug_port(service)))
        .or(spec.port.as_ref().map(|p| *p.get_ref()))
        .unwrap_or(DEFAULT_DEBUG_PORT);
    let program = spec
        .command
        .as_ref()
        .or(service_spec.and_then(|s| s.command.as_ref()))
        .map(|c| c.get_ref().to_argv())
        .ok_or_else(|| DebugError::NoProgram(service.to_string()))?;
    let command = debugger::command_line(spec.debugger, &program, port, wait);
    let override_text = override_text(service, &command, port, spec.debugger);
    let mut debug_project = project.clone();
    debug_project.files.push(relative.to_string());

    // launch.json is read and edited before anything changes: a file it
    // cannot follow is known (and said) before the service is recreated.
    let name = entry_name(service, worktree.as_ref());
    let entry = launch_entry(&name, port, &spec);
    let mut launch = LaunchUpdate::prepare(&workspace.root, &entry);
    if let LaunchUpdate::Write { target, .. } = &launch {
        if crate::output_files::same_file(target, override_path) {
            launch = LaunchUpdate::LeftAlone(format!("it is the override file {relative}"));
        }
    }
    let mut plan = Plan::new();
    plan.push(Step::Note(format!(
        "write {relative}: {service} runs `{}`, port 127.0.0.1:{port}",
        crate::plan::shell_line(&command)
    )));
    plan.run(recreate(&debug_project, service));
    plan.push(Step::Note(match &launch {
        LaunchUpdate::LeftAlone(why) => format!(
            "leave {LAUNCH_JSON} as it is ({why}); print the configuration `{name}` to paste"
        ),
        _ => format!("put the configuration `{name}` in {LAUNCH_JSON}"),
    }));
    Ok(DebugOn {
        spec,
        port,
        override_text,
        launch,
        entry,
        plan,
    })
}

/// The override file of `service` in `project`, relative to the root.
pub fn override_file(project: &str, service: &str) -> String {
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

/// Writes the override file, its folder made (and ignored by git) first.
pub fn write_override(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        crate::state_lock::ignore_itself(dir)?;
    }
    crate::atomic_file::write(path, text)
}

/// Refuses a port that something else listens on, before anything starts.
/// The service's own container publishing it (an earlier `debug`) is fine:
/// it is recreated.
pub fn check_port(project: &str, service: &str, port: u16) -> Result<(), DebugError> {
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
        Err(error) => Err(DebugError::PortTaken { port, error }),
    }
}

/// The name of the attach configuration in launch.json: a worktree's
/// says which, so that it never passes for the original's.
pub fn entry_name(service: &str, worktree: Option<&WorktreeMarker>) -> String {
    match worktree {
        Some(worktree) => format!("{service}: attach (xtask, worktree {})", worktree.name),
        None => format!("{service}: attach (xtask)"),
    }
}

/// The attach configuration VS Code's Python debugger reads.
fn launch_entry(name: &str, port: u16, spec: &DebugSpec) -> Value {
    let mut entry = json!({
        "name": name,
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
pub fn report_launch_json(ui: &Ui, launch: &LaunchUpdate, entry: &Value) {
    let name = entry["name"].as_str().unwrap_or_default();
    let why = match launch {
        LaunchUpdate::Unchanged => return,
        LaunchUpdate::Write { verb, .. } => match launch.write() {
            Ok(()) => {
                ui.status("Editor", format!("{LAUNCH_JSON} {verb} `{name}`"));
                return;
            }
            Err(e) => format!("cannot write it: {e}"),
        },
        LaunchUpdate::LeftAlone(why) => why.clone(),
    };
    ui.warn(format!(
        "left {LAUNCH_JSON} as it is ({why}); add this configuration to its \"configurations\" yourself:"
    ));
    crate::outln!(
        "{}",
        serde_json::to_string_pretty(entry).unwrap_or_default()
    );
}

/// How to attach: host, port, path mappings.
pub fn print_attach(root: &Path, service: &str, on: &DebugOn, wait: bool) {
    let (port, spec) = (on.port, &on.spec);
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
        on.entry["name"].as_str().unwrap_or_default()
    );
    crate::outln!("  back to normal: cargo xtask debug {service} --off");
}
