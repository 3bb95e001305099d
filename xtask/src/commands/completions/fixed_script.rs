//! `completions SHELL --static`: clap_complete's generated script with
//! today's tasks, services, repos and environments written in.

use clap::builder::PossibleValuesParser;
use clap::CommandFactory;

use super::{REPO_COMMANDS, SERVICE_COMMANDS};
use crate::cli::Cli;
use crate::config::Workspace;
use crate::tasks::catalog;

/// `(command, values)` of positional arguments, for fish.
type Positionals = Vec<(&'static str, Vec<String>)>;

/// The script for `shell`; the project's names when `workspace` loaded.
pub(super) fn script(
    shell: clap_complete::Shell,
    workspace: Option<&Workspace>,
    services: Option<Vec<String>>,
) -> String {
    let mut command = Cli::command().bin_name("xtask");
    let mut positional: Positionals = Vec::new();
    // Every built-in command's name, for `help NAME`.
    let mut help_names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    if let Some(workspace) = workspace {
        command = with_project(
            command,
            workspace,
            services,
            &mut positional,
            &mut help_names,
        );
    }
    positional.push(("help", help_names.clone()));
    command = command.mut_subcommand("help", |c| {
        c.mut_arg("name", |a| {
            a.value_parser(PossibleValuesParser::new(help_names))
        })
    });
    // Into memory first: `generate` panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "xtask", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Fish {
        fish_positionals(&mut script, positional);
    }
    script
}

/// `command` with the tasks as subcommands and the project's names as the
/// values of the arguments that take them.
fn with_project(
    mut command: clap::Command,
    workspace: &Workspace,
    services: Option<Vec<String>>,
    positional: &mut Positionals,
    help_names: &mut Vec<String>,
) -> clap::Command {
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
    let environments = super::environment_names(workspace);
    if !environments.is_empty() {
        command = command.mut_arg("environment", |a| {
            a.value_parser(PossibleValuesParser::new(environments))
        });
    }
    let repos = super::repo_names(workspace);
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
    if let Some(services) = services {
        if !services.is_empty() {
            for sub in SERVICE_COMMANDS {
                positional.push((sub, services.clone()));
                let services = services.clone();
                command = command.mut_subcommand(sub, |c| {
                    super::with_service_argument(c, sub, |a| {
                        a.value_parser(PossibleValuesParser::new(services))
                    })
                });
            }
        }
    }
    // `test` completes the services that have a test configuration.
    let tested = super::tested_services(workspace);
    if !tested.is_empty() {
        positional.push(("test", tested.clone()));
        command = command.mut_subcommand("test", |c| {
            super::with_service_argument(c, "test", |a| {
                a.value_parser(PossibleValuesParser::new(tested))
            })
        });
    }
    command
}

/// clap_complete's fish script completes the values of options only;
/// these lines complete positional arguments too.
fn fish_positionals(script: &mut String, positional: Positionals) {
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

/// `text` as one single-quoted fish word.
fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}
