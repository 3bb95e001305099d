//! `xtask diff`: how each copied example file differs from its example.

use crate::commands::Context;
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
        for copy in copies {
            let (from, to) = (copy.from.get_ref(), copy.to.get_ref());
            let read = |path: &str| std::fs::read_to_string(workspace.root.join(path));
            let (Ok(example), Ok(actual)) = (read(from), read(to)) else {
                ctx.ui.warn(format!(
                    "{to}: missing (or its example {from} is); `cargo xtask update` copies it"
                ));
                continue;
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
            print!("{}", diff.unified_diff().context_radius(2).header(from, to));
        }
        Ok(())
    }
}
