//! Which repos a command works on: names and groups from the command line.

use crate::config::{RepoSpec, ReposFile};

/// Picks the repos named (all when none) and in one of `groups` (any when none).
/// An unknown name is an error that suggests the closest one.
pub fn select<'a>(
    repos: &'a ReposFile,
    names: &[String],
    groups: &[String],
) -> Result<Vec<&'a RepoSpec>, String> {
    for name in names {
        if !repos.repos.iter().any(|r| r.name() == name) {
            let closest = repos
                .repos
                .iter()
                .map(|r| r.name())
                .min_by_key(|candidate| strsim::levenshtein(candidate, name))
                .filter(|candidate| {
                    strsim::levenshtein(candidate, name) <= name.len().max(2) / 2 + 1
                });
            return Err(match closest {
                Some(closest) => {
                    format!("no repo named `{name}` in repos.toml; did you mean `{closest}`?")
                }
                None => format!("no repo named `{name}` in repos.toml"),
            });
        }
    }
    Ok(repos
        .repos
        .iter()
        .filter(|r| names.is_empty() || names.iter().any(|n| n == r.name()))
        .filter(|r| groups.is_empty() || r.group.as_ref().is_some_and(|g| groups.contains(g)))
        .collect())
}
