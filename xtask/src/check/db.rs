//! Cross-checks of `[db]` and `[environments.NAME.db]`: services the compose
//! files do not declare, names that are no identifiers, steps that name nothing.

use super::declared_services::DeclaredServices;
use crate::config::db::{identifier_diagnostic, DbSpec};
use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::Workspace;

/// The most restored databases `[db] restore_cache` may keep.
const MAX_RESTORE_CACHE: u32 = 20;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    let tasks = &workspace.tasks;
    let declared = DeclaredServices::of(workspace);
    let specs = tasks.db.iter().map(|db| ("[db]".to_string(), db)).chain(
        tasks.environments.iter().filter_map(|(name, e)| {
            e.db.as_ref()
                .map(|db| (format!("[environments.{}.db]", name.get_ref()), db))
        }),
    );
    for (table, spec) in specs {
        check_spec(workspace, &table, spec, &declared, errors);
    }
    super::tasks::clean_messages(errors, first);
}

fn check_spec(
    workspace: &Workspace,
    table: &str,
    spec: &DbSpec,
    declared: &DeclaredServices,
    errors: &mut ConfigErrors,
) {
    let source = &workspace.tasks_source;
    for (key, service) in [("service", &spec.service), ("server", &spec.server)] {
        let Some(service) = service else { continue };
        let name = service.get_ref();
        if let Some(help) = declared.help_for_unknown(name) {
            errors.push(
                Diagnostic::at(
                    source,
                    service.span(),
                    format!("{table} {key} `{name}` is no service of the compose files"),
                )
                .help(help),
            );
        }
    }
    for (key, value) in [("name", &spec.name), ("user", &spec.user)] {
        let Some(value) = value else { continue };
        errors.0.extend(identifier_diagnostic(
            source,
            &format!("{table} {key}"),
            "a database",
            value,
        ));
    }
    for (key, names) in [("roles", &spec.roles), ("extensions", &spec.extensions)] {
        let Some(names) = names else { continue };
        let what = if key == "roles" {
            "a role"
        } else {
            "an extension"
        };
        for value in names.get_ref() {
            errors.0.extend(identifier_diagnostic(
                source,
                &format!("{table} {key}:"),
                what,
                value,
            ));
        }
    }
    for (key, variable) in [
        ("password_env", &spec.password_env),
        ("role_password_env", &spec.role_password_env),
    ] {
        let Some(variable) = variable else { continue };
        let name = variable.get_ref();
        if !super::environments::is_variable_name(name) {
            errors.push(
                Diagnostic::at(
                    source,
                    variable.span(),
                    format!("{table} {key} `{name}` is not a variable name"),
                )
                .help("name the variable that holds the password (e.g. POSTGRES_PASSWORD), never the password itself"),
            );
        }
    }
    if let Some(kept) = &spec.restore_cache {
        if *kept.get_ref() > MAX_RESTORE_CACHE {
            errors.push(
                Diagnostic::at(
                    source,
                    kept.span(),
                    format!(
                        "{table} restore_cache = {} keeps more restored databases than {MAX_RESTORE_CACHE}",
                        kept.get_ref()
                    ),
                )
                .help("each entry is a whole copy of the database on the server's disk: keep a few (default 2; 0 turns the cache off)"),
            );
        }
    }
    for (key, step) in spec.steps() {
        let Some(step) = step else { continue };
        if step.get_ref().is_empty() {
            errors.push(
                Diagnostic::at(source, step.span(), format!("{table} {key} names no command"))
                    .help(format!("give the command that does it, e.g. {key} = [\"trytond-admin\", \"-d\", \"{{db}}\", \"--all\"], or remove it")),
            );
        }
    }
}
