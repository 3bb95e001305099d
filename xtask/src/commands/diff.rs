//! `xtask diff`: how each copied example file differs from its example.

use crate::commands::Context;
use crate::config::repos_file::printable;
use crate::config::EnvRoot;
use crate::error::{Error, Result};

/// Show how each copied file (e.g. .env) differs from its example
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask diff
  cargo xtask diff .env")]
pub struct DiffArgs {
    /// Copied files to compare (default: all `[[copy]]` targets)
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
}

impl DiffArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let copies: Vec<_> = workspace
            .repos
            .copies
            .iter()
            .filter(|c| self.files.is_empty() || self.files.iter().any(|f| f == c.to.get_ref()))
            .collect();
        if let Some(unknown) = self
            .files
            .iter()
            .find(|f| !workspace.repos.copies.iter().any(|c| c.to.get_ref() == *f))
        {
            return Err(Error::usage(format!(
                "`{unknown}` is not the target of any [[copy]] in repos.toml"
            )));
        }
        let root = EnvRoot::new(&workspace.root).map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "cannot resolve the environment root {}",
                workspace.root.display()
            ))
        })?;
        for copy in copies {
            let (from, to) = (printable(copy.from.get_ref()), printable(copy.to.get_ref()));
            // Only files inside the environment are read, so a link cannot show another file here.
            let read = |path: &str| read_text(&root, path);
            let (example, actual) = match (read(copy.from.get_ref()), read(copy.to.get_ref())) {
                (Ok(example), Ok(actual)) => (example, actual),
                (Err(why), _) => {
                    ctx.ui
                        .warn(format!("{to}: not compared: its example {why}"));
                    continue;
                }
                (Ok(_), Err(_)) if !root.resolve(copy.to.get_ref()).is_ok_and(|p| p.exists()) => {
                    ctx.ui.warn(format!(
                        "{to}: missing; `cargo xtask update` copies it from {from}"
                    ));
                    continue;
                }
                (Ok(_), Err(why)) => {
                    ctx.ui.warn(format!("{to}: not compared: {why}"));
                    continue;
                }
            };
            let patterns: Vec<regex::Regex> = copy
                .ignore
                .iter()
                .filter_map(|p| regex::Regex::new(p.get_ref()).ok())
                .collect();
            let keep = |text: &str| -> String {
                text.lines()
                    .filter(|line| !patterns.iter().any(|p| p.is_match(line)))
                    .map(|line| format!("{line}\n"))
                    .collect()
            };
            let (example, actual) = (keep(&example), keep(&actual));
            if example == actual {
                ctx.ui.status("Same", format!("{to} as {from}"));
                continue;
            }
            let diff = similar::TextDiff::from_lines(&example, &actual);
            crate::out!(
                "{}",
                diff.unified_diff().context_radius(2).header(&from, &to)
            );
        }
        Ok(())
    }
}

/// Why a copied file or its example could not be compared.
#[derive(Debug, thiserror::Error)]
enum Unreadable {
    #[error("{path} {why}")]
    Outside {
        path: String,
        #[source]
        why: crate::config::Escape,
    },
    #[error("{path} cannot be read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a text file: {why}")]
    NotText { path: String, why: &'static str },
}

/// The text of `path`, read only inside the environment so that a link
/// cannot show another file here.
fn read_text(root: &EnvRoot, path: &str) -> std::result::Result<String, Unreadable> {
    let shown = || printable(path).into_owned();
    let full = root
        .resolve(path)
        .map_err(|why| Unreadable::Outside { path: shown(), why })?;
    let bytes = std::fs::read(&full).map_err(|source| Unreadable::Read {
        path: shown(),
        source,
    })?;
    match crate::config::text_problem(&bytes) {
        None => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Some(why) => Err(Unreadable::NotText { path: shown(), why }),
    }
}
