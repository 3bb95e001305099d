//! `docs` against the real engine: the Sphinx fixture under
//! tests/fixtures/docs, built in its own `*_docs` project, served on
//! 127.0.0.1, kept and torn down; a broken reference fails with its error.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::engine::{http_get, leftovers_of, wait_for, Stack};
use crate::harness::{send_signal, send_signal_to_group, Env};

/// A fixture under tests/fixtures copied into a fresh environment, so its
/// compose projects are named after a unique folder; everything of those
/// projects is removed on drop, and checked to be gone.
pub struct Fixture {
    /// The copy of the fixture, its default project and compose flavour.
    stack: Stack,
    projects: Vec<String>,
}

impl std::ops::Deref for Fixture {
    type Target = Stack;

    fn deref(&self) -> &Stack {
        &self.stack
    }
}

impl Fixture {
    /// `name` under tests/fixtures; `environments` are those whose projects
    /// (`<project>_<environment>`) the test may create.
    pub fn new(name: &str, environments: &[&str]) -> Self {
        let stack = Stack::from_fixture(&format!("tests/fixtures/{name}"));
        let project = &stack.project;
        let mut projects = vec![project.clone()];
        projects.extend(environments.iter().map(|e| format!("{project}_{e}")));
        Self { stack, projects }
    }

    /// Driven through Compose v1 (`docker-compose`).
    pub fn with_compose_v1(mut self) -> Self {
        self.stack.compose = Some("docker-compose");
        self
    }

    pub fn leftovers(&self) -> Vec<String> {
        self.projects.iter().flat_map(|p| leftovers_of(p)).collect()
    }

    /// The running containers of `project`, as `NAME COMMAND PORTS` lines.
    pub fn running(&self, project: &str) -> Vec<String> {
        let out = Command::new("docker")
            .args([
                "ps",
                "--no-trunc",
                "--filter",
                &format!("label=com.docker.compose.project={project}"),
                "--format",
                "{{.Names}} {{.Command}} {{.Ports}}",
            ])
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for project in &self.projects {
            let label = format!("label=com.docker.compose.project={project}");
            for (list, remove) in [
                (vec!["ps", "-aq", "--filter", &label], vec!["rm", "-f"]),
                (
                    vec!["network", "ls", "-q", "--filter", &label],
                    vec!["network", "rm"],
                ),
                (
                    vec!["volume", "ls", "-q", "--filter", &label],
                    vec!["volume", "rm"],
                ),
            ] {
                let Ok(out) = Command::new("docker").args(&list).output() else {
                    continue;
                };
                let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                if !ids.is_empty() {
                    let _ = Command::new("docker").args(&remove).args(&ids).output();
                }
            }
        }
    }
}

fn docs_fixture() -> (Fixture, String) {
    let fixture = Fixture::new("docs", &["docs"]);
    let docs_project = format!("{}_docs", fixture.project);
    (fixture, docs_project)
}

#[test]
fn docs_build_writes_index_html_at_the_printed_path_and_leaves_nothing_running() {
    let (fixture, docs_project) = docs_fixture();
    let out = fixture.xtask(["docs", "--build"]).ok();
    let printed = out.stdout.lines().last().unwrap_or_default().to_string();
    assert!(
        printed.ends_with("docs/_build/html/index.html"),
        "{}",
        out.describe()
    );
    let html = std::fs::read_to_string(&printed)
        .unwrap_or_else(|e| panic!("{printed}: {e}\n{}", out.describe()));
    assert!(
        html.contains("Fixture Docs") && html.contains("with autoapi"),
        "{html}"
    );
    assert!(out.stderr.contains("Built docs in"), "{}", out.describe());
    assert!(out.stderr.contains("0 warnings"), "{}", out.describe());
    assert!(
        leftovers_of(&docs_project).is_empty(),
        "the build's container and network are gone: {:?}",
        leftovers_of(&docs_project)
    );

    // --no-autoapi reaches the build as [docs.no_autoapi] says (a variable
    // here); --open hands the page to xdg-open (a stand-in that notes it).
    crate::harness::write_executable(
        &fixture.env.join("bin/xdg-open"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/opened\"\n",
    );
    let path = format!(
        "{}:{}",
        fixture.env.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = fixture
        .xtask(["docs", "--no-autoapi", "--open"])
        .env("PATH", path)
        .ok();
    let printed = out.stdout.lines().last().unwrap().to_string();
    let html = std::fs::read_to_string(&printed).unwrap();
    assert!(html.contains("without autoapi"), "{html}");
    assert_eq!(fixture.env.read("bin/opened").trim(), printed);
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn a_broken_reference_fails_the_build_with_its_error_shown() {
    let (fixture, _) = docs_fixture();
    let fixture = fixture.with_compose_v1();
    fixture.env.write(
        "docs/index.rst",
        "Fixture Docs\n============\n\n.. toctree::\n\n   usage\n\nSee :doc:`missing`.\n",
    );
    let out = fixture.xtask(["docs"]).run();
    assert_ne!(out.code, 0, "{}", out.describe());
    // Sphinx's own line, not a banner: where and what.
    assert!(
        out.stderr.contains("/docs/index.rst:8:unknown document") && out.stderr.contains("missing"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("Failed docs build (exit code") && out.stderr.contains("1 warning)"),
        "{}",
        out.describe()
    );
    // The summary repeats the error line after Sphinx's own output.
    let summary = out
        .stderr
        .split("Failed docs build")
        .nth(1)
        .unwrap_or_default();
    assert!(summary.contains("unknown document"), "{}", out.describe());
    assert!(
        !out.stdout.contains("index.html"),
        "no path of a built index.html after a failed build: {}",
        out.describe()
    );
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

/// How the test's Ctrl-C reaches the run.
#[derive(Clone, Copy, PartialEq)]
enum CtrlC {
    /// SIGINT to xtask alone.
    ToXtask,
    /// SIGINT to xtask's process group: compose and its children too, as
    /// at a terminal.
    ToTheJob,
}

/// Runs `docs --serve` on a free port until the HTML answers on
/// 127.0.0.1, then Ctrl-C; returns the port and what xtask printed. The
/// URL must answer the moment it is printed, and the run ends with 130,
/// quietly (no traceback), leaving nothing behind.
fn serve_until_answered_then_interrupt(
    fixture: &Fixture,
    docs_project: &str,
    ctrl_c: CtrlC,
) -> (u16, String) {
    use std::io::BufRead;
    let port = crate::engine::free_port();
    let tasks = fixture
        .env
        .read("tasks.toml")
        .replace("serve_port = 8000", &format!("serve_port = {port}"));
    fixture.env.tasks_toml(&tasks);
    let xtask = fixture.xtask(["docs", "--serve"]);
    let mut child = match ctrl_c {
        CtrlC::ToXtask => xtask.spawn(),
        CtrlC::ToTheJob => xtask.spawn_as_a_job(),
    };
    // Each line of stdout as it comes; the URL's line is checked at once.
    let stdout = child.stdout.take().expect("stdout");
    let url = format!("http://127.0.0.1:{port}/");
    let reader = std::thread::spawn({
        let url = url.clone();
        move || {
            let mut lines = Vec::new();
            let mut answered_when_printed = None;
            for line in std::io::BufReader::new(stdout).lines() {
                let line = line.expect("stdout line");
                if line.trim() == url && answered_when_printed.is_none() {
                    // Within half a second of the line (engine's port proxy
                    // may drop one connection); a URL printed before the
                    // server starts (2 s with the stand-in) does not answer.
                    let printed = Instant::now();
                    let mut answered = http_get(port).is_ok();
                    while !answered && printed.elapsed() < Duration::from_millis(500) {
                        std::thread::sleep(Duration::from_millis(50));
                        answered = http_get(port).is_ok();
                    }
                    answered_when_printed = Some(answered);
                }
                lines.push(line);
            }
            (lines.join("\n"), answered_when_printed)
        }
    });
    let (status, body) = wait_for("the docs server to answer", Duration::from_secs(60), || {
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(Err(format!("xtask exited early: {status}")));
        }
        http_get(port).map(Ok)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 200);
    assert!(body.contains("Fixture Docs"), "{body}");
    assert!(!fixture.running(docs_project).is_empty());

    match ctrl_c {
        CtrlC::ToXtask => send_signal(child.id(), 2),
        CtrlC::ToTheJob => send_signal_to_group(child.id(), 2),
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "docs --serve did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let (stdout, answered_when_printed) = reader.join().expect("reader");
    assert_eq!(
        answered_when_printed,
        Some(true),
        "the URL is printed, once the server answers: {stdout}"
    );
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("Traceback") && !stderr.contains("KeyboardInterrupt"),
        "Ctrl-C ends the server quietly: {stderr}"
    );
    assert!(http_get(port).is_err(), "nothing answers any more");
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
    (port, stdout)
}

#[test]
fn docs_serve_answers_on_127_0_0_1_until_interrupted_then_tears_down() {
    let (fixture, docs_project) = docs_fixture();
    let (_, stdout) = serve_until_answered_then_interrupt(&fixture, &docs_project, CtrlC::ToXtask);
    assert!(!stdout.contains("fake sphinx-autobuild"), "{stdout}");
}

#[test]
fn docs_serve_ends_quietly_with_130_when_ctrl_c_reaches_the_whole_job() {
    let (fixture, docs_project) = docs_fixture();
    serve_until_answered_then_interrupt(&fixture, &docs_project, CtrlC::ToTheJob);
}

#[test]
fn docs_serve_rebuilds_live_with_sphinx_autobuild_when_the_image_has_it() {
    let (fixture, docs_project) = docs_fixture();
    // A stand-in on the image's PATH that says how it was called, then serves.
    crate::harness::write_executable(
        &fixture.env.join("bin/sphinx-autobuild"),
        "#!/bin/sh\necho \"fake sphinx-autobuild $*\"\nfor a; do last=$a; done\nsleep 2\nexec python3 -m http.server \"$4\" --bind 0.0.0.0 --directory \"$last\"\n",
    );
    let compose = fixture.env.read("docker-compose.docs.yml").replace(
        "      - ./docs:/docs\n",
        "      - ./docs:/docs\n      - ./bin/sphinx-autobuild:/usr/local/bin/sphinx-autobuild:ro\n",
    );
    fixture.env.write("docker-compose.docs.yml", &compose);
    let (port, stdout) =
        serve_until_answered_then_interrupt(&fixture, &docs_project, CtrlC::ToTheJob);
    // Our build was the initial one: autobuild does not build it again.
    assert!(
        stdout.contains(&format!(
            "fake sphinx-autobuild --host 0.0.0.0 --port {port} --no-initial -W -b html /docs /docs/_build/html"
        )),
        "{stdout}"
    );
}

#[test]
fn docs_keep_leaves_the_container_for_the_next_run_and_down_removes_it() {
    let (fixture, docs_project) = docs_fixture();
    let out = fixture.xtask(["docs", "--keep"]).ok();
    assert!(out.stderr.contains("stays up"), "{}", out.describe());
    let running = fixture.running(&docs_project);
    assert_eq!(running.len(), 1, "{running:?}");

    // The next run execs into it, and --keep keeps it.
    let plan = fixture.xtask(["--dry-run", "docs", "--keep"]).ok();
    assert!(
        plan.stdout
            .contains(" exec -T docs sphinx-build -W -b html /docs /docs/_build/html")
            && !plan.stdout.contains(" run ")
            && !plan.stdout.contains(" down "),
        "{}",
        plan.describe()
    );
    fixture.xtask(["docs", "--keep"]).ok();
    assert_eq!(
        fixture.running(&docs_project),
        running,
        "the same container"
    );

    fixture.xtask(["docs", "--down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn docs_dry_run_prints_every_compose_call_and_runs_nothing() {
    let (fixture, docs_project) = docs_fixture();
    let out = fixture
        .xtask(["--dry-run", "docs", "--build", "--no-autoapi"])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.describe());
    let compose = format!(
        "docker compose -p {docs_project} -f docker-compose.yml -f docker-compose.docs.yml"
    );
    assert!(
        lines[0].contains(&format!("{compose} build docs")),
        "{}",
        out.describe()
    );
    assert!(
        lines[1].contains(&format!(
            "{compose} run --rm --no-deps -T -e 'NO_AUTOAPI=1' docs sphinx-build -W -b html /docs /docs/_build/html"
        )),
        "{}",
        out.describe()
    );
    assert!(
        lines[2].contains(&format!("{compose} down --remove-orphans")),
        "{}",
        out.describe()
    );
    assert!(!fixture.env.join("docs/_build").exists());
    assert!(fixture.leftovers().is_empty());
}

#[test]
fn docs_refuses_a_taken_serve_port_before_anything_starts() {
    let (fixture, _) = docs_fixture();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tasks = fixture
        .env
        .read("tasks.toml")
        .replace("serve_port = 8000", &format!("serve_port = {port}"));
    fixture.env.tasks_toml(&tasks);
    let out = fixture.xtask(["docs", "--serve"]).fails_with(2);
    assert!(
        out.stderr
            .contains(&format!("port {port} on 127.0.0.1 is taken")),
        "{}",
        out.describe()
    );
    assert!(!fixture.env.join("docs/_build").exists(), "no build ran");
    assert!(fixture.leftovers().is_empty());
}

#[test]
fn docs_config_errors_name_the_line() {
    let env = Env::new();
    env.write("docker-compose.yml", "services:\n  docs:\n    image: x\n");
    env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[docs]\nservice = \"doc\"\ncommand = []\noutput = \"../html\"\nhtml_dir = \"build/html\"\n",
    );
    let out = env.xtask(["check"]).fails_with(2);
    for expected in [
        "tasks.toml:5:11: [docs] service `doc` is no service of the compose files",
        "did you mean `docs`?",
        "tasks.toml:6:11: [docs] command names no command",
        "tasks.toml:7:10: [docs] output `../html` escapes the environment root",
        "tasks.toml:8:12: [docs] html_dir: `build/html` is not an absolute path",
    ] {
        assert!(
            out.stderr.contains(expected),
            "{expected}\n{}",
            out.describe()
        );
    }
    env.xtask(["docs"]).fails_with(2);
    let none = Env::new();
    none.xtask(["docs"])
        .fails_with(2)
        .stderr_has("tasks.toml has no [docs] section");
}

#[test]
fn docs_in_a_project_shared_with_the_stack_removes_only_its_own_container() {
    let fixture = Fixture::new("docs", &[]);
    // No [docs] environment: the docs service lives in the dev project.
    let tasks = fixture
        .env
        .read("tasks.toml")
        .replace("environment = \"docs\"\n", "")
        .replace(
            "compose_files = [\"docker-compose.yml\"]\n",
            "compose_files = [\"docker-compose.yml\", \"docker-compose.docs.yml\"]\n",
        );
    fixture.env.tasks_toml(&tasks);
    fixture.xtask(["up", "-d", "web"]).ok();
    let plan = fixture.xtask(["--dry-run", "docs", "--down"]).ok();
    assert!(
        plan.stdout.contains(&format!(
            "# project {} also has web: only its docs containers go",
            fixture.project
        )) && plan.stdout.contains(" rm --stop --force docs")
            && !plan.stdout.contains(" down "),
        "{}",
        plan.describe()
    );
    let out = fixture.xtask(["docs"]).ok();
    assert!(
        out.stdout.trim_end().ends_with("index.html"),
        "{}",
        out.describe()
    );
    let running = fixture.running(&fixture.project);
    assert!(
        running.len() == 1 && running[0].contains("sleep 3600"),
        "web still runs, nothing of docs does: {running:?}"
    );
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn warnings_are_counted_in_the_summary_of_a_build_that_passes() {
    let (fixture, _) = docs_fixture();
    let tasks = fixture.env.read("tasks.toml").replace("\"-W\", ", "");
    fixture.env.tasks_toml(&tasks);
    fixture.env.write(
        "docs/index.rst",
        "Fixture Docs\n============\n\n.. toctree::\n\n   usage\n\nSee :doc:`missing` and :ref:`nowhere`.\n",
    );
    let out = fixture.xtask(["docs"]).ok();
    assert!(
        out.stderr.contains("Built docs in") && out.stderr.contains(", 2 warnings"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("WARNING: unknown document"),
        "{}",
        out.describe()
    );
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}
