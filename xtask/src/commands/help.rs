//! Listing built-in commands and tasks, and `help NAME`.

use std::io::IsTerminal;

use clap::CommandFactory;
use serde::Serialize;

use crate::cli::Cli;
use crate::commands::Context;
use crate::config::{self, Workspace};
use crate::error::{Error, Result};
use crate::suggest::closest;
use crate::tasks::catalog;
use crate::tasks::listing::{describe_task, task_entry, task_names, TaskEntry};
use crate::ui::sanitize_for_terminal as clean;

/// Show help for a built-in command or a task
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask help update
  cargo xtask help lint")]
pub struct HelpArgs {
    /// A built-in command or a task
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

/// Built-in commands by group, in the order they are listed.
const GROUPS: [(&str, &[&str]); 7] = [
    (
        "Repositories",
        &["update", "status", "lock", "check", "diff"],
    ),
    (
        "Compose stack",
        &[
            "env", "up", "stop", "down", "build", "images", "logs", "ps", "restart", "scale",
            "config",
        ],
    ),
    (
        "Containers",
        &[
            "run", "shell", "exec", "urls", "describe", "open", "monitor", "doctor",
        ],
    ),
    ("Database", &["db", "checkpoint"]),
    ("Tests, docs and debuggers", &["test", "docs", "debug"]),
    ("Setup", &["init", "certs", "worktree"]),
    ("This tool", &["help", "completions"]),
];

#[derive(Serialize)]
struct BuiltinEntry {
    name: String,
    group: String,
    description: String,
}

fn builtins() -> Vec<BuiltinEntry> {
    let command = Cli::command();
    command
        .get_subcommands()
        .map(|sub| {
            let name = sub.get_name().to_string();
            let group = GROUPS
                .iter()
                .find(|(_, names)| names.contains(&name.as_str()))
                .map_or("Other", |(group, _)| group);
            BuiltinEntry {
                description: sub.get_about().map(|a| a.to_string()).unwrap_or_default(),
                group: group.to_string(),
                name,
            }
        })
        .collect()
}

/// `cargo xtask --help`: clap's help of the built-in commands and global
/// options (`text`), then the project's tasks, what a user types most.
pub fn top_level_help(ctx: &Context, text: &str) -> Result<()> {
    let mut out = text.trim_end().to_string();
    out.push('\n');
    // Help is help anywhere: a missing or broken tasks.toml is for `check`.
    if let Ok(workspace) = ctx.workspace() {
        let tasks: Vec<TaskEntry> = catalog::in_order_with_offsets(&workspace.tasks)
            .into_iter()
            .map(|(name, offset, spec)| task_entry(workspace, name, offset, spec))
            .filter(|task| !task.hidden)
            .collect();
        if !tasks.is_empty() {
            let width = tasks.iter().map(|t| task_names(t).len()).max().unwrap_or(0);
            out.push_str(&format!(
                "\n{}\n",
                ctx.ui.heading().apply_to("Tasks (tasks.toml):")
            ));
            for task in &tasks {
                out.push_str(&format!(
                    "  {:<width$}  {}\n",
                    task_names(task),
                    clean(task.description.as_deref().unwrap_or(""))
                ));
            }
        }
    }
    crate::out!("{out}");
    Ok(())
}

/// `cargo xtask` with no command (or `--list`): built-in commands and the project's tasks.
pub fn list(ctx: &Context) -> Result<()> {
    let workspace = match ctx.workspace() {
        Ok(workspace) => Some(workspace),
        Err(Error::Config(config::Error::NoRoot { .. })) => None,
        Err(error) => return Err(error),
    };
    let builtins = builtins();
    let tasks: Vec<TaskEntry> = workspace
        .map(|w| {
            catalog::in_order_with_offsets(&w.tasks)
                .into_iter()
                .map(|(name, offset, spec)| task_entry(w, name, offset, spec))
                .collect()
        })
        .unwrap_or_default();
    if ctx.global.json {
        let value = serde_json::json!({ "builtins": builtins, "tasks": tasks });
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let heading = ctx.ui.heading();
    let visible: Vec<&TaskEntry> = tasks.iter().filter(|t| !t.hidden).collect();
    let names = task_names;
    let width = builtins
        .iter()
        .map(|b| b.name.len())
        .chain(visible.iter().map(|t| names(t).len()))
        .max()
        .unwrap_or(0);
    let invoked_as = crate::ui::invoked_as();
    let mut out = format!("Usage: {invoked_as} [OPTIONS] <COMMAND|TASK> [ARGS]...\n");
    let mut groups: Vec<&str> = GROUPS.iter().map(|(g, _)| *g).collect();
    groups.push("Other");
    for group in groups {
        let members: Vec<&BuiltinEntry> = builtins.iter().filter(|b| b.group == group).collect();
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{}\n", heading.apply_to(format!("{group}:"))));
        for builtin in members {
            out.push_str(&format!(
                "  {:<width$}  {}\n",
                builtin.name, builtin.description
            ));
        }
    }
    match workspace {
        Some(_) if visible.is_empty() => {
            out.push_str("\nNo tasks in tasks.toml yet ([tasks.NAME] adds one).\n")
        }
        Some(_) => {
            out.push_str(&format!("\n{}\n", heading.apply_to("Tasks (tasks.toml):")));
            for task in visible {
                out.push_str(&format!(
                    "  {:<width$}  {}\n",
                    names(task),
                    clean(task.description.as_deref().unwrap_or(""))
                ));
            }
        }
        None => out.push_str("\nNo tasks.toml here or above: only built-in commands.\n"),
    }
    out.push_str(&format!(
        "\nSee `{invoked_as} help NAME` for one command or task.\n"
    ));
    crate::out!("{out}");
    Ok(())
}

impl HelpArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let Some(name) = self.name else {
            return list(ctx);
        };
        let mut command = Cli::command();
        if let Some(sub) = command.find_subcommand_mut(&name) {
            let invoked_as = crate::ui::invoked_as();
            let mut sub = sub.clone().bin_name(format!("{invoked_as} {name}"));
            let help = sub.render_long_help();
            // Styled only where styles are wanted and seen.
            if ctx.ui.color && std::io::stdout().is_terminal() {
                crate::out!("{}", help.ansi());
            } else {
                crate::out!("{help}");
            }
            return Ok(());
        }
        let workspace = ctx.workspace()?;
        let Some(task) = catalog::resolve(&workspace.tasks, &name) else {
            let builtins = crate::cli::builtin_names();
            let candidates = catalog::all_names(&workspace.tasks)
                .into_iter()
                .chain(builtins.iter().map(String::as_str));
            let suggestion = closest(&name, candidates)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            return Err(Error::usage(clean(&format!(
                "no task or command `{name}`{suggestion}"
            ))));
        };
        print_task_help(workspace, task);
        Ok(())
    }
}

/// Prints the help of `task` (a task's name, not an alias): what `help
/// TASK` and `TASK --help` show.
pub fn print_task_help(workspace: &Workspace, task: &str) {
    let Some((offset, spec)) = workspace
        .tasks
        .tasks
        .iter()
        .find(|(name, _)| name.get_ref() == task)
        .map(|(name, spec)| (name.span().start, spec))
    else {
        return;
    };
    // Line by line: the description's own lines stay, its escapes do not.
    for line in describe_task(&task_entry(workspace, task, offset, spec), spec).lines() {
        crate::outln!("{}", clean(line));
    }
}
