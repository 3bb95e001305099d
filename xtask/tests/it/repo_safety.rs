//! `update` as a hostile reviewer tries it: injected urls, stopped rebases,
//! detached commits, lock files, forks, secrets, two runs at once, signals.
//! Every test asserts on the repository's state, not only on messages.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::git_fixture::{commit_locally, git, head_of, Remotes};
use crate::harness::{send_signal, toml_string, Env};

fn repo_entry(name: &str, url: &str, pin: &str) -> String {
    format!("[[repo]]\nname = \"{name}\"\nurl = \"{url}\"\n{pin}\n\n")
}

/// `git status --porcelain` of a work tree ("" when clean).
fn porcelain(repo: &Path) -> String {
    git(repo, &["status", "--porcelain"])
}

/// Waits until `done` holds, failing with `what` after `limit`.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out after {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `xtask ARGS` started in the background with stderr read line by line.
struct Background {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn start(env: &Env, args: &[&str]) -> Self {
        let mut child = env.xtask(args).spawn();
        let stderr = child.stderr.take().expect("stderr");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a line of stderr containing `needle`.
    fn wait_for_line(&mut self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if self.seen.iter().any(|l| l.contains(needle)) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line with {needle:?} within {limit:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits (bounded) for the exit; returns the code and all of stderr.
    fn finish(mut self, limit: Duration) -> (i32, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("xtask did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status.code().unwrap_or(-1), self.seen.join("\n"))
    }
}

#[test]
fn a_url_that_looks_like_an_option_or_runs_a_command_runs_nothing() {
    let env = Env::new();
    let marker = env.join("PWNED");
    let hostile = [
        format!("--upload-pack=touch {};:x", marker.display()),
        format!(" --upload-pack=touch {}", marker.display()),
        format!("ext::sh -c touch% {}", marker.display()),
        format!("EXT::sh -c touch% {}", marker.display()),
    ];
    for url in &hostile {
        for transport in ["auto", "cli", "git2"] {
            env.repos_toml(&format!(
                "[[repo]]\nname = \"evil\"\nurl = {}\n",
                toml_string(url)
            ));
            let out = env.xtask(["update", "--transport", transport]).run();
            assert_ne!(out.code, 0, "{url} via {transport}\n{}", out.describe());
            assert!(!out.stderr.contains("panicked"), "{}", out.describe());
            assert!(
                !marker.exists(),
                "{url} via {transport} ran a command\n{}",
                out.describe()
            );
            assert!(!env.join("shared/src/evil").exists());
        }
    }
}

#[test]
fn every_git_command_ends_its_options_before_urls_and_paths() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    let out = env
        .xtask(["-v", "update", "--transport", "cli"])
        .ok()
        .stderr_has("1 cloned");
    let clone = out
        .stderr
        .lines()
        .find(|l| l.contains(" clone "))
        .unwrap_or_else(|| panic!("-v shows no git clone\n{}", out.describe()));
    assert!(
        clone.contains("git -c 'protocol.ext.allow=never' clone --quiet --branch main -- "),
        "{clone}"
    );
    app.commit("b.txt", "b\n");
    app.push("main");
    let out = env.xtask(["-v", "update", "--transport", "cli"]).ok();
    assert!(
        out.stderr
            .contains("git -c 'protocol.ext.allow=never' ls-remote --symref -- origin"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains(
            "fetch --quiet --no-tags -- origin +refs/heads/main:refs/remotes/origin/main"
        ),
        "{}",
        out.describe()
    );
    // In process, -v says what libgit2 did in git's words.
    let out = env.xtask(["-v", "update", "--transport", "git2"]).ok();
    assert!(
        out.stderr.contains("(libgit2, in ") && out.stderr.contains("git ls-remote"),
        "{}",
        out.describe()
    );
}

/// A clone of `app` pinned to main, one commit behind its remote.
fn clone_one_behind(remotes: &Remotes) -> (crate::git_fixture::Remote, Env) {
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    env.xtask(["update"]).ok();
    app.commit("upstream.txt", "new upstream work\n");
    app.push("main");
    (app, env)
}

#[test]
fn a_repo_with_an_operation_stopped_half_way_is_never_moved() {
    type Stop = fn(&Path);
    let stops: [(&str, Stop); 4] = [
        ("a rebase", |repo| {
            commit_locally(repo, "mine.txt", "1\n");
            commit_locally(repo, "mine2.txt", "2\n");
            let out = Command::new("git")
                .args(["rebase", "-i", "HEAD~1"])
                .current_dir(repo)
                .env("GIT_SEQUENCE_EDITOR", "sed -i '1i break'")
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        }),
        ("a merge", |repo| {
            git(repo, &["switch", "-q", "-c", "side"]);
            commit_locally(repo, "side.txt", "side\n");
            git(repo, &["switch", "-q", "main"]);
            git(repo, &["merge", "--no-commit", "--no-ff", "side"]);
        }),
        ("a bisect", |repo| {
            git(repo, &["bisect", "start"]);
        }),
        ("a cherry-pick", |repo| {
            git(repo, &["switch", "-q", "-c", "side"]);
            commit_locally(repo, "README", "theirs\n");
            git(repo, &["switch", "-q", "main"]);
            commit_locally(repo, "README", "ours\n");
            let out = Command::new("git")
                .args(["cherry-pick", "side"])
                .current_dir(repo)
                .output()
                .unwrap();
            assert!(!out.status.success(), "the cherry-pick should stop");
        }),
    ];
    for (operation, stop) in stops {
        let remotes = Remotes::new();
        let (_app, env) = clone_one_behind(&remotes);
        let repo = env.join("shared/src/app");
        git(&repo, &["config", "user.name", "Test"]);
        git(&repo, &["config", "user.email", "test@example.com"]);
        stop(&repo);
        let before = head_of(&repo);
        let status_before = porcelain(&repo);
        let out = env.xtask(["update"]).ok();
        assert!(
            out.stderr
                .contains(&format!("Skipped app: {operation} is in progress")),
            "{operation}\n{}",
            out.describe()
        );
        assert_eq!(head_of(&repo), before, "{operation} moved HEAD");
        assert_eq!(porcelain(&repo), status_before, "{operation}");
        assert!(!repo.join("upstream.txt").exists());
        env.xtask(["status"])
            .ok()
            .stdout_has(&format!("{operation} in progress"));
    }
}

#[test]
fn commits_on_a_detached_head_are_never_orphaned() {
    let remotes = Remotes::new();
    let (app, env) = clone_one_behind(&remotes);
    let repo = env.join("shared/src/app");
    git(&repo, &["switch", "-q", "--detach"]);
    let mine = commit_locally(&repo, "mine.txt", "work in progress\n");
    let out = env.xtask(["update"]).ok();
    assert!(
        out.stderr
            .contains("no branch or tag contains; keep them with `git switch -c NAME`"),
        "{}",
        out.describe()
    );
    assert_eq!(head_of(&repo), (None, mine.clone()));

    // Once a branch holds the commit, update moves on and the branch stays.
    git(&repo, &["switch", "-q", "-c", "keep"]);
    env.xtask(["update"])
        .ok()
        .stderr_has("switched keep -> main");
    assert_eq!(head_of(&repo), (Some("main".into()), app.head()));
    assert_eq!(git(&repo, &["rev-parse", "keep"]), mine);

    // Same for a tag pin that changes while the user works detached.
    git(&app.work, &["tag", "-a", "-m", "v1", "v1", "HEAD~1"]);
    git(&app.work, &["push", "-q", "origin", "v1"]);
    let next = app.commit("next.txt", "x\n");
    app.push("main");
    app.tag("v2");
    env.repos_toml(&repo_entry("app", &app.url(), "tag = \"v1\""));
    env.xtask(["update"]).ok();
    let mine = commit_locally(&repo, "mine2.txt", "more work\n");
    env.repos_toml(&repo_entry("app", &app.url(), "tag = \"v2\""));
    env.xtask(["update"])
        .ok()
        .stderr_has("with 1 commit no branch or tag contains");
    assert_eq!(head_of(&repo), (None, mine));
    assert_ne!(head_of(&repo).1, next);
}

#[test]
fn a_lock_file_or_a_busy_branch_stops_update_before_the_work_tree_is_touched() {
    let remotes = Remotes::new();
    let (app, env) = clone_one_behind(&remotes);
    let repo = env.join("shared/src/app");
    let before = head_of(&repo);
    std::fs::write(repo.join(".git/index.lock"), "").unwrap();
    env.xtask(["update"])
        .ok()
        .stderr_has("index.lock exists: another git process is working here");
    std::fs::remove_file(repo.join(".git/index.lock")).unwrap();
    assert_eq!(head_of(&repo), before);
    assert_eq!(
        porcelain(&repo),
        "",
        "files were written before the refusal"
    );
    env.xtask(["update"]).ok().stderr_has("1 updated");
    assert_eq!(head_of(&repo).1, app.head());

    // The pinned branch is checked out in a linked worktree of the clone.
    git(&repo, &["switch", "-q", "-c", "feature"]);
    let feature = commit_locally(&repo, "feature.txt", "f\n");
    let linked = tempfile::tempdir().unwrap();
    let linked_path = linked.path().join("wt");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            linked_path.to_str().unwrap(),
            "main",
        ],
    );
    app.commit("later.txt", "later\n");
    app.push("main");
    env.xtask(["update"])
        .ok()
        .stderr_has("branch main is checked out in the worktree at");
    assert_eq!(head_of(&repo), (Some("feature".into()), feature));
    assert_eq!(porcelain(&repo), "");
    assert!(!repo.join("later.txt").exists());
}

#[test]
fn an_origin_pointing_elsewhere_is_reported_and_reset_points_it_back() {
    let remotes = Remotes::new();
    let (app, env) = clone_one_behind(&remotes);
    let fork = remotes.create("fork");
    let repo = env.join("shared/src/app");
    git(&repo, &["remote", "set-url", "origin", &fork.url()]);
    let before = head_of(&repo);
    env.xtask(["update"])
        .ok()
        .stderr_has(&format!("Skipped app: its origin is {}", fork.url()));
    assert_eq!(git(&repo, &["remote", "get-url", "origin"]), fork.url());
    assert_eq!(head_of(&repo), before);

    env.xtask(["update", "--reset"])
        .ok()
        .stderr_has(&format!("origin reset from {}", fork.url()));
    assert_eq!(git(&repo, &["remote", "get-url", "origin"]), app.url());
    assert_eq!(head_of(&repo).1, app.head());
}

#[test]
fn secrets_in_urls_never_reach_the_output_or_the_lock_file() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();

    // Unreachable: the failure message must not echo the password.
    env.repos_toml(&repo_entry(
        "down",
        "https://user:s3cret@127.0.0.1:9/app.git?private_token=t0ken",
        "branch = \"main\"",
    ));
    for args in [
        vec!["update"],
        vec!["-v", "update"],
        vec!["--dry-run", "update"],
    ] {
        let out = env.xtask(&args).run();
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !all.contains("s3cret") && !all.contains("t0ken"),
            "{args:?} leaked a secret\n{}",
            out.describe()
        );
        assert!(
            all.contains("private_token=***"),
            "{args:?}\n{}",
            out.describe()
        );
    }

    // Reachable through the user's insteadOf: the lock file holds no credential.
    let home = tempfile::tempdir().unwrap();
    let mirror_base = format!("{}/", app.bare.parent().unwrap().display());
    std::fs::write(
        home.path().join(".gitconfig"),
        format!("[url \"{mirror_base}\"]\n\tinsteadOf = https://user:s3cret@mirror.invalid/\n"),
    )
    .unwrap();
    env.repos_toml(&repo_entry(
        "app",
        "https://user:s3cret@mirror.invalid/app.git",
        "branch = \"main\"",
    ));
    let out = env
        .xtask(["-v", "update"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .ok()
        .stderr_has("1 cloned");
    assert!(!out.stderr.contains("s3cret"), "{}", out.describe());
    env.xtask(["lock"]).env("HOME", home.path()).ok();
    let lock = env.read("repos.lock");
    assert!(!lock.contains("s3cret") && !lock.contains("user"), "{lock}");
    assert!(
        lock.contains("url = \"https://mirror.invalid/app.git\""),
        "{lock}"
    );
}

#[test]
fn two_updates_at_once_take_turns_and_never_corrupt_a_repo() {
    let remotes = Remotes::new();
    let names = ["a", "b", "c"];
    let mut toml = String::new();
    for name in names {
        let remote = remotes.create(name);
        for i in 0..20 {
            remote.commit(&format!("f{i}.txt"), &format!("{i}\n"));
        }
        remote.push("main");
        toml.push_str(&repo_entry(name, &remote.url(), "branch = \"main\""));
    }
    for round in 0..6 {
        let env = Env::new();
        env.repos_toml(&toml);
        let first = Background::start(&env, &["update"]);
        let second = Background::start(&env, &["update"]);
        let (code_a, err_a) = first.finish(Duration::from_secs(60));
        let (code_b, err_b) = second.finish(Duration::from_secs(60));
        assert_eq!(
            (code_a, code_b),
            (0, 0),
            "round {round}\n{err_a}\n---\n{err_b}"
        );
        // One run cloned everything, the other found it done: never both halves.
        let summaries = [err_a.as_str(), err_b.as_str()].map(|e| {
            e.lines()
                .find(|l| l.contains("Summary"))
                .unwrap_or("")
                .to_string()
        });
        assert!(
            summaries
                .iter()
                .any(|s| s.contains("3 cloned, 0 updated, 0 up to date"))
                && summaries
                    .iter()
                    .any(|s| s.contains("0 cloned, 0 updated, 3 up to date")),
            "round {round}: {summaries:?}"
        );
        for name in names {
            let repo = env.join(&format!("shared/src/{name}"));
            git(&repo, &["cat-file", "-e", "HEAD^{tree}"]);
            assert_eq!(porcelain(&repo), "", "round {round}: {name}");
            assert!(repo.join("f19.txt").exists(), "round {round}: {name}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(env.join("shared/src"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("xtask-clone"))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
}

#[test]
fn a_second_update_waits_for_the_first_or_refuses_with_no_wait() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    // The test holds the environment's lock as a running update would.
    std::fs::create_dir_all(env.join(".xtask")).unwrap();
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.join(".xtask/update.lock"))
        .unwrap();
    held.lock().unwrap();
    std::fs::write(env.join(".xtask/update.lock"), "4242\n").unwrap();

    env.xtask(["update", "--no-wait"]).fails_with(1).stderr_has(
        "an `update` of this environment is already running (pid 4242); nothing was changed",
    );
    assert!(!env.join("shared/src/app").exists());

    let mut waiting = Background::start(&env, &["update"]);
    waiting.wait_for_line("Waiting", Duration::from_secs(10));
    assert!(!env.join("shared/src/app").exists());
    drop(held);
    let (code, stderr) = waiting.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 cloned"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(env.join(".xtask/.gitignore")).unwrap(),
        "*\n"
    );
}

#[test]
fn temp_clones_are_removed_only_when_their_owner_is_gone() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), ""));
    let mut live = Command::new("sleep").arg("60").spawn().unwrap();
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let live_dir = format!("shared/src/.app.xtask-clone-{}", live.id());
    let dead_dir = format!("shared/src/.app.xtask-clone-{dead_pid}");
    env.write(&format!("{live_dir}/marker"), "in progress");
    env.write(&format!("{dead_dir}/.git/HEAD"), "garbage");
    env.xtask(["update"]).ok().stderr_has("1 cloned");
    assert!(env.join(&live_dir).join("marker").exists());
    assert!(!env.join(&dead_dir).exists());
    live.kill().unwrap();
    live.wait().unwrap();
}

/// A remote whose branch `big` adds `count` files to main's one.
fn remote_with_a_big_branch(remotes: &Remotes, count: usize) -> crate::git_fixture::Remote {
    let app = remotes.create("app");
    app.checkout_new_branch("big");
    let dir = app.work.join("big");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..count {
        std::fs::write(dir.join(format!("f{i:05}.txt")), format!("{i}\n")).unwrap();
    }
    git(&app.work, &["add", "-A"]);
    git(&app.work, &["commit", "-q", "-m", "big"]);
    app.push("big");
    app.checkout("main");
    app
}

#[test]
fn an_interrupted_branch_switch_finishes_cleanly_and_exits_130() {
    let remotes = Remotes::new();
    let app = remote_with_a_big_branch(&remotes, 20_000);
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    env.xtask(["update"]).ok();
    let repo = env.join("shared/src/app");
    let big = git(&app.work, &["rev-parse", "big"]);

    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"big\""));
    let running = Background::start(&env, &["update", "--transport", "git2"]);
    // The checkout has begun once the first file of `big` is in the work tree.
    wait_until(
        Duration::from_secs(30),
        "the switch to start writing files",
        || repo.join("big").exists(),
    );
    send_signal(running.child.id(), 2);
    let (code, stderr) = running.finish(Duration::from_secs(60));
    assert_eq!(code, 130, "{stderr}");
    // Finished, not half-way: the branch, its files, and nothing dirty.
    assert_eq!(head_of(&repo), (Some("big".into()), big));
    assert_eq!(porcelain(&repo), "");
    assert!(repo.join("big/f19999.txt").exists());
}

#[test]
fn a_terminated_cli_clone_exits_143_and_leaves_nothing() {
    let remotes = Remotes::new();
    let app = remote_with_a_big_branch(&remotes, 20_000);
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"big\""));
    let running = Background::start(&env, &["update", "--transport", "cli"]);
    let src = env.join("shared/src");
    wait_until(Duration::from_secs(30), "the clone to start", || {
        std::fs::read_dir(&src).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().contains("xtask-clone"))
        })
    });
    send_signal(running.child.id(), 15);
    let (code, stderr) = running.finish(Duration::from_secs(60));
    assert_eq!(code, 143, "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&src).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
}
