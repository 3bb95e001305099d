//! Cross-checks of `[docs]` and `[services.NAME.debug]`: environments and
//! services that do not exist, empty commands, paths outside the root,
//! container paths that are not absolute, port 0.

use std::ops::Range;

use toml::Spanned;

use crate::compose::environment;

use super::declared_services::DeclaredServices;
use crate::config::check_relative;
use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    check_docs(workspace, errors);
    check_debug(workspace, errors);
    super::tasks::clean_messages(errors, first);
}

fn check_docs(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks;
    let Some(docs) = &tasks.docs else { return };
    let mut compose_files = tasks.project.compose_file_paths();
    if let Some(name) = &docs.environment {
        match tasks.environment(name.get_ref()) {
            Some(_) => {
                if let Ok(active) = environment::resolve(workspace, Some(name.get_ref()), false) {
                    compose_files = active.compose_files;
                }
            }
            None => {
                let names: Vec<&str> = tasks
                    .environments
                    .keys()
                    .map(|k| k.get_ref().as_str())
                    .collect();
                errors.push(
                    Diagnostic::at(
                        source,
                        name.span(),
                        format!("[docs] environment `{}` is not defined", name.get_ref()),
                    )
                    .help(if names.is_empty() {
                        "define it, e.g. [environments.docs] compose_files = [\"docker-compose.documentation.yml\"]".to_string()
                    } else {
                        format!("define [environments.{}], or use one of: {}", name.get_ref(), names.join(", "))
                    }),
                );
            }
        }
    }
    let declared = DeclaredServices::in_files(workspace, &compose_files);
    unknown_service(
        workspace,
        "[docs] service",
        &docs.service,
        &declared,
        errors,
    );
    if docs.command.get_ref().is_empty() {
        errors.push(
            Diagnostic::at(source, docs.command.span(), "[docs] command names no command")
                .help("give the build, e.g. command = [\"sphinx-build\", \"-b\", \"html\", \"/docs\", \"/docs/_build/html\"]"),
        );
    }
    if let Err(why) = check_relative(docs.output.get_ref()) {
        errors.push(
            Diagnostic::at(
                source,
                docs.output.span(),
                format!("[docs] output `{}` {why}", docs.output.get_ref()),
            )
            .help("the built HTML's folder on the host, relative to the folder holding tasks.toml"),
        );
    }
    if let Some(dir) = &docs.html_dir {
        container_path(
            workspace,
            "[docs] html_dir",
            dir.get_ref(),
            dir.span(),
            errors,
        );
    }
    if let Some(port) = &docs.serve_port {
        port_zero(workspace, "[docs] serve_port", port, errors);
    }
    for key in docs.no_autoapi.env.keys() {
        if !super::environments::is_variable_name(key) {
            errors.push(
                Diagnostic::at(
                    source,
                    docs.command.span(),
                    format!("[docs.no_autoapi] env: `{key}` is not a variable name"),
                )
                .help("letters, digits and `_`, not starting with a digit"),
            );
        }
    }
}

fn check_debug(workspace: &Workspace, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    for (name, service) in &workspace.tasks.services {
        let Some(debug) = &service.debug else {
            continue;
        };
        let table = format!("[services.{}.debug]", name.get_ref());
        if let Some(port) = &debug.port {
            port_zero(workspace, &format!("{table} port"), port, errors);
        }
        match (&debug.command, &service.command) {
            (Some(command), _) if command.get_ref().is_empty() => errors.push(
                Diagnostic::at(source, command.span(), format!("{table} command names no command"))
                    .help("the program to run under the debugger, e.g. command = [\"python3\", \"app.py\"]"),
            ),
            (None, None) => errors.push(
                Diagnostic::at(source, name.span(), format!("{table} has no command to run under the debugger"))
                    .help(format!("set {table} command = [\"python3\", \"app.py\"], or [services.{}] command", name.get_ref())),
            ),
            _ => {}
        }
        for (host, container) in &debug.path_mappings {
            if let Err(why) = check_relative(host.get_ref()) {
                errors.push(
                    Diagnostic::at(source, host.span(), format!("{table} path_mappings: `{}` {why}", host.get_ref()))
                        .help("the sources' folder on the host, relative to the folder holding tasks.toml (e.g. \"shared/src/web\")"),
                );
            }
            container_path(
                workspace,
                &format!("{table} path_mappings"),
                container.get_ref(),
                container.span(),
                errors,
            );
        }
    }
}

fn unknown_service(
    workspace: &Workspace,
    what: &str,
    service: &Spanned<String>,
    declared: &DeclaredServices,
    errors: &mut ConfigErrors,
) {
    let name = service.get_ref();
    let Some(help) = declared.help_for_unknown(name) else {
        return;
    };
    errors.push(
        Diagnostic::at(
            &workspace.tasks_source,
            service.span(),
            format!("{what} `{name}` is no service of the compose files"),
        )
        .help(help),
    );
}

fn container_path(
    workspace: &Workspace,
    what: &str,
    path: &str,
    span: Range<usize>,
    errors: &mut ConfigErrors,
) {
    if !path.starts_with('/') || path.chars().any(char::is_control) {
        errors.push(
            Diagnostic::at(
                &workspace.tasks_source,
                span,
                format!("{what}: `{path}` is not an absolute path in the container"),
            )
            .help("write the container's path, e.g. \"/srv/web\""),
        );
    }
}

fn port_zero(workspace: &Workspace, what: &str, port: &Spanned<u16>, errors: &mut ConfigErrors) {
    if *port.get_ref() == 0 {
        errors.push(
            Diagnostic::at(&workspace.tasks_source, port.span(), format!("{what} is 0"))
                .help("a port from 1 to 65535"),
        );
    }
}
