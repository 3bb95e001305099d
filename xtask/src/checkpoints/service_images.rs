//! The image id each service's container runs, read from the engine: what
//! a checkpoint records, and what `restore` compares to say which service
//! now runs another image.

use std::collections::BTreeMap;

use crate::checkpoints::ImageIds;
use crate::compose::docker_host;
use crate::compose::state;
use crate::exec;

/// The image id of every service of `project` with a container (one-offs
/// aside; the first replica stands for the service).
pub fn read(project: &str) -> ImageIds {
    let containers = match state::containers(project) {
        Ok(containers) => containers,
        Err(error) => return ImageIds::Unavailable(error.to_string()),
    };
    let mut services: Vec<(String, String)> = Vec::new();
    for container in containers.into_iter().filter(|c| !c.one_off) {
        if !services
            .iter()
            .any(|(service, _)| *service == container.service)
        {
            services.push((container.service, container.id));
        }
    }
    if services.is_empty() {
        return ImageIds::Unavailable("the stack has no containers".into());
    }
    let mut args = vec![
        "inspect".to_string(),
        "--format".into(),
        "{{.Image}}".into(),
        "--".into(),
    ];
    args.extend(services.iter().map(|(_, id)| id.clone()));
    let out = match exec::capture(&docker_host::docker(args)) {
        Ok(out) if out.success() => out,
        Ok(out) => return ImageIds::Unavailable(out.stderr.trim().to_string()),
        Err(error) => return ImageIds::Unavailable(error.to_string()),
    };
    let ids: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    if ids.len() != services.len() {
        return ImageIds::Unavailable("`docker inspect` answered for other containers".into());
    }
    ImageIds::Read(
        services
            .into_iter()
            .map(|(service, _)| service)
            .zip(ids.into_iter().map(str::to_string))
            .collect::<BTreeMap<_, _>>(),
    )
}
