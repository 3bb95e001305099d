//! Checks of repos.toml that need the file system: every path it names stays
//! inside the environment root once symbolic links are followed, and the
//! examples `[[copy]]` copies are text.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::env_root::{EnvRoot, Escape};
use crate::config::repos_file::printable;
use crate::config::Workspace;

/// Adds a problem for each path of repos.toml that leads outside the
/// environment, and for each `[[copy]]` example that is not text.
pub(crate) fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let Some(source) = &workspace.repos_source else {
        return;
    };
    let root = match EnvRoot::new(&workspace.root) {
        Ok(root) => root,
        Err(e) => {
            errors.push(Diagnostic::whole_file(
                &source.display,
                format!(
                    "cannot resolve the environment root {}: {e}",
                    workspace.root.display()
                ),
            ));
            return;
        }
    };
    let repos = &workspace.repos;
    let mut refuse = |span: Range<usize>, what: String, why: Escape| {
        let diagnostic = if span.is_empty() {
            // A default, not written in the file.
            Diagnostic::whole_file(&source.display, format!("{what} {why}"))
        } else {
            Diagnostic::at(source, span, format!("{what} {why}"))
        };
        errors.push(diagnostic.help(why.help()));
    };

    let repos_root = &repos.defaults.root;
    let root_ok = match root.resolve(repos_root.get_ref()) {
        Ok(_) => true,
        Err(why) => {
            let what = if repos_root.span().is_empty() {
                format!("the default `root` \"{}\"", printable(repos_root.get_ref()))
            } else {
                "`root`".to_string()
            };
            refuse(repos_root.span(), what, why);
            false
        }
    };
    // When the root escapes, every repo under it does: one report is enough.
    if root_ok {
        for repo in &repos.repos {
            if let Err(why) = root.resolve(repos.repo_path(repo)) {
                let span = repo.path.as_ref().map_or(repo.name.span(), Spanned::span);
                refuse(
                    span,
                    format!("path of repo `{}`", printable(repo.name())),
                    why,
                );
            }
        }
    }
    for folder in &repos.folders {
        if let Err(why) = root.resolve(folder.path.get_ref()) {
            refuse(folder.path.span(), "folder".into(), why);
        }
    }
    for link in &repos.links {
        if let Err(why) = root.resolve_entry(link.path.get_ref()) {
            refuse(link.path.span(), "link path".into(), why);
        }
        if let Err(why) = root.resolve(link.target.get_ref()) {
            refuse(link.target.span(), "link target".into(), why);
        }
    }
    let mut not_text = Vec::new();
    for copy in &repos.copies {
        match root.resolve(copy.from.get_ref()) {
            Err(why) => refuse(copy.from.span(), "copy from".into(), why),
            Ok(from) => {
                if let Some(why) = not_text_file(&from) {
                    not_text.push((copy.from.clone(), why));
                }
            }
        }
        if let Err(why) = root.resolve(copy.to.get_ref()) {
            refuse(copy.to.span(), "copy to".into(), why);
        }
    }
    for (from, why) in not_text {
        errors.push(
            Diagnostic::at(
                source,
                from.span(),
                format!(
                    "copy from `{}` is not a text file: {why}",
                    printable(from.get_ref())
                ),
            )
            .help(
                "[[copy]] copies text examples such as .env.example; copy binary files another way",
            ),
        );
    }
}

/// Why the file at `path` is not text (UTF-8 without NUL bytes); `None`
/// when it is, or when it is not there to read.
fn not_text_file(path: &Path) -> Option<&'static str> {
    let bytes = std::fs::read(path).ok()?;
    crate::config::text_problem(&bytes)
}
