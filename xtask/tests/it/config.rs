//! Finding the environment and reporting configuration problems.

use crate::harness::Env;

#[test]
fn an_empty_tasks_toml_is_a_valid_environment() {
    let env = Env::new();
    env.xtask(["check"]).ok().stderr_has("no problems");
}

#[test]
fn the_root_is_found_from_a_subfolder_and_with_dash_c() {
    let env = Env::new();
    env.write("deep/er/file.txt", "");
    env.xtask(["check"]).current_dir(env.join("deep/er")).ok();
    env.xtask(["-C", env.path().to_str().unwrap(), "check"])
        .current_dir(std::env::temp_dir())
        .ok();
}

#[test]
fn outside_an_environment_the_error_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir_xtask(dir.path(), &["check"]).fails_with(2);
    assert!(
        out.stderr.contains("no tasks.toml found in"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("create an empty tasks.toml"),
        "{}",
        out.describe()
    );
}

fn dir_xtask(dir: &std::path::Path, args: &[&str]) -> crate::harness::Xtask {
    crate::harness::Xtask::new(dir).args(args)
}

#[test]
fn every_problem_is_reported_at_once_with_file_line_and_column() {
    let env = Env::new();
    env.tasks_toml("[tasks.lint]\nrun = \"true\"\nbogus = 1\n");
    env.repos_toml(concat!(
        "[[repo]]\n",
        "name = \"a\"\n",
        "url = \"file:///x\"\n",
        "branch = \"main\"\n",
        "tag = \"v1\"\n",
    ));
    let out = env.xtask(["check"]).fails_with(2);
    assert_eq!(
        out.stderr,
        "error: tasks.toml:3:1: unknown field `bogus`, expected one of `description`, `run`, `in`, `environment`, `depends`, `env`, `dir`, `confirm`, `sources`, `outputs`, `alias`, `hide`, `args`
  |
3 | bogus = 1
  | ^^^^^
  = help: remove the key or fix its spelling; docs/ lists every key (repos.md, environments.md, tasks.md)
error: repos.toml:5:7: repo `a` sets both `branch` and `tag`
  |
5 | tag = \"v1\"
  |       ^^^^
  = help: pin a repo to exactly one of branch, tag or rev
error: 2 problems in the configuration
"
    );
}

#[test]
fn every_misspelt_key_of_both_files_is_reported_in_one_run_in_reading_order() {
    let env = Env::new();
    env.tasks_toml(
        "[project]\nnmae = \"x\"\n\n[tasks.lint]\nrun = \"true\"\ndepnds = [\"a\"]\n\n[tasks.b]\nrun = \"true\"\nhidden = true\n",
    );
    env.repos_toml(
        "[defaults]\nrooot = \"src\"\n\n[[repo]]\nname = \"a\"\nurl = \"/x\"\nbrnach = \"main\"\n",
    );
    let out = env.xtask(["check"]).fails_with(2);
    let places: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .filter_map(|l| l.split_once(": unknown field").map(|(place, _)| place))
        .collect();
    assert_eq!(
        places,
        [
            "tasks.toml:2:1",
            "tasks.toml:6:1",
            "tasks.toml:10:1",
            "repos.toml:2:1",
            "repos.toml:7:1"
        ],
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .ends_with("error: 5 problems in the configuration\n"),
        "{}",
        out.describe()
    );
}

#[test]
fn malformed_toml_names_the_place() {
    let env = Env::new();
    env.tasks_toml("[project]\nname = \"x\n");
    let out = env.xtask(["check"]).fails_with(2);
    assert!(
        out.stderr.starts_with("error: tasks.toml:2:"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_task_may_not_shadow_a_builtin() {
    let env = Env::new();
    env.tasks_toml("[tasks.update]\nrun = \"true\"\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("tasks.toml:1:8: task `update` has the name of a built-in command");
}

#[test]
fn repo_paths_may_not_escape_the_root() {
    let env = Env::new();
    env.repos_toml("[[repo]]\nname = \"a\"\nurl = \"u\"\npath = \"../../etc\"\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:4:8: path of repo `a` escapes the environment root");
    env.repos_toml("[[repo]]\nname = \"a\"\nurl = \"u\"\npath = \"/etc\"\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:4:8: path of repo `a` is absolute");
}

#[test]
fn every_kind_of_repos_toml_mistake_is_explained() {
    let env = Env::new();
    env.repos_toml(concat!(
        "[defaults]\nroot = \"/srv/src\"\n\n",
        "[[repo]]\nname = \"a\"\nurl = \"\"\nrev = \"\"\n\n",
        "[[repo]]\nname = \"a\"\nurl = \"u\"\npath = \"x/../../y\"\n\n",
        "[[repo]]\nname = \"b\"\nurl = \"u\"\npath = \"a\"\n\n",
        "[[copy]]\nfrom = \"e\"\nto = \".env\"\nignore = [\"(\"]\n",
    ));
    insta::assert_snapshot!(
        "repos_toml_mistakes",
        env.xtask(["check"]).fails_with(2).stderr
    );
}
