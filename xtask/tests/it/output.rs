//! What commands print and how: a closed stdout, `--json` where there is
//! none, the name the user typed in usage lines, completions, wording.

use std::process::{Command, Stdio};

use crate::harness::{binary, Env};

/// Runs `xtask ARGS` with a stdout whose reader is already gone, as after
/// `xtask ARGS | head -1` once head has exited: every write fails.
fn with_closed_stdout(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = Command::new(binary())
        .args(args)
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run xtask");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let env = Env::new();
    env.tasks_toml("[tasks.lint]\nrun = \"true\"\n");
    for args in [
        &["completions", "fish"][..],
        &["help", "update"],
        &["help", "lint"],
        &["--list"],
        &["--json"],
        &["env", "--json"],
        &["--dry-run", "lint"],
    ] {
        let (code, stderr) = with_closed_stdout(&env, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn json_on_a_command_without_it_is_a_usage_error() {
    let env = Env::new();
    env.tasks_toml("[tasks.lint]\nrun = \"touch ran\"\n");
    for args in [
        &["up", "--json"][..],
        &["--json", "lint"],
        &["help", "up", "--json"],
    ] {
        env.xtask(args)
            .fails_with(2)
            .stderr_has("has no JSON output")
            .stderr_has("--json works with status, env, ps, urls, monitor, help");
    }
    assert!(!env.join("ran").exists());
    let out = env.xtask(["down", "--json"]).fails_with(2);
    insta::assert_snapshot!("json_where_there_is_none", out.stderr);
    // The twin may be set for every command: only a typed --json is refused.
    env.xtask(["lint"]).env("XTASK_JSON", "1").ok();
    env.xtask(["env", "--json"]).ok().stdout_has("\"choice\"");
}

#[test]
fn usage_lines_name_the_command_as_typed() {
    let env = Env::new();
    env.tasks_toml("[tasks.need]\nrun = \"echo {v}\"\n[tasks.need.args]\nv = {}\n");
    // Through cargo (which sets CARGO): `cargo xtask`.
    env.xtask(["--list"])
        .env("CARGO", "/usr/bin/cargo")
        .ok()
        .stdout_has("Usage: cargo xtask [OPTIONS]");
    // Straight from a shell: the binary's own name.
    let direct = |args: &[&str]| env.xtask(args).env_remove("CARGO");
    direct(&["--list"])
        .ok()
        .stdout_has("Usage: xtask [OPTIONS]")
        .stdout_has("See `xtask help NAME`");
    direct(&["help", "need"])
        .ok()
        .stdout_has("usage: xtask need [--v VALUE]");
    direct(&["help", "update"])
        .ok()
        .stdout_has("Usage: xtask update");
    direct(&["need"])
        .fails_with(2)
        .stderr_has("xtask need --v VALUE");
    direct(&["up", "--bogus"])
        .fails_with(2)
        .stderr_has("Usage: xtask up");
}
