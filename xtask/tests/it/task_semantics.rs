//! What a task means when it runs: scripts stop at the first failing line,
//! extra arguments are positional parameters, flags and `--` passthrough,
//! `TASK --help`, outputs without sources, and `check`'s warning about a
//! list of strings that reads like several commands.

use crate::harness::Env;

#[test]
fn a_script_stops_at_its_first_failing_line() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.multi]
run = """
echo one
false
echo two
"""
"#,
    );
    let out = env.xtask(["multi"]).fails_with(1);
    assert_eq!(out.stdout, "one\n", "{}", out.describe());
}

#[test]
fn set_plus_e_inside_a_script_opts_out() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.lenient]
run = """
set +e
false
echo still here
"""
"#,
    );
    env.xtask(["lenient"]).ok().stdout_has("still here");
}

#[test]
fn extra_arguments_are_positional_parameters_of_a_script() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.show]
run = 'printf "[%s]" "$@"; echo " first=$1 name=$0"'
"#,
    );
    let out = env.xtask(["show", "a b", "$(touch INJECTED)", "-x"]).ok();
    assert_eq!(
        out.stdout,
        "[a b][$(touch INJECTED)][-x] first=a b name=show\n",
        "{}",
        out.describe()
    );
    assert!(!env.join("INJECTED").exists(), "a value ran as shell code");
    // The first `--` only separates: what follows passes through.
    let out = env.xtask(["show", "--", "--help"]).ok();
    assert_eq!(out.stdout, "[--help] first=--help name=show\n");
}

#[test]
fn extra_arguments_nothing_reads_are_an_error_not_lost() {
    let env = Env::new();
    env.tasks_toml("[tasks.hello]\nrun = \"echo hi > ran\"\n");
    let out = env.xtask(["hello", "world"]).fails_with(2);
    assert!(!env.join("ran").exists(), "nothing ran");
    insta::assert_snapshot!("unread_arguments", out.stderr);
    env.xtask(["hello"]).ok();
}

#[test]
fn extra_arguments_are_appended_to_an_argv() {
    let env = Env::new();
    env.tasks_toml("[tasks.say]\nrun = [\"echo\", \"said\"]\n");
    env.xtask(["say", "--", "-n", "x y"])
        .ok()
        .stdout_has("said -n x y");
}

/// `cargo xtask unit portal --pdb -- -x` as a user task; `depends` goes
/// into `[tasks.unit]` (a task may not be called `test`: that is built in).
fn pytest_like(depends: &str) -> Env {
    let env = Env::new();
    env.tasks_toml(&format!(
        r#"
[tasks.mark]
run = "touch ran"
[tasks.unit]
description = "Run a repo's tests"
run = 'echo "pytest ${{XTASK_ARG_PDB:+--pdb}} $*" "repo={{repo}} pdb={{pdb}}"'
depends = [{depends}]
[tasks.unit.args]
repo = {{ help = "the repo to test" }}
pdb = {{ flag = true, help = "a debugger on failure" }}
"#
    ));
    env
}

#[test]
fn a_flag_is_true_when_given_and_false_when_not() {
    let env = pytest_like("");
    env.xtask(["unit", "portal", "--pdb", "--", "-x", "-k", "a b"])
        .ok()
        .stdout_has("pytest --pdb -x -k a b repo=portal pdb=true");
    env.xtask(["unit", "portal"])
        .ok()
        .stdout_has("pytest   repo=portal pdb=false");
    // Flags are named, never filled by position; a flag takes no value.
    env.xtask(["unit", "--pdb", "portal"])
        .ok()
        .stdout_has("repo=portal pdb=true");
    env.xtask(["unit", "portal", "--pdb=yes"])
        .fails_with(2)
        .stderr_has("`--pdb` is a flag of task `unit` and takes no value");
    env.xtask(["unit", "portal", "extra"])
        .fails_with(2)
        .stderr_has("`extra` is one too many (pass it through after `--`)");
}

#[test]
fn a_flag_reads_one_or_empty_in_its_variable() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.probe]
run = ["sh", "-c", "echo \"[$XTASK_ARG_DEBUG]\""]
[tasks.probe.args]
debug = { flag = true }
"#,
    );
    env.xtask(["probe", "--debug"]).ok().stdout_has("[1]");
    env.xtask(["probe"]).ok().stdout_has("[]");
}

#[test]
fn task_help_is_shown_by_dash_dash_help_and_runs_nothing() {
    let env = pytest_like("\"mark\"");
    let help = env.xtask(["help", "unit"]).ok().stdout;
    for asked in [&["unit", "--help"][..], &["unit", "portal", "-h"]] {
        let out = env.xtask(asked).ok();
        assert_eq!(out.stdout, help, "{asked:?}");
    }
    assert!(!env.join("ran").exists(), "--help ran the task");
    insta::assert_snapshot!("task_help_with_a_flag", help);
    // After `--`, `--help` belongs to the task's commands.
    env.xtask(["unit", "portal", "--", "--help"])
        .ok()
        .stdout_has("pytest  --help repo=portal");
    assert!(env.join("ran").exists());
}

#[test]
fn check_refuses_a_flag_with_a_default_and_an_argument_called_help() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.t]
run = "true"
[tasks.t.args]
fast = { flag = true, default = "true" }
help = {}
"#,
    );
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("argument `fast` of task `t` is a flag and has a default")
        .stderr_has("task `t` has an argument called `help`");
}

#[test]
fn outputs_without_sources_run_only_while_an_output_is_missing() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.venv]
run = "mkdir -p .venv && touch marker && echo ran >> init.log"
outputs = [".venv", "marker"]
"#,
    );
    env.xtask(["venv"]).ok();
    env.xtask(["venv"])
        .ok()
        .stderr_has("Fresh venv (up to date: its outputs exist and it has no sources)");
    assert_eq!(env.read("init.log"), "ran\n");
    std::fs::remove_file(env.join("marker")).unwrap();
    env.xtask(["venv"]).ok();
    assert_eq!(env.read("init.log"), "ran\nran\n");
    env.xtask(["help", "venv"])
        .ok()
        .stdout_has("skipped while [.venv, marker] exist");
}

#[test]
fn check_warns_about_a_list_of_strings_that_reads_like_commands() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[tasks.setup]
run = ["pip install -e .", "pytest -q"]
[tasks.fine]
run = ["pytest", "-q"]
[tasks.builtin]
run = ["xtask:env --json", "xtask:status"]
"#,
    );
    let out = env.xtask(["check"]).ok();
    assert_eq!(
        out.stderr.matches("warning:").count(),
        1,
        "{}",
        out.describe()
    );
    insta::assert_snapshot!("list_of_strings_warning", out.stderr);
}
