//! The exact compose command lines we build, checked with a recording fake
//! `docker` on PATH (the real engine is exercised in e2e.rs), and the
//! config errors of environments and services.

use std::path::PathBuf;

use crate::harness::Env;

/// A fake `docker` (and `docker-compose`) that records every argv, one per
/// line, and answers version questions like the given Compose version.
struct FakeDocker {
    bin: tempfile::TempDir,
}

impl FakeDocker {
    fn new(compose_version: &str, engine_up: bool) -> Self {
        let bin = tempfile::tempdir().unwrap();
        let log = bin.path().join("calls.log");
        let engine = if engine_up {
            "echo 20.10.24; exit 0"
        } else {
            "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1"
        };
        let script = format!(
            "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> '{log}'\n\
             case \"$*\" in\n\
               'compose version --short'|'version --short') echo '{compose_version}'; exit 0;;\n\
               version*) {engine};;\n\
               ps*) exit 0;;\n\
             esac\nexit 0\n",
            log = log.display()
        );
        for name in ["docker", "docker-compose"] {
            crate::harness::write_executable(&bin.path().join(name), &script);
        }
        Self { bin }
    }

    fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// The compose calls made (version probes and state queries left out).
    fn compose_calls(&self) -> Vec<String> {
        let log: PathBuf = self.bin.path().join("calls.log");
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                !l.ends_with("version --short")
                    && !l.starts_with("docker version")
                    && !l.starts_with("docker ps")
                    && !l.starts_with("docker volume ls")
            })
            .map(String::from)
            .collect()
    }
}

impl FakeDocker {
    /// Every call made, version probes included.
    fn all_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.bin.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    fn forget_calls(&self) {
        let _ = std::fs::remove_file(self.bin.path().join("calls.log"));
    }
}

#[test]
fn reads_talk_to_docker_once_and_the_compose_version_is_asked_once() {
    let fake = FakeDocker::new("2.24.0", true);
    let env = portal_env();
    for command in [["ps"], ["urls"]] {
        env.xtask(command).env("PATH", fake.path_var()).ok();
        let calls = fake.all_calls();
        assert_eq!(calls.len(), 1, "{command:?}: {calls:#?}");
        assert!(calls[0].starts_with("docker ps --all"), "{calls:#?}");
        fake.forget_calls();
    }
    // A compose command probes the version the first time only.
    env.xtask(["logs"]).env("PATH", fake.path_var()).ok();
    assert!(fake
        .all_calls()
        .iter()
        .any(|c| c.ends_with("version --short")));
    fake.forget_calls();
    env.xtask(["logs"]).env("PATH", fake.path_var()).ok();
    let calls = fake.all_calls();
    assert!(
        !calls.iter().any(|c| c.ends_with("version --short")),
        "the second call probed again: {calls:#?}"
    );
    // A changed binary (an upgrade) is asked again.
    let docker = fake.bin.path().join("docker");
    let script = std::fs::read_to_string(&docker)
        .unwrap()
        .replace("2.24.0", "2.30.1");
    std::fs::write(&docker, script).unwrap();
    fake.forget_calls();
    env.xtask(["logs"]).env("PATH", fake.path_var()).ok();
    assert!(fake
        .all_calls()
        .iter()
        .any(|c| c.ends_with("version --short")));
}

fn portal_env() -> Env {
    let env = Env::new();
    env.tasks_toml(
        "[project]\nname = \"c3s\"\ncompose_files = [\"docker-compose.yml\"]\nenv_files = [\".env\"]\n\n\
         [services.portal]\ncommand = [\"execute\", \"deploy-portal\"]\nshell = \"/bin/bash\"\n",
    );
    env.write(
        "docker-compose.yml",
        "services:\n  portal:\n    image: x\n  db:\n    image: y\n",
    );
    // env_files must exist (compose fails on a missing --env-file).
    env.write(".env", "");
    env
}

#[test]
fn run_uses_the_services_default_command_with_ports_and_aliases() {
    let docker = FakeDocker::new("5.0.1", true);
    let env = portal_env();
    env.xtask(["run", "portal"])
        .env("PATH", docker.path_var())
        .ok();
    assert_eq!(
        docker.compose_calls(),
        ["docker compose -p c3s -f docker-compose.yml --env-file .env run --rm --service-ports --use-aliases -T portal execute deploy-portal"]
    );
}

#[test]
fn run_passes_composes_own_options_and_leaves_the_command_alone() {
    let docker = FakeDocker::new("5.0.1", true);
    let env = portal_env();
    env.xtask([
        "run",
        "-e",
        "DEBUG=1",
        "-e",
        "NAME=two words",
        "--no-deps",
        "-u",
        "1000",
        "-w",
        "/app",
        "--entrypoint",
        "sh",
        "-d",
        "portal",
        "-e",
        "X",
        "--no-deps",
    ])
    .env("PATH", docker.path_var())
    .ok();
    assert_eq!(
        docker.compose_calls(),
        ["docker compose -p c3s -f docker-compose.yml --env-file .env run --rm --service-ports --use-aliases -T -e DEBUG=1 -e NAME=two words --no-deps --detach --user 1000 --entrypoint sh --workdir /app portal -e X --no-deps"]
    );
}

#[test]
fn dry_run_prints_the_exact_argv_and_runs_nothing() {
    let docker = FakeDocker::new("2.24.0", true);
    let env = portal_env();
    let out = env
        .xtask(["--dry-run", "up", "-d", "--wait", "portal"])
        .env("PATH", docker.path_var())
        .ok();
    assert_eq!(
        out.stdout,
        format!(
            "(cd {} && docker compose -p c3s -f docker-compose.yml --env-file .env up --detach --wait --wait-timeout 120 portal)\n",
            env.path().display()
        )
    );
    assert!(
        docker.compose_calls().is_empty(),
        "{:?}",
        docker.compose_calls()
    );
}

#[test]
fn a_standalone_docker_compose_is_judged_by_its_version() {
    for (version, waits_natively) in [("1.29.2", false), ("2.40.3", true), ("5.0.0", true)] {
        let docker = FakeDocker::new(version, true);
        let env = portal_env();
        let out = env
            .xtask(["--dry-run", "up", "--wait"])
            .env("PATH", docker.path_var())
            .env("XTASK_COMPOSE", "docker-compose")
            .ok();
        assert!(
            out.stdout.contains("docker-compose -p c3s"),
            "{}",
            out.describe()
        );
        assert_eq!(
            out.stdout.contains("--wait-timeout"),
            waits_natively,
            "{version}: {}",
            out.describe()
        );
        assert_eq!(
            out.stdout.contains("has no --wait"),
            !waits_natively,
            "{version}: {}",
            out.describe()
        );
    }
}

#[test]
fn scale_down_logs_and_build_build_the_expected_commands() {
    let docker = FakeDocker::new("5.0.1", true);
    let env = portal_env();
    for args in [
        vec!["scale", "portal=2", "db=1"],
        vec!["--yes", "down", "--volumes"],
        vec!["logs", "-f", "--tail", "20", "portal"],
        vec!["build", "--no-cache", "portal"],
        vec!["restart", "db"],
        vec!["exec", "db", "psql", "-U", "postgres"],
        vec!["stop", "portal"],
        vec!["stop"],
    ] {
        env.xtask(&args).env("PATH", docker.path_var()).ok();
    }
    let prefix = "docker compose -p c3s -f docker-compose.yml --env-file .env";
    // The exec's marker (for stopping it on interrupt) is unique per run.
    let calls: Vec<String> = docker
        .compose_calls()
        .into_iter()
        .map(|call| match call.split_once("XTASK_EXEC_ID=") {
            Some((before, after)) => format!(
                "{before}XTASK_EXEC_ID=ID{}",
                after.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
            ),
            None => call,
        })
        .collect();
    assert_eq!(
        calls,
        [
            format!("{prefix} up --detach --no-recreate --scale portal=2 --scale db=1 portal db"),
            format!("{prefix} down --remove-orphans --volumes"),
            format!("{prefix} logs --follow --tail 20 portal"),
            format!("{prefix} build --no-cache portal"),
            format!("{prefix} restart db"),
            format!("{prefix} exec -T -e XTASK_EXEC_ID=ID db psql -U postgres"),
            format!("{prefix} stop portal"),
            format!("{prefix} stop"),
        ]
    );
}

#[test]
fn an_unknown_service_suggests_the_closest_and_runs_nothing() {
    let docker = FakeDocker::new("5.0.1", true);
    let env = portal_env();
    env.xtask(["run", "portl"])
        .env("PATH", docker.path_var())
        .fails_with(2)
        .stderr_has("no service `portl` in the compose files")
        .stderr_has("did you mean `portal`?");
    assert!(docker.compose_calls().is_empty());
}

#[test]
fn without_a_terminal_run_needs_a_service_and_lists_them() {
    let docker = FakeDocker::new("5.0.1", true);
    let env = portal_env();
    env.xtask(["run"])
        .env("PATH", docker.path_var())
        .fails_with(2)
        .stderr_has("`run` needs a service")
        .stderr_has("one of: portal, db");
}

#[test]
fn when_no_engine_answers_the_error_says_why_and_what_to_do() {
    let docker = FakeDocker::new("5.0.1", false);
    let env = portal_env();
    let out = env
        .xtask(["up", "-d"])
        .env("PATH", docker.path_var())
        .env_remove("DOCKER_HOST")
        .fails_with(1);
    assert!(
        out.stderr.contains("the Docker engine does not answer"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("the daemon is not running"),
        "{}",
        out.describe()
    );
    assert!(
        docker.compose_calls().is_empty(),
        "compose was not called: {:?}",
        docker.compose_calls()
    );
}

#[test]
fn environments_choose_files_by_flag_env_var_dotenv_and_default() {
    let env = Env::new();
    env.tasks_toml(
        "[project]\ncompose_files = [\"base.yml\"]\ndefault_environment = \"development\"\n\n\
         [environments.development]\n\n\
         [environments.testing]\ncompose_files = [\"testing.yml\"]\nenv = { DB = \"test\" }\n\n\
         [environments.ci]\ninherits = \"testing\"\ncompose_files = [\"ci.yml\"]\n",
    );
    for file in ["base.yml", "testing.yml", "ci.yml"] {
        env.write(file, "services:\n  web:\n    image: x\n");
    }
    env.xtask(["env"])
        .ok()
        .stdout_has("environment: development (the default_environment in tasks.toml)");
    env.write(".env", "ENVIRONMENT=testing\n");
    env.xtask(["env"])
        .ok()
        .stdout_has("environment: testing (chosen by ENVIRONMENT in .env)");
    let out = env.xtask(["--env", "ci", "env"]).ok();
    assert!(
        out.stdout.contains("environment: ci (chosen with --env)"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("inherits: ci -> testing"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("compose files: base.yml, testing.yml, ci.yml"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("env: DB=test"), "{}", out.describe());
    env.xtask(["env"])
        .env("XTASK_ENV", "ci")
        .ok()
        .stdout_has("(chosen by XTASK_ENV)");
    env.xtask(["--env", "staging", "env"])
        .fails_with(2)
        .stderr_has(
            "unknown environment `staging` (chosen with --env); defined: ci, development, testing",
        );
}

#[test]
fn environment_and_service_mistakes_are_config_errors_with_positions() {
    let env = Env::new();
    env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\", \"missing.yml\"]\n\n\
         [environments.a]\ninherits = \"b\"\n\n[environments.b]\ninherits = \"a\"\n\n\
         [services.portl]\nshell = \"/bin/sh\"\n",
    );
    env.write("docker-compose.yml", "services:\n  portal:\n    image: x\n");
    let out = env.xtask(["check"]).fails_with(2);
    assert!(
        out.stderr
            .contains("error: tasks.toml:2:40: compose file `missing.yml` does not exist"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("tasks.toml:5:12: environments inherit in a cycle: a -> b -> a"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("tasks.toml:10:11: service `portl` is not in the compose files"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("= help: did you mean `portal`? the compose files declare: portal"),
        "{}",
        out.describe()
    );
}
