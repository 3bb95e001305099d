//! `xtask env`: which environment is active, and why.

use crate::commands::Context;
use crate::error::Result;

/// Show the active environment (development, testing, ...) and where that choice came from
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask env
  cargo xtask --env testing env --json
  cargo xtask env --show-secrets    # print passwords and tokens as they are")]
pub struct EnvArgs {
    /// Print the values of secret-looking variables (passwords, tokens,
    /// keys, credentials in URLs) as they are, instead of `***`
    #[arg(long)]
    pub show_secrets: bool,
}

impl EnvArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let mut environment = ctx.environment()?;
        if !self.show_secrets {
            for (key, value) in environment.env.iter_mut() {
                *value = crate::mask::value(key, value).into_owned();
            }
        }
        let mut text = String::new();
        let mut line = |l: String| {
            text.push_str(&l);
            text.push('\n');
        };
        if ctx.global.json {
            let value = serde_json::to_value(&environment).map_err(anyhow::Error::from)?;
            line(serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?);
        } else {
            for summary in environment.summary() {
                line(summary);
            }
        }
        if self.show_secrets {
            crate::ui::write_stdout_unmasked(&text);
        } else {
            crate::out!("{text}");
        }
        Ok(())
    }
}
