//! Which repos a command works on: names and groups from the command line.

use std::collections::BTreeSet;

use crate::config::repos_file::printable;
use crate::config::{RepoSpec, ReposFile};

/// A name or group that repos.toml does not have (names shown printable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("no repo named `{name}` in repos.toml; did you mean `{closest}`?")]
    Misspelt { name: String, closest: String },
    #[error("no repo named `{name}`: repos.toml has no [[repo]]")]
    NoRepos { name: String },
    #[error("no repo named `{name}` in repos.toml; its repos are: {}", .known.join(", "))]
    UnknownRepo { name: String, known: Vec<String> },
    #[error("no repo is in group `{group}`: no [[repo]] in repos.toml has a `group`")]
    NoGroups { group: String },
    #[error("no repo is in group `{group}`; the groups in repos.toml are: {}", .known.join(", "))]
    UnknownGroup { group: String, known: Vec<String> },
    #[error("none of {} is in group {}", .names.join(", "), .groups.join(", "))]
    NoneInGroups {
        names: Vec<String>,
        groups: Vec<String>,
    },
}

/// Picks the repos named (all when none) and in one of `groups` (any when none).
/// An unknown name is an error that suggests the closest one; an unknown
/// group is an error listing the groups there are.
pub fn select<'a>(
    repos: &'a ReposFile,
    names: &[String],
    groups: &[String],
) -> Result<Vec<&'a RepoSpec>, SelectionError> {
    for name in names {
        if !repos.repos.iter().any(|r| r.name() == name) {
            let known: Vec<&str> = repos.repos.iter().map(|r| r.name()).collect();
            let closest = known
                .iter()
                .min_by_key(|candidate| strsim::levenshtein(candidate, name))
                .filter(|candidate| {
                    strsim::levenshtein(candidate, name) <= name.len().max(2) / 2 + 1
                });
            let name = printable(name).to_string();
            return Err(match closest {
                Some(closest) => SelectionError::Misspelt {
                    name,
                    closest: closest.to_string(),
                },
                None if known.is_empty() => SelectionError::NoRepos { name },
                None => SelectionError::UnknownRepo {
                    name,
                    known: known.iter().map(|k| k.to_string()).collect(),
                },
            });
        }
    }
    let known_groups: BTreeSet<&str> = repos.repos.iter().filter_map(|r| r.group()).collect();
    for group in groups {
        if !known_groups.contains(group.as_str()) {
            let group = printable(group).to_string();
            return Err(if known_groups.is_empty() {
                SelectionError::NoGroups { group }
            } else {
                let known = known_groups.iter().map(|k| k.to_string()).collect();
                SelectionError::UnknownGroup { group, known }
            });
        }
    }
    let selected: Vec<&RepoSpec> = repos
        .repos
        .iter()
        .filter(|r| names.is_empty() || names.iter().any(|n| n == r.name()))
        .filter(|r| groups.is_empty() || r.group().is_some_and(|g| groups.iter().any(|x| x == g)))
        .collect();
    if selected.is_empty() && !names.is_empty() && !groups.is_empty() {
        let names = names.iter().map(|n| printable(n).to_string()).collect();
        let groups = groups.iter().map(|g| printable(g).to_string()).collect();
        return Err(SelectionError::NoneInGroups { names, groups });
    }
    Ok(selected)
}
