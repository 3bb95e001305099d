//! `xtask monitor`: cpu and memory per container.

use std::time::Duration;

use serde::Serialize;

use crate::commands::Context;
use crate::compose::state;
use crate::compose::stats::{human, sample, Usage};
use crate::error::{Error, Result};

/// Show cpu and memory use per container
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask monitor
  cargo xtask monitor --watch --interval 5
  cargo xtask monitor --json")]
pub struct MonitorArgs {
    /// Refresh until interrupted
    #[arg(short, long)]
    pub watch: bool,
    /// Seconds between refreshes with --watch
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    pub interval: u64,
}

impl MonitorArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let project = ctx.project_name()?;
        if ctx.global.dry_run {
            crate::outln!("{}", state::ps_command(&project));
            crate::outln!("docker stats --no-stream --format '{{{{json .}}}}' CONTAINER...");
            return Ok(());
        }
        loop {
            let containers = state::containers(&project).map_err(|e| Error::Other(e.into()))?;
            let running: Vec<_> = containers.iter().filter(|c| c.is_running()).collect();
            let ids: Vec<String> = running.iter().map(|c| c.id.clone()).collect();
            let usage = sample(&ids)
                .map_err(|e| Error::Other(anyhow::anyhow!("docker stats failed: {e}")))?;
            if ctx.global.json {
                let records: Vec<ContainerUsage> = running
                    .iter()
                    .map(|c| ContainerUsage::new(c, usage_of(c, &usage)))
                    .collect();
                crate::outln!(
                    "{}",
                    serde_json::to_string(&records).map_err(anyhow::Error::from)?
                );
            } else {
                if self.watch && ctx.ui.interactive {
                    crate::out!("\x1b[2J\x1b[H");
                }
                print_usage(&running, &usage);
            }
            if !self.watch {
                return Ok(());
            }
            std::thread::sleep(Duration::from_secs(self.interval.max(1)));
        }
    }
}

/// One running container's use, as `monitor --json` prints it: the
/// container named as `ps --json` names it (service, replica, full id).
#[derive(Debug, Serialize)]
struct ContainerUsage<'a> {
    service: &'a str,
    number: u32,
    one_off: bool,
    id: &'a str,
    name: &'a str,
    /// `None` when `docker stats` said nothing about the container.
    cpu_percent: Option<f64>,
    memory_bytes: Option<u64>,
    memory_limit_bytes: Option<u64>,
    memory_percent: Option<f64>,
}

impl<'a> ContainerUsage<'a> {
    fn new(container: &'a state::Container, usage: Option<&Usage>) -> Self {
        ContainerUsage {
            service: &container.service,
            number: container.number,
            one_off: container.one_off,
            id: &container.id,
            name: &container.name,
            cpu_percent: usage.map(|u| u.cpu_percent),
            memory_bytes: usage.map(|u| u.memory_bytes),
            memory_limit_bytes: usage.map(|u| u.memory_limit_bytes),
            memory_percent: usage.map(|u| u.memory_percent),
        }
    }
}

/// The sample of `container`: `docker stats` may print a short id.
fn usage_of<'u>(container: &state::Container, usage: &'u [Usage]) -> Option<&'u Usage> {
    let short = &container.id[..container.id.len().min(12)];
    usage
        .iter()
        .find(|u| (!u.id.is_empty() && u.id.starts_with(short)) || u.name == container.name)
}

fn print_usage(running: &[&state::Container], usage: &[Usage]) {
    let rows: Vec<[String; 4]> = running
        .iter()
        .map(|c| {
            let u = usage_of(c, usage);
            let service = if c.one_off {
                format!("{} (run)", c.service)
            } else {
                format!("{}.{}", c.service, c.number)
            };
            match u {
                Some(u) => [
                    service,
                    format!("{:.1}%", u.cpu_percent),
                    format!(
                        "{} / {}",
                        human(u.memory_bytes),
                        human(u.memory_limit_bytes)
                    ),
                    format!("{:.1}%", u.memory_percent),
                ],
                None => [service, "-".into(), "-".into(), "-".into()],
            }
        })
        .collect();
    crate::ui::print_table(&["SERVICE", "CPU", "MEMORY", "MEM%"], &rows);
}
