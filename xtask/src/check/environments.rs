//! Cross-checks of `[project]`, `[environments]` and `[services]`: compose
//! files that do not exist, `inherits` that names nothing or loops, and
//! service names the compose files do not declare.

use crate::compose::files;

use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::environment::MAX_INHERITS_DEPTH;
use crate::config::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    check_environments(workspace, errors);
    super::tasks::clean_messages(errors, first);
}

fn check_environments(workspace: &Workspace, errors: &mut ConfigErrors) {
    check_projects(workspace, errors);
    check_repo_environments(workspace, errors);
    check_task_environments(workspace, errors);
    check_compose_files_exist(workspace, errors);
    check_inherits(workspace, errors);
    check_inherit_chains(workspace, errors);
    check_default_environment(workspace, errors);
    for diagnostic in files::missing_env_files(workspace, false) {
        errors.push(diagnostic);
    }
    check_service_names(workspace, errors);
}

/// A task's `environment` names an environment of tasks.toml.
fn check_task_environments(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
    for (name, task) in &tasks.tasks {
        let Some(pinned) = &task.environment else {
            continue;
        };
        if tasks.environment(pinned.get_ref()).is_none() {
            let help = unknown_environment_help(workspace, pinned.get_ref());
            errors.push(
                Diagnostic::at(
                    source,
                    pinned.span(),
                    format!(
                        "task `{}` runs in environment `{}`, which tasks.toml does not define",
                        name.get_ref(),
                        pinned.get_ref()
                    ),
                )
                .help(help),
            );
        }
    }
}

/// The project's and every environment's `compose_files` exist.
fn check_compose_files_exist(workspace: &Workspace, errors: &mut ConfigErrors) {
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
}

/// An environment's `inherits` names a defined environment.
fn check_inherits(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
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
    }
}

/// `default_environment` names a defined environment (when any are defined).
fn check_default_environment(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
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
}

/// Service names of `[services]` and `in_service`: names compose reads as
/// names, and declared by the compose files when those can be read.
fn check_service_names(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
    // Service names: only checked when the compose files can be read and declare some.
    let all_files = tasks.every_compose_file();
    for diagnostic in files::compose_file_errors(workspace, &all_files) {
        errors.push(diagnostic);
    }
    // Whatever the compose files say, a name that compose would read as an
    // option never reaches its command line.
    let named = tasks.services.keys().chain(
        tasks
            .tasks
            .values()
            .filter_map(|task| task.in_service.as_ref()),
    );
    for name in named {
        if !is_service_name(name.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    name.span(),
                    format!(
                        "`{}` is not a compose service name",
                        crate::ui::sanitize_for_terminal(name.get_ref())
                    ),
                )
                .help("service names are letters, digits, `.`, `_` and `-`, starting with a letter or digit"),
            );
        }
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

/// An environment variable's name as the shell writes it: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_variable_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Cycles and chains deeper than [`MAX_INHERITS_DEPTH`], in one pass over
/// the environments: each one's depth is computed once and remembered, so
/// a chain of thousands costs as many steps, not their square.
fn check_inherit_chains(workspace: &Workspace, errors: &mut ConfigErrors) {
    use std::collections::HashMap;
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
    let parent_of = |name: &str| {
        tasks
            .environment(name)
            .and_then(|e| e.inherits.as_ref())
            .filter(|p| tasks.environments.contains_key(p.get_ref().as_str()))
    };
    // None: on a cycle (or leading into one); Some(depth): chain length.
    let mut depth: HashMap<&str, Option<usize>> = HashMap::new();
    for start in tasks.environments.keys() {
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: HashMap<&str, usize> = HashMap::new();
        let mut current = Some(start.get_ref().as_str());
        // Walk up until an environment whose depth is known, the end, or a loop.
        let mut known = Some(0);
        while let Some(name) = current {
            if let Some(d) = depth.get(name) {
                known = *d;
                break;
            }
            if let Some(&at) = on_path.get(name) {
                let cycle = &path[at..];
                for (i, member) in cycle.iter().enumerate() {
                    let mut chain: Vec<&str> =
                        cycle[i..].iter().chain(&cycle[..i]).copied().collect();
                    chain.push(member);
                    if let Some(parent) = parent_of(member) {
                        errors.push(
                            Diagnostic::at(
                                source,
                                parent.span(),
                                format!("environments inherit in a cycle: {}", chain.join(" -> ")),
                            )
                            .help("remove one `inherits` so that the chain ends"),
                        );
                    }
                }
                known = None;
                break;
            }
            on_path.insert(name, path.len());
            path.push(name);
            current = parent_of(name).map(|p| p.get_ref().as_str());
        }
        for name in path.iter().rev() {
            known = known.map(|d| d + 1);
            depth.insert(name, known);
            if known == Some(MAX_INHERITS_DEPTH + 1) {
                if let Some(parent) = parent_of(name) {
                    errors.push(
                        Diagnostic::at(
                            source,
                            parent.span(),
                            format!(
                                "environment `{name}` inherits through more than {MAX_INHERITS_DEPTH} environments (`{name}` -> `{}` -> ...)",
                                parent.get_ref()
                            ),
                        )
                        .help("shorten the chain: let environments inherit from a shared base instead of from each other"),
                    );
                }
            }
        }
    }
}

/// Compose's own rule for service names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn is_service_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// One compose project per environment, and the one plain `docker compose`
/// would use in the root is ours: otherwise a second stack appears.
fn check_projects(workspace: &Workspace, errors: &mut ConfigErrors) {
    use crate::compose::env_file;
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
    let mut env_files = tasks.project.env_file_paths();
    if env_files.is_empty() {
        env_files.push(".env".into());
    }
    let values = match env_file::read_all(
        &workspace.root,
        &env_files,
        &env_file::process_lookup(&Default::default()),
    ) {
        Ok(values) => values,
        Err(error) => {
            let mut diagnostic = Diagnostic::whole_file(error.file.clone(), error.problem.to_string())
                .help("compose refuses this env file too: fix the line (quotes closed, `KEY=VALUE`, required variables set)");
            diagnostic.line = error.line;
            errors.push(diagnostic);
            env_file::read_all_lenient(
                &workspace.root,
                &env_files,
                &env_file::process_lookup(&Default::default()),
            )
        }
    };
    if let (Some(name), Some(theirs)) = (&tasks.project.name, values.get("COMPOSE_PROJECT_NAME")) {
        if crate::config::sanitize_project_name(theirs)
            != crate::config::sanitize_project_name(name.get_ref())
        {
            errors.push(
                Diagnostic::at(
                    source,
                    name.span(),
                    format!(
                        "the env files set COMPOSE_PROJECT_NAME={theirs}, but [project] name is `{}`: plain `docker compose` here would start a second stack",
                        name.get_ref()
                    ),
                )
                .help("make them the same, or remove one (without a name here, xtask uses COMPOSE_PROJECT_NAME)"),
            );
        }
    }
    // Environments whose projects would be the same stack.
    let mut seen: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (name, environment) in &tasks.environments {
        let Some(project) = &environment.project else {
            continue;
        };
        let project_name = crate::config::sanitize_project_name(project.get_ref());
        if let Some(other) = seen.insert(project_name.clone(), name.get_ref().clone()) {
            errors.push(
                Diagnostic::at(
                    source,
                    project.span(),
                    format!(
                        "environments `{other}` and `{}` would share the compose project `{project_name}`",
                        name.get_ref()
                    ),
                )
                .help("give each environment its own project, so `down --remove-orphans` in one never removes the other's containers"),
            );
        }
    }
}

/// `[repo.environments.NAME]` of repos.toml names environments of tasks.toml.
fn check_repo_environments(workspace: &Workspace, errors: &mut ConfigErrors) {
    let Some(source) = &workspace.repos_source else {
        return;
    };
    let tasks = &workspace.tasks;
    for repo in &workspace.repos.repos {
        for environment in repo.environments.keys() {
            if tasks.environment(environment.get_ref()).is_some() {
                continue;
            }
            let help = unknown_environment_help(workspace, environment.get_ref());
            errors.push(
                Diagnostic::at(
                    source,
                    environment.span(),
                    format!(
                        "repo `{}` has a pin for environment `{}`, which tasks.toml does not define",
                        repo.name(),
                        environment.get_ref()
                    ),
                )
                .help(help),
            );
        }
    }
}

/// What to say about `name`, an environment tasks.toml does not define:
/// the closest defined one, else the defined ones, else how to define it.
fn unknown_environment_help(workspace: &Workspace, name: &str) -> String {
    let defined: Vec<&str> = workspace
        .tasks
        .environments
        .keys()
        .map(|k| k.get_ref().as_str())
        .collect();
    match crate::suggest::closest(name, defined.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if defined.is_empty() => {
            "define it in tasks.toml with an [environments.NAME] section".to_string()
        }
        None => format!("tasks.toml defines: {}", defined.join(", ")),
    }
}
