//! Refusing, before anything starts, a project that would write a host
//! folder another project writes: two database servers on one data
//! directory corrupt it, two projects on one folder overwrite each other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::compose::environment::ActiveEnvironment;
use crate::compose::model::ComposeModel;
use crate::compose::mounts::{self, OtherMount, SharedMount};
use crate::compose::project::ComposeProject;
use crate::config::Workspace;
use crate::db::DbSettings;
use crate::stack::StackError;

/// The environments of the workspace, resolved when asked (only when the
/// check needs them).
pub type Environments<'a> = &'a dyn Fn() -> Vec<ActiveEnvironment>;

/// Refuses a project that would write a host folder a running container of
/// another project writes: a data directory on either side (the `[db]`
/// server's mounts, an image's VOLUME), or any writable folder that is not
/// a repository's source. With `other_environments` (`test`), also a data
/// directory of the `[db]` server that another environment of the
/// workspace declares, running or not. Paths are compared resolved.
/// Skipped when the engine or compose cannot be asked (then nothing starts
/// either).
pub fn refuse_shared_mounts(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    project: &ComposeProject,
    other_environments: Option<Environments>,
) -> Result<(), StackError> {
    let server = DbSettings::resolve(workspace, environment).server;
    let mut theirs = mounts::running_elsewhere(&project.name).unwrap_or_default();
    theirs.retain(|m| m.writable);
    // Declared data directories matter only when our server bind-mounts
    // one: read from the files first, so that a run without one asks
    // compose nothing.
    let declared = other_environments.filter(|_| {
        ComposeModel::declared(workspace, environment)
            .bind_mounts()
            .iter()
            .any(|mount| mount.service == server)
    });
    if theirs.is_empty() && declared.is_none() {
        return Ok(());
    }
    let Ok(model) = ComposeModel::merged(project) else {
        return Ok(());
    };
    let ours = model.bind_mounts();
    if ours.is_empty() {
        return Ok(());
    }
    for mount in &mut theirs {
        mount.data |= mount.service.as_deref() == Some(server.as_str());
    }
    if let Some(environments) = declared {
        let found = declared_data_mounts(workspace, project, &theirs, &environments());
        theirs.extend(found);
    }
    let repos: Vec<PathBuf> = workspace
        .repos
        .repos
        .iter()
        .map(|repo| mounts::resolve(&workspace.root.join(workspace.repos.repo_path(repo))))
        .collect();
    let mut image_volumes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let shared = mounts::shared(
        &project.root,
        &ours,
        &theirs,
        |mount| {
            mount.service == server
                || mount.image.as_ref().is_some_and(|image| {
                    image_volumes
                        .entry(image.clone())
                        .or_insert_with(|| mounts::image_volumes(image))
                        .iter()
                        .any(|volume| Path::new(&mount.target).starts_with(volume))
                })
        },
        |path| repos.iter().any(|repo| mounts::overlap(path, repo)),
    );
    if shared.is_empty() {
        return Ok(());
    }
    Err(refusal(environment, project, &shared))
}

/// The error naming each shared folder, who holds it, and the way out.
fn refusal(
    environment: &ActiveEnvironment,
    project: &ComposeProject,
    shared: &[SharedMount],
) -> StackError {
    let mut holders: Vec<String> = Vec::new();
    for holder in shared.iter().map(|s| s.theirs.holder()) {
        if !holders.contains(&holder) {
            holders.push(holder);
        }
    }
    let lines: Vec<String> = shared
        .iter()
        .map(|s| {
            format!(
                "  service `{}` would mount {} at {}{}; {}",
                s.ours.service,
                s.ours.source,
                s.ours.target,
                if Path::new(&s.ours.source) == s.resolved {
                    String::new()
                } else {
                    format!(" (that is {})", s.resolved.display())
                },
                s.theirs.describe(),
            )
        })
        .collect();
    let stop = shared
        .iter()
        .find_map(|s| s.theirs.container.as_ref().and(s.theirs.project.as_ref()));
    StackError::SharedMount {
        message: format!(
            "project {} (environment `{}`) would share a bind-mounted folder with {}; nothing was started\n{}",
            project.name,
            environment.name.as_deref().unwrap_or("default"),
            holders.join(", "),
            lines.join("\n")
        ),
        help: format!(
            "{}{}",
            if shared.iter().any(|s| s.data) {
                "two servers on one data directory corrupt it: give each environment its own (a named volume, or another folder in its compose file)"
            } else {
                "two projects writing one folder overwrite each other's files: give each environment its own, or mount it read-only (`:ro`) in this one"
            },
            match stop {
                Some(other) => format!(", or stop project {other} first"),
                None => String::new(),
            }
        ),
    }
}

/// The `[db]` server's bind mounts in each of `environments` (another
/// compose project, none of whose containers is in `running` already), as
/// compose resolves them.
fn declared_data_mounts(
    workspace: &Workspace,
    project: &ComposeProject,
    running: &[OtherMount],
    environments: &[ActiveEnvironment],
) -> Vec<OtherMount> {
    let mut seen = vec![project.name.clone()];
    seen.extend(running.iter().filter_map(|m| m.project.clone()));
    let mut found = Vec::new();
    for other in environments {
        if seen.contains(&other.project) {
            continue;
        }
        seen.push(other.project.clone());
        let server = DbSettings::resolve(workspace, other).server;
        let other_project = ComposeProject::new(project.cli.clone(), workspace, other);
        let Ok(model) = ComposeModel::merged(&other_project) else {
            continue;
        };
        for mount in model
            .bind_mounts()
            .into_iter()
            .filter(|m| m.service == server)
        {
            found.push(OtherMount {
                container: None,
                project: Some(other.project.clone()),
                service: Some(mount.service),
                environment: Some(other.name.clone().unwrap_or_else(|| "default".into())),
                source: mount.source.into(),
                target: mount.target,
                writable: !mount.read_only,
                data: true,
            });
        }
    }
    found
}
