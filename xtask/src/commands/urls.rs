//! `xtask urls`: every published port of every running container, as a URL
//! on the engine's host (localhost, or the remote engine's host name).

use serde::Serialize;

use crate::commands::Context;
use crate::error::Result;

/// List a URL for every published port of every running container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask urls
  cargo xtask urls --json
  cargo xtask --context default urls   on the engine of a Docker context (`docker context ls`)")]
pub struct UrlsArgs {}

/// One URL, per service replica and port.
#[derive(Debug, Serialize)]
struct ServiceUrl {
    service: String,
    replica: u32,
    one_off: bool,
    container: String,
    container_port: u16,
    protocol: String,
    host: String,
    host_port: u16,
    url: String,
}

impl UrlsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let Some((project, containers)) = ctx.containers()? else {
            return Ok(());
        };
        let services = &ctx.workspace()?.tasks;
        // On a remote engine a port answers on that machine, not here.
        let remote = crate::compose::docker_host::engine().remote_host();
        let mut loopback_only = Vec::new();
        let urls: Vec<ServiceUrl> = containers
            .iter()
            .filter(|c| c.is_running())
            .flat_map(|c| {
                let spec = services.service(&c.service);
                let scheme = spec
                    .and_then(|s| s.scheme.clone())
                    .or_else(|| c.url_scheme.clone());
                let path = spec
                    .and_then(|s| s.path.clone())
                    .or_else(|| c.url_path.clone());
                let remote = remote.clone();
                c.ports.iter().map(move |p| {
                    let mut p = p.clone();
                    let bound = p.host.clone();
                    if let Some(remote) = &remote {
                        p.host = remote.clone();
                    }
                    (
                        bound,
                        ServiceUrl {
                            service: c.service.clone(),
                            replica: c.number,
                            one_off: c.one_off,
                            container: c.name.clone(),
                            container_port: p.container_port,
                            protocol: p.protocol.clone(),
                            host: p.host.clone(),
                            host_port: p.host_port,
                            url: p.url_with(scheme.as_deref(), path.as_deref()),
                        },
                    )
                })
            })
            .map(|(bound, url)| {
                let on_loopback = bound
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
                if remote.is_some() && on_loopback {
                    loopback_only.push(url.host_port);
                }
                url
            })
            .collect();
        if ctx.global.json {
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&urls).map_err(anyhow::Error::from)?
            );
            return Ok(());
        }
        if urls.is_empty() {
            ctx.ui.note(format!(
                "no running container of {} publishes a port",
                project
            ));
            return Ok(());
        }
        let rows: Vec<[String; 3]> = urls
            .iter()
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
            .collect();
        crate::ui::print_table(&["SERVICE", "PORT", "URL"], &rows);
        if let (Some(remote), Some(port)) = (&remote, loopback_only.first()) {
            ctx.ui.note(format!(
                "the engine runs on {remote}: ports published on its 127.0.0.1 ({}) answer only there; forward one with `ssh -N -L {port}:127.0.0.1:{port} {remote}`",
                loopback_only
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }
}
