//! A URL for every published port of the running containers, on the
//! engine's host (localhost, or the remote engine's host name).

use serde::Serialize;

use crate::compose::state::Container;
use crate::config::TasksFile;

/// One URL, per service replica and port.
#[derive(Debug, Serialize)]
pub struct ServiceUrl {
    pub service: String,
    pub replica: u32,
    pub one_off: bool,
    pub container: String,
    pub container_port: u16,
    pub protocol: String,
    pub host: String,
    pub host_port: u16,
    pub url: String,
}

/// The URLs of `containers`' published ports, with scheme and path from
/// `[services]` else the containers' labels; `remote`: the engine's host.
/// Also the host ports bound to the remote engine's loopback only (they
/// answer only there).
pub fn service_urls(
    tasks: &TasksFile,
    containers: &[Container],
    remote: Option<&str>,
) -> (Vec<ServiceUrl>, Vec<u16>) {
    let mut loopback_only = Vec::new();
    let mut urls = Vec::new();
    for c in containers.iter().filter(|c| c.is_running()) {
        let spec = tasks.service(&c.service);
        let scheme = spec
            .and_then(|s| s.scheme.clone())
            .or_else(|| c.url_scheme.clone());
        let path = spec
            .and_then(|s| s.path.clone())
            .or_else(|| c.url_path.clone());
        for p in &c.ports {
            let mut p = p.clone();
            let bound = p.host.clone();
            if let Some(remote) = remote {
                p.host = remote.to_string();
            }
            let on_loopback = bound
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
            if remote.is_some() && on_loopback {
                loopback_only.push(p.host_port);
            }
            urls.push(ServiceUrl {
                service: c.service.clone(),
                replica: c.number,
                one_off: c.one_off,
                container: c.name.clone(),
                container_port: p.container_port,
                protocol: p.protocol.clone(),
                host: p.host.clone(),
                host_port: p.host_port,
                url: p.url_with(scheme.as_deref(), path.as_deref()),
            });
        }
    }
    (urls, loopback_only)
}

/// `urls`' table: who (replica or `(run)`), port/protocol, URL.
pub fn url_rows(urls: &[ServiceUrl]) -> Vec<[String; 3]> {
    urls.iter()
        .map(|u| {
            let who = if u.one_off {
                format!("{} (run)", u.service)
            } else {
                format!("{}.{}", u.service, u.replica)
            };
            [
                who,
                format!("{}/{}", u.container_port, u.protocol),
                u.url.clone(),
            ]
        })
        .collect()
}
