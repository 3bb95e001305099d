//! Around `run SERVICE`'s one-off container: the refusal of host ports
//! something already holds, and the removal of the containers an
//! interrupted `run --rm` leaves.

use std::collections::BTreeSet;

use crate::compose::docker_host::docker;
use crate::compose::model::ComposeModel;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::exec;
use crate::stack::StackError;
use crate::ui::{plural, Ui};

/// IDs of the service's one-off containers now.
pub fn one_offs(project: &str, service: &str) -> BTreeSet<String> {
    state::containers(project)
        .map(|all| {
            all.into_iter()
                .filter(|c| c.one_off && c.service == service)
                .map(|c| c.id)
                .collect()
        })
        .unwrap_or_default()
}

/// Refuses, before anything starts, a host port `run SERVICE` would
/// publish that something already holds, naming the container that
/// publishes it (the service's own running one, most often) and the ways
/// out; compose would fail only after starting the dependencies, with
/// Docker's "port is already allocated".
pub fn refuse_taken_ports(
    model: &ComposeModel,
    project: &ComposeProject,
    service: &str,
) -> Result<(), StackError> {
    for port in model.host_ports().iter().filter(|p| p.service == service) {
        let address = if port.address.is_empty() {
            "0.0.0.0"
        } else {
            port.address.as_str()
        };
        let Err(error) = std::net::TcpListener::bind((address, port.port)) else {
            continue;
        };
        if error.kind() != std::io::ErrorKind::AddrInUse {
            continue;
        }
        let holder = port_holder(port.port);
        let held = match &holder {
            Some(name) => format!("container {name} publishes it"),
            None => "a program outside the engine listens there".to_string(),
        };
        let own = holder.as_deref().is_some_and(|name| {
            state::containers(&project.name)
                .unwrap_or_default()
                .iter()
                .any(|c| c.name == name && c.service == service)
        });
        let stop = if own {
            format!("`cargo xtask stop {service}` frees it (`up -d` starts it again)")
        } else {
            format!(
                "stop what holds it (`ss -ltnp 'sport = :{}'` shows it)",
                port.port
            )
        };
        return Err(StackError::PortTaken {
            message: format!(
                "port {} on {address}, which `run {service}` publishes, is taken: {held}; nothing was started",
                port.port
            ),
            help: format!("{stop}, or `cargo xtask run --no-ports {service} ...` runs without publishing"),
        });
    }
    Ok(())
}

/// The name of the container that publishes host `port`, if the engine knows one.
fn port_holder(port: u16) -> Option<String> {
    exec::capture(&docker([
        "ps".to_string(),
        "--filter".into(),
        format!("publish={port}"),
        "--format".into(),
        "{{.Names}}".into(),
    ]))
    .ok()
    .filter(|out| out.success())
    .and_then(|out| out.stdout.lines().next().map(str::to_string))
    .filter(|name| !name.is_empty())
}

/// After an interrupted `run --rm`, removes the one-off containers it left
/// (Compose has leaked them: docker/compose#12965), and only those.
pub fn remove_leftovers(
    ui: &Ui,
    project: &ComposeProject,
    service: &str,
    before: &BTreeSet<String>,
) {
    let leftovers: Vec<String> = one_offs(&project.name, service)
        .difference(before)
        .cloned()
        .collect();
    if leftovers.is_empty() {
        return;
    }
    let mut argv = vec!["rm".to_string(), "--force".into()];
    argv.extend(leftovers.iter().cloned());
    match exec::capture(&docker(argv)) {
        Ok(out) if out.success() => ui.note(format!(
            "removed {} the interrupted run left",
            plural(leftovers.len(), "one-off container", "one-off containers")
        )),
        _ => ui.warn(format!(
            "the interrupted run left one-off containers: docker rm -f {}",
            leftovers.join(" ")
        )),
    }
}
