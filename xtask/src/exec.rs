//! The one place that spawns processes. Signal policy lives here:
//!
//! - A foreground child runs in its own process group. When our stdin is the
//!   controlling terminal, that group is made the terminal's foreground group,
//!   so Ctrl-C reaches the child (and only the child); we wait for it and
//!   return its exit code.
//! - SIGINT, SIGTERM, SIGHUP and SIGQUIT that reach us are relayed to the
//!   process group of every running child; with no child running, we exit
//!   with 128 + the signal number.
//! - Once a signal N has been relayed, the user asked us to stop: a child
//!   run in the foreground or streamed reports 128 + N whatever its own
//!   code (a shell that traps the signal and exits 0, or compose, which
//!   exits 130 for SIGTERM too), so that callers start nothing more and the
//!   invocation exits 128 + N.

use std::io::{IsTerminal, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::plan::{CommandStep, Compression, Input, LoadFile, Output, SealedInput};

/// Why a child could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("empty command line")]
    Empty,
    #[error("`{program}` was not found on PATH")]
    NotFound { program: String },
    #[error("cannot run `{program}` in {}: that folder does not exist", dir.display())]
    NoDir {
        program: String,
        dir: std::path::PathBuf,
    },
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot redirect `{program}`: {}: {source}", path.display())]
    Redirect {
        program: String,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{program}` exited 0 but wrote nothing; {} was not written", path.display())]
    EmptyOutput {
        program: String,
        path: std::path::PathBuf,
    },
    #[error("{}: {source}; the database was not replaced", path.display())]
    Refused {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("waiting for `{program}` failed: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

impl ExecError {
    /// The exit code a shell gives the same failure: 127 for a program not
    /// found, 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            ExecError::NotFound { .. } => 127,
            _ => 1,
        }
    }
}

/// What a finished child left us.
#[derive(Debug, Clone)]
pub struct Captured {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Captured {
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

/// The exit code to report for a status: the child's code, or 128 + signal.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// The exit code of a child that ended after the user interrupted us:
/// 128 + the first relayed signal, else the child's own `code`.
pub fn code_after_interrupt(code: i32) -> i32 {
    interrupt_signal().map_or(code, |signal| 128 + signal)
}

/// The first signal relayed while a child ran (0: none yet).
static INTERRUPTED_BY: AtomicI32 = AtomicI32::new(0);

/// Whether the user interrupted this run (Ctrl-C, SIGTERM) while a child
/// ran: long loops stop starting new work when it is set.
pub fn interrupted() -> bool {
    interrupt_signal().is_some()
}

/// The signal that interrupted this run, if one did: the exit code to
/// report is 128 + it (130 for SIGINT, 143 for SIGTERM).
pub fn interrupt_signal() -> Option<i32> {
    match INTERRUPTED_BY.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// How many [`InterruptsDeferred`] guards are alive.
static DEFERRING: AtomicUsize = AtomicUsize::new(0);

/// While alive, a signal that arrives with no child running no longer ends
/// the process at once: it is recorded ([`interrupt_signal`]) and the work
/// stops at its next safe point. For work done in process that must not be
/// cut half-way (a checkout, a ref update). Children are still signalled.
pub struct InterruptsDeferred(());

/// Defers interrupts until the returned guard is dropped.
pub fn defer_interrupts() -> InterruptsDeferred {
    install_signal_relay();
    DEFERRING.fetch_add(1, Ordering::SeqCst);
    InterruptsDeferred(())
}

impl Drop for InterruptsDeferred {
    fn drop(&mut self) {
        DEFERRING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How many children may run at once with signals relayed to them; one
/// started beyond that runs unrelayed (no command here runs so many).
const GROUP_SLOTS: usize = 256;

/// Process groups of the children running now, read by the signal handler:
/// a fixed table of atomics (0: a free slot), because a handler may neither
/// lock nor allocate.
static RUNNING_GROUPS: [AtomicI32; GROUP_SLOTS] = [const { AtomicI32::new(0) }; GROUP_SLOTS];

/// Installs the signal relay once per process. Called before the first child.
/// The relay is the handler itself (no thread: starting one costs a tenth
/// of the start of a task that does nothing), doing only what a handler may:
/// atomics, kill(2) and _exit(2).
pub fn install_signal_relay() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            // SAFETY: relay_signal is async-signal-safe (see there). When
            // registering fails, that signal keeps its default action: still safe.
            let _ =
                unsafe { signal_hook::low_level::register(signal, move || relay_signal(signal)) };
        }
    });
}

/// The signal handler: records the first signal, then sends it to the
/// group of every running child; with none running and no work deferring
/// interrupts, ends the process with 128 + the first signal. Only atomics,
/// kill(2) and _exit(2): nothing that locks, allocates or buffers.
fn relay_signal(signal: i32) {
    // Recorded before the groups are read, so that a child registering
    // meanwhile sees it (see GroupGuard::register).
    let _ = INTERRUPTED_BY.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    let mut relayed = false;
    for slot in &RUNNING_GROUPS {
        let group = slot.load(Ordering::SeqCst);
        if group > 0 {
            relayed = true;
            // SAFETY: kill(2) with a negative pid signals a process group we created.
            unsafe {
                libc::kill(-group, signal);
            }
        }
    }
    if !relayed && DEFERRING.load(Ordering::SeqCst) == 0 {
        // SAFETY: _exit(2) is async-signal-safe; nothing of ours is half-written
        // (work that must not be cut defers interrupts).
        unsafe { libc::_exit(128 + interrupt_signal().unwrap_or(signal)) }
    }
}

/// A running child's slot in [`RUNNING_GROUPS`], freed when dropped.
struct GroupGuard(Option<usize>);

impl GroupGuard {
    /// Registers a child's group with the relay. With `deliver_pending`, a
    /// signal relayed just before, while the child was being started, is
    /// sent to it now: work started as the user interrupted stops too.
    /// Queries and clean-up after an interrupt (`capture`) are left to run.
    fn register(group: i32, deliver_pending: bool) -> Self {
        let slot = RUNNING_GROUPS.iter().position(|slot| {
            slot.compare_exchange(0, group, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        });
        if let Some(signal) = interrupt_signal().filter(|_| deliver_pending) {
            // SAFETY: kill(2) with a negative pid signals a process group we created.
            unsafe {
                libc::kill(-group, signal);
            }
        }
        GroupGuard(slot)
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            RUNNING_GROUPS[slot].store(0, Ordering::SeqCst);
        }
    }
}

fn command_for(step: &CommandStep) -> Result<Command, ExecError> {
    let (program, args) = step.argv.split_first().ok_or(ExecError::Empty)?;
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = &step.dir {
        // Else spawn's ENOENT reads as "program not found".
        if !dir.is_dir() {
            return Err(ExecError::NoDir {
                program: program.clone(),
                dir: dir.clone(),
            });
        }
        command.current_dir(dir);
    }
    for (key, value) in step.context_env.iter().chain(&step.env) {
        command.env(key, value);
    }
    Ok(command)
}

fn spawn_error(program: &str, source: std::io::Error) -> ExecError {
    if source.kind() == std::io::ErrorKind::NotFound {
        ExecError::NotFound {
            program: program.to_string(),
        }
    } else {
        ExecError::Spawn {
            program: program.to_string(),
            source,
        }
    }
}

/// Whether stdin is a terminal whose foreground process group is ours.
fn we_own_the_terminal() -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    // SAFETY: plain queries of our own process and fd 0.
    unsafe { libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// Hands the terminal on fd 0 to `group`, ignoring the SIGTTOU a background
/// group gets for asking.
fn give_terminal_to(group: libc::pid_t) {
    // SAFETY: signal/tcsetpgrp on fd 0 with valid arguments; async-signal-safe.
    unsafe {
        let previous = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
        libc::tcsetpgrp(0, group);
        libc::signal(libc::SIGTTOU, previous);
    }
}

/// Runs a child in the foreground with our stdin, stdout and stderr, and
/// returns its exit code (128 + signal when a signal ended it, or when we
/// relayed one to it).
pub fn run_foreground(step: &CommandStep) -> Result<i32, ExecError> {
    install_signal_relay();
    let mut command = command_for(step)?;
    // Bytes counted on the host, through a pipe, only for a person watching.
    let bar = step
        .progress
        .as_deref()
        .filter(|_| std::io::stderr().is_terminal())
        .map(progress_bar);
    wire_stdin(step, &mut command)?;
    let StdoutWiring { partial, sink } = wire_stdout(step, &mut command, bar.is_some())?;
    // Compose's and git's messages where nobody watches (a CI log, a file)
    // come through the masker: they may quote a secret value or URL. On a
    // terminal they go straight to it, where compose draws its progress.
    if !std::io::stderr().is_terminal() && speaks_of_secrets(step.program()) {
        command.stderr(Stdio::piped());
    }
    let owns_terminal = we_own_the_terminal();
    own_group_in_child(&mut command, owns_terminal);
    let mut child = command
        .spawn()
        .map_err(|e| spawn_error(step.program(), e))?;
    let group = child.id() as i32;
    let _registered = GroupGuard::register(group, true);
    let relays = start_relays(step, &mut child);
    let stream_error = StreamError::default();
    let feeder = start_feeder(step, child.stdin.take(), bar.as_ref(), &stream_error);
    let collector = start_collector(step, sink, child.stdout.take(), bar.clone());
    let status = wait_in_foreground(&mut child, group, owns_terminal);
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    for relay in relays.into_iter().flatten() {
        let _ = relay.join();
    }
    let collected = collector.map(|c| c.join());
    if let Some(bar) = &bar {
        // What follows (the path and size) says how it ended.
        bar.finish_and_clear();
    }
    let status = status.map_err(|source| ExecError::Wait {
        program: step.program().to_string(),
        source,
    })?;
    check_streams(step, collected, &stream_error)?;
    run_on_interrupt(step);
    let code = code_after_interrupt(exit_code(status));
    if let Some(partial) = partial {
        // Dropped without `finish` on failure: the temporary file goes, the
        // final path is never touched.
        if code == 0 {
            partial.finish(step.program())?;
        }
    }
    Ok(code)
}

/// Set by the thread that feeds a zstd or sealed stdin when it fails.
type StreamError = std::sync::Arc<Mutex<Option<std::io::Error>>>;

/// What the collector thread yields: the bytes the child wrote into the file.
type Collected = std::thread::Result<std::io::Result<u64>>;

fn redirect_error(step: &CommandStep, path: &std::path::Path, source: std::io::Error) -> ExecError {
    ExecError::Redirect {
        program: step.program().to_string(),
        path: path.to_path_buf(),
        source,
    }
}

/// Points the child's stdin at what the step says.
fn wire_stdin(step: &CommandStep, command: &mut Command) -> Result<(), ExecError> {
    match &step.stdin {
        Input::Inherit => {}
        Input::Text(_) => {
            command.stdin(Stdio::piped());
        }
        Input::Sealed(sealed) => {
            // Opened here, so that a missing file fails before the child runs.
            std::fs::File::open(&sealed.file.path)
                .map_err(|e| redirect_error(step, &sealed.file.path, e))?;
            command.stdin(Stdio::piped());
        }
    }
    Ok(())
}

/// Where the child's stdout goes: the file that appears only when the step
/// succeeds, and the handle we copy into when the bytes pass through us.
struct StdoutWiring {
    partial: Option<PartialFile>,
    sink: Option<std::fs::File>,
}

fn wire_stdout(
    step: &CommandStep,
    command: &mut Command,
    counted: bool,
) -> Result<StdoutWiring, ExecError> {
    let (partial, sink) = match &step.stdout {
        Output::Inherit => (None, None),
        Output::Masked => {
            command.stdout(Stdio::piped());
            (None, None)
        }
        Output::File(path) | Output::Zstd(path) => {
            let partial = PartialFile::create(path).map_err(|e| redirect_error(step, path, e))?;
            let file = partial
                .file
                .as_file()
                .try_clone()
                .map_err(|e| redirect_error(step, path, e))?;
            // Through us when compressed or counted; else straight into the file.
            if counted || matches!(step.stdout, Output::Zstd(_)) {
                command.stdout(Stdio::piped());
                (Some(partial), Some(file))
            } else {
                command.stdout(file);
                (Some(partial), None)
            }
        }
    };
    Ok(StdoutWiring { partial, sink })
}

/// The child starts in a process group of its own, which takes the terminal
/// when we hold it, so that Ctrl-C reaches the child only.
fn own_group_in_child(command: &mut Command, owns_terminal: bool) {
    if !owns_terminal {
        // No closure to run after fork: std can posix_spawn, which does not
        // copy our address space as a fork does.
        command.process_group(0);
        return;
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::setpgid(0, 0);
            give_terminal_to(libc::getpid());
            Ok(())
        });
    }
}

/// Threads passing the child's piped stderr and masked stdout through the
/// masker; a stdout piped for other reasons is put back for the collector.
fn start_relays(
    step: &CommandStep,
    child: &mut std::process::Child,
) -> [Option<std::thread::JoinHandle<()>>; 2] {
    let stderr_relay = child
        .stderr
        .take()
        .map(|pipe| std::thread::spawn(move || relay_lines(pipe, String::new(), true)));
    let stdout_relay = match (&step.stdout, child.stdout.take()) {
        (Output::Masked, Some(pipe)) => Some(std::thread::spawn(move || {
            relay_lines(pipe, String::new(), false)
        })),
        (_, pipe) => {
            child.stdout = pipe;
            None
        }
    };
    [stderr_relay, stdout_relay]
}

/// A writer thread for a piped stdin, so a script larger than the pipe
/// cannot deadlock us; a child that stops reading early ends it with EPIPE,
/// which is fine. A sealed input reports its failures in `stream_error`.
fn start_feeder(
    step: &CommandStep,
    pipe: Option<std::process::ChildStdin>,
    bar: Option<&indicatif::ProgressBar>,
    stream_error: &StreamError,
) -> Option<std::thread::JoinHandle<()>> {
    let mut pipe = pipe?;
    let bar = bar.cloned();
    let failed = std::sync::Arc::clone(stream_error);
    let report = move |error: std::io::Error| {
        if let Ok(mut slot) = failed.lock() {
            *slot = Some(error);
        }
    };
    match &step.stdin {
        Input::Text(text) => {
            let text = text.clone();
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(text.as_bytes());
            }))
        }
        Input::Sealed(sealed) => {
            let sealed = sealed.clone();
            Some(std::thread::spawn(move || {
                let fed = feed_sealed(&sealed, bar.as_ref(), &mut pipe);
                // Closed before it is reported: the loader sees its end now.
                drop(pipe);
                if let Err(error) = fed.filter_broken_pipe() {
                    report(error);
                }
            }))
        }
        Input::Inherit => None,
    }
}

/// The child's output into the file, counted (compressed when asked); an
/// error writing it fails the step. Yields the bytes the child wrote.
fn start_collector(
    step: &CommandStep,
    sink: Option<std::fs::File>,
    pipe: Option<std::process::ChildStdout>,
    bar: Option<indicatif::ProgressBar>,
) -> Option<std::thread::JoinHandle<std::io::Result<u64>>> {
    let (file, mut pipe) = (sink?, pipe?);
    let zstd_out = matches!(step.stdout, Output::Zstd(_));
    Some(std::thread::spawn(move || -> std::io::Result<u64> {
        let write: Box<dyn std::io::Write + Send> = match bar {
            Some(bar) => Box::new(bar.wrap_write(file)),
            None => Box::new(file),
        };
        if zstd_out {
            write_zstd(pipe, write)
        } else {
            let mut write = write;
            let copied = std::io::copy(&mut pipe, &mut write)?;
            write.flush()?;
            Ok(copied)
        }
    }))
}

/// Writes what a child printed into `write` as one zstd stream: as it is
/// when it arrives compressed (a frame starts with zstd's magic number; a
/// dump never does), else compressed here with a checksum. Returns how many
/// bytes of content it holds, so that an empty output is refused either
/// way: a compressed stream small enough to hold nothing (an empty frame is
/// 13 bytes) is decoded to count them, which refuses it too when it is cut
/// or damaged (a larger one is checked by `db restore` as it streams).
fn write_zstd(mut pipe: impl Read, mut write: Box<dyn Write + Send>) -> std::io::Result<u64> {
    const SMALL: usize = 4096;
    let mut head = Vec::with_capacity(SMALL);
    (&mut pipe).take(SMALL as u64).read_to_end(&mut head)?;
    if head.starts_with(&ZSTD_MAGIC) {
        let content = if head.len() < SMALL {
            Some(zstd::decode_all(&head[..])?.len() as u64)
        } else {
            None
        };
        let copied = std::io::copy(&mut std::io::Cursor::new(head).chain(pipe), &mut write)?;
        write.flush()?;
        return Ok(content.unwrap_or(copied));
    }
    let mut encoder = zstd::stream::write::Encoder::new(write, ZSTD_LEVEL)?;
    encoder.include_checksum(true)?;
    let copied = std::io::copy(&mut std::io::Cursor::new(head).chain(pipe), &mut encoder)?;
    encoder.finish()?.flush()?;
    Ok(copied)
}

/// Waits for the child with the terminal handed to its group, then takes
/// the terminal back.
fn wait_in_foreground(
    child: &mut std::process::Child,
    group: libc::pid_t,
    owns_terminal: bool,
) -> std::io::Result<ExitStatus> {
    // SAFETY: closes the race with the child's own setpgid; errors are harmless.
    unsafe {
        libc::setpgid(group, group);
    }
    if owns_terminal {
        give_terminal_to(group);
    }
    let status = child.wait();
    if owns_terminal {
        // SAFETY: reading our own process group.
        give_terminal_to(unsafe { libc::getpgrp() });
    }
    status
}

/// Fails the step when its output file could not be written (or got
/// nothing to compress), or its zstd or sealed input could not be fed.
fn check_streams(
    step: &CommandStep,
    collected: Option<Collected>,
    stream_error: &StreamError,
) -> Result<(), ExecError> {
    if let (Some(Ok(Err(source))), Output::File(path) | Output::Zstd(path)) =
        (&collected, &step.stdout)
    {
        return Err(redirect_error(
            step,
            path,
            std::io::Error::new(source.kind(), source.to_string()),
        ));
    }
    if let (Some(Ok(Ok(0))), Output::Zstd(path)) = (&collected, &step.stdout) {
        // The compressed file is never empty; what the child wrote is.
        return Err(ExecError::EmptyOutput {
            program: step.program().to_string(),
            path: path.clone(),
        });
    }
    let failed = stream_error.lock().ok().and_then(|mut slot| slot.take());
    if let (Some(source), Input::Sealed(sealed)) = (failed, &step.stdin) {
        return Err(ExecError::Refused {
            path: sealed.file.path.clone(),
            source,
        });
    }
    Ok(())
}

/// Whether `program` is one whose own messages may quote a secret
/// (compose and docker quoting a value, git quoting a url).
fn speaks_of_secrets(program: &str) -> bool {
    let name = std::path::Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    matches!(name.as_str(), "docker" | "docker-compose" | "git")
}

/// zstd's level for backups: its default, fast (hundreds of MB/s a core)
/// and about as small as gzip -6.
const ZSTD_LEVEL: i32 = 3;

/// The first bytes of a zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// A broken pipe is the reader's business (it stopped reading), not ours.
trait FilterBrokenPipe {
    fn filter_broken_pipe(self) -> std::io::Result<()>;
}

impl<T> FilterBrokenPipe for std::io::Result<T> {
    fn filter_broken_pipe(self) -> std::io::Result<()> {
        match self {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

/// Streams `sealed` into `pipe`: its bytes (decompressed; read as psql
/// will when it is SQL, stopped before a refused line), then, only when
/// all of it was read and passed, its seal. `bar` counts the file's bytes.
/// With `digest_to`, the SHA-256 of the file's bytes is taken as they
/// stream and written there before the seal (an empty line when not all
/// of them were read): a cut stream leaves no digest.
fn feed_sealed(
    sealed: &SealedInput,
    bar: Option<&indicatif::ProgressBar>,
    pipe: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let digest = sealed
        .digest_to
        .as_ref()
        .map(|_| std::sync::Arc::new(std::sync::Mutex::new(FileDigest::default())));
    let mut rewritten = crate::key_deferral::KeyDeferral::new(pipe, sealed.defer_keys);
    let mut tail = TailKeeper {
        inner: &mut rewritten,
        tail: Vec::new(),
    };
    stream_file(&sealed.file, sealed.sql, bar, digest.clone(), &mut tail)?;
    if let Some(completion) = &sealed.completion {
        if !tail.last_line_starts_with(completion) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the dump does not end with `{completion}`: it was cut short"),
            ));
        }
    }
    rewritten.finish()?;
    let pipe = rewritten.into_inner()?;
    if let (Some(path), Some(digest)) = (&sealed.digest_to, digest) {
        // Empty when not every byte was hashed (the file changed as it
        // streamed, bytes after a compressed stream's end): no cache entry.
        let hex = digest.lock().ok().and_then(|mut d| d.whole_hex());
        crate::atomic_file::write(path, &format!("{}\n", hex.unwrap_or_default()))?;
    }
    pipe.write_all(sealed.seal.as_bytes())?;
    pipe.flush()
}

/// The SHA-256 of a file's bytes as they are read, and whether all of
/// them were: its size when opened against the bytes hashed.
#[derive(Default)]
struct FileDigest {
    hasher: sha2::Sha256,
    hashed: u64,
    size: u64,
}

impl FileDigest {
    /// The digest in hex, when every byte of the file was hashed.
    fn whole_hex(&mut self) -> Option<String> {
        use sha2::Digest;
        if self.hashed != self.size {
            return None;
        }
        let hasher = std::mem::take(&mut self.hasher);
        Some(
            hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

/// A reader that adds what it reads to a [`FileDigest`] (shared: the gzip
/// path reads on a thread of its own).
struct DigestingRead<R> {
    inner: R,
    digest: std::sync::Arc<std::sync::Mutex<FileDigest>>,
}

impl<R: std::io::Read> std::io::Read for DigestingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        let mut digest = self
            .digest
            .lock()
            .map_err(|_| std::io::Error::other("the digest's lock was poisoned"))?;
        digest.hasher.update(&buf[..n]);
        digest.hashed += n as u64;
        Ok(n)
    }
}

/// A writer that passes everything on and keeps the last bytes written.
struct TailKeeper<'a, W: std::io::Write> {
    inner: &'a mut W,
    tail: Vec<u8>,
}

/// How many of the last bytes [`TailKeeper`] keeps.
const TAIL_BYTES: usize = 512;

impl<W: std::io::Write> std::io::Write for TailKeeper<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.tail.extend_from_slice(&bytes[..written]);
        if self.tail.len() > TAIL_BYTES {
            self.tail.drain(..self.tail.len() - TAIL_BYTES);
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: std::io::Write> TailKeeper<'_, W> {
    /// Whether the last non-empty line written starts with `prefix`.
    fn last_line_starts_with(&self, prefix: &str) -> bool {
        String::from_utf8_lossy(&self.tail)
            .trim_end()
            .lines()
            .last()
            .is_some_and(|line| line.starts_with(prefix))
    }
}

/// The bytes of `file` into `out`: with `sql` (`Some(partial_ok)`),
/// through a [`SqlScanner`](crate::sql_scanner::SqlScanner), which
/// stops them before a refused line and judges the end; a failure is an
/// `InvalidData` error saying why.
fn stream_file(
    file: &LoadFile,
    sql: Option<bool>,
    bar: Option<&indicatif::ProgressBar>,
    digest: Option<std::sync::Arc<std::sync::Mutex<FileDigest>>>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    use std::io::Read;
    let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
    let opened = std::fs::File::open(&file.path)?;
    if let (Some(bar), Ok(meta)) = (bar, opened.metadata()) {
        bar.set_length(meta.len());
        bar.set_style(progress_style(
            "{prefix} {bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec}",
        ));
    }
    let opened: Box<dyn Read + Send> = match digest {
        Some(digest) => {
            let size = opened.metadata()?.len();
            if let Ok(mut state) = digest.lock() {
                state.size = size;
            }
            Box::new(DigestingRead {
                inner: opened,
                digest,
            })
        }
        None => Box::new(opened),
    };
    let counted: Box<dyn Read + Send> = match bar {
        Some(bar) => Box::new(bar.wrap_read(opened)),
        None => opened,
    };
    let mut reader: Box<dyn Read> = match file.compression {
        Compression::None => counted,
        Compression::Zstd => Box::new(NamedErrors {
            inner: zstd::stream::read::Decoder::new(counted)?,
            what: "not a whole zstd stream",
        }),
        Compression::Gzip => Box::new(GzipReader::spawn(counted)?),
    };
    let mut scanner = sql.map(|_| crate::sql_scanner::SqlScanner::new());
    let mut buf = vec![0u8; 256 * 1024];
    let mut passed = Vec::with_capacity(buf.len());
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match &mut scanner {
            Some(scanner) => {
                passed.clear();
                let fed = scanner.feed(&buf[..n], &mut passed);
                out.write_all(&passed)?;
                fed.map_err(|problem| invalid(problem.to_string()))?;
            }
            None => out.write_all(&buf[..n])?,
        }
    }
    if let (Some(scanner), Some(partial_ok)) = (&mut scanner, sql) {
        passed.clear();
        let end = scanner.end(&mut passed);
        out.write_all(&passed)?;
        let end = end.map_err(|problem| invalid(problem.to_string()))?;
        end.verdict(partial_ok).map_err(|unfinished| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, unfinished)
        })?;
        if end.unterminated {
            // psql runs a last statement without `;` at its end of input;
            // the seal comes after it, not inside it.
            out.write_all(b";")?;
        }
    }
    Ok(())
}

/// A reader whose errors say what was being read (`what: error`).
struct NamedErrors<R> {
    inner: R,
    what: &'static str,
}

impl<R: std::io::Read> std::io::Read for NamedErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner
            .read(buf)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.what)))
    }
}

/// gzip's decompressed output of what it reads from a thread of ours; its
/// end is an error unless gzip exited 0 (a damaged or cut file).
struct GzipReader {
    child: std::process::Child,
    stdout: std::process::ChildStdout,
    feeder: Option<std::thread::JoinHandle<()>>,
}

impl GzipReader {
    fn spawn(mut input: Box<dyn std::io::Read + Send>) -> std::io::Result<Self> {
        let mut child = Command::new("gzip")
            .arg("-dc")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("a .gz file is unpacked on the host, with gzip: {e}"),
                )
            })?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("gzip has no pipes"));
        };
        // The file is read by us (counted by the bar), not by gzip.
        let feeder = std::thread::spawn(move || {
            let _ = std::io::copy(&mut input, &mut stdin);
        });
        Ok(Self {
            child,
            stdout,
            feeder: Some(feeder),
        })
    }
}

impl std::io::Read for GzipReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.stdout.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if let Some(feeder) = self.feeder.take() {
                let _ = feeder.join();
            }
            let status = self.child.wait()?;
            if !status.success() {
                let mut why = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ = err.read_to_string(&mut why);
                }
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("not a whole gzip stream ({})", why.trim()),
                ));
            }
        }
        Ok(n)
    }
}

impl Drop for GzipReader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `n` bytes of the zstd file at `path`, decompressed.
pub fn zstd_head(path: &std::path::Path, n: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(n);
    zstd::stream::read::Decoder::new(std::fs::File::open(path)?)?
        .take(n as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// A byte count on stderr, labelled: `backup  12.5 MiB  3.1 MiB/s  4s`;
/// with a bar once the total is known.
fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(progress_style(
        "{prefix} {bytes} {binary_bytes_per_sec} {elapsed}",
    ));
    bar.set_prefix(label.to_string());
    bar
}

fn progress_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
}

/// The temporary file beside an [`Output::File`] path.
struct PartialFile {
    file: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl PartialFile {
    fn create(path: &std::path::Path) -> std::io::Result<Self> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Hidden and marked, so an interrupted run's leftover never looks complete.
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&dir)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Syncs and renames the file into place when it is not empty.
    fn finish(self, program: &str) -> Result<(), ExecError> {
        let error = |source| ExecError::Redirect {
            program: program.to_string(),
            path: self.path.clone(),
            source,
        };
        let file = self.file.as_file();
        let size = file.metadata().map_err(error)?.len();
        if size == 0 {
            return Err(ExecError::EmptyOutput {
                program: program.to_string(),
                path: self.path.clone(),
            });
        }
        file.sync_all().map_err(error)?;
        let path = self.path.clone();
        self.file.persist(&path).map_err(|e| error(e.error))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself is durable only once the folder is synced.
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

/// After an interrupt, the step's clean-up (stopping what the signal could
/// not reach); a failure is reported, not fatal: the interrupt is.
fn run_on_interrupt(step: &CommandStep) {
    let Some(cleanup) = step.on_interrupt.as_deref().filter(|_| interrupted()) else {
        return;
    };
    let why = match capture(cleanup) {
        Ok(out) if out.success() => return,
        Ok(out) => format!("exit code {}: {}", out.code, out.stderr.trim()),
        Err(error) => error.to_string(),
    };
    crate::errln!(
        "warning: could not stop `{step}` after the interrupt ({why}); tried `{cleanup}`"
    );
}

/// Runs a child with both output streams captured, and no stdin but a
/// script's text ([`Input::Text`]). It runs even after an interrupt:
/// queries and clean-up use it.
pub fn capture(step: &CommandStep) -> Result<Captured, ExecError> {
    let mut running = spawn_piped_with(step, false, PipedStdin::Text)?;
    let program = running.step.program().to_string();
    // Written from a thread: a child that answers before reading all of it cannot block us.
    let feeder = match (&step.stdin, running.child.stdin.take()) {
        (Input::Text(text), Some(mut pipe)) => {
            let text = text.clone();
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(text.as_bytes());
            }))
        }
        _ => None,
    };
    let output = running
        .child
        .wait_with_output()
        .map_err(|source| ExecError::Wait { program, source })?;
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    Ok(Captured {
        code: exit_code(output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Spawns a child in its own process group with the given stdio, registered
/// with the signal relay until the returned handle is waited on. For callers
/// that stream output (parallel tasks with prefixed lines).
pub fn spawn_piped(step: &CommandStep) -> Result<RunningChild, ExecError> {
    spawn_piped_with(step, true, PipedStdin::None)
}

/// The stdin of a child whose output we read.
#[derive(Clone, Copy)]
enum PipedStdin {
    /// None (/dev/null).
    None,
    /// A pipe for its [`Input::Text`], when it has one.
    Text,
    /// A pipe for [`RunningChild::open_gate`].
    Gate,
}

fn spawn_piped_with(
    step: &CommandStep,
    deliver_pending: bool,
    stdin: PipedStdin,
) -> Result<RunningChild, ExecError> {
    install_signal_relay();
    let mut command = command_for(step)?;
    command
        .stdin(match (&step.stdin, stdin) {
            (Input::Text(_), PipedStdin::Text) | (_, PipedStdin::Gate) => Stdio::piped(),
            _ => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = command
        .spawn()
        .map_err(|e| spawn_error(step.program(), e))?;
    let guard = GroupGuard::register(child.id() as i32, deliver_pending);
    Ok(RunningChild {
        child,
        step: step.clone(),
        _guard: guard,
    })
}

/// Spawns a child as [`spawn_piped`] does, with a pipe for its stdin that
/// only [`RunningChild::open_gate`] writes to: a test runner started while
/// its database is made, held by its wrapper until it reads `go`.
pub fn spawn_gated(step: &CommandStep) -> Result<RunningChild, ExecError> {
    spawn_piped_with(step, true, PipedStdin::Gate)
}

/// What a streamed child's stdout passes through before it is shown.
pub trait StdoutFilter: Send + 'static {
    /// Takes the next chunk of the stream; appends what is to be shown.
    fn feed(&mut self, chunk: &[u8], shown: &mut Vec<u8>);
    /// The end of the stream: appends what was held back.
    fn finish(&mut self, shown: &mut Vec<u8>);
}

/// A child started by [`spawn_piped`].
pub struct RunningChild {
    pub child: std::process::Child,
    step: CommandStep,
    _guard: GroupGuard,
}

impl RunningChild {
    /// Waits for the child and returns its exit code (128 + N when we
    /// relayed signal N).
    pub fn wait(mut self) -> Result<i32, ExecError> {
        let status = self.child.wait().map_err(|source| ExecError::Wait {
            program: self.step.program().to_string(),
            source,
        })?;
        run_on_interrupt(&self.step);
        Ok(code_after_interrupt(exit_code(status)))
    }

    /// Ends the wait of a child from [`spawn_gated`]: writes `go` and
    /// closes its stdin, or, when `go` is false, only closes it (its
    /// wrapper then exits without running anything).
    pub fn open_gate(&mut self, go: bool) {
        if let Some(mut stdin) = self.child.stdin.take() {
            if go {
                // A child that already ended says why on its own stderr.
                let _ = stdin.write_all(b"go\n");
            }
        }
    }

    /// Relays the child's output to ours, its stdout through `filter`:
    /// with a `prefix`, as whole prefixed lines (see
    /// [`RunningChild::wait_relaying`]); without one, as it comes, so that
    /// a runner's progress shows at once. Returns the exit code and the
    /// filter, with what it kept.
    pub fn wait_streaming<F: StdoutFilter>(
        mut self,
        prefix: Option<&str>,
        mut filter: F,
    ) -> Result<(i32, F), ExecError> {
        let err = self.child.stderr.take().map(|s| {
            let prefix = prefix.map(str::to_string);
            std::thread::spawn(move || match prefix {
                Some(prefix) => relay_lines(s, prefix, true),
                None => relay_chunks(s, true),
            })
        });
        // The filter goes to the relay thread and comes back with what it kept.
        let out = match self.child.stdout.take() {
            None => Err(filter),
            Some(mut s) => Ok({
                let prefix = prefix.map(str::to_string);
                std::thread::spawn(move || {
                    let mut lines = prefix.map(|p| LineWriter::new(p, false));
                    let mut chunk = vec![0; 16 * 1024];
                    let mut shown = Vec::new();
                    loop {
                        shown.clear();
                        match std::io::Read::read(&mut s, &mut chunk) {
                            Ok(0) => {
                                filter.finish(&mut shown);
                                show(&mut lines, &shown);
                                if let Some(lines) = &mut lines {
                                    lines.finish();
                                }
                                return filter;
                            }
                            Ok(n) => {
                                filter.feed(&chunk[..n], &mut shown);
                                show(&mut lines, &shown);
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(_) => {
                                filter.finish(&mut shown);
                                show(&mut lines, &shown);
                                return filter;
                            }
                        }
                    }
                })
            }),
        };
        let code = self.wait();
        if let Some(handle) = err {
            let _ = handle.join();
        }
        let filter = match out {
            Ok(handle) => handle.join().map_err(|_| ExecError::Wait {
                program: "the output relay".into(),
                source: std::io::Error::other("the thread relaying stdout panicked"),
            })?,
            Err(filter) => filter,
        };
        Ok((code?, filter))
    }

    /// Relays the child's stdout and stderr to ours, each line after
    /// `prefix` and written whole (parallel children never interleave
    /// mid-line), then waits as [`RunningChild::wait`].
    pub fn wait_relaying(mut self, prefix: &str) -> Result<i32, ExecError> {
        let out = self.child.stdout.take().map(|s| {
            let prefix = prefix.to_string();
            std::thread::spawn(move || relay_lines(s, prefix, false))
        });
        let err = self.child.stderr.take().map(|s| {
            let prefix = prefix.to_string();
            std::thread::spawn(move || relay_lines(s, prefix, true))
        });
        let code = self.wait();
        for handle in [out, err].into_iter().flatten() {
            let _ = handle.join();
        }
        code
    }
}

/// Shows `bytes`: as prefixed whole lines through `lines`, else at once.
fn show(lines: &mut Option<LineWriter>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    match lines {
        Some(lines) => lines.write(bytes),
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(bytes).and_then(|()| out.flush());
        }
    }
}

/// A child's text with its secrets masked (a git or compose message quoting
/// a URL with a password); bytes that are not text pass as they are.
fn masked(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match std::str::from_utf8(bytes) {
        Ok(text) => match crate::mask::text(text) {
            std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(bytes),
            std::borrow::Cow::Owned(masked) => std::borrow::Cow::Owned(masked.into_bytes()),
        },
        Err(_) => std::borrow::Cow::Borrowed(bytes),
    }
}

/// Copies a child's stream to ours as it comes.
fn relay_chunks(mut stream: impl std::io::Read, to_stderr: bool) {
    let mut chunk = vec![0; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let _ = if to_stderr {
                    let mut err = std::io::stderr().lock();
                    err.write_all(&masked(&chunk[..n]))
                        .and_then(|()| err.flush())
                } else {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&chunk[..n]).and_then(|()| out.flush())
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// Assembles bytes into lines, each written whole after a prefix.
struct LineWriter {
    prefix: String,
    to_stderr: bool,
    partial: Vec<u8>,
}

impl LineWriter {
    fn new(prefix: String, to_stderr: bool) -> Self {
        Self {
            prefix,
            to_stderr,
            partial: Vec::new(),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.partial.push(byte);
            if byte == b'\n' {
                self.emit();
            }
        }
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            self.partial.push(b'\n');
            self.emit();
        }
    }

    fn emit(&mut self) {
        let mut whole = self.prefix.clone().into_bytes();
        whole.extend_from_slice(&masked(&self.partial));
        self.partial.clear();
        // One write of a whole line under the stream's lock: never interleaved mid-line.
        let _ = if self.to_stderr {
            std::io::stderr().lock().write_all(&whole)
        } else {
            std::io::stdout().lock().write_all(&whole)
        };
    }
}

/// Copies a child's stream to ours line by line, each line prefixed.
fn relay_lines(mut stream: impl std::io::Read, prefix: String, to_stderr: bool) {
    let mut lines = LineWriter::new(prefix, to_stderr);
    let mut chunk = vec![0; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => lines.write(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    lines.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cat` of `bytes` into `Output::Zstd`: what the step returned and
    /// what the file holds (when it was written).
    fn zstd_output_of(bytes: &[u8]) -> (Result<i32, ExecError>, Option<Vec<u8>>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("input");
        std::fs::write(&input, bytes).expect("write");
        let output = dir.path().join("out.zst");
        let mut step = CommandStep::new(["cat", &input.to_string_lossy()]);
        step.stdout = Output::Zstd(output.clone());
        let result = run_foreground(&step);
        (result, std::fs::read(&output).ok())
    }

    #[test]
    fn zstd_output_is_compressed_once_and_never_empty() {
        // Plain text is compressed here, with a checksum.
        let (result, file) = zstd_output_of(b"-- a dump\n");
        assert_eq!(result.expect("runs"), 0);
        let file = file.expect("written");
        assert_eq!(zstd::decode_all(&file[..]).expect("zstd"), b"-- a dump\n");

        // A stream compressed where the child ran is kept as it came.
        let frame = zstd::encode_all(&b"-- a dump\n"[..], 3).expect("encode");
        let (result, file) = zstd_output_of(&frame);
        assert_eq!(result.expect("runs"), 0);
        assert_eq!(file.expect("written"), frame, "not compressed twice");

        // Compressed or not, an empty output is refused and no file made.
        let empty_frame = zstd::encode_all(&b""[..], 3).expect("encode");
        for bytes in [&b""[..], &empty_frame[..]] {
            let (result, file) = zstd_output_of(bytes);
            assert!(
                matches!(result, Err(ExecError::EmptyOutput { .. })),
                "{result:?}"
            );
            assert_eq!(file, None);
        }

        // A compressed stream cut short is refused.
        let big = zstd::encode_all(&vec![b'x'; 100_000][..], 1).expect("encode");
        let (result, file) = zstd_output_of(&big[..big.len() - 3]);
        assert!(
            matches!(result, Err(ExecError::Redirect { .. })),
            "{result:?}"
        );
        assert_eq!(file, None);
    }
}
