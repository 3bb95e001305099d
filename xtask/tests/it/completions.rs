//! Dynamic completion: the shell asks the binary (`COMPLETE=SHELL xtask --
//! WORDS`, clap_complete's protocol) and gets the project's names as they
//! are now, without anything being written or run.

use std::collections::BTreeSet;
use std::path::Path;

use crate::harness::Env;

/// What bash is offered for the last of `words` (after `xtask`).
pub(crate) fn offered(env: &Env, words: &[&str]) -> Vec<String> {
    let out = env
        .xtask(["--", "xtask"].iter().chain(words))
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", words.len().to_string())
        .ok();
    assert!(out.stderr.is_empty(), "{}", out.describe());
    out.stdout.lines().map(str::to_string).collect()
}

/// Every path under `dir`, to see that completing wrote nothing.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            found.insert(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            }
        }
    }
    found
}

#[test]
fn the_shell_asks_the_binary_for_tasks_services_repos_images_and_environments() {
    let env = Env::new();
    env.tasks_toml(
        "[environments.production]\n[environments.development]\n\
         [tasks.deploy-portal]\ndescription = \"Ship it\"\nrun = \"true\"\n\
         [services.portal.test]\ncommand = [\"pytest\"]\n\
         [images.portal-base]\nname = \"example/portal-base\"\n",
    );
    env.write(
        "docker-compose.yml",
        "services:\n  portal:\n    image: x\n  worker-svc:\n    image: x\n",
    );
    env.repos_toml("[[repo]]\nname = \"trytond-repo\"\nurl = \"https://example.com/t.git\"\n");
    let before = tree(env.path());

    let has = |words: &[&str], wanted: &[&str]| {
        let offered = offered(&env, words);
        for want in wanted {
            assert!(
                offered.iter().any(|o| o == want),
                "{words:?}: {want} not in {offered:?}"
            );
        }
    };
    has(&["dep"], &["deploy-portal"]);
    has(&["lo"], &["logs", "lock"]);
    for command in ["logs", "up", "restart", "build", "run", "shell", "exec"] {
        has(&[command, ""], &["portal", "worker-svc"]);
    }
    has(&["test", ""], &["portal"]);
    has(&["update", ""], &["trytond-repo"]);
    has(&["status", ""], &["trytond-repo"]);
    has(&["--env", ""], &["development", "production"]);
    has(&["images", "build", ""], &["portal-base"]);
    has(&["images", "tag", ""], &["portal-base"]);
    has(&["help", "dep"], &["deploy-portal"]);

    // A task added later is offered at once: nothing to re-generate.
    env.write(
        "tasks.toml",
        &format!(
            "{}[tasks.lint-all]\nrun = \"true\"\n",
            env.read("tasks.toml")
        ),
    );
    has(&["lint"], &["lint-all"]);
    assert_eq!(tree(env.path()), before, "completing wrote nothing");
}

#[test]
fn without_a_configuration_only_the_built_in_commands_are_offered() {
    let env = Env::new();
    std::fs::remove_file(env.join("tasks.toml")).unwrap();
    let builtins = offered(&env, &["lo"]);
    assert_eq!(builtins, ["lock", "logs"], "{builtins:?}");
    assert!(offered(&env, &["logs", ""])
        .iter()
        .all(|o| o.starts_with('-')));
    // A broken tasks.toml offers nothing of the project and still exits 0.
    env.write("tasks.toml", "[tasks.x\n");
    assert_eq!(offered(&env, &["lo"]), ["lock", "logs"]);
}

#[test]
fn completions_prints_a_script_that_calls_the_binary_back_or_a_static_one() {
    let env = Env::new();
    env.tasks_toml("[tasks.deploy-portal]\nrun = \"true\"\n");
    let binary = crate::harness::binary();
    for shell in ["bash", "zsh", "fish"] {
        let script = env.xtask(["completions", shell]).ok().stdout;
        assert!(script.contains("COMPLETE"), "{shell}: {script}");
        assert!(
            script.contains(&*binary.to_string_lossy()),
            "{shell}: {script}"
        );
        assert!(
            !script.contains("deploy-portal"),
            "{shell}: names are asked for, not written in"
        );
        let fixed = env.xtask(["completions", shell, "--static"]).ok().stdout;
        assert!(fixed.contains("deploy-portal"), "{shell}: {fixed}");
    }
}
