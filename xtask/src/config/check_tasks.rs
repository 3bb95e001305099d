//! Cross-checks of `[tasks]`: names that shadow built-ins, aliases that
//! collide, dependencies that name nothing (with the closest name), cycles
//! (named in full), and tasks with nothing to do.

use std::collections::BTreeMap;

use crate::suggest::closest;

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::Workspace;

/// The prefix of a run step or dependency that calls a built-in command.
pub const BUILTIN_PREFIX: &str = "xtask:";

pub fn check(workspace: &Workspace, builtins: &[&str], errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks.tasks;

    // Every name a task answers to, with the task it means.
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for name in tasks.keys() {
        names.insert(name.get_ref(), name.get_ref());
        if builtins.contains(&name.get_ref().as_str()) {
            errors.push(
                Diagnostic::at(
                    source,
                    name.span(),
                    format!(
                        "task `{}` has the name of a built-in command",
                        name.get_ref()
                    ),
                )
                .help("rename the task; built-in commands cannot be replaced"),
            );
        }
    }
    for (name, task) in tasks {
        let Some(alias) = &task.alias else { continue };
        for alias_name in alias.get_ref().names() {
            if builtins.contains(&alias_name) {
                errors.push(
                    Diagnostic::at(
                        source,
                        alias.span(),
                        format!(
                            "alias `{alias_name}` of task `{}` is a built-in command",
                            name.get_ref()
                        ),
                    )
                    .help("choose another alias"),
                );
            } else if let Some(other) = names.insert(alias_name, name.get_ref()) {
                if other != name.get_ref() {
                    errors.push(
                        Diagnostic::at(source, alias.span(), format!("alias `{alias_name}` of task `{}` is already the name or alias of `{other}`", name.get_ref()))
                            .help("each name may mean one task"),
                    );
                }
            }
        }
    }

    for (name, task) in tasks {
        if task.run.is_none() && task.depends.is_empty() {
            errors.push(
                Diagnostic::at(
                    source,
                    name.span(),
                    format!("task `{}` has nothing to run", name.get_ref()),
                )
                .help("add `run = \"...\"` or `depends = [...]`"),
            );
        }
        for dependency in &task.depends {
            let target = dependency.get_ref();
            if target.starts_with(BUILTIN_PREFIX)
                || names.contains_key(target.as_str())
                || builtins.contains(&target.as_str())
            {
                continue;
            }
            let candidates = names.keys().copied().chain(builtins.iter().copied());
            let help = match closest(target, candidates) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "name a task of tasks.toml or a built-in command".to_string(),
            };
            errors.push(
                Diagnostic::at(source, dependency.span(), format!("task `{}` depends on `{target}`, which is neither a task nor a built-in command", name.get_ref()))
                    .help(help),
            );
        }
    }

    // Cycles: a depth-first walk from every task; report each cycle once,
    // at the dependency that closes it.
    let mut reported: Vec<Vec<String>> = Vec::new();
    for start in tasks.keys() {
        let mut path: Vec<&str> = vec![start.get_ref()];
        walk(workspace, &names, &mut path, &mut reported, errors);
    }
}

fn walk<'a>(
    workspace: &'a Workspace,
    names: &BTreeMap<&'a str, &'a str>,
    path: &mut Vec<&'a str>,
    reported: &mut Vec<Vec<String>>,
    errors: &mut ConfigErrors,
) {
    let Some(current) = path.last().copied() else {
        return;
    };
    let Some(task) = workspace.tasks.task(current) else {
        return;
    };
    for dependency in &task.depends {
        let Some(&next) = names.get(dependency.get_ref().as_str()) else {
            continue;
        };
        if let Some(at) = path.iter().position(|p| *p == next) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            let mut key = cycle.clone();
            key.sort();
            if !reported.contains(&key) {
                reported.push(key);
                cycle.push(next.to_string());
                errors.push(
                    Diagnostic::at(
                        &workspace.tasks_source,
                        dependency.span(),
                        format!("dependency cycle: {}", cycle.join(" -> ")),
                    )
                    .help("remove one of these dependencies"),
                );
            }
            continue;
        }
        if path.len() > 64 {
            continue;
        }
        path.push(next);
        walk(workspace, names, path, reported, errors);
        path.pop();
    }
}
