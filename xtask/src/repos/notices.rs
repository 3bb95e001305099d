//! Notices: messages printed once when an update changed files matching
//! configured globs ("Dockerfiles changed: run `cargo xtask build`").

use git2::{Oid, Repository};
use globset::{Glob, GlobSetBuilder};

use crate::config::NoticeSpec;

/// Files changed between two commits, relative to the repo's work tree.
pub fn changed_files(repo_path: &std::path::Path, from: Oid, to: Oid) -> Vec<String> {
    let changed = || -> Result<Vec<String>, git2::Error> {
        let repo = Repository::open(repo_path)?;
        let old = repo.find_commit(from)?.tree()?;
        let new = repo.find_commit(to)?.tree()?;
        let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        Ok(diff
            .deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or(d.old_file().path())
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .collect())
    };
    changed().unwrap_or_default()
}

/// The messages of the notices any of `paths` (relative to the environment root) match.
pub fn matching<'a>(notices: &'a [NoticeSpec], paths: &[String]) -> Vec<&'a str> {
    notices
        .iter()
        .filter(|notice| {
            let mut builder = GlobSetBuilder::new();
            for pattern in &notice.paths {
                if let Ok(glob) = Glob::new(pattern.get_ref()) {
                    builder.add(glob);
                }
            }
            builder
                .build()
                .is_ok_and(|set| paths.iter().any(|p| set.is_match(p)))
        })
        .map(|notice| notice.message.as_str())
        .collect()
}
