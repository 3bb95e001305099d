//! examples/camcops: the CamCOPS seed's workflow with xtask. `check`
//! passes; nothing starts while one of its three must-set variables is
//! unset (the refusal names them); the generated config is an `init` step
//! whose stdout becomes the file; the stack runs for real through Compose
//! v1 with the stand-in images.

use std::time::Duration;

use crate::engine::ProjectGuard;
use crate::engine::{http_get, leftovers_of, require_engine, wait_for};
use crate::examples::copy_example;
use crate::examples_indico::{assert_same_call, dry_run, side_by_side};
use crate::harness::Env;

const REQUIRED: [&str; 3] = [
    "CAMCOPS_DOCKER_CONFIG_DIR",
    "CAMCOPS_DOCKER_MYSQL_CAMCOPS_USER_PASSWORD",
    "CAMCOPS_DOCKER_MYSQL_ROOT_PASSWORD",
];

fn without_required(env: &Env, args: &[&str]) -> crate::harness::Xtask {
    let mut run = env.xtask(args).env("XTASK_COMPOSE", "docker compose");
    for name in REQUIRED {
        run = run.env_remove(name);
    }
    run
}

#[test]
fn the_camcops_example_checks() {
    copy_example("camcops")
        .xtask(["check"])
        .ok()
        .stderr_has("no problems");
}

#[test]
fn camcops_refuses_to_start_naming_its_three_required_variables() {
    let env = copy_example("camcops");
    let up = without_required(&env, &["up", "-d"]).fails_with(2);
    // The same refusal before the config is generated in a container.
    let init = without_required(&env, &["init"]).fails_with(2);
    assert_eq!(up.stderr, init.stderr);
    assert!(!env.join("config/camcops.conf").exists());
    insta::assert_snapshot!("camcops_refusal", up.stderr);
}

#[test]
fn the_camcops_commands_make_the_seeds_calls() {
    let env = copy_example("camcops");
    let snapshot = side_by_side(
        &env,
        &[
            (
                "camcops_server demo_camcops_config --docker > camcops.conf",
                &["init"][..],
            ),
            ("docker-compose up", &["up"][..]),
            ("docker-compose up -d", &["up", "-d"][..]),
        ],
    );
    let init = dry_run(&env, &["init"]);
    let step = init
        .lines()
        .find(|l| l.contains("demo_camcops_config"))
        .expect("the config step");
    // The seed's redirection is our output file, written whole: no shell.
    assert!(step.ends_with(" >[ROOT]/config/camcops.conf)"), "{step}");
    let call = step.split(" >").next().unwrap().to_string() + ")";
    assert_same_call(
        "docker-compose run --rm camcops_server camcops_server demo_camcops_config --docker",
        &call,
    );
    let up = dry_run(&env, &["up", "-d"]);
    assert_same_call("docker-compose up --detach", up.lines().next().unwrap());
    insta::assert_snapshot!("camcops_side_by_side", snapshot);
}

#[test]
fn camcops_config_and_stack_run_on_the_engine_with_compose_v1() {
    require_engine();
    let env = copy_example("camcops");
    let project = format!(
        "camcops-{}",
        env.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_lowercase()
            .replace(['.', '_'], "-")
    );
    let dotenv = env.read(".env").replace(
        "COMPOSE_PROJECT_NAME=camcops",
        &format!("COMPOSE_PROJECT_NAME={project}"),
    );
    env.write(".env", &dotenv);
    let _guard = ProjectGuard(project.clone());
    let (https, flower, mysql) = (
        crate::engine::free_port(),
        crate::engine::free_port(),
        crate::engine::free_port(),
    );
    let xtask = |args: &[&str]| {
        env.xtask(args)
            .env("XTASK_COMPOSE", "docker-compose")
            .env("CAMCOPS_DOCKER_CONFIG_DIR", "./config")
            .env("CAMCOPS_DOCKER_MYSQL_CAMCOPS_USER_PASSWORD", "camcops-pw")
            .env("CAMCOPS_DOCKER_MYSQL_ROOT_PASSWORD", "root-pw")
            .env("CAMCOPS_DOCKER_HTTPS_HOST_PORT", https.to_string())
            .env("CAMCOPS_DOCKER_FLOWER_HOST_PORT", flower.to_string())
            .env("CAMCOPS_DOCKER_MYSQL_HOST_PORT", mysql.to_string())
            .env("CAMCOPS_DOCKER_MYSQL_IMAGE", "xtask-local/mariadb:10.11")
    };

    xtask(&["init"]).ok().stderr_has("Made config/camcops.conf");
    let config = env.read("config/camcops.conf");
    assert!(
        config.starts_with("# Demonstration CamCOPS config")
            && config.contains("CELERY_BROKER_URL = amqp://rabbitmq:5672/"),
        "{config}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.join("config/camcops.conf"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640, "the step's `mode`");
    }
    // The user edits it; init never generates it again.
    env.write("config/camcops.conf", &format!("{config}# edited\n"));
    xtask(&["init"]).ok().stderr_has("nothing to do");
    assert!(env.read("config/camcops.conf").ends_with("# edited\n"));

    xtask(&["up", "-d"]).ok();
    let (status, body) = wait_for(
        "the CamCOPS server to answer",
        Duration::from_secs(60),
        || http_get(https),
    );
    assert_eq!((status, body.trim()), (200, "camcops"));
    let ps = xtask(&["ps", "--json"]).ok();
    for service in [
        "mysql",
        "rabbitmq",
        "camcops_server",
        "camcops_scheduler",
        "camcops_workers",
        "camcops_monitor",
    ] {
        assert!(
            ps.stdout.contains(&format!("\"{service}\"")),
            "{service} not running\n{}",
            ps.describe()
        );
    }
    // The seed's database through `db`: the engine read from the image,
    // a backup and a restore of the CamCOPS database.
    xtask(&["describe"]).ok().stdout_has(
        "engine:             mariadb (the image of service `mysql`: xtask-local/mariadb:10.11)",
    );
    wait_for("the database server", Duration::from_secs(120), || {
        let out = xtask(&["db", "list"]).run();
        (out.code == 0 && out.stdout.contains("camcops"))
            .then_some(())
            .ok_or_else(|| out.describe())
    });
    let sql = |statement: &str| {
        xtask(&[
            "db",
            "shell",
            "--",
            "-N",
            "-B",
            &format!("--execute={statement}"),
        ])
        .ok()
        .stdout
        .trim()
        .to_string()
    };
    sql("CREATE TABLE patient (id int PRIMARY KEY); INSERT INTO patient VALUES (1), (2)");
    xtask(&["db", "backup", "-o", "camcops.sql.zst"]).ok();
    sql("INSERT INTO patient VALUES (3)");
    xtask(&["--yes", "db", "restore", "camcops.sql.zst"])
        .ok()
        .stdout_has("restored database camcops");
    assert_eq!(
        sql("SELECT group_concat(id ORDER BY id) FROM patient"),
        "1,2"
    );
    xtask(&["--yes", "down", "--volumes"]).ok();
    assert!(
        leftovers_of(&project).is_empty(),
        "down left {:?}",
        leftovers_of(&project)
    );
}
