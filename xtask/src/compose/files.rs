//! What the compose files say, for config checks and `doctor`: whether
//! they are YAML at all, with the place of the first error, and the
//! services they declare, read through `loader.rs` (a YAML parser, never a
//! line scanner). Compose itself stays the authority on the files.

use std::path::{Path, PathBuf};

use crate::compose::loader::{self, LoadProblem};
use crate::compose::variables::Variables;
use crate::config::{Diagnostic, SourceFile, Workspace};

/// The compose file names Compose looks for when none is configured.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The files to read: the configured ones, else the first default that exists.
pub fn effective_files(root: &Path, configured: &[String]) -> Vec<PathBuf> {
    if configured.is_empty() {
        DEFAULT_FILES
            .iter()
            .map(|f| root.join(f))
            .filter(|p| p.is_file())
            .take(1)
            .collect()
    } else {
        configured.iter().map(|f| root.join(f)).collect()
    }
}

/// Every YAML syntax error in the compose files that exist (configured for
/// the project and every environment, else compose's default file) and in
/// the files they include, each at its `FILE:LINE:COL`, and every cycle of
/// `include:` among them (compose refuses both).
pub fn compose_file_errors(workspace: &Workspace, configured: &[String]) -> Vec<Diagnostic> {
    let mut files = Vec::new();
    for path in effective_files(&workspace.root, configured) {
        if !files.contains(&path) {
            files.push(path);
        }
    }
    let variables = Variables::for_project(
        &workspace.root,
        &workspace.tasks.project.env_file_paths(),
        &Default::default(),
    );
    let problems = loader::load(&files, &variables).problems;
    let mut errors = yaml_diagnostics(&workspace.root, &problems);
    errors.extend(cycle_diagnostics(&workspace.root, &problems));
    errors
}

/// The `include:` cycles among a load's `problems`, each naming its files.
pub fn cycle_diagnostics(root: &Path, problems: &[LoadProblem]) -> Vec<Diagnostic> {
    let shown = |path: &Path| {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        path.strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    };
    let mut errors = Vec::new();
    for problem in problems {
        let LoadProblem::Cycle { chain } = problem else {
            continue;
        };
        let names: Vec<String> = chain.iter().map(|p| shown(p)).collect();
        errors.push(
            Diagnostic::whole_file(
                names[0].clone(),
                format!(
                    "compose files include each other in a cycle: {}",
                    names.join(" -> ")
                ),
            )
            .help("remove one of these `include:` entries; compose refuses the cycle too"),
        );
    }
    errors
}

/// The YAML syntax errors among a load's `problems`, each at its
/// `FILE:LINE:COL` (paths relative to `root`), once per file.
pub fn yaml_diagnostics(root: &Path, problems: &[LoadProblem]) -> Vec<Diagnostic> {
    let mut seen: Vec<&Path> = Vec::new();
    let mut errors = Vec::new();
    for problem in problems {
        let LoadProblem::Yaml { path, text, error } = problem else {
            continue;
        };
        if seen.contains(&path.as_path()) {
            continue;
        }
        seen.push(path);
        let display = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        let source = SourceFile::from_text(display, text.clone());
        errors.push(
            Diagnostic::at(
                &source,
                error.offset..error.offset + 1,
                error.message.clone(),
            )
            .help("fix the YAML syntax; `docker compose config` shows how compose reads the file"),
        );
    }
    errors
}

/// The `env_files` of tasks.toml that do not exist: those nothing creates
/// (`made_by_update` false), or those a `[[copy]]` of repos.toml creates
/// when `update` runs (`made_by_update` true; a load must not fail on
/// them, or `update` could never run to make them).
pub fn missing_env_files(workspace: &Workspace, made_by_update: bool) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for file in &workspace.tasks.project.env_files {
        if workspace.root.join(file.get_ref()).is_file() {
            continue;
        }
        let copy = workspace.repos.copy_to(file.get_ref());
        if copy.is_some() != made_by_update {
            continue;
        }
        let help = match (copy, &workspace.repos_source) {
            (Some(copy), Some(repos)) => format!(
                "`cargo xtask update` creates it: the [[copy]] at {}:{} copies `{}` to it",
                repos.display,
                repos.position(copy.to.span().start).line,
                copy.from.get_ref()
            ),
            _ => format!(
                "create it (compose reads variables from it), or remove it from env_files; repos.toml can make it from an example with [[copy]] to = \"{}\"",
                file.get_ref()
            ),
        };
        errors.push(
            Diagnostic::at(
                &workspace.tasks_source,
                file.span(),
                format!("env file `{}` does not exist", file.get_ref()),
            )
            .help(help),
        );
    }
    errors
}

/// Every service declared in `files` and the files they include (files
/// that cannot be read are skipped; `check` reports them). Variables come
/// from the process only: service names are never interpolated. Answers
/// are kept for the run per file list and each file's size and time
/// (`check` asks about the same files several times, and parsing YAML
/// costs more than a no-op task); an edited file is read again.
pub fn services_in(files: &[PathBuf]) -> Vec<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Key = Vec<(PathBuf, Option<(u64, std::time::SystemTime)>)>;
    static KNOWN: OnceLock<Mutex<HashMap<Key, Vec<String>>>> = OnceLock::new();

    if files.is_empty() {
        return Vec::new();
    }
    let key: Key = files
        .iter()
        .map(|file| {
            let stamp = std::fs::metadata(file)
                .and_then(|m| Ok((m.len(), m.modified()?)))
                .ok();
            (file.clone(), stamp)
        })
        .collect();
    let known = KNOWN.get_or_init(Default::default);
    if let Some(names) = known.lock().ok().and_then(|map| map.get(&key).cloned()) {
        return names;
    }
    let names = loader::load(files, &Variables::from_process())
        .model
        .service_names();
    if let Ok(mut map) = known.lock() {
        map.insert(key, names.clone());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_dir(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            paths.push(path);
        }
        (dir, paths)
    }

    #[test]
    fn services_come_from_flow_style_anchors_and_includes() {
        let (_dir, paths) = in_dir(&[
            (
                "compose.yaml",
                "x-common: &common {image: x, environment: {db: 1}}\nservices: {web: {<<: *common}, \"worker\": *common}\ninclude: [more.yml]\nvolumes:\n  data:\n",
            ),
            ("more.yml", "services:\n  db: # the database\n    image: z\n"),
        ]);
        assert_eq!(services_in(&paths[..1]), ["web", "worker", "db"]);
    }

    #[test]
    fn a_yaml_error_in_an_included_file_is_found_at_its_place() {
        let (dir, paths) = in_dir(&[
            ("compose.yaml", "include:\n  - path: broken.yml\n"),
            ("broken.yml", "services:\n  web:\n    image: x\n   bad: [\n"),
        ]);
        let problems = loader::load(&paths[..1], &Variables::default()).problems;
        let errors: Vec<String> = yaml_diagnostics(dir.path(), &problems)
            .iter()
            .map(Diagnostic::location)
            .collect();
        assert_eq!(errors, ["broken.yml:4:4"]);
    }
}
