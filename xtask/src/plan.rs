//! Plans: what a command will do, built as data before anything runs.
//! `--dry-run` prints a plan; tests assert on plans; [`crate::exec`] runs them.

use std::fmt;
use std::path::PathBuf;

/// A list of steps run in order; the first failing step stops the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

/// One thing a plan does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Run a program.
    Run(CommandStep),
    /// Ask the user; a "no" stops the plan before the steps that follow.
    Confirm { question: String },
    /// A line for the user, printed when the step is reached (and in dry runs).
    Note(String),
}

/// A child process: argv (never a shell string), directory, environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandStep {
    pub argv: Vec<String>,
    /// Working directory; `None` is the current one.
    pub dir: Option<PathBuf>,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// Variables of the environment (its env files and `env`), set before
    /// `env`. Not printed: env files hold secrets; plans name their source.
    pub context_env: Vec<(String, String)>,
    /// Exit codes, besides 0, that do not fail the plan.
    pub ok_codes: Vec<i32>,
    /// Run (output captured) when the user interrupted this command: stops
    /// what the signal cannot reach, such as a command `exec`'d in a container.
    pub on_interrupt: Option<Box<CommandStep>>,
}

impl CommandStep {
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            dir: None,
            env: Vec::new(),
            context_env: Vec::new(),
            ok_codes: Vec::new(),
            on_interrupt: None,
        }
    }

    pub fn on_interrupt(mut self, step: CommandStep) -> Self {
        self.on_interrupt = Some(Box::new(step));
        self
    }

    /// The line a plan prints under this command for its `on_interrupt`.
    pub fn on_interrupt_line(&self) -> Option<String> {
        self.on_interrupt
            .as_ref()
            .map(|step| format!("# on interrupt: {step}"))
    }

    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }
}

impl Plan {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, step: Step) -> &mut Self {
        self.steps.push(step);
        self
    }

    pub fn run(&mut self, command: CommandStep) -> &mut Self {
        self.push(Step::Run(command))
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Quotes an argv for display so that it can be pasted into a POSIX shell.
pub fn shell_line(argv: &[String]) -> String {
    shell_words::join(argv)
}

impl fmt::Display for CommandStep {
    /// The command as a pasteable shell line, credentials in URLs masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        if let Some(dir) = &self.dir {
            line.push_str(&format!(
                "(cd {} && ",
                shell_words::quote(&dir.to_string_lossy())
            ));
        }
        for (key, value) in &self.env {
            line.push_str(&format!("{key}={} ", shell_words::quote(value)));
        }
        line.push_str(&shell_line(&self.argv));
        if self.dir.is_some() {
            line.push(')');
        }
        f.write_str(&crate::mask::text(&line))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Run(command) => {
                write!(f, "{command}")?;
                match command.on_interrupt_line() {
                    Some(line) => write!(f, "\n{line}"),
                    None => Ok(()),
                }
            }
            Step::Confirm { question } => write!(f, "# confirm: {question}"),
            Step::Note(text) => write!(f, "# {text}"),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            writeln!(f, "{step}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_prints_as_pasteable_shell_lines() {
        let mut plan = Plan::new();
        plan.push(Step::Confirm {
            question: "Drop the database?".into(),
        });
        plan.run(
            CommandStep::new([
                "docker",
                "compose",
                "run",
                "--rm",
                "portal",
                "sh",
                "-c",
                "echo hi there",
            ])
            .dir("/env")
            .env("ENVIRONMENT", "testing"),
        );
        assert_eq!(
            plan.to_string(),
            "# confirm: Drop the database?\n(cd /env && ENVIRONMENT=testing docker compose run --rm portal sh -c 'echo hi there')\n"
        );
    }
}
