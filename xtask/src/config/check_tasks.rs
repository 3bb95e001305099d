//! Cross-checks of `[tasks]`: names, dependencies, services.

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::Workspace;

pub fn check(workspace: &Workspace, builtins: &[&str], errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    for name in workspace.tasks.tasks.keys() {
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
}
