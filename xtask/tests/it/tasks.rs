//! The team's own tasks: dependencies, parallelism, arguments, freshness,
//! confirmations, built-ins inside tasks, listings and errors.

use std::time::{Duration, SystemTime};

use crate::harness::Env;

/// A shell loop that waits (bounded) for `file` to appear, else fails.
fn wait_for_file(file: &str) -> String {
    format!("i=0; while [ ! -e {file} ]; do i=$((i+1)); [ $i -gt 100 ] && exit 9; sleep 0.05; done")
}

#[test]
fn independent_dependencies_run_in_parallel_before_the_task() {
    let env = Env::new();
    // Each dependency waits for the other's start marker: they can only both
    // finish if they overlap in time. Each also records its start and end.
    env.tasks_toml(&format!(
        r#"
[tasks.left]
run = "date +%s%N > left.start; touch left.go; {}; date +%s%N > left.end"

[tasks.right]
run = "date +%s%N > right.start; touch right.go; {}; date +%s%N > right.end"

[tasks.both]
depends = ["left", "right"]
run = "test -e left.end && test -e right.end && echo both saw their dependencies"
"#,
        wait_for_file("right.go"),
        wait_for_file("left.go")
    ));
    let out = env.xtask(["both"]).ok();
    assert!(
        out.stdout.contains("both saw their dependencies"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("[left ] ")
            || out.stdout.is_empty()
            || out.stderr.contains("in parallel"),
        "{}",
        out.describe()
    );
    let time = |f: &str| env.read(f).trim().parse::<u128>().unwrap();
    assert!(
        time("left.start") < time("right.end") && time("right.start") < time("left.end"),
        "the two overlapped"
    );
    // With one job they cannot overlap, so the mutual wait fails (bounded).
    std::fs::remove_file(env.join("left.go")).unwrap();
    std::fs::remove_file(env.join("right.go")).unwrap();
    env.xtask(["--jobs", "1", "both"]).fails_with(9);
}

#[test]
fn a_shared_dependency_runs_once() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.base]
run = "echo ran >> base.log"
[tasks.b]
depends = ["base"]
run = "true"
[tasks.c]
depends = ["base"]
run = "true"
[tasks.top]
depends = ["b", "c", "base"]
run = "true"
"#,
    );
    env.xtask(["top"]).ok();
    assert_eq!(env.read("base.log"), "ran\n");
}

#[test]
fn parallel_output_is_prefixed_whole_lines() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.one]
run = "for i in 1 2 3 4 5; do printf 'one line %s\n' $i; done"
[tasks.two]
run = "for i in 1 2 3 4 5; do printf 'two line %s\n' $i; done"
[tasks.all]
depends = ["one", "two"]
run = "true"
"#,
    );
    let out = env.xtask(["all"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 10, "{}", out.describe());
    for line in lines {
        assert!(
            line.starts_with("[one] one line ") || line.starts_with("[two] two line "),
            "a line mixed or without its prefix: {line:?}"
        );
    }
}

#[test]
fn the_first_failure_stops_the_rest_and_is_repeated_at_the_end() {
    let env = Env::new();
    env.tasks_toml(&format!(
        r#"
[tasks.bad]
run = "echo failing; exit 3"
[tasks.slow]
run = "{}; touch slow.finished"
[tasks.all]
depends = ["bad", "slow"]
run = "touch all.ran"
"#,
        wait_for_file("never")
    ));
    let out = env.xtask(["all"]).fails_with(3);
    assert!(
        !env.join("all.ran").exists(),
        "the task after a failed dependency does not run"
    );
    assert!(
        !env.join("slow.finished").exists(),
        "the sibling was stopped"
    );
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error: task `bad` failed (exit code 3)"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_tasks_exit_code_is_ours() {
    let env = Env::new();
    env.tasks_toml("[tasks.seven]\nrun = [\"sh\", \"-c\", \"exit 7\"]\n");
    env.xtask(["seven"]).fails_with(7);
}

#[test]
fn arguments_have_defaults_overrides_and_reach_commands_and_env() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.lint]
run = ["sh", "-c", "echo path={path} env=$XTASK_ARG_PATH level={level}", "ignored"]
[tasks.lint.args]
path = { default = ".", help = "what to lint" }
level = { default = "1" }
"#,
    );
    env.xtask(["lint"]).ok().stdout_has("path=. env=. level=1");
    env.xtask(["lint", "--path", "src"])
        .ok()
        .stdout_has("path=src env=src level=1");
    env.xtask(["lint", "--level=3", "docs"])
        .ok()
        .stdout_has("path=docs env=docs level=3");
    env.xtask(["lint", "--colour", "x"])
        .fails_with(2)
        .stderr_has("task `lint` has no argument `--colour`; its arguments: path, level");
}

#[test]
fn extra_arguments_of_a_task_without_args_are_appended() {
    let env = Env::new();
    env.tasks_toml("[tasks.say]\nrun = [\"echo\", \"said\"]\n");
    env.xtask(["say", "hello", "--loud"])
        .ok()
        .stdout_has("said hello --loud");
}

#[test]
fn a_task_is_skipped_while_its_outputs_are_newer_than_its_sources() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.compile]
run = "mkdir -p out && cat src/*.txt > out/all.txt && echo built >> build.log"
sources = ["src/**/*.txt"]
outputs = ["out/all.txt"]
"#,
    );
    env.write("src/a.txt", "a\n");
    env.xtask(["compile"]).ok();
    env.xtask(["compile"])
        .ok()
        .stderr_has("Fresh compile (up to date");
    assert_eq!(env.read("build.log"), "built\n");

    env.write("src/a.txt", "changed\n");
    let later = SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(env.join("src/a.txt"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    env.xtask(["compile"]).ok();
    assert_eq!(env.read("build.log"), "built\nbuilt\n");
    assert_eq!(env.read("out/all.txt"), "changed\n");
}

#[test]
fn confirm_is_asked_before_anything_and_refused_without_a_terminal() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.prepare]
run = "touch prepared"
[tasks.wipe]
depends = ["prepare"]
confirm = "Wipe the database?"
run = "touch wiped"
"#,
    );
    let out = env.xtask(["wipe"]).fails_with(2);
    assert!(
        out.stderr
            .contains("\"Wipe the database?\" needs an answer, but there is no terminal"),
        "{}",
        out.describe()
    );
    assert!(!env.join("prepared").exists(), "not even a dependency ran");
    env.xtask(["--yes", "wipe"]).ok();
    assert!(env.join("prepared").exists() && env.join("wiped").exists());
}

#[test]
fn built_in_commands_run_as_dependencies_and_steps() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.verify]
depends = ["check"]
run = ["xtask:env --json", "echo after"]
"#,
    );
    let out = env.xtask(["verify"]).ok();
    assert!(
        out.stderr.contains("Checked tasks.toml (1 task)"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("\"choice\": \"none\"") && out.stdout.contains("after"),
        "{}",
        out.describe()
    );
}

#[test]
fn dry_run_prints_the_whole_plan_in_order() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.a]
run = "echo a"
[tasks.b]
run = ["echo", "b"]
dir = "sub"
env = { MODE = "fast" }
[tasks.c]
depends = ["a", "b"]
confirm = "Go?"
run = "echo c"
"#,
    );
    std::fs::create_dir(env.join("sub")).unwrap();
    let out = env.xtask(["--dry-run", "c"]).ok();
    let root = env.path().display().to_string();
    assert_eq!(
        out.stdout,
        format!(
            "# confirm (c): Go?\n# in parallel: a, b\n# a\n(cd {root} && sh -e -c 'echo a' a)\n# b\n(cd {root}/sub && MODE=fast echo b)\n# c (after a, b)\n(cd {root} && sh -e -c 'echo c' c)\n"
        )
    );
}

#[test]
fn cycles_and_unknown_names_are_errors_with_positions() {
    let env = Env::new();
    env.tasks_toml("[tasks.a]\ndepends = [\"b\"]\nrun = \"true\"\n[tasks.b]\ndepends = [\"c\"]\nrun = \"true\"\n[tasks.c]\ndepends = [\"a\", \"lnt\"]\nrun = \"true\"\n[tasks.lint]\nrun = \"true\"\n");
    let out = env.xtask(["a"]).fails_with(2);
    assert!(
        out.stderr
            .contains("tasks.toml:8:12: dependency cycle: a -> b -> c -> a"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("tasks.toml:8:17: task `c` depends on `lnt`, which is neither a task nor a built-in command\n  |\n8 | depends = [\"a\", \"lnt\"]\n  |                 ^^^^^\n  = help: did you mean `lint`?"),
        "{}",
        out.describe()
    );
}

#[test]
fn an_unknown_task_suggests_the_closest_name() {
    let env = Env::new();
    env.tasks_toml("[tasks.lint]\nrun = \"true\"\n");
    let out = env.xtask(["lnt"]).fails_with(2);
    assert_eq!(out.stderr, "error: no task or command `lnt`; did you mean `lint`?\n  = help: `cargo xtask` lists them all\n");
}

#[test]
fn listing_shows_builtins_and_tasks_and_help_shows_a_task() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.lint]
description = "Lint every project repo"
alias = "l"
depends = ["update"]
run = "flake8 {path}"
[tasks.lint.args]
path = { default = ".", help = "what to lint" }
[tasks.secret]
hide = true
run = "true"
"#,
    );
    let out = env.xtask(Vec::<String>::new()).ok();
    assert!(
        out.stdout.contains("Repositories:\n  update "),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("Tasks (tasks.toml):\n  lint, l      Lint every project repo\n"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("secret"), "{}", out.describe());
    assert_eq!(env.xtask(["--list"]).ok().stdout, out.stdout);

    let json: serde_json::Value =
        serde_json::from_str(&env.xtask(["--list", "--json"]).ok().stdout).unwrap();
    assert_eq!(json["tasks"][0]["name"], "lint");
    assert_eq!(json["tasks"][0]["args"][0]["default"], ".");
    assert_eq!(json["tasks"][1]["hidden"], true);

    let help = env.xtask(["help", "l"]).ok();
    assert_eq!(
        help.stdout,
        "lint: Lint every project repo\ndefined at tasks.toml:2\nusage: cargo xtask lint [--path VALUE]\naliases: l\narguments:\n  --path  what to lint (default: .)\ndepends on: update\nrun:\n  flake8 {path}\n"
    );
    env.xtask(["help", "update"])
        .ok()
        .stdout_has("cargo xtask update --locked");
}

#[test]
fn completions_name_the_projects_tasks_and_services() {
    let env = Env::new();
    env.tasks_toml("[tasks.deploy-portal]\nrun = \"true\"\n[services.portal]\n");
    env.write("docker-compose.yml", "services:\n  portal:\n    image: x\n");
    for shell in ["bash", "zsh", "fish"] {
        let out = env.xtask(["completions", shell, "--static"]).ok();
        assert!(out.stdout.contains("deploy-portal"), "{shell}: no task");
        assert!(out.stdout.contains("portal"), "{shell}: no service");
    }
}

#[test]
fn sigterm_reaches_the_childs_whole_process_group_and_we_exit_143() {
    use std::process::{Command, Stdio};
    let env = Env::new();
    // The shell starts a grandchild; both must get the signal.
    env.tasks_toml(
        r#"
[tasks.serve]
run = "sleep 30 & trap 'echo got TERM; kill $!; exit 5' TERM; touch ready; wait"
"#,
    );
    let child = Command::new(crate::harness::binary())
        .arg("serve")
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::engine::wait_for("the task to start", Duration::from_secs(10), || {
        if env.join("ready").exists() {
            Ok(())
        } else {
            Err("no ready file".into())
        }
    });
    crate::harness::send_signal(child.id(), 15);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("got TERM"), "{stdout}");
    // The child handled the signal its own way (exit 5), but the user asked
    // us to stop: the invocation says so with 128 + SIGTERM.
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_full_listing_is_stable() {
    let env = Env::new();
    env.tasks_toml(
        "[tasks.lint]\ndescription = \"Lint every project repo\"\nalias = \"l\"\nrun = \"true\"\n\n\
         [tasks.fresh]\ndescription = \"update, build, up\"\nrun = [[\"xtask:update\"], [\"xtask:up\", \"-d\"]]\n",
    );
    insta::assert_snapshot!("listing", env.xtask(Vec::<String>::new()).ok().stdout);
}
