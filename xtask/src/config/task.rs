//! `[tasks.NAME]` in tasks.toml: the team's own tasks (the make replacement).
//! Key names follow mise's TOML tasks where they mean the same thing.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// One `[tasks.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub description: Option<String>,
    /// A string runs in `sh -c`, a list is an argv, a list of lists runs in order.
    #[cfg_attr(test, schemars(with = "Option<RunSpec>"))]
    pub run: Option<Spanned<RunSpec>>,
    /// Run inside this compose service instead of on the host.
    #[serde(rename = "in")]
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub in_service: Option<Spanned<String>>,
    /// The environment the task always runs in (its project, variables and
    /// `in =` service), whatever `--env` says.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub environment: Option<Spanned<String>>,
    /// Tasks or built-in commands to run first.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub depends: Vec<Spanned<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the environment root.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub dir: Option<Spanned<String>>,
    /// Ask this before anything runs.
    pub confirm: Option<String>,
    /// Globs; with `outputs`, the task is skipped when no source is newer than the outputs.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub outputs: Vec<Spanned<String>>,
    /// Other names the task answers to.
    #[cfg_attr(test, schemars(with = "Option<Aliases>"))]
    pub alias: Option<Spanned<Aliases>>,
    /// Leave the task out of listings.
    #[serde(default)]
    pub hide: bool,
    /// Named arguments, passed as `{name}` and as environment variables.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, ArgSpec>"))]
    pub args: BTreeMap<Spanned<String>, ArgSpec>,
}

/// `run = ...`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum RunSpec {
    /// One command (a shell line or an argv).
    One(CommandLine),
    /// Several commands, run in order.
    Many(Vec<CommandLine>),
}

/// The prefix of a run step or dependency that calls a built-in command.
pub const BUILTIN_PREFIX: &str = "xtask:";

impl RunSpec {
    /// The commands of `run`, in order. A list of strings is one argv,
    /// except when its first string is a built-in call with arguments
    /// (`["xtask:db rebuild --yes", "..."]`): no program name has a space,
    /// so that list is read as several commands.
    pub fn commands(&self) -> Vec<CommandLine> {
        match self {
            RunSpec::One(CommandLine::Argv(argv))
                if argv.first().is_some_and(|first| {
                    first.starts_with(BUILTIN_PREFIX) && first.contains(' ')
                }) =>
            {
                argv.iter().cloned().map(CommandLine::Shell).collect()
            }
            RunSpec::One(command) => vec![command.clone()],
            RunSpec::Many(commands) => commands.clone(),
        }
    }
}

/// The words of an `xtask:CMD ARGS` step, split before any argument is
/// substituted (so that a value is one word and cannot add flags or
/// commands): `None` when the command is not a built-in call.
pub fn builtin_call(command: &CommandLine) -> Option<Result<Vec<String>, String>> {
    match command {
        CommandLine::Shell(line) => {
            let rest = line.trim().strip_prefix(BUILTIN_PREFIX)?;
            Some(builtin_words(rest))
        }
        CommandLine::Argv(argv) => {
            let first = argv.first()?.strip_prefix(BUILTIN_PREFIX)?;
            let mut words = vec![first.to_string()];
            words.extend(argv[1..].iter().cloned());
            Some(Ok(words))
        }
    }
}

/// `xtask:TEXT` of a dependency: its words.
pub fn builtin_words(text: &str) -> Result<Vec<String>, String> {
    shell_words::split(text).map_err(|e| format!("cannot split `{text}` into words: {e}"))
}

/// `alias = "l"` or `alias = ["l", "li"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Aliases {
    One(String),
    Many(Vec<String>),
}

impl Aliases {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Aliases::One(name) => vec![name.as_str()],
            Aliases::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// One `[tasks.NAME.args]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    pub default: Option<String>,
    pub help: Option<String>,
    /// A boolean flag: `--NAME` alone sets it; it takes no value and is
    /// never filled positionally.
    #[serde(default)]
    pub flag: bool,
}

/// Why a task's `dir` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirProblem {
    #[error("`dir = \"{0}\"` is absolute")]
    Absolute(String),
    #[error("`dir = \"{0}\"` leaves the environment root")]
    Escapes(String),
    #[error("`dir = \"{dir}\"` leads outside the environment root through a symbolic link (to {})", target.display())]
    LinksOutside { dir: String, target: PathBuf },
    #[error("`dir = \"{dir}\"` does not exist ({})", path.display())]
    Missing { dir: String, path: PathBuf },
    #[error("`dir = \"{dir}\"` is not a folder ({})", path.display())]
    NotAFolder { dir: String, path: PathBuf },
}

impl DirProblem {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            DirProblem::Absolute(_) | DirProblem::Escapes(_) | DirProblem::LinksOutside { .. } => {
                "`dir` is a folder inside the environment root, relative to it (e.g. \"shared/src/portal\")"
            }
            DirProblem::Missing { .. } => "create the folder, or fix the path (relative to the folder holding tasks.toml)",
            DirProblem::NotAFolder { .. } => "name a folder, relative to the folder holding tasks.toml",
        }
    }
}

/// The folder a task's `dir` names: relative, inside `root` both as written
/// and once symbolic links are resolved, and an existing folder.
pub fn resolve_dir(root: &Path, dir: &str) -> Result<PathBuf, DirProblem> {
    let relative = lexically_inside(dir)?;
    let path = root.join(&relative);
    let target = match std::fs::canonicalize(&path) {
        Ok(target) => target,
        Err(_) => {
            return Err(DirProblem::Missing {
                dir: dir.to_string(),
                path,
            })
        }
    };
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !target.starts_with(&real_root) {
        return Err(DirProblem::LinksOutside {
            dir: dir.to_string(),
            target,
        });
    }
    if !target.is_dir() {
        return Err(DirProblem::NotAFolder {
            dir: dir.to_string(),
            path,
        });
    }
    Ok(path)
}

/// `dir` without `.` and `..`, when it stays inside the root as written.
pub fn lexically_inside(dir: &str) -> Result<PathBuf, DirProblem> {
    let mut normal = PathBuf::new();
    for component in Path::new(dir).components() {
        match component {
            Component::Normal(part) => normal.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    return Err(DirProblem::Escapes(dir.to_string()));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(DirProblem::Absolute(dir.to_string()))
            }
        }
    }
    Ok(normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dir_must_stay_inside_the_root_as_written_and_through_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("a/b")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
        std::os::unix::fs::symlink("a", root.path().join("in")).unwrap();
        std::fs::write(root.path().join("file"), "").unwrap();
        let r = root.path();
        assert_eq!(resolve_dir(r, "a/b/../b/."), Ok(r.join("a/b")));
        assert_eq!(resolve_dir(r, "."), Ok(r.to_path_buf()));
        assert_eq!(resolve_dir(r, "in/b"), Ok(r.join("in/b")));
        assert!(matches!(
            resolve_dir(r, "/tmp"),
            Err(DirProblem::Absolute(_))
        ));
        assert!(matches!(
            resolve_dir(r, "a/../../x"),
            Err(DirProblem::Escapes(_))
        ));
        assert!(matches!(
            resolve_dir(r, "out"),
            Err(DirProblem::LinksOutside { .. })
        ));
        assert!(matches!(
            resolve_dir(r, "nope"),
            Err(DirProblem::Missing { .. })
        ));
        assert!(matches!(
            resolve_dir(r, "file"),
            Err(DirProblem::NotAFolder { .. })
        ));
    }
}
