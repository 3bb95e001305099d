//! The stack this repository ships (tasks.toml, repos.toml, the compose
//! files, Dockerfiles/ and shared/ at the root), driven as a user on a
//! machine without registry access drives it: the local bases of
//! offline/build-bases in .env, git pointed at local repositories with
//! `url.<base>.insteadOf`. CI reaches no code host, so the repositories are
//! the small stand-ins under tests/stack/standins (same layout and entry
//! points as tryton/trytond 6.0, its modules and Pylons/pyramid 2.0.2);
//! offline/cold-start runs the same steps on real mirrors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::engine::{leftovers_of, require_engine, tear_down, wait_for};
use crate::harness::Env;

/// What the stack needs from the repository root (its own files only).
const STACK_FILES: [&str; 8] = [
    "tasks.toml",
    "repos.toml",
    "docker-compose.yml",
    "docker-compose.docs.yml",
    ".env.example",
    "Dockerfiles",
    "shared",
    "offline",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(command: &mut Command) -> String {
    let out = command.output().expect("spawn");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn copy_tree(from: &Path, to: &Path) {
    run(Command::new("cp").arg("-a").arg(from).arg(to));
}

/// A copy of the root's stack in a temp dir, with its own compose projects
/// and a HOME whose git config points github.com at the stand-ins.
struct ShippedStack {
    env: Env,
    home: PathBuf,
    project: String,
}

impl ShippedStack {
    fn new() -> Self {
        require_engine();
        for image in ["xtask-local/python:3.11", "xtask-local/postgres:15"] {
            let found = Command::new("docker")
                .args(["image", "inspect", image])
                .output()
                .is_ok_and(|out| out.status.success());
            assert!(
                found,
                "{image} is missing: run offline/build-bases (.ci/run does)"
            );
        }
        let env = Env::new();
        let root = repo_root();
        let stack = env.join("stack");
        std::fs::create_dir_all(&stack).expect("mkdir");
        for file in STACK_FILES {
            let target = stack.join(file);
            copy_tree(&root.join(file), target.parent().expect("parent"));
        }
        // Nothing a developer of the tool has in the root's shared/ comes along.
        for generated in [
            "shared/src",
            "shared/docs/_build",
            "shared/docs/party",
            ".env",
        ] {
            let _ = std::fs::remove_dir_all(stack.join(generated));
            let _ = std::fs::remove_file(stack.join(generated));
        }

        // The stand-ins as the repositories repos.toml names, at its pins.
        let mirrors = env.join("mirrors/github.com");
        let standins = root.join("tests/stack/standins");
        std::fs::create_dir_all(env.join("work")).expect("mkdir work");
        for (owner, name, pin) in [
            ("tryton", "trytond", "branch:6.0"),
            ("tryton", "party", "branch:6.0"),
            ("tryton", "country", "branch:6.0"),
            ("tryton", "currency", "branch:6.0"),
            ("Pylons", "pyramid", "tag:2.0.2"),
        ] {
            let work = env.join(&format!("work/{name}"));
            copy_tree(&standins.join(name), &env.join("work"));
            let git = |args: &[&str]| {
                run(Command::new("git")
                    .args([
                        "-c",
                        "user.name=Stand In",
                        "-c",
                        "user.email=standin@example.com",
                    ])
                    .args(args)
                    .current_dir(&work))
            };
            git(&["init", "-q", "-b", "main"]);
            git(&["add", "-A"]);
            git(&["commit", "-q", "-m", "stand-in"]);
            match pin.split_once(':') {
                Some(("branch", branch)) => {
                    git(&["branch", branch]);
                }
                Some(("tag", tag)) => {
                    git(&["tag", tag]);
                }
                _ => unreachable!(),
            }
            let bare = mirrors.join(format!("{owner}/{name}.git"));
            std::fs::create_dir_all(bare.parent().expect("parent")).expect("mkdir");
            run(Command::new("git")
                .args(["clone", "-q", "--bare"])
                .arg(&work)
                .arg(&bare));
        }
        let home = env.join("home");
        std::fs::create_dir_all(&home).expect("mkdir home");
        std::fs::write(
            home.join(".gitconfig"),
            format!(
                "[url \"file://{}/\"]\n\tinsteadOf = https://github.com/\n",
                mirrors.display()
            ),
        )
        .expect("write .gitconfig");
        let folder = env.path().file_name().expect("name").to_string_lossy();
        let project: String = format!("stack{folder}")
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Self { env, home, project }
    }

    fn root(&self) -> PathBuf {
        self.env.join("stack")
    }

    fn xtask<I, S>(&self, args: I) -> crate::harness::Xtask
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let real_docker_config = std::env::var_os("DOCKER_CONFIG").unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap_or_default())
                .join(".docker")
                .into_os_string()
        });
        crate::harness::Xtask::new(&self.root())
            .args(args)
            .env("HOME", &self.home)
            // The Compose plugin and the engine's settings stay the user's.
            .env("DOCKER_CONFIG", real_docker_config)
            .env_remove("XTASK_ENV")
    }

    /// Runs `args`, and on failure shows the stack's logs with the error.
    fn ok_or_logs(&self, args: &[&str]) -> crate::harness::Outcome {
        let outcome = self.xtask(args).run();
        if outcome.code != 0 {
            let logs = self.xtask(["logs", "--tail", "40"]).run();

            panic!(
                "`xtask {}` failed: {}\n--- logs\n{}{}",
                args.join(" "),
                outcome.describe(),
                logs.stdout,
                logs.stderr
            );
        }
        outcome
    }

    /// The id of `service`'s container in the development project.
    fn container(&self, service: &str) -> String {
        crate::engine::the_container(&self.project, service)
    }

    fn projects(&self) -> Vec<String> {
        ["", "_testing", "_docs"]
            .iter()
            .map(|suffix| format!("{}{suffix}", self.project))
            .collect()
    }

    /// .env as a user of the offline path writes it: the local bases, the
    /// engine's choice of host ports, this test's project name.
    fn configure_offline(&self) {
        let path = self.root().join(".env");
        let text = std::fs::read_to_string(&path).expect(".env made by update");
        let text: String = text
            .lines()
            .map(|line| match line.split_once('=') {
                Some(("PYTHON_IMAGE", _)) => "PYTHON_IMAGE=xtask-local/python:3.11".to_string(),
                Some(("POSTGRES_IMAGE", _)) => "POSTGRES_IMAGE=xtask-local/postgres:15".to_string(),
                Some(("COMPOSE_PROJECT_NAME", _)) => {
                    format!("COMPOSE_PROJECT_NAME={}", self.project)
                }
                Some(("IMAGE_PREFIX", _)) => format!("IMAGE_PREFIX={}", self.project),
                Some((port, _)) if port.ends_with("_PORT") => format!("{port}="),
                Some(("POSTGRES_PASSWORD", _)) => "POSTGRES_PASSWORD=e2e-secret-value".to_string(),
                _ => line.to_string(),
            })
            .map(|line| line + "\n")
            .collect();
        std::fs::write(&path, text).expect("write .env");
    }

    fn port(&self, env: Option<&str>, service: &str, container_port: u16) -> u16 {
        let mut args = vec!["urls", "--json"];
        if let Some(env) = env {
            args.extend(["--env", env]);
        }
        let urls = self.xtask(&args).ok().stdout;
        let urls: serde_json::Value = serde_json::from_str(&urls).expect("urls --json");
        urls.as_array()
            .expect("an array")
            .iter()
            .find(|u| u["service"] == service && u["container_port"] == container_port)
            .and_then(|u| u["host_port"].as_u64())
            .unwrap_or_else(|| panic!("no url for {service}:{container_port} in {urls}"))
            as u16
    }
}

impl Drop for ShippedStack {
    fn drop(&mut self) {
        for project in self.projects() {
            tear_down(&project);
            // The images compose built for this project (layers stay cached).
            if let Ok(out) = Command::new("docker")
                .args(["images", "--format", "{{.Repository}}:{{.Tag}}"])
                .output()
            {
                let mine: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|image| {
                        image.starts_with(&format!("{project}-"))
                            || image.starts_with(&format!("{project}_"))
                    })
                    .map(String::from)
                    .collect();
                if !mine.is_empty() {
                    let _ = Command::new("docker").arg("rmi").args(&mine).output();
                }
            }
        }
        if !std::thread::panicking() {
            let left: Vec<String> = self
                .projects()
                .iter()
                .flat_map(|p| leftovers_of(p))
                .collect();
            assert!(left.is_empty(), "left behind: {left:?}");
        }
    }
}

/// `POST /` with a JSON-RPC call, as the Tryton clients talk to the server.
fn json_rpc(port: u16, method: &str) -> Result<serde_json::Value, String> {
    use std::io::{Read, Write};
    let body = format!(r#"{{"id":1,"method":"{method}","params":[]}}"#);
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let json = response.split("\r\n\r\n").nth(1).unwrap_or("");
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("{e}: {response:?}"))?;
    Ok(value["result"].clone())
}

#[test]
fn the_shipped_stack_comes_up_offline_with_its_database_tests_and_docs() {
    let stack = ShippedStack::new();

    // The README's first command: sources, links and .env.
    stack
        .xtask(["update"])
        .ok()
        .stderr_has("5 cloned")
        .stderr_has("Copied .env.example to .env");
    assert!(stack
        .root()
        .join("shared/src/trytond/trytond/modules/party/tryton.cfg")
        .exists());
    stack.configure_offline();
    stack.xtask(["check"]).ok();

    // The README's `start`: update (nothing to do now), build, start, URLs.
    let urls = stack.ok_or_logs(&["start"]).stdout;
    assert!(
        urls.contains("erpserver") && urls.contains("portal"),
        "{urls}"
    );
    let erpserver = stack.port(None, "erpserver", 8000);
    let version = wait_for(
        "the Tryton server's JSON-RPC",
        Duration::from_secs(60),
        || json_rpc(erpserver, "common.server.version"),
    );
    assert!(
        version.as_str().is_some_and(|v| v.starts_with("6.0")),
        "{version}"
    );
    let portal = stack.port(None, "portal", 6543);
    let (status, body) = wait_for("the portal's front page", Duration::from_secs(60), || {
        crate::engine::http_get(portal)
    });
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("This is the front page"), "{body}");

    // An edit of the portal's code reaches the running server (pserve
    // --reload in the development environment), without a restart.
    let view = stack
        .root()
        .join("shared/src/pyramid/docs/tutorials/wiki2/src/tests/tutorial/__init__.py");
    let code = std::fs::read_to_string(&view).expect("the portal's view");
    // Saved again when 20 s pass without it being served: the reloader
    // takes the files' times once its worker has imported them, so a save
    // in the first moments after the start can go unseen (as in an editor,
    // a second save then does it). Not sooner: on a loaded machine a reload
    // takes several seconds, and each save starts it over.
    let edited = code.replace("<h1>FrontPage</h1>", "<h1>FrontPage (edited)</h1>");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut saved = std::time::Instant::now() - Duration::from_secs(30);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        if saved.elapsed() >= Duration::from_secs(20) {
            std::fs::write(&view, &edited).expect("edit the view");
            saved = std::time::Instant::now();
        }
        match crate::engine::http_get(portal) {
            Ok((_, body)) if body.contains("FrontPage (edited)") => break,
            other => last = format!("{other:?}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if std::time::Instant::now() >= deadline {
        let logs = stack.xtask(["logs", "portal"]).run();
        panic!(
            "the edited view was not served within 120 s: {last}\n--- portal's logs\n{}{}",
            logs.stdout, logs.stderr
        );
    }
    std::fs::write(&view, code).expect("restore the view");

    // The database: rebuilt with demo data, seen by the server.
    let rebuilt = stack
        .xtask(["--yes", "db", "rebuild", "--demo"])
        .ok()
        .stdout_has("created database tryton");
    assert!(
        !rebuilt.stdout.contains("to get back") && !rebuilt.stderr.contains("to get back"),
        "no snapshot of a database that did not exist, so no way back to offer: {}",
        rebuilt.describe()
    );
    // Its long steps say what they do and how long they took; it ends with
    // one line; nothing of ours reads like an error.
    for line in [
        "Running [db] init of tryton",
        "Done [db] init of tryton (",
        "Running [db] demo data into tryton",
        "Rebuilt tryton in ",
    ] {
        assert!(
            rebuilt.stderr.contains(line),
            "{line}: {}",
            rebuilt.describe()
        );
    }
    assert!(
        !rebuilt.stdout.contains("does not exist") && !rebuilt.stderr.contains("does not exist"),
        "{}",
        rebuilt.describe()
    );
    let counts = stack
        .xtask([
            "db",
            "psql",
            "--",
            "-tA",
            "-c",
            "select count(*) from country_country",
        ])
        .ok()
        .stdout;
    assert_eq!(counts.trim(), "4", "countries after --demo: {counts}");
    let databases = json_rpc(erpserver, "common.db.list").expect("db.list");
    assert_eq!(databases, serde_json::json!(["tryton"]));

    // The test suites, in the testing project beside the running stack.
    let server_tests = stack.ok_or_logs(&["test", "erpserver"]);
    assert!(
        server_tests.stdout.contains("tests erpserver") && server_tests.stdout.contains("2 passed"),
        "{}",
        server_tests.describe()
    );
    let junit = stack.env.join("junit");
    let junit_text = junit.to_string_lossy().into_owned();
    for run in 1..=2 {
        let portal_tests = stack.ok_or_logs(&["test", "portal", "--keep", "--junit", &junit_text]);
        assert!(
            portal_tests.stdout.contains("2 passed, 0 failed"),
            "run {run}: {}",
            portal_tests.describe()
        );
    }
    let report = std::fs::read_to_string(junit.join("portal.xml")).expect("portal.xml");
    assert!(
        report.contains("<testsuite") && report.contains("tests=\"2\""),
        "{report}"
    );
    // The portal's template stays empty (it migrates itself), unlike [db] init's.
    let tables = stack
        .xtask([
            "--env",
            "testing",
            "db",
            "psql",
            "portal_test_template",
            "--",
            "-tA",
            "-c",
            "select count(*) from pg_tables where schemaname = 'public'",
        ])
        .ok()
        .stdout;
    assert_eq!(tables.trim(), "0", "{tables}");
    stack.ok_or_logs(&["test", "--down"]);

    // The docs: Sphinx in the docs project, the party module's pages linked in.
    let docs = stack.ok_or_logs(&["docs", "--build"]);
    let index = stack.root().join("shared/docs/_build/html/index.html");
    assert!(
        docs.stdout.contains(&index.display().to_string()) && index.exists(),
        "{}",
        docs.describe()
    );
    assert!(stack
        .root()
        .join("shared/docs/_build/html/party/index.html")
        .exists());
    // One image per service, whichever environment's project built it.
    let images = run(Command::new("docker").args(["images", "--format", "{{.Repository}}"]));
    let mut ours: Vec<&str> = images
        .lines()
        .filter(|image| image.starts_with(&stack.project))
        .collect();
    ours.sort_unstable();
    let expected: Vec<String> = ["docs", "erpserver", "portal"]
        .iter()
        .map(|service| format!("{}-{service}", stack.project))
        .collect();
    assert_eq!(ours, expected, "the images of every environment's project");

    // The portal under debugpy, waiting for the editor; then back to normal.
    let debug_port = crate::engine::free_port();
    let port_text = debug_port.to_string();
    stack.ok_or_logs(&["debug", "portal", "--wait", "--port", &port_text]);
    let initialized = wait_for(
        "debugpy's answer to initialize",
        Duration::from_secs(60),
        || crate::debug_command::dap_initialize(debug_port),
    );
    assert_eq!(initialized["success"], true, "{initialized}");
    let launch =
        std::fs::read_to_string(stack.root().join(".vscode/launch.json")).expect("launch.json");
    assert!(launch.contains("portal: attach (xtask)"), "{launch}");
    stack.ok_or_logs(&["debug", "portal", "--off"]);

    // Stops: Postgres shuts down cleanly on its stop signal (no recovery
    // at the next start), and every service ends on the signal `docker
    // stop` sends, none killed when the timeout runs out (exit 137).
    stack.ok_or_logs(&["restart", "db"]);
    let db_log = run(Command::new("docker").args(["logs", &stack.container("db")]));
    assert!(
        !db_log.contains("not properly shut down"),
        "Postgres was not shut down cleanly by restart:\n{db_log}"
    );
    for service in ["portal", "erpserver", "db"] {
        let container = stack.container(service);
        run(Command::new("docker").args(["stop", "--time", "60", &container]));
        let code = run(Command::new("docker").args([
            "inspect",
            "--format",
            "{{.State.ExitCode}}",
            &container,
        ]));
        assert_ne!(
            code.trim(),
            "137",
            "{service} ignored its stop signal and was killed after the timeout"
        );
    }

    stack.xtask(["down"]).ok();
}
