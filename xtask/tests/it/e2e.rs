//! The compose commands against the real engine: the fixture under
//! tests/e2e, each test with its own project, torn down on drop.

use std::time::Duration;

use crate::engine::{http_get, wait_for, Stack};

#[test]
fn up_urls_scale_shell_run_and_down_with_the_compose_plugin() {
    let stack = Stack::fixture();

    // Not running yet: shell would start a fresh container.
    let out = stack.xtask(["--dry-run", "shell", "web"]).ok();
    assert!(
        out.stdout
            .contains("# web is not running: a fresh container"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("run --rm --service-ports --use-aliases -T web /bin/sh"),
        "{}",
        out.describe()
    );

    stack.xtask(["up", "-d", "--wait", "web", "worker"]).ok();
    let urls = stack.xtask(["urls", "--json"]).ok();
    let ports = stack.port(&urls.stdout, "web", 8080);
    assert_eq!(ports.len(), 1, "{}", urls.describe());
    let (status, body) = wait_for("web to answer", Duration::from_secs(20), || {
        http_get(ports[0])
    });
    assert_eq!((status, body.trim()), (200, "ok"));
    let table = stack.xtask(["urls"]).ok();
    assert!(
        table
            .stdout
            .contains(&format!("web.1    8080/tcp  http://127.0.0.1:{}", ports[0])),
        "{}",
        table.describe()
    );

    // Running now: shell execs into it.
    let out = stack.xtask(["--dry-run", "shell", "web"]).ok();
    assert!(
        out.stdout.contains("# web is running"),
        "{}",
        out.describe()
    );
    // Marked so that an interrupt can stop it (see exec_signals.rs).
    assert!(
        out.stdout.contains(" exec -T -e 'XTASK_EXEC_ID=") && out.stdout.contains(" web /bin/sh)"),
        "{}",
        out.describe()
    );
    let out = stack
        .xtask(["exec", "web", "cat", "/var/www/index.html"])
        .ok();
    assert_eq!(out.stdout.trim(), "ok");

    stack.xtask(["scale", "web=2"]).ok();
    let urls = stack.xtask(["urls", "--json"]).ok();
    let ports = stack.port(&urls.stdout, "web", 8080);
    assert_eq!(
        ports.len(),
        2,
        "two replicas, two URLs: {}",
        urls.describe()
    );
    assert_ne!(ports[0], ports[1]);
    for port in ports {
        let (status, _) = wait_for("each replica to answer", Duration::from_secs(20), || {
            http_get(port)
        });
        assert_eq!(status, 200);
    }

    // The service's default command exits 7, and so do we.
    let out = stack.xtask(["run", "worker"]).fails_with(7);
    assert!(out.stdout.contains("worker ran"), "{}", out.describe());
    let out = stack
        .xtask(["run", "web", "sh", "-c", "exit 3"])
        .fails_with(3);
    assert!(
        !out.stderr.contains("error:"),
        "no message of ours on top of the child's code: {}",
        out.describe()
    );

    let ps = stack.xtask(["ps", "--json"]).ok();
    let containers: serde_json::Value = serde_json::from_str(&ps.stdout).unwrap();
    assert_eq!(
        containers
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["one_off"] == true)
            .count(),
        0,
        "run --rm leaves no one-off"
    );

    stack.xtask(["--yes", "down", "--volumes"]).ok();
    assert!(stack.leftovers().is_empty(), "{:?}", stack.leftovers());
}

#[test]
fn postgres_runs_healthy_and_answers_on_its_published_port() {
    let stack = Stack::fixture();
    stack
        .xtask(["up", "--wait", "--wait-timeout", "90", "db"])
        .ok();
    let out = stack
        .xtask([
            "exec",
            "db",
            "psql",
            "-U",
            "postgres",
            "-tAc",
            "select 40 + 2",
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "42");
    let urls = stack.xtask(["urls"]).ok();
    assert!(
        urls.stdout.contains("postgresql://127.0.0.1:"),
        "{}",
        urls.describe()
    );
    let monitor = stack.xtask(["monitor"]).ok();
    assert!(monitor.stdout.contains("db.1"), "{}", monitor.describe());
    // --json names each container as `ps --json` does: service and full id.
    let ps: serde_json::Value =
        serde_json::from_str(&stack.xtask(["ps", "--json"]).ok().stdout).unwrap();
    let monitor: serde_json::Value =
        serde_json::from_str(&stack.xtask(["monitor", "--json"]).ok().stdout).unwrap();
    assert_eq!(monitor[0]["service"], "db", "{monitor}");
    assert_eq!(monitor[0]["id"], ps[0]["id"], "{monitor} {ps}");
    assert!(monitor[0]["id"].as_str().is_some_and(|id| id.len() == 64));
    assert!(monitor[0]["memory_bytes"].as_u64().is_some(), "{monitor}");
    // The database volume goes only when the user says so.
    let refused = stack.xtask(["down", "--volumes"]).fails_with(2);
    assert!(
        refused.stderr.contains(&format!(
            "Delete the volumes {}_dbdata of project {}",
            stack.project, stack.project
        )),
        "{}",
        refused.describe()
    );
    let out = stack
        .xtask(["exec", "db", "psql", "-U", "postgres", "-tAc", "select 1"])
        .ok();
    assert_eq!(out.stdout.trim(), "1", "nothing was stopped");
    stack.xtask(["--yes", "down", "--volumes"]).ok();
}

#[test]
fn the_testing_environment_adds_its_override_file() {
    let stack = Stack::fixture();
    let dev = stack.xtask(["--dry-run", "up", "-d"]).ok();
    assert!(
        !dev.stdout.contains("docker-compose.testing.yml"),
        "{}",
        dev.describe()
    );
    let testing = stack
        .xtask(["--env", "testing", "--dry-run", "up", "-d"])
        .ok();
    assert!(
        testing
            .stdout
            .contains("-f docker-compose.yml -f docker-compose.testing.yml"),
        "{}",
        testing.describe()
    );
    let config = stack.xtask(["--env", "testing", "config"]).ok();
    assert!(
        config.stdout.contains("ENVIRONMENT: testing"),
        "{}",
        config.describe()
    );
    stack
        .xtask(["env"])
        .env("XTASK_ENV", "testing")
        .ok()
        .stdout_has("environment: testing (chosen by XTASK_ENV)");
}

#[test]
fn doctor_reports_a_published_port_that_is_taken() {
    let stack = Stack::fixture();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    stack.env.write(
        "docker-compose.testing.yml",
        &format!("services:\n  web:\n    ports:\n      - \"127.0.0.1:{port}:8080\"\n"),
    );
    let out = stack.xtask(["--env", "testing", "doctor"]).fails_with(1);
    assert!(
        out.stderr
            .contains(&format!("host port {port} (published by service `web`"))
            && out.stderr.contains("is already taken"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains("Docker engine"), "{}", out.describe());
    drop(listener);
    stack
        .xtask(["--env", "testing", "doctor"])
        .ok()
        .stderr_has("nothing to fix");
}

#[test]
fn compose_v1_smoke() {
    let stack = Stack::fixture().with_compose_v1();
    let out = stack.xtask(["--dry-run", "up", "-d", "--wait", "web"]).ok();
    assert!(out.stdout.starts_with("(cd "), "{}", out.describe());
    assert!(
        out.stdout.contains(" docker-compose -p "),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("has no --wait"),
        "v1 waits are emulated: {}",
        out.describe()
    );

    stack.xtask(["up", "-d", "--wait", "web"]).ok();
    let urls = stack.xtask(["urls", "--json"]).ok();
    let ports = stack.port(&urls.stdout, "web", 8080);
    assert_eq!(ports.len(), 1, "{}", urls.describe());
    let (status, _) = wait_for("web to answer", Duration::from_secs(20), || {
        http_get(ports[0])
    });
    assert_eq!(status, 200);
    stack.xtask(["run", "worker"]).fails_with(7);
    stack.xtask(["--yes", "down", "--volumes"]).ok();
    assert!(stack.leftovers().is_empty(), "{:?}", stack.leftovers());
}

#[test]
fn a_task_runs_inside_a_service_fresh_or_in_the_running_container() {
    let stack = Stack::fixture();
    let tasks = stack.env.read("tasks.toml");
    stack.env.tasks_toml(&format!(
        "{tasks}\n[tasks.inside]\nin = \"worker\"\nrun = [\"sh\", \"-c\", \"echo inside $XTASK_ARG_WHO on $(hostname)\"]\n[tasks.inside.args]\nwho = {{ default = \"me\" }}\n"
    ));
    // Not running: a fresh container, removed afterwards.
    let plan = stack.xtask(["--dry-run", "inside"]).ok();
    assert!(
        plan.stdout
            .contains(" run --rm --use-aliases -T -e 'ENVIRONMENT=development' -e 'XTASK_ARG_WHO=me' worker sh -c"),
        "{}",
        plan.describe()
    );
    stack
        .xtask(["inside", "--who", "fresh"])
        .ok()
        .stdout_has("inside fresh on ");

    // Running: exec into it, so the hostname is the service container's.
    stack.xtask(["up", "-d", "worker"]).ok();
    let plan = stack.xtask(["--dry-run", "inside"]).ok();
    assert!(
        plan.stdout.contains(
            " exec -T -e 'ENVIRONMENT=development' -e 'XTASK_ARG_WHO=me' -e 'XTASK_EXEC_ID="
        ) && plan.stdout.contains(" worker sh -c"),
        "{}",
        plan.describe()
    );
    let ps: serde_json::Value =
        serde_json::from_str(&stack.xtask(["ps", "--json"]).ok().stdout).unwrap();
    let id = ps[0]["id"].as_str().unwrap().to_string();
    let out = stack.xtask(["inside"]).ok();
    assert!(
        out.stdout.contains(&format!("inside me on {}", &id[..12])),
        "{}",
        out.describe()
    );
    stack.xtask(["down"]).ok();
}

#[test]
fn an_interrupted_run_leaves_no_one_off_container() {
    use std::process::{Command, Stdio};
    let stack = Stack::fixture();
    let label = format!("label=com.docker.compose.project={}", stack.project);
    let one_offs = || {
        let out = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &label,
                "--filter",
                "label=com.docker.compose.oneoff=True",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .count()
    };
    let child = Command::new(crate::harness::binary())
        .args(["run", "worker", "sleep", "60"])
        .current_dir(stack.env.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the one-off container", Duration::from_secs(30), || {
        if one_offs() == 1 {
            Ok(())
        } else {
            Err(format!("{} one-off containers", one_offs()))
        }
    });
    crate::harness::send_signal(child.id(), 2);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(one_offs(), 0, "the interrupted run's container is gone");
}

#[test]
fn urls_take_the_scheme_and_path_a_service_declares() {
    let stack = Stack::fixture();
    let tasks = stack.env.read("tasks.toml").replace(
        "[services.web]\nshell = \"/bin/sh\"",
        "[services.web]\nshell = \"/bin/sh\"\nscheme = \"https\"\npath = \"portal/\"",
    );
    stack.env.tasks_toml(&tasks);
    let compose = stack.env.read("docker-compose.yml").replace(
        "  db:\n    image: xtask-test/debian:1\n",
        "  db:\n    image: xtask-test/debian:1\n    labels:\n      xtask.scheme: postgres\n      xtask.path: /app\n",
    );
    stack.env.write("docker-compose.yml", &compose);
    stack.xtask(["up", "-d", "web", "db"]).ok();
    let urls = stack.xtask(["urls"]).ok();
    assert!(
        urls.stdout.contains("https://127.0.0.1:") && urls.stdout.contains("/portal/"),
        "{}",
        urls.describe()
    );
    assert!(
        urls.stdout.contains("postgres://127.0.0.1:") && urls.stdout.contains("/app"),
        "{}",
        urls.describe()
    );
    stack.xtask(["--yes", "down", "--volumes"]).ok();
}

#[test]
fn run_refuses_a_port_its_running_service_holds_and_stop_frees_it() {
    let stack = Stack::fixture();
    let port = crate::engine::free_port();
    let compose = stack
        .env
        .read("docker-compose.yml")
        .replace("\"127.0.0.1::8080\"", &format!("\"127.0.0.1:{port}:8080\""));
    stack.env.write("docker-compose.yml", &compose);
    stack.xtask(["up", "-d", "--wait", "web"]).ok();

    // The running web holds the port: refused before anything starts,
    // naming the container and the ways out.
    let refused = stack.xtask(["run", "web", "true"]).fails_with(2);
    assert!(
        refused.stderr.contains(&format!(
            "port {port} on 127.0.0.1, which `run web` publishes, is taken: container {}-web-1 publishes it",
            stack.project
        )) && refused.stderr.contains("`cargo xtask stop web` frees it")
            && refused.stderr.contains("run --no-ports web"),
        "{}",
        refused.describe()
    );
    assert!(
        !refused.stderr.contains("already allocated"),
        "{}",
        refused.describe()
    );
    // Beside it, without its ports.
    stack.xtask(["run", "--no-ports", "web", "true"]).ok();

    // stop keeps the container (and its volumes); the port is free again.
    stack.xtask(["stop", "web"]).ok();
    let ps: serde_json::Value =
        serde_json::from_str(&stack.xtask(["ps", "--json"]).ok().stdout).expect("ps --json");
    let web: Vec<&serde_json::Value> = ps
        .as_array()
        .expect("an array")
        .iter()
        .filter(|c| c["service"] == "web")
        .collect();
    assert_eq!(web.len(), 1, "the stopped container stays: {ps}");
    assert_eq!(web[0]["state"], "exited", "{ps}");
    stack.xtask(["run", "web", "true"]).ok();
    stack.xtask(["up", "-d", "--wait", "web"]).ok();
    let (status, _) = wait_for("web to answer again", Duration::from_secs(20), || {
        http_get(port)
    });
    assert_eq!(status, 200);
    stack.xtask(["--yes", "down", "--volumes"]).ok();
    assert!(stack.leftovers().is_empty(), "{:?}", stack.leftovers());
}

#[test]
fn describe_shows_state_health_urls_and_the_database_and_open_says_which_url() {
    let stack = Stack::fixture();
    stack.env.write(
        "tasks.toml",
        &(stack.env.read("tasks.toml")
            + "\n[db]\nserver = \"db\"\nname = \"app\"\npassword_env = \"DB_SECRET\"\n"),
    );
    stack.xtask(["up", "-d", "--wait", "web", "db"]).ok();
    let json = stack.xtask(["describe", "--json"]).ok().stdout;
    let view: serde_json::Value = serde_json::from_str(&json).expect("describe --json");
    let service = |name: &str| {
        view["services"]
            .as_array()
            .expect("services")
            .iter()
            .find(|s| s["service"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {view}"))
    };
    let web = service("web");
    assert_eq!(web["state"], "running", "{view}");
    assert_eq!(web["health"], "healthy", "{view}");
    let url = web["urls"][0].as_str().expect("web's URL").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{view}");
    assert_eq!(service("worker")["state"], "not created", "{view}");
    let db = &view["database"];
    assert_eq!(db["name"], "app", "{view}");
    assert_eq!(db["login_variable"], "DB_SECRET", "{view}");
    assert!(
        db["from_host"].as_str().is_some_and(
            |u| u.starts_with("postgresql://postgres@127.0.0.1:") && u.ends_with("/app")
        ),
        "{view}"
    );
    let table = stack.xtask(["describe"]).ok().stdout;
    assert!(
        table.contains("password in $DB_SECRET") && table.contains(&url),
        "{table}"
    );

    // `open` hands the URL to the browser program on PATH.
    let bin = stack.env.join("bin");
    crate::harness::write_executable(
        &bin.join("xdg-open"),
        &format!(
            "#!/bin/sh\necho \"$1\" > {}\n",
            stack.env.join("opened").display()
        ),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    stack.xtask(["open", "web"]).env("PATH", &path).ok();
    assert_eq!(stack.env.read("opened").trim(), url);
    stack
        .xtask(["open", "worker"])
        .env("PATH", &path)
        .fails_with(2)
        .stderr_has("`worker` publishes no URL");
    stack.xtask(["--yes", "down", "--volumes"]).ok();
    assert!(stack.leftovers().is_empty(), "{:?}", stack.leftovers());
}
