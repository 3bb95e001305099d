//! `test` against the real engine: the fixture under tests/fixtures/testing
//! (a pytest suite using a Postgres test database, a second suite), each
//! test with its own compose projects, torn down and checked to be gone.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::{leftovers_of, wait_for, Stack};
use crate::harness::{binary, Env};

/// The fixture copied into a fresh environment (its folder name, and so
/// its projects' names, unique).
fn fixture() -> Stack {
    Stack::from_fixture("tests/fixtures/testing")
}

/// The testing environment's project, where `test` runs.
fn testing_project(stack: &Stack) -> String {
    format!("{}_testing", stack.project)
}

/// IDs of the running containers of `service` in `project`.
fn container_ids(project: &str, service: &str) -> Vec<String> {
    crate::engine::container_ids(project, service, false)
}

/// The summary row of `phase` (the table's columns are space-separated).
fn row<'a>(stdout: &'a str, phase: &str) -> Option<&'a str> {
    stdout
        .lines()
        .find(|line| line.starts_with(&format!("{phase}  ")))
}

#[test]
fn test_web_passes_fails_on_demand_selects_and_starts_from_a_fresh_template_copy() {
    let stack = fixture();
    let project = testing_project(&stack);
    let junit = stack.env.join("results");

    // Cold: up, the template made by [db] init, a fresh copy, the suite.
    let out = stack
        .xtask(["-v", "test", "web", "--keep", "--junit", "results"])
        .ok();
    for phase in ["up", "db template web_test_template", "db web", "tests web"] {
        let line =
            row(&out.stdout, phase).unwrap_or_else(|| panic!("no row {phase}: {}", out.describe()));
        assert!(line.contains(" ok "), "{line}\n{}", out.describe());
    }
    assert!(
        out.stdout.contains("4 passed, 1 skipped in"),
        "pytest's own count: {}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("test result: ok; tests: 4 passed, 0 failed, 1 skipped"),
        "{}",
        out.describe()
    );
    // Valid JUnit XML with pytest's counts, copied to the host.
    let xml = std::fs::read_to_string(junit.join("web.xml")).expect("results/web.xml");
    assert_eq!(
        xtask::junit::JunitCounts::parse(&xml),
        Ok(xtask::junit::JunitCounts {
            passed: 4,
            failed: 0,
            skipped: 1
        }),
        "{xml}"
    );
    assert!(xml.starts_with("<?xml"), "{xml}");
    let web = container_ids(&project, "web");
    assert_eq!(web.len(), 1, "--keep leaves the web container running");

    // The first run made the next run's spare while its suite ran (-v says so).
    assert!(
        out.stdout
            .contains("copied database web_test_template to web_test"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("spare web_test__spare made while the suites ran ("),
        "{}",
        out.describe()
    );

    // A session that only reads the template (as autovacuum's visits, about
    // once a minute, do) leaves the spare good for the next run.
    psql(&stack, "web_test_template", "SELECT count(*) FROM items");

    // Kept: the next run only execs into the same container, its runner
    // started while the spare is swapped in (held at the gate until then).
    // The suite's row-writing test asserts an empty table: the last run's
    // row is gone, the spare renamed into place (no copy taken).
    let plan = stack
        .xtask(["--dry-run", "test", "web", "--keep"])
        .ok()
        .stdout;
    assert!(
        plan.contains(
            "# tests web is started before the preparation above and waits for `go` on its stdin"
        ) && plan.contains("sh -c 'IFS= read -r go && [ \"$go\" = go ] || exit 125; j=$1"),
        "{plan}"
    );
    let out = stack.xtask(["test", "web", "--keep"]).ok();
    assert!(
        out.stdout
            .contains("swapped in the spare web_test__spare as web_test"),
        "{}",
        out.describe()
    );
    assert!(
        !out.stdout.contains("copied database"),
        "the spare, not a copy: {}",
        out.describe()
    );
    assert!(
        row(&out.stdout, "db template web_test_template").is_none()
            && row(&out.stdout, "db web").is_some_and(|r| r.contains(" ok ")),
        "a kept stack's template is checked only when no spare is ready: {}",
        out.describe()
    );
    assert!(
        row(&out.stdout, "up").is_none(),
        "no `up` for a kept stack: {}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("note: the test stack is up (kept): docker exec into db "),
        "{}",
        out.describe()
    );
    assert_eq!(container_ids(&project, "web"), web, "the same container");
    // Without --junit the report is kept in the state folder, which ignores itself.
    assert!(stack
        .env
        .join(&format!(".xtask/test-results/{project}/web.xml"))
        .is_file());
    assert_eq!(stack.env.read(".xtask/.gitignore"), "*\n");
    assert!(
        out.stdout.contains("4 passed, 1 skipped in"),
        "{}",
        out.describe()
    );

    // `test | head` once head has gone: the run still goes through (the
    // spare swapped in, the report saved) and its exit code is the suite's.
    let report = stack
        .env
        .join(&format!(".xtask/test-results/{project}/web.xml"));
    std::fs::remove_file(&report).expect("the last report");
    let out = stack
        .xtask(["test", "web", "--keep"])
        .run_with_closed_stdout();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(report.is_file(), "the run stopped early: {}", out.stderr);
    let out = stack
        .xtask(["test", "web", "--keep"])
        .env("FAIL_ONE", "1")
        .run_with_closed_stdout();
    assert_eq!(out.code, 1, "{}", out.stderr);

    // A variable that makes one test fail: non-zero, and the summary says so.
    let out = stack
        .xtask(["test", "web", "--keep"])
        .env("FAIL_ONE", "1")
        .fails_with(1);
    let line = row(&out.stdout, "tests web").expect("tests row");
    assert!(
        line.contains("FAILED (exit 1)") && line.contains("3 passed, 1 failed, 1 skipped"),
        "{line}\n{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("test result: FAILED (tests web)"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("1 phase failed: tests web"),
        "{}",
        out.describe()
    );

    // --path runs only that file; -k only the tests it selects.
    let out = stack
        .xtask(["test", "web", "--keep", "--path", "tests/test_other.py"])
        .ok();
    assert!(
        out.stdout.contains("collected 1 item"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("tests/test_other.py ."),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("test_items.py"), "{}", out.describe());
    let out = stack.xtask(["test", "web", "--keep", "-k", "writes"]).ok();
    assert!(
        out.stdout.contains("1 passed, 4 deselected"),
        "{}",
        out.describe()
    );

    // The template is kept between runs: a row put into it by hand shows up
    // in the next run (failing the empty-table test), the spare made before
    // the change dropped (its marker holds the template's count of rows
    // written) and a copy taken, until --build recreates the template.
    psql(
        &stack,
        "web_test_template",
        "INSERT INTO items (name) VALUES ('in the template')",
    );
    let out = stack.xtask(["test", "web", "--keep"]).fails_with(1);
    assert!(
        out.stdout.contains("items before this test: 1"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("dropped database web_test__spare")
            && out
                .stdout
                .contains("copied database web_test_template to web_test"),
        "a stale spare is dropped, a copy taken: {}",
        out.describe()
    );
    let out = stack.xtask(["test", "web", "--keep", "--build"]).ok();
    assert!(row(&out.stdout, "build").is_some(), "{}", out.describe());
    for dropped in ["web_test__spare", "web_test_template"] {
        assert!(
            out.stdout
                .contains(&format!("dropped database {dropped}\n")),
            "--build drops {dropped}: {}",
            out.describe()
        );
    }
    assert!(
        out.stdout
            .contains("copied database web_test_template to web_test"),
        "{}",
        out.describe()
    );
    // The next run uses the spare made from the new template: an empty table.
    let out = stack.xtask(["test", "web", "--keep"]).ok();
    assert!(
        out.stdout
            .contains("swapped in the spare web_test__spare as web_test"),
        "{}",
        out.describe()
    );

    // --down leaves nothing of the testing project, volumes included.
    down_leaves_nothing(&stack, &project);
}

/// `test --down`, after which nothing of the testing project is left.
fn down_leaves_nothing(stack: &Stack, project: &str) {
    stack.xtask(["test", "--down"]).ok();
    assert!(
        leftovers_of(project).is_empty(),
        "{:?}",
        leftovers_of(project)
    );
}

/// `sql` run by psql in the testing project's db container, on `database`.
fn psql(stack: &Stack, database: &str, sql: &str) {
    stack
        .xtask([
            "--env",
            "testing",
            "exec",
            "db",
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "db",
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            sql,
        ])
        .ok();
}

#[test]
fn an_unmarked_spare_is_dropped_not_used_and_down_leaves_nothing_under_compose_v1() {
    let stack = fixture().with_compose_v1();
    let project = testing_project(&stack);
    let out = stack.xtask(["test", "web", "--keep"]).ok();
    assert!(
        out.stdout
            .contains("copied database web_test_template to web_test"),
        "{}",
        out.describe()
    );
    // A spare whose run ended between its copy and its mark: not complete,
    // and with a row that fails the empty-table test should it be used.
    psql(
        &stack,
        "postgres",
        "COMMENT ON DATABASE web_test__spare IS NULL",
    );
    psql(
        &stack,
        "web_test__spare",
        "INSERT INTO items (name) VALUES ('half-made')",
    );
    let out = stack.xtask(["test", "web", "--keep"]).ok();
    assert!(
        out.stdout.contains("dropped database web_test__spare")
            && out
                .stdout
                .contains("copied database web_test_template to web_test")
            && !out.stdout.contains("swapped in"),
        "the unmarked spare is dropped, a copy taken: {}",
        out.describe()
    );
    // That run made a complete spare again: the next one renames it in.
    let out = stack.xtask(["test", "web", "--keep"]).ok();
    assert!(
        out.stdout
            .contains("swapped in the spare web_test__spare as web_test")
            && !out.stdout.contains("copied database"),
        "{}",
        out.describe()
    );
    // A test database that cannot be made: the runner, started ahead on
    // the kept stack and held at its gate, never runs.
    psql(&stack, "postgres", "DROP DATABASE web_test__spare");
    psql(&stack, "postgres", "DROP DATABASE web_test_template");
    let tasks = stack.env.read("tasks.toml");
    stack.env.write(
        "tasks.toml",
        &tasks
            .lines()
            .map(|line| match line.starts_with("init = ") {
                true => "init = [\"sh\", \"-c\", \"echo no schema today >&2; exit 7\"]",
                false => line,
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let out = stack.xtask(["test", "web", "--keep"]).fails_with(1);
    assert!(
        row(&out.stdout, "db web").is_some_and(|r| r.contains("FAILED (exit 7)"))
            && row(&out.stdout, "tests web").is_some_and(|r| r.contains("skipped")),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("no schema today") && !out.stdout.contains("suite started at"),
        "the suite never started: {}",
        out.describe()
    );
    // The template that run created but could not fill is not taken for
    // made: the next run drops it and makes it whole.
    stack.env.write("tasks.toml", &tasks);
    let out = stack.xtask(["test", "web", "--keep"]).ok();
    assert!(
        out.stdout.contains("dropped database web_test_template\n")
            && out.stdout.contains("created database web_test_template\n")
            && out.stdout.contains("4 passed, 1 skipped in"),
        "{}",
        out.describe()
    );
    // --down removes the stack and its volume, the spare with it.
    down_leaves_nothing(&stack, &project);
}

#[test]
fn two_suites_run_in_parallel_with_prefixed_lines_under_compose_v1() {
    let stack = fixture().with_compose_v1();
    // Each suite lasts 3 s at least: run side by side, they overlap.
    let out = stack
        .xtask(["test", "web", "api", "--lint"])
        .env("SUITE_SECONDS", "3")
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for name in ["web", "api"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{name} | collected "))),
            "{name}'s lines are prefixed: {}",
            out.describe()
        );
        assert!(
            row(&out.stdout, &format!("tests {name}")).is_some_and(|r| r.contains(" ok ")),
            "{}",
            out.describe()
        );
    }
    // --lint: web's lint command ran in its container; api has none.
    assert!(
        row(&out.stdout, "lint web").is_some_and(|r| r.contains(" ok ")),
        "{}",
        out.describe()
    );
    assert!(row(&out.stdout, "lint api").is_none(), "{}", out.describe());
    // Each suite prints when it started and finished: the intervals overlap.
    let time = |name: &str, what: &str| -> f64 {
        let marker = format!("{name} | suite {what} at ");
        lines
            .iter()
            .find_map(|l| l.strip_prefix(marker.as_str()))
            .unwrap_or_else(|| panic!("no {marker:?}: {}", out.describe()))
            .trim()
            .parse()
            .unwrap()
    };
    let (web, api) = (
        (time("web", "started"), time("web", "finished")),
        (time("api", "started"), time("api", "finished")),
    );
    assert!(
        web.0 < api.1 && api.0 < web.1,
        "the suites ran one after the other: web {web:?}, api {api:?}"
    );
    assert!(
        out.stdout
            .contains("test result: ok; tests: 6 passed, 0 failed, 1 skipped"),
        "{}",
        out.describe()
    );
    // Without --keep the stack is taken down (its volume kept for the template).
    let project = testing_project(&stack);
    assert!(container_ids(&project, "web").is_empty());
    down_leaves_nothing(&stack, &project);
}

/// `xtask ARGS` on a pseudo-terminal (util-linux `script`): the screen so
/// far is shared with the test, keys are sent when the test decides.
struct Terminal {
    child: std::process::Child,
    screen: Arc<Mutex<String>>,
}

impl Terminal {
    fn start(env: &Env, args: &str, vars: &[(&str, &str)]) -> Self {
        let mut command = Command::new("script");
        command
            .args([
                "-qefc",
                &format!("{} {args}", binary().display()),
                "/dev/null",
            ])
            .current_dir(env.path())
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in vars {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("util-linux script");
        let screen = Arc::new(Mutex::new(String::new()));
        let mut stdout = child.stdout.take().unwrap();
        let shared = screen.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                shared
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Self { child, screen }
    }

    fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits (bounded) until the screen shows `text` `count` times.
    fn wait_for(&self, text: &str, count: usize, timeout: Duration) {
        wait_for(&format!("{text:?} on the terminal"), timeout, || {
            let screen = self.screen();
            if screen.matches(text).count() >= count {
                Ok(())
            } else {
                Err(screen
                    .chars()
                    .rev()
                    .take(600)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect())
            }
        });
    }

    fn type_keys(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn finish(mut self) -> (i32, String) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader thread drains what is left.
                std::thread::sleep(Duration::from_millis(100));
                return (status.code().unwrap_or(-1), self.screen());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "xtask did not exit: {}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn pdb_gets_the_terminal_keys_and_ctrl_c_reaches_pytest_not_the_stack() {
    let stack = fixture();
    let project = testing_project(&stack);
    let mut terminal = Terminal::start(
        &stack.env,
        "test web --keep --pdb --path tests/test_items.py -k fails_when_asked",
        &[("FAIL_ONE", "1")],
    );
    terminal.wait_for("(Pdb)", 1, Duration::from_secs(120));
    // Ctrl-C at the prompt is pdb's (it says so and prompts again) ...
    terminal.type_keys("\x03");
    terminal.wait_for("(Pdb)", 2, Duration::from_secs(20));
    assert!(
        terminal.screen().contains("KeyboardInterrupt"),
        "{}",
        terminal.screen()
    );
    assert_eq!(
        container_ids(&project, "db").len(),
        1,
        "the stack survives Ctrl-C"
    );
    // ... and `c` typed at the prompt continues the run to its end.
    terminal.type_keys("c\r");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 1, "one test failed: {screen}");
    assert!(screen.contains("1 failed"), "{screen}");
    assert!(
        screen.contains("test result: FAILED (tests web)"),
        "{screen}"
    );
    down_leaves_nothing(&stack, &project);
}

#[test]
fn a_dry_run_prints_every_command_and_runs_nothing() {
    let env = Env::new();
    crate::harness::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/testing"),
        env.path(),
    );
    let out = env
        .xtask([
            "--dry-run",
            "test",
            "web",
            "--path",
            "tests/test_other.py",
            "-k",
            "other",
            "--ci",
        ])
        .env("XTASK_COMPOSE", "docker compose")
        .ok();
    let plan = out.stdout;
    let plan_ci = plan.clone();
    for expected in [
        "# build\n",
        " build web db)",
        " up -d web db)",
        "pg_isready",
        "# db template web_test_template\n",
        "# when the template `web_test_template` is missing",
        "DROP DATABASE :\"name\";",
        "-v 'name=web_test' -v 'spare=web_test__spare' -v 'used=web_test__used' -v 'source=web_test_template'",
        "ALTER DATABASE :\"spare\" RENAME TO :\"name\";",
        "CREATE DATABASE :\"name\" TEMPLATE :\"source\"",
        " -e 'PGDATABASE=web_test' ",
        "' python3 -m pytest -p no:cacheprovider '--junitxml=/tmp/xtask-junit-web.xml' -k other tests/test_other.py)",
        // No terminal: the report follows a marker line on the runner's stdout.
        "sh -c 'j=$1 m=$2; shift 2; rm -f -- \"$j\"; \"$@\"; s=$?;",
        " sh /tmp/xtask-junit-web.xml '--- xtask: JUnit report ",
        "# its JUnit XML follows the line `--- xtask: JUnit report ",
        "/test-results/web.xml\n",
        " down --volumes --remove-orphans)",
    ] {
        assert!(plan.contains(expected), "{expected:?} missing from:\n{plan}");
    }
    assert!(!env.join("test-results").exists(), "nothing ran");
    // XTASK_ENV, often kept at `development`, does not move the tests; --env does.
    let plan = |out: crate::harness::Outcome| out.stdout;
    let kept = plan(
        env.xtask(["--dry-run", "test", "web"])
            .env("XTASK_ENV", "development")
            .env("XTASK_COMPOSE", "docker compose")
            .ok(),
    );
    assert!(
        kept.contains("_testing -f docker-compose.yml up -d web db)"),
        "{kept}"
    );
    // Outside CI the next run's spare is made while the suite runs.
    for expected in [
        "# while the suites run (captured; waited for before the end; a failure is a note):\n# spare web_test__spare\n",
        "-v 'spare=web_test__spare' -v 'used=web_test__used' -v 'source=web_test_template' -f -)",
        "COMMENT ON DATABASE :\"spare\" IS :'marker';",
    ] {
        assert!(kept.contains(expected), "{expected:?} missing from:\n{kept}");
    }
    assert!(!plan_ci.contains("# spare "), "CI's volume goes: no spare");
    let moved = plan(
        env.xtask(["--dry-run", "--env", "development", "test", "web"])
            .env("XTASK_COMPOSE", "docker compose")
            .ok(),
    );
    assert!(!moved.contains("_testing"), "{moved}");
    // Completions offer the services that have tests.
    let fish = env.xtask(["completions", "fish", "--static"]).ok().stdout;
    assert!(
        fish.contains("__fish_xtask_using_subcommand test\" -f -a 'api web'"),
        "{fish}"
    );
}

#[test]
fn a_test_configuration_naming_an_unknown_container_is_refused_with_its_place() {
    let env = Env::new();
    env.write("docker-compose.yml", "services:\n  web:\n    image: x\n");
    env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[services.web.test]\nservice = \"wbe\"\ncommand = [\"pytest\"]\npath = [\"--dir\"]\n",
    );
    let out = env.xtask(["--dry-run", "test"]).fails_with(2);
    assert!(
        out.stderr.contains(
            "tasks.toml:5:11: [services.web.test] service `wbe` is no service of the compose files"
        ),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("[services.web.test] path does not use {path}"),
        "{}",
        out.describe()
    );
    let out = Env::new();
    out.tasks_toml("");
    out.xtask(["test"])
        .fails_with(2)
        .stderr_has("no service has a test configuration");
}

#[test]
fn an_interrupted_run_stops_the_suite_in_its_container_and_still_tears_down() {
    let stack = fixture();
    let project = testing_project(&stack);
    // The api suite waits 60 s in its header: interrupted while it waits.
    let mut child = stack
        .xtask(["test", "api"])
        .env("SUITE_SECONDS", "60")
        .spawn();
    wait_for("the api suite to run", Duration::from_secs(120), || {
        let top = top(&project, "api")?;
        if top.contains("pytest") {
            Ok(())
        } else {
            Err(top)
        }
    });
    let (status, stdout) = interrupt(&mut child);
    assert_eq!(status.code(), Some(130), "{stdout}");
    assert!(
        row(&stdout, "down").is_some_and(|r| r.contains(" ok ")),
        "torn down after the interrupt: {stdout}"
    );
    assert!(container_ids(&project, "api").is_empty(), "{stdout}");
}

/// Ctrl-C for a running xtask: its exit status and its stdout.
fn interrupt(child: &mut std::process::Child) -> (std::process::ExitStatus, String) {
    crate::harness::send_signal(child.id(), 2);
    let status = wait_for("xtask to exit", Duration::from_secs(60), || {
        child
            .try_wait()
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "still running".to_string())
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (status, stdout)
}

/// `docker top` of the testing project's `service` container.
fn top(project: &str, service: &str) -> Result<String, String> {
    let out = Command::new("docker")
        .args(["top", &format!("{project}-{service}-1")])
        .output()
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn an_interrupt_while_the_database_is_made_stops_the_runner_held_at_its_gate() {
    let stack = fixture();
    let project = testing_project(&stack);
    stack.xtask(["test", "web", "--keep"]).ok();
    // No template now, and one whose init takes a minute: the kept run's
    // database phase is slow, its runner waits at the gate meanwhile.
    psql(&stack, "postgres", "DROP DATABASE web_test__spare");
    psql(&stack, "postgres", "DROP DATABASE web_test_template");
    let tasks = stack.env.read("tasks.toml");
    stack.env.write(
        "tasks.toml",
        &tasks
            .lines()
            .map(|line| match line.starts_with("init = ") {
                true => "init = [\"sleep\", \"60\"]",
                false => line,
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let mut child = stack.xtask(["test", "web", "--keep"]).spawn();
    wait_for(
        "the runner at its gate and the slow init",
        Duration::from_secs(60),
        || {
            let (web, db) = (top(&project, "web")?, top(&project, "db")?);
            if web.contains("read -r go") && db.contains("sleep 60") {
                Ok(())
            } else {
                Err(format!("{web}\n{db}"))
            }
        },
    );
    let (status, stdout) = interrupt(&mut child);
    assert_eq!(status.code(), Some(130), "{stdout}");
    assert!(
        !stdout.contains("suite started at"),
        "the suite ran: {stdout}"
    );
    // Neither the held runner nor the init is left in the containers.
    wait_for(
        "the held runner and the init to end",
        Duration::from_secs(30),
        || {
            let (web, db) = (top(&project, "web")?, top(&project, "db")?);
            if web.contains("read -r go") || db.contains("sleep 60") {
                Err(format!("{web}\n{db}"))
            } else {
                Ok(())
            }
        },
    );
    down_leaves_nothing(&stack, &project);
}

#[test]
fn ci_builds_collects_junit_without_colour_and_leaves_nothing() {
    let stack = fixture();
    let project = testing_project(&stack);
    let out = stack
        .xtask(["--color", "always", "test", "api", "--ci"])
        .env_remove("NO_COLOR")
        .ok();
    for phase in ["build", "up", "tests api", "down"] {
        assert!(
            row(&out.stdout, phase).is_some_and(|r| r.contains(" ok ")),
            "{phase}: {}",
            out.describe()
        );
    }
    assert!(
        !out.stderr.contains('\x1b') && !out.stdout.contains('\x1b'),
        "no colour in a CI log: {}",
        out.describe()
    );
    let xml = stack.env.read("test-results/api.xml");
    assert!(xml.contains("tests=\"2\""), "{xml}");
    assert!(
        leftovers_of(&project).is_empty(),
        "{:?}",
        leftovers_of(&project)
    );
}

/// A `--path` that starts with `-` would reach the runner as its options
/// (`--path=-rf` is pytest's `-rf`): refused before anything runs.
#[test]
fn a_path_that_reads_as_an_option_is_refused() {
    let env = Env::new();
    env.tasks_toml("[services.web.test]\ncommand = [\"pytest\"]\n");
    for path in ["-rf", "--collect-only", "-"] {
        env.xtask(["--dry-run", "test", "web", &format!("--path={path}")])
            .fails_with(2)
            .stderr_has("would reach the runner as an option")
            .stderr_has(&format!("./{path}"));
    }
    let plan = env
        .xtask(["--dry-run", "test", "web", "--path", "./-rf"])
        .run();
    assert!(!plan.stderr.contains("as an option"), "{}", plan.describe());
}

/// Two runs at once would drop and swap each other's test database in the
/// middle of a suite: while another process holds the database's lock (the
/// one `db rebuild` takes), `test` waits, says for whom, and runs nothing.
#[test]
fn a_second_run_waits_for_the_one_that_holds_its_test_database() {
    use std::io::{BufRead, Write};
    let env = Env::new();
    env.tasks_toml(
        "[project]\nname = \"shop\"\n\n[environments.testing]\n\n\
         [services.web.test]\ncommand = [\"pytest\"]\ndatabase = \"web_test\"\n",
    );
    std::fs::create_dir_all(env.join(".xtask")).expect("mkdir .xtask");
    let mut held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(env.join(".xtask/db-shop_testing-web_test.lock"))
        .expect("lock file");
    held.lock().expect("hold the lock");
    writeln!(held, "4242").expect("write pid");

    let mut child = env.xtask(["test", "web"]).spawn();
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let waiting = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("test says it waits within 20 s");
    let still_running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        waiting.contains("Waiting")
            && waiting.contains("`web_test`")
            && waiting.contains("pid 4242"),
        "{waiting}"
    );
    assert!(still_running, "test did not wait for the lock");
    assert!(!env.join(".xtask/test-results").exists(), "something ran");
}
