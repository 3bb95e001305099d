//! What repos.toml may not do: reach outside the environment through
//! symbolic links, lose a backup, feed git an option, or put escape
//! sequences on the terminal. Each test sets a trap with real files, links
//! and repositories, then looks at what is on disk afterwards.

use std::path::{Path, PathBuf};

use crate::git_fixture::{git, Remote, Remotes};
use crate::harness::{toml_string, Env};

/// A folder outside the environment that nothing may write to or read from.
struct Outside {
    dir: tempfile::TempDir,
}

impl Outside {
    fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("xtask-outside-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Removes whatever a failed run left there.
    fn clear(&self) {
        for entry in std::fs::read_dir(self.path())
            .expect("read outside dir")
            .flatten()
        {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                std::fs::remove_dir_all(path).unwrap();
            } else {
                std::fs::remove_file(path).unwrap();
            }
        }
    }

    /// Every path under the folder, relative, sorted.
    fn listing(&self) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, into: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("read outside dir").flatten() {
                let path = entry.path();
                into.push(path.strip_prefix(base).unwrap().display().to_string());
                if entry.file_type().unwrap().is_dir() {
                    walk(&path, base, into);
                }
            }
        }
        let mut names = Vec::new();
        walk(self.path(), self.path(), &mut names);
        names.sort();
        names
    }
}

fn symlink(target: impl AsRef<Path>, link: PathBuf) {
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::os::unix::fs::symlink(target, link).expect("make symlink");
}

/// A remote whose main branch also holds `file`, made by `make` in the scratch clone.
fn remote_with(remotes: &Remotes, name: &str, file: &str, make: impl FnOnce(&Path)) -> Remote {
    let remote = remotes.create(name);
    make(&remote.work.join(file));
    git(&remote.work, &["add", "-A"]);
    git(
        &remote.work,
        &["commit", "-q", "-m", &format!("add {file}")],
    );
    remote.push("main");
    remote
}

#[test]
fn every_path_through_a_link_to_outside_is_refused_before_anything_is_written() {
    let remotes = Remotes::new();
    let app = remotes.create("app");
    let app_url = app.url();
    // (what, where the link to outside sits, repos.toml, the expected report)
    let repo = |extra: &str| format!("[[repo]]\nname = \"app\"\nurl = \"{app_url}\"\n{extra}");
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "root",
            "esc",
            format!("[defaults]\nroot = \"esc/src\"\n\n{}", repo("")),
            "repos.toml:2:8: `root` leads outside the environment root through a symbolic link",
        ),
        (
            "default root",
            "shared",
            repo(""),
            "repos.toml:1:1: the default `root` \"shared/src\" leads outside the environment root",
        ),
        (
            "repo path",
            "shared/src/esc",
            repo("path = \"esc/app\"\n"),
            "repos.toml:4:8: path of repo `app` leads outside the environment root",
        ),
        (
            "repo named like the link",
            "shared/src/app",
            repo(""),
            "repos.toml:2:8: path of repo `app` leads outside the environment root",
        ),
        (
            "folder",
            "esc",
            "[[folder]]\npath = \"esc/x\"\n".into(),
            "repos.toml:2:8: folder leads outside the environment root",
        ),
        (
            "folder climbing back out of a link",
            "deep/esc",
            "[[folder]]\npath = \"deep/esc/../x\"\n".into(),
            "repos.toml:2:8: folder leads outside the environment root",
        ),
        (
            "link path",
            "esc",
            "[[link]]\npath = \"esc/l\"\ntarget = \"x\"\n".into(),
            "repos.toml:2:8: link path leads outside the environment root",
        ),
        (
            "link target",
            "esc",
            "[[link]]\npath = \"l\"\ntarget = \"esc/x\"\n".into(),
            "repos.toml:3:10: link target leads outside the environment root",
        ),
        (
            "copy to",
            "esc",
            "[[copy]]\nfrom = \"env.example\"\nto = \"esc/.env\"\n".into(),
            "repos.toml:3:6: copy to leads outside the environment root",
        ),
        (
            "copy from",
            "esc",
            "[[copy]]\nfrom = \"esc/secret\"\nto = \".env\"\n".into(),
            "repos.toml:2:8: copy from leads outside the environment root",
        ),
    ];
    for (what, link_at, repos_toml, expected) in cases {
        let env = Env::new();
        let outside = Outside::new();
        std::fs::write(outside.path().join("secret"), "root:x:0:0\n").unwrap();
        let before = outside.listing();
        symlink(outside.path(), env.join(link_at));
        env.write("env.example", "A=1\n");
        env.repos_toml(&repos_toml);

        let out = env.xtask(["check"]).fails_with(2);
        assert!(out.stderr.contains(expected), "{what}: {}", out.describe());
        assert!(
            out.stderr
                .contains("= help: a symbolic link on the way points outside"),
            "{what}: {}",
            out.describe()
        );
        env.xtask(["--dry-run", "update"])
            .fails_with(2)
            .stderr_has(expected);
        env.xtask(["update"]).fails_with(2).stderr_has(expected);

        assert_eq!(
            outside.listing(),
            before,
            "{what}: something was written outside"
        );
        assert!(!env.join(".env").exists(), "{what}: a copy was made");
        assert!(!env.join("l").exists(), "{what}: a link was made");
    }
}

#[test]
fn links_to_files_outside_are_neither_read_nor_written_through() {
    let outside = Outside::new();
    std::fs::write(outside.path().join("passwd"), "root:x:0:0\n").unwrap();

    // The example is itself a link to a file outside.
    let env = Env::new();
    symlink(outside.path().join("passwd"), env.join("env.example"));
    env.repos_toml("[[copy]]\nfrom = \"env.example\"\nto = \".env\"\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:2:8: copy from leads outside the environment root")
        .stderr_has("passwd");
    env.xtask(["update"]).fails_with(2);
    assert!(!env.join(".env").exists());

    // The copy's destination is a dangling link to a file outside: writing
    // to it would create that file.
    let env = Env::new();
    env.write("env.example", "A=1\n");
    symlink(outside.path().join("planted"), env.join(".env"));
    env.repos_toml("[[copy]]\nfrom = \"env.example\"\nto = \".env\"\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:3:6: copy to leads outside the environment root");
    env.xtask(["update", "--reset"]).fails_with(2);
    // A chain of links inside that ends outside is no better.
    std::fs::remove_file(env.join(".env")).unwrap();
    symlink("hop2", env.join(".env"));
    symlink("sub/../hop3", env.join("hop2"));
    std::fs::create_dir(env.join("sub")).unwrap();
    symlink(outside.path().join("planted"), env.join("hop3"));
    env.xtask(["update"])
        .fails_with(2)
        .stderr_has("repos.toml:3:6: copy to leads outside");

    assert_eq!(outside.listing(), vec!["passwd".to_string()]);

    // A link inside the root into a repo's .git folder: a copy there would be a hook.
    let env = Env::new();
    env.write("env.example", "#!/bin/sh\n");
    env.write("shared/src/app/.git/hooks/README", "");
    symlink("shared/src/app/.git/hooks", env.join("hooks"));
    env.repos_toml("[[copy]]\nfrom = \"env.example\"\nto = \"hooks/post-checkout\"\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:3:6: copy to leads into a `.git` folder through a symbolic link");
    env.xtask(["update"]).fails_with(2);
    assert!(!env.join("shared/src/app/.git/hooks/post-checkout").exists());
}

#[test]
fn a_cloned_repo_cannot_lead_update_outside_through_its_own_links() {
    let outside = Outside::new();
    std::fs::write(outside.path().join("secret"), "TOKEN=hunter2\n").unwrap();
    let remotes = Remotes::new();
    let target = outside.path().to_path_buf();
    let app = remote_with(&remotes, "app", "evil", |path| {
        std::os::unix::fs::symlink(&target, path).unwrap()
    });
    let env = Env::new();
    env.repos_toml(&format!(
        "[[repo]]\nname = \"app\"\nurl = \"{}\"\n\n\
         [[copy]]\nfrom = \"shared/src/app/evil/secret\"\nto = \".env\"\n\n\
         [[folder]]\npath = \"shared/src/app/evil/made\"\n\n\
         [[link]]\npath = \"shared/src/app/evil/l\"\ntarget = \"shared\"\n",
        app.url()
    ));
    // Before the clone the paths are inside; update resolves them again after it.
    env.xtask(["check"]).ok();
    let out = env.xtask(["update"]).fails_with(1);
    assert!(out.stderr.contains("1 cloned"), "{}", out.describe());
    assert!(
        out.stderr
            .contains(".env: its example shared/src/app/evil/secret leads outside"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("error: 3 layout entries failed"),
        "{}",
        out.describe()
    );
    assert!(
        !out.stderr.contains("repos failed") && !out.stderr.contains("repo failed"),
        "{}",
        out.describe()
    );
    assert!(!env.join(".env").exists());
    assert_eq!(outside.listing(), vec!["secret".to_string()]);
    // Now that the link is there, check reports it too.
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:6:8: copy from leads outside");
}

#[test]
fn links_inside_the_root_are_relative_and_any_spelling_of_the_target_is_kept() {
    let env = Env::new();
    env.write("shared/var/lib/data", "d\n");
    // `alias` is a link inside the root: a link made through it must still resolve.
    symlink("shared/modules", env.join("alias"));
    std::fs::create_dir_all(env.join("shared/modules")).unwrap();
    env.repos_toml(
        "[[link]]\npath = \"alias/app\"\ntarget = \"shared/var\"\n\n\
         [[link]]\npath = \"top\"\ntarget = \"shared/var/lib\"\n",
    );
    env.xtask(["update"]).ok();
    assert_eq!(
        std::fs::read_link(env.join("shared/modules/app")).unwrap(),
        PathBuf::from("../var")
    );
    assert_eq!(env.read("alias/app/lib/data"), "d\n");
    assert_eq!(env.read("top/data"), "d\n");

    // A link written the old way (from the literal path) is just as good.
    std::fs::remove_file(env.join("top")).unwrap();
    symlink("./shared/../shared/var/lib", env.join("top"));
    let out = env.xtask(["update"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.describe());
}

#[test]
fn links_to_or_into_a_repository_that_failed_to_clone_are_not_made() {
    let remotes = Remotes::new();
    let lib = remotes.create("lib");
    let app = remotes.create("app");
    let env = Env::new();
    let repos = |app_url: &str| {
        format!(
            "[[repo]]\nname = \"app\"\nurl = {}\n\n[[repo]]\nname = \"lib\"\nurl = {}\n\n\
             [[link]]\npath = \"shared/links/app\"\ntarget = \"shared/src/app\"\n\n\
             [[link]]\npath = \"shared/src/app/plugins/lib\"\ntarget = \"shared/src/lib\"\n",
            toml_string(app_url),
            toml_string(&lib.url())
        )
    };
    let missing = format!("{}-gone", app.url());
    env.repos_toml(&repos(&missing));
    let out = env.xtask(["update"]).fails_with(1);
    assert!(
        out.stderr
            .contains("shared/links/app: not linked, its target shared/src/app does not exist")
            && out
                .stderr
                .contains("shared/src/app/plugins/lib: not linked, it lies in a repository that is not cloned"),
        "{}",
        out.describe()
    );
    assert!(env.join("shared/links/app").symlink_metadata().is_err());
    // No folder stands where the clone will go.
    assert!(!env.join("shared/src/app").exists());

    // Once the repository is reachable, the next update clones it and links both.
    env.repos_toml(&repos(&app.url()));
    env.xtask(["update"]).ok().stderr_has("1 cloned");
    assert!(env.join("shared/links/app/README").exists());
    assert!(env.join("shared/src/app/plugins/lib/README").exists());
}

#[test]
fn reset_keeps_every_backup_and_skips_files_that_equal_their_example() {
    use std::os::unix::fs::PermissionsExt;
    let outside = Outside::new();
    let env = Env::new();
    env.repos_toml("[[copy]]\nfrom = \"env.example\"\nto = \".env\"\n");
    env.write("env.example", "A=1\nSECRET=changeme\n");
    env.xtask(["update"]).ok();

    // The user edits .env, resets, edits again, resets again.
    env.write(".env", "A=2\nSECRET=mine\n");
    std::fs::set_permissions(env.join(".env"), std::fs::Permissions::from_mode(0o600)).unwrap();
    env.xtask(["--dry-run", "update", "--reset"])
        .ok()
        .stdout_has("reset .env from env.example (old file kept as .env.bak)\n");
    env.xtask(["update", "--reset"])
        .ok()
        .stderr_has("old file kept as .env.bak)");
    assert_eq!(env.read(".env"), "A=1\nSECRET=changeme\n");

    // A dangling link where the next backup would go is stepped over, not written through.
    symlink(outside.path().join("stolen"), env.join(".env.bak.1"));
    std::fs::write(env.join(".env"), b"A=3\r\nSECRET=\xc3\xa9\n").unwrap();
    env.xtask(["--dry-run", "update", "--reset"])
        .ok()
        .stdout_has("(old file kept as .env.bak.2)\n");
    env.xtask(["update", "--reset"]).ok();

    assert_eq!(env.read(".env.bak"), "A=2\nSECRET=mine\n");
    assert_eq!(
        std::fs::read(env.join(".env.bak.2")).unwrap(),
        b"A=3\r\nSECRET=\xc3\xa9\n"
    );
    assert_eq!(
        std::fs::metadata(env.join(".env.bak"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600,
        "a backup of a private file stays private"
    );

    // .env equals its example now: nothing to reset, no backup.
    env.xtask(["--dry-run", "update", "--reset"])
        .ok()
        .stdout_has(".env unchanged (same as env.example)\n");
    env.xtask(["update", "--reset"])
        .ok()
        .stderr_has(".env unchanged (same as env.example)");
    let mut backups: Vec<String> = std::fs::read_dir(env.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".env.bak"))
        .collect();
    backups.sort();
    assert_eq!(backups, [".env.bak", ".env.bak.1", ".env.bak.2"]);
    assert!(outside.listing().is_empty());
}

#[test]
fn a_binary_example_is_a_clear_error_in_check_and_in_update() {
    let env = Env::new();
    env.repos_toml("[[copy]]\nfrom = \"logo.png\"\nto = \"logo-copy.png\"\n");
    std::fs::write(env.join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:2:8: copy from `logo.png` is not a text file: it holds NUL bytes");
    std::fs::write(env.join("logo.png"), b"caf\xe9\n").unwrap();
    env.xtask(["update"])
        .fails_with(2)
        .stderr_has("repos.toml:2:8: copy from `logo.png` is not a text file: it is not UTF-8");
    assert!(!env.join("logo-copy.png").exists());

    // The example arrives with a repo cloned by this very update.
    let remotes = Remotes::new();
    let app = remote_with(&remotes, "app", "blob.env", |path| {
        std::fs::write(path, b"A=\0\n").unwrap()
    });
    let env = Env::new();
    env.repos_toml(&format!(
        "[[repo]]\nname = \"app\"\nurl = \"{}\"\n\n[[copy]]\nfrom = \"shared/src/app/blob.env\"\nto = \".env\"\n",
        app.url()
    ));
    let out = env.xtask(["update"]).fails_with(1);
    assert!(
        out.stderr.contains(
            "error: .env: its example shared/src/app/blob.env is not a text file: it holds NUL bytes"
        ),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.ends_with("error: 1 layout entry failed\n"),
        "{}",
        out.describe()
    );
    assert!(!env.join(".env").exists());
}

#[test]
fn repos_toml_fields_that_would_fool_git_or_the_terminal_are_explained() {
    let env = Env::new();
    env.repos_toml(concat!(
        "[[repo]]\nname = \"a\"\nurl = \"--upload-pack=touch /tmp/pwned\"\n\n",
        "[[repo]]\nname = \"b\"\nurl = \"https://example.com/b.git\\nhost = evil\"\npath = \"a/./b\"\n\n",
        "[[repo]]\nname = \"c\"\nurl = \"u\"\npath = \"a/b/c\"\n\n",
        "[[repo]]\nname = \".GIT\"\nurl = \"u\"\n\n",
        "[[repo]]\nname = \"x/y\"\nurl = \"ext::sh -c touch% /tmp/pwned\"\n\n",
        "[[repo]]\nname = \"-n\"\nurl = \"u\"\nbranch = \"--orphan\"\n\n",
        "[[repo]]\nname = \"e\\u001b[31m\"\nurl = \"u\"\ngroup = \"g\\r\"\n\n",
        "[[repo]]\nname = \"f\"\nurl = \"u\"\npath = \"f/.Git/hooks\"\n\n",
        "[[copy]]\nfrom = \"env.example\"\nto = \"shared/src/f/.git/hooks/post-checkout\"\n\n",
        "[[folder]]\npath = \"var/\\u0007bell\"\n",
    ));
    let out = env.xtask(["check"]).fails_with(2);
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.describe());
    assert!(!out.stderr.contains('\u{7}'), "{}", out.describe());
    insta::assert_snapshot!("hostile_repos_toml", out.stderr);
    // update refuses the same way, before touching anything.
    env.xtask(["update"])
        .fails_with(2)
        .stderr_has("repos.toml:3:7: url of repo `a` starts with `-`");
    assert!(!env.join("shared").exists());
}

#[test]
fn unknown_groups_and_names_say_what_there_is() {
    let env = Env::new();
    env.repos_toml(concat!(
        "[[repo]]\nname = \"trytond\"\nurl = \"/nowhere\"\ngroup = \"upstream\"\n\n",
        "[[repo]]\nname = \"portal\"\nurl = \"/nowhere\"\ngroup = \"apps\"\n",
    ));
    env.xtask(["update", "--group", "nosuch"])
        .fails_with(2)
        .stderr_has("no repo is in group `nosuch`; the groups in repos.toml are: apps, upstream");
    env.xtask(["status", "--group", "nosuch"])
        .fails_with(2)
        .stderr_has("no repo is in group `nosuch`");
    env.xtask(["update", "zzzzzzzz"])
        .fails_with(2)
        .stderr_has("no repo named `zzzzzzzz` in repos.toml; its repos are: trytond, portal");
    env.xtask(["update", "portal", "--group", "upstream"])
        .fails_with(2)
        .stderr_has("none of portal is in group upstream");
    // What the user typed is echoed without its escape sequences.
    let out = env.xtask(["update", "--group", "\u{1b}[2Jx"]).fails_with(2);
    assert!(out.stderr.contains("`\\u{1b}[2Jx`"), "{}", out.describe());
    assert!(!env.join("shared").exists());

    let env = Env::new();
    env.repos_toml("[[repo]]\nname = \"a\"\nurl = \"/nowhere\"\n");
    env.xtask(["update", "--group", "upstream"])
        .fails_with(2)
        .stderr_has("no [[repo]] in repos.toml has a `group`");
}

#[test]
fn hostile_repos_toml_never_panics_and_never_reaches_outside() {
    use proptest::prelude::*;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    let outside = Outside::new();
    let secrets = Outside::new();
    std::fs::write(secrets.path().join("secret"), "TOPSECRET\n").unwrap();
    // The remote brings its own traps: a link to outside and a binary file.
    let remotes = Remotes::new();
    let target = outside.path().to_path_buf();
    let app = remote_with(&remotes, "app", "evil", |path| {
        std::os::unix::fs::symlink(&target, path).unwrap()
    });
    let app = {
        std::fs::write(app.work.join("blob.dat"), b"\0\xff").unwrap();
        app.commit("README", "app\n");
        app.push("main");
        app
    };
    let out_dir = outside.path().display().to_string();
    let strings = |items: &[&str]| -> Vec<String> { items.iter().map(|s| s.to_string()).collect() };

    // Paths that pass `check` (some only until a clone brings a link)...
    let fair_paths = strings(&[
        "ok/dir",
        "shared/var",
        "env.example",
        ".env",
        "a/./b",
        "shared/src/app/evil/x",
        "shared/src/app/evil",
        "shared/src/app/README",
        "shared/src/app/blob.dat",
        "shared/src/app",
        "é/\u{200b}/x",
    ]);
    // ...paths that read well but lead outside through a link...
    let sly_paths = strings(&[
        "esc/x",
        "esc",
        "esc/.env",
        "esc/../x",
        "shared/src/ext/app",
        "dangle",
        "pw",
        "hop/x",
        "shared/src/app/evil/y",
    ]);
    // ...and paths that must not pass even as text.
    let mut foul_paths = strings(&[
        "../x",
        "a/../../b",
        "/tmp/xtask-abs",
        &out_dir,
        ".git/hooks/post-checkout",
        "sub/.GIT/config",
        "x\u{1b}[2J",
        "x\ny",
        "",
        ".",
        "./",
        "bin.example",
        "~/x",
    ]);
    foul_paths.extend(["a".repeat(300), "deep/".repeat(60)]);
    let fair_names = strings(&["app", "a", "b", "ext", "x y", "é"]);
    let mut foul_names = strings(&["-x", ".git", ".GIT", "a/b", "e\u{1b}[31m", "", ".."]);
    foul_names.push("n".repeat(300));
    let fair_urls = vec![
        app.url(),
        format!("file://{}", app.url()),
        "/nonexistent/repo.git".into(),
        "file:///nonexistent/repo.git".into(),
    ];
    let foul_urls = vec![
        format!("--upload-pack=touch {out_dir}/pwned"),
        format!("-ccore.sshCommand=touch {out_dir}/pwned"),
        format!("ext::sh -c touch% {out_dir}/pwned"),
        " --upload-pack=x".into(),
        "x\ny".into(),
        "".into(),
    ];
    let pins = strings(&[
        "",
        "",
        "",
        "",
        "branch = \"main\"\n",
        "branch = \"main\"\n",
        "branch = \"nope\"\n",
        "tag = \"--x\"\n",
        "rev = \"zz\"\n",
        "branch = \"main\"\ntag = \"v1\"\n",
        "branch = 7\n",
        "group = \"g\"\n",
        "group = \"g\\u001b\"\n",
    ]);
    let raw = strings(&[
        "[[repo]]\nname = \"d\"\nname = \"d2\"\nurl = \"/nowhere\"\n",
        "[[repo]]\nname = 3\nurl = []\n",
        "[[folder]]\npath = 3\n",
        "[[copy]]\nfrom = \"env.example\"\nto = \".env\"\nignore = \"(\"\n",
        "[[copy]]\nfrom = \"env.example\"\nto = \".env\"\nignore = [\"^A=\"]\n",
        "[defaults]\njobs = \"x\"\n",
        "[defaults]\njobs = 0\n",
        "[defaults]\nroot = \"esc/src\"\n",
        "[defaults]\nroot = \"shared/src/ext\"\n",
        "[defaults]\nroot = \"/\"\n",
        "[defaults]\ntransport = \"carrier-pigeon\"\n",
        "[[notice]]\npaths = [\"[\"]\nmessage = \"m\"\n",
        "[[link]]\npath = \"l\"\n",
        "bogus = 1\n",
        "[[repo]\n",
        "\u{0}",
    ]);

    // Mostly fair values, so that many files get past the textual checks
    // to the links and the writing; one foul value in five or six.
    let pick = |fair: &Vec<String>, foul: &Vec<String>| {
        prop_oneof![
            5 => proptest::sample::select(fair.clone()),
            1 => proptest::sample::select(foul.clone()),
        ]
    };
    let path = || {
        prop_oneof![
            3 => proptest::sample::select(fair_paths.clone()),
            2 => proptest::sample::select(sly_paths.clone()),
            1 => proptest::sample::select(foul_paths.clone()),
        ]
    };
    let entry = prop_oneof![
        3 => (
            pick(&fair_names, &foul_names),
            pick(&fair_urls, &foul_urls),
            proptest::option::of(path()),
            proptest::sample::select(pins.clone()),
        )
            .prop_map(|(name, url, path, pin)| {
                let path = path.map_or(String::new(), |p| format!("path = {}\n", toml_string(&p)));
                format!(
                    "[[repo]]\nname = {}\nurl = {}\n{path}{pin}",
                    toml_string(&name),
                    toml_string(&url)
                )
            }),
        2 => path().prop_map(|p| format!("[[folder]]\npath = {}\n", toml_string(&p))),
        2 => (path(), path()).prop_map(|(p, t)| format!(
            "[[link]]\npath = {}\ntarget = {}\n",
            toml_string(&p),
            toml_string(&t)
        )),
        2 => (path(), path()).prop_map(|(f, t)| format!(
            "[[copy]]\nfrom = {}\nto = {}\n",
            toml_string(&f),
            toml_string(&t)
        )),
        1 => path().prop_map(|r| format!("[defaults]\nroot = {}\n", toml_string(&r))),
        1 => proptest::sample::select(raw.clone()),
    ];
    let document = proptest::collection::vec(entry, 1..5).prop_map(|entries| entries.join("\n"));

    let config = ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    // A fixed seed: the same 64 files every run, so a failure reproduces.
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let result = runner.run(&document, |repos_toml| {
        // Start clean, so that a shrunk failure is the file that wrote there.
        outside.clear();
        let env = Env::new();
        symlink(outside.path(), env.join("esc"));
        symlink(outside.path(), env.join("shared/src/ext"));
        symlink(outside.path().join("planted"), env.join("dangle"));
        symlink(secrets.path().join("secret"), env.join("pw"));
        symlink("esc/deeper", env.join("hop"));
        env.write("env.example", "A=1\n");
        std::fs::write(env.join("bin.example"), b"\0\xff").unwrap();
        env.repos_toml(&repos_toml);
        for args in [
            &["check"][..],
            &["--dry-run", "update"],
            &["update"],
            &["update", "--reset"],
        ] {
            let out = env
                .xtask(args)
                .env("GIT_ALLOW_PROTOCOL", "file")
                .env("GIT_TERMINAL_PROMPT", "0")
                .run();
            prop_assert!(
                [0, 1, 2].contains(&out.code) && !out.stderr.contains("panicked"),
                "xtask {args:?} exited {} on\n{repos_toml}\n{}",
                out.code,
                out.describe()
            );
            prop_assert!(
                outside.listing().is_empty(),
                "xtask {args:?} wrote outside: {:?}\n{repos_toml}\n{}",
                outside.listing(),
                out.describe()
            );
        }
        let copied_secret = walk_files(env.path())
            .into_iter()
            .find(|file| std::fs::read(file).is_ok_and(|b| b.starts_with(b"TOPSECRET")));
        prop_assert!(
            copied_secret.is_none(),
            "{copied_secret:?} holds the secret from outside\n{repos_toml}"
        );
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// Regular files under `dir`, not following links.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            files.extend(walk_files(&entry.path()));
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
    files
}
