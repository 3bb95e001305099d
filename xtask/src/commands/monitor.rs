//! `xtask monitor`: cpu and memory per container.

use std::time::Duration;

use crate::commands::Context;
use crate::compose::state;
use crate::compose::stats::{sample, usage_of, usage_rows, ContainerUsage};
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
                let rows = usage_rows(&running, &usage);
                crate::ui::print_table(&["SERVICE", "CPU", "MEMORY", "MEM%"], &rows);
            }
            if !self.watch {
                return Ok(());
            }
            std::thread::sleep(Duration::from_secs(self.interval.max(1)));
        }
    }
}
