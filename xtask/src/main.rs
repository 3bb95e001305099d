use xtask::cli::Cli;
use xtask::commands::{self, Context};
use xtask::error::Error;
use xtask::ui::Ui;

fn main() {
    // A shell asking for completions (`COMPLETE=bash xtask -- ...`) is answered and we exit.
    commands::completions::answer_completion_request();
    let cli = Cli::parse_args();
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
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let result = xtask::nesting::enter(&args).and_then(|()| commands::run(cli, &ctx));
    let code = match result {
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
