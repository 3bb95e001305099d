//! The builder the integration tests share: a temporary environment root
//! and a way to run the real binary in it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// A temporary environment root (a folder with a tasks.toml).
pub struct Env {
    dir: TempDir,
}

impl Env {
    /// An environment whose tasks.toml is empty.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("xtask-test-")
            .tempdir()
            .expect("create temp dir");
        let env = Self { dir };
        env.write("tasks.toml", "");
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The compose project name xtask gives this folder (its name, lower
    /// case, in compose's characters).
    pub fn project_name(&self) -> String {
        self.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file relative to the root, creating folders as needed.
    pub fn write(&self, relative: &str, content: &str) -> &Self {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, content).expect("write file");
        self
    }

    pub fn tasks_toml(&self, content: &str) -> &Self {
        self.write("tasks.toml", content)
    }

    pub fn repos_toml(&self, content: &str) -> &Self {
        self.write("repos.toml", content)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.join(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }

    /// `xtask ARGS...` run in the root.
    pub fn xtask<I, S>(&self, args: I) -> Xtask
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Xtask::new(self.path()).args(args)
    }
}

/// Writes `content` to `path` as an executable (a stand-in program).
pub fn write_executable(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent dir");
    }
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// One run of the binary, configured like a builder.
pub struct Xtask {
    command: Command,
    stdin: Option<String>,
}

/// The binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xtask"))
}

impl Xtask {
    pub fn new(dir: &Path) -> Self {
        let mut command = Command::new(binary());
        command.current_dir(dir);
        // Tests see what a user without a terminal sees, whatever the outer shell set.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("XTASK_") {
                command.env_remove(&key);
            }
        }
        command.env("NO_COLOR", "1");
        // What xtask caches (the Compose CLI's version) stays with the test.
        command.env("XDG_CACHE_HOME", dir.join(".xtask").join("test-cache"));
        Self {
            command,
            stdin: None,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.command.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.to_string());
        self
    }

    /// Runs to completion and returns what happened.
    pub fn run(mut self) -> Outcome {
        use std::io::Write;
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("spawn xtask");
        if let Some(input) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for xtask");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs with a stdout whose reader is already gone, as after `xtask
    /// ARGS | head -1` once head has exited: every write to it fails.
    pub fn run_with_closed_stdout(mut self) -> Outcome {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let output = self
            .command
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run xtask");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// As [`Xtask::spawn`], in a process group of its own: a signal to
    /// `-pid` reaches xtask and every child, as Ctrl-C at a terminal does.
    pub fn spawn_as_a_job(mut self) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        self.command.process_group(0);
        self.spawn()
    }

    /// Starts the run in the background (no stdin, both outputs piped), for
    /// tests that signal it or race it against another.
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn xtask")
    }

    /// Runs and asserts success.
    pub fn ok(self) -> Outcome {
        self.run().success()
    }

    /// Runs and asserts the exit code.
    pub fn fails_with(self, code: i32) -> Outcome {
        self.run().code(code)
    }
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn success(self) -> Self {
        assert_eq!(
            self.code,
            0,
            "expected success, got {}\n{}",
            self.code,
            self.describe()
        );
        self
    }

    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            code,
            "expected exit code {code}\n{}",
            self.describe()
        );
        self
    }

    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    pub fn describe(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}---", self.stdout, self.stderr)
    }
}

extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
}

/// Sends `signal` to the process group `pgid` (a job spawned with
/// [`Xtask::spawn_as_a_job`]), as a terminal's Ctrl-C does.
pub fn send_signal_to_group(pgid: u32, signal: i32) {
    // SAFETY: kill(2) on the process group of a child the test spawned.
    let result = unsafe { kill(-(pgid as i32), signal) };
    assert_eq!(result, 0, "kill(-{pgid}, {signal}) failed");
}

/// Sends `signal` (2 = SIGINT, 15 = SIGTERM) to the process `pid`.
pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) on a child the test spawned.
    let result = unsafe { kill(pid as i32, signal) };
    assert_eq!(result, 0, "kill({pid}, {signal}) failed");
}

/// A string as a TOML basic string, control characters escaped.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Copies the folder `from` into `to` (made if missing), recursively;
/// files keep their mode, so stand-in scripts stay executable.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}
