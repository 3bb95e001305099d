//! Tasks by name and alias, in the order tasks.toml defines them.

use crate::config::{TaskSpec, TasksFile};

/// The task `name` means (itself or an alias), if any.
pub fn resolve<'a>(tasks: &'a TasksFile, name: &str) -> Option<&'a str> {
    tasks.tasks.iter().find_map(|(task, spec)| {
        let aliased = spec
            .alias
            .as_ref()
            .is_some_and(|a| a.get_ref().names().contains(&name));
        (task.get_ref() == name || aliased).then_some(task.get_ref().as_str())
    })
}

/// Every task with its spec, in definition order.
pub fn in_order(tasks: &TasksFile) -> Vec<(&str, &TaskSpec)> {
    in_order_with_offsets(tasks)
        .into_iter()
        .map(|(name, _, spec)| (name, spec))
        .collect()
}

/// [`in_order`], each task with the byte offset of its name in tasks.toml.
pub fn in_order_with_offsets(tasks: &TasksFile) -> Vec<(&str, usize, &TaskSpec)> {
    let mut all: Vec<_> = tasks
        .tasks
        .iter()
        .map(|(name, spec)| (name.get_ref().as_str(), name.span().start, spec))
        .collect();
    all.sort_by_key(|(_, offset, _)| *offset);
    all
}

/// Every name and alias a task answers to.
pub fn all_names(tasks: &TasksFile) -> Vec<&str> {
    let mut names = Vec::new();
    for (name, spec) in in_order(tasks) {
        names.push(name);
        if let Some(alias) = &spec.alias {
            names.extend(alias.get_ref().names());
        }
    }
    names
}
