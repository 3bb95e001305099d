//! Safety of the task runner and its command line: an interrupt stops the
//! whole invocation, arguments cannot inject commands, `xtask:` steps call
//! built-ins only, folders stay inside the root, flags parse strictly, and
//! what tasks.toml says reaches the terminal without escape sequences.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::engine::wait_for;
use crate::harness::{binary, send_signal, Env};

/// `xtask ARGS` started in `env` without a terminal, output captured.
fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(binary())
        .args(args)
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .env_remove("XTASK_JOBS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn xtask")
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
