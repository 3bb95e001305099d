//! `checkpoint save|list|restore|rm` with real git repositories in temp
//! dirs and the real Postgres of the e2e fixture: round trips across a
//! branch switch and a database change, refusals that move nothing, and a
//! restore killed at several moments leaving each part old or new.

use std::path::Path;

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

#[test]
fn repos_and_files_round_trip_without_a_database() {
    let remotes = Remotes::new();
    let app = with_feature(&remotes, "app");
    let lib = remotes.create("lib");
    let env = Env::new();
    env.repos_toml(&repos_of(env.path(), &app, &lib));
    env.xtask(["update"]).ok();
    let app_dir = env.join("shared/src/app");
    let lib_dir = env.join("shared/src/lib");
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
    env.xtask(["--yes", "checkpoint", "restore", "before"])
        .fails_with(2)
        .stderr_has("there is no checkpoint `before`");
}

#[test]
fn restore_refuses_dirty_trees_and_unkept_commits_and_moves_nothing() {
    let remotes = Remotes::new();
    let app = with_feature(&remotes, "app");
    let lib = remotes.create("lib");
    let env = Env::new();
    env.repos_toml(&repos_of(env.path(), &app, &lib));
    env.xtask(["update"]).ok();
    let app_dir = env.join("shared/src/app");
    let lib_dir = env.join("shared/src/lib");
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
