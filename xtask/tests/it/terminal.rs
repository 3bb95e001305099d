//! What a user at a terminal sees: the binary run on a pseudo-terminal
//! (util-linux `script`), keys typed into it.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::{binary, Env};

/// Runs `xtask ARGS` in `env` on a pty, typing `keys`; returns (exit code, screen).
pub(crate) fn on_terminal(
    env: &Env,
    args: &str,
    keys: &str,
    path: Option<String>,
) -> (i32, String) {
    on_terminal_named(env, args, keys, path, "dumb")
}

/// [`on_terminal`] with `TERM` set to `term` (progress bars are drawn only
/// on a terminal that is not `dumb`).
pub(crate) fn on_terminal_named(
    env: &Env,
    args: &str,
    keys: &str,
    path: Option<String>,
    term: &str,
) -> (i32, String) {
    let command = format!("{} {args}", binary().display());
    let mut child = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .env("TERM", term)
        .env(
            "PATH",
            path.unwrap_or_else(|| std::env::var("PATH").unwrap_or_default()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script is needed for terminal tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(keys.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A fake docker that records its argv and says Compose 5.0.1.
pub(crate) fn fake_docker(dir: &std::path::Path) -> String {
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in 'compose version --short') echo 5.0.1;; version*) echo 20.10;; ps*) ;; *) echo \"$0 $*\" >> '{}/calls.log';; esac\n",
        dir.display()
    );
    crate::harness::write_executable(&dir.join("docker"), &script);
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn run_without_a_service_offers_a_choice_and_keeps_the_terminal() {
    let env = Env::new();
    env.tasks_toml("[services.portal]\ncommand = [\"execute\", \"deploy-portal\"]\n");
    env.write(
        "docker-compose.yml",
        "services:\n  portal:\n    image: x\n  db:\n    image: y\n",
    );
    let bin = tempfile::tempdir().unwrap();
    let path = fake_docker(bin.path());
    // Enter picks the first service.
    let (code, screen) = on_terminal(&env, "run", "\r", Some(path));
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Which service to run?"), "{screen}");
    let calls = std::fs::read_to_string(bin.path().join("calls.log")).unwrap();
    // On a terminal there is no -T: compose allocates a TTY.
    assert!(
        calls.contains("run --rm --service-ports --use-aliases portal execute deploy-portal"),
        "{calls}"
    );
    assert!(!calls.contains(" -T "), "{calls}");
}

#[test]
fn a_confirmation_is_asked_on_a_terminal_and_no_means_nothing_runs() {
    let env = Env::new();
    env.tasks_toml("[tasks.wipe]\nconfirm = \"Wipe it?\"\nrun = \"touch wiped\"\n");
    let (code, screen) = on_terminal(&env, "wipe", "n", None);
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("Wipe it?"), "{screen}");
    assert!(!env.join("wiped").exists());
    let (code, screen) = on_terminal(&env, "wipe", "y", None);
    assert_eq!(code, 0, "{screen}");
    assert!(env.join("wiped").exists());
}

#[test]
fn update_on_a_terminal_shows_progress_and_the_summary() {
    let remotes = crate::git_fixture::Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&format!(
        "[[repo]]\nname = \"app\"\nurl = \"{}\"\n",
        app.url()
    ));
    let (code, screen) = on_terminal(&env, "update", "", None);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("1 cloned, 0 updated"), "{screen}");
    assert!(env.join("shared/src/app/README").exists());
}
