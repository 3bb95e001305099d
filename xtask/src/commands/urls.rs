//! `xtask urls`: every published port of every running container, as a URL
//! on the engine's host (localhost, or the remote engine's host name).

use crate::commands::Context;
use crate::compose::service_urls::{service_urls, url_rows};
use crate::error::Result;

/// List a URL for every published port of every running container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask urls
  cargo xtask urls --json
  cargo xtask --context default urls   on the engine of a Docker context (`docker context ls`)")]
pub struct UrlsArgs {}

impl UrlsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let Some((project, containers)) = ctx.containers()? else {
            return Ok(());
        };
        let tasks = &ctx.workspace()?.tasks;
        // On a remote engine a port answers on that machine, not here.
        let remote = crate::compose::docker_host::engine().remote_host();
        let (urls, loopback_only) = service_urls(tasks, &containers, remote.as_deref());
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
        crate::ui::print_table(&["SERVICE", "PORT", "URL"], &url_rows(&urls));
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
