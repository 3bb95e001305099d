//! `xtask urls`: every published port of every running container, as a URL.

use serde::Serialize;

use crate::commands::Context;
use crate::error::Result;

/// List a URL for every published port of every running container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask urls
  cargo xtask urls --json")]
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
                c.ports.iter().map(move |p| ServiceUrl {
                    service: c.service.clone(),
                    replica: c.number,
                    one_off: c.one_off,
                    container: c.name.clone(),
                    container_port: p.container_port,
                    protocol: p.protocol.clone(),
                    host: p.host.clone(),
                    host_port: p.host_port,
                    url: p.url_with(scheme.as_deref(), path.as_deref()),
                })
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
        Ok(())
    }
}
