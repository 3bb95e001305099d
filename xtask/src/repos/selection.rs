//! Which repos a command works on: names and groups from the command line.

use std::collections::BTreeSet;

use crate::config::repos_file::printable;
use crate::config::{RepoSpec, ReposFile};

/// Picks the repos named (all when none) and in one of `groups` (any when none).
/// An unknown name is an error that suggests the closest one; an unknown
/// group is an error listing the groups there are.
pub fn select<'a>(
    repos: &'a ReposFile,
    names: &[String],
    groups: &[String],
) -> Result<Vec<&'a RepoSpec>, String> {
    for name in names {
        if !repos.repos.iter().any(|r| r.name() == name) {
            let known: Vec<&str> = repos.repos.iter().map(|r| r.name()).collect();
            let closest = known
                .iter()
                .min_by_key(|candidate| strsim::levenshtein(candidate, name))
                .filter(|candidate| {
                    strsim::levenshtein(candidate, name) <= name.len().max(2) / 2 + 1
                });
            let name = printable(name);
            return Err(match closest {
                Some(closest) => {
                    format!("no repo named `{name}` in repos.toml; did you mean `{closest}`?")
                }
                None if known.is_empty() => {
                    format!("no repo named `{name}`: repos.toml has no [[repo]]")
                }
                None => format!(
                    "no repo named `{name}` in repos.toml; its repos are: {}",
                    known.join(", ")
                ),
            });
        }
    }
    let known_groups: BTreeSet<&str> = repos.repos.iter().filter_map(|r| r.group()).collect();
    for group in groups {
        if !known_groups.contains(group.as_str()) {
            let group = printable(group);
            return Err(if known_groups.is_empty() {
                format!("no repo is in group `{group}`: no [[repo]] in repos.toml has a `group`")
            } else {
                let known: Vec<&str> = known_groups.iter().copied().collect();
                format!(
                    "no repo is in group `{group}`; the groups in repos.toml are: {}",
                    known.join(", ")
                )
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
        let names: Vec<_> = names.iter().map(|n| printable(n)).collect();
        let groups: Vec<_> = groups.iter().map(|g| printable(g)).collect();
        return Err(format!(
            "none of {} is in group {}",
            names.join(", "),
            groups.join(", ")
        ));
    }
    Ok(selected)
}
