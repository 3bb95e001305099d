//! `xtask completions SHELL`: completion scripts that know the project's tasks and services.

use clap::builder::PossibleValuesParser;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::commands::Context;
use crate::error::Result;
use crate::tasks::catalog;

/// Print a shell completion script (includes the project's tasks and services)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask completions bash > ~/.local/share/bash-completion/completions/xtask
  cargo xtask completions zsh > ~/.zfunc/_xtask
  cargo xtask completions fish > ~/.config/fish/completions/xtask.fish

The script completes the `xtask` binary (target/debug/xtask, or an alias
`alias xtask='cargo xtask'`). Re-generate it when tasks or services change.")]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl CompletionsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let mut command = Cli::command().bin_name("xtask");
        if let Ok(workspace) = ctx.workspace() {
            for (name, spec) in catalog::in_order(&workspace.tasks) {
                if spec.hide {
                    continue;
                }
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
            if let Ok(services) = ctx.services() {
                if !services.is_empty() {
                    for sub in ["run", "shell", "exec"] {
                        let services = services.clone();
                        command = command.mut_subcommand(sub, |c| {
                            // mut_arg re-appends the argument: pin the positions again.
                            let c = c.mut_arg("service", |a| {
                                a.value_parser(PossibleValuesParser::new(services)).index(1)
                            });
                            if sub == "shell" {
                                c
                            } else {
                                c.mut_arg("command", |a| a.index(2))
                            }
                        });
                    }
                }
            }
        }
        // Into memory first: `generate` panics when its writer fails.
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut command, "xtask", &mut script);
        crate::out!("{}", String::from_utf8_lossy(&script));
        Ok(())
    }
}
