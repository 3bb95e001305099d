//! `tasks.toml`: the environment (project, environments, services) and the
//! team's own tasks.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::checkpoints_spec::CheckpointsSpec;
use super::db::DbSpec;
use super::diagnostic::ConfigErrors;
use super::docs_spec::DocsSpec;
use super::environment::EnvironmentSpec;
use super::images_spec::ImageSpec;
use super::init_spec::{CertsSpec, InitSpec};
use super::parse::parse_toml;
use super::project::ProjectSpec;
use super::service::ServiceSpec;
use super::source::SourceFile;
use super::task::TaskSpec;

/// The whole of `tasks.toml`. An empty file is a valid environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TasksFile {
    #[serde(default)]
    pub project: ProjectSpec,
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, EnvironmentSpec>"))]
    pub environments: BTreeMap<Spanned<String>, EnvironmentSpec>,
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, ServiceSpec>"))]
    pub services: BTreeMap<Spanned<String>, ServiceSpec>,
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, TaskSpec>"))]
    pub tasks: BTreeMap<Spanned<String>, TaskSpec>,
    /// How the database commands (`db ...`) reach the database.
    pub db: Option<DbSpec>,
    /// The images `images build|tag|push` make, by the name typed on the command line.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, ImageSpec>"))]
    pub images: BTreeMap<Spanned<String>, ImageSpec>,
    /// The one-time setup `init` does.
    pub init: Option<InitSpec>,
    /// Where `certs` writes a self-signed certificate.
    pub certs: Option<CertsSpec>,
    /// How `docs` builds and serves the documentation.
    pub docs: Option<DocsSpec>,
    /// Branch-aware databases: a checkpoint per branch of the repos followed.
    pub checkpoints: Option<CheckpointsSpec>,
}

impl TasksFile {
    /// Every compose file named: the project's and every environment's
    /// (relative to the environment root), for checks that look at them all.
    pub fn every_compose_file(&self) -> Vec<String> {
        let mut files = self.project.compose_file_paths();
        files.extend(
            self.environments
                .values()
                .flat_map(|e| e.compose_files.iter().map(|f| f.get_ref().clone())),
        );
        files
    }

    /// Parses `tasks.toml`. Checks that need the file system or the list of
    /// built-in commands are done by [`crate::config::Workspace::validate`].
    pub fn load(source: &SourceFile) -> Result<Self, ConfigErrors> {
        parse_toml(source)
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.get(name)
    }

    pub fn environment(&self, name: &str) -> Option<&EnvironmentSpec> {
        self.environments.get(name)
    }

    pub fn task(&self, name: &str) -> Option<&TaskSpec> {
        self.tasks.get(name)
    }
}
