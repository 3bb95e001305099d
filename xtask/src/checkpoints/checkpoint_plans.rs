//! The plans of `checkpoint save`, `restore` and `rm`. Every check runs
//! while the plan is made, before anything changes; the record is the
//! commit point (written last by `save`, removed first by `rm`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::checkpoints::branch_switch;
use crate::checkpoints::record::{
    self, check_name, Checkpoint, DatabaseRecord, RepoRecord, StoredFile, CHECKPOINTS_DIR,
};
use crate::checkpoints::{CheckpointError, CheckpointInputs, DbAccess, ImageIds};
use crate::db::snapshots::{self, SnapshotRestoreOptions};
use crate::plan::{FileAction, Place, Plan, RepoMove, Step};
use crate::repos::recorded_head::{self, HeadError};

/// What `checkpoint save` was asked.
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    pub name: String,
    pub note: Option<String>,
    /// Replace a checkpoint of that name (its files and snapshot removed
    /// once the new record is written).
    pub force: bool,
    /// The database alone (a branch's checkpoint): no repos, files or images.
    pub database_only: bool,
}

/// A save's plan, and what it warns about before it runs.
pub struct SavePlan {
    pub plan: Plan,
    pub warnings: Vec<String>,
}

/// `root`-relative `relative` as a [`Place`].
fn place(root: &Path, relative: &str) -> Place {
    Place {
        path: root.join(relative),
        shown: relative.to_string(),
    }
}

/// The lock that keeps two checkpoint commands of one environment apart.
pub fn lock(root: &Path) -> Step {
    Step::Lock {
        path: root
            .join(crate::state_lock::STATE_DIR)
            .join("checkpoint.lock"),
        what: "a checkpoint save, restore or rm in this environment".into(),
    }
}

/// Postgres's longest name, which the snapshot database's must fit.
const MAX_IDENTIFIER: usize = 63;

/// A name for the checkpoint's database snapshot of `database`, new at
/// every save (a forced save replaces the old one only once its record
/// is written): `ckpt-NAME-MILLIS`, NAME shortened to fit 63 bytes in all.
fn snapshot_name(name: &str, database: &str) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let stamp = format!("{millis:x}");
    // `DB__snap_ckpt-` before the name, `-STAMP` after it.
    let room =
        MAX_IDENTIFIER.saturating_sub(database.len() + "__snap_ckpt-".len() + 1 + stamp.len());
    let shown: String = name.chars().take(room).collect();
    if shown.is_empty() {
        format!("ckpt-{stamp}")
    } else {
        format!("ckpt-{shown}-{stamp}")
    }
}

/// Every repo's branch and commit: dirty ones warned about, missing ones skipped.
fn read_repos(inputs: &CheckpointInputs<'_>, checkpoint: &mut Checkpoint) -> Vec<String> {
    let mut warnings = Vec::new();
    let repos = &inputs.workspace.repos;
    for spec in &repos.repos {
        let relative = repos.repo_path(spec).to_string_lossy().into_owned();
        match recorded_head::read(&inputs.root().join(&relative)) {
            Ok(head) => {
                if head.dirty {
                    warnings.push(format!(
                        "{} ({relative}) has uncommitted changes: the checkpoint records its commit, not them",
                        spec.name()
                    ));
                }
                checkpoint.repos.push(RepoRecord {
                    name: spec.name().to_string(),
                    path: relative,
                    head,
                });
            }
            Err(error) => checkpoint
                .skipped
                .push(format!("repo {} ({relative}): {error}", spec.name())),
        }
    }
    warnings
}

/// `checkpoint save`: the `[[copy]]` files stored, the database
/// snapshotted, then the record written (the checkpoint exists from then on).
pub fn save(
    inputs: &CheckpointInputs<'_>,
    options: &SaveOptions,
) -> Result<SavePlan, CheckpointError> {
    let name = &options.name;
    check_name(name)?;
    let root = inputs.root();
    let replaced = Checkpoint::read(root, name)?;
    if replaced.is_some() && !options.force {
        return Err(CheckpointError::Exists(name.clone()));
    }
    let saved_at = crate::db::dump_file::utc_timestamp(std::time::SystemTime::now());
    let mut checkpoint = Checkpoint {
        name: name.clone(),
        saved_at,
        note: options.note.clone(),
        environment: inputs.environment.clone(),
        repos: Vec::new(),
        database: None,
        files: Vec::new(),
        images: BTreeMap::new(),
        skipped: Vec::new(),
    };
    let warnings = if options.database_only {
        Vec::new()
    } else {
        read_repos(inputs, &mut checkpoint)
    };
    let mut plan = Plan::new();
    plan.push(lock(root));
    plan.push(Step::File {
        action: FileAction::CreateFolder {
            path: place(root, CHECKPOINTS_DIR),
            mode: Some(0o700),
        },
        inside: Some(root.to_path_buf()),
    });
    // To the millisecond: a save killed a moment ago may have left its folder.
    let files_folder = format!(
        "{name}.{}.files",
        crate::db::dump_file::utc_timestamp_millis(std::time::SystemTime::now())
    );
    if !options.database_only {
        store_files(inputs, &mut plan, &mut checkpoint, &files_folder);
    }
    match &inputs.database {
        DbAccess::Ready(target) => {
            let database = target.database(None)?;
            let snapshot = snapshot_name(name, &database);
            plan.run(snapshots::take_step(target, &database, &snapshot)?);
            checkpoint.database = Some(DatabaseRecord {
                name: database,
                snapshot,
            });
        }
        DbAccess::Unavailable(why) => checkpoint.skipped.push(format!("database: {why}")),
    }
    match &inputs.images {
        _ if options.database_only => {}
        ImageIds::Read(ids) => checkpoint.images = ids.clone(),
        ImageIds::Unavailable(why) => checkpoint.skipped.push(format!("image ids: {why}")),
    }
    plan.push(Step::WriteText {
        path: place(root, &format!("{CHECKPOINTS_DIR}/{name}.json")),
        text: checkpoint.to_text()?,
        what: "the checkpoint's record: from now on it exists".into(),
    });
    if let Some(old) = &replaced {
        remove_parts(inputs, &mut plan, old, Some(&files_folder));
    }
    for leftover in leftover_folders(root, name, replaced.as_ref(), &files_folder) {
        plan.push(Step::Remove {
            path: place(root, &format!("{CHECKPOINTS_DIR}/{leftover}")),
        });
    }
    let skipped = if checkpoint.skipped.is_empty() {
        String::new()
    } else {
        format!("; skipped: {}", checkpoint.skipped.join("; "))
    };
    plan.push(Step::Status {
        verb: "Saved".into(),
        message: format!("checkpoint {name} ({}){skipped}", summary(&checkpoint)),
        shown: format!("saved checkpoint {name}"),
    });
    Ok(SavePlan { plan, warnings })
}

/// Steps that copy each `[[copy]]` file that exists into `files_folder`,
/// and their entries in the record.
fn store_files(
    inputs: &CheckpointInputs<'_>,
    plan: &mut Plan,
    checkpoint: &mut Checkpoint,
    files_folder: &str,
) {
    let root = inputs.root();
    for (index, copy) in inputs.workspace.repos.copies.iter().enumerate() {
        let to = copy.to.get_ref();
        let source = place(root, to);
        let Ok(meta) = std::fs::metadata(&source.path) else {
            checkpoint
                .skipped
                .push(format!("file {to}: it does not exist"));
            continue;
        };
        let base = Path::new(to)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stored = format!("{files_folder}/{index}-{base}");
        plan.push(Step::File {
            action: FileAction::Copy {
                from: source,
                to: place(root, &format!("{CHECKPOINTS_DIR}/{stored}")),
                mode: 0o600,
                backup: None,
            },
            inside: Some(root.to_path_buf()),
        });
        use std::os::unix::fs::PermissionsExt;
        checkpoint.files.push(StoredFile {
            path: to.clone(),
            stored,
            mode: meta.permissions().mode() & 0o7777,
        });
    }
}

/// Files folders of `name` no record names: left by a save that was
/// interrupted before its record was written.
fn leftover_folders(
    root: &Path,
    name: &str,
    replaced: Option<&Checkpoint>,
    new: &str,
) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(record::folder(root)) else {
        return Vec::new();
    };
    let prefix = format!("{name}.");
    let kept = replaced.and_then(Checkpoint::files_folder);
    let mut leftovers: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&prefix) && f.ends_with(".files"))
        .filter(|f| f != new && Some(f.as_str()) != kept)
        .collect();
    leftovers.sort();
    leftovers
}

/// `3 repos, database tryton, 1 file, 4 images`.
pub fn summary(checkpoint: &Checkpoint) -> String {
    let mut parts = vec![crate::ui::plural(checkpoint.repos.len(), "repo", "repos")];
    if let Some(db) = &checkpoint.database {
        parts.push(format!("database {}", db.name));
    }
    // Files and images only when there are some: a branch's checkpoint has neither.
    if !checkpoint.files.is_empty() {
        parts.push(crate::ui::plural(checkpoint.files.len(), "file", "files"));
    }
    if !checkpoint.images.is_empty() {
        parts.push(crate::ui::plural(
            checkpoint.images.len(),
            "image id",
            "image ids",
        ));
    }
    parts.join(", ")
}

/// The stored files and database snapshot of `old` removed (its record
/// is gone or replaced already); `keep` is a folder not to remove.
fn remove_parts(
    inputs: &CheckpointInputs<'_>,
    plan: &mut Plan,
    old: &Checkpoint,
    keep: Option<&str>,
) {
    let root = inputs.root();
    if let Some(folder) = old.files_folder().filter(|f| Some(*f) != keep) {
        plan.push(Step::Remove {
            path: place(root, &format!("{CHECKPOINTS_DIR}/{folder}")),
        });
    }
    let Some(db) = &old.database else {
        return;
    };
    let removed = match &inputs.database {
        DbAccess::Ready(target) => snapshots::remove_step(target, &db.name, &db.snapshot)
            .map(|step| plan.run(step))
            .map_err(|e| e.to_string()),
        DbAccess::Unavailable(why) => Err(why.clone()),
    };
    if let Err(why) = removed {
        plan.push(Step::Note(format!(
            "the database snapshot {} of {} is left ({why}); remove it later with `cargo xtask {}db snapshot rm {} --db {}`",
            db.snapshot, db.name, inputs.env_flag, db.snapshot, db.name
        )));
    }
}

/// The names of the checkpoints there are (for "did you mean").
fn known(root: &Path) -> Vec<String> {
    Checkpoint::list(root)
        .map(|all| all.into_iter().map(|c| c.name).collect())
        .unwrap_or_default()
}

/// Checkpoint `name`, or which there are.
fn existing(root: &Path, name: &str) -> Result<Checkpoint, CheckpointError> {
    Checkpoint::read(root, name)?.ok_or_else(|| CheckpointError::NotFound {
        name: name.to_string(),
        known: known(root),
    })
}

/// `checkpoint rm`: asked first; the record removed first (the
/// checkpoint is gone from then on), then its files and snapshot.
pub fn remove(inputs: &CheckpointInputs<'_>, name: &str) -> Result<Plan, CheckpointError> {
    let root = inputs.root();
    let old = existing(root, name)?;
    let mut plan = Plan::new();
    plan.push(lock(root));
    let snapshot = old
        .database
        .as_ref()
        .map(|db| format!(" and database snapshot {}", db.snapshot))
        .unwrap_or_default();
    plan.push(Step::Confirm {
        question: format!(
            "Remove checkpoint `{name}` (its record, {}{snapshot})?",
            crate::ui::plural(old.files.len(), "stored file", "stored files")
        ),
    });
    plan.push(Step::Remove {
        path: place(root, &format!("{CHECKPOINTS_DIR}/{name}.json")),
    });
    remove_parts(inputs, &mut plan, &old, None);
    plan.push(Step::Status {
        verb: "Removed".into(),
        message: format!("checkpoint {name}"),
        shown: format!("removed checkpoint {name}"),
    });
    Ok(plan)
}

/// `checkpoint restore`: every precondition checked first (each repo
/// movable under `update`'s rules, the database reachable, the stored
/// files there), then asked; the database swapped in first (the script
/// refuses a missing snapshot before it changes anything), the repos moved
/// one by one, the files replaced with backups.
pub fn restore(
    inputs: &CheckpointInputs<'_>,
    name: &str,
    confirm: Option<&str>,
) -> Result<Plan, CheckpointError> {
    let root = inputs.root();
    let checkpoint = existing(root, name)?;
    let mut reasons = Vec::new();
    let mut moves = Vec::new();
    let mut notes = Vec::new();
    let repos = &inputs.workspace.repos;
    for recorded in &checkpoint.repos {
        let Some(spec) = repos.repos.iter().find(|s| s.name() == recorded.name) else {
            notes.push(format!(
                "{} is no longer in repos.toml: left alone",
                recorded.name
            ));
            continue;
        };
        let relative = repos.repo_path(spec).to_string_lossy().into_owned();
        let path = place(root, &relative);
        if recorded.head.dirty {
            notes.push(format!(
                "{} had uncommitted changes at save: the checkpoint holds its commit, not them",
                recorded.name
            ));
        }
        match recorded_head::refusal(&path.path, &recorded.head) {
            Some(HeadError::Refused(why)) => {
                reasons.push(format!("{} ({relative}): {why}", recorded.name))
            }
            Some(other) => reasons.push(format!("{} ({relative}): {other}", recorded.name)),
            None => moves.push(RepoMove {
                name: recorded.name.clone(),
                path,
                branch: recorded.head.branch.clone(),
                commit: recorded.head.commit.clone(),
            }),
        }
    }
    let target = match (&checkpoint.database, &inputs.database) {
        (Some(db), DbAccess::Ready(target)) => Some((db, *target)),
        (Some(db), DbAccess::Unavailable(why)) => {
            reasons.push(format!("database {}: {why}", db.name));
            None
        }
        (None, _) => None,
    };
    let files = file_steps(inputs, &checkpoint, &mut reasons);
    if !reasons.is_empty() {
        return Err(CheckpointError::Refused {
            name: name.to_string(),
            reasons,
        });
    }
    let mut plan = Plan::new();
    plan.push(lock(root));
    plan.push(crate::repos::update_lock::step(root));
    plan.push(Step::Confirm {
        question: format!(
            "Restore checkpoint `{name}` ({}) in environment `{}`?",
            summary(&checkpoint),
            inputs.environment
        ),
    });
    if let Some((db, target)) = target {
        if target.settings.protected {
            target.confirm(&mut plan, "Replace (from a checkpoint)", &db.name, confirm);
        }
        // Branch-aware databases: the database of the branch left is kept too.
        if let Some(switch) = branch_switch::restore_switch(inputs.workspace, &checkpoint) {
            plan.steps
                .extend(branch_switch::save_steps(inputs, &switch)?);
        }
        let options = SnapshotRestoreOptions {
            snapshot: Some(db.snapshot.clone()),
            ..SnapshotRestoreOptions::default()
        };
        snapshots::restore_steps(target, &mut plan, &db.name, &options)?;
    }
    plan.steps.extend(moves.into_iter().map(Step::MoveRepo));
    plan.steps.extend(files);
    notes.extend(image_notes(inputs, &checkpoint));
    plan.steps.extend(notes.into_iter().map(Step::Note));
    plan.push(Step::Status {
        verb: "Restored".into(),
        message: format!("checkpoint {name} (saved {})", checkpoint.saved_at),
        shown: format!("restored checkpoint {name}"),
    });
    Ok(plan)
}

/// A stored file's replacement step, unless the file holds it already:
/// the old file kept as `NAME.bak` (then `.bak.1`, ...), the new written atomically.
fn file_steps(
    inputs: &CheckpointInputs<'_>,
    checkpoint: &Checkpoint,
    reasons: &mut Vec<String>,
) -> Vec<Step> {
    let root = inputs.root();
    let mut steps = Vec::new();
    for file in &checkpoint.files {
        let stored = place(root, &format!("{CHECKPOINTS_DIR}/{}", file.stored));
        let Ok(content) = std::fs::read(&stored.path) else {
            reasons.push(format!(
                "{}: its stored copy {stored} is missing",
                file.path
            ));
            continue;
        };
        let to = place(root, &file.path);
        let backup = match std::fs::read(&to.path) {
            Ok(now) if now == content => continue,
            Ok(_) => match crate::repos::layout::next_backup(&to.path) {
                Some(path) => {
                    let shown = Path::new(&file.path)
                        .with_file_name(path.file_name().unwrap_or_default())
                        .to_string_lossy()
                        .into_owned();
                    Some(Place { path, shown })
                }
                None => {
                    reasons.push(format!(
                        "{}: too many backups beside it; remove some",
                        file.path
                    ));
                    continue;
                }
            },
            Err(_) => None,
        };
        steps.push(Step::File {
            action: FileAction::Copy {
                from: stored,
                to,
                mode: file.mode,
                backup,
            },
            inside: Some(root.to_path_buf()),
        });
    }
    steps
}

/// A note per service that runs another image than at save.
fn image_notes(inputs: &CheckpointInputs<'_>, checkpoint: &Checkpoint) -> Vec<String> {
    let ImageIds::Read(now) = &inputs.images else {
        return Vec::new();
    };
    checkpoint
        .images
        .iter()
        .filter_map(|(service, then)| {
            let current = now.get(service)?;
            (current != then).then(|| {
                format!(
                    "service {service} runs image {} now, {} at the checkpoint: images are not restored (rebuild or pull to match)",
                    short_image(current),
                    short_image(then)
                )
            })
        })
        .collect()
}

/// `sha256:1a2b3c4d5e6f` of a full image id.
fn short_image(id: &str) -> String {
    id.chars().take(19).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_fit_postgres() {
        let long = "n".repeat(40);
        let name = snapshot_name(&long, "tryton");
        assert!(
            ("tryton__snap_".len() + name.len()) <= MAX_IDENTIFIER,
            "{name}"
        );
        assert!(name.starts_with("ckpt-nnn"), "{name}");
        assert!(snapshot_name("a", &"d".repeat(60)).starts_with("ckpt-"));
    }
}
