//! What repos.toml may not do: reach outside the environment through
//! symbolic links, lose a backup, feed git an option, or put escape
//! sequences on the terminal. Each test sets a trap with real files, links
//! and repositories, then looks at what is on disk afterwards.

use crate::harness::Env;

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
