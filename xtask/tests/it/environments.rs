//! One compose project per environment, used by every command, task and
//! `in =`; host tasks see what compose sees; tasks can pin an environment.

use std::time::Duration;

use crate::engine::{wait_for, Stack};
use crate::harness::Env;

#[test]
fn each_environment_is_its_own_stack_and_a_pinned_task_runs_in_its_project() {
    let stack = Stack::fixture();
    stack.env.write(
        "tasks.toml",
        &format!(
            "{}\n[tasks.where]\nin = \"worker\"\nenvironment = \"testing\"\nrun = [\"sh\", \"-c\", \"echo $ENVIRONMENT; hostname\"]\n",
            std::fs::read_to_string(stack.env.join("tasks.toml")).unwrap()
        ),
    );
    let (dev, testing) = (stack.project.clone(), format!("{}_testing", stack.project));
    stack
        .xtask(["env"])
        .ok()
        .stdout_has(&format!("project: {dev} ("));
    stack
        .xtask(["--env", "testing", "env"])
        .ok()
        .stdout_has(&format!("project: {testing} ("));

    stack.xtask(["up", "-d", "worker"]).ok();
    stack.xtask(["--env", "testing", "up", "-d", "worker"]).ok();
    let projects_of = |project: &str| {
        let out = std::process::Command::new("docker")
            .args([
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.compose.project={project}"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert_eq!((projects_of(&dev), projects_of(&testing)), (1, 1));

    // The testing stack's worker, though the invocation is in development.
    let testing_ps = stack.xtask(["--env", "testing", "ps", "--json"]).ok();
    let containers: serde_json::Value = serde_json::from_str(&testing_ps.stdout).unwrap();
    let testing_id = containers[0]["id"].as_str().unwrap().to_string();
    let out = stack.xtask(["where"]).ok();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("testing"), "{}", out.describe());
    let hostname = lines.next().unwrap_or_default();
    assert!(
        testing_id.starts_with(hostname),
        "ran in {hostname}, not the testing worker {testing_id}"
    );

    // Down in one environment leaves the other's containers alone.
    stack.xtask(["--env", "testing", "down"]).ok();
    assert_eq!((projects_of(&dev), projects_of(&testing)), (1, 0));
    stack.xtask(["down"]).ok();
    wait_for(
        "both stacks gone",
        Duration::from_secs(20),
        || match stack.leftovers().is_empty() {
            true => Ok(()),
            false => Err(format!("{:?}", stack.leftovers())),
        },
    );
}

fn env_with_environments(extra: &str) -> Env {
    let env = Env::new();
    env.write("docker-compose.yml", "services:\n  web:\n    image: x\n");
    env.tasks_toml(&format!(
        "[project]\nname = \"shop\"\ndefault_environment = \"development\"\n\n\
         [environments.development]\n\
         [environments.testing]\nenv = {{ DEBUG = \"0\" }}\n\
         [environments.production]\nproject = \"shop-live\"\n\n{extra}"
    ));
    env
}

#[test]
fn project_names_follow_the_environment() {
    let env = env_with_environments("");
    for (flag, project) in [
        (None, "shop"),
        (Some("development"), "shop"),
        (Some("testing"), "shop_testing"),
        (Some("production"), "shop-live"),
    ] {
        let mut args = vec!["--dry-run", "up", "-d"];
        if let Some(flag) = flag {
            args.splice(0..0, ["--env", flag]);
        }
        env.xtask(&args)
            .ok()
            .stdout_has(&format!("compose -p {project} "));
        let mut args = vec!["env", "--json"];
        if let Some(flag) = flag {
            args.splice(0..0, ["--env", flag]);
        }
        let json: serde_json::Value = serde_json::from_str(&env.xtask(&args).ok().stdout).unwrap();
        assert_eq!(json["project"], project, "{flag:?}");
    }
}

#[test]
fn host_tasks_see_the_variables_compose_sees() {
    let env = env_with_environments(
        "[tasks.show]\nrun = \"env | sort > seen.txt; mkdir -p $INDICO_DIR/backups\"\n\n\
         [tasks.pinned]\nenvironment = \"testing\"\nrun = \"env | sort > pinned.txt\"\n",
    );
    env.write(
        ".env",
        "INDICO_DIR=indico\nFROM_FILE=file\nSHELL_WINS=file\nSECRET=s3cret\n",
    );
    env.xtask(["show"]).env("SHELL_WINS", "shell").ok();
    let seen = env.read("seen.txt");
    for line in [
        "INDICO_DIR=indico",
        "FROM_FILE=file",
        "SHELL_WINS=shell",
        "ENVIRONMENT=development",
        "COMPOSE_PROJECT_NAME=shop",
    ] {
        assert!(seen.lines().any(|l| l == line), "{line} missing:\n{seen}");
    }
    assert!(
        env.join("indico/backups").is_dir(),
        "mkdir -p $INDICO_DIR/backups went elsewhere"
    );

    // A pinned task gets its environment's values and project.
    env.xtask(["pinned"]).ok();
    let pinned = env.read("pinned.txt");
    for line in [
        "ENVIRONMENT=testing",
        "DEBUG=0",
        "COMPOSE_PROJECT_NAME=shop_testing",
    ] {
        assert!(
            pinned.lines().any(|l| l == line),
            "{line} missing:\n{pinned}"
        );
    }

    // The plan says which environment, and prints no env-file secret.
    let plan = env.xtask(["--dry-run", "pinned"]).ok();
    assert!(
        plan.stdout.contains("# pinned (environment testing)"),
        "{}",
        plan.describe()
    );
    assert!(!plan.stdout.contains("s3cret"), "{}", plan.describe());
}

#[test]
fn built_in_steps_run_in_the_task_environment_unless_they_name_their_own() {
    let env = env_with_environments(
        "[tasks.ship]\nenvironment = \"production\"\nrun = [[\"xtask:up\", \"-d\"], [\"xtask:ps\", \"--env\", \"testing\"]]\n",
    );
    let plan = env.xtask(["--dry-run", "ship"]).ok().stdout;
    let lines: Vec<&str> = plan.lines().filter(|l| l.contains(" -C ")).collect();
    assert_eq!(lines.len(), 2, "{plan}");
    assert!(
        lines[0].contains("--env production") && lines[0].ends_with(" up -d)"),
        "{plan}"
    );
    assert!(
        !lines[1].contains("--env production") && lines[1].ends_with(" ps --env testing)"),
        "{plan}"
    );
}

#[test]
fn project_mistakes_are_check_errors() {
    let env = env_with_environments(
        "[tasks.t]\nenvironment = \"testnig\"\nrun = \"true\"\n\n\
         [environments.staging]\nproject = \"shop-live\"\n",
    );
    env.write(".env", "COMPOSE_PROJECT_NAME=other\n");
    let out = env.xtask(["check"]).fails_with(2);
    for needle in [
        "task `t` runs in environment `testnig`, which tasks.toml does not define",
        "did you mean `testing`?",
        "environments `production` and `staging` would share the compose project `shop-live`",
        "the env files set COMPOSE_PROJECT_NAME=other, but [project] name is `shop`",
    ] {
        assert!(out.stderr.contains(needle), "{needle}\n{}", out.describe());
    }
}

#[test]
fn compose_project_name_in_the_env_file_names_the_stack() {
    let env = Env::new();
    env.write("docker-compose.yml", "services:\n  web:\n    image: x\n");
    env.tasks_toml("[environments.testing]\n");
    env.write(".env", "COMPOSE_PROJECT_NAME=c3s\n");
    env.xtask(["--dry-run", "up"])
        .ok()
        .stdout_has("compose -p c3s ");
    env.xtask(["--env", "testing", "--dry-run", "up"])
        .ok()
        .stdout_has("compose -p c3s_testing ");
}

#[test]
fn required_variables_refuse_before_anything_starts() {
    let env = Env::new();
    env.write("docker-compose.yml", "services:\n  web:\n    image: x\n");
    env.tasks_toml(
        "[project]\nenv_files = [\".env\"]\nrequired_env = [\"DB_PASSWORD\", \"SECRET_KEY\", \"SET\"]\n\n\
         [tasks.inside]\nin = \"web\"\nrun = \"true\"\n",
    );
    env.repos_toml("[[copy]]\nfrom = \".env.example\"\nto = \".env\"\n");
    env.write(".env.example", "DB_PASSWORD=\nSET=1\n");

    // Before `update`: the env file is missing, and the message says which copy makes it.
    env.xtask(["up", "-d"])
        .fails_with(2)
        .stderr_has("the env file .env does not exist")
        .stderr_has("run `cargo xtask update`: it copies .env.example to .env");

    env.write(".env", "DB_PASSWORD=\nSET=1\n");
    for args in [
        vec!["up", "-d"],
        vec!["run", "web"],
        vec!["exec", "web", "true"],
        vec!["restart"],
        vec!["scale", "web=2"],
        vec!["inside"],
    ] {
        let out = env.xtask(&args).fails_with(2);
        assert!(
            out.stderr.contains(
                "required variables not set: DB_PASSWORD, SECRET_KEY ([project] required_env); nothing was started"
            ) && out
                .stderr
                .contains("set them in .env (made from .env.example by `cargo xtask update`)"),
            "{args:?}\n{}",
            out.describe()
        );
    }
    // The shell and the environment's env count; empty does not.
    let out = env.xtask(["--dry-run", "up"]).ok();
    assert!(out.stdout.contains(" up"), "{}", out.describe());
    let out = env
        .xtask(["up", "-d"])
        .env("DB_PASSWORD", "pw")
        .env("SECRET_KEY", " ")
        .fails_with(2);
    assert!(
        out.stderr
            .contains("required variable not set: SECRET_KEY ("),
        "{}",
        out.describe()
    );
}

#[test]
fn a_repo_follows_the_pin_of_the_active_environment() {
    let remotes = crate::git_fixture::Remotes::new();
    let app = remotes.create("portal");
    let master = app.head();
    app.checkout_new_branch("develop");
    let develop = app.commit("feature.txt", "new\n");
    app.push("develop");
    app.checkout("main");
    git_push_main_as_master(&app);

    let env = Env::new();
    env.tasks_toml(
        "[project]\ndefault_environment = \"development\"\n\n\
         [environments.development]\n[environments.production]\n",
    );
    env.repos_toml(&format!(
        "[[repo]]\nname = \"portal\"\nurl = \"{}\"\nbranch = \"develop\"\n\n\
         [repo.environments.production]\nbranch = \"master\"\n",
        app.url()
    ));
    env.xtask(["update"]).ok();
    let repo = env.join("shared/src/portal");
    assert_eq!(
        crate::git_fixture::head_of(&repo),
        (Some("develop".into()), develop)
    );
    env.xtask(["--env", "production", "status"])
        .ok()
        .stdout_has("branch master");
    env.xtask(["--env", "production", "update"])
        .ok()
        .stderr_has("switched develop -> master");
    assert_eq!(
        crate::git_fixture::head_of(&repo),
        (Some("master".into()), master)
    );

    // A pin for an environment tasks.toml does not know is a check error.
    env.repos_toml(&format!(
        "[[repo]]\nname = \"portal\"\nurl = \"{}\"\n\n[repo.environments.prod]\nbranch = \"master\"\n",
        app.url()
    ));
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("repos.toml:5:20: repo `portal` has a pin for environment `prod`");
}

fn git_push_main_as_master(app: &crate::git_fixture::Remote) {
    crate::git_fixture::git(&app.work, &["push", "-q", "origin", "main:master"]);
}
