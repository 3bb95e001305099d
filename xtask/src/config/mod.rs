//! Loading and validating the environment's configuration: `tasks.toml`
//! (which also marks the environment root) and `repos.toml`.

pub mod checkpoints_spec;
pub mod command_line;
pub mod db;
pub mod debug_spec;
pub mod diagnostic;
pub mod docs_spec;
pub mod env_root;
pub mod environment;
pub mod images_spec;
pub mod init_spec;
mod parse;
pub mod project;
pub mod repos_file;
pub mod service;
pub mod source;
pub mod task;
pub mod tasks_file;
pub mod test_spec;
pub mod worktree_marker;

use std::path::{Path, PathBuf};

pub use command_line::CommandLine;
pub use diagnostic::{ConfigErrors, Diagnostic};
pub use env_root::{EnvRoot, Escape};
pub use images_spec::ImageSpec;
pub use init_spec::{CertsSpec, InitSpec};
pub use repos_file::{check_relative, NoticeSpec, Pin, RepoSpec, ReposFile, Transport};
pub use source::text_problem;
pub use source::SourceFile;
pub use task::{ArgSpec, RunSpec, TaskSpec};
pub use tasks_file::TasksFile;

/// The file whose presence marks an environment root.
pub const TASKS_FILE: &str = "tasks.toml";
/// The repositories file, beside `tasks.toml`; optional.
pub const REPOS_FILE: &str = "repos.toml";

/// Why the configuration could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no {TASKS_FILE} found in {} or any parent folder", start.display())]
    NoRoot { start: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(ConfigErrors),
}

impl From<ConfigErrors> for Error {
    fn from(errors: ConfigErrors) -> Self {
        Error::Invalid(errors)
    }
}

/// An environment root and its loaded configuration.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder holding `tasks.toml`.
    pub root: PathBuf,
    pub tasks_source: SourceFile,
    pub tasks: TasksFile,
    /// `None` when there is no `repos.toml`.
    pub repos_source: Option<SourceFile>,
    /// Empty when there is no `repos.toml`.
    pub repos: ReposFile,
}

impl Workspace {
    /// Walks up from `start` to the first folder holding `tasks.toml`.
    pub fn discover(start: &Path) -> Result<PathBuf, Error> {
        start
            .ancestors()
            .find(|dir| dir.join(TASKS_FILE).is_file())
            .map(Path::to_path_buf)
            .ok_or_else(|| Error::NoRoot {
                start: start.to_path_buf(),
            })
    }

    /// Loads both files of the environment at `root`, reporting the problems
    /// of both together.
    pub fn load(root: &Path) -> Result<Self, Error> {
        let tasks_path = root.join(TASKS_FILE);
        let tasks_source =
            SourceFile::read(&tasks_path, TASKS_FILE).map_err(|source| Error::Read {
                path: tasks_path.clone(),
                source,
            })?;
        let repos_path = root.join(REPOS_FILE);
        let repos_source = if repos_path.exists() {
            Some(
                SourceFile::read(&repos_path, REPOS_FILE).map_err(|source| Error::Read {
                    path: repos_path.clone(),
                    source,
                })?,
            )
        } else {
            None
        };

        let mut errors = ConfigErrors::default();
        let tasks = TasksFile::load(&tasks_source).unwrap_or_else(|e| {
            errors.extend(e);
            TasksFile::default()
        });
        let repos = match &repos_source {
            Some(source) => ReposFile::load(source).unwrap_or_else(|e| {
                errors.extend(e);
                ReposFile::default()
            }),
            None => ReposFile::default(),
        };
        if !errors.is_empty() {
            errors.sort();
            return Err(Error::Invalid(errors));
        }
        Ok(Self {
            root: root.to_path_buf(),
            tasks_source,
            tasks,
            repos_source,
            repos,
        })
    }

    /// The compose project name: `[project] name`, else the root folder's name.
    pub fn project_name(&self) -> String {
        if let Some(name) = &self.tasks.project.name {
            return name.get_ref().clone();
        }
        let folder = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "xtask".into());
        sanitize_project_name(&folder)
    }
}

/// Compose project names are lowercase letters, digits, `-` and `_`, and
/// start with a letter or digit.
pub fn sanitize_project_name(raw: &str) -> String {
    let name: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let name = name.trim_start_matches(['-', '_']).to_string();
    if name.is_empty() {
        "xtask".into()
    } else {
        name
    }
}

#[cfg(test)]
mod schemas {
    //! JSON Schemas of tasks.toml and repos.toml for editors (taplo, Even
    //! Better TOML), generated from the serde types: checked in under
    //! `schemas/`, and this test fails when they are stale.

    fn check_or_write(file: &str, schema: &schemars::Schema) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schemas")
            .join(file);
        let text = serde_json::to_string_pretty(schema).expect("a schema is JSON") + "\n";
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(path.parent().expect("schemas/")).expect("mkdir schemas/");
            std::fs::write(&path, &text).expect("write the schema");
            return;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == text,
            "schemas/{file} is not the schema of the config types any more: \
             run `UPDATE_SCHEMAS=1 cargo test -p xtask --lib schemas` and commit it"
        );
    }

    #[test]
    fn schemas_of_tasks_toml_and_repos_toml_are_current() {
        let mut tasks = schemars::schema_for!(super::TasksFile);
        tasks.insert("title".into(), "xtask tasks.toml".into());
        check_or_write("tasks.schema.json", &tasks);
        let mut repos = schemars::schema_for!(super::ReposFile);
        repos.insert("title".into(), "xtask repos.toml".into());
        check_or_write("repos.schema.json", &repos);
    }
}
