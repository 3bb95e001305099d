//! What doctor finds in the compose files: problems reading them, and the
//! host ports they publish that something else holds.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;

use crate::compose::files;
use crate::compose::loader::LoadProblem;
use crate::compose::model::HostPort;
use crate::doctor::Finding;

/// What reading the compose files ran into: YAML errors (at FILE:LINE:COL),
/// includes and extends that lead nowhere, required variables left unset.
pub fn load_problems(root: &Path, problems: &[LoadProblem]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = files::yaml_diagnostics(root, problems)
        .into_iter()
        .map(|diagnostic| {
            Finding::problem(
                format!("a compose file is not valid YAML:\n{diagnostic}"),
                "fix the YAML syntax; `cargo xtask check` lists every error",
            )
        })
        .collect();
    findings.extend(
        files::cycle_diagnostics(root, problems)
            .into_iter()
            .map(|diagnostic| {
                Finding::problem(
                    diagnostic.message,
                    "remove one of these `include:` entries; compose refuses the cycle too",
                )
            }),
    );
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut seen = BTreeSet::new();
    for problem in problems {
        match problem {
            LoadProblem::Yaml { .. } => {}
            LoadProblem::Unreadable {
                path,
                named_in,
                why,
            } => findings.push(Finding::problem(
                format!(
                    "{} (named in {}) cannot be read: {why}",
                    shown(path),
                    shown(named_in)
                ),
                "fix the path in `include:` or `extends:`",
            )),
            LoadProblem::Cycle { .. } => {}
            LoadProblem::Extends { path, service, why } => findings.push(Finding::problem(
                format!("service `{service}` in {}: {why}", shown(path)),
                "fix its `extends:`",
            )),
            LoadProblem::MissingVariable { path, variable } => {
                if seen.insert(variable.name.clone()) {
                    findings.push(Finding::problem(
                        format!(
                            "{} is not set ({}; required in {})",
                            variable.name,
                            variable.message.trim(),
                            shown(path)
                        ),
                        format!(
                            "set {} in an env file (or the shell, or [environments.*.env] in tasks.toml)",
                            variable.name
                        ),
                    ));
                }
            }
        }
    }
    findings
}

/// A problem for each host port something else already listens on.
pub fn taken_ports(ports: &[HostPort], ours: &BTreeSet<u16>, from: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut checked = BTreeSet::new();
    for HostPort {
        service,
        address,
        port,
    } in ports
    {
        if ours.contains(port) || !checked.insert((address.clone(), *port)) {
            continue;
        }
        let bind = if address.is_empty() {
            "0.0.0.0"
        } else {
            address.as_str()
        };
        if let Err(error) = TcpListener::bind((bind, *port)) {
            if error.kind() == std::io::ErrorKind::AddrInUse {
                findings.push(Finding::problem(
                    format!("host port {port} (published by service `{service}`; read from {from}) is already taken"),
                    format!("stop what listens on it (`ss -ltnp 'sport = :{port}'`), or publish another port"),
                ));
            }
        }
    }
    if findings.is_empty() && !checked.is_empty() {
        let list: Vec<String> = checked.iter().map(|(_, port)| port.to_string()).collect();
        findings.push(Finding::ok(format!(
            "host ports free: {} (read from {from})",
            list.join(", ")
        )));
    }
    findings
}
