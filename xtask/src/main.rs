use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use xtask::cli::Cli;
use xtask::commands::{self, Context};
use xtask::error::Error;
use xtask::ui::Ui;

fn main() {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    cli.global.environment_from_env_var =
        matches.value_source("environment") == Some(ValueSource::EnvVariable);
    // -v counts, so its environment twin is read here rather than by clap.
    let verbose_env = std::env::var("XTASK_VERBOSE")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        .unwrap_or(0);
    let ui = Ui::new(
        cli.global.color,
        cli.global.verbose.max(verbose_env),
        cli.global.quiet,
    );
    let ctx = Context::new(cli.global.clone(), ui);
    let code = match commands::run(cli, &ctx) {
        Ok(()) => 0,
        // The child's own output said why; repeating it is noise.
        Err(error @ Error::Child { .. }) if ctx.ui.verbosity < 1 => error.exit_code(),
        Err(error) => {
            for message in error.messages() {
                ctx.ui.error(message);
            }
            error.exit_code()
        }
    };
    std::process::exit(code);
}
