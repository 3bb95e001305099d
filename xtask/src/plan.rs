//! Plans: what a command will do, built as data before anything runs.
//! `--dry-run` prints a plan; tests assert on plans; [`crate::exec`] runs them.

pub mod test_plan;

use std::fmt;
use std::path::PathBuf;

use test_plan::TestPlan;

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
    /// Ask the user to type `expected` (a database name in a protected
    /// environment); `--yes` is not enough. `answer` is the one given on the
    /// command line (`--confirm NAME`), checked instead of asking.
    ConfirmTyped {
        question: String,
        expected: String,
        answer: Option<String>,
    },
    /// Take an OS file lock held until the plan ends; when another process
    /// holds it, stop, naming `what` and the holder's pid.
    Lock { path: PathBuf, what: String },
    /// Write a small JSON object to `path`: `fields`, plus `query.0` set to
    /// the trimmed output of the command `query.1` (run captured).
    Record {
        path: PathBuf,
        fields: Vec<(String, String)>,
        query: Option<(String, CommandStep)>,
    },
    /// Give `path` a second name `aside` (a hard link) before a step
    /// writes a new file over it: the old one is kept there.
    KeepAside { path: PathBuf, aside: PathBuf },
    /// File work (a folder, a copy, a mode, an owner) or a command that
    /// must make files; with `inside`, every path it touches must still be
    /// inside that root (links followed) just before it, since earlier
    /// steps change the disk.
    File {
        action: FileAction,
        inside: Option<PathBuf>,
    },
    /// Ask before anything runs, naming who asks (a task's `confirm`).
    ConfirmFor { by: String, question: String },
    /// Lanes (tasks) that need nothing of one another, run side by side, at
    /// most `jobs` at once, each line of their output prefixed by the lane's
    /// label; a lone lane runs in the foreground with the terminal. The
    /// first failure stops the others, and nothing starts after an interrupt.
    Parallel { lanes: Vec<Lane>, jobs: usize },
    /// A test run: phases, suites side by side behind their gates, the
    /// tear-down; its summary printed at the end, a failed phase failing it.
    Tests(Box<TestPlan>),
    /// Write a small file whole (folders made, atomically); its text is not
    /// shown (a copied `.env` holds secrets): `what` says what it holds.
    WriteFile {
        path: PathBuf,
        text: String,
        what: String,
    },
    /// Remove these files when they exist (a record the plan owns).
    RemoveFiles { paths: Vec<PathBuf> },
    /// The folders, links and copies of the repos.toml in `root` made as
    /// `update` makes them, read and planned when the step is reached
    /// (earlier steps made the file and the repos the links point into).
    Layout { root: PathBuf },
    /// A status line `verb message` when reached; `# shown` in a dry run.
    Status {
        verb: String,
        message: String,
        shown: String,
    },
    /// Move a repo to a recorded branch and commit under `update`'s rules
    /// (checked again just before), interrupts deferred until it is done.
    MoveRepo(RepoMove),
    /// Write `text` to `path` atomically (a temporary file, then a rename);
    /// a dry run names `what`, never the text.
    WriteText {
        path: Place,
        text: String,
        what: String,
    },
    /// Remove a file or a folder with what it holds (none there: done).
    Remove { path: Place },
}

/// What a [`Step::MoveRepo`] moves where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoMove {
    /// The repo's name in repos.toml.
    pub name: String,
    pub path: Place,
    /// `None`: detached at `commit`.
    pub branch: Option<String>,
    pub commit: String,
}

/// One lane of a [`Step::Parallel`]: a task's commands, run in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// The task's name, or the built-in's command line (`xtask update`).
    pub label: String,
    /// The labels of the lanes it runs after (shown in a dry run).
    pub after: Vec<String>,
    /// The environment the task pins, if it does (shown in a dry run).
    pub environment: Option<String>,
    /// Why it will not run (up to date), if so.
    pub skip: Option<String>,
    pub steps: Vec<CommandStep>,
}

impl Lane {
    /// The lane as a dry run shows it: its header, then its commands.
    fn write_to(&self, text: &mut String) {
        let after = if self.after.is_empty() {
            String::new()
        } else {
            format!(" (after {})", self.after.join(", "))
        };
        let header = match (&self.skip, &self.environment) {
            (Some(reason), _) => format!("# {}: skipped, {reason}", self.label),
            (None, Some(environment)) => {
                format!("# {}{after} (environment {environment})", self.label)
            }
            (None, None) => format!("# {}{after}", self.label),
        };
        text.push_str(&header);
        text.push('\n');
        if self.skip.is_some() {
            return;
        }
        for step in &self.steps {
            text.push_str(&step.to_string());
            text.push('\n');
            if let Some(line) = step.on_interrupt_line() {
                text.push_str(&line);
                text.push('\n');
            }
        }
    }
}

/// Writes `text` line by line with a task's escapes made visible (the
/// text's own line breaks stay).
fn write_sanitized(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let lines: Vec<_> = text.lines().map(crate::ui::sanitize_for_terminal).collect();
    f.write_str(&lines.join("\n"))
}

/// A path on disk and how it is shown: relative to the root when inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: PathBuf,
    pub shown: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shell_words::quote(&self.shown))
    }
}

/// One piece of file work of a [`Step::File`] (init's actions), or a
/// report that something is already in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAction {
    CreateFolder {
        path: Place,
        mode: Option<u32>,
    },
    SetMode {
        path: Place,
        mode: u32,
    },
    /// Shown as `chown OWNER -- PATH`; done when we are root, in process and
    /// on the entry itself (no link followed); otherwise printed for a root
    /// user to run.
    Chown {
        path: Place,
        owner: String,
        as_root: bool,
    },
    /// Copy `from` to `to`; with `backup`, `to` exists and is kept there first.
    Copy {
        from: Place,
        to: Place,
        mode: u32,
        backup: Option<Place>,
    },
    /// An existing file left alone (named, with why).
    Kept {
        path: Place,
        why: String,
    },
    /// An existing output of a step moved aside before the step runs again (`--force`).
    MoveAside {
        path: Place,
        backup: Place,
    },
    /// A one-time step's command, which must make `makes`.
    Produce {
        name: String,
        /// The service it runs in (`None`: on the host).
        service: Option<String>,
        makes: Vec<Place>,
        command: CommandStep,
    },
    /// Already in place: nothing to do.
    Done(String),
}

impl FileAction {
    /// Every path the action touches, checked again just before it runs.
    pub fn places(&self) -> Vec<&Place> {
        match self {
            FileAction::CreateFolder { path, .. }
            | FileAction::SetMode { path, .. }
            | FileAction::Chown { path, .. } => vec![path],
            FileAction::Copy { to, backup, .. } => std::iter::once(to).chain(backup).collect(),
            FileAction::MoveAside { path, backup } => vec![path, backup],
            FileAction::Produce { makes, .. } => makes.iter().collect(),
            FileAction::Kept { .. } | FileAction::Done(_) => Vec::new(),
        }
    }

    /// Whether the action changes something (as opposed to reporting).
    pub fn changes(&self) -> bool {
        !matches!(
            self,
            FileAction::Done(_)
                | FileAction::Kept { .. }
                | FileAction::Chown { as_root: false, .. }
        )
    }
}

impl fmt::Display for FileAction {
    /// A pasteable shell line where one exists, else a `#` comment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileAction::CreateFolder { path, mode: None } => write!(f, "mkdir -p -- {path}"),
            FileAction::CreateFolder {
                path,
                mode: Some(mode),
            } => write!(f, "mkdir -p -m {mode:04o} -- {path}"),
            FileAction::SetMode { path, mode } => write!(f, "chmod {mode:04o} -- {path}"),
            FileAction::Chown {
                path,
                owner,
                as_root: true,
            } => write!(f, "chown {owner} -- {path}"),
            FileAction::Chown {
                path,
                owner,
                as_root: false,
            } => write!(f, "# not root: run as root: chown {owner} -- {path}"),
            FileAction::Copy {
                from,
                to,
                mode,
                backup: None,
            } => write!(
                f,
                "# copy {from} to {to} (mode {mode:04o}; never over an existing file)"
            ),
            FileAction::Copy {
                from,
                to,
                mode,
                backup: Some(backup),
            } => write!(
                f,
                "# replace {to} with {from} (mode {mode:04o}; the old file kept as {backup})"
            ),
            FileAction::Kept { path, why } => write!(f, "# kept {path}: {why}"),
            FileAction::MoveAside { path, backup } => {
                write!(f, "mv -n -- {path} {backup}")
            }
            FileAction::Produce {
                name,
                makes,
                command,
                ..
            } => {
                let makes: Vec<String> = makes.iter().map(ToString::to_string).collect();
                write!(f, "# step {name} (makes {})\n{command}", makes.join(", "))?;
                match command.on_interrupt_line() {
                    Some(line) => write!(f, "\n{line}"),
                    None => Ok(()),
                }
            }
            FileAction::Done(what) => write!(f, "# done: {what}"),
        }
    }
}

/// How a file to load is compressed (decompressed on the host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// A file to stream into a loader, and how it is compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFile {
    pub path: PathBuf,
    pub compression: Compression,
}

impl fmt::Display for LoadFile {
    /// The shell command that reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = shell_words::quote(&self.path.to_string_lossy()).into_owned();
        match self.compression {
            Compression::None => write!(f, "cat -- {path}"),
            Compression::Gzip => write!(f, "gzip -dc -- {path}"),
            Compression::Zstd => write!(f, "zstd -dc -- {path}"),
        }
    }
}

/// A file streamed into a loader and then sealed: `seal` is sent after
/// its last byte only when all of it was read (decompressed whole, and,
/// with `sql`, read as psql will and passed). A loader that sees no seal
/// knows its input was cut or refused, even by a `kill -9` of xtask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedInput {
    pub file: LoadFile,
    /// Read as psql will ([`crate::sql_scanner`]) and refused, the stream
    /// stopped before the refused line: a meta-command or psql variable,
    /// or an end that does not show the file is whole (unless
    /// `partial_ok`); `Some(partial_ok)`.
    pub sql: Option<bool>,
    pub seal: String,
    /// Where the SHA-256 of the file's bytes (as stored, 64 hex digits) is
    /// written, atomically, once all of them were streamed and passed.
    pub digest_to: Option<PathBuf>,
    /// What the last line of what streamed (decompressed) must start with,
    /// if anything (mysqldump's `-- Dump completed`): without it no seal
    /// is sent, so a dump cut short inside a whole compressed file changes
    /// nothing either.
    pub completion: Option<String>,
    /// A MySQL-family dump whose InnoDB tables get their plain secondary
    /// keys after their rows (see [`crate::key_deferral`]).
    pub defer_keys: bool,
}

/// Where a child's stdin comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Input {
    /// Ours (the terminal, or whatever we were given).
    #[default]
    Inherit,
    /// This text (a psql script, for example).
    Text(String),
    /// A file, then its seal (see [`SealedInput`]).
    Sealed(Box<SealedInput>),
}

/// Where a child's stdout goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Output {
    /// Ours.
    #[default]
    Inherit,
    /// Ours, line by line through the masker: a listing that may quote
    /// secrets (`compose config` prints the environment's passwords).
    Masked,
    /// A file that appears only complete: written to a temporary file in
    /// the same folder, synced, and renamed over the path only when the
    /// child exited 0 and wrote something.
    File(PathBuf),
    /// As `File`, compressed with zstd on the host (with a checksum).
    Zstd(PathBuf),
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
    /// What the child reads.
    pub stdin: Input,
    /// Where the child's output goes.
    pub stdout: Output,
    /// A label for a byte count of the [`Input::Sealed`] file or [`Output::File`]
    /// it streams, shown (counted on the host) only when stderr is a
    /// terminal; never part of the stream or the plan.
    pub progress: Option<String>,
    /// What this step does, for a step that can take a while (a database's
    /// `init`): the executor says it when the step starts and how long it
    /// took when it ends, so a long silence is never a mystery.
    pub phase: Option<String>,
    /// The running service this step `exec`s into: when the step fails and
    /// the service no longer runs, the executor says it stopped while the
    /// step ran. Never part of the plan's text.
    pub enters: Option<Box<EnteredService>>,
}

/// A running service a step enters (see [`CommandStep::enters`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnteredService {
    pub service: String,
    /// A query printing nothing once the service has no running container.
    pub probe: CommandStep,
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
            stdin: Input::Inherit,
            stdout: Output::Inherit,
            progress: None,
            phase: None,
            enters: None,
        }
    }

    /// Marks the step as one that enters the running container of
    /// `service`, `probe` printing nothing once it no longer runs (see
    /// [`CommandStep::enters`]).
    pub fn entering(mut self, service: &str, probe: CommandStep) -> Self {
        self.enters = Some(Box::new(EnteredService {
            service: service.to_string(),
            probe,
        }));
        self
    }

    /// Names the step for the user while it runs (see [`CommandStep::phase`]).
    pub fn phase(mut self, label: impl Into<String>) -> Self {
        self.phase = Some(label.into());
        self
    }

    /// Shows the bytes streamed from or into a file as `label` when stderr
    /// is a terminal.
    pub fn progress(mut self, label: impl Into<String>) -> Self {
        self.progress = Some(label.into());
        self
    }

    /// Feeds `input` to the child's stdin.
    pub fn stdin(mut self, input: Input) -> Self {
        self.stdin = input;
        self
    }

    /// Sends the child's stdout to `output`.
    pub fn stdout(mut self, output: Output) -> Self {
        self.stdout = output;
        self
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
        if let Input::Sealed(sealed) = &self.stdin {
            if sealed.seal.is_empty() {
                // The file alone: nothing is sent after it.
                line.push_str(&format!("{} | ", sealed.file));
            } else {
                line.push_str(&format!("({}; echo <seal>) | ", sealed.file));
            }
        }
        for (key, value) in &self.env {
            line.push_str(&format!("{key}={} ", shell_words::quote(value)));
        }
        line.push_str(&shell_line(&self.argv));
        match &self.stdout {
            Output::Inherit | Output::Masked => {}
            Output::File(path) => line.push_str(&format!(
                " >{}",
                shell_words::quote(&path.to_string_lossy())
            )),
            // A comment, so the line stays one a shell runs as printed.
            Output::Zstd(path) => line.push_str(&format!(
                " >{}  # zstd on the host unless it arrives compressed",
                shell_words::quote(&path.to_string_lossy())
            )),
        }
        if self.dir.is_some() {
            line.push(')');
        }
        // A script reads as the heredoc it is.
        if let Input::Text(text) = &self.stdin {
            line.push_str(" <<'EOF'\n");
            line.push_str(text);
            if !text.ends_with('\n') {
                line.push('\n');
            }
            line.push_str("EOF");
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
            Step::ConfirmTyped {
                question, expected, ..
            } => write!(f, "# confirm by typing `{expected}`: {question}"),
            Step::Lock { path, what } => {
                write!(f, "# lock {} ({what})", path.display())
            }
            Step::Record {
                path,
                fields,
                query,
            } => {
                let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                write!(f, "# record {} in {}", keys.join(", "), path.display())?;
                match query {
                    Some((key, command)) => write!(f, "\n# {key}: {command}"),
                    None => Ok(()),
                }
            }
            Step::KeepAside { path, aside } => write!(
                f,
                "# keep {} as {} (a second name for the file it replaces)",
                path.display(),
                aside.display()
            ),
            Step::File { action, .. } => write!(f, "{action}"),
            Step::WriteFile { path, what, .. } => {
                write!(f, "# write {} ({what})", path.display())
            }
            Step::RemoveFiles { paths } => {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                write!(f, "# remove {}", shown.join(", "))
            }
            Step::Layout { root, .. } => write!(
                f,
                "# make the folders, links and copies of repos.toml in {} (as update does)",
                root.display()
            ),
            Step::Status { shown, .. } => write!(f, "# {shown}"),
            Step::MoveRepo(RepoMove {
                name,
                path,
                branch,
                commit,
            }) => {
                let to = match branch {
                    Some(branch) => format!("branch {branch} at {commit}"),
                    None => format!("detached at {commit}"),
                };
                write!(
                    f,
                    "# move {name} ({path}) to {to}; refused, unchanged, with uncommitted changes or commits no other ref holds"
                )
            }
            Step::WriteText { path, what, .. } => write!(f, "# write {path} atomically ({what})"),
            Step::Remove { path } => write!(f, "rm -rf -- {path}"),
            Step::Tests(tests) => {
                // Its lines end in a newline; the plan adds the last one.
                let text = tests.to_string();
                f.write_str(text.strip_suffix('\n').unwrap_or(&text))
            }
            Step::ConfirmFor { by, question } => {
                write_sanitized(f, &format!("# confirm ({by}): {question}"))
            }
            Step::Parallel { lanes, .. } => {
                let mut text = String::new();
                if lanes.len() > 1 {
                    let labels: Vec<&str> = lanes.iter().map(|l| l.label.as_str()).collect();
                    text.push_str(&format!("# in parallel: {}\n", labels.join(", ")));
                }
                for lane in lanes {
                    lane.write_to(&mut text);
                }
                write_sanitized(f, &text)
            }
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
