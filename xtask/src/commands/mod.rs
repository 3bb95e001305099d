//! One module per command group; [`run`] dispatches the parsed command line.

pub mod certs;
pub mod check;
pub mod checkpoint;
pub mod completions;
pub mod containers;
pub mod context;
pub mod db;
pub mod debug;
pub mod describe;
pub mod diff;
pub mod docs;
pub mod doctor;
pub mod env;
pub mod help;
pub mod images;
pub mod init;
pub mod lock;
pub mod monitor;
pub mod stack;
pub mod status;
pub mod task;
pub mod test;
pub mod update;
pub mod urls;
pub mod worktree;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};

pub use context::Context;

/// Runs the command the user asked for.
pub fn run(cli: Cli, ctx: &Context) -> Result<()> {
    if let Some(text) = &cli.help {
        return help::top_level_help(ctx, text);
    }
    let Some(command) = cli.command else {
        return help::list(ctx);
    };
    if cli.list {
        return help::list(ctx);
    }
    if cli.json_typed && !command.has_json() {
        let name = match &command {
            Command::Help(help::HelpArgs { name: Some(name) }) => format!("help {name}"),
            _ => cli.command_name.unwrap_or_default(),
        };
        return Err(Error::usage_with_help(
            format!(
                "`{}` has no JSON output",
                crate::ui::sanitize_for_terminal(&name)
            ),
            format!(
                "--json works with {}, and with the listing (`{} --json`)",
                crate::cli::JSON_COMMANDS.join(", "),
                crate::ui::invoked_as()
            ),
        ));
    }
    match command {
        Command::Update(args) => args.run(ctx),
        Command::Status(args) => args.run(ctx),
        Command::Lock(args) => args.run(ctx),
        Command::Checkpoint(args) => args.run(ctx),
        Command::Check(args) => args.run(ctx),
        Command::Diff(args) => args.run(ctx),
        Command::Env(args) => args.run(ctx),
        Command::Up(args) => args.run(ctx),
        Command::Down(args) => args.run(ctx),
        Command::Build(args) => args.run(ctx),
        Command::Logs(args) => args.run(ctx),
        Command::Ps(args) => args.run(ctx),
        Command::Restart(args) => args.run(ctx),
        Command::Stop(args) => args.run(ctx),
        Command::Describe(args) => args.run(ctx),
        Command::Open(args) => args.run(ctx),
        Command::Scale(args) => args.run(ctx),
        Command::Config(args) => args.run(ctx),
        Command::Run(args) => args.run(ctx),
        Command::Shell(args) => args.run(ctx),
        Command::Exec(args) => args.run(ctx),
        Command::Urls(args) => args.run(ctx),
        Command::Monitor(args) => args.run(ctx),
        Command::Doctor(args) => args.run(ctx),
        Command::Db(args) => args.run(ctx),
        Command::Test(args) => args.run(ctx),
        Command::Images(args) => args.run(ctx),
        Command::Init(args) => args.run(ctx),
        Command::Certs(args) => args.run(ctx),
        Command::Worktree(args) => args.run(ctx),
        Command::Docs(args) => args.run(ctx),
        Command::Debug(args) => args.run(ctx),
        Command::Help(args) => args.run(ctx),
        Command::Completions(args) => args.run(ctx),
        Command::Task(argv) => task::run(argv, ctx),
    }
}
