//! Cross-checks of `[project]`, `[environments]` and `[services]`.

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
    for (name, environment) in &tasks.environments {
        if let Some(parent) = &environment.inherits {
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
            }
        }
    }
    if let Some(default) = &tasks.project.default_environment {
        if !tasks.environments.is_empty()
            && !tasks.environments.contains_key(default.get_ref().as_str())
        {
            errors.push(
                Diagnostic::at(
                    source,
                    default.span(),
                    format!("default environment `{}` is not defined", default.get_ref()),
                )
                .help("add it under [environments], or name one that is"),
            );
        }
    }
}
