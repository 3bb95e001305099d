//! Generated hostile tasks.toml files: whatever a file says, xtask never
//! panics, never hangs, never writes outside the root, and never runs a
//! command that a task argument smuggled in.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

use crate::harness::{toml_string, Env};

/// `xtask ARGS` in `env`, killed (and reported) if it runs past `limit`.
fn run_bounded(env: &Env, args: &[&str], limit: Duration) -> Result<(i32, String), String> {
    let mut child = env.xtask(args).spawn();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return Ok((status.code().unwrap_or(-1), stderr));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("xtask {args:?} still ran after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn hostile_tasks_toml_never_panics_hangs_escapes_or_injects() {
    let outside = tempfile::tempdir().unwrap();
    let strings = |items: &[&str]| -> Vec<String> { items.iter().map(|s| s.to_string()).collect() };
    let names = strings(&[
        "a",
        "b",
        "lint",
        "update",
        "x:y",
        "-rf",
        "\u{1b}[2Jname",
        "név",
        "",
        "a b",
    ]);
    let runs = strings(&[
        "run = \"touch made-{v}\"",
        "run = \"echo {v} > said\"",
        "run = [\"touch\", \"argv-{v}\"]",
        "run = [[\"true\"], [\"touch\", \"then-{v}\"]]",
        "run = \"xtask:a\"",
        "run = \"xtask:b --yes\"",
        "run = \"xtask:nosuch\"",
        "run = \"xtask:\"",
        "run = []",
        "run = [\"\"]",
        "run = [[]]",
        "run = \"  \"",
        "run = 42",
        "run = \"exit 3\"",
        "run = [\"xtask:status --json\", \"true\"]",
    ]);
    let extras = strings(&[
        "",
        "depends = [\"a\"]",
        "depends = [\"b\", \"a\"]",
        "depends = [\"xtask:a\"]",
        "depends = [\"nosuch\"]",
        "dir = \"esc\"",
        "dir = \"../..\"",
        "dir = \"/tmp\"",
        "dir = \"missing\"",
        "dir = \"sub\"",
        "in = \"--privileged\"",
        "in = \"web\"",
        "alias = \"a\"",
        "alias = [\"update\", \"z\"]",
        "hide = true",
        "env = { PATH = \"\", \"A B\" = \"1\" }",
        "sources = [\"../**\"]\noutputs = [\"esc/out\"]",
        "confirm = \"Sure?\"",
        "description = \"\\u001b]0;pwned\\u0007\"",
        "[tasks.TASK.args]\nv = { default = \"x; touch INJECTED\" }",
        "[tasks.TASK.args]\nv = { default = \"$(touch INJECTED)\" }",
        "[tasks.TASK.args]\nv = {}",
        "bogus = 1",
    ]);
    let task = (
        proptest::sample::select(names.clone()),
        proptest::sample::select(runs),
        proptest::collection::vec(proptest::sample::select(extras), 0..3),
    )
        .prop_map(|(name, run, extras)| {
            let mut body = format!("[tasks.{}]\n{run}\n", toml_string(&name));
            let mut tables = String::new();
            for extra in extras {
                if extra.starts_with('[') {
                    tables.push_str(&extra.replace("TASK", &toml_string(&name)));
                    tables.push('\n');
                } else {
                    body.push_str(&extra);
                    body.push('\n');
                }
            }
            format!("{body}{tables}")
        });
    let document = proptest::collection::vec(task, 1..4).prop_map(|t| t.join("\n"));
    let arguments = proptest::sample::select(strings(&[
        "x; touch INJECTED",
        "$(touch INJECTED)",
        "`touch INJECTED`",
        "--v=a'b\"c",
        "--",
        "-h",
    ]));

    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    // A fixed seed: the same files every run, so a failure reproduces.
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]));
    let result = runner.run(
        &(document, arguments, proptest::sample::select(names)),
        |(tasks_toml, argument, target)| {
            let env = Env::new();
            std::os::unix::fs::symlink(outside.path(), env.join("esc")).unwrap();
            std::fs::create_dir_all(env.join("sub")).unwrap();
            env.tasks_toml(&tasks_toml);
            for args in [
                vec!["check"],
                vec!["--list"],
                vec!["--list", "--json"],
                vec!["--dry-run", target.as_str(), argument.as_str()],
                vec![target.as_str(), argument.as_str()],
                vec!["--yes", target.as_str()],
            ] {
                let outcome = run_bounded(&env, &args, Duration::from_secs(20));
                let (code, stderr) = match outcome {
                    Ok(done) => done,
                    Err(hang) => {
                        return Err(TestCaseError::fail(format!("{hang} on\n{tasks_toml}")))
                    }
                };
                prop_assert!(
                    code != 101 && !stderr.contains("panicked"),
                    "xtask {args:?} exited {code} on\n{tasks_toml}\n{stderr}"
                );
            }
            prop_assert!(
                entries(outside.path()).is_empty(),
                "wrote outside the root: {:?} on\n{tasks_toml}",
                entries(outside.path())
            );
            prop_assert!(
                !env.join("INJECTED").exists() && !env.join("sub/INJECTED").exists(),
                "an argument ran a command on\n{tasks_toml}"
            );
            Ok(())
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
