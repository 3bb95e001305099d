//! The one interpreter of plans: prints a [`Plan`] for `--dry-run` (from
//! its `Display`) and otherwise carries out its steps in order, stopping at
//! the first failure. Commands build plans; this runs them.

mod lanes;
mod test_run;

use std::path::Path;

use crate::error::{Error, Result};
use crate::exec;
use crate::plan::test_plan::TestPlan;
use crate::plan::{CommandStep, EnteredService, FileAction, Place, Plan, RepoMove, Step};
use crate::repos::recorded_head::{self, Moved, RecordedHead};
use crate::setup::file_action;
use crate::testing::summary::Summary;
use crate::ui::{sanitize_for_terminal, Ui};

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
            Step::KeepAside { path, aside } => self.keep_aside(path, aside),
            Step::Confirm { question } | Step::ConfirmFor { question, .. } => {
                if self.ui.confirm(question, self.yes)? {
                    Ok(())
                } else {
                    Err(Error::Declined)
                }
            }
            Step::Run(command) => self.run(command),
            Step::File { action, inside } => self.file(action, inside.as_deref()),
            Step::Parallel { lanes, jobs } => {
                lanes::run(lanes, self.ui, *jobs).map_err(|failed| self.lane_failed(failed))
            }
            Step::Tests(tests) => self.tests(tests),
            Step::WriteFile { path, text, what } => write_file(path, text, what),
            Step::RemoveFiles { paths } => remove_files(paths),
            Step::Layout { root } => self.layout(root),
            Step::Status { verb, message, .. } => {
                self.ui.status(verb, message);
                Ok(())
            }
            Step::MoveRepo(repo) => self.move_repo(repo),
            Step::WriteText { path, text, what } => {
                crate::atomic_file::write(&path.path, text).map_err(|e| {
                    Error::Other(anyhow::Error::from(e).context(format!("cannot write {path}")))
                })?;
                self.ui.verbose(format!("wrote {path} ({what})"));
                Ok(())
            }
            Step::Remove { path } => remove(path),
        }
    }

    /// A [`Step::MoveRepo`]: the move done whole (interrupts deferred),
    /// then an interrupt that came meanwhile stops the plan.
    fn move_repo(&self, repo: &RepoMove) -> Result<()> {
        let wanted = RecordedHead {
            branch: repo.branch.clone(),
            commit: repo.commit.clone(),
            dirty: false,
        };
        let moved = {
            let _deferred = exec::defer_interrupts();
            recorded_head::move_to(&repo.path.path, &wanted)
        };
        match moved {
            Ok(Moved::Already) => self.ui.status(
                "Unchanged",
                format!("{} ({}): {}", repo.name, repo.path, wanted.describe()),
            ),
            Ok(Moved::From(from)) => self.ui.status(
                "Moved",
                format!(
                    "{} ({}) from {from} to {}",
                    repo.name,
                    repo.path,
                    wanted.describe()
                ),
            ),
            Err(error) => {
                return Err(Error::Other(anyhow::anyhow!(
                    "{} ({}): {error}; nothing after it was done",
                    repo.name,
                    repo.path
                )))
            }
        }
        match exec::interrupt_signal() {
            Some(signal) => Err(Error::Child {
                command: format!("move of {}", repo.name),
                code: 128 + signal,
            }),
            None => Ok(()),
        }
    }

    /// Runs a test plan, prints its summary, and fails when a phase did
    /// (or the user interrupted the run).
    fn tests(&self, tests: &TestPlan) -> Result<()> {
        let summary = Summary {
            rows: test_run::run(tests, self.ui),
        };
        summary.print();
        if let Some(signal) = exec::interrupt_signal() {
            return Err(Error::Child {
                command: "test".into(),
                code: 128 + signal,
            });
        }
        let failures = summary.failures();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::Other(anyhow::anyhow!(
                "{} failed: {}",
                crate::ui::plural(failures.len(), "phase", "phases"),
                failures.join(", ")
            )))
        }
    }

    /// Says how a lane failed (or that the user interrupted it) and
    /// returns the child's exit code as the error's.
    fn lane_failed(&self, failed: lanes::LaneFailure) -> Error {
        if let Some(signal) = exec::interrupt_signal() {
            self.ui.error(format!(
                "interrupted by {} during task `{}`: nothing more was started",
                signal_name(signal),
                sanitize_for_terminal(&failed.lane)
            ));
            return Error::Child {
                command: failed.step,
                code: 128 + signal,
            };
        }
        let why = match &failed.error {
            Some(error) => error.to_string(),
            None => format!("`{}` exited with code {}", failed.step, failed.code),
        };
        self.ui.error(format!(
            "task `{}` failed (exit code {}): {}",
            sanitize_for_terminal(&failed.lane),
            failed.code,
            sanitize_for_terminal(&why)
        ));
        if let Some(entered) = &failed.enters {
            self.say_if_stopped(entered, failed.code);
        }
        Error::Child {
            command: failed.step,
            code: failed.code,
        }
    }

    /// A [`Step::Layout`]: planned now, applied, each outcome reported;
    /// a failed action fails the step.
    fn layout(&self, root: &Path) -> Result<()> {
        use crate::repos::layout;
        let workspace = crate::config::Workspace::load(root)?;
        let actions = layout::plan(root, &workspace.repos, false);
        let outcomes = layout::apply(root, &actions);
        let errors = crate::repos::sync_progress::report_layout(self.ui, &actions, outcomes);
        match errors.first() {
            None => Ok(()),
            Some(first) => Err(Error::Other(anyhow::anyhow!(
                "the layout of {} is incomplete: {first}",
                root.display()
            ))),
        }
    }

    /// A [`Step::File`]: its paths checked against the root, then its file
    /// work (or its command and the files it must make), then what was done.
    fn file(&self, action: &FileAction, inside: Option<&Path>) -> Result<()> {
        if let Some(root) = inside {
            for place in action.places() {
                file_action::check_inside(root, place).map_err(|e| stopped(&e))?;
            }
        }
        let (verb, what) = match action {
            FileAction::Done(what) => {
                self.ui.verbose(format!("done: {what}"));
                return Ok(());
            }
            FileAction::Kept { path, why } => {
                self.ui.warn(format!("kept {path}: {why}"));
                return Ok(());
            }
            FileAction::Chown {
                path,
                owner,
                as_root: false,
            } => {
                self.ui.note(format!(
                    "not running as root: the owner of {path} is left as it is; as root, run: chown {owner} -- {}",
                    shell_words::quote(&path.path.to_string_lossy())
                ));
                return Ok(());
            }
            FileAction::Produce {
                name,
                makes,
                command,
                ..
            } => return self.produce(name, makes, command, inside),
            FileAction::Chown { path, owner, .. } => ("Owned", format!("{path} by {owner}")),
            FileAction::CreateFolder { path, .. } => ("Created", path.to_string()),
            FileAction::SetMode { path, mode } => ("Mode", format!("{path} {mode:04o}")),
            FileAction::Copy {
                from,
                to,
                backup: None,
                ..
            } => ("Copied", format!("{from} to {to}")),
            FileAction::Copy {
                from,
                to,
                backup: Some(backup),
                ..
            } => (
                "Replaced",
                format!("{to} with {from} (the old file is {backup})"),
            ),
            FileAction::MoveAside { path, backup } => ("Kept", format!("{path} as {backup}")),
        };
        file_action::apply(action).map_err(|e| stopped(&e))?;
        self.ui.status(verb, what);
        Ok(())
    }

    /// A one-time step: its command, then the files it must have made,
    /// still inside the root.
    fn produce(
        &self,
        name: &str,
        makes: &[Place],
        command: &CommandStep,
        inside: Option<&Path>,
    ) -> Result<()> {
        self.ui.status("Running", format!("step {name}"));
        self.run(command)?;
        let made: Vec<String> = makes.iter().map(ToString::to_string).collect();
        let missing: Vec<&str> = makes
            .iter()
            .zip(&made)
            .filter(|(place, _)| place.path.symlink_metadata().is_err())
            .map(|(_, shown)| shown.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Error::usage_with_help(
                format!(
                    "step {name} succeeded but did not make {}",
                    missing.join(", ")
                ),
                "fix `creates` in [[init.step]] (the files the command writes), or the command",
            ));
        }
        if let Some(root) = inside {
            for place in makes {
                file_action::check_inside(root, place)
                    .map_err(|e| stopped(&format!("step {name}: {e}")))?;
            }
        }
        self.ui.status("Made", made.join(", "));
        Ok(())
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
            if let Some(entered) = &command.enters {
                self.say_if_stopped(entered, code);
            }
            return Err(Error::Child {
                command: command.to_string(),
                code,
            });
        }
        Ok(())
    }

    /// After a step that entered a service failed with `code`: when its
    /// probe says it has no running container now, it stopped while the
    /// step ran (its code reloaded into a crash, a `down` elsewhere), which
    /// the step's own error (compose's "is not running", a killed command)
    /// hides. A command killed by SIGKILL (137) is what a container's end
    /// does to it, and the engine reports that end a moment later: for that
    /// code only, the probe is asked again for up to two seconds.
    fn say_if_stopped(&self, entered: &EnteredService, code: i32) {
        let EnteredService { service, probe } = entered;
        if exec::interrupted() {
            return;
        }
        let stopped =
            || exec::capture(probe).is_ok_and(|out| out.success() && out.stdout.trim().is_empty());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut now_stopped = stopped();
        while !now_stopped && code == 137 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            now_stopped = stopped();
        }
        if now_stopped {
            self.ui.note(format!(
                "the `{service}` service stopped while this ran (it has no running container now): start it again (`cargo xtask up {service}`), or leave it stopped and a one-off container is used; then run this again"
            ));
        }
    }
}

/// `SIGINT` for 2: how the user knows the signal.
fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGQUIT => "SIGQUIT".into(),
        other => format!("signal {other}"),
    }
}

/// A file step that failed: what was done before it stays done.
fn stopped(why: &dyn std::fmt::Display) -> Error {
    Error::Other(anyhow::anyhow!(
        "init stopped: {why}; nothing after this was done"
    ))
}

/// A [`Step::Remove`]: the file, or the folder and what it holds.
fn remove(path: &Place) -> Result<()> {
    let removed = match path.path.symlink_metadata() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&path.path),
        _ => std::fs::remove_file(&path.path),
    };
    removed
        .map_err(|e| Error::Other(anyhow::Error::from(e).context(format!("cannot remove {path}"))))
}

/// Writes a [`Step::Record`]: the fields, plus a query's output (masked).
/// A [`Step::WriteFile`]: its folder made, then the file written whole.
fn write_file(path: &Path, text: &str, what: &str) -> Result<()> {
    let cannot = |e: std::io::Error| {
        Error::Other(
            anyhow::Error::from(e).context(format!("cannot write {} ({what})", path.display())),
        )
    };
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(cannot)?;
    }
    crate::atomic_file::write(path, text).map_err(cannot)
}

/// A [`Step::RemoveFiles`]: a file already gone is no failure.
fn remove_files(paths: &[std::path::PathBuf]) -> Result<()> {
    for path in paths {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::Other(
                    anyhow::Error::from(e).context(format!("cannot remove {}", path.display())),
                ))
            }
        }
    }
    Ok(())
}

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
