//! The services the compose files declare, and the one rule by which a
//! service named in tasks.toml (`[db] service`, a test's container, an
//! init step's service, `[docs] service`, ...) is checked against them.

use crate::compose::files;

use crate::config::Workspace;

/// The services of the project's compose files and of every environment's.
pub struct DeclaredServices(Vec<String>);

impl DeclaredServices {
    pub fn of(workspace: &Workspace) -> Self {
        Self::in_files(workspace, &workspace.tasks.every_compose_file())
    }

    /// The services of these compose files (relative to the root).
    pub fn in_files(workspace: &Workspace, compose_files: &[String]) -> Self {
        Self(files::services_in(&files::effective_files(
            &workspace.root,
            compose_files,
        )))
    }

    /// What to tell the user when `name` is no service of the compose files
    /// (or no service name at all); `None` when it is one. Files that could
    /// not be read declare nothing: then only the name's form is checked.
    pub fn help_for_unknown(&self, name: &str) -> Option<String> {
        let declared = &self.0;
        let known = super::environments::is_service_name(name)
            && (declared.is_empty() || declared.iter().any(|d| d == name));
        if known {
            return None;
        }
        Some(
            match crate::suggest::closest(name, declared.iter().map(String::as_str)) {
                Some(close) => format!(
                    "did you mean `{close}`? the compose files declare: {}",
                    declared.join(", ")
                ),
                None if declared.is_empty() => "name a service of the compose files".to_string(),
                None => format!("the compose files declare: {}", declared.join(", ")),
            },
        )
    }
}
