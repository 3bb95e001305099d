//! The engine's view of a project, read through labels
//! (`com.docker.compose.project=NAME`), which every Compose version sets,
//! never through container names (`proj_svc_1` became `proj-svc-1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compose::docker_host;
use crate::compose::ports::{parse_ports, PublishedPort};
use crate::exec;
use crate::plan::CommandStep;

/// One container of the project.
#[derive(Debug, Clone, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub service: String,
    /// The replica number (`com.docker.compose.container-number`).
    pub number: u32,
    pub one_off: bool,
    /// `running`, `exited`, ... (lower case).
    pub state: String,
    pub status: String,
    pub image: String,
    pub ports: Vec<PublishedPort>,
    /// The `xtask.scheme` label: what `urls` shows for its ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_scheme: Option<String>,
    /// The `xtask.path` label: what `urls` appends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
}

impl Container {
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// The fields of `docker ps --format '{{json .}}'` we read; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct PsLine {
    #[serde(rename = "ID")]
    id: String,
    names: String,
    labels: String,
    state: String,
    status: String,
    image: String,
    ports: String,
}

fn labels(text: &str) -> BTreeMap<&str, &str> {
    text.split(',')
        .filter_map(|pair| pair.split_once('='))
        .collect()
}

/// Parses the output of `docker ps --format '{{json .}}'` (one object a line).
pub fn parse_ps(text: &str) -> Vec<Container> {
    let mut containers: Vec<Container> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| serde_json::from_str::<PsLine>(line).ok())
        .map(|line| {
            let labels = labels(&line.labels);
            let state = if line.state.is_empty() {
                // Engines before 20.10 have no State field; Status starts with "Up" when running.
                if line.status.starts_with("Up") {
                    "running".into()
                } else {
                    "exited".into()
                }
            } else {
                line.state.to_lowercase()
            };
            Container {
                id: line.id.clone(),
                name: line.names.clone(),
                service: labels
                    .get("com.docker.compose.service")
                    .unwrap_or(&"")
                    .to_string(),
                number: labels
                    .get("com.docker.compose.container-number")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
                one_off: labels
                    .get("com.docker.compose.oneoff")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true")),
                state,
                status: line.status.clone(),
                image: line.image.clone(),
                ports: parse_ports(&line.ports),
                url_scheme: labels.get("xtask.scheme").map(|s| s.to_string()),
                url_path: labels.get("xtask.path").map(|s| s.to_string()),
            }
        })
        .collect();
    containers.sort_by(|a, b| {
        (&a.service, a.one_off, a.number, &a.name).cmp(&(&b.service, b.one_off, b.number, &b.name))
    });
    containers
}

/// The `docker ps` call listing a project's containers (all states).
pub fn ps_command(project: &str) -> CommandStep {
    docker_host::docker([
        "ps".to_string(),
        "--all".into(),
        "--no-trunc".into(),
        "--filter".into(),
        format!("label=com.docker.compose.project={project}"),
        "--format".into(),
        "{{json .}}".into(),
    ])
}

/// A query printing nothing when `service` of `project` has no running
/// container (one-offs aside): what the interpreter asks after a step that
/// entered the service failed (see [`CommandStep::enters`]).
pub fn running_probe(project: &str, service: &str) -> CommandStep {
    docker_host::docker([
        "ps".to_string(),
        "--quiet".into(),
        "--filter".into(),
        format!("label=com.docker.compose.project={project}"),
        "--filter".into(),
        format!("label=com.docker.compose.service={service}"),
        "--filter".into(),
        "label=com.docker.compose.oneoff=False".into(),
        "--filter".into(),
        "status=running".into(),
    ])
}

/// Why the engine could not be asked.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StateError(pub String);

/// Every container of `project`.
pub fn containers(project: &str) -> Result<Vec<Container>, StateError> {
    let remembered = PLANNING.with(|p| p.borrow().as_ref().and_then(|m| m.get(project).cloned()));
    if let Some(containers) = remembered {
        return Ok(containers);
    }
    let containers = list(project)?;
    PLANNING.with(|p| {
        if let Some(listings) = p.borrow_mut().as_mut() {
            listings.insert(project.to_string(), containers.clone());
        }
    });
    Ok(containers)
}

thread_local! {
    /// The listings taken while a command is planned (see [`Planning`]).
    static PLANNING: std::cell::RefCell<Option<BTreeMap<String, Vec<Container>>>> =
        const { std::cell::RefCell::new(None) };
}

/// While it lives, [`containers`] lists each project once and answers
/// from that listing: a command whose plan asks for every step whether
/// its service runs (`db restore`: the check, the load) costs one `docker
/// ps`, not one per step. Dropped before the plan runs, which changes
/// what there is.
pub struct Planning(());

impl Planning {
    pub fn start() -> Self {
        PLANNING.with(|p| *p.borrow_mut() = Some(BTreeMap::new()));
        Planning(())
    }
}

impl Drop for Planning {
    fn drop(&mut self) {
        PLANNING.with(|p| *p.borrow_mut() = None);
    }
}

fn list(project: &str) -> Result<Vec<Container>, StateError> {
    let out = exec::capture(&ps_command(project)).map_err(|e| {
        StateError(format!(
            "the Docker engine cannot be asked: {e}\n  = help: install Docker (e.g. `apt-get install docker.io`), then start it"
        ))
    })?;
    if !out.success() {
        return Err(StateError(
            crate::compose::engine::diagnose(&out.stderr).to_string(),
        ));
    }
    Ok(parse_ps(&out.stdout))
}

/// The named volumes compose made for `project` (read through its label).
pub fn volumes(project: &str) -> Result<Vec<String>, StateError> {
    let step = docker_host::docker([
        "volume".to_string(),
        "ls".into(),
        "--quiet".into(),
        "--filter".into(),
        format!("label=com.docker.compose.project={project}"),
    ]);
    let out = exec::capture(&step).map_err(|e| StateError(e.to_string()))?;
    if !out.success() {
        return Err(StateError(
            crate::compose::engine::diagnose(&out.stderr).to_string(),
        ));
    }
    Ok(out.stdout.split_whitespace().map(str::to_string).collect())
}

/// The running service containers of `service` (one-offs excluded).
pub fn running(project: &str, service: &str) -> Result<Vec<Container>, StateError> {
    Ok(containers(project)?
        .into_iter()
        .filter(|c| c.service == service && c.is_running() && !c.one_off)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_lines_are_read_through_labels() {
        let text = concat!(
            r#"{"ID":"b","Names":"demo-web-2","Labels":"com.docker.compose.project=demo,com.docker.compose.service=web,com.docker.compose.container-number=2,com.docker.compose.oneoff=False","State":"running","Status":"Up 2 seconds","Image":"x","Ports":"0.0.0.0:49154->80/tcp, :::49154->80/tcp"}"#,
            "\n",
            r#"{"ID":"a","Names":"demo_web_1","Labels":"com.docker.compose.service=web,com.docker.compose.container-number=1","Status":"Up 5 minutes","Ports":""}"#,
            "\n",
        );
        let containers = parse_ps(text);
        assert_eq!(containers.len(), 2);
        assert_eq!((containers[0].number, containers[1].number), (1, 2));
        assert!(
            containers[0].is_running(),
            "no State field: read from Status"
        );
        assert_eq!(containers[1].ports.len(), 1);
    }
}
