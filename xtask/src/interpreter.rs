//! The one interpreter of plans: prints a [`Plan`] for `--dry-run` (from
//! its `Display`) and otherwise carries out its steps in order, stopping at
//! the first failure. Commands build plans; this runs them.

use std::path::Path;

use crate::error::{Error, Result};
use crate::exec;
use crate::plan::{CommandStep, Plan, Step};
use crate::ui::Ui;

/// What a plan runs with: the terminal and the global flags that change
/// how steps are carried out.
pub struct Interpreter<'a> {
    pub ui: &'a Ui,
    /// Print the plan, run nothing.
    pub dry_run: bool,
    /// Answer yes/no confirmations with yes (never a typed one).
    pub yes: bool,
}

impl Interpreter<'_> {
    /// Carries out `plan`: in a dry run, prints it on stdout and runs
    /// nothing; otherwise runs each step in order and stops at the first
    /// failure, returning the child's exit code as the error's.
    pub fn execute(&self, plan: &Plan) -> Result<()> {
        if self.dry_run {
            crate::out!("{plan}");
            return Ok(());
        }
        // Locks taken by the plan, released when it ends however it ends.
        let mut locks = Vec::new();
        for step in &plan.steps {
            if let Step::Lock { path, what } = step {
                let lock = crate::state_lock::StateLock::try_acquire(path, what)
                    .map_err(|e| Error::Other(anyhow::Error::from(e)))?;
                locks.push(lock);
                continue;
            }
            self.step(step)?;
        }
        Ok(())
    }

    /// Carries out one step (a lock is the plan's: see [`Self::execute`]).
    fn step(&self, step: &Step) -> Result<()> {
        match step {
            Step::ConfirmTyped {
                question,
                expected,
                answer,
            } => self.confirm_typed(question, expected, answer.as_deref()),
            Step::Lock { .. } => Ok(()),
            Step::Record {
                path,
                fields,
                query,
            } => record(path, fields, query.as_ref()),
            Step::Note(text) => {
                self.ui.note(text);
                Ok(())
            }
            Step::TestZstd { path, progress } => exec::test_zstd(path, progress)
                .map(|_| ())
                .map_err(|e| {
                    Error::Other(anyhow::anyhow!(
                        "{e}; nothing was changed\n  = help: the file is damaged or incomplete: restore another backup"
                    ))
                }),
            Step::CheckSql {
                file,
                partial_ok,
                progress,
            } => Ok(exec::check_sql(file, *partial_ok, progress)?),
            Step::KeepAside { path, aside } => self.keep_aside(path, aside),
            Step::Confirm { question } => {
                if self.ui.confirm(question, self.yes)? {
                    Ok(())
                } else {
                    Err(Error::Declined)
                }
            }
            Step::Run(command) => self.run(command),
        }
    }

    fn confirm_typed(&self, question: &str, expected: &str, answer: Option<&str>) -> Result<()> {
        let confirmed = match answer {
            Some(answer) => answer == expected,
            // No one to type it: say what to pass (never "--yes").
            None if !self.ui.interactive => false,
            None => self.ui.confirm_typed(question, expected)?,
        };
        if confirmed {
            return Ok(());
        }
        Err(Error::usage_with_help(
            format!("`{expected}` was not confirmed: nothing was changed"),
            format!("type the name exactly, or pass --confirm {expected} (--yes alone is not enough in a protected environment)"),
        ))
    }

    fn keep_aside(&self, path: &Path, aside: &Path) -> Result<()> {
        // A second name costs nothing; a copy where links are not had.
        std::fs::hard_link(path, aside)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Err(e),
                _ => std::fs::copy(path, aside).map(|_| ()),
            })
            .map_err(|e| {
                Error::Other(anyhow::Error::from(e).context(format!(
                    "cannot keep {} as {}; nothing was changed",
                    path.display(),
                    aside.display()
                )))
            })?;
        self.ui
            .note(format!("kept {} as {}", path.display(), aside.display()));
        Ok(())
    }

    /// Runs a child in the foreground; a phase is said when it starts and
    /// timed when it ends.
    fn run(&self, command: &CommandStep) -> Result<()> {
        if self.ui.verbosity >= 1 {
            self.ui.command(command);
        }
        let started = std::time::Instant::now();
        if let Some(phase) = &command.phase {
            self.ui.status("Running", phase);
        }
        let code = exec::run_foreground(command)?;
        if let (Some(phase), 0) = (&command.phase, code) {
            self.ui.status(
                "Done",
                format!("{phase} ({})", crate::ui::seconds(started.elapsed())),
            );
        }
        if code != 0 && !command.ok_codes.contains(&code) {
            return Err(Error::Child {
                command: command.to_string(),
                code,
            });
        }
        Ok(())
    }
}

/// Writes a [`Step::Record`]: the fields, plus a query's output (masked).
fn record(
    path: &Path,
    fields: &[(String, String)],
    query: Option<&(String, CommandStep)>,
) -> Result<()> {
    let mut object = serde_json::Map::new();
    for (key, value) in fields {
        object.insert(
            key.clone(),
            serde_json::Value::String(crate::mask::text(value).into_owned()),
        );
    }
    if let Some((key, command)) = query {
        let out = exec::capture(command)?;
        let value = if out.success() {
            out.stdout.trim().to_string()
        } else {
            format!("unknown ({})", out.stderr.trim())
        };
        object.insert(
            key.clone(),
            serde_json::Value::String(crate::mask::text(&value).into_owned()),
        );
    }
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(object))
        .map_err(anyhow::Error::from)?;
    crate::atomic_file::write(path, &format!("{text}\n")).map_err(|e| {
        Error::Other(anyhow::Error::from(e).context(format!("cannot write {}", path.display())))
    })
}
