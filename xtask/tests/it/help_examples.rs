//! Every example the tool shows runs as written in this repository: each
//! `cargo xtask ...` line of every command's `--help` (walked through the
//! real binary, subcommands included) and of README.md is run with
//! `--dry-run` in a copy of the repository's tracked files. An example must
//! parse, name services, repos, databases, environments and tasks that
//! exist here, and plan without error. A dry run changes nothing, so the
//! destructive examples are checked too.
//!
//! The copy is the repository as a user has it after `cargo xtask update`
//! copied `.env.example` to `.env`, with the two files the restore examples
//! name. The repos are not cloned (that needs the network), so the examples
//! that need clones say so, and must say exactly that.

use crate::engine::require_engine;
use crate::harness::{binary, Env};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Examples that need state a fresh copy cannot have, with what they must
/// say about it (and nothing else).
const NEEDS_STATE: &[(&str, &str)] = &[
    (
        "lock",
        "cannot lock repos that are not cloned: trytond, party, country, currency, pyramid",
    ),
    ("update --locked", "--locked needs repos.lock"),
    (
        "worktree add fix-login",
        "is not running: its database cannot be copied",
    ),
    ("worktree rm fix-login", "no worktree `fix-login` here"),
    (
        "--yes worktree rm fix-login",
        "no worktree `fix-login` here",
    ),
    (
        "worktree rm hotfix --confirm hotfix",
        "no worktree `hotfix` here",
    ),
    (
        "checkpoint restore before-migration",
        "there is no checkpoint `before-migration`",
    ),
    (
        "--yes checkpoint restore before-migration",
        "there is no checkpoint `before-migration`",
    ),
    (
        "--yes checkpoint rm before-migration",
        "there is no checkpoint `before-migration`",
    ),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// The repository's tracked files (as committed or edited), copied into
/// `to`; `shared/src` and build output stay behind as in a fresh clone.
fn copy_repository(to: &Path) {
    let root = repo_root();
    let listing = Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(&root)
        .output()
        .expect("git ls-files");
    assert!(listing.status.success(), "git ls-files failed");
    for name in listing.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let from = root.join(&name);
        if !from.exists() {
            continue; // deleted in the work tree
        }
        let target = to.join(&name);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&from, &target).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
}

/// `xtask ARGS --help` without colour, wide enough to keep lines whole.
fn help_text(dir: &Path, path: &[String]) -> String {
    let out = Command::new(binary())
        .args(path)
        .arg("--help")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .stdin(Stdio::null())
        .output()
        .expect("run xtask --help");
    assert!(
        out.status.success(),
        "`xtask {} --help` failed: {}",
        path.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `cargo xtask ...` part of an example line: up to a run of two
/// spaces (the explanation) or a `#` comment.
fn example_in(line: &str) -> Option<String> {
    let start = line.find("cargo xtask")?;
    if !line[..start]
        .trim()
        .trim_start_matches('$')
        .trim()
        .is_empty()
    {
        return None;
    }
    let rest = &line[start..];
    let end = [rest.find("  "), rest.find(" #")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// Every example of every command's help, with the command it came from.
fn help_examples(dir: &Path) -> Vec<(String, String)> {
    let mut examples = Vec::new();
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = pending.pop() {
        let text = help_text(dir, &path);
        let mut section = "";
        for line in text.lines() {
            if !line.starts_with(' ') && !line.is_empty() {
                section = line;
                continue;
            }
            if section.starts_with("Commands:") {
                if let Some(name) = line.split_whitespace().next() {
                    if name != "help" {
                        pending.push(path.iter().cloned().chain([name.to_string()]).collect());
                    }
                }
            } else if section.starts_with("Usage:") {
                continue;
            } else if let Some(example) = example_in(line) {
                examples.push((format!("xtask {} --help", path.join(" ")), example));
            }
        }
    }
    examples
}

/// README's examples: lines of its code blocks and inline code spans that
/// are a whole `cargo xtask` command (placeholders in capitals and `...`
/// are prose, not examples).
fn readme_examples() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let mut examples = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let candidates: Vec<String> = if fenced {
            line.split("&&").filter_map(example_in).collect()
        } else {
            line.split('`')
                .skip(1)
                .step_by(2)
                .filter(|span| span.starts_with("cargo xtask"))
                .map(str::to_string)
                .collect()
        };
        for example in candidates {
            let placeholder = example.contains("...")
                || example
                    .split_whitespace()
                    .any(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()));
            if !placeholder {
                examples.push(("README.md".to_string(), example));
            }
        }
    }
    examples
}

/// The example's words after `cargo xtask`, without a shell redirection
/// and without its own `--dry-run` (the test adds one).
fn words(example: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let mut in_word = false;
    for c in example.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    assert_eq!(&words[..2], ["cargo", "xtask"], "{example}");
    let words: Vec<String> = words[2..]
        .iter()
        .take_while(|w| *w != ">")
        .filter(|w| *w != "--dry-run")
        .cloned()
        .collect();
    words
}

#[test]
fn every_example_in_help_and_readme_runs_here_as_written() {
    require_engine();
    let env = Env::new();
    let copy = env.join("repository");
    copy_repository(&copy);
    // What `cargo xtask update` does first ([[copy]]), with a project of
    // this test's own so no dry run reads a developer's running stack.
    let dotenv = std::fs::read_to_string(copy.join(".env.example")).expect(".env.example");
    let dotenv = dotenv.replace(
        "COMPOSE_PROJECT_NAME=webstack",
        &format!("COMPOSE_PROJECT_NAME={}", env.project_name()),
    );
    std::fs::write(copy.join(".env"), dotenv).expect("write .env");
    // The files the restore examples name.
    std::fs::create_dir_all(copy.join("backups")).expect("mkdir backups");
    std::fs::write(
        copy.join("backups/tryton-development-20261125T231500Z.dump"),
        "PGDMP",
    )
    .expect("write dump");
    std::fs::write(copy.join("dump.sql"), "CREATE TABLE t (id int);\n").expect("write dump.sql");
    // A worktree is made of the environment's git repository: the copy is one.
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "the repository as checked out"],
    ] {
        crate::git_fixture::git(&copy, args);
    }

    let mut examples = help_examples(&copy);
    let from_help = examples.len();
    examples.extend(readme_examples());
    assert!(
        from_help >= 100,
        "only {from_help} examples found in --help: is the walk broken?"
    );

    let mut failures = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for (source, example) in &examples {
        if !checked.insert(example.clone()) {
            continue;
        }
        let args = words(example);
        let out = Command::new(binary())
            .arg("--dry-run")
            .args(&args)
            .current_dir(&copy)
            .env("NO_COLOR", "1")
            .env_remove("XTASK_ENV")
            .env_remove("XTASK_ROOT")
            .stdin(Stdio::null())
            .output()
            .expect("run example");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let needs_state = NEEDS_STATE
            .iter()
            .find(|(command, _)| args.join(" ") == *command);
        let ok = match needs_state {
            Some((_, says)) => out.status.code() == Some(2) && stderr.contains(says),
            None => out.status.success(),
        };
        if !ok {
            failures.push(format!(
                "{example}  (from {source})\n    exit {:?}: {}",
                out.status.code(),
                stderr.trim().lines().next().unwrap_or("")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples do not run here as written:\n{}",
        failures.len(),
        checked.len(),
        failures.join("\n")
    );
}
