//! Cross-checks of `[project]`, `[environments]` and `[services]`: compose
//! files that do not exist, `inherits` that names nothing or loops, and
//! service names the compose files do not declare.

use crate::compose::files;

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    check_environments(workspace, errors);
    super::check_tasks::clean_messages(errors, first);
}

fn check_environments(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;

    let project_files = tasks.project.compose_files.iter();
    let environment_files = tasks
        .environments
        .values()
        .flat_map(|e| e.compose_files.iter());
    for file in project_files.chain(environment_files) {
        if !workspace.root.join(file.get_ref()).is_file() {
            errors.push(
                Diagnostic::at(
                    source,
                    file.span(),
                    format!("compose file `{}` does not exist", file.get_ref()),
                )
                .help("create it, or fix the path (relative to the folder holding tasks.toml)"),
            );
        }
    }

    for (name, environment) in &tasks.environments {
        let Some(parent) = &environment.inherits else {
            continue;
        };
        if !tasks.environments.contains_key(parent.get_ref().as_str()) {
            errors.push(
                Diagnostic::at(
                    source,
                    parent.span(),
                    format!(
                        "environment `{}` inherits from `{}`, which is not defined",
                        name.get_ref(),
                        parent.get_ref()
                    ),
                )
                .help("define [environments.NAME] for it, or remove `inherits`"),
            );
            continue;
        }
        let mut chain = vec![name.get_ref().clone()];
        let mut current = Some(parent.get_ref().clone());
        while let Some(next) = current {
            if next == *name.get_ref() {
                chain.push(next);
                errors.push(
                    Diagnostic::at(
                        source,
                        parent.span(),
                        format!("environments inherit in a cycle: {}", chain.join(" -> ")),
                    )
                    .help("remove one `inherits` so that the chain ends"),
                );
                break;
            }
            if chain.contains(&next) {
                break; // a cycle further up, reported at its own members
            }
            chain.push(next.clone());
            current = tasks
                .environment(&next)
                .and_then(|e| e.inherits.as_ref())
                .map(|p| p.get_ref().clone());
        }
    }

    if let Some(default) = &tasks.project.default_environment {
        // With no [environments] at all, any name only sets ENVIRONMENT.
        if !tasks.environments.is_empty()
            && !tasks.environments.contains_key(default.get_ref().as_str())
        {
            let defined: Vec<&str> = tasks
                .environments
                .keys()
                .map(|k| k.get_ref().as_str())
                .collect();
            let help = match crate::suggest::closest(default.get_ref(), defined.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? defined: {}", defined.join(", ")),
                None => format!(
                    "add [environments.{}], or name one of: {}",
                    default.get_ref(),
                    defined.join(", ")
                ),
            };
            errors.push(
                Diagnostic::at(
                    source,
                    default.span(),
                    format!("default environment `{}` is not defined", default.get_ref()),
                )
                .help(help),
            );
        }
    }

    for diagnostic in files::missing_env_files(workspace, false) {
        errors.push(diagnostic);
    }

    // Service names: only checked when the compose files can be read and declare some.
    let mut all_files = tasks.project.compose_file_paths();
    all_files.extend(
        tasks
            .environments
            .values()
            .flat_map(|e| e.compose_files.iter().map(|f| f.get_ref().clone())),
    );
    for diagnostic in files::compose_syntax_errors(workspace, &all_files) {
        errors.push(diagnostic);
    }
    let declared = files::services_in(&files::effective_files(&workspace.root, &all_files));
    if declared.is_empty() {
        return;
    }
    let unknown = |name: &str| !declared.iter().any(|d| d == name);
    let help = |name: &str| {
        let known = declared.join(", ");
        match crate::suggest::closest(name, declared.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`? the compose files declare: {known}"),
            None => format!("the compose files declare: {known}"),
        }
    };
    for name in tasks.services.keys() {
        if unknown(name.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    name.span(),
                    format!("service `{}` is not in the compose files", name.get_ref()),
                )
                .help(help(name.get_ref())),
            );
        }
    }
    for task in tasks.tasks.values() {
        if let Some(service) = &task.in_service {
            if unknown(service.get_ref()) {
                errors.push(
                    Diagnostic::at(
                        source,
                        service.span(),
                        format!(
                            "service `{}` is not in the compose files",
                            service.get_ref()
                        ),
                    )
                    .help(help(service.get_ref())),
                );
            }
        }
    }
}
