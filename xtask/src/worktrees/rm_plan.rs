//! `worktree rm`: refuses while a repo of the worktree holds work that
//! removing it would lose, then (after a confirmation) tears down its stack
//! with its volumes, untags its images, removes its git worktrees and the
//! branches it made, and its record. The original is never touched.

use std::path::{Path, PathBuf};

use crate::compose::docker_host::docker;
use crate::compose::{environment, state};
use crate::config::worktree_marker::MARKER_FILE;
use crate::config::Workspace;
use crate::plan::{CommandStep, Plan, Step};
use crate::worktrees::git_queries;
use crate::worktrees::record::WorktreeRecord;
use crate::worktrees::WorktreeError;

/// Checks that nothing would be lost and plans the removal of `name`.
/// The confirmation is yes/no (`--yes`), or the worktree's name typed
/// (`confirm`: `--confirm NAME`) when one of its stacks is a protected
/// environment's; that answer then stands for their `down --volumes` too.
pub fn plan(
    root: &Path,
    name: &str,
    xtask: &Path,
    confirm: Option<&str>,
) -> Result<Plan, WorktreeError> {
    let Some(record) = WorktreeRecord::read(root, name)? else {
        let known: Vec<String> = WorktreeRecord::all(root)?
            .into_iter()
            .map(|r| r.name)
            .collect();
        return Err(WorktreeError::Unknown {
            name: name.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    };
    refuse_lost_work(&record)?;

    let mut plan = Plan::new();
    let repos = record.checkouts.len();
    let stacks = stacks(&record);
    let question = format!(
        "Remove worktree {name} at {}: its stack {} with its volumes, {repos} git worktree(s) and the branches it made? The original stays as it is.",
        record.path.display(),
        record.project
    );
    let protected: Vec<&str> = stacks
        .iter()
        .filter(|stack| stack.protected)
        .map(|stack| stack.environment.as_deref().unwrap_or("default"))
        .collect();
    plan.push(if protected.is_empty() {
        Step::Confirm { question }
    } else {
        Step::ConfirmTyped {
            question: format!("{question} (`{}` is protected)", protected.join("`, `")),
            expected: name.to_string(),
            answer: confirm.map(str::to_string),
        }
    });
    for stack in stacks {
        let mut argv = vec![
            xtask.to_string_lossy().into_owned(),
            "-C".into(),
            record.path.to_string_lossy().into_owned(),
            "--yes".into(),
        ];
        if let Some(environment) = stack.environment {
            argv.extend(["--env".into(), environment]);
        }
        argv.extend(["down".into(), "--volumes".into()]);
        if stack.protected {
            // Typed above, as the worktree's name.
            argv.extend(["--confirm".into(), stack.project.clone()]);
        }
        let phase = format!("{}, down with its volumes", stack.project);
        plan.run(CommandStep::new(argv).phase(phase));
    }
    for tag in &record.image_tags {
        let mut untag = docker(["image", "rm", tag.as_str()]);
        // A tag already gone is what we want.
        untag.ok_codes.push(1);
        plan.run(untag);
    }
    // The repos inside the environment's worktree first, then that one.
    for checkout in record.checkouts.iter().rev() {
        let command = if checkout.path.exists() {
            let path = checkout.path.to_string_lossy().into_owned();
            CommandStep::new(["git", "worktree", "remove", "--force", "--", path.as_str()])
        } else {
            CommandStep::new(["git", "worktree", "prune"])
        };
        plan.run(command.dir(&checkout.repo));
        // An add interrupted before this repo made no branch to delete.
        let made = format!("refs/heads/{}", checkout.branch);
        if checkout.created_branch && git_queries::has_ref(&checkout.repo, &made)? {
            plan.run(
                CommandStep::new(["git", "branch", "-D", "--", checkout.branch.as_str()])
                    .dir(&checkout.repo),
            );
        }
    }
    // The dump of a copy that did not finish, then the record, last.
    let dump = WorktreeRecord::dump_file(root, name);
    let mut dump_record = dump.clone().into_os_string();
    dump_record.push(".json");
    plan.push(Step::RemoveFiles {
        paths: vec![dump, dump_record.into(), WorktreeRecord::file(root, name)],
    });
    plan.push(Step::Status {
        verb: "Removed".into(),
        message: format!("worktree {name} ({})", record.path.display()),
        shown: format!("worktree {name} removed"),
    });
    Ok(plan)
}

/// A compose project of the worktree that `rm` tears down.
struct WorktreeStack {
    /// The environment it belongs to (`None`: the default one).
    environment: Option<String>,
    project: String,
    /// Whether that environment is `protected` (its `down --volumes` wants
    /// the project's name typed).
    protected: bool,
}

/// The worktree's compose projects to tear down: its own (always, when its
/// configuration is there), and each other environment's that has
/// containers or volumes (`test` there made its testing project).
fn stacks(record: &WorktreeRecord) -> Vec<WorktreeStack> {
    let own = |environment: Option<String>, protected: bool| WorktreeStack {
        environment,
        project: record.project.clone(),
        protected,
    };
    if !record.path.join(MARKER_FILE).is_file() {
        return Vec::new();
    }
    // Named, so that an XTASK_ENV of the shell cannot turn `down` elsewhere.
    let Ok(workspace) = Workspace::load(&record.path) else {
        return vec![own(record.environment.clone(), false)];
    };
    let name = record.environment.clone().or_else(|| {
        let default = workspace.tasks.project.default_environment.as_ref();
        default.map(|name| name.get_ref().clone())
    });
    let is_protected = |name: Option<&str>| {
        environment::resolve(&workspace, name, false)
            .is_ok_and(|environment| environment.is_protected(&workspace.tasks))
    };
    let mut stacks = vec![own(name.clone(), is_protected(name.as_deref()))];
    for name in workspace.tasks.environments.keys() {
        let name = name.get_ref();
        let Ok(environment) = environment::resolve(&workspace, Some(name), false) else {
            continue;
        };
        if stacks.iter().any(|s| s.project == environment.project) {
            continue;
        }
        let used = !state::containers(&environment.project).is_ok_and(|c| c.is_empty())
            || !state::volumes(&environment.project).is_ok_and(|v| v.is_empty());
        if used {
            stacks.push(WorktreeStack {
                environment: Some(name.clone()),
                protected: environment.is_protected(&workspace.tasks),
                project: environment.project,
            });
        }
    }
    stacks
}

/// Refuses when a repo of the worktree has uncommitted changes (the files
/// `add` wrote aside) or commits on a branch `add` made that no other ref
/// holds: removing it would lose them.
fn refuse_lost_work(record: &WorktreeRecord) -> Result<(), WorktreeError> {
    let mut ours: Vec<PathBuf> = record
        .written
        .iter()
        .map(|path| record.path.join(path))
        .collect();
    ours.push(record.path.join(".xtask"));
    ours.extend(record.checkouts.iter().map(|c| c.path.clone()));
    let mut problems = Vec::new();
    for checkout in &record.checkouts {
        if !checkout.path.join(".git").exists() {
            continue;
        }
        // Only what lies inside this checkout is set aside (not the folders around it).
        let others: Vec<PathBuf> = ours
            .iter()
            .filter(|own| !checkout.path.starts_with(own))
            .cloned()
            .collect();
        let changes = git_queries::changes(&checkout.path, &others)?;
        if !changes.is_empty() {
            problems.push(format!(
                "{}: uncommitted changes ({})",
                checkout.path.display(),
                changes.join("; ")
            ));
        }
        if checkout.created_branch {
            let count = git_queries::commits_only_on(&checkout.path, &checkout.branch)?;
            if count > 0 {
                problems.push(format!(
                    "{}: {count} commit(s) on {} that no other branch holds (push or merge them)",
                    checkout.path.display(),
                    checkout.branch
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WorktreeError::HoldsWork {
            name: record.name.clone(),
            problems,
        })
    }
}
