//! `xtask status`: where every repo stands, without touching the network.

use std::path::Path;

use crate::commands::Context;
use crate::config::EnvRoot;
use crate::error::{Error, Result};
use crate::repos::local_state::{self, MadeHere, Presence};
use crate::repos::selection::select;
use crate::repos::status::{read_all, status_rows, RepoStatus};
use crate::repos::sync::RepoJob;
use crate::ui::{plural, sanitize_for_terminal as clean};

/// Show each repo's pin, branch or commit, ahead/behind, and local changes
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask status
  cargo xtask status -v           each changed repo's files too, and what the
                                  environment made there (links, __pycache__/)
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
        let selected = select(&workspace.repos, &self.names, &self.group)
            .map_err(|e| Error::usage(e.to_string()))?;
        let environment = ctx.environment()?;
        let jobs: Vec<RepoJob> = selected
            .iter()
            .map(|spec| {
                let pin = spec.pin_in(environment.name.as_deref());
                RepoJob::new(&workspace.root, &workspace.repos, spec, pin)
            })
            .collect();
        if ctx.global.dry_run {
            crate::outln!(
                "# status reads {} from disk; it changes nothing",
                plural(jobs.len(), "repo", "repos")
            );
        }
        // What `update` itself made inside the clones (its links) is not
        // local work; neither are Python's byproducts.
        let made = MadeHere {
            links: EnvRoot::new(&workspace.root)
                .map(|root| {
                    workspace
                        .repos
                        .links
                        .iter()
                        .filter_map(|link| root.resolve_entry(link.path.get_ref()).ok())
                        .collect()
                })
                .unwrap_or_default(),
        };
        let statuses = read_all(&jobs, &made);
        if ctx.global.json {
            let text = serde_json::to_string_pretty(&statuses).map_err(anyhow::Error::from)?;
            crate::outln!("{text}");
        } else {
            print_table(&statuses);
            if ctx.ui.verbosity >= 1 {
                print_changed_files(&jobs, &statuses, &made);
            }
        }
        Ok(())
    }
}

/// `-v`: each changed repo's files, as `git status --short` lists them.
/// Entries the environment made are marked `(made by the environment)`.
fn print_changed_files(jobs: &[RepoJob], statuses: &[RepoStatus], made: &MadeHere) {
    for (job, status) in jobs.iter().zip(statuses) {
        if status.changed_files + status.untracked_files + status.generated_files == 0 {
            continue;
        }
        let Presence::Repo(repo) = local_state::open(Path::new(&job.path)) else {
            continue;
        };
        crate::outln!();
        crate::outln!("{} ({}):", clean(&status.name), clean(&status.path));
        match local_state::changed_files(&repo) {
            Ok(files) => {
                let workdir = repo.workdir().unwrap_or(Path::new(&job.path));
                for (code, path) in files {
                    let own = code == "??" && made.owns(workdir, &path);
                    let note = if own {
                        "  (made by the environment)"
                    } else {
                        ""
                    };
                    crate::outln!("  {code} {}{note}", clean(&path));
                }
            }
            Err(error) => crate::outln!("  (cannot list its changes: {})", error.message()),
        }
    }
}

fn print_table(statuses: &[RepoStatus]) {
    crate::ui::print_table(
        &["NAME", "PATH", "PIN", "HEAD", "UPSTREAM", "CHANGES"],
        &status_rows(statuses),
    );
}
