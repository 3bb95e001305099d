//! Branch-aware databases (`[checkpoints] on_branch_switch`): when a repo
//! of `follow` changes branch, the database is checkpointed under the old
//! branch (`branch-REPO-BRANCH`, the database alone) and the new branch's
//! checkpoint, when there is one, restored.

use crate::checkpoints::checkpoint_plans::{save, SaveOptions};
use crate::checkpoints::record::Checkpoint;
use crate::checkpoints::{CheckpointError, CheckpointInputs, DbAccess};
use crate::config::Workspace;
use crate::db::snapshots::{self, SnapshotRestoreOptions};
use crate::plan::{Plan, Step};
use crate::repos::recorded_head;

/// The longest checkpoint name (as `record::check_name` allows).
const MAX_NAME: usize = 40;

/// A followed repo's change of branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchSwitch {
    pub repo: String,
    pub from: String,
    pub to: String,
}

/// The repos `[checkpoints] follow` names when `on_branch_switch` is on.
pub fn followed(workspace: &Workspace) -> Vec<String> {
    match &workspace.tasks.checkpoints {
        Some(spec) if spec.on_branch_switch => {
            spec.follow.iter().map(|r| r.get_ref().clone()).collect()
        }
        _ => Vec::new(),
    }
}

/// The branch each followed repo is on now (`None`: detached, not cloned).
pub fn branches(workspace: &Workspace) -> Vec<(String, Option<String>)> {
    let repos = &workspace.repos;
    followed(workspace)
        .into_iter()
        .map(|name| {
            let branch = repos
                .repos
                .iter()
                .find(|spec| spec.name() == name)
                .and_then(|spec| {
                    recorded_head::read(&workspace.root.join(repos.repo_path(spec))).ok()
                })
                .and_then(|head| head.branch);
            (name, branch)
        })
        .collect()
}

/// The first followed repo on another branch in `after` than in `before`.
pub fn first_switch(
    before: &[(String, Option<String>)],
    after: &[(String, Option<String>)],
) -> Option<BranchSwitch> {
    before
        .iter()
        .zip(after)
        .find_map(|((repo, from), (_, to))| match (from, to) {
            (Some(from), Some(to)) if from != to => Some(BranchSwitch {
                repo: repo.clone(),
                from: from.clone(),
                to: to.clone(),
            }),
            _ => None,
        })
}

/// `branch-REPO-BRANCH`, characters a checkpoint name cannot hold made
/// `_`; a long one shortened, with a hash of the whole kept apart.
pub fn checkpoint_name(repo: &str, branch: &str) -> String {
    let full = format!("branch-{repo}-{branch}");
    let clean: String = full
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() <= MAX_NAME && clean == full {
        return clean;
    }
    // FNV-1a: two branches that clean to the same name stay apart.
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let keep: String = clean.chars().take(MAX_NAME - 9).collect();
    format!("{keep}-{:08x}", hash as u32)
}

/// The followed repo a restore of `checkpoint` moves to another branch.
pub fn restore_switch(workspace: &Workspace, checkpoint: &Checkpoint) -> Option<BranchSwitch> {
    let now = branches(workspace);
    let recorded: Vec<(String, Option<String>)> = now
        .iter()
        .map(|(repo, _)| {
            let branch = checkpoint
                .repos
                .iter()
                .find(|r| &r.name == repo)
                .and_then(|r| r.head.branch.clone());
            (repo.clone(), branch)
        })
        .collect();
    first_switch(&now, &recorded)
}

/// The steps that save the database as the checkpoint of the branch
/// `switch` leaves (replacing it), without the lock (the caller holds it).
pub fn save_steps(
    inputs: &CheckpointInputs<'_>,
    switch: &BranchSwitch,
) -> Result<Vec<Step>, CheckpointError> {
    let plan = save(
        inputs,
        &SaveOptions {
            name: checkpoint_name(&switch.repo, &switch.from),
            note: Some(format!(
                "the database while {} was on {}",
                switch.repo, switch.from
            )),
            force: true,
            database_only: true,
        },
    )?
    .plan;
    Ok(plan
        .steps
        .into_iter()
        .filter(|step| !matches!(step, Step::Lock { .. }))
        .collect())
}

/// The database saved as the old branch's checkpoint (replacing it), then
/// the new branch's restored when it has one (not in a protected
/// environment, where that is left to the user).
pub fn switch_plan(
    inputs: &CheckpointInputs<'_>,
    switch: &BranchSwitch,
) -> Result<Plan, CheckpointError> {
    let target = match &inputs.database {
        DbAccess::Ready(target) => *target,
        DbAccess::Unavailable(why) => {
            let mut plan = Plan::new();
            plan.push(Step::Note(format!(
                "{} moved from {} to {}: the database was not checkpointed ({why})",
                switch.repo, switch.from, switch.to
            )));
            return Ok(plan);
        }
    };
    let mut plan = Plan::new();
    plan.push(crate::checkpoints::checkpoint_plans::lock(inputs.root()));
    plan.steps.extend(save_steps(inputs, switch)?);
    let new = checkpoint_name(&switch.repo, &switch.to);
    let database = Checkpoint::read(inputs.root(), &new)?.and_then(|c| c.database);
    match database {
        Some(_) if target.settings.protected => {
            plan.push(Step::Note(format!(
                "{} is on {} now; in a protected environment its database is restored by hand: cargo xtask {}checkpoint restore {new}",
                switch.repo, switch.to, inputs.env_flag
            )));
        }
        Some(db) => {
            let options = SnapshotRestoreOptions {
                snapshot: Some(db.snapshot.clone()),
                ..SnapshotRestoreOptions::default()
            };
            snapshots::restore_steps(target, &mut plan, &db.name, &options)?;
            plan.push(Step::Status {
                verb: "Restored".into(),
                message: format!(
                    "the database of {} {} (checkpoint {new})",
                    switch.repo, switch.to
                ),
                shown: format!("restored the database of checkpoint {new}"),
            });
        }
        None => {
            plan.push(Step::Note(format!(
                "no checkpoint {new} yet: the database stays as it is on {}",
                switch.to
            )));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_checkpoint_names_are_plain_and_distinct() {
        assert_eq!(checkpoint_name("app", "main"), "branch-app-main");
        let a = checkpoint_name("app", "feature/x");
        let b = checkpoint_name("app", "feature_x");
        assert!(a.starts_with("branch-app-feature_x-") && a != b, "{a} {b}");
        let long = checkpoint_name("app", &"very-long-branch-name-".repeat(4));
        assert!(long.len() <= MAX_NAME, "{long}");
        assert!(crate::checkpoints::record::check_name(&long).is_ok());
    }
}
