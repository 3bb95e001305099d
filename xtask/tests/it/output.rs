//! What commands print and how: a closed stdout, `--json` where there is
//! none, the name the user typed in usage lines, completions, wording.

use crate::harness::Env;

#[test]
fn a_closed_stdout_ends_quietly() {
    let env = Env::new();
    env.tasks_toml("[tasks.lint]\nrun = \"true\"\n");
    for args in [
        &["completions", "fish"][..],
        &["help", "update"],
        &["help", "lint"],
        &["--list"],
        &["--json"],
        &["env", "--json"],
        &["--dry-run", "lint"],
    ] {
        let out = env.xtask(args).run_with_closed_stdout();
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}");
    }
}

#[test]
fn json_on_a_command_without_it_is_a_usage_error() {
    let env = Env::new();
    env.tasks_toml("[tasks.lint]\nrun = \"touch ran\"\n");
    for args in [
        &["up", "--json"][..],
        &["--json", "lint"],
        &["help", "up", "--json"],
    ] {
        env.xtask(args)
            .fails_with(2)
            .stderr_has("has no JSON output")
            .stderr_has("--json works with status, env, ps, urls, describe, monitor, help");
    }
    assert!(!env.join("ran").exists());
    let out = env.xtask(["down", "--json"]).fails_with(2);
    insta::assert_snapshot!("json_where_there_is_none", out.stderr);
    // The twin may be set for every command: only a typed --json is refused.
    env.xtask(["lint"]).env("XTASK_JSON", "1").ok();
    env.xtask(["env", "--json"]).ok().stdout_has("\"choice\"");
}

#[test]
fn usage_lines_name_the_command_as_typed() {
    let env = Env::new();
    env.tasks_toml("[tasks.need]\nrun = \"echo {v}\"\n[tasks.need.args]\nv = {}\n");
    // Through cargo (which sets CARGO): `cargo xtask`.
    env.xtask(["--list"])
        .env("CARGO", "/usr/bin/cargo")
        .ok()
        .stdout_has("Usage: cargo xtask [OPTIONS]");
    // Straight from a shell: the binary's own name.
    let direct = |args: &[&str]| env.xtask(args).env_remove("CARGO");
    direct(&["--list"])
        .ok()
        .stdout_has("Usage: xtask [OPTIONS]")
        .stdout_has("See `xtask help NAME`");
    direct(&["help", "need"])
        .ok()
        .stdout_has("usage: xtask need [--v VALUE]");
    direct(&["help", "update"])
        .ok()
        .stdout_has("Usage: xtask update");
    direct(&["need"])
        .fails_with(2)
        .stderr_has("xtask need --v VALUE");
    direct(&["up", "--bogus"])
        .fails_with(2)
        .stderr_has("Usage: xtask up");
}

/// The text of `script` from `start` to the next `end` (a shell's case arm).
fn section<'a>(script: &'a str, start: &str, end: &str) -> &'a str {
    let at = script
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in the script"));
    let rest = &script[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

#[test]
fn completions_offer_environments_services_repos_and_help_topics() {
    let env = Env::new();
    env.tasks_toml(
        "[environments.production]\n[environments.development]\n\
         [tasks.deploy-portal]\nrun = \"true\"\n[services.portal]\n",
    );
    env.write(
        "docker-compose.yml",
        "services:\n  portal:\n    image: x\n  worker-svc:\n    image: x\n",
    );
    env.repos_toml("[[repo]]\nname = \"trytond-repo\"\nurl = \"https://example.com/t.git\"\n");
    let script = |shell: &str| env.xtask(["completions", shell, "--static"]).ok().stdout;

    let bash = script("bash");
    for command in ["logs", "up", "restart", "build", "run", "shell", "exec"] {
        let arm = section(&bash, &format!("xtask__subcmd__{command})"), ";;");
        assert!(arm.contains("portal worker-svc"), "bash {command}: {arm}");
    }
    for command in ["update", "status"] {
        let arm = section(&bash, &format!("xtask__subcmd__{command})"), ";;");
        assert!(arm.contains("trytond-repo"), "bash {command}: {arm}");
    }
    let help = section(&bash, "xtask__subcmd__help)", ";;");
    assert!(
        help.contains("update") && help.contains("deploy-portal"),
        "{help}"
    );
    assert!(bash.contains(
        "--env)\n                    COMPREPLY=($(compgen -W \"development production\""
    ));

    let zsh = script("zsh");
    assert!(zsh.contains(":NAME:(development production)"), "zsh --env");
    assert!(
        zsh.matches("(portal worker-svc)").count() >= 7,
        "zsh services"
    );
    assert!(zsh.matches("(trytond-repo)").count() >= 2, "zsh repos");
    assert!(
        zsh.contains("completions deploy-portal)"),
        "zsh help topics"
    );

    let fish = script("fish");
    for command in ["logs", "up", "restart", "build", "run", "shell", "exec"] {
        let line = format!(
            "complete -c xtask -n \"__fish_xtask_using_subcommand {command}\" -f -a 'portal worker-svc'"
        );
        assert!(fish.contains(&line), "fish {command}");
    }
    assert!(fish.contains("using_subcommand status\" -f -a 'trytond-repo'"));
    let env_values = section(&fish, "-l env -d", "\"\n");
    assert!(
        env_values.contains("production"),
        "fish --env: {env_values}"
    );
    let help = section(&fish, "using_subcommand help\" -f -a", "\n");
    assert!(
        help.contains("'update ") && help.contains(" deploy-portal'"),
        "{help}"
    );
}

#[test]
fn an_unknown_environment_suggests_the_closest_name() {
    let env = Env::new();
    env.tasks_toml("[environments.production]\n[environments.development]\n");
    env.xtask(["--env", "prod", "env"])
        .fails_with(2)
        .stderr_has("unknown environment `prod` (chosen with --env); defined: development, production; did you mean `production`?");
    env.xtask(["env"])
        .env("XTASK_ENV", "developmnt")
        .fails_with(2)
        .stderr_has("did you mean `development`?");
}

#[test]
fn counts_take_the_right_noun() {
    let env = Env::new();
    env.tasks_toml("[tasks.only]\nrun = \"true\"\n");
    env.xtask(["check"])
        .ok()
        .stderr_has("tasks.toml (1 task) and repos.toml (0 repos)");
    env.tasks_toml("[tasks.a]\nrun = \"true\"\n[tasks.b]\nrun = \"true\"\n");
    env.xtask(["check"]).ok().stderr_has("(2 tasks)");
    env.tasks_toml("[tasks.t]\nrun = \"echo {a}\"\n[tasks.t.args]\na = {}\n");
    env.xtask(["t", "x", "y"])
        .fails_with(2)
        .stderr_has("takes 1 argument by position (a); `y` is one too many");
}

#[test]
fn a_commands_help_shows_its_own_options_first_and_the_global_ones_apart() {
    let env = Env::new();
    for command in [&["db", "rebuild"][..], &["test"], &["update"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = env.xtask(&args).ok().stdout;
        let own = help.find("\nOptions:\n").expect("its own options");
        let global = help
            .find("\nGlobal options:\n")
            .expect("the global options");
        assert!(own < global, "{help}");
        // Each global flag once, under its own heading.
        assert_eq!(help.matches("-n, --dry-run").count(), 1, "{help}");
        assert!(help[global..].contains("-n, --dry-run"), "{help}");
    }
}

#[test]
fn a_mistyped_subcommand_gets_the_same_did_you_mean_as_a_mistyped_command() {
    let env = Env::new();
    let out = env.xtask(["db", "rebuld"]).fails_with(2);
    assert!(
        out.stderr.contains("no command `rebuld` in `")
            && out.stderr.contains("db`; did you mean `rebuild`?")
            && out.stderr.contains("db --help` lists them all")
            && !out.stderr.contains("tip:"),
        "{}",
        out.describe()
    );
    let top = env.xtask(["updat"]).fails_with(2);
    assert!(
        top.stderr.contains("did you mean `update`?"),
        "{}",
        top.describe()
    );
}

#[test]
fn help_lists_the_projects_tasks_after_the_built_in_commands() {
    let env = Env::new();
    env.tasks_toml(
        "[tasks.start]\ndescription = \"Everything for a working stack\"\nrun = \"true\"\n\n\
         [tasks.secret]\nrun = \"true\"\nhide = true\n",
    );
    for flag in ["--help", "-h"] {
        let help = env.xtask([flag]).ok().stdout;
        let commands = help.find("Commands:").expect("the built-in commands");
        let tasks = help
            .find("Tasks (tasks.toml):")
            .expect("the project's tasks");
        assert!(commands < tasks, "{help}");
        assert!(
            help[tasks..].contains("start  Everything for a working stack"),
            "{help}"
        );
        assert!(!help.contains("secret"), "hidden tasks stay hidden: {help}");
    }
    // -C picks the environment, wherever it stands on the line.
    let elsewhere = Env::new();
    let root = env.join("");
    let root = root.to_str().expect("utf-8 path");
    let help = elsewhere.xtask(["--help", "-C", root]).ok().stdout;
    assert!(help.contains("Everything for a working stack"), "{help}");
    // A command's own help is clap's, without the tasks.
    let db = env.xtask(["db", "--help"]).ok().stdout;
    assert!(!db.contains("Tasks (tasks.toml):"), "{db}");
}
