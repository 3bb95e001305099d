//! `docs`: build the Sphinx documentation in the docs environment's own
//! compose project (`[docs]` in tasks.toml), count its warnings, show its
//! errors, serve the HTML on 127.0.0.1, and tear the container down.

use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::commands::Context;
use crate::compose::project::ComposeProject;
use crate::compose::state;
use crate::config::docs_spec::DocsSpec;
use crate::config::CommandLine;
use crate::error::{Error, Result};
use crate::exec;
use crate::plan::{CommandStep, Plan, Step};
use crate::ui::{sanitize_for_terminal as clean, Tone};

/// Build the documentation in its container; serve it on 127.0.0.1
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask docs --build           build the docs image, then the docs
  cargo xtask docs --no-autoapi      skip the API pages ([docs.no_autoapi])
  cargo xtask docs --serve           build, then serve on http://127.0.0.1:8000/ until Ctrl-C
  cargo xtask docs --keep            leave the docs container up (exec into it later)
  cargo xtask docs --down            only tear the docs container down
  cargo xtask --dry-run docs         every compose call, nothing run")]
pub struct DocsArgs {
    /// Build the docs image first
    #[arg(long)]
    pub build: bool,
    /// Leave the docs container running afterwards (the next run execs into it)
    #[arg(long, conflicts_with = "down")]
    pub keep: bool,
    /// Only tear the docs container down
    #[arg(long)]
    pub down: bool,
    /// Skip the autoapi step: add what [docs.no_autoapi] says to the build
    #[arg(long)]
    pub no_autoapi: bool,
    /// After the build, serve the HTML on 127.0.0.1 (live rebuild when the image has sphinx-autobuild) until Ctrl-C
    #[arg(long, conflicts_with = "down")]
    pub serve: bool,
    /// Open the built index.html in a browser (xdg-open or open)
    #[arg(long, conflicts_with = "down")]
    pub open: bool,
}

const CONFIG_EXAMPLE: &str = "add to tasks.toml:
    [docs]
    environment = \"docs\"      # [environments.docs] compose_files = [\"docker-compose.documentation.yml\"]
    service = \"docs\"
    command = [\"sphinx-build\", \"-b\", \"html\", \"/docs/source\", \"/docs/build/html\"]
    output = \"shared/docs/build/html\"";

impl DocsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let spec = workspace.tasks.docs.clone().ok_or_else(|| {
            Error::usage_with_help("tasks.toml has no [docs] section", CONFIG_EXAMPLE)
        })?;
        let environment =
            ctx.environment_named(spec.environment.as_ref().map(|e| e.get_ref().as_str()))?;
        let service = spec.service.get_ref().clone();
        if !self.down {
            ctx.require_variables(&environment)?;
        }
        let project = ctx.compose_for(&environment)?;
        ctx.require_engine()?;
        let containers = state::containers(&project.name).unwrap_or_default();
        let running = containers
            .iter()
            .any(|c| c.service == service && c.is_running() && !c.one_off);
        // The docs' own project goes whole; one shared with the stack (no
        // `[docs] environment`) loses only the docs containers.
        let mut shared: Vec<String> = containers
            .iter()
            .filter(|c| c.service != service)
            .map(|c| c.service.clone())
            .collect();
        shared.dedup();
        let down = if shared.is_empty() {
            project.command(["down", "--remove-orphans"])
        } else {
            project.command([
                "rm".to_string(),
                "--stop".into(),
                "--force".into(),
                service.clone(),
            ])
        };
        if self.down {
            let mut plan = Plan::new();
            if !shared.is_empty() {
                plan.push(Step::Note(format!(
                    "project {} also has {}: only its {service} containers go",
                    project.name,
                    shared.join(", ")
                )));
            }
            plan.run(down);
            ctx.execute(&plan)?;
            ctx.ui
                .status("Down", format!("docs project {}", project.name));
            return Ok(());
        }
        let serve = if self.serve {
            Some(serve_step(&project, &spec, &service)?)
        } else {
            None
        };
        if let Some((port, _)) = &serve {
            if !ctx.global.dry_run {
                check_port_free(*port)?;
            }
        }

        // Before the build: the image, and the kept container.
        let mut before = Plan::new();
        if self.build {
            before.run(project.command(["build".to_string(), service.clone()]));
        }
        let build = build_step(
            &project,
            &spec,
            &service,
            self.no_autoapi,
            running || self.keep,
        );
        if self.keep && !running {
            before.run(project.command([
                "up".to_string(),
                "--detach".into(),
                "--no-deps".into(),
                service.clone(),
            ]));
        }
        // After it: the browser, the server, the tear-down.
        let index = workspace
            .root
            .join(spec.output.get_ref())
            .join("index.html");
        let mut after = Plan::new();
        if self.open {
            match crate::ui::browser() {
                Some(program) => {
                    after.run(CommandStep::new([
                        program,
                        index.to_string_lossy().into_owned(),
                    ]));
                }
                None => {
                    after.push(Step::Note(format!(
                        "no xdg-open or open on PATH: open {} in a browser",
                        index.display()
                    )));
                }
            }
        }
        if let Some((port, step)) = &serve {
            after.push(Step::Note(format!(
                "starting the server on 127.0.0.1:{port}; its URL is printed when it answers; Ctrl-C stops it"
            )));
            after.run(step.clone());
        }
        let tear_down = !self.keep;

        if ctx.global.dry_run {
            let mut whole = before.clone();
            whole.run(build);
            whole.steps.extend(after.steps);
            if tear_down {
                whole.run(down);
            }
            return ctx.execute(&whole);
        }

        let result = (|| {
            ctx.execute(&before)?;
            run_build(ctx, &build, &index)?;
            // The URL is printed once it answers, not when the server starts.
            let announcer = serve
                .as_ref()
                .map(|(port, _)| UrlAnnouncer::start(ctx, *port));
            let served = ctx.execute(&after);
            drop(announcer);
            if let (Some(signal), Some(_)) = (exec::interrupt_signal(), &serve) {
                // Ctrl-C is how a server ends: quietly, with 128 + the signal.
                return Err(Error::Child {
                    command: "docs --serve".into(),
                    code: 128 + signal,
                });
            }
            served
        })();
        if tear_down {
            // Captured: it runs even after Ctrl-C stopped the server.
            if ctx.ui.verbosity >= 1 {
                ctx.ui.command(&down);
            }
            match exec::capture(&down) {
                Ok(out) if out.success() => {}
                Ok(out) => ctx.ui.warn(format!(
                    "could not tear the docs project down ({}): {}",
                    out.stderr.trim(),
                    down
                )),
                Err(e) => ctx
                    .ui
                    .warn(format!("could not tear the docs project down: {e}")),
            }
            if !shared.is_empty() {
                remove_one_offs(ctx, &project.name, &service);
            }
        } else if result.is_ok() {
            ctx.ui.note(format!(
                "the docs container stays up (project {}); `cargo xtask docs --down` removes it",
                project.name
            ));
        }
        result
    }
}

/// `rm` leaves the one-off containers an interrupted `run --rm` may leak
/// (docker/compose#12965): those of the docs service go too.
fn remove_one_offs(ctx: &Context, project: &str, service: &str) {
    let ids: Vec<String> = state::containers(project)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.one_off && c.service == service)
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        return;
    }
    let mut argv = vec!["docker".to_string(), "rm".into(), "--force".into()];
    argv.extend(ids.iter().cloned());
    if !exec::capture(&CommandStep::new(argv)).is_ok_and(|out| out.success()) {
        ctx.ui.warn(format!(
            "one-off docs containers are left: docker rm -f {}",
            ids.join(" ")
        ));
    }
}

/// The build: `exec` into the (kept) container, else a fresh one removed on exit.
fn build_step(
    project: &ComposeProject,
    spec: &DocsSpec,
    service: &str,
    no_autoapi: bool,
    exec_into: bool,
) -> CommandStep {
    let mut argv = spec.command.get_ref().to_argv();
    if no_autoapi && !spec.no_autoapi.args.is_empty() {
        if let CommandLine::Shell(_) = spec.command.get_ref() {
            // `sh -c LINE docs ARG...`: the script reads them as "$@".
            argv.push("docs".into());
        }
        argv.extend(spec.no_autoapi.args.iter().cloned());
    }
    let mut args: Vec<String> = if exec_into {
        vec!["exec".into(), "-T".into()]
    } else {
        ["run", "--rm", "--no-deps", "-T"]
            .map(String::from)
            .to_vec()
    };
    if no_autoapi {
        for (key, value) in &spec.no_autoapi.env {
            args.extend(["-e".into(), format!("{key}={value}")]);
        }
    }
    args.push(service.to_string());
    args.extend(argv);
    project.command(args)
}

/// Prints the served URL (stdout) once 127.0.0.1:`port` answers HTTP,
/// polling beside the server in the foreground; stops when dropped.
struct UrlAnnouncer {
    done: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl UrlAnnouncer {
    fn start(ctx: &Context, port: u16) -> Self {
        use std::sync::atomic::Ordering;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ui = ctx.ui.clone();
        let thread = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    if answers_http(port) {
                        crate::outln!("http://127.0.0.1:{port}/");
                        ui.status("Serving", format!("http://127.0.0.1:{port}/ until Ctrl-C"));
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            })
        };
        UrlAnnouncer {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for UrlAnnouncer {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whether an HTTP server answers a `GET /` on 127.0.0.1:`port`.
fn answers_http(port: u16) -> bool {
    use std::io::Write;
    let timeout = std::time::Duration::from_millis(500);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// `--serve`: a fresh container publishing the port on 127.0.0.1 only,
/// running sphinx-autobuild when the image has it (without its initial
/// build: ours just ran), else Python's http.server. The server runs in
/// the background of a `sh` that turns the INT or TERM it is sent into a
/// TERM for the server: Python then ends without a KeyboardInterrupt
/// traceback (a background job ignores INT).
fn serve_step(
    project: &ComposeProject,
    spec: &DocsSpec,
    service: &str,
) -> Result<(u16, CommandStep)> {
    let port = spec.serve_port();
    let html_dir = spec.html_dir().ok_or_else(|| {
        Error::usage_with_help(
            "--serve needs the built HTML's folder in the container",
            "set [docs] html_dir = \"/docs/build/html\" (it is read from a sphinx-build command's last argument otherwise)",
        )
    })?;
    let http_server = format!(
        "python3 -m http.server {port} --bind 0.0.0.0 --directory {} &",
        shell_words::quote(&html_dir)
    );
    let server = match spec.command.get_ref() {
        CommandLine::Argv(argv) if argv.first().is_some_and(|p| p.ends_with("sphinx-build")) => {
            let rest = shell_words::join(&argv[1..]);
            format!(
                "if command -v sphinx-autobuild >/dev/null 2>&1; then sphinx-autobuild --host 0.0.0.0 --port {port} --no-initial {rest} & else {http_server} fi"
            )
        }
        _ => http_server,
    };
    let script = format!(
        "trap 'stopped=1; kill -TERM $server 2>/dev/null' INT TERM\n{server}\nserver=$!\nwait $server; status=$?\nif [ -n \"$stopped\" ]; then wait $server; status=$?; fi\nexit $status"
    );
    let step = project.command([
        "run".to_string(),
        "--rm".into(),
        "--no-deps".into(),
        "-T".into(),
        "-p".into(),
        format!("127.0.0.1:{port}:{port}"),
        service.to_string(),
        "sh".into(),
        "-c".into(),
        script,
    ]);
    Ok((port, step))
}

/// Refuses a port something on 127.0.0.1 already listens on, before anything starts.
fn check_port_free(port: u16) -> Result<()> {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::usage_with_help(
            format!("port {port} on 127.0.0.1 is taken ({e}); nothing was started"),
            format!("stop what listens there (`ss -ltnp 'sport = :{port}'` shows it), or set [docs] serve_port"),
        )),
    }
}

/// Runs the build with its output streamed as it comes (stdout to stdout,
/// stderr to stderr, whole lines), read for warnings and errors; then the
/// summary line, and on failure the error lines again.
fn run_build(ctx: &Context, step: &CommandStep, index: &std::path::Path) -> Result<()> {
    if ctx.ui.verbosity >= 1 {
        ctx.ui.command(step);
    }
    let started = Instant::now();
    let mut child = exec::spawn_piped(step)?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = [
        child
            .child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    .filter_map(|(i, pipe)| pipe.map(|p| (i == 1, p)))
    .map(|(to_stderr, pipe)| {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if to_stderr {
                    crate::errln!("{}", clean(&line));
                } else {
                    crate::outln!("{}", clean(&line));
                }
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        })
    })
    .collect();
    for reader in readers {
        let _ = reader.join();
    }
    let code = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    let log = BuildLog::read(&lines);
    let warnings = crate::ui::plural(log.warnings, "warning", "warnings");
    if code > 128 && exec::interrupted() {
        ctx.ui
            .status_tone("Stopped", "docs build (interrupted)", Tone::Warn);
        return Err(Error::Child {
            command: step.to_string(),
            code,
        });
    }
    if code != 0 {
        ctx.ui.status_tone(
            "Failed",
            format!("docs build (exit code {code}, {seconds:.1} s, {warnings})"),
            Tone::Bad,
        );
        let shown = if log.errors.is_empty() {
            // Nothing reads as an error line: the last lines say why.
            lines[lines.len().saturating_sub(10)..].to_vec()
        } else {
            log.errors.clone()
        };
        for line in &shown {
            crate::errln!("  {}", clean(line));
        }
        return Err(Error::Child {
            command: step.to_string(),
            code,
        });
    }
    let tone = if log.warnings > 0 {
        Tone::Warn
    } else {
        Tone::Good
    };
    ctx.ui
        .status_tone("Built", format!("docs in {seconds:.1} s, {warnings}"), tone);
    if index.is_file() {
        crate::outln!("{}", index.display());
        Ok(())
    } else {
        Err(Error::usage_with_help(
            format!("the build succeeded but {} does not exist", index.display()),
            "[docs] output must be the host folder the build writes its HTML to",
        ))
    }
}

/// What a Sphinx build's output says: how many warnings, which error lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BuildLog {
    pub warnings: usize,
    pub errors: Vec<String>,
}

impl BuildLog {
    pub fn read(lines: &[String]) -> Self {
        let mut log = BuildLog::default();
        let mut next_is_error = false;
        for line in lines {
            if next_is_error {
                log.errors.push(line.clone());
                next_is_error = false;
                continue;
            }
            if line.contains("WARNING:") {
                log.warnings += 1;
            }
            if line.starts_with("Warning, treated as error:") {
                // Sphinx -W: the warning itself is on the next line.
                log.warnings += 1;
                log.errors.push(line.clone());
                next_is_error = true;
            } else if ["ERROR:", "SEVERE:", "CRITICAL:", "Exception occurred"]
                .iter()
                .any(|mark| line.contains(mark))
                || is_exception_line(line)
            {
                log.errors.push(line.clone());
            }
        }
        log
    }
}

/// `ConfigError: ...`, `sphinx.errors.ExtensionError: ...`.
fn is_exception_line(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else {
        return false;
    };
    !name.contains(' ')
        && (name.ends_with("Error") || name.ends_with("Exception"))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn warnings_are_counted_and_error_lines_kept() {
        let log = BuildLog::read(&lines(
            "Running Sphinx v5.3.0\n\
             /docs/index.rst:3: WARNING: undefined label: 'nowhere'\n\
             /docs/a.rst:1: WARNING: document isn't included in any toctree\n\
             /docs/index.rst:9: (SEVERE/4) Problems with \"include\" directive path:\n\
             /docs/b.rst:2: ERROR: Unknown directive type \"nope\".\n\
             build succeeded, 2 warnings.",
        ));
        assert_eq!(log.warnings, 2);
        assert_eq!(
            log.errors,
            vec!["/docs/b.rst:2: ERROR: Unknown directive type \"nope\".".to_string()]
        );
    }

    #[test]
    fn a_warning_treated_as_error_and_an_exception_are_errors() {
        let log = BuildLog::read(&lines(
            "Warning, treated as error:\n/docs/index.rst:4:unknown document: missing\n\
             Configuration error:\nsphinx.errors.ConfigError: bad value\nBuilding [html]: targets",
        ));
        assert_eq!(log.warnings, 1);
        assert_eq!(log.errors.len(), 3, "{:?}", log.errors);
        assert_eq!(log.errors[1], "/docs/index.rst:4:unknown document: missing");
    }
}
