//! `checkpoint save|list|restore|rm` with real git repositories in temp
//! dirs and the real Postgres of the e2e fixture: round trips across a
//! branch switch and a database change, refusals that move nothing, and a
//! restore killed at several moments leaving each part old or new.

use std::path::{Path, PathBuf};

use crate::engine::Stack;
use crate::git_fixture::{commit_locally, git, head_of, Remote, Remotes};
use crate::harness::Env;

/// Two repos (app, lib) under shared/src, cloned, and a `[[copy]]` `.env`.
fn repos_of(root: &Path, app: &Remote, lib: &Remote) -> String {
    std::fs::write(root.join("env.example"), "MODE=example\n").expect("example");
    format!(
        "[[repo]]\nname = \"app\"\nurl = \"{}\"\n\n[[repo]]\nname = \"lib\"\nurl = \"{}\"\n\n\
         [[copy]]\nfrom = \"env.example\"\nto = \".env\"\n",
        app.url(),
        lib.url()
    )
}

/// A remote with a second branch `feature` one commit ahead of `main`.
fn with_feature(remotes: &Remotes, name: &str) -> Remote {
    let remote = remotes.create(name);
    remote.checkout_new_branch("feature");
    remote.commit("feature.txt", "feature\n");
    remote.push("feature");
    remote.checkout("main");
    remote
}

fn switch(repo: &Path, branch: &str) {
    git(repo, &["switch", "-q", branch]);
}

/// An environment of two repos, `app` (with a branch `feature`) and `lib`,
/// cloned by `update`: the remotes (kept alive), the environment and the
/// two clones.
fn two_repos_updated() -> (Remotes, Env, PathBuf, PathBuf) {
    let remotes = Remotes::new();
    let app = with_feature(&remotes, "app");
    let lib = remotes.create("lib");
    let env = Env::new();
    env.repos_toml(&repos_of(env.path(), &app, &lib));
    env.xtask(["update"]).ok();
    let app_dir = env.join("shared/src/app");
    let lib_dir = env.join("shared/src/lib");
    (remotes, env, app_dir, lib_dir)
}

#[test]
fn repos_and_files_round_trip_without_a_database() {
    let (_remotes, env, app_dir, lib_dir) = two_repos_updated();
    let saved_app = head_of(&app_dir);
    let saved_lib = head_of(&lib_dir);
    env.write(".env", "MODE=saved\n");

    let out = env
        .xtask(["checkpoint", "save", "before", "--note", "both on main"])
        .ok();
    assert!(
        out.stderr.contains("Saved") && out.stderr.contains("database: no [db]"),
        "{}",
        out.describe()
    );
    // An existing name is refused without --force.
    env.xtask(["checkpoint", "save", "before"])
        .fails_with(2)
        .stderr_has("exists already");
    let list = env.xtask(["checkpoint", "list"]).ok();
    assert!(list.stdout.contains("before") && list.stdout.contains("both on main"));
    // The shell is offered the names for restore and rm (not for save,
    // which takes a new one).
    env.xtask(["checkpoint", "save", "after"]).ok();
    let offered = |words: &[&str]| {
        let mut names = crate::completions::offered(&env, words);
        names.retain(|word| !word.starts_with('-'));
        names.sort();
        names
    };
    for sub in ["restore", "rm"] {
        assert_eq!(offered(&["checkpoint", sub, ""]), ["after", "before"]);
    }
    assert_eq!(offered(&["checkpoint", "save", ""]), Vec::<String>::new());
    env.xtask(["--yes", "checkpoint", "rm", "after"]).ok();
    let json = env.xtask(["--json", "checkpoint", "list"]).ok().stdout;
    let records: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(records[0]["repos"][0]["commit"], saved_app.1.as_str());
    // The record never holds a copied file's content.
    assert!(!env
        .read(".xtask/checkpoints/before.json")
        .contains("MODE=saved"));

    // Move on: a branch switch, a local commit, a changed .env.
    switch(&app_dir, "feature");
    commit_locally(&lib_dir, "more.txt", "more\n");
    git(&lib_dir, &["branch", "-q", "keep-more"]);
    env.write(".env", "MODE=later\n");

    let dry = env
        .xtask(["--dry-run", "checkpoint", "restore", "before"])
        .ok();
    assert!(
        dry.stdout
            .contains("# move app (shared/src/app) to branch main at"),
        "{}",
        dry.describe()
    );
    assert_eq!(
        head_of(&app_dir).0.as_deref(),
        Some("feature"),
        "dry run moved nothing"
    );

    // Not while an update moves the repos.
    let update_lock = std::fs::File::create(env.join(".xtask/update.lock")).expect("lock file");
    update_lock.lock().expect("lock");
    env.xtask(["--yes", "checkpoint", "restore", "before"])
        .fails_with(1)
        .stderr_has("an `update` of this environment is already running; nothing was changed");
    assert_eq!(head_of(&app_dir).0.as_deref(), Some("feature"));
    drop(update_lock);

    let out = env.xtask(["--yes", "checkpoint", "restore", "before"]).ok();
    assert!(
        out.stderr.contains("Moved app") && out.stderr.contains("Replaced .env"),
        "{}",
        out.describe()
    );
    assert_eq!(head_of(&app_dir), saved_app);
    assert_eq!(head_of(&lib_dir), saved_lib);
    assert_eq!(env.read(".env"), "MODE=saved\n");
    assert_eq!(
        env.read(".env.bak"),
        "MODE=later\n",
        "the replaced file is kept"
    );

    env.xtask(["--yes", "checkpoint", "rm", "before"]).ok();
    assert!(!env.join(".xtask/checkpoints/before.json").exists());
    let left: Vec<_> = std::fs::read_dir(env.join(".xtask/checkpoints"))
        .expect("folder")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // What a save killed before its record left is cleared by the next save.
    env.write(
        ".xtask/checkpoints/before.19990101T000000Z.files/0-.env",
        "x",
    );
    env.xtask(["checkpoint", "save", "before"]).ok();
    assert!(!env
        .join(".xtask/checkpoints/before.19990101T000000Z.files")
        .exists());
    env.xtask(["--yes", "checkpoint", "rm", "before"]).ok();
    env.xtask(["--yes", "checkpoint", "restore", "before"])
        .fails_with(2)
        .stderr_has("there is no checkpoint `before`");
}

#[test]
fn restore_refuses_dirty_trees_and_unkept_commits_and_moves_nothing() {
    let (_remotes, env, app_dir, lib_dir) = two_repos_updated();
    env.write("shared/src/lib/README", "dirty at save\n");
    env.xtask(["checkpoint", "save", "dirty"])
        .ok()
        .stderr_has("lib (shared/src/lib) has uncommitted changes");
    git(&lib_dir, &["checkout", "--", "README"]);
    env.write(".env", "MODE=saved\n");
    env.xtask(["checkpoint", "save", "s1"]).ok();

    switch(&app_dir, "feature");
    // lib: a commit on main that no other ref holds, then an edit.
    let unkept = commit_locally(&lib_dir, "unkept.txt", "mine\n");
    env.write("shared/src/app/feature.txt", "edited\n");
    env.write(".env", "MODE=later\n");
    let app_before = head_of(&app_dir);

    let out = env
        .xtask(["--yes", "checkpoint", "restore", "s1"])
        .fails_with(2);
    assert!(
        out.stderr.contains("nothing was changed")
            && out
                .stderr
                .contains("app (shared/src/app): uncommitted changes in 1 file")
            && out
                .stderr
                .contains("lib (shared/src/lib): 1 commit on main"),
        "{}",
        out.describe()
    );
    assert_eq!(head_of(&app_dir), app_before);
    assert_eq!(head_of(&lib_dir), (Some("main".into()), unkept));
    assert_eq!(env.read(".env"), "MODE=later\n");
    assert_eq!(env.read("shared/src/app/feature.txt"), "edited\n");
}

/// The e2e fixture with `[db] name = "shop"` (a table `t` holding 1), and
/// the two repos and the `.env` of [`repos_of`], cloned.
fn stack_with_repos(remotes: &Remotes) -> (Stack, Remote, Remote) {
    let stack = crate::db::shop_with("create table t (x int); insert into t values (1)");
    let app = with_feature(remotes, "app");
    let lib = remotes.create("lib");
    stack
        .env
        .repos_toml(&repos_of(stack.env.path(), &app, &lib));
    stack.xtask(["update"]).ok();
    (stack, app, lib)
}

/// The rows of `t` in shop, comma-separated.
fn rows(stack: &Stack) -> String {
    stack
        .xtask([
            "db",
            "psql",
            "shop",
            "--",
            "-At",
            "-c",
            "select string_agg(x::text, ',' order by x) from t",
        ])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// The snapshots `db snapshot list` shows.
fn snapshots(stack: &Stack) -> String {
    stack.xtask(["db", "snapshot", "list"]).ok().stdout
}

#[test]
fn a_round_trip_across_a_branch_switch_and_a_database_change() {
    let remotes = Remotes::new();
    let (stack, _app, _lib) = stack_with_repos(&remotes);
    let env = &stack.env;
    let app_dir = env.join("shared/src/app");
    let saved_app = head_of(&app_dir);
    env.write(".env", "MODE=saved\n");

    let out = stack
        .xtask(["checkpoint", "save", "main-state", "--note", "one row"])
        .ok();
    assert!(
        out.stderr
            .contains("Saved checkpoint main-state (2 repos, database shop"),
        "{}",
        out.describe()
    );
    let record = env.read(".xtask/checkpoints/main-state.json");
    let record: serde_json::Value = serde_json::from_str(&record).expect("record");
    let snapshot = record["database"]["snapshot"]
        .as_str()
        .expect("snapshot")
        .to_string();
    assert!(snapshots(&stack).contains(&snapshot));
    assert!(
        record["images"]["db"]
            .as_str()
            .is_some_and(|id| id.starts_with("sha256:")),
        "{record}"
    );

    // Work on a branch: the database and the repo change.
    switch(&app_dir, "feature");
    crate::db::psql(&stack, "shop", "insert into t values (2)");
    env.write(".env", "MODE=feature\n");
    stack.xtask(["checkpoint", "save", "feature-state"]).ok();

    let out = stack
        .xtask(["--yes", "checkpoint", "restore", "main-state"])
        .ok();
    assert!(
        out.stderr
            .contains("Moved app (shared/src/app) from feature at")
            && out.stderr.contains("Restored checkpoint main-state"),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack), "1");
    assert_eq!(head_of(&app_dir), saved_app);
    assert_eq!(env.read(".env"), "MODE=saved\n");
    // The replaced database is kept as a snapshot, as `db snapshot restore` keeps it.
    assert!(
        out.stdout
            .contains("to get back: cargo xtask db snapshot restore snapshot-restore-"),
        "{}",
        out.describe()
    );

    // And forth again.
    stack
        .xtask(["--yes", "checkpoint", "restore", "feature-state"])
        .ok();
    assert_eq!(rows(&stack), "1,2");
    assert_eq!(head_of(&app_dir).0.as_deref(), Some("feature"));
    assert_eq!(env.read(".env"), "MODE=feature\n");

    // A dirty tree refuses the whole restore: the database is not touched either.
    env.write("shared/src/app/feature.txt", "edited\n");
    stack
        .xtask(["--yes", "checkpoint", "restore", "main-state"])
        .fails_with(2)
        .stderr_has("app (shared/src/app): uncommitted changes in 1 file");
    assert_eq!(rows(&stack), "1,2");
    git(&app_dir, &["checkout", "--", "feature.txt"]);

    // rm takes the record, the stored files and the snapshot.
    stack
        .xtask(["--yes", "checkpoint", "rm", "main-state"])
        .ok();
    assert!(!snapshots(&stack).contains(&snapshot));
    assert!(!env.join(".xtask/checkpoints/main-state.json").exists());
    // --force replaces a checkpoint: the new snapshot in, the old one out.
    let old = env.read(".xtask/checkpoints/feature-state.json");
    stack
        .xtask(["checkpoint", "save", "feature-state", "--force"])
        .ok();
    let new = env.read(".xtask/checkpoints/feature-state.json");
    let name_in = |text: &str| {
        let value: serde_json::Value = serde_json::from_str(text).expect("record");
        value["database"]["snapshot"]
            .as_str()
            .expect("snapshot")
            .to_string()
    };
    let listed = snapshots(&stack);
    assert!(listed.contains(&name_in(&new)), "{listed}");
    assert!(
        name_in(&old) == name_in(&new) || !listed.contains(&name_in(&old)),
        "{listed}"
    );

    // A snapshot dropped behind its back: the swap script refuses it before
    // anything changed (the database comes first), the repos stay.
    stack.xtask(["checkpoint", "save", "gone"]).ok();
    let record = env.read(".xtask/checkpoints/gone.json");
    let gone = name_in(&record);
    stack.xtask(["db", "snapshot", "rm", &gone]).ok();
    switch(&app_dir, "main");
    crate::db::psql(&stack, "shop", "insert into t values (3)");
    let out = stack
        .xtask(["--yes", "checkpoint", "restore", "gone"])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert_eq!(rows(&stack), "1,2,3");
    assert_eq!(head_of(&app_dir).0.as_deref(), Some("main"));
}

/// A `docker` first on PATH that passes every call through, except the
/// restore's swap script (the call naming `shop__restoring`): see
/// [`docker_pausing`].
fn docker_pausing_the_swap(dir: &Path, run: bool) -> String {
    docker_pausing(dir, "shop__restoring", run)
}

/// A `docker` first on PATH that passes every call through, except one
/// whose arguments contain `pattern`: it touches `reached`, then runs the
/// real one only when `run` is set, touches `ran`, and waits (bounded) for
/// `release` before it exits.
fn docker_pausing(dir: &Path, pattern: &str, run: bool) -> String {
    let real = std::process::Command::new("sh")
        .args(["-c", "command -v docker"])
        .output()
        .expect("sh");
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    let d = dir.display();
    let swap = if run {
        "\"$real\" \"$@\"; rc=$?".to_string()
    } else {
        "rc=1".to_string()
    };
    crate::harness::write_executable(
        &dir.join("docker"),
        &format!(
            "#!/bin/sh\nreal='{real}'\ncase \"$*\" in *{pattern}*) \
             touch '{d}/reached'; {swap}; touch '{d}/ran'; \
             i=0; while [ ! -e '{d}/release' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; exit $rc;; \
             *) exec \"$real\" \"$@\";; esac\n"
        ),
    );
    format!("{}:{}", d, std::env::var("PATH").unwrap_or_default())
}

/// Waits (bounded) until the paused call touched `ran`; fails with xtask's
/// stderr if it ended first.
fn wait_for_call(child: &mut std::process::Child, ran: &Path) {
    crate::engine::wait_for(
        &format!("{} to appear", ran.display()),
        std::time::Duration::from_secs(60),
        || match child.try_wait() {
            Ok(Some(status)) => {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                panic!("xtask ended first ({status}): {stderr}")
            }
            _ if ran.exists() => Ok(()),
            _ => Err("not yet".to_string()),
        },
    );
}

#[test]
fn kill_9_during_a_restore_leaves_each_part_old_or_new() {
    let remotes = Remotes::new();
    let (stack, _app, _lib) = stack_with_repos(&remotes);
    let env = &stack.env;
    let app_dir = env.join("shared/src/app");
    let saved_app = head_of(&app_dir);
    env.write(".env", "MODE=saved\n");
    stack.xtask(["checkpoint", "save", "s"]).ok();
    switch(&app_dir, "feature");
    let feature_app = head_of(&app_dir);
    crate::db::psql(&stack, "shop", "insert into t values (2)");
    env.write(".env", "MODE=later\n");

    // Killed while the swap script is about to run (it never does), then
    // right after it ran: the database old, then new; repos and files old.
    for (run, rows_after) in [(false, "1,2"), (true, "1")] {
        let bin = tempfile::tempdir().expect("tempdir");
        let path = docker_pausing_the_swap(bin.path(), run);
        let mut child = stack
            .xtask(["--yes", "checkpoint", "restore", "s"])
            .env("PATH", &path)
            .spawn();
        wait_for_call(&mut child, &bin.path().join("ran"));
        crate::harness::send_signal(child.id(), 9);
        let _ = child.wait();
        std::fs::write(bin.path().join("release"), "").expect("release");
        crate::engine::wait_for(
            "the staging database to be gone",
            std::time::Duration::from_secs(120),
            || {
                let names = crate::db::database_names(&stack);
                if names.iter().any(|n| n.ends_with("__restoring")) {
                    Err(format!("{names:?}"))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(rows(&stack), rows_after, "swap ran: {run}");
        assert_eq!(head_of(&app_dir), feature_app, "swap ran: {run}");
        assert_eq!(git(&app_dir, &["status", "--porcelain"]), "");
        assert_eq!(env.read(".env"), "MODE=later\n");
    }

    // SIGTERM while the swap runs: the swap finishes, nothing after it starts.
    let bin = tempfile::tempdir().expect("tempdir");
    let path = docker_pausing_the_swap(bin.path(), true);
    let mut child = stack
        .xtask(["--yes", "checkpoint", "restore", "s"])
        .env("PATH", &path)
        .spawn();
    wait_for_call(&mut child, &bin.path().join("ran"));
    crate::harness::send_signal(child.id(), 15);
    std::fs::write(bin.path().join("release"), "").expect("release");
    let out = child.wait_with_output().expect("wait");
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(head_of(&app_dir), feature_app);

    // Whole, it restores everything.
    stack.xtask(["--yes", "checkpoint", "restore", "s"]).ok();
    assert_eq!(rows(&stack), "1");
    assert_eq!(head_of(&app_dir), saved_app);
    assert_eq!(env.read(".env"), "MODE=saved\n");
}

/// Pins app to `branch` in repos.toml.
fn pin_app(stack: &Stack, app: &Remote, lib: &Remote, branch: &str) {
    let text = repos_of(stack.env.path(), app, lib).replacen(
        "name = \"app\"\n",
        &format!("name = \"app\"\nbranch = \"{branch}\"\n"),
        1,
    );
    stack.env.repos_toml(&text);
}

#[test]
fn the_database_follows_the_branch_of_a_followed_repo() {
    let remotes = Remotes::new();
    let (stack, app, lib) = stack_with_repos(&remotes);
    crate::db::append_tasks(
        &stack,
        "[checkpoints]\non_branch_switch = true\nfollow = [\"app\"]",
    );
    let app_dir = stack.env.join("shared/src/app");
    stack
        .xtask(["--dry-run", "update"])
        .ok()
        .stdout_has("# then, when app changes branch");

    // main -> feature: main's database kept, feature has none yet.
    pin_app(&stack, &app, &lib, "feature");
    let out = stack.xtask(["update"]).ok();
    assert!(
        out.stderr.contains("Saved checkpoint branch-app-main")
            && out.stderr.contains("no checkpoint branch-app-feature yet"),
        "{}",
        out.describe()
    );
    assert_eq!(head_of(&app_dir).0.as_deref(), Some("feature"));
    crate::db::psql(&stack, "shop", "insert into t values (2)");

    // feature -> main: feature's database kept, main's back.
    pin_app(&stack, &app, &lib, "main");
    let out = stack.xtask(["update"]).ok();
    assert!(
        out.stderr.contains("Saved checkpoint branch-app-feature")
            && out.stderr.contains("Restored the database of app main"),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack), "1");

    // A checkpoint restore that changes app's branch keeps the database of
    // the branch it leaves, as update does.
    stack.xtask(["checkpoint", "save", "on-main"]).ok();
    pin_app(&stack, &app, &lib, "feature");
    stack.xtask(["update"]).ok();
    assert_eq!(rows(&stack), "1,2");
    crate::db::psql(&stack, "shop", "insert into t values (3)");
    let out = stack
        .xtask(["--yes", "checkpoint", "restore", "on-main"])
        .ok();
    assert!(
        out.stderr.contains("Saved checkpoint branch-app-feature"),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack), "1");
    assert_eq!(head_of(&app_dir).0.as_deref(), Some("main"));
    stack.xtask(["update"]).ok();
    assert_eq!(rows(&stack), "1,2,3");

    // A follow that names no repo is a configuration error.
    crate::db::append_tasks(&stack, "");
    let tasks = stack
        .env
        .read("tasks.toml")
        .replace("follow = [\"app\"]", "follow = [\"ap\"]");
    stack.env.tasks_toml(&tasks);
    stack
        .xtask(["check"])
        .fails_with(2)
        .stderr_has("[checkpoints] follow names `ap`, which is no repo of repos.toml");
}

#[test]
fn save_and_restore_with_compose_v1() {
    let stack = Stack::fixture().with_compose_v1();
    crate::db::append_tasks(&stack, "[db]\nname = \"shop\"\n");
    stack
        .xtask(["up", "--wait", "--wait-timeout", "90", "db"])
        .ok();
    stack.xtask(["db", "create"]).ok();
    crate::db::psql(
        &stack,
        "shop",
        "create table t (x int); insert into t values (1)",
    );
    let remotes = Remotes::new();
    let app = with_feature(&remotes, "app");
    let lib = remotes.create("lib");
    stack
        .env
        .repos_toml(&repos_of(stack.env.path(), &app, &lib));
    stack.xtask(["update"]).ok();
    let app_dir = stack.env.join("shared/src/app");
    let saved = head_of(&app_dir);

    stack
        .xtask(["checkpoint", "save", "v1"])
        .ok()
        .stderr_has("Saved checkpoint v1 (2 repos, database shop");
    switch(&app_dir, "feature");
    crate::db::psql(&stack, "shop", "insert into t values (2)");
    stack.xtask(["--yes", "checkpoint", "restore", "v1"]).ok();
    assert_eq!(rows(&stack), "1");
    assert_eq!(head_of(&app_dir), saved);
    stack.xtask(["--yes", "checkpoint", "rm", "v1"]).ok();
    assert!(!snapshots(&stack).contains("ckpt-v1-"));
}

#[test]
fn kill_9_during_a_save_leaves_no_checkpoint_or_the_whole_one() {
    let remotes = Remotes::new();
    let (stack, _app, _lib) = stack_with_repos(&remotes);
    for run in [false, true] {
        let bin = tempfile::tempdir().expect("tempdir");
        let path = docker_pausing(bin.path(), "snapshot=shop__snap_ckpt-", run);
        let mut child = stack
            .xtask(["checkpoint", "save", "s"])
            .env("PATH", &path)
            .spawn();
        wait_for_call(&mut child, &bin.path().join("ran"));
        crate::harness::send_signal(child.id(), 9);
        let _ = child.wait();
        std::fs::write(bin.path().join("release"), "").expect("release");
        assert!(!stack.env.join(".xtask/checkpoints/s.json").exists());
        let json = stack.xtask(["--json", "checkpoint", "list"]).ok().stdout;
        assert_eq!(json.trim(), "[]", "snapshot ran: {run}");
    }
    // The next save of that name is whole, and clears the files folders left.
    stack.xtask(["checkpoint", "save", "s"]).ok();
    let folders: Vec<_> = std::fs::read_dir(stack.env.join(".xtask/checkpoints"))
        .expect("folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".files"))
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
}
