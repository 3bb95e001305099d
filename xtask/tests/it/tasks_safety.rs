//! Safety of the task runner and its command line: an interrupt stops the
//! whole invocation, arguments cannot inject commands, `xtask:` steps call
//! built-ins only, folders stay inside the root, flags parse strictly, and
//! what tasks.toml says reaches the terminal without escape sequences.

use std::path::Path;
use std::process::{Child, Output};
use std::time::Duration;

use crate::engine::wait_for;
use crate::harness::{send_signal, Env};

/// `xtask ARGS` started in `env` without a terminal, output captured.
fn spawn(env: &Env, args: &[&str]) -> Child {
    env.xtask(args).spawn()
}

/// Waits (bounded) until `file` exists under the root.
fn wait_for_file(env: &Env, file: &str) {
    let path = env.join(file);
    wait_for(
        &format!("{file} to appear"),
        Duration::from_secs(15),
        || {
            if path.exists() {
                Ok(())
            } else {
                Err(format!("{} does not exist", path.display()))
            }
        },
    );
}

/// Waits (bounded) for xtask to exit, killing it if it does not.
fn wait_exit(mut child: Child, within: Duration) -> Output {
    let deadline = std::time::Instant::now() + within;
    loop {
        match child.try_wait().expect("try_wait") {
            Some(_) => return child.wait_with_output().expect("output"),
            None if std::time::Instant::now() > deadline => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("output");
                panic!(
                    "xtask did not exit within {} s\n--- stderr\n{}",
                    within.as_secs(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn describe(output: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}---",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn exists(env: &Env, file: &str) -> bool {
    Path::new(&env.join(file)).exists()
}

// --- interrupts ---------------------------------------------------------------

/// A shell step that ignores the signal's default action: on SIGINT or
/// SIGTERM it exits 0, as some tools do. `started` marks that it runs.
const TRAPS_AND_EXITS_0: &str =
    "trap 'exit 0' INT TERM; touch started; while :; do sleep 0.1; done";

#[test]
fn sigint_during_a_dependency_that_exits_0_stops_the_whole_invocation() {
    for (signal, code) in [(2, 130), (15, 143)] {
        let env = Env::new();
        env.tasks_toml(&format!(
            "[tasks.dep]\nrun = \"{TRAPS_AND_EXITS_0}\"\n\
             [tasks.main]\ndepends = [\"dep\"]\nrun = \"touch main.ran\"\n"
        ));
        let child = spawn(&env, &["main"]);
        wait_for_file(&env, "started");
        send_signal(child.id(), signal);
        let output = wait_exit(child, Duration::from_secs(15));
        assert_eq!(output.status.code(), Some(code), "{}", describe(&output));
        assert!(
            !exists(&env, "main.ran"),
            "the dependent task ran after signal {signal}"
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("nothing more was started"),
            "{}",
            describe(&output)
        );
    }
}

#[test]
fn an_interrupt_stops_a_multi_step_task_between_its_steps() {
    let env = Env::new();
    env.tasks_toml(&format!(
        "[tasks.steps]\nrun = [[\"sh\", \"-c\", \"{TRAPS_AND_EXITS_0}\"], \"touch second.ran\", \"xtask:env\"]\n"
    ));
    let child = spawn(&env, &["steps"]);
    wait_for_file(&env, "started");
    send_signal(child.id(), 2);
    let output = wait_exit(child, Duration::from_secs(15));
    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    assert!(!exists(&env, "second.ran"), "the second step ran");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("environment:"),
        "the built-in step ran: {}",
        describe(&output)
    );
}

#[test]
fn an_interrupt_during_a_parallel_level_stops_every_sibling_and_the_dependent() {
    let env = Env::new();
    // `calm` exits 0 on the signal; `busy` would go on to write its marker
    // if it were not stopped; `after` needs both.
    env.tasks_toml(&format!(
        r#"
[tasks.calm]
run = "{TRAPS_AND_EXITS_0}"
[tasks.busy]
run = "trap 'exit 0' INT TERM; touch busy.started; i=0; while [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done; touch busy.finished"
[tasks.more]
run = "touch more.ran"
[tasks.after]
depends = ["calm", "busy", "more"]
run = "touch after.ran"
"#
    ));
    let child = spawn(&env, &["--jobs", "2", "after"]);
    wait_for_file(&env, "started");
    wait_for_file(&env, "busy.started");
    send_signal(child.id(), 15);
    let output = wait_exit(child, Duration::from_secs(15));
    assert_eq!(output.status.code(), Some(143), "{}", describe(&output));
    assert!(!exists(&env, "after.ran"), "the dependent ran");
    assert!(
        !exists(&env, "busy.finished"),
        "the sibling was not stopped"
    );
    assert!(
        !exists(&env, "more.ran"),
        "a queued sibling started after the interrupt"
    );
}

// --- the command line -------------------------------------------------------

#[test]
fn a_huge_or_zero_job_count_is_a_usage_error_not_a_panic() {
    let env = Env::new();
    env.tasks_toml("[tasks.a]\nrun = \"true\"\n");
    for jobs in ["4611686018427387904", "0", "1025"] {
        let out = env.xtask(["-j", jobs, "a"]).fails_with(2);
        assert!(
            out.stderr.contains("--jobs") && out.stderr.contains("1..=1024"),
            "{}",
            out.describe()
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.describe());
        let out = env.xtask(["a"]).env("XTASK_JOBS", jobs).fails_with(2);
        assert!(!out.stderr.contains("panicked"), "{}", out.describe());
    }
    env.xtask(["-j", "1024", "a"]).ok();
}

#[test]
fn boolean_environment_twins_accept_the_usual_spellings() {
    let env = Env::new();
    env.tasks_toml("[tasks.wipe]\nconfirm = \"Wipe?\"\nrun = \"touch wiped\"\n");
    env.xtask(["wipe"]).fails_with(2);
    for yes in ["1", "true", "yes", "on", "TRUE"] {
        std::fs::remove_file(env.join("wiped")).ok();
        env.xtask(["wipe"]).env("XTASK_YES", yes).ok();
        assert!(exists(&env, "wiped"), "XTASK_YES={yes} answered yes");
    }
    for no in ["0", "false", "no", "off"] {
        env.xtask(["wipe"]).env("XTASK_YES", no).fails_with(2);
    }
    std::fs::remove_file(env.join("wiped")).ok();
    let plan = env.xtask(["wipe"]).env("XTASK_DRY_RUN", "yes").ok();
    assert!(plan.stdout.contains("touch wiped"), "{}", plan.describe());
    assert!(!exists(&env, "wiped"), "a dry run runs nothing");
    env.xtask(["wipe"])
        .env("XTASK_DRY_RUN", "0")
        .env("XTASK_YES", "on")
        .ok();
    assert!(exists(&env, "wiped"));
    let listing = env.xtask(Vec::<String>::new()).env("XTASK_JSON", "1").ok();
    assert!(
        listing.stdout.trim_start().starts_with('{'),
        "{}",
        listing.describe()
    );
    let quiet = env
        .xtask(["--dry-run", "wipe"])
        .env("XTASK_QUIET", "yes")
        .ok();
    assert!(quiet.stderr.is_empty(), "{}", quiet.describe());
    env.xtask(["wipe"])
        .env("XTASK_YES", "maybe")
        .fails_with(2)
        .stderr_has("invalid value 'maybe'");
}

// --- arguments reach commands as data -------------------------------------

#[test]
fn an_argument_is_one_quoted_word_in_a_shell_run_and_never_code() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.say]
run = "printf '[%s]\n' {text} >> said"
[tasks.say.args]
text = { default = "nothing" }
"#,
    );
    let nasty = [
        "x; touch INJECTED",
        "$(touch INJECTED)",
        "`touch INJECTED`",
        "it's | touch INJECTED",
        "a\nb && touch INJECTED",
        "",
    ];
    for value in nasty {
        env.xtask(["say", value]).ok();
        env.xtask(["say", &format!("--text={value}")]).ok();
    }
    assert!(!exists(&env, "INJECTED"), "a value ran as shell code");
    let expected: String = nasty
        .iter()
        .flat_map(|v| [format!("[{v}]\n"), format!("[{v}]\n")])
        .collect();
    assert_eq!(env.read("said"), expected, "each value arrived literally");
    // The safe variable form sees the same.
    env.tasks_toml(
        "[tasks.var]\nrun = \"printf '[%s]' \\\"$XTASK_ARG_TEXT\\\"\"\n[tasks.var.args]\ntext = {}\n",
    );
    env.xtask(["var", "x; touch INJECTED"])
        .ok()
        .stdout_has("[x; touch INJECTED]");
    assert!(!exists(&env, "INJECTED"));
}

#[test]
fn argv_runs_and_extra_arguments_take_values_as_they_are() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.argv]
run = ["printf", "[%s]", "{text}"]
[tasks.argv.args]
text = {}
[tasks.extra]
run = "printf '[%s]' \"$@\""
"#,
    );
    env.xtask(["argv", "x; touch INJECTED"])
        .ok()
        .stdout_has("[x; touch INJECTED]");
    // A task without args gets its extra arguments as "$@", never as text.
    let out = env
        .xtask(["extra", "x; touch INJECTED", "$(touch INJECTED)", "a b"])
        .ok();
    assert_eq!(out.stdout, "[x; touch INJECTED][$(touch INJECTED)][a b]");
    assert!(!exists(&env, "INJECTED"), "a value ran as shell code");
}

#[test]
fn a_value_cannot_add_words_or_flags_to_a_built_in_step() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.explain]
run = "xtask:help {topic}"
[tasks.explain.args]
topic = { default = "update" }
"#,
    );
    env.xtask(["explain"]).ok().stdout_has("cargo xtask update");
    // Split before substitution: the value is one word, a name nothing has.
    env.xtask(["explain", "update --version"])
        .fails_with(2)
        .stderr_has("no task or command `update --version`");
    let out = env.xtask(["explain", "--topic=--version"]).fails_with(2);
    assert!(
        out.stderr
            .contains("makes `--version` a flag of `xtask help`"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("xtask 0."), "{}", out.describe());
}

// --- `xtask:` calls built-in commands only --------------------------------

#[test]
fn xtask_steps_that_name_a_task_or_nothing_are_check_errors_not_recursion() {
    let env = Env::new();
    env.tasks_toml(concat!(
        "[tasks.a]\nrun = \"xtask:a\"\n",                             // 1-2
        "[tasks.b]\nrun = [[\"xtask:c\"]]\n",                         // 3-4
        "[tasks.c]\ndepends = [\"xtask:b\"]\nrun = \"true\"\n",       // 5-7
        "[tasks.d]\nrun = [\"echo\", \"xtask:updte\"]\n",             // 8-9: an argv, fine
        "[tasks.e]\nrun = [[\"echo\"], \"xtask:updte --reset\"]\n",   // 10-11
        "[tasks.f]\ndepends = [\"xtask:--yes a\"]\nrun = \"true\"\n", // 12-14
    ));
    let child = spawn(&env, &["a"]);
    let output = wait_exit(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let out = env.xtask(["check"]).fails_with(2);
    for expected in [
        "tasks.toml:2:8: task `a` calls itself through `xtask:a`, which would recurse forever",
        "tasks.toml:4:10: task `b` calls task `c` through `xtask:c`: `xtask:` is for built-in commands only",
        "tasks.toml:6:13: task `c` calls task `b` through `xtask:b`",
        "tasks.toml:11:19: task `e` calls `xtask:updte`, which is not a built-in command",
        "= help: did you mean `xtask:update`?",
        "tasks.toml:13:13: task `f` calls `xtask:--yes`, which is not a built-in command",
        "= help: name tasks in `depends`",
    ] {
        assert!(out.stderr.contains(expected), "lacks {expected:?}\n{}", out.describe());
    }
    assert!(!out.stderr.contains("task `d`"), "{}", out.describe());
}

#[test]
fn empty_runs_are_check_errors_with_positions() {
    let env = Env::new();
    env.tasks_toml(concat!(
        "[tasks.a]\nrun = []\n",
        "[tasks.b]\nrun = [\"\"]\n",
        "[tasks.c]\nrun = [[]]\n",
        "[tasks.d]\nrun = \"  \"\n",
        "[tasks.e]\nrun = [[\"echo\"], [\" \", \"x\"]]\n",
        "[tasks.f]\nrun = \"xtask:\"\n",
    ));
    let out = env.xtask(["check"]).fails_with(2);
    for (line, task) in [(2, "a"), (4, "b"), (6, "c"), (8, "d"), (10, "e")] {
        let expected = format!("tasks.toml:{line}:7: task `{task}` has an empty command in `run`");
        assert!(
            out.stderr.contains(&expected),
            "lacks {expected:?}\n{}",
            out.describe()
        );
    }
    assert!(
        out.stderr
            .contains("tasks.toml:12:7: task `f` has `xtask:` with no command"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains("6 problems"), "{}", out.describe());
}

// --- `dir` --------------------------------------------------------------------

#[test]
fn a_dir_outside_the_root_or_missing_is_a_check_error() {
    let env = Env::new();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), env.join("elsewhere")).unwrap();
    std::fs::create_dir(env.join("real")).unwrap();
    env.tasks_toml(concat!(
        "[tasks.a]\nrun = \"touch a.ran\"\ndir = \"../\"\n",
        "[tasks.b]\nrun = \"touch b.ran\"\ndir = \"/tmp\"\n",
        "[tasks.c]\nrun = \"touch c.ran\"\ndir = \"elsewhere\"\n",
        "[tasks.d]\nrun = \"touch d.ran\"\ndir = \"missing\"\n",
        "[tasks.e]\nrun = \"touch e.ran\"\ndir = \"real/./\"\n",
    ));
    let out = env.xtask(["check"]).fails_with(2);
    for expected in [
        "tasks.toml:3:7: task `a`: `dir = \"../\"` leaves the environment root",
        "tasks.toml:6:7: task `b`: `dir = \"/tmp\"` is absolute",
        "tasks.toml:9:7: task `c`: `dir = \"elsewhere\"` leads outside the environment root through a symbolic link",
        "tasks.toml:12:7: task `d`: `dir = \"missing\"` does not exist",
        "= help: create the folder",
    ] {
        assert!(out.stderr.contains(expected), "lacks {expected:?}\n{}", out.describe());
    }
    assert!(!out.stderr.contains("task `e`"), "{}", out.describe());
    env.xtask(["c"]).fails_with(2);
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing ran outside the root"
    );
}

#[test]
fn a_dir_update_will_clone_is_named_when_it_is_still_missing() {
    let env = Env::new();
    env.repos_toml("[[repo]]\nname = \"portal\"\nurl = \"file:///nowhere\"\n");
    env.tasks_toml("[tasks.lint]\nrun = \"touch linted\"\ndir = \"shared/src/portal\"\n");
    env.xtask(["check"]).ok();
    let out = env.xtask(["lint"]).fails_with(1);
    let dir = env.join("shared/src/portal");
    assert!(
        out.stderr.contains(&format!(
            "cannot run `sh` in {}: that folder does not exist",
            dir.display()
        )),
        "{}",
        out.describe()
    );
    assert!(!out.stderr.contains("not found"), "{}", out.describe());
    std::fs::create_dir_all(&dir).unwrap();
    env.xtask(["lint"]).ok();
    assert!(dir.join("linted").exists());
}

// --- what tasks.toml says reaches the terminal without escape sequences ------

#[test]
fn task_names_descriptions_and_commands_print_without_control_characters() {
    let env = Env::new();
    // TOML escapes put raw ESC, BEL and CR into the parsed values.
    env.tasks_toml(concat!(
        "[tasks.\"evil\\u001b]0;owned\\u0007\"]\n",
        "description = \"looks fine\\u001b[2K\\rcleared\"\n",
        "run = \"printf 'ok\\\\n' # \\u001b[31m\"\n",
        "[tasks.broken]\n",
        "depends = [\"nothing\\u001b[1m\"]\n",
    ));
    let check = env.xtask(["check"]).fails_with(2);
    assert!(!check.stderr.contains('\u{1b}'), "{:?}", check.stderr);
    assert!(
        check.stderr.contains("nothing\\x1b[1m"),
        "{}",
        check.describe()
    );

    env.tasks_toml(concat!(
        "[tasks.\"evil\\u001b]0;owned\\u0007\"]\n",
        "description = \"looks fine\\u001b[2K\\rcleared\"\n",
        "run = \"printf 'ok\\\\n' # \\u001b[31m\"\n",
    ));
    let listing = env.xtask(Vec::<String>::new()).ok();
    assert!(
        listing
            .stdout
            .contains("evil\\x1b]0;owned\\x07  looks fine\\x1b[2K\\x0dcleared"),
        "{}",
        listing.describe()
    );
    let name = "evil\u{1b}]0;owned\u{7}";
    for out in [
        env.xtask(["help", name]).ok(),
        env.xtask(["--dry-run", name]).ok(),
        env.xtask(["-v", name]).ok(),
        env.xtask([&format!("{name}x")]).fails_with(2),
    ] {
        let printed = format!("{}{}", out.stderr, out.stdout.replace("ok\n", ""));
        assert!(
            !printed.chars().any(|c| c.is_control() && c != '\n'),
            "raw control characters: {printed:?}"
        );
        assert!(printed.contains("\\x1b"), "{}", out.describe());
    }
}

// --- tasks.toml's project settings ------------------------------------------

#[test]
fn unknown_default_environment_missing_env_files_and_bad_yaml_are_check_errors() {
    let env = Env::new();
    env.tasks_toml(concat!(
        "[project]\n",
        "default_environment = \"developmnt\"\n",
        "env_files = [\".env\", \"local.env\"]\n",
        "[environments.development]\n",
    ));
    env.repos_toml("[[copy]]\nfrom = \".env.example\"\nto = \"./.env\"\n");
    env.write(".env.example", "A=1\n");
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: x\n   bad: [\n",
    );
    let out = env.xtask(["check"]).fails_with(2);
    for expected in [
        "tasks.toml:2:23: default environment `developmnt` is not defined",
        "= help: did you mean `development`?",
        "tasks.toml:3:22: env file `local.env` does not exist",
        "[[copy]] to = \"local.env\"",
        "docker-compose.yml:4:4: while parsing a block mapping, did not find expected key",
    ] {
        assert!(
            out.stderr.contains(expected),
            "lacks {expected:?}\n{}",
            out.describe()
        );
    }
    // `.env` is made by update's [[copy]]: not a load error, so update can run.
    assert!(!out.stderr.contains("`.env`"), "{}", out.describe());

    env.tasks_toml("[project]\nenv_files = [\".env\"]\n");
    env.write("docker-compose.yml", "services:\n  web:\n    image: x\n");
    let out = env.xtask(["check"]).fails_with(2);
    assert!(
        out.stderr.contains("tasks.toml:2:14: env file `.env` does not exist")
            && out
                .stderr
                .contains("`cargo xtask update` creates it: the [[copy]] at repos.toml:3 copies `.env.example` to it"),
        "{}",
        out.describe()
    );
    env.xtask(["update"]).ok();
    assert_eq!(env.read(".env"), "A=1\n");
    env.xtask(["check"]).ok();
}

#[test]
fn service_names_that_compose_would_read_as_options_are_check_errors() {
    let env = Env::new();
    env.write("docker-compose.yml", "services:\n  web:\n    image: x\n");
    env.tasks_toml(
        "[services.\"--privileged\"]\nshell = \"sh\"\n\n\
         [tasks.t]\nin = \"-e\"\nrun = \"true\"\n",
    );
    let out = env.xtask(["check"]).fails_with(2);
    for (needle, position) in [
        (
            "`--privileged` is not a compose service name",
            "tasks.toml:1:11",
        ),
        ("`-e` is not a compose service name", "tasks.toml:5:6"),
    ] {
        assert!(out.stderr.contains(needle), "{}", out.describe());
        assert!(
            out.stderr.contains(position),
            "{position}\n{}",
            out.describe()
        );
    }
    // Nothing runs for a task whose service is refused.
    env.xtask(["t"]).fails_with(2);
}
