//! `xtask completions SHELL`: shell completion that asks the binary, so it
//! knows the project's tasks, services, repos, images and environments as
//! they are now; `--static` prints a script fixed at the time it is made.
//!
//! The shell calls back `COMPLETE=SHELL xtask -- WORDS` (clap_complete's
//! environment protocol): [`answer_completion_request`] answers it before
//! anything else runs, from the two config files and the compose files
//! only. It writes nothing, runs nothing, and without a configuration it
//! offers the built-in commands alone.

use clap_complete::env::EnvCompleter;

use crate::commands::Context;
use crate::error::Result;

mod candidates;
mod fixed_script;

/// Print a shell completion script (it asks xtask for the project's tasks and services)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  echo 'source <(cargo xtask completions bash)' >> ~/.bashrc
  echo 'source <(cargo xtask completions zsh)' >> ~/.zshrc
  cargo xtask completions fish > ~/.config/fish/completions/xtask.fish
  cargo xtask completions bash --static > ~/.local/share/bash-completion/completions/xtask

The script completes the `xtask` binary (target/debug/xtask, or an alias
`alias xtask='cargo xtask'`) by asking it, so tasks and services are
always current. `--static` prints a script that needs no call back; it
goes stale when tasks or services change.")]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// A script with today's tasks and services written in (re-generate it when they change)
    #[arg(long = "static")]
    pub fixed: bool,
}

/// The variable of clap_complete's protocol: `COMPLETE=bash xtask -- WORDS`.
const PROTOCOL_VAR: &str = "COMPLETE";

/// Answers a shell's completion request (`COMPLETE=SHELL`, see the module
/// doc) and exits 0; returns at once, having read one variable, otherwise.
pub fn answer_completion_request() {
    clap_complete::CompleteEnv::with_factory(candidates::completing_command)
        .var(PROTOCOL_VAR)
        .bin("xtask")
        .complete();
}

/// The commands whose positional arguments name services.
pub(super) const SERVICE_COMMANDS: [&str; 10] = [
    "logs", "up", "stop", "restart", "build", "run", "shell", "exec", "debug", "open",
];

/// The commands whose positional arguments name repos.
pub(super) const REPO_COMMANDS: [&str; 2] = ["update", "status"];

/// The environments `--env` completes.
pub(super) fn environment_names(workspace: &crate::config::Workspace) -> Vec<String> {
    workspace
        .tasks
        .environments
        .keys()
        .map(|k| k.get_ref().clone())
        .collect()
}

/// The repos `update` and `status` complete.
pub(super) fn repo_names(workspace: &crate::config::Workspace) -> Vec<String> {
    workspace
        .repos
        .repos
        .iter()
        .map(|r| r.name.get_ref().clone())
        .collect()
}

/// `sub` with `attach` (candidates, or a parser of possible values) on
/// its argument that names services (`test`: those with a test
/// configuration). mut_arg re-appends an argument: positions are pinned again.
pub(super) fn with_service_argument(
    command: clap::Command,
    sub: &str,
    attach: impl FnOnce(clap::Arg) -> clap::Arg,
) -> clap::Command {
    match sub {
        "exec" => command
            .mut_arg("service", |a| attach(a).index(1))
            .mut_arg("command", |a| a.index(2)),
        // The service is the first of `run`'s words.
        "run" => command.mut_arg("words", |a| attach(a).index(1)),
        "shell" | "debug" | "open" => command.mut_arg("service", |a| attach(a).index(1)),
        "test" => command
            .mut_arg("services", |a| attach(a).index(1))
            .mut_arg("args", |a| a.index(2)),
        _ => command.mut_arg("services", attach),
    }
}

/// The services `test` completes: those with a test configuration.
pub(super) fn tested_services(workspace: &crate::config::Workspace) -> Vec<String> {
    workspace
        .tasks
        .services
        .iter()
        .filter(|(_, spec)| spec.test.is_some())
        .map(|(name, _)| name.get_ref().clone())
        .collect()
}

impl CompletionsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        if self.fixed {
            return print_static(self.shell, ctx);
        }
        let shell: &dyn EnvCompleter = match self.shell {
            clap_complete::Shell::Bash => &clap_complete::env::Bash,
            clap_complete::Shell::Elvish => &clap_complete::env::Elvish,
            clap_complete::Shell::Fish => &clap_complete::env::Fish,
            clap_complete::Shell::PowerShell => &clap_complete::env::Powershell,
            clap_complete::Shell::Zsh => &clap_complete::env::Zsh,
            _ => return print_static(self.shell, ctx),
        };
        // The shell calls this very binary back, wherever it was started from.
        let completer = std::env::current_exe()
            .map(|path| path.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "xtask".to_string());
        let mut script = Vec::new();
        shell
            .write_registration(PROTOCOL_VAR, "xtask", "xtask", &completer, &mut script)
            .map_err(anyhow::Error::from)?;
        crate::out!("{}", String::from_utf8_lossy(&script));
        Ok(())
    }
}

/// Prints the static script of `shell` with today's names in it.
fn print_static(shell: clap_complete::Shell, ctx: &Context) -> Result<()> {
    let script = fixed_script::script(shell, ctx.workspace().ok(), ctx.services().ok());
    crate::out!("{script}");
    Ok(())
}
