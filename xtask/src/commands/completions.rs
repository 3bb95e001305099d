//! `xtask completions SHELL`: shell completion that asks the binary, so it
//! knows the project's tasks, services, repos, images and environments as
//! they are now; `--static` prints a script fixed at the time it is made.
//!
//! The shell calls back `COMPLETE=SHELL xtask -- WORDS` (clap_complete's
//! environment protocol): [`answer_completion_request`] answers it before
//! anything else runs, from the two config files and the compose files
//! only. It writes nothing, runs nothing, and without a configuration it
//! offers the built-in commands alone.

use clap::builder::PossibleValuesParser;
use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::EnvCompleter;

use crate::cli::Cli;
use crate::commands::Context;
use crate::config::Workspace;
use crate::error::Result;
use crate::tasks::catalog;

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
    clap_complete::CompleteEnv::with_factory(completing_command)
        .var(PROTOCOL_VAR)
        .bin("xtask")
        .complete();
}

/// The configuration as completion sees it: `XTASK_ROOT`, else the nearest
/// folder upwards with tasks.toml; parsed, not validated. `None` offers
/// nothing of the project.
fn workspace_for_completion() -> Option<Workspace> {
    let root = match std::env::var_os("XTASK_ROOT").filter(|v| !v.is_empty()) {
        Some(root) => std::path::absolute(root).ok()?,
        None => Workspace::discover(&std::env::current_dir().ok()?).ok()?,
    };
    Workspace::load(&root).ok()
}

/// The services of the environment `.env` or the default names, by our
/// own reading of the compose files (no Compose CLI, no engine).
fn services_for_completion(workspace: &Workspace) -> Vec<String> {
    let mut names = crate::compose::environment::resolve(workspace, None, false)
        .map(|environment| {
            crate::compose::files::services_in(&crate::compose::files::effective_files(
                &workspace.root,
                &environment.compose_files,
            ))
        })
        .unwrap_or_default();
    for name in workspace.tasks.services.keys() {
        if !names.contains(name.get_ref()) {
            names.push(name.get_ref().clone());
        }
    }
    names
}

/// `values` as the completion candidates of an argument.
fn candidates(values: &[String]) -> ArgValueCandidates {
    let values = values.to_vec();
    ArgValueCandidates::new(move || values.iter().map(CompletionCandidate::new).collect())
}

/// `Cli` with the project's tasks as subcommands and its names as the
/// candidates of the arguments that take them.
fn completing_command() -> clap::Command {
    let command = Cli::command().bin_name("xtask");
    let Some(workspace) = workspace_for_completion() else {
        return command;
    };
    let mut command = command;
    for (name, spec) in catalog::in_order(&workspace.tasks) {
        let mut sub = clap::Command::new(name.to_string())
            .about(spec.description.clone().unwrap_or_default())
            .hide(spec.hide)
            .arg(clap::Arg::new("args").num_args(0..).trailing_var_arg(true));
        if let Some(alias) = &spec.alias {
            sub = sub.aliases(alias.get_ref().names().iter().map(|a| a.to_string()));
        }
        command = command.subcommand(sub);
    }
    let environments: Vec<String> = workspace
        .tasks
        .environments
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    command = command.mut_arg("environment", |a| a.add(candidates(&environments)));
    let repos: Vec<String> = workspace
        .repos
        .repos
        .iter()
        .map(|r| r.name.get_ref().clone())
        .collect();
    for sub in REPO_COMMANDS {
        command =
            command.mut_subcommand(sub, |c| c.mut_arg("names", |a| a.add(candidates(&repos))));
    }
    let services = services_for_completion(&workspace);
    for sub in SERVICE_COMMANDS {
        let services = candidates(&services);
        command = command.mut_subcommand(sub, |c| match sub {
            // mut_arg re-appends the argument: pin the positions again.
            "exec" => c
                .mut_arg("service", |a| a.add(services).index(1))
                .mut_arg("command", |a| a.index(2)),
            "run" => c.mut_arg("words", |a| a.add(services).index(1)),
            "shell" | "debug" | "open" => c.mut_arg("service", |a| a.add(services).index(1)),
            _ => c.mut_arg("services", |a| a.add(services)),
        });
    }
    let tested: Vec<String> = workspace
        .tasks
        .services
        .iter()
        .filter(|(_, spec)| spec.test.is_some())
        .map(|(name, _)| name.get_ref().clone())
        .collect();
    command = command.mut_subcommand("test", |c| {
        c.mut_arg("services", |a| a.add(candidates(&tested)).index(1))
            .mut_arg("args", |a| a.index(2))
    });
    let mut topics: Vec<String> = crate::cli::builtin_names();
    topics.extend(
        catalog::in_order(&workspace.tasks)
            .into_iter()
            .filter(|(_, spec)| !spec.hide)
            .map(|(name, _)| name.to_string()),
    );
    command = command.mut_subcommand("help", |c| {
        c.mut_arg("name", |a| a.add(candidates(&topics)))
    });
    let images: Vec<String> = workspace
        .tasks
        .images
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    command = command.mut_subcommand("images", |c| {
        c.mut_subcommand("build", |b| {
            b.mut_arg("images", |a| a.add(candidates(&images)))
        })
        .mut_subcommand("tag", |t| {
            t.mut_arg("images", |a| a.add(candidates(&images)))
        })
    });
    command
}

/// The commands whose positional arguments name services.
const SERVICE_COMMANDS: [&str; 10] = [
    "logs", "up", "stop", "restart", "build", "run", "shell", "exec", "debug", "open",
];

/// The commands whose positional arguments name repos.
const REPO_COMMANDS: [&str; 2] = ["update", "status"];

impl CompletionsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        if self.fixed {
            return self.print_static(ctx);
        }
        let shell: &dyn EnvCompleter = match self.shell {
            clap_complete::Shell::Bash => &clap_complete::env::Bash,
            clap_complete::Shell::Elvish => &clap_complete::env::Elvish,
            clap_complete::Shell::Fish => &clap_complete::env::Fish,
            clap_complete::Shell::PowerShell => &clap_complete::env::Powershell,
            clap_complete::Shell::Zsh => &clap_complete::env::Zsh,
            _ => return self.print_static(ctx),
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

    /// The script of clap_complete's generators with today's names in it.
    fn print_static(self, ctx: &Context) -> Result<()> {
        let mut command = Cli::command().bin_name("xtask");
        // `(command, values)` of positional arguments, for fish (below).
        let mut positional: Vec<(&str, Vec<String>)> = Vec::new();
        // Every built-in command's name, for `help NAME`.
        let mut help_names: Vec<String> = command
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        if let Ok(workspace) = ctx.workspace() {
            for (name, spec) in catalog::in_order(&workspace.tasks) {
                if spec.hide {
                    continue;
                }
                help_names.push(name.to_string());
                let mut sub = clap::Command::new(name.to_string())
                    .about(spec.description.clone().unwrap_or_default())
                    .arg(clap::Arg::new("args").num_args(0..).trailing_var_arg(true));
                if let Some(alias) = &spec.alias {
                    sub = sub.visible_aliases(
                        alias
                            .get_ref()
                            .names()
                            .iter()
                            .map(|a| a.to_string())
                            .collect::<Vec<_>>(),
                    );
                }
                command = command.subcommand(sub);
            }
            let environments: Vec<String> = workspace
                .tasks
                .environments
                .keys()
                .map(|k| k.get_ref().clone())
                .collect();
            if !environments.is_empty() {
                command = command.mut_arg("environment", |a| {
                    a.value_parser(PossibleValuesParser::new(environments))
                });
            }
            let repos: Vec<String> = workspace
                .repos
                .repos
                .iter()
                .map(|r| r.name.get_ref().clone())
                .collect();
            if !repos.is_empty() {
                for sub in REPO_COMMANDS {
                    positional.push((sub, repos.clone()));
                    let repos = repos.clone();
                    command = command.mut_subcommand(sub, |c| {
                        c.mut_arg("names", |a| {
                            a.value_parser(PossibleValuesParser::new(repos))
                        })
                    });
                }
            }
            if let Ok(services) = ctx.services() {
                if !services.is_empty() {
                    for sub in SERVICE_COMMANDS {
                        positional.push((sub, services.clone()));
                        let services = services.clone();
                        command = command.mut_subcommand(sub, |c| {
                            let parser = PossibleValuesParser::new(services);
                            match sub {
                                // mut_arg re-appends the argument: pin the positions again.
                                "exec" => c
                                    .mut_arg("service", |a| a.value_parser(parser).index(1))
                                    .mut_arg("command", |a| a.index(2)),
                                // The service is the first of `run`'s words.
                                "run" => c.mut_arg("words", |a| a.value_parser(parser).index(1)),
                                "shell" | "debug" | "open" => {
                                    c.mut_arg("service", |a| a.value_parser(parser).index(1))
                                }
                                _ => c.mut_arg("services", |a| a.value_parser(parser)),
                            }
                        });
                    }
                }
            }
            // `test` completes the services that have a test configuration.
            let tested: Vec<String> = workspace
                .tasks
                .services
                .iter()
                .filter(|(_, spec)| spec.test.is_some())
                .map(|(name, _)| name.get_ref().clone())
                .collect();
            if !tested.is_empty() {
                positional.push(("test", tested.clone()));
                // mut_arg re-appends the argument: pin the positions again.
                command = command.mut_subcommand("test", |c| {
                    c.mut_arg("services", |a| {
                        a.value_parser(PossibleValuesParser::new(tested)).index(1)
                    })
                    .mut_arg("args", |a| a.index(2))
                });
            }
        }
        positional.push(("help", help_names.clone()));
        command = command.mut_subcommand("help", |c| {
            c.mut_arg("name", |a| {
                a.value_parser(PossibleValuesParser::new(help_names))
            })
        });
        // Into memory first: `generate` panics when its writer fails.
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut command, "xtask", &mut script);
        let mut script = String::from_utf8_lossy(&script).into_owned();
        if self.shell == clap_complete::Shell::Fish {
            // clap_complete's fish script completes the values of options
            // only; these complete positional arguments too.
            for (sub, values) in positional {
                // fish splits `-a`'s text into words: quote any odd name.
                let plain = |v: &str| {
                    v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-:/@+".contains(c))
                };
                let values: Vec<String> = values
                    .iter()
                    .map(|v| if plain(v) { v.clone() } else { fish_quote(v) })
                    .collect();
                script.push_str(&format!(
                    "complete -c xtask -n \"__fish_xtask_using_subcommand {sub}\" -f -a {}\n",
                    fish_quote(&values.join(" "))
                ));
            }
        }
        crate::out!("{script}");
        Ok(())
    }
}

/// `text` as one single-quoted fish word.
fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}
