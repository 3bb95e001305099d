//! Compose files read as YAML, not line by line: flow style, anchors and
//! merge keys, `include:`, interpolation from env files, YAML errors; in
//! `check` (static) and `doctor` (compose's merged model on Compose v2+,
//! our own reading on v1). `compose config` creates nothing, so these
//! tests leave nothing on the engine.

use std::net::TcpListener;

use crate::engine::require_engine;
use crate::harness::Env;

/// A port on 127.0.0.1 that stays taken while the listener lives.
fn taken_port() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = listener.local_addr().expect("local address").port();
    (listener, port)
}

const FROM_COMPOSE: &str = "read from `compose config`";
const FROM_FILES_V1: &str = "read from the files: Compose v1";

#[test]
fn doctor_names_a_taken_port_published_in_flow_style() {
    require_engine();
    let (listener, port) = taken_port();
    let env = Env::new();
    env.write(
        "docker-compose.yml",
        &format!(
            "services: {{web: {{image: xtask-test/busybox:1, ports: [\"127.0.0.1:{port}:80\"]}}}}\n"
        ),
    );
    let taken = format!("host port {port} (published by service `web`;");
    for (compose, from) in [
        (None, FROM_COMPOSE),
        (Some("docker-compose"), FROM_FILES_V1),
    ] {
        let run = env.xtask(["doctor"]);
        let run = match compose {
            Some(compose) => run.env("XTASK_COMPOSE", compose),
            None => run,
        };
        let out = run.fails_with(1);
        assert!(
            out.stderr.contains(&taken) && out.stderr.contains(from),
            "{}",
            out.describe()
        );
    }
    drop(listener);
    env.xtask(["doctor"])
        .ok()
        .stderr_has(&format!("host ports free: {port} ({FROM_COMPOSE})"));
}

#[test]
fn doctor_checks_the_port_an_env_file_sets() {
    require_engine();
    let (_listener, port) = taken_port();
    let env = Env::new();
    env.tasks_toml("[project]\nenv_files = [\"dev.env\"]\n");
    env.write("dev.env", &format!("# the web port\nPORT=\"{port}\"\n"));
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: xtask-test/busybox:1\n    ports:\n      - \"127.0.0.1:${PORT:-45001}:80\"\n",
    );
    for (compose, from) in [
        (None, FROM_COMPOSE),
        (Some("docker-compose"), FROM_FILES_V1),
    ] {
        let run = env.xtask(["doctor"]);
        let run = match compose {
            Some(compose) => run.env("XTASK_COMPOSE", compose),
            None => run,
        };
        let out = run.env_remove("PORT").fails_with(1);
        assert!(
            out.stderr.contains(&format!(
                "host port {port} (published by service `web`; {from}"
            )),
            "{}",
            out.describe()
        );
        assert!(!out.stderr.contains("45001"), "{}", out.describe());
    }
    // The shell's value wins over the env file's, as in compose.
    let free_port = taken_port().1; // the listener is dropped at once
    env.xtask(["doctor"])
        .env("PORT", free_port.to_string())
        .ok()
        .stderr_has(&format!("host ports free: {free_port} ({FROM_COMPOSE})"));
}

#[test]
fn doctor_reads_long_syntax_merge_keys_and_override_files() {
    require_engine();
    let (_listener, port) = taken_port();
    let env = Env::new();
    env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\", \"docker-compose.override.yml\"]\n",
    );
    env.write(
        "docker-compose.yml",
        "x-web: &web\n  image: xtask-test/busybox:1\nservices:\n  web:\n    <<: *web\n",
    );
    env.write(
        "docker-compose.override.yml",
        &format!("services:\n  web:\n    ports:\n      - target: 80\n        published: \"{port}\"\n        host_ip: 127.0.0.1\n"),
    );
    for compose in [None, Some("docker-compose")] {
        let run = env.xtask(["doctor"]);
        let run = match compose {
            Some(compose) => run.env("XTASK_COMPOSE", compose),
            None => run,
        };
        run.fails_with(1)
            .stderr_has(&format!("host port {port} (published by service `web`;"));
    }
}

#[test]
fn services_from_anchors_and_includes_are_known_to_check() {
    let env = Env::new();
    env.write(
        "docker-compose.yml",
        "x-base: &base\n  image: xtask-test/busybox:1\nservices:\n  web:\n    <<: *base\n  worker: *base\ninclude:\n  - path: sub/more.yml\n",
    );
    env.write(
        "sub/more.yml",
        "include: [deeper/db.yml]\nservices: {queue: {image: x}}\n",
    );
    env.write(
        "sub/deeper/db.yml",
        "services:\n  database:\n    image: x\n",
    );
    env.tasks_toml(
        "[tasks.a]\nin = \"worker\"\nrun = \"true\"\n\n[tasks.b]\nin = \"queue\"\nrun = \"true\"\n\n[tasks.c]\nin = \"database\"\nrun = \"true\"\n",
    );
    env.xtask(["check"]).ok();

    env.tasks_toml("[tasks.a]\nin = \"databse\"\nrun = \"true\"\n");
    let out = env.xtask(["check"]).fails_with(2);
    assert!(
        out.stderr
            .contains("tasks.toml:2:6: service `databse` is not in the compose files")
            && out.stderr.contains("did you mean `database`?"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_yaml_error_fails_check_and_doctor_at_its_place() {
    let env = Env::new();
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: x\n   bad: [\n",
    );
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("docker-compose.yml:4:4: ");
    env.xtask(["doctor"])
        .fails_with(1)
        .stderr_has("docker-compose.yml:4:4: ");

    // In an included file, at the included file's place.
    env.write("docker-compose.yml", "include: [sub/broken.yml]\n");
    env.write("sub/broken.yml", "services: {web: [}\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("sub/broken.yml:1:");
    env.xtask(["doctor"])
        .fails_with(1)
        .stderr_has("sub/broken.yml:1:");
}

#[test]
fn doctor_reports_required_variables_in_flow_style() {
    let env = Env::new();
    env.tasks_toml("[project]\nenv_files = [\".env\"]\n");
    env.write(".env", "# nothing yet\n");
    env.write(
        "docker-compose.yml",
        "# ${IN_A_COMMENT:?never read}\nservices: {web: {image: \"${IMAGE:?set IMAGE first}\", environment: {A: \"${TOKEN?set TOKEN}\", B: \"$${ESCAPED:?no}\"}}}\n",
    );
    let out = env
        .xtask(["doctor"])
        .env_remove("IMAGE")
        .env_remove("TOKEN")
        .fails_with(1);
    for expected in [
        "IMAGE is not set (set IMAGE first; required in docker-compose.yml)",
        "TOKEN is not set (set TOKEN; required in docker-compose.yml)",
    ] {
        assert!(out.stderr.contains(expected), "{}", out.describe());
    }
    for absent in ["IN_A_COMMENT", "ESCAPED"] {
        assert!(!out.stderr.contains(absent), "{}", out.describe());
    }

    // `?` accepts an empty value, `:?` does not.
    env.write(".env", "IMAGE=\nTOKEN=\n");
    let out = env
        .xtask(["doctor"])
        .env_remove("IMAGE")
        .env_remove("TOKEN")
        .run();
    assert!(
        out.stderr.contains("IMAGE is not set") && !out.stderr.contains("TOKEN is not set"),
        "{}",
        out.describe()
    );
}

#[test]
fn hidden_tasks_are_in_the_json_listing_only() {
    let env = Env::new();
    env.tasks_toml(
        "[tasks.shown]\nrun = \"true\"\n\n[tasks.secret]\nhide = true\nrun = \"true\"\n",
    );
    let listing = env.xtask(["--list"]).ok();
    assert!(
        listing.stdout.contains("shown") && !listing.stdout.contains("secret"),
        "{}",
        listing.describe()
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.xtask(["--list", "--json"]).ok().stdout).expect("JSON");
    let tasks: Vec<(String, bool)> = json["tasks"]
        .as_array()
        .expect("a task list")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t["hidden"].as_bool().expect("hidden is a boolean"),
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [("shown".to_string(), false), ("secret".to_string(), true)]
    );
}
