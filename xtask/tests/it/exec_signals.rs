//! Ctrl-C and SIGTERM stop what xtask `exec`'d in a container, on the real
//! engine: Compose does not pass the signal on (with `-T` it just exits),
//! so xtask stops the command's processes itself.

use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::engine::{wait_for, Stack};
use crate::harness::send_signal;

fn spawn(stack: &Stack, args: &[&str]) -> Child {
    stack.xtask(args).spawn()
}

/// The command lines running in `service`'s container, from `compose top`.
fn processes(stack: &Stack, service: &str) -> String {
    let out = Command::new("docker")
        .args(["compose", "-p", &stack.project, "top", service])
        .current_dir(stack.env.path())
        .output()
        .expect("docker compose top");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_running(stack: &Stack, service: &str, needle: &str) {
    wait_for(
        &format!("`{needle}` to run in {service}"),
        Duration::from_secs(30),
        || {
            let top = processes(stack, service);
            if top.contains(needle) {
                Ok(())
            } else {
                Err(top)
            }
        },
    );
}

fn wait_gone(stack: &Stack, service: &str, needle: &str) {
    wait_for(
        &format!("`{needle}` to be gone from {service}"),
        Duration::from_secs(15),
        || {
            let top = processes(stack, service);
            if top.contains(needle) {
                Err(top)
            } else {
                Ok(())
            }
        },
    );
}

fn wait_exit(mut child: Child, within: Duration) -> Output {
    let deadline = Instant::now() + within;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "xtask did not exit within {} s: {}",
                within.as_secs(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn an_interrupted_exec_stops_the_command_in_the_container() {
    let stack = Stack::fixture();
    stack.xtask(["up", "-d", "web"]).ok();

    let plan = stack
        .xtask(["--dry-run", "exec", "web", "sleep", "300"])
        .ok();
    assert!(
        plan.stdout.contains(" exec -T -e 'XTASK_EXEC_ID=")
            && plan.stdout.contains(" web sleep 300)\n# on interrupt: ")
            && plan.stdout.contains(" exec -T web sh -c "),
        "the dry run shows the exec and its clean-up: {}",
        plan.describe()
    );

    // Ctrl-C: exit 130, and no `sleep 300` is left in the container.
    let child = spawn(&stack, &["exec", "web", "sleep", "300"]);
    wait_running(&stack, "web", "sleep 300");
    send_signal(child.id(), 2);
    let output = wait_exit(child, Duration::from_secs(30));
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    wait_gone(&stack, "web", "sleep 300");

    // SIGTERM: exit 143, and the command's own children are stopped too.
    let child = spawn(
        &stack,
        &["exec", "web", "sh", "-c", "sleep 301 & sleep 302; wait"],
    );
    wait_running(&stack, "web", "sleep 302");
    send_signal(child.id(), 15);
    let output = wait_exit(child, Duration::from_secs(30));
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    wait_gone(&stack, "web", "sleep 30");

    stack.xtask(["down"]).ok();
}

#[test]
fn an_interrupted_task_in_a_running_service_stops_there_and_nothing_follows() {
    let stack = Stack::fixture();
    let tasks = stack.env.read("tasks.toml");
    stack.env.tasks_toml(&format!(
        "{tasks}\n[tasks.serve]\nin = \"worker\"\nrun = \"sleep 303; echo done\"\n\
         [tasks.after]\ndepends = [\"serve\"]\nrun = \"touch after.ran\"\n"
    ));
    stack.xtask(["up", "-d", "worker"]).ok();
    let plan = stack.xtask(["--dry-run", "after"]).ok();
    assert!(
        plan.stdout.contains("# on interrupt: "),
        "{}",
        plan.describe()
    );
    let child = spawn(&stack, &["after"]);
    wait_running(&stack, "worker", "sleep 303");
    send_signal(child.id(), 15);
    let output = wait_exit(child, Duration::from_secs(30));
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    wait_gone(&stack, "worker", "sleep 303");
    assert!(
        !stack.env.join("after.ran").exists(),
        "the dependent task ran"
    );
    stack.xtask(["down"]).ok();
}

#[test]
fn sigterm_to_run_exits_143() {
    let stack = Stack::fixture();
    let child = spawn(&stack, &["run", "worker", "sleep", "304"]);
    wait_for("the one-off container", Duration::from_secs(30), || {
        let out = Command::new("docker")
            .args([
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.compose.project={}", stack.project),
                "--filter",
                "label=com.docker.compose.oneoff=True",
                "--filter",
                "status=running",
            ])
            .output()
            .expect("docker ps");
        if out.stdout.is_empty() {
            Err("no running one-off".into())
        } else {
            Ok(())
        }
    });
    send_signal(child.id(), 15);
    let output = wait_exit(child, Duration::from_secs(30));
    assert_eq!(
        output.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stack.xtask(["down"]).ok();
}

/// A step that entered a running service fails because the service stopped
/// under it (here it quits when the task asks; in life, code reloaded into
/// a crash): compose only says the command was killed or the service is not
/// running, so xtask says the service stopped and what to do.
#[test]
fn a_service_that_stops_under_an_exec_is_said_to_have_stopped() {
    crate::engine::require_engine();
    let env = crate::harness::Env::new();
    env.write(
        "docker-compose.yml",
        "services:\n  quitter:\n    image: xtask-test/busybox:1\n    command: [\"sh\", \"-c\", \"while [ ! -e /tmp/quit ]; do sleep 0.2; done; exit 3\"]\n    stop_signal: SIGKILL\n",
    );
    env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[tasks.quit]\nin = \"quitter\"\nrun = \"touch /tmp/quit; sleep 20\"\n\n[tasks.fail]\nin = \"quitter\"\nrun = \"exit 4\"\n",
    );
    let _guard = crate::engine::ProjectGuard(env.project_name());
    env.xtask(["up", "-d", "quitter"]).ok();

    // A command that fails in a service still running is its own failure.
    let failed = env.xtask(["fail"]).fails_with(4);
    assert!(
        !failed.stderr.contains("stopped while this ran"),
        "{}",
        failed.describe()
    );

    let out = env.xtask(["quit"]).run();
    assert_ne!(out.code, 0, "{}", out.describe());
    out.stderr_has("the `quitter` service stopped while this ran")
        .stderr_has("cargo xtask up quitter");
}
