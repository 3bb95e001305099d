//! `xtask monitor`: cpu and memory per container.

use std::time::Duration;

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
            println!("{}", state::ps_command(&project));
            println!("docker stats --no-stream --format '{{{{json .}}}}' CONTAINER...");
            return Ok(());
        }
        loop {
            let containers = state::containers(&project).map_err(|e| Error::Other(e.into()))?;
            let running: Vec<_> = containers.iter().filter(|c| c.is_running()).collect();
            let ids: Vec<String> = running.iter().map(|c| c.id.clone()).collect();
            let usage = sample(&ids)
                .map_err(|e| Error::Other(anyhow::anyhow!("docker stats failed: {e}")))?;
            if ctx.global.json {
                println!(
                    "{}",
                    serde_json::to_string(&usage).map_err(anyhow::Error::from)?
                );
            } else {
                if self.watch && ctx.ui.interactive {
                    print!("\x1b[2J\x1b[H");
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

fn print_usage(running: &[&state::Container], usage: &[Usage]) {
    let rows: Vec<[String; 4]> = running
        .iter()
        .map(|c| {
            let u = usage
                .iter()
                .find(|u| u.id.starts_with(&c.id[..c.id.len().min(12)]) || u.name == c.name);
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
