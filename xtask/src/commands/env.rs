//! `xtask env`: which environment is active, and why.

use crate::commands::Context;
use crate::error::Result;

/// Show the active environment (development, testing, ...) and where that choice came from
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask env
  cargo xtask --env testing env --json")]
pub struct EnvArgs {}

impl EnvArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let environment = ctx.environment()?;
        if ctx.global.json {
            let value = serde_json::to_value(&environment).map_err(anyhow::Error::from)?;
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?
            );
            return Ok(());
        }
        match &environment.name {
            Some(name) => crate::outln!("environment: {name} ({})", environment.choice.explain()),
            None => crate::outln!("environment: none ({})", environment.choice.explain()),
        }
        if environment.chain.len() > 1 {
            crate::outln!("inherits: {}", environment.chain.join(" -> "));
        }
        crate::outln!(
            "project: {} ({})",
            environment.project,
            environment.project_reason
        );
        crate::outln!("env files: {}", environment.env_files.join(", "));
        if environment.compose_files.is_empty() {
            crate::outln!("compose files: compose's defaults (docker-compose.yml, compose.yaml)");
        } else {
            crate::outln!("compose files: {}", environment.compose_files.join(", "));
        }
        for (key, value) in &environment.env {
            match environment.value_files.get(key) {
                Some(file) => crate::outln!("env: {key}=<the content of {file}>"),
                None => crate::outln!("env: {key}={value}"),
            }
        }
        Ok(())
    }
}
