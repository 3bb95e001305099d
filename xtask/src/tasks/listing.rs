//! Tasks as the listings show them: the entry of each task (names,
//! arguments, where it is defined), and the text of `help TASK`.

use serde::Serialize;

use crate::config::{self, CommandLine, TaskSpec, Workspace};
use crate::tasks::arguments;
use crate::ui::sanitize_for_terminal as clean;

/// One argument of a task, as listings and `--json` show it.
#[derive(Serialize)]
pub struct ArgEntry {
    pub name: String,
    pub default: Option<String>,
    pub help: Option<String>,
    /// A boolean flag (`--NAME` alone), see `[tasks.NAME.args]`.
    pub flag: bool,
}

/// One task of tasks.toml, as listings, help and `--json` show it.
#[derive(Serialize)]
pub struct TaskEntry {
    pub name: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub depends: Vec<String>,
    pub args: Vec<ArgEntry>,
    #[serde(rename = "in")]
    pub in_service: Option<String>,
    pub hidden: bool,
    pub defined_at: String,
}

/// The entry of task `name`, defined at byte `offset` of tasks.toml.
pub fn task_entry(workspace: &Workspace, name: &str, offset: usize, spec: &TaskSpec) -> TaskEntry {
    let line = workspace.tasks_source.position(offset).line;
    TaskEntry {
        name: name.to_string(),
        description: spec.description.clone(),
        aliases: spec
            .alias
            .as_ref()
            .map(|a| a.get_ref().names().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        depends: spec.depends.iter().map(|d| d.get_ref().clone()).collect(),
        args: arguments::declared(spec)
            .into_iter()
            .map(|(name, arg)| ArgEntry {
                name: name.into(),
                default: arg.default.clone(),
                help: arg.help.clone(),
                flag: arg.flag,
            })
            .collect(),
        in_service: spec.in_service.as_ref().map(|s| s.get_ref().clone()),
        hidden: spec.hide,
        defined_at: format!("{}:{line}", config::TASKS_FILE),
    }
}

/// A task's name and aliases, as the listings show them.
pub fn task_names(task: &TaskEntry) -> String {
    let mut all = vec![task.name.clone()];
    all.extend(task.aliases.iter().cloned());
    clean(&all.join(", ")).into_owned()
}

/// What `help TASK` prints: description, place, usage, arguments,
/// dependencies, where it runs, its commands and when it is skipped.
pub fn describe_task(entry: &TaskEntry, spec: &TaskSpec) -> String {
    let mut out = format!(
        "{}: {}\n",
        entry.name,
        entry.description.as_deref().unwrap_or("(no description)")
    );
    out.push_str(&format!("defined at {}\n", entry.defined_at));
    let usage: Vec<String> = entry
        .args
        .iter()
        .map(|a| match a.flag {
            true => format!("[--{}]", a.name),
            false => format!("[--{} VALUE]", a.name),
        })
        .collect();
    out.push_str(
        &format!(
            "usage: {} {} {}\n",
            crate::ui::invoked_as(),
            entry.name,
            usage.join(" ")
        )
        .replace(" \n", "\n"),
    );
    if !entry.aliases.is_empty() {
        out.push_str(&format!("aliases: {}\n", entry.aliases.join(", ")));
    }
    if !entry.args.is_empty() {
        out.push_str("arguments:\n");
        let width = entry.args.iter().map(|a| a.name.len()).max().unwrap_or(0);
        for arg in &entry.args {
            let default = match (&arg.default, arg.flag) {
                (_, true) => " (a flag)".to_string(),
                (Some(d), false) => format!(" (default: {d})"),
                (None, false) => " (required)".to_string(),
            };
            out.push_str(&format!(
                "  --{:<width$}  {}{default}\n",
                arg.name,
                arg.help.as_deref().unwrap_or("")
            ));
        }
    }
    if !entry.depends.is_empty() {
        out.push_str(&format!("depends on: {}\n", entry.depends.join(", ")));
    }
    if let Some(service) = &entry.in_service {
        out.push_str(&format!("runs in service: {service}\n"));
    }
    if let Some(dir) = &spec.dir {
        out.push_str(&format!("runs in folder: {}\n", dir.get_ref()));
    }
    if let Some(question) = &spec.confirm {
        out.push_str(&format!("asks first: {question}\n"));
    }
    let commands = crate::tasks::task_plan::commands_of(spec.run.as_ref().map(|r| r.get_ref()));
    if !commands.is_empty() {
        out.push_str("run:\n");
        for command in commands {
            let line = match command {
                CommandLine::Shell(line) => line,
                CommandLine::Argv(argv) => shell_words::join(&argv),
            };
            out.push_str(&format!("  {line}\n"));
        }
    }
    let sources: Vec<&str> = spec.sources.iter().map(|s| s.get_ref().as_str()).collect();
    let outputs: Vec<&str> = spec.outputs.iter().map(|s| s.get_ref().as_str()).collect();
    match (sources.is_empty(), outputs.is_empty()) {
        (false, false) => out.push_str(&format!(
            "skipped when [{}] are older than [{}]\n",
            sources.join(", "),
            outputs.join(", ")
        )),
        (true, false) => out.push_str(&format!("skipped while [{}] exist\n", outputs.join(", "))),
        _ => {}
    }
    out
}
