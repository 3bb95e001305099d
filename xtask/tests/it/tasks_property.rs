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

/// `xtask ARGS` in `env` ends within `limit` without a panic; a failure
/// names the tasks.toml it ran on.
fn runs_to_an_end(
    env: &Env,
    args: &[&str],
    limit: Duration,
    tasks_toml: &str,
) -> Result<(), TestCaseError> {
    let (code, stderr) = run_bounded(env, args, limit)
        .map_err(|hang| TestCaseError::fail(format!("{hang} on\n{tasks_toml}")))?;
    prop_assert!(
        code != 101 && !stderr.contains("panicked"),
        "xtask {args:?} exited {code} on\n{tasks_toml}\n{stderr}"
    );
    Ok(())
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
                runs_to_an_end(&env, &args, Duration::from_secs(20), &tasks_toml)?;
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

/// The mode of `path` (0 when it cannot be read).
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path).map_or(0, |m| m.permissions().mode() & 0o7777)
}

#[test]
fn hostile_db_init_certs_and_debug_sections_never_panic_escape_or_inject() {
    // `esc` in each environment leads here: nothing may appear in it.
    let outside = tempfile::tempdir().unwrap();
    // A file outside whose mode no link may change.
    let victims = tempfile::tempdir().unwrap();
    let victim = victims.path().join("victim");
    std::fs::write(&victim, "mine\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let victim_text = victim.to_string_lossy().into_owned();
    let outside_text = outside.path().to_string_lossy().into_owned();
    let sections: Vec<String> = [
        // [db]
        "[db]\nname = \"$(touch INJECTED)\"\n".to_string(),
        "[db]\nname = \"a\\\"b'c\"\nserver = \"db\"\n".into(),
        "[db]\nname = \"-rf\"\nserver = \"web\"\n".into(),
        "[db]\nserver = \"nosuch\"\n".into(),
        "[db]\nroles = [\"r'; touch INJECTED; '\"]\nrole_password_env = \"A B\"\n".into(),
        "[db]\nextensions = [\"$(touch INJECTED)\", \"\"]\n".into(),
        "[db]\ninit = \"touch INJECTED-{db}; echo $HOME\"\ndemo = []\n".into(),
        "[db]\npassword_env = \"-x\"\nuser = \"`touch INJECTED`\"\n".into(),
        // [init]
        "[[init.folder]]\npath = \"esc/x\"\nmode = \"0777\"\n".into(),
        "[[init.folder]]\npath = \"../../x\"\n".into(),
        format!("[[init.folder]]\npath = {}\n", toml_string(&format!("{outside_text}/abs"))),
        "[[init.folder]]\npath = \"ok\"\nmode = \"7777\"\nowner = \"-rf\"\n".into(),
        "[[init.folder]]\npath = \"ok2\"\nmode = \"abc\"\ngroup = \"$(touch INJECTED)\"\n".into(),
        "[[init.copy]]\nfrom = \"src.txt\"\nto = \"esc/out\"\n".into(),
        "[[init.copy]]\nfrom = \"src.txt\"\nto = \"src.txt\"\nmode = \"0666\"\n".into(),
        format!(
            "[[init.step]]\nname = \"link\"\nrun = [\"ln\", \"-sf\", {}, \"made\"]\noutput = \"made\"\nmode = \"0666\"\n",
            toml_string(&victim_text)
        ),
        "[[init.step]]\nname = \"$(touch INJECTED)\"\nrun = \"echo hi > \\\"$1\\\"\"\noutput = \"esc/o\"\n".into(),
        "[[init.step]]\nname = \"s\"\nrun = [\"true\"]\ncreates = [\"a\", \"./a\", \"sub/../a\"]\n".into(),
        // [certs]
        "[certs]\ncert = \"ssl/c.pem\"\nkey = \"ssl/../ssl/c.pem\"\n".into(),
        "[certs]\ncert = \"esc/c.pem\"\nkey = \"k.pem\"\n".into(),
        "[certs]\ncert = \"c.pem\"\nkey = \"k.pem\"\ncn = \"$(touch INJECTED)\"\ndays = 0\n".into(),
        "[certs]\ncert = \"c.pem\"\nkey = \"c.pem\"\n".into(),
        "[certs]\ncert = \"sub/c.pem\"\nkey = \"esc/../k.pem\"\n".into(),
        // [debug]
        "[services.web.debug]\nport = 0\n".into(),
        "[services.web.debug]\ncommand = \"python $HOME ${SECRET:-x} $(touch INJECTED)\"\n".into(),
        "[services.web.debug]\npath_mappings = { \"../..\" = \"/x\", \"esc\" = \"/y\" }\n".into(),
        "[services.nosuch.debug]\nport = 5678\n".into(),
        "[services.web.debug]\ndebugger = \"gdb\"\n".into(),
    ]
    .into_iter()
    .collect();
    let document = proptest::collection::vec(proptest::sample::select(sections), 1..4);

    let config = ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    // A fixed seed: the same files every run, so a failure reproduces.
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[18; 32]));
    let result = runner.run(&document, |sections| {
        // One table of a kind per file (TOML refuses two `[db]`).
        let mut seen = std::collections::BTreeSet::new();
        let body: String = sections
            .into_iter()
            .filter(|s| s.starts_with("[[") || seen.insert(s.lines().next().unwrap_or("").to_string()))
            .collect::<Vec<_>>()
            .join("\n");
        let tasks_toml = format!(
            "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[services.web]\ncommand = [\"true\"]\n\n{body}"
        );
        let env = Env::new();
        std::os::unix::fs::symlink(outside.path(), env.join("esc")).unwrap();
        std::fs::create_dir_all(env.join("sub")).unwrap();
        env.write("src.txt", "example\n");
        env.write(
            "docker-compose.yml",
            "services:\n  web:\n    image: xtask-test/busybox:1\n  db:\n    image: xtask-test/debian:1\n",
        );
        env.tasks_toml(&tasks_toml);
        for args in [
            vec!["check"],
            vec!["--dry-run", "init"],
            vec!["--yes", "init"],
            vec!["--dry-run", "certs"],
            vec!["--yes", "certs"],
            vec!["--dry-run", "--yes", "db", "rebuild"],
            vec!["--dry-run", "db", "backup"],
            vec!["--dry-run", "debug", "web"],
        ] {
            runs_to_an_end(&env, &args, Duration::from_secs(30), &tasks_toml)?;
        }
        prop_assert!(
            entries(outside.path()).is_empty(),
            "wrote outside the root: {:?} on\n{tasks_toml}",
            entries(outside.path())
        );
        prop_assert_eq!(
            mode_of(&victim),
            0o600,
            "a mode was set through a link on\n{}",
            tasks_toml
        );
        prop_assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "mine\n");
        prop_assert!(
            !env.join("INJECTED").exists() && !env.join("sub/INJECTED").exists(),
            "a value ran a command on\n{tasks_toml}"
        );
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
