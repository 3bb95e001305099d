//! Our own reading of a project's compose files, for when compose is not
//! asked (`check`, Compose v1, no engine): each file parsed as YAML (several
//! documents merged), interpolated, its `include:` and `extends` resolved,
//! then the files merged in order. Compose's rules where they matter for
//! service names, published ports and required variables; compose stays
//! the authority on the rest.

use std::path::{Path, PathBuf};

use crate::compose::model::ComposeModel;
use crate::compose::variables::{MissingVariable, Variables};
use crate::compose::yaml_node::{self, YamlError, YamlNode};

/// The model read from the files, and what got in the way.
#[derive(Debug, Clone)]
pub struct LoadedFiles {
    pub model: ComposeModel,
    pub problems: Vec<LoadProblem>,
}

/// Something the loader could not read or resolve.
#[derive(Debug, Clone)]
pub enum LoadProblem {
    /// The file is not valid YAML.
    Yaml {
        path: PathBuf,
        text: String,
        error: YamlError,
    },
    /// A file named by `include:` or `extends: {file:}` cannot be read.
    Unreadable {
        path: PathBuf,
        named_in: PathBuf,
        why: String,
    },
    /// `${VAR:?message}` or `${VAR?message}` with VAR missing.
    MissingVariable {
        path: PathBuf,
        variable: MissingVariable,
    },
    /// Files that `include:` (or `extends: {file:}`) each other in a
    /// cycle, which compose refuses: the chain, its first file last again.
    Cycle { chain: Vec<PathBuf> },
    /// `extends` names a service that is not there, or goes round in a cycle.
    Extends {
        path: PathBuf,
        service: String,
        why: String,
    },
}

/// Reads `files` (missing ones are skipped: callers report those with
/// their place in tasks.toml) with `variables` for interpolation.
pub fn load(files: &[PathBuf], variables: &Variables) -> LoadedFiles {
    let mut loader = Loader {
        problems: Vec::new(),
        open: Vec::new(),
    };
    let existing: Vec<PathBuf> = files.iter().filter(|f| f.is_file()).cloned().collect();
    let root = loader.project(&existing, variables, None);
    let profiles = variables
        .get("COMPOSE_PROFILES")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    LoadedFiles {
        model: ComposeModel::from_files(root, profiles),
        problems: loader.problems,
    }
}

struct Loader {
    problems: Vec<LoadProblem>,
    /// The files being read, outermost first: an include cycle stops here.
    open: Vec<PathBuf>,
}

impl Loader {
    /// Several files merged in order, as `-f A -f B` merges them.
    fn project(
        &mut self,
        files: &[PathBuf],
        variables: &Variables,
        named_in: Option<&Path>,
    ) -> YamlNode {
        let mut merged = YamlNode::Map(Vec::new());
        for file in files {
            merged = merged.merge(self.file(file, variables, named_in));
        }
        merged
    }

    /// One file with its documents merged, interpolated, includes and
    /// extends resolved.
    fn file(&mut self, path: &Path, variables: &Variables, named_in: Option<&Path>) -> YamlNode {
        let empty = YamlNode::Map(Vec::new());
        // Compared resolved: `./a.yml`, `sub/../a.yml` and a link to it are one file.
        let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(at) = self.open.iter().position(|open| *open == resolved) {
            if named_in.is_some() {
                let mut chain = self.open[at..].to_vec();
                chain.push(resolved);
                self.problems.push(LoadProblem::Cycle { chain });
            }
            return empty;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                if let Some(named_in) = named_in {
                    self.problems.push(LoadProblem::Unreadable {
                        path: path.to_path_buf(),
                        named_in: named_in.to_path_buf(),
                        why: error.to_string(),
                    });
                }
                return empty;
            }
        };
        let documents = match yaml_node::parse_documents(&text) {
            Ok(documents) => documents,
            Err(error) => {
                self.problems.push(LoadProblem::Yaml {
                    path: path.to_path_buf(),
                    text,
                    error,
                });
                return empty;
            }
        };
        let mut node = documents
            .into_iter()
            .fold(YamlNode::Map(Vec::new()), YamlNode::merge);
        let mut missing = Vec::new();
        node.map_scalars(&mut |value| *value = variables.interpolate(value, &mut missing));
        for variable in missing {
            self.problems.push(LoadProblem::MissingVariable {
                path: path.to_path_buf(),
                variable,
            });
        }

        self.open.push(resolved);
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Some(include) = node.remove("include") {
            for entry in include.items() {
                let included = self.include(entry, dir, path, variables);
                fill_in(&mut node, included);
            }
        }
        self.resolve_extends(&mut node, path, variables);
        self.open.pop();
        node
    }

    /// One `include:` entry: a path, or `{path: A | [A, B], env_file: ...}`.
    fn include(
        &mut self,
        entry: &YamlNode,
        dir: &Path,
        named_in: &Path,
        variables: &Variables,
    ) -> YamlNode {
        let paths_of = |node: Option<&YamlNode>| -> Vec<PathBuf> {
            match node {
                Some(YamlNode::Scalar(one)) => vec![dir.join(one)],
                Some(YamlNode::List(items)) => items
                    .iter()
                    .filter_map(YamlNode::as_str)
                    .map(|p| dir.join(p))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let (files, env_files) = match entry {
            YamlNode::Scalar(_) => (paths_of(Some(entry)), Vec::new()),
            _ => (paths_of(entry.get("path")), paths_of(entry.get("env_file"))),
        };
        let variables = env_files
            .iter()
            .fold(variables.clone(), |vars, file| vars.with_env_file(file));
        self.project(&files, &variables, Some(named_in))
    }

    /// Every service with `extends` becomes its base with its own keys laid on top.
    fn resolve_extends(&mut self, node: &mut YamlNode, path: &Path, variables: &Variables) {
        let Some(services) = node.get("services").cloned() else {
            return;
        };
        let mut resolved = Vec::new();
        for (name, _) in services.entries() {
            let mut chain = Vec::new();
            let service = self.extended(name, &services, path, variables, &mut chain);
            resolved.push((name.clone(), service));
        }
        if let YamlNode::Map(top) = node {
            if let Some(entry) = top.iter_mut().find(|(key, _)| key == "services") {
                entry.1 = YamlNode::Map(resolved);
            }
        }
    }

    fn extended(
        &mut self,
        name: &str,
        services: &YamlNode,
        path: &Path,
        variables: &Variables,
        chain: &mut Vec<String>,
    ) -> YamlNode {
        let Some(mut service) = services.get(name).cloned() else {
            return YamlNode::Null;
        };
        let Some(extends) = service.remove("extends") else {
            return service;
        };
        let (base_name, file) = match &extends {
            YamlNode::Scalar(base) => (base.clone(), None),
            _ => (
                extends
                    .get("service")
                    .and_then(YamlNode::as_str)
                    .unwrap_or("")
                    .to_string(),
                extends.get("file").and_then(YamlNode::as_str),
            ),
        };
        let problem = |why: String| LoadProblem::Extends {
            path: path.to_path_buf(),
            service: name.to_string(),
            why,
        };
        let base = match file {
            Some(file) => {
                let other = path.parent().unwrap_or(Path::new(".")).join(file);
                let other_node = self.file(&other, variables, Some(path));
                other_node
                    .get("services")
                    .and_then(|s| s.get(&base_name))
                    .cloned()
            }
            None if chain.iter().any(|c| c == &base_name) || base_name == name => {
                self.problems.push(problem(format!(
                    "extends `{base_name}` in a cycle: {} -> {base_name}",
                    chain.join(" -> ")
                )));
                return service;
            }
            None => {
                chain.push(name.to_string());
                let base = services
                    .get(&base_name)
                    .map(|_| self.extended(&base_name, services, path, variables, chain));
                chain.pop();
                base
            }
        };
        match base {
            Some(base) => base.merge(service),
            None => {
                self.problems.push(problem(format!(
                    "extends `{base_name}`, which is not declared{}",
                    file.map(|f| format!(" in {f}")).unwrap_or_default()
                )));
                service
            }
        }
    }
}

/// Adds what an included file declares (services, volumes, ...) where the
/// including file does not declare the same name (compose refuses such a
/// conflict; the including file's own is kept here).
fn fill_in(node: &mut YamlNode, included: YamlNode) {
    let YamlNode::Map(top) = node else { return };
    for (section, value) in included.entries().iter().cloned() {
        match top.iter_mut().find(|(k, _)| *k == section) {
            Some((_, YamlNode::Map(own))) => {
                for (name, definition) in value.entries().iter().cloned() {
                    if !own.iter().any(|(k, _)| *k == name) {
                        own.push((name, definition));
                    }
                }
            }
            Some(_) => {}
            None => top.push((section, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new(files: &[(&str, &str)]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                let path = dir.path().join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Dir(dir)
        }

        fn load(&self, files: &[&str], variables: &Variables) -> LoadedFiles {
            let files: Vec<PathBuf> = files.iter().map(|f| self.0.path().join(f)).collect();
            load(&files, variables)
        }
    }

    fn ports(loaded: &LoadedFiles) -> Vec<(String, u16)> {
        loaded
            .model
            .host_ports()
            .into_iter()
            .map(|p| (p.service, p.port))
            .collect()
    }

    #[test]
    fn includes_resolve_relative_to_the_including_file() {
        let dir = Dir::new(&[
            (
                "compose.yaml",
                "include:\n  - sub/a.yml\n  - path: [sub/b.yml]\nservices:\n  web: {image: x}\n",
            ),
            (
                "sub/a.yml",
                "include: [deeper/c.yml]\nservices:\n  a: {image: x}\n",
            ),
            (
                "sub/deeper/c.yml",
                "services:\n  c: {image: x, ports: [\"4100:80\"]}\n",
            ),
            ("sub/b.yml", "services:\n  b: {image: x}\n"),
        ]);
        let loaded = dir.load(&["compose.yaml"], &Variables::default());
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.model.service_names(), ["web", "a", "c", "b"]);
        assert_eq!(ports(&loaded), [("c".to_string(), 4100)]);
    }

    #[test]
    fn a_missing_include_and_an_include_cycle_are_problems() {
        let dir = Dir::new(&[
            (
                "compose.yaml",
                "include: [gone.yml, loop.yml]\nservices: {}\n",
            ),
            ("loop.yml", "include: [compose.yaml]\n"),
        ]);
        let loaded = dir.load(&["compose.yaml"], &Variables::default());
        let why: Vec<String> = loaded
            .problems
            .iter()
            .map(|p| match p {
                LoadProblem::Unreadable { path, why, .. } => {
                    format!("{}: {why}", path.file_name().unwrap().to_string_lossy())
                }
                LoadProblem::Cycle { chain } => {
                    let names: Vec<_> = chain
                        .iter()
                        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                        .collect();
                    format!("cycle: {}", names.join(" -> "))
                }
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(why[0].starts_with("gone.yml: "), "{why:?}");
        assert_eq!(why[1], "cycle: compose.yaml -> loop.yml -> compose.yaml");
    }

    #[test]
    fn extends_in_the_same_file_and_another_merge_ports() {
        let dir = Dir::new(&[
            (
                "compose.yaml",
                "services:\n  base: {image: x, ports: [\"4200:80\"]}\n  web:\n    extends: base\n    ports: [\"4201:81\"]\n  other:\n    extends: {file: common.yml, service: db}\n  bad:\n    extends: nothing\n",
            ),
            ("common.yml", "services:\n  db: {image: y, ports: [\"4202:5432\"]}\n"),
        ]);
        let loaded = dir.load(&["compose.yaml"], &Variables::default());
        assert_eq!(
            ports(&loaded),
            [
                ("base".to_string(), 4200),
                ("web".to_string(), 4200),
                ("web".to_string(), 4201),
                ("other".to_string(), 4202)
            ]
        );
        assert!(
            matches!(&loaded.problems[..], [LoadProblem::Extends { service, .. }] if service == "bad"),
            "{:?}",
            loaded.problems
        );
    }

    #[test]
    fn override_files_and_documents_merge_and_values_are_interpolated() {
        let dir = Dir::new(&[
            (
                "compose.yaml",
                "services:\n  web:\n    ports: [\"127.0.0.1:${PORT:-4300}:80\"]\n---\nservices:\n  worker: {image: \"${IMAGE:?set IMAGE}\"}\n",
            ),
            ("override.yml", "services:\n  web:\n    ports: [\"4301:81\"]\n"),
        ]);
        let mut variables = Variables::default();
        variables.set("PORT", "4399");
        let loaded = dir.load(&["compose.yaml", "override.yml"], &variables);
        assert_eq!(
            ports(&loaded),
            [("web".to_string(), 4399), ("web".to_string(), 4301)]
        );
        assert_eq!(loaded.model.service_names(), ["web", "worker"]);
        assert!(
            matches!(&loaded.problems[..], [LoadProblem::MissingVariable { variable, .. }] if variable.name == "IMAGE" && variable.message == "set IMAGE"),
            "{:?}",
            loaded.problems
        );
    }

    #[test]
    fn a_yaml_error_is_a_problem_with_its_file() {
        let dir = Dir::new(&[("compose.yaml", "services:\n  web: [\n")]);
        let loaded = dir.load(&["compose.yaml"], &Variables::default());
        assert!(
            matches!(&loaded.problems[..], [LoadProblem::Yaml { path, .. }] if path.ends_with("compose.yaml")),
            "{:?}",
            loaded.problems
        );
    }
}
