//! The command line: global flags (each with an `XTASK_*` environment twin)
//! and one subcommand per built-in command; anything else names a task.

use std::path::PathBuf;

use clap::builder::{BoolishValueParser, RangedU64ValueParser};
use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands;
use crate::ui::ColorChoice;

const EXAMPLES: &str = "\
Examples:
  cargo xtask update              clone and fast-forward every repo in repos.toml
  cargo xtask up -d               start the stack in the background
  cargo xtask run portal          run the portal's default command with its ports
  cargo xtask shell portal        a shell in the portal container
  cargo xtask db rebuild --demo   delete, create and initialise the database (asks first)
  cargo xtask test portal --pdb   the portal's tests in the testing project, pdb on failure
  cargo xtask docs --build        build the documentation; prints where index.html is
  cargo xtask debug portal        the portal under debugpy on 127.0.0.1, launch.json updated
  cargo xtask urls                where every published port answers
  cargo xtask                     list built-in commands and the project's tasks
  cargo xtask start               run the project's task `start` (NAME [ARGS...] runs any task)";

/// The most parallel jobs `--jobs` accepts: more would only exhaust file
/// descriptors and threads.
pub const MAX_JOBS: u64 = 1024;

/// A task runner for multi-repository Docker Compose development environments.
#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    version,
    disable_help_subcommand = true,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = false
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// List built-in commands and the project's tasks (the same as no command)
    #[arg(short = 'l', long)]
    pub list: bool,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Whether `--json` was typed (not set by its twin `XTASK_JSON`, which
    /// a team may set for every command): only then is it an error on a
    /// command without JSON output.
    #[arg(skip)]
    pub json_typed: bool,

    /// The command or task name as typed (for messages).
    #[arg(skip)]
    pub command_name: Option<String>,

    /// `--help` without a command: clap's help, printed with the project's
    /// tasks after it (the rest of the line still picks the root: `-C`).
    #[arg(skip)]
    pub help: Option<String>,
}

impl Cli {
    /// Parses the process's arguments; usage lines and errors name the
    /// command as the user typed it (`cargo xtask` or `xtask`).
    pub fn parse_args() -> Self {
        if let Some(cli) = Self::parse_task_line() {
            return cli;
        }
        // Kept, not dropped: freeing clap's tree of every command and
        // argument costs as much as parsing with it (the process ends soon).
        let command = Box::leak(Box::new(Cli::command().bin_name(crate::ui::invoked_as())));
        let matches = match command.try_get_matches_from_mut(std::env::args_os()) {
            Ok(matches) => matches,
            Err(error) if error.kind() == clap::error::ErrorKind::InvalidSubcommand => {
                unknown_subcommand(&error)
            }
            Err(error) if error.kind() == clap::error::ErrorKind::DisplayHelp => {
                return Self::top_level_help(error)
            }
            Err(error) => error.exit(),
        };
        Self::from_matches(&matches).unwrap_or_else(|error| error.exit())
    }

    /// A line whose command is a task (`xtask -C DIR NAME ARGS...`) or
    /// that has none (`--list`), parsed with the global flags alone:
    /// building every built-in command's arguments costs more than a no-op
    /// task. `None` for anything else (a built-in, help, a flag clap must
    /// explain), which the whole tree parses.
    fn parse_task_line() -> Option<Self> {
        let mut command = TaskLine::command().bin_name(crate::ui::invoked_as());
        let matches = command.try_get_matches_from_mut(std::env::args_os()).ok()?;
        // No command at all (`--list`, the listing) parses the same way too.
        if let Some((name, _)) = matches.subcommand() {
            if BUILTIN_COMMANDS.contains(&name) {
                return None;
            }
        }
        Self::from_matches(&matches).ok()
    }

    /// The parsed line, with what clap's derive cannot say: where values came from.
    fn from_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut cli = Cli::from_arg_matches(matches)?;
        cli.json_typed = matches.value_source("json") == Some(ValueSource::CommandLine);
        cli.global.environment_from_env_var =
            matches.value_source("environment") == Some(ValueSource::EnvVariable);
        cli.command_name = matches.subcommand_name().map(str::to_string);
        Ok(cli)
    }

    /// `--help`: a command's own help as clap prints it; the top level's
    /// is kept for `commands::run` to print with the project's tasks.
    fn top_level_help(help: clap::Error) -> Self {
        let usage = format!("Usage: {} [OPTIONS] [COMMAND]", crate::ui::invoked_as());
        let text = help.render();
        if !text.to_string().contains(&usage) {
            help.exit()
        }
        // The same line without its help flag, for `-C DIR` and the rest.
        let mut past_dashes = false;
        let rest = std::env::args_os().filter(|arg| {
            past_dashes |= arg == "--";
            past_dashes || (arg != "-h" && arg != "--help")
        });
        match Cli::command()
            .bin_name(crate::ui::invoked_as())
            .try_get_matches_from(rest)
            .and_then(|matches| Cli::from_arg_matches(&matches))
        {
            Ok(mut cli) => {
                cli.help = Some(if console::colors_enabled() {
                    text.ansi().to_string()
                } else {
                    text.to_string()
                });
                cli
            }
            Err(_) => help.exit(),
        }
    }
}

/// A mistyped subcommand (`db rebuld`), said as for a mistyped command or
/// task: one "did you mean" everywhere. Exits 2, as a usage error does.
fn unknown_subcommand(error: &clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue};
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(value)) => Some(value.clone()),
        Some(ContextValue::Strings(values)) => values.first().cloned(),
        Some(ContextValue::StyledStr(value)) => Some(value.to_string()),
        _ => None,
    };
    let typed = text(ContextKind::InvalidSubcommand).unwrap_or_default();
    // "Usage: cargo xtask db [OPTIONS] <COMMAND>": the command it is under.
    let parent: Vec<String> = text(ContextKind::Usage)
        .unwrap_or_default()
        .trim_start_matches("Usage:")
        .split_whitespace()
        .take_while(|word| !word.starts_with('[') && !word.starts_with('<'))
        .map(str::to_string)
        .collect();
    let parent = parent.join(" ");
    let suggestion = text(ContextKind::SuggestedSubcommand)
        .map(|close| format!("; did you mean `{close}`?"))
        .unwrap_or_default();
    crate::errln!(
        "error: no command `{}` in `{parent}`{suggestion}\n  = help: `{parent} --help` lists them all",
        crate::ui::sanitize_for_terminal(&typed)
    );
    std::process::exit(2)
}

/// The commands with JSON output (`--json`), as the user names them.
pub const JSON_COMMANDS: [&str; 7] = ["status", "env", "ps", "urls", "describe", "monitor", "help"];

impl Command {
    /// Whether the command prints JSON with `--json`.
    pub fn has_json(&self) -> bool {
        match self {
            Command::Status(_)
            | Command::Env(_)
            | Command::Ps(_)
            | Command::Urls(_)
            | Command::Describe(_)
            | Command::Monitor(_) => true,
            Command::Db(args) => args.command.has_json(),
            Command::Worktree(args) => args.command.has_json(),
            Command::Checkpoint(args) => args.command.has_json(),
            // The listing; one command's help is text.
            Command::Help(args) => args.name.is_none(),
            _ => false,
        }
    }
}

/// Flags every command takes (shown after a command's own, apart).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use the environment in DIR instead of searching upwards for tasks.toml
    #[arg(
        short = 'C',
        long = "root",
        value_name = "DIR",
        env = "XTASK_ROOT",
        global = true
    )]
    pub root: Option<PathBuf>,

    /// Print what would run, change nothing
    #[arg(short = 'n', long, env = "XTASK_DRY_RUN", global = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub dry_run: bool,

    /// Say more (repeat for more detail; XTASK_VERBOSE=N)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Say only what went wrong
    #[arg(
        short,
        long,
        env = "XTASK_QUIET",
        global = true,
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new(),
        conflicts_with = "verbose"
    )]
    pub quiet: bool,

    /// When to use colour; NO_COLOR in the environment means never
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, env = "XTASK_COLOR", global = true)]
    pub color: ColorChoice,

    /// Machine-readable JSON on commands that list things
    #[arg(long, env = "XTASK_JSON", global = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub json: bool,

    /// The environment (development, testing, ...); see `xtask env`
    #[arg(long = "env", value_name = "NAME", env = "XTASK_ENV", global = true)]
    pub environment: Option<String>,

    /// Whether `environment` came from `XTASK_ENV` rather than `--env`
    /// (set from clap's value source after parsing).
    #[arg(skip)]
    pub environment_from_env_var: bool,

    /// Parallel jobs (1 to 1024): network operations for update, independent dependencies for tasks
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        env = "XTASK_JOBS",
        global = true,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_JOBS)
    )]
    pub jobs: Option<usize>,

    /// The Docker context (engine) every docker and compose call uses; DOCKER_HOST and DOCKER_CONTEXT are honoured as docker does
    #[arg(long, value_name = "NAME", env = "XTASK_CONTEXT", global = true)]
    pub context: Option<String>,

    /// Answer yes to confirmations (needed without a terminal)
    #[arg(short = 'y', long, env = "XTASK_YES", global = true, action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // Repositories
    Update(commands::update::UpdateArgs),
    Status(commands::status::StatusArgs),
    Lock(commands::lock::LockArgs),
    Check(commands::check::CheckArgs),
    Diff(commands::diff::DiffArgs),

    // The compose stack
    Env(commands::env::EnvArgs),
    Up(commands::stack::UpArgs),
    Down(commands::stack::DownArgs),
    Stop(commands::stack::StopArgs),
    Build(commands::stack::BuildArgs),
    Logs(commands::stack::LogsArgs),
    Ps(commands::stack::PsArgs),
    Restart(commands::stack::RestartArgs),
    Scale(commands::stack::ScaleArgs),
    Config(commands::stack::ConfigArgs),
    Run(commands::containers::RunArgs),
    Shell(commands::containers::ShellArgs),
    Exec(commands::containers::ExecArgs),
    Urls(commands::urls::UrlsArgs),
    Describe(commands::describe::DescribeArgs),
    Open(commands::describe::OpenArgs),
    Monitor(commands::monitor::MonitorArgs),
    Doctor(commands::doctor::DoctorArgs),
    Db(commands::db::DbArgs),
    Checkpoint(commands::checkpoint::CheckpointArgs),
    Images(commands::images::ImagesArgs),

    // Tests, docs and debuggers
    Test(commands::test::TestArgs),
    Docs(commands::docs::DocsArgs),
    Debug(commands::debug::DebugArgs),

    // One-time setup
    Init(commands::init::InitArgs),
    Certs(commands::certs::CertsArgs),
    Worktree(commands::worktree::WorktreeArgs),

    // Tasks and the tool itself
    Help(commands::help::HelpArgs),
    Completions(commands::completions::CompletionsArgs),

    /// Run a task from tasks.toml
    #[command(external_subcommand)]
    Task(Vec<String>),
}

/// The command line of a task: [`Cli`] without the built-in commands,
/// the same global flags and the same capture of the task's words. Only
/// its definition is used: the matches fill a [`Cli`].
#[allow(dead_code)]
#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    disable_help_subcommand = true,
    args_conflicts_with_subcommands = false
)]
struct TaskLine {
    #[command(flatten)]
    global: GlobalArgs,

    #[arg(short = 'l', long)]
    list: bool,

    #[command(subcommand)]
    command: Option<TaskCommand>,
}

#[allow(dead_code)]
#[derive(Debug, Subcommand)]
enum TaskCommand {
    #[command(external_subcommand)]
    Task(Vec<String>),
}

/// The names (and aliases) of every built-in command, which tasks may not
/// take; a test keeps it equal to [`Command`]'s.
const BUILTIN_COMMANDS: &[&str] = &[
    "update",
    "status",
    "lock",
    "check",
    "diff",
    "env",
    "up",
    "down",
    "stop",
    "build",
    "logs",
    "ps",
    "restart",
    "scale",
    "config",
    "run",
    "shell",
    "exec",
    "urls",
    "describe",
    "open",
    "monitor",
    "doctor",
    "db",
    "images",
    "test",
    "docs",
    "debug",
    "init",
    "certs",
    "worktree",
    "checkpoint",
    "help",
    "completions",
];

/// The names (and aliases) of every built-in command, which tasks may not take.
pub fn builtin_names() -> Vec<String> {
    BUILTIN_COMMANDS
        .iter()
        .map(|name| name.to_string())
        .collect()
}

/// The binary's whole work: parse the command line, run it, print what
/// went wrong, and return the exit code (`Error::exit_code`).
pub fn run_to_exit_code() -> i32 {
    // A shell asking for completions (`COMPLETE=bash xtask -- ...`) is answered and we exit.
    crate::commands::completions::answer_completion_request();
    let cli = Cli::parse_args();
    // -v counts, so its environment twin is read here rather than by clap.
    let verbose_env = std::env::var("XTASK_VERBOSE")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        .unwrap_or(0);
    let ui = crate::ui::Ui::new(
        cli.global.color,
        cli.global.verbose.max(verbose_env),
        cli.global.quiet,
    );
    let ctx = crate::commands::Context::new(cli.global.clone(), ui);
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let result = crate::nesting::enter(&args).and_then(|()| crate::commands::run(cli, &ctx));
    match result {
        Ok(()) => 0,
        // The child's own output said why; repeating it is noise.
        Err(error @ crate::error::Error::Child { .. }) if ctx.ui.verbosity < 1 => error.exit_code(),
        Err(error) => {
            for message in error.messages() {
                ctx.ui.error(message);
            }
            error.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag with an `XTASK_*` twin, in every subcommand, as (path, arg).
    fn flags_with_twins(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Arg)>) {
        for arg in command.get_arguments() {
            if arg.get_env().is_some() && matches!(arg.get_action(), clap::ArgAction::SetTrue) {
                out.push((path.clone(), arg.clone()));
            }
        }
        for sub in command.get_subcommands() {
            flags_with_twins(sub, format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_boolean_twin_accepts_the_usual_spellings() {
        let root = Cli::command();
        let mut flags = Vec::new();
        flags_with_twins(&root, "xtask".into(), &mut flags);
        assert!(flags.len() >= 7, "found only {flags:?}");
        for (path, arg) in &flags {
            // BoolishValueParser's literals; clap's plain bool parser has only true/false.
            let accepted: Vec<String> = arg
                .get_value_parser()
                .possible_values()
                .map(|values| values.map(|v| v.get_name().to_string()).collect())
                .unwrap_or_default();
            for text in ["1", "0", "true", "false", "yes", "no", "on", "off"] {
                assert!(
                    accepted.iter().any(|a| a == text),
                    "{path} --{} ({:?}) rejects {text}: {accepted:?}",
                    arg.get_id(),
                    arg.get_env()
                );
            }
        }
    }

    #[test]
    fn the_builtin_list_names_every_command_and_alias() {
        let mut from_clap: Vec<String> = Cli::command()
            .get_subcommands()
            .flat_map(|c| {
                std::iter::once(c.get_name().to_string())
                    .chain(c.get_all_aliases().map(str::to_string))
            })
            .collect();
        let mut listed = builtin_names();
        from_clap.sort();
        listed.sort();
        assert_eq!(
            listed, from_clap,
            "BUILTIN_COMMANDS must list every built-in command and alias"
        );
    }

    #[test]
    fn a_task_line_parses_as_the_whole_tree_parses_it() {
        let lines: &[&[&str]] = &[
            &["xtask", "noop"],
            &["xtask"],
            &["xtask", "--list"],
            &["xtask", "-C", "/tmp", "-l", "--json"],
            &["xtask", "-C", "/tmp", "noop", "--dry-run", "a", "-v"],
            &[
                "xtask",
                "-n",
                "--env",
                "testing",
                "-vv",
                "--jobs",
                "3",
                "build-all",
                "--",
                "x",
            ],
            &[
                "xtask", "--json", "-y", "--color", "never", "start", "--help",
            ],
        ];
        for line in lines {
            let whole = Cli::from_arg_matches(&Cli::command().try_get_matches_from(*line).unwrap())
                .unwrap();
            let task =
                Cli::from_arg_matches(&TaskLine::command().try_get_matches_from(*line).unwrap())
                    .unwrap();
            assert_eq!(format!("{whole:?}"), format!("{task:?}"), "{line:?}");
        }
    }

    #[test]
    fn whatever_the_task_line_accepts_the_whole_tree_reads_the_same() {
        let lines: &[&[&str]] = &[
            &["xtask", "--", "noop"],
            &["xtask", "noop", "--", "-x", "--help"],
            &["xtask", "-C", "-weird", "noop"],
            &["xtask", "--env=", "noop"],
            &["xtask", "-vvvv", "-q", "noop"],
            &["xtask", "--jobs", "0", "noop"],
            &["xtask", "--bogus", "noop"],
            &["xtask", "-", "noop"],
            &["xtask", "no op", "$(rm -rf /)"],
            &["xtask", "--version"],
            &["xtask", "-h"],
        ];
        for line in lines {
            let Ok(matches) = TaskLine::command().try_get_matches_from(*line) else {
                continue;
            };
            if matches
                .subcommand_name()
                .is_some_and(|n| BUILTIN_COMMANDS.contains(&n))
            {
                continue;
            }
            let task = Cli::from_arg_matches(&matches).map(|cli| format!("{cli:?}"));
            let whole = Cli::command()
                .try_get_matches_from(*line)
                .and_then(|m| Cli::from_arg_matches(&m))
                .map(|cli| format!("{cli:?}"));
            assert_eq!(whole.ok(), task.ok(), "{line:?}");
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_json_commands_are_listed_as_they_are_named() {
        let names = builtin_names();
        for name in JSON_COMMANDS {
            assert!(names.iter().any(|n| n == name), "{name}");
            let cli = Cli::try_parse_from(["xtask", name]).expect("parses");
            assert!(cli.command.is_some_and(|c| c.has_json()), "{name}");
        }
    }

    #[test]
    fn jobs_are_bounded_when_parsed() {
        for bad in ["0", "1025", "4611686018427387904", "-1"] {
            let error =
                Cli::try_parse_from(["xtask", "--jobs", bad, "env"]).expect_err("out of range");
            assert_eq!(error.exit_code(), 2, "{bad}: {error}");
        }
        let cli = Cli::try_parse_from(["xtask", "-j", "1024", "env"]).expect("in range");
        assert_eq!(cli.global.jobs, Some(1024));
    }

    #[test]
    fn every_command_has_an_example() {
        for command in Cli::command().get_subcommands() {
            let help = command
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.contains("cargo xtask"),
                "`{}` has no example in its --help",
                command.get_name()
            );
        }
    }
}
