//! The env-file variables that feed `ports:` of the compose model, and free
//! host ports for them: a worktree's stack must never take the original's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::compose::model::HostPort;
use crate::compose::variables::Variables;
use crate::compose::{env_file, files, loader};

/// Sentinel ports given to the candidates while the model is probed.
const PROBE_BASE: u16 = 60_000;
/// Ports tried per variable before giving up.
const ATTEMPTS: u16 = 2_000;

/// An env-file variable that a published host port is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortVariable {
    pub name: String,
    /// Its value in the original.
    pub port: u16,
}

/// What the compose files publish: through variables, and fixed.
#[derive(Debug, Default)]
pub struct PublishedPorts {
    pub variables: Vec<PortVariable>,
    /// Host ports written into the files: a second stack cannot bind them.
    pub fixed: Vec<HostPort>,
}

/// Finds which variables feed host ports of `compose_files`: those of
/// the env files (`env_files`, in `root`) that hold a number, and those the
/// files name (`${PORT:-8080}`) that nothing sets. Each is given a sentinel
/// port and the model read again by our loader; the sentinels that come
/// out as host ports name the variables.
pub fn published_ports(
    root: &Path,
    compose_files: &[String],
    env_files: &[String],
    env: &BTreeMap<String, String>,
) -> PublishedPorts {
    let lookup = env_file::process_lookup(env);
    let values = env_file::read_all_lenient(root, env_files, &lookup);
    let variables = Variables::for_project(root, env_files, env);
    let paths = files::effective_files(root, compose_files);
    // `None`: unset, its port the default the files give.
    let mut candidates: Vec<(String, Option<u16>)> = values
        .iter()
        .filter_map(|(name, value)| Some((name.clone(), Some(value.trim().parse::<u16>().ok()?))))
        .filter(|(_, port)| *port != Some(0))
        .collect();
    for name in referenced_names(&paths) {
        if variables.get(&name).is_none() && !candidates.iter().any(|(n, _)| *n == name) {
            candidates.push((name, None));
        }
    }
    candidates.truncate(usize::from(u16::MAX - PROBE_BASE));
    let mut probe = variables.clone();
    for (index, (name, _)) in candidates.iter().enumerate() {
        probe.set(name.as_str(), (PROBE_BASE + index as u16).to_string());
    }
    let original = loader::load(&paths, &variables).model.host_ports();
    let probed_ports = loader::load(&paths, &probe).model.host_ports();
    let mut published = PublishedPorts::default();
    for host_port in &probed_ports {
        let probed = host_port
            .port
            .checked_sub(PROBE_BASE)
            .and_then(|index| candidates.get(usize::from(index)));
        let Some((name, value)) = probed else {
            published.fixed.push(host_port.clone());
            continue;
        };
        // An unset variable's port: one of the service's the probe moved
        // that no set variable holds and no other unset one took.
        let port = value.or_else(|| {
            original
                .iter()
                .filter(|p| p.service == host_port.service && !probed_ports.contains(p))
                .map(|p| p.port)
                .find(|port| {
                    !candidates.iter().any(|(_, v)| *v == Some(*port))
                        && !published.variables.iter().any(|v| v.port == *port)
                })
        });
        if let Some(port) = port {
            if !published.variables.iter().any(|v| v.name == *name) {
                published.variables.push(PortVariable {
                    name: name.clone(),
                    port,
                });
            }
        }
    }
    published
}

/// The variables `${NAME...}` the files name, in order, each once (a probe's
/// candidates: the loader decides what each one feeds).
fn referenced_names(paths: &[std::path::PathBuf]) -> Vec<String> {
    let mut names = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for (_, rest) in text.match_indices("${").map(|(i, _)| ((), &text[i + 2..])) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
    }
    names
}

/// No port was free near a variable's value.
#[derive(Debug, thiserror::Error)]
#[error("no free host port for {variable} in the {ATTEMPTS} ports above {port}")]
pub struct NoFreePort {
    pub variable: String,
    pub port: u16,
}

/// A free host port for each variable: the first after its original value
/// that is neither `reserved` (the original's, other worktrees') nor bound
/// by anyone on this machine now.
pub fn choose_free(
    variables: &[PortVariable],
    reserved: &BTreeSet<u16>,
) -> Result<BTreeMap<String, u16>, NoFreePort> {
    let mut taken = reserved.clone();
    let mut chosen = BTreeMap::new();
    for variable in variables {
        let mut candidate = variable.port;
        let found = (0..ATTEMPTS).find_map(|_| {
            candidate = if candidate == u16::MAX {
                1024
            } else {
                candidate + 1
            };
            (!taken.contains(&candidate) && bindable(candidate)).then_some(candidate)
        });
        let Some(port) = found else {
            return Err(NoFreePort {
                variable: variable.name.clone(),
                port: variable.port,
            });
        };
        taken.insert(port);
        chosen.insert(variable.name.clone(), port);
    }
    Ok(chosen)
}

/// Whether nothing listens on `port` (every address, and loopback).
fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
        && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// `text` (an env file) with `values` set: a `KEY=` line (or `export
/// KEY=`) replaced in place, a missing key appended. Other lines, comments
/// and secrets stay as they are.
pub fn with_values(text: &str, values: &[(String, String)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (key, value) in values {
        let line = format!("{key}={value}");
        let existing = lines.iter().position(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
            l.strip_prefix(key.as_str())
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        match existing {
            Some(index) => lines[index] = line,
            None => lines.push(line),
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_replace_their_lines_and_new_ones_are_appended() {
        let text = "# ports\nWEB_PORT=8080\nexport DB_PORT = 5432\nSECRET=x\n";
        let out = with_values(
            text,
            &[
                ("WEB_PORT".into(), "8081".into()),
                ("DB_PORT".into(), "5433".into()),
                ("COMPOSE_PROJECT_NAME".into(), "shop_fix".into()),
            ],
        );
        assert_eq!(
            out,
            "# ports\nWEB_PORT=8081\nDB_PORT=5433\nSECRET=x\nCOMPOSE_PROJECT_NAME=shop_fix\n"
        );
    }

    #[test]
    fn variables_feeding_ports_are_found_and_fixed_ports_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "WEB_PORT=8080\nWORKERS=4\nDB_PORT=5432\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("compose.yaml"),
            "services:\n  web:\n    image: x\n    ports: [\"127.0.0.1:${WEB_PORT}:80\", \"9000:9000\", \"${ADMIN_PORT_UNSET_IN_TESTS:-7000}:7000\"]\n  db:\n    image: y\n    ports:\n      - published: ${DB_PORT:-1}\n        target: 5432\n",
        )
        .unwrap();
        let found = published_ports(
            dir.path(),
            &["compose.yaml".into()],
            &[".env".into()],
            &BTreeMap::new(),
        );
        let names: Vec<(&str, u16)> = found
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.port))
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(&("WEB_PORT", 8080)) && names.contains(&("DB_PORT", 5432)));
        assert!(
            names.contains(&("ADMIN_PORT_UNSET_IN_TESTS", 7000)),
            "{names:?}"
        );
        assert_eq!(found.fixed.len(), 1);
        assert_eq!(found.fixed[0].port, 9000);
    }
}
