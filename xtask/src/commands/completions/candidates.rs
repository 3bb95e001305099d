//! What the shell is offered when it asks (`COMPLETE=SHELL xtask -- WORDS`):
//! clap's command with the project's tasks as subcommands and its names as
//! the candidates of the arguments that take them.

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use super::{REPO_COMMANDS, SERVICE_COMMANDS};
use crate::checkpoints::record::Checkpoint;
use crate::cli::Cli;
use crate::config::Workspace;
use crate::tasks::catalog;
use crate::worktrees::record::WorktreeRecord;

/// The configuration as completion sees it: `XTASK_ROOT`, else the nearest
/// folder upwards with tasks.toml; parsed, not validated. `None` offers
/// nothing of the project.
fn workspace_for_completion() -> Option<Workspace> {
    let root = match std::env::var_os("XTASK_ROOT").filter(|v| !v.is_empty()) {
        Some(root) => std::path::absolute(root).ok()?,
        None => Workspace::discover(&std::env::current_dir().ok()?).ok()?,
    };
    Workspace::load(&root).ok()
}

/// The services of the environment `.env` or the default names, by our
/// own reading of the compose files (no Compose CLI, no engine).
fn services_for_completion(workspace: &Workspace) -> Vec<String> {
    let mut names = crate::compose::environment::resolve(workspace, None, false)
        .map(|environment| {
            crate::compose::files::services_in(&crate::compose::files::effective_files(
                &workspace.root,
                &environment.compose_files,
            ))
        })
        .unwrap_or_default();
    for name in workspace.tasks.services.keys() {
        if !names.contains(name.get_ref()) {
            names.push(name.get_ref().clone());
        }
    }
    names
}

/// `values` as the completion candidates of an argument.
fn candidates(values: &[String]) -> ArgValueCandidates {
    let values = values.to_vec();
    ArgValueCandidates::new(move || values.iter().map(CompletionCandidate::new).collect())
}

/// `Cli` with the project's tasks as subcommands and its names as the
/// candidates of the arguments that take them.
pub(super) fn completing_command() -> clap::Command {
    let command = Cli::command().bin_name("xtask");
    let Some(workspace) = workspace_for_completion() else {
        return command;
    };
    let mut command = command;
    for (name, spec) in catalog::in_order(&workspace.tasks) {
        let mut sub = clap::Command::new(name.to_string())
            .about(spec.description.clone().unwrap_or_default())
            .hide(spec.hide)
            .arg(clap::Arg::new("args").num_args(0..).trailing_var_arg(true));
        if let Some(alias) = &spec.alias {
            sub = sub.aliases(alias.get_ref().names().iter().map(|a| a.to_string()));
        }
        command = command.subcommand(sub);
    }
    let environments = super::environment_names(&workspace);
    command = command.mut_arg("environment", |a| a.add(candidates(&environments)));
    let repos = super::repo_names(&workspace);
    for sub in REPO_COMMANDS {
        command =
            command.mut_subcommand(sub, |c| c.mut_arg("names", |a| a.add(candidates(&repos))));
    }
    let services = services_for_completion(&workspace);
    for sub in SERVICE_COMMANDS {
        let services = candidates(&services);
        command = command.mut_subcommand(sub, |c| {
            super::with_service_argument(c, sub, |a| a.add(services))
        });
    }
    let tested = super::tested_services(&workspace);
    command = command.mut_subcommand("test", |c| {
        super::with_service_argument(c, "test", |a| a.add(candidates(&tested)))
    });
    let mut topics: Vec<String> = crate::cli::builtin_names();
    topics.extend(
        catalog::in_order(&workspace.tasks)
            .into_iter()
            .filter(|(_, spec)| !spec.hide)
            .map(|(name, _)| name.to_string()),
    );
    command = command.mut_subcommand("help", |c| {
        c.mut_arg("name", |a| a.add(candidates(&topics)))
    });
    let images: Vec<String> = workspace
        .tasks
        .images
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    command = command.mut_subcommand("images", |c| {
        c.mut_subcommand("build", |b| {
            b.mut_arg("images", |a| a.add(candidates(&images)))
        })
        .mut_subcommand("tag", |t| {
            t.mut_arg("images", |a| a.add(candidates(&images)))
        })
    });
    let worktrees: Vec<String> = WorktreeRecord::all(&workspace.root)
        .map(|records| records.into_iter().map(|r| r.name).collect())
        .unwrap_or_default();
    command = command.mut_subcommand("worktree", |c| {
        c.mut_subcommand("rm", |r| {
            r.mut_arg("name", |a| a.add(candidates(&worktrees)).index(1))
        })
        .mut_subcommand("add", |r| {
            r.mut_arg("from", |a| a.add(candidates(&environments)))
        })
    });
    // Newest first: the one to go back to is most often the last saved.
    let checkpoints: Vec<String> = Checkpoint::list(&workspace.root)
        .map(|all| all.into_iter().rev().map(|c| c.name).collect())
        .unwrap_or_default();
    command.mut_subcommand("checkpoint", |c| {
        c.mut_subcommand("restore", |r| {
            r.mut_arg("name", |a| a.add(candidates(&checkpoints)))
        })
        .mut_subcommand("rm", |r| {
            r.mut_arg("name", |a| a.add(candidates(&checkpoints)))
        })
    })
}
