//! `update`, `status`, `lock`, `diff` against real repositories in temp dirs.

use crate::git_fixture::{commit_locally, git, head_of, Remotes};
use crate::harness::Env;

fn repo_entry(name: &str, url: &str, pin: &str) -> String {
    format!("[[repo]]\nname = \"{name}\"\nurl = \"{url}\"\n{pin}\n\n")
}

#[test]
fn update_clones_branches_tags_and_revs_then_is_a_no_op() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let first = app.head();
    app.tag("v1");
    let second = app.commit("src/lib.py", "x = 1\n");
    app.push("main");
    app.checkout_new_branch("7.0");
    let on_branch = app.commit("release.txt", "7.0\n");
    app.push("7.0");

    let env = Env::new();
    env.repos_toml(&format!(
        "{}{}{}{}",
        repo_entry("default", &app.url(), ""),
        repo_entry("release", &app.url(), "branch = \"7.0\""),
        repo_entry("tagged", &app.url(), "tag = \"v1\""),
        repo_entry("fixed", &app.url(), &format!("rev = \"{}\"", &second[..10])),
    ));
    let out = env.xtask(["update"]).ok();
    assert!(
        out.stderr.contains("4 cloned, 0 updated"),
        "{}",
        out.describe()
    );

    assert_eq!(
        head_of(&env.join("shared/src/default")),
        (Some("main".into()), second.clone())
    );
    assert_eq!(
        head_of(&env.join("shared/src/release")),
        (Some("7.0".into()), on_branch)
    );
    assert_eq!(head_of(&env.join("shared/src/tagged")), (None, first));
    assert_eq!(head_of(&env.join("shared/src/fixed")), (None, second));
    // A later `git fetch` gets every branch, as after a git clone.
    assert_eq!(
        git(
            &env.join("shared/src/release"),
            &["config", "--get-all", "remote.origin.fetch"]
        ),
        "+refs/heads/*:refs/remotes/origin/*"
    );
    // Branches track their upstream, as after a git clone.
    assert_eq!(
        git(
            &env.join("shared/src/release"),
            &["rev-parse", "--abbrev-ref", "@{u}"]
        ),
        "origin/7.0"
    );
    // Nothing half-made is left beside the clones.
    let leftovers: Vec<_> = std::fs::read_dir(env.join("shared/src"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    env.xtask(["update"])
        .ok()
        .stderr_has("0 cloned, 0 updated, 4 up to date, 0 skipped, 0 failed");
}

#[test]
fn update_fast_forwards_and_reports_the_range() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let old = app.head();
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    env.xtask(["update"]).ok();

    let new = app.commit("a.txt", "a\n");
    app.push("main");
    env.xtask(["update"])
        .ok()
        .stderr_has(&format!("Updated app {}..{}", &old[..7], &new[..7]));
    assert_eq!(
        head_of(&env.join("shared/src/app")),
        (Some("main".into()), new)
    );
    assert!(env.join("shared/src/app/a.txt").exists());
}

#[test]
fn update_never_touches_a_dirty_or_diverged_repo() {
    let remotes = Remotes::new();
    let dirty = remotes.create("dirty");
    let diverged = remotes.create("diverged");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}{}",
        repo_entry("dirty", &dirty.url(), ""),
        repo_entry("diverged", &diverged.url(), "")
    ));
    env.xtask(["update"]).ok();

    // Local work: an edit in one, a local commit in the other.
    env.write("shared/src/dirty/README", "my unsaved work\n");
    let clone = env.join("shared/src/diverged");
    let local_commit = commit_locally(
        &clone,
        "local.txt",
        "mine
",
    );
    let dirty_before = head_of(&env.join("shared/src/dirty"));

    dirty.commit("README", "upstream change\n");
    dirty.push("main");
    diverged.commit("other.txt", "theirs\n");
    diverged.push("main");

    let out = env.xtask(["update"]).ok();
    assert!(
        out.stderr
            .contains("Skipped dirty: uncommitted changes in 1 file;"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("Skipped diverged: diverged from origin/main (1 ahead, 1 behind)"),
        "{}",
        out.describe()
    );
    assert_eq!(env.read("shared/src/dirty/README"), "my unsaved work\n");
    assert_eq!(head_of(&env.join("shared/src/dirty")), dirty_before);
    assert_eq!(git(&clone, &["rev-parse", "HEAD"]), local_commit);

    // --strict turns a skip into a failure, still touching nothing.
    env.xtask(["update", "--strict"])
        .fails_with(1)
        .stderr_has("--strict");
    assert_eq!(env.read("shared/src/dirty/README"), "my unsaved work\n");
}

#[test]
fn a_clean_repo_on_another_branch_is_moved_to_its_pin_and_the_branch_stays() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    env.xtask(["update"]).ok();
    let clone = env.join("shared/src/app");
    git(&clone, &["checkout", "-q", "-b", "feature-x"]);
    let feature = commit_locally(
        &clone,
        "feature.txt",
        "f
",
    );

    env.xtask(["update"])
        .ok()
        .stderr_has("switched feature-x -> main");
    assert_eq!(head_of(&clone).0.as_deref(), Some("main"));
    assert_eq!(git(&clone, &["rev-parse", "feature-x"]), feature);
}

#[test]
fn a_changed_pin_moves_the_repo_to_the_tag_detached() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let tagged = app.head();
    app.tag("v1");
    let later = app.commit("later.txt", "later\n");
    app.push("main");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    env.xtask(["update"]).ok();
    env.repos_toml(&repo_entry("app", &app.url(), "tag = \"v1\""));
    env.xtask(["update"])
        .ok()
        .stderr_has("switched main -> tag v1");
    assert_eq!(head_of(&env.join("shared/src/app")), (None, tagged));

    // From one tag to another, to a bare commit and back: both ends named.
    app.commit("v2.txt", "2\n");
    app.tag("v2");
    app.push("main");
    env.repos_toml(&repo_entry("app", &app.url(), "tag = \"v2\""));
    env.xtask(["update"]).ok().stderr_has("(tag v1 -> tag v2)");
    env.repos_toml(&repo_entry(
        "app",
        &app.url(),
        &format!("rev = \"{later}\""),
    ));
    env.xtask(["update"])
        .ok()
        .stderr_has(&format!("(tag v2 -> rev {later})"));
    env.repos_toml(&repo_entry("app", &app.url(), "tag = \"v2\""));
    env.xtask(["update"])
        .ok()
        .stderr_has(&format!("(detached {} -> tag v2)", &later[..7]));
}

#[test]
fn failures_are_reported_with_the_reason_and_the_others_still_finish() {
    let remotes = Remotes::new();
    let good = remotes.create("good");
    let vanishing = remotes.create("vanishing");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}{}{}",
        repo_entry("good", &good.url(), ""),
        repo_entry("vanishing", &vanishing.url(), ""),
        repo_entry("missing-branch", &good.url(), "branch = \"nope\""),
    ));
    let out = env.xtask(["update"]).fails_with(1);
    assert!(
        out.stderr
            .contains("Failed missing-branch: branch `nope` not found in"),
        "{}",
        out.describe()
    );
    // Said once, after the summary's tally, not also as it happened.
    assert_eq!(
        out.stderr.matches("Failed missing-branch").count(),
        1,
        "{}",
        out.describe()
    );
    let tally = out.stderr.find("Summary").expect("the summary");
    assert!(
        out.stderr
            .find("Failed missing-branch")
            .expect("the failure")
            > tally
    );
    assert!(env.join("shared/src/good/README").exists());
    assert!(env.join("shared/src/vanishing/README").exists());

    // The remote vanishes: the clone stays, the run says why and fails.
    std::fs::remove_dir_all(&vanishing.bare).unwrap();
    let out = env.xtask(["update", "vanishing"]).fails_with(1);
    assert!(
        out.stderr.contains("Failed vanishing: no repository at"),
        "{}",
        out.describe()
    );
    assert!(env.join("shared/src/vanishing/README").exists());
}

#[test]
fn an_interrupted_clone_leaves_nothing_in_place_and_the_next_run_recovers() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), ""));
    // What a killed clone leaves: a half-written temp folder beside the target.
    env.write("shared/src/.app.xtask-clone-99999999/.git/HEAD", "garbage");
    env.xtask(["update"]).ok().stderr_has("1 cloned");
    assert!(env.join("shared/src/app/README").exists());
    assert!(!env.join("shared/src/.app.xtask-clone-99999999").exists());
}

#[test]
fn the_transport_can_be_forced_and_both_give_the_same_result() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    for transport in ["cli", "git2"] {
        let env = Env::new();
        env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
        env.xtask(["update", "--transport", transport])
            .ok()
            .stderr_has("1 cloned");
        let next = app.commit(&format!("{transport}.txt"), "x\n");
        app.push("main");
        env.xtask(["update"])
            .env("XTASK_TRANSPORT", transport)
            .ok()
            .stderr_has("1 updated");
        assert_eq!(head_of(&env.join("shared/src/app")).1, next);
    }
}

#[test]
fn dry_run_says_what_would_happen_and_does_nothing() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}[[copy]]\nfrom = \"env.example\"\nto = \".env\"\n",
        repo_entry("app", &app.url(), "branch = \"main\"")
    ));
    env.write("env.example", "A=1\n");
    let out = env.xtask(["--dry-run", "update"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "clone {} into shared/src/app (branch main)\ncopy env.example to .env\n",
            app.url()
        )
    );
    assert!(!env.join("shared/src/app").exists());
    assert!(!env.join(".env").exists());
}

#[test]
fn lock_records_commits_and_locked_update_reproduces_them() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    env.xtask(["update"]).ok();
    let locked = app.head();
    env.xtask(["lock"])
        .ok()
        .stderr_has("Locked 1 repo in repos.lock");
    assert!(env
        .read("repos.lock")
        .contains(&format!("rev = \"{locked}\"")));

    app.commit("new.txt", "n\n");
    app.push("main");
    env.xtask(["update"]).ok();
    assert_ne!(head_of(&env.join("shared/src/app")).1, locked);
    env.xtask(["update", "--locked"]).ok();
    // A locked commit is checked out detached; the branch stays where it was.
    assert_eq!(head_of(&env.join("shared/src/app")), (None, locked));
}

#[test]
fn status_reports_pins_heads_and_changes_as_json() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}{}",
        repo_entry("app", &app.url(), "branch = \"main\""),
        repo_entry("later", &app.url(), "")
    ));
    env.xtask(["update", "app"]).ok();
    env.write("shared/src/app/README", "edited\n");
    env.write("shared/src/app/new.txt", "new\n");
    let out = env.xtask(["status", "--json"]).ok();
    let statuses: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(statuses[0]["name"], "app");
    assert_eq!(statuses[0]["branch"], "main");
    assert_eq!(statuses[0]["changed_files"], 1);
    assert_eq!(statuses[0]["untracked_files"], 1);
    assert_eq!(statuses[0]["ahead"], 0);
    assert_eq!(statuses[1]["state"], "missing");
    env.xtask(["status"])
        .ok()
        .stdout_has("1 changed, 1 untracked");
}

#[test]
fn status_leaves_out_the_links_update_made_and_pythons_byproducts_but_v_shows_them() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    app.commit("plugins/.keep", "");
    app.push("main");
    let lib = remotes.create("lib");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}{}[[link]]\npath = \"shared/src/app/plugins/lib\"\ntarget = \"shared/src/lib\"\n",
        repo_entry("app", &app.url(), "branch = \"main\""),
        repo_entry("lib", &lib.url(), "branch = \"main\"")
    ));
    env.xtask(["update"]).ok();
    // What running the code leaves behind, and one file of the user's own.
    env.write("shared/src/app/__pycache__/main.cpython-311.pyc", "x");
    env.write("shared/src/app/pkg/__pycache__/mod.cpython-311.pyc", "x");
    env.write("shared/src/lib/stale.pyc", "x");
    env.write("shared/src/app/notes.txt", "mine\n");
    // A link the user made by hand is local work, like any other file.
    std::os::unix::fs::symlink("../lib", env.join("shared/src/app/mylink")).expect("symlink");

    let out = env.xtask(["status", "--json"]).ok();
    let statuses: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    // app: notes.txt, mylink, and pkg/ (it holds only a byproduct, but git
    // lists an untracked folder as one entry); made: __pycache__/, the link.
    assert_eq!(statuses[0]["untracked_files"], 3, "{statuses}");
    assert_eq!(statuses[0]["generated_files"], 2, "{statuses}");
    assert_eq!(statuses[1]["untracked_files"], 0, "{statuses}");
    assert_eq!(statuses[1]["generated_files"], 1, "{statuses}");
    let table = env.xtask(["status"]).ok();
    assert!(
        table.stdout.contains("3 untracked files") && !table.stdout.contains("5 untracked"),
        "{}",
        table.describe()
    );
    let verbose = env.xtask(["status", "-v"]).ok();
    verbose
        .stdout_has("?? __pycache__/  (made by the environment)")
        .stdout_has("?? stale.pyc  (made by the environment)")
        .stdout_has("?? plugins/lib  (made by the environment)")
        .stdout_has("?? notes.txt\n")
        .stdout_has("?? mylink\n");
}

#[test]
fn status_says_where_each_branch_stands_in_words_and_lists_files_with_v() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let lib = remotes.create("lib");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}{}",
        repo_entry("app", &app.url(), "branch = \"main\""),
        repo_entry("lib", &lib.url(), "branch = \"main\"")
    ));
    env.xtask(["update"]).ok();
    let status = env.xtask(["status"]).ok();
    assert_eq!(
        status.stdout.matches("up to date").count(),
        2,
        "{}",
        status.describe()
    );
    // app: two local commits, one new upstream commit (fetched, not merged).
    let clone = env.join("shared/src/app");
    commit_locally(&clone, "a.txt", "a\n");
    commit_locally(&clone, "b.txt", "b\n");
    app.commit("upstream.txt", "u\n");
    app.push("main");
    git(&clone, &["fetch", "-q", "origin"]);
    env.write("shared/src/lib/README", "edited\n");
    env.write("shared/src/lib/new.txt", "new\n");
    let out = env.xtask(["status"]).ok();
    // Columns without their padding, commits without their ids.
    let table: Vec<String> = out
        .stdout
        .lines()
        .map(|line| {
            let words = line.split_whitespace();
            let kept =
                words.filter(|w| !(w.len() == 7 && w.chars().all(|c| c.is_ascii_hexdigit())));
            kept.collect::<Vec<_>>().join(" ")
        })
        .collect();
    insta::assert_snapshot!("status_in_words", table.join("\n"));
    let verbose = env.xtask(["status", "-v"]).ok();
    assert!(
        verbose
            .stdout
            .contains("\nlib (shared/src/lib):\n   M README\n  ?? new.txt\n"),
        "{}",
        verbose.describe()
    );
    assert!(
        !verbose.stdout.contains("app (shared/src/app):"),
        "app is clean"
    );
}

#[test]
fn copies_are_made_once_diffed_and_only_reset_on_request() {
    let env = Env::new();
    env.repos_toml(
        "[[copy]]\nfrom = \"env.example\"\nto = \".env\"\nignore = [\"^SECRET=\"]\n\n\
         [[folder]]\npath = \"shared/var/lib\"\n\n\
         [[link]]\npath = \"shared/modules/app\"\ntarget = \"shared/var\"\n",
    );
    env.write("env.example", "A=1\nSECRET=changeme\n");
    env.xtask(["update"]).ok();
    assert_eq!(env.read(".env"), "A=1\nSECRET=changeme\n");
    assert!(env.join("shared/var/lib").is_dir());
    assert!(
        env.join("shared/modules/app/lib").is_dir(),
        "the link resolves"
    );

    env.write(".env", "A=2\nSECRET=mine\n");
    env.xtask(["update"]).ok();
    assert_eq!(
        env.read(".env"),
        "A=2\nSECRET=mine\n",
        "update never overwrites a copy"
    );
    let out = env.xtask(["diff"]).ok();
    assert!(out.stdout.contains("-A=1\n+A=2\n"), "{}", out.describe());
    assert!(
        !out.stdout.contains("SECRET"),
        "ignored lines are not shown: {}",
        out.describe()
    );

    env.xtask(["update", "--reset"]).ok();
    assert_eq!(env.read(".env"), "A=1\nSECRET=changeme\n");
    assert_eq!(
        env.read(".env.bak"),
        "A=2\nSECRET=mine\n",
        "the old file is kept"
    );
}

#[test]
fn notices_are_printed_when_matching_files_changed() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&format!(
        "{}[[notice]]\npaths = [\"shared/src/*/Dockerfile\"]\nmessage = \"Dockerfiles changed: run `cargo xtask build`\"\n",
        repo_entry("app", &app.url(), "")
    ));
    env.xtask(["update"]).ok();
    app.commit("docs.txt", "d\n");
    app.push("main");
    let out = env.xtask(["update"]).ok();
    assert!(
        !out.stderr.contains("Dockerfiles changed"),
        "{}",
        out.describe()
    );
    app.commit("Dockerfile", "FROM scratch\n");
    app.push("main");
    env.xtask(["update"])
        .ok()
        .stderr_has("Dockerfiles changed: run `cargo xtask build`");
}

#[test]
fn unknown_repo_names_suggest_the_closest() {
    let env = Env::new();
    env.repos_toml(&repo_entry("trytond", "/nowhere", ""));
    env.xtask(["update", "trytnd"])
        .fails_with(2)
        .stderr_has("no repo named `trytnd` in repos.toml; did you mean `trytond`?");
}

#[test]
fn url_instead_of_from_the_users_git_config_points_at_a_mirror() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let home = tempfile::tempdir().unwrap();
    let mirror_base = format!("{}/", app.bare.parent().unwrap().display());
    std::fs::write(
        home.path().join(".gitconfig"),
        format!("[url \"{mirror_base}\"]\n\tinsteadOf = git://mirror.invalid/\n"),
    )
    .unwrap();
    for transport in ["git2", "cli"] {
        let env = Env::new();
        env.repos_toml(&repo_entry(
            "app",
            "git://mirror.invalid/app.git",
            "branch = \"main\"",
        ));
        env.xtask(["update", "--transport", transport])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .ok()
            .stderr_has("1 cloned");
        assert_eq!(
            head_of(&env.join("shared/src/app")).1,
            app.head(),
            "{transport}"
        );
    }
}

/// A mirror (as `git clone --mirror` of a GitHub repo makes) holding a pull
/// ref whose objects are absent: only what heads and tags reach is there.
fn mirror_with_a_broken_pull_ref(remotes: &Remotes) -> crate::git_fixture::Remote {
    let app = remotes.create("app");
    app.tag("v1");
    app.checkout_new_branch("pr");
    app.commit("pr.txt", "a contribution\n");
    git(
        &app.work,
        &["push", "-q", "origin", "HEAD:refs/pull/1/head"],
    );
    app.checkout("main");
    // Loose objects only a pull ref reaches, deleted as a partial mirror lacks them.
    let only_pull = git(
        &app.bare,
        &[
            "rev-list",
            "--objects",
            "refs/pull/1/head",
            "--not",
            "--branches",
            "--tags",
        ],
    );
    let mut removed = 0;
    for line in only_pull.lines() {
        let oid = line.split_whitespace().next().unwrap();
        let path = app.bare.join("objects").join(&oid[..2]).join(&oid[2..]);
        if path.exists() {
            std::fs::remove_file(path).unwrap();
            removed += 1;
        }
    }
    assert!(
        removed >= 1,
        "the fixture should miss the pull ref's objects"
    );
    app
}

#[test]
fn a_mirror_with_pull_refs_whose_objects_are_absent_clones_like_git() {
    let remotes = Remotes::new();
    let app = mirror_with_a_broken_pull_ref(&remotes);
    let url = format!("file://{}", app.bare.display());
    for transport in ["auto", "cli"] {
        let env = Env::new();
        env.repos_toml(&format!(
            "{}{}",
            repo_entry("by-branch", &url, "branch = \"main\""),
            repo_entry("by-tag", &url, "tag = \"v1\""),
        ));
        env.xtask(["update", "--transport", transport])
            .ok()
            .stderr_has("2 cloned");
        assert_eq!(head_of(&env.join("shared/src/by-branch")).1, app.head());
        // A later pin on a new tag fetches from the same mirror.
        let next = app.commit(&format!("next-{transport}.txt"), "x\n");
        let tag = format!("v2-{transport}");
        // The broken mirror refuses pushes: set the pull ref aside meanwhile.
        let pull_ref = app.bare.join("refs/pull/1/head");
        let pull = std::fs::read_to_string(&pull_ref).unwrap();
        std::fs::remove_file(&pull_ref).unwrap();
        app.push("main");
        app.tag(&tag);
        std::fs::write(&pull_ref, pull).unwrap();
        env.repos_toml(&format!(
            "{}{}",
            repo_entry("by-branch", &url, "branch = \"main\""),
            repo_entry("by-tag", &url, &format!("tag = \"v2-{transport}\"")),
        ));
        env.xtask(["update", "--transport", transport])
            .ok()
            .stderr_has("2 updated");
        assert_eq!(head_of(&env.join("shared/src/by-tag")), (None, next));
    }
}

#[test]
fn verbose_output_shows_which_git_does_each_operation() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let env = Env::new();
    env.repos_toml(&repo_entry("app", &app.url(), "branch = \"main\""));
    // auto: the git CLI clones, libgit2 lists refs on the next run.
    env.xtask(["-v", "update"])
        .ok()
        .stderr_has("git -c 'protocol.ext.allow=never' clone --quiet --branch main -- ");
    env.xtask(["-v", "update"]).ok().stderr_has("(libgit2, in ");
}

#[test]
fn update_says_what_it_created_and_which_copies_to_review() {
    let env = Env::new();
    env.write("env.example", "A=1\n");
    env.write("shared/src/portal/README", "x\n");
    env.repos_toml(
        "[[folder]]\npath = \"shared/var/log\"\n\n\
         [[link]]\npath = \"shared/portal-link\"\ntarget = \"shared/src/portal\"\n\n\
         [[copy]]\nfrom = \"env.example\"\nto = \".env\"\n",
    );
    let out = env.xtask(["update"]).ok();
    for line in [
        "Created shared/var/log",
        "Linked shared/portal-link -> shared/src/portal",
        "Copied env.example to .env",
        "note: review .env: new copies of their examples",
    ] {
        assert!(out.stderr.contains(line), "{line}\n{}", out.describe());
    }
    // Nothing new the second time: nothing said.
    let again = env.xtask(["update"]).ok();
    assert!(
        !again.stderr.contains("Created") && !again.stderr.contains("review"),
        "{}",
        again.describe()
    );
}

/// `url.<base>.insteadOf` in the user's git config (a mirror, a company
/// proxy): clones come from the mirror, keep the url of repos.toml, and
/// later updates fetch through the mirror too, never taking the clone for
/// a fork. (`git2` refuses https urls before any rewriting: no TLS.)
#[test]
fn a_mirror_set_with_insteadof_is_used_and_never_mistaken_for_a_fork() {
    for transport in ["auto", "cli"] {
        let remotes = Remotes::new();
        let app = remotes.create("app");
        let mirror_base = format!("file://{}/", remotes_dir(&app));
        let home = tempfile::tempdir().expect("home");
        std::fs::write(
            home.path().join(".gitconfig"),
            format!("[url \"{mirror_base}\"]\n\tinsteadOf = https://code.example.invalid/team/\n"),
        )
        .expect("gitconfig");

        let env = Env::new();
        env.repos_toml(&repo_entry(
            "app",
            "https://code.example.invalid/team/app.git",
            "branch = \"main\"",
        ));
        let update = |expect: &str| {
            env.xtask(["update", "--transport", transport])
                .env("HOME", home.path())
                .ok()
                .stderr_has(expect);
        };
        update("1 cloned");
        assert_eq!(
            git(
                &env.join("shared/src/app"),
                &["config", "remote.origin.url"]
            ),
            "https://code.example.invalid/team/app.git",
            "{transport}: the clone keeps the url of repos.toml"
        );
        update("1 up to date");
        let next = app.commit("news.txt", "news\n");
        app.push("main");
        update("1 updated");
        assert_eq!(head_of(&env.join("shared/src/app")).1, next, "{transport}");
    }
}

fn remotes_dir(remote: &crate::git_fixture::Remote) -> String {
    remote
        .bare
        .parent()
        .expect("remotes folder")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn use_mirrors_points_only_this_environment_at_local_mirrors() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let mirrors = tempfile::tempdir().expect("mirrors");
    std::fs::create_dir_all(mirrors.path().join("acme")).expect("mkdir");
    std::os::unix::fs::symlink(&app.bare, mirrors.path().join("acme/app.git")).expect("symlink");
    let home = tempfile::tempdir().expect("home");
    let user_config = "[user]\n\tname = Someone\n";
    std::fs::write(home.path().join(".gitconfig"), user_config).expect("gitconfig");
    let env = Env::new();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../offline/use-mirrors");
    let use_mirrors = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new("bash")
            .arg(&script)
            .args(args)
            .env("HOME", home.path())
            .output()
            .expect("run use-mirrors");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    use_mirrors(&[mirrors.path().as_os_str(), env.path().as_os_str()]);

    env.repos_toml(&repo_entry(
        "app",
        "https://github.com/acme/app",
        "branch = \"main\"",
    ));
    env.xtask(["update"])
        .env("HOME", home.path())
        .ok()
        .stderr_has("1 cloned");
    let clone = env.join("shared/src/app");
    assert_eq!(
        git(&clone, &["config", "--get", "remote.origin.url"]).trim(),
        "https://github.com/acme/app",
        "the clone keeps the url repos.toml gives"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join(".gitconfig")).expect("gitconfig"),
        user_config,
        "the user's git config is left as it was"
    );
    // Another git on the machine is not redirected.
    let elsewhere = std::process::Command::new("git")
        .args(["config", "--get-regexp", "insteadof"])
        .env("HOME", home.path())
        .output()
        .expect("git config");
    assert!(elsewhere.stdout.is_empty(), "{elsewhere:?}");

    // A repository the mirrors lack: the failure names the rewrite.
    env.repos_toml(&format!(
        "{}{}",
        repo_entry("app", "https://github.com/acme/app", "branch = \"main\""),
        repo_entry("missing", "https://github.com/acme/missing", "")
    ));
    let out = env.xtask(["update"]).env("HOME", home.path()).fails_with(1);
    assert!(
        out.stderr
            .contains("urls are rewritten for this environment by .xtask/gitconfig"),
        "{}",
        out.describe()
    );

    use_mirrors(&[std::ffi::OsStr::new("--undo"), env.path().as_os_str()]);
    assert!(!env.join(".xtask/gitconfig").exists());
}
