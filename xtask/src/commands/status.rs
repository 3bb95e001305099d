//! `xtask status`: where every repo stands, without touching the network.

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::repos::selection::select;
use crate::repos::status::{read_all, RepoStatus};
use crate::repos::sync::RepoJob;

/// Show each repo's pin, branch or commit, ahead/behind, and local changes
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask status
  cargo xtask status trytond --json")]
pub struct StatusArgs {
    /// Repos to show (default: all)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Only repos with this group label
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
}

impl StatusArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let selected = select(&workspace.repos, &self.names, &self.group).map_err(Error::usage)?;
        let jobs: Vec<RepoJob> = selected
            .iter()
            .map(|spec| RepoJob::new(&workspace.root, &workspace.repos, spec, None))
            .collect();
        if ctx.global.dry_run {
            crate::outln!(
                "# status reads {} repos from disk; it changes nothing",
                jobs.len()
            );
        }
        let statuses = read_all(&jobs);
        if ctx.global.json {
            let text = serde_json::to_string_pretty(&statuses).map_err(anyhow::Error::from)?;
            crate::outln!("{text}");
        } else {
            print_table(&statuses);
        }
        Ok(())
    }
}

fn head(status: &RepoStatus) -> String {
    let commit = status
        .commit
        .as_deref()
        .map(|c| &c[..c.len().min(7)])
        .unwrap_or("");
    match (status.state, &status.branch) {
        ("missing", _) => "missing".into(),
        ("broken", _) => format!("broken: {}", status.problem.as_deref().unwrap_or("")),
        (_, Some(branch)) => format!("{branch} {commit}"),
        _ => format!("detached {commit}"),
    }
}

fn upstream(status: &RepoStatus) -> String {
    match (status.ahead, status.behind) {
        (Some(0), Some(0)) => "=".into(),
        (Some(a), Some(0)) => format!("+{a}"),
        (Some(0), Some(b)) => format!("-{b}"),
        (Some(a), Some(b)) => format!("+{a} -{b}"),
        _ => "".into(),
    }
}

fn changes(status: &RepoStatus) -> String {
    let files = match (status.changed_files, status.untracked_files) {
        (0, 0) => "".into(),
        (c, 0) => format!("{c} changed"),
        (0, u) => format!("{u} untracked"),
        (c, u) => format!("{c} changed, {u} untracked"),
    };
    match (&status.in_progress, files.is_empty()) {
        (Some(operation), true) => operation.clone(),
        (Some(operation), false) => format!("{operation}; {files}"),
        (None, _) => files,
    }
}

fn print_table(statuses: &[RepoStatus]) {
    let rows: Vec<[String; 6]> = statuses
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.path.clone(),
                s.pin.clone(),
                head(s),
                upstream(s),
                changes(s),
            ]
        })
        .collect();
    crate::ui::print_table(
        &["NAME", "PATH", "PIN", "HEAD", "UPSTREAM", "CHANGES"],
        &rows,
    );
}
