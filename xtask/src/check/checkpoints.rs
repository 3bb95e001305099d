//! Cross-checks of `[checkpoints]`: every repo of `follow` is in
//! repos.toml, and `on_branch_switch` has a repo to follow and a `[db]`.

use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::repos_file::printable;
use crate::config::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let Some(spec) = &workspace.tasks.checkpoints else {
        return;
    };
    let source = &workspace.tasks_source;
    let names: Vec<&str> = workspace.repos.repos.iter().map(|r| r.name()).collect();
    for repo in &spec.follow {
        if !names.contains(&repo.get_ref().as_str()) {
            let help = match crate::suggest::closest(repo.get_ref(), names.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None if names.is_empty() => "there is no repos.toml with [[repo]] entries".into(),
                None => format!("the repos are: {}", names.join(", ")),
            };
            errors.push(
                Diagnostic::at(
                    source,
                    repo.span(),
                    format!(
                        "[checkpoints] follow names `{}`, which is no repo of repos.toml",
                        printable(repo.get_ref())
                    ),
                )
                .help(help),
            );
        }
    }
    if spec.on_branch_switch && spec.follow.is_empty() {
        errors.push(
            Diagnostic::whole_file(
                crate::config::TASKS_FILE,
                "[checkpoints] on_branch_switch = true follows no repo",
            )
            .help("name the repos whose branch the database follows: follow = [\"app\"]"),
        );
    }
    if spec.on_branch_switch && workspace.tasks.db.is_none() {
        errors.push(
            Diagnostic::whole_file(
                crate::config::TASKS_FILE,
                "[checkpoints] on_branch_switch = true needs a [db] to checkpoint",
            )
            .help("add [db] (see docs/db.md), or remove on_branch_switch"),
        );
    }
}
