//! Checks of `[services.NAME.test]`: a container the compose files do not
//! declare, a runner that names no command, databases that are no
//! identifiers, and mappings that drop the value they exist to pass.

use super::declared_services::DeclaredServices;
use crate::config::db::identifier_diagnostic;
use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    let tasks = &workspace.tasks;
    let source = &workspace.tasks_source;
    let declared = DeclaredServices::of(workspace);
    for (name, service) in &tasks.services {
        let Some(spec) = &service.test else { continue };
        let table = format!("[services.{}.test]", name.get_ref());
        if let Some(container) = &spec.service {
            let container = container.clone();
            let value = container.get_ref();
            if let Some(help) = declared.help_for_unknown(value) {
                errors.push(
                    Diagnostic::at(
                        source,
                        container.span(),
                        format!("{table} service `{value}` is no service of the compose files"),
                    )
                    .help(help),
                );
            }
        }
        if spec.command.get_ref().is_empty() {
            errors.push(
                Diagnostic::at(
                    source,
                    spec.command.span(),
                    format!("{table} command names no command"),
                )
                .help("give the test runner, e.g. command = [\"python3\", \"-m\", \"pytest\"]"),
            );
        }
        if let Some(lint) = &spec.lint {
            if lint.get_ref().is_empty() {
                errors.push(
                    Diagnostic::at(
                        source,
                        lint.span(),
                        format!("{table} lint names no command"),
                    )
                    .help("give the lint command, e.g. lint = [\"flake8\"], or remove it"),
                );
            }
        }
        for (key, value) in [("database", &spec.database), ("template", &spec.template)] {
            let Some(value) = value else { continue };
            errors.0.extend(identifier_diagnostic(
                source,
                &format!("{table} {key}"),
                "a database",
                value,
            ));
        }
        if let (Some(template), Some(database)) = (&spec.template, &spec.database) {
            if template.get_ref() == database.get_ref() {
                errors.push(
                    Diagnostic::at(source, template.span(), format!("{table} template is the test database itself"))
                        .help("every run drops the test database and copies the template: give them different names"),
                );
            }
        }
        if spec.template.is_some() && spec.database.is_none() {
            if let Some(template) = &spec.template {
                errors.push(
                    Diagnostic::at(
                        source,
                        template.span(),
                        format!("{table} template without a database"),
                    )
                    .help("add database = \"NAME\": the database the template is copied to"),
                );
            }
        }
        for (key, list, placeholder) in [
            ("path", &spec.path, "{path}"),
            ("select", &spec.select, "{expr}"),
        ] {
            let Some(list) = list else { continue };
            if !list.get_ref().iter().any(|a| a.contains(placeholder)) {
                errors.push(
                    Diagnostic::at(
                        source,
                        list.span(),
                        format!("{table} {key} does not use {placeholder}"),
                    )
                    .help(format!(
                        "write where the value goes, e.g. {key} = [\"{placeholder}\"]"
                    )),
                );
            }
        }
        for variable in &spec.pass_env {
            let name = variable.get_ref();
            if !super::environments::is_variable_name(name) {
                errors.push(
                    Diagnostic::at(
                        source,
                        variable.span(),
                        format!("{table} pass_env: `{name}` is not a variable name"),
                    )
                    .help("name variables of your shell, e.g. pass_env = [\"CI\"]"),
                );
            }
        }
    }
    super::tasks::clean_messages(errors, first);
}
