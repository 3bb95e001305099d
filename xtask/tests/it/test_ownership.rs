//! Which projects `test` may stop or tear down, and `protected` on `down
//! --volumes`: the `test` fixture (tests/fixtures/testing) without its
//! `testing` environment, so that the tests run in the developer's
//! `development` project, whose database holds rows.

use std::process::Command;
use std::time::Duration;

use crate::engine::{leftovers_of, tear_down, wait_for, Stack};

/// The fixture with no `testing` environment and a protected `production`.
fn without_testing() -> Stack {
    let stack = Stack::from_fixture("tests/fixtures/testing");
    let tasks = stack.env.read("tasks.toml").replace(
        "[environments.testing]\nenv = { ENVIRONMENT = \"testing\" }\n",
        "[environments.production]\nprotected = true\n",
    );
    assert!(tasks.contains("[environments.production]"), "{tasks}");
    stack.env.write("tasks.toml", &tasks);
    stack
}

/// The fixture's suite checks that it runs in `testing`: not here.
const OUTSIDE_TESTING: &str = "not runs_in_the_testing_environment";

/// Removes a project the fixture's own teardown does not know (production).
struct Project(String);

impl Drop for Project {
    fn drop(&mut self) {
        tear_down(&self.0);
    }
}

/// IDs of the project's containers (all states), sorted.
fn containers(project: &str) -> Vec<String> {
    docker_ids(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
}

/// The running ones.
fn running(project: &str) -> Vec<String> {
    docker_ids(&[
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
}

fn volumes(project: &str) -> Vec<String> {
    docker_ids(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
}

fn docker_ids(args: &[&str]) -> Vec<String> {
    let out = Command::new("docker").args(args).output().expect("docker");
    assert!(out.status.success(), "docker {args:?}");
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    ids.sort();
    ids
}

/// psql on the `postgres` database of the environment's server; stdout.
fn sql(stack: &Stack, env: &str, query: &str) -> String {
    stack
        .xtask([
            "--env", env, "db", "psql", "postgres", "--", "-X", "-At", "-c", query,
        ])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// Starts `services` of `env` and waits (bounded) until its server answers.
fn start(stack: &Stack, env: &str, services: &[&str]) {
    let mut args = vec!["--env", env, "up", "-d"];
    args.extend(services);
    stack.xtask(args).ok();
    wait_for(
        "the database server to accept connections",
        Duration::from_secs(90),
        || {
            let out = stack
                .xtask([
                    "--env", env, "db", "psql", "postgres", "--", "-c", "select 1",
                ])
                .run();
            if out.code == 0 {
                Ok(())
            } else {
                Err(out.describe())
            }
        },
    );
}

/// 1000 rows in the developer's table `keep`.
fn fill(stack: &Stack, env: &str) {
    sql(
        stack,
        env,
        "create table keep (x int); insert into keep select generate_series(1, 1000)",
    );
}

fn rows(stack: &Stack, env: &str) -> String {
    sql(stack, env, "select count(*) from keep")
}

#[test]
fn test_in_a_running_development_stack_stops_nothing_and_deletes_no_volume() {
    let stack = without_testing();
    let project = stack.project.clone();
    start(&stack, "development", &[]);
    fill(&stack, "development");
    let before = running(&project);
    assert_eq!(before.len(), 3, "db, web and api are up");
    let dbdata = volumes(&project);
    assert_eq!(dbdata.len(), 1, "{dbdata:?}");

    // A plain run: it execs into the running stack and leaves it up.
    let out = stack.xtask(["test", "web", "-k", OUTSIDE_TESTING]).ok();
    assert!(
        out.stderr
            .contains(&format!("project {project} (environment `development`) is not a testing project and was there before this run")),
        "{}",
        out.describe()
    );
    assert!(
        !out.stdout.contains("down  "),
        "no tear-down phase: {}",
        out.describe()
    );
    assert_eq!(running(&project), before, "{}", out.describe());

    // CI, stdin closed: the suites run, nothing is stopped or deleted.
    let out = stack.xtask(["test", "--ci", "-k", OUTSIDE_TESTING]).ok();
    assert!(
        !out.stderr.contains("Removed") && !out.stdout.contains("Removed"),
        "{}",
        out.describe()
    );
    assert_eq!(running(&project), before, "{}", out.describe());
    assert_eq!(volumes(&project), dbdata);
    assert_eq!(rows(&stack, "development"), "1000");

    // A `testing` environment whose project is development's owns nothing.
    let tasks = stack.env.read("tasks.toml").replace(
        "[environments.production]\n",
        &format!("[environments.testing]\nproject = \"{project}\"\n\n[environments.production]\n"),
    );
    stack.env.write("tasks.toml", &tasks);
    let plan = stack.xtask(["--dry-run", "test", "--ci"]).ok().stdout;
    assert!(
        plan.contains(&format!(
            "# project {project} (environment `testing`) is not a testing project and was there before this run"
        )) && !plan.contains(" down "),
        "{plan}"
    );
}

#[test]
fn test_ci_stops_what_it_started_but_keeps_the_volume_that_was_there() {
    let stack = without_testing();
    let project = stack.project.clone();
    // Nothing of the project exists: the run would own all of it.
    let plan = stack.xtask(["--dry-run", "test", "--ci"]).ok().stdout;
    assert!(
        plan.contains(" down --volumes --remove-orphans)")
            && !plan.contains("not a testing project"),
        "{plan}"
    );
    start(&stack, "development", &["db"]);
    fill(&stack, "development");
    // The developer's stack is down; its database volume stays.
    stack.xtask(["down"]).ok();
    assert!(containers(&project).is_empty());
    let dbdata = volumes(&project);
    assert_eq!(dbdata.len(), 1, "{dbdata:?}");

    let plan = stack.xtask(["--dry-run", "test", "--ci"]).ok().stdout;
    assert!(
        plan.contains(&format!(
            "# project {project} (environment `development`) is not a testing project: the run stops the containers it starts and keeps its volumes ({})",
            dbdata[0]
        )),
        "{plan}"
    );
    assert!(
        plan.contains(" down --remove-orphans)") && !plan.contains("--volumes"),
        "{plan}"
    );

    let out = stack.xtask(["test", "--ci", "-k", OUTSIDE_TESTING]).ok();
    assert!(
        out.stdout.lines().any(|l| l.starts_with("down  ")),
        "the run tears down what it started: {}",
        out.describe()
    );
    assert!(
        containers(&project).is_empty(),
        "{:?}",
        containers(&project)
    );
    assert_eq!(volumes(&project), dbdata, "{}", out.describe());
    start(&stack, "development", &["db"]);
    assert_eq!(rows(&stack, "development"), "1000");
}

#[test]
fn test_down_outside_a_testing_environment_asks_as_down_volumes_does() {
    let stack = without_testing();
    let project = stack.project.clone();
    let production = Project(format!("{project}_production"));

    // Dry runs show the confirmation each needs.
    let plan = stack.xtask(["--dry-run", "test", "--down"]).ok().stdout;
    assert!(
        plan.starts_with(&format!(
            "# confirm: Delete the named volumes of project {project} (not a testing project)? Their data is lost\n"
        )),
        "{plan}"
    );
    let plan = stack
        .xtask(["--dry-run", "--env", "production", "test", "--down"])
        .ok()
        .stdout;
    assert!(
        plan.starts_with(&format!(
            "# confirm by typing `{0}`: Delete the named volumes of project {0} (not a testing project)? Their data is lost (`production` is protected)\n",
            production.0
        )),
        "{plan}"
    );

    start(&stack, "development", &["db"]);
    fill(&stack, "development");
    let up = running(&project);
    let dbdata = volumes(&project);
    // No terminal, no --yes: refused, nothing touched.
    let out = stack.xtask(["test", "--down"]).fails_with(2);
    assert!(
        out.stderr.contains("Delete the volumes"),
        "{}",
        out.describe()
    );
    assert_eq!(running(&project), up);
    assert_eq!(volumes(&project), dbdata);
    assert_eq!(rows(&stack, "development"), "1000");

    // Protected: --yes is not enough; the typed project name is.
    start(&stack, "production", &["db"]);
    fill(&stack, "production");
    let out = stack
        .xtask(["--yes", "--env", "production", "test", "--down"])
        .fails_with(2);
    assert!(
        out.stderr
            .contains(&format!("pass --confirm {}", production.0)),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack, "production"), "1000");
    let out = stack
        .xtask([
            "--yes",
            "--env",
            "production",
            "test",
            "--down",
            "--confirm",
            &format!("{}x", production.0),
        ])
        .fails_with(2);
    assert!(
        out.stderr.contains("was not confirmed"),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack, "production"), "1000");
    stack
        .xtask([
            "--env",
            "production",
            "test",
            "--down",
            "--confirm",
            &production.0,
        ])
        .ok();
    assert!(leftovers_of(&production.0).is_empty());

    // Unprotected: --yes answers, as for `down --volumes`.
    stack.xtask(["--yes", "test", "--down"]).ok();
    assert!(leftovers_of(&project).is_empty());
}

#[test]
fn down_volumes_in_a_protected_environment_wants_the_project_name_typed() {
    let stack = without_testing();
    let production = Project(format!("{}_production", stack.project));
    let plan = stack
        .xtask(["--dry-run", "--env", "production", "down", "--volumes"])
        .ok()
        .stdout;
    assert!(
        plan.starts_with(&format!(
            "# confirm by typing `{0}`: Delete the named volumes of project {0}? Their data is lost (`production` is protected)\n",
            production.0
        )),
        "{plan}"
    );
    start(&stack, "production", &["db"]);
    fill(&stack, "production");
    let dbdata = volumes(&production.0);
    assert_eq!(dbdata.len(), 1);

    let out = stack
        .xtask(["--yes", "--env", "production", "down", "--volumes"])
        .fails_with(2);
    assert!(
        out.stderr.contains(&format!(
            "type the name exactly, or pass --confirm {}",
            production.0
        )),
        "{}",
        out.describe()
    );
    assert_eq!(volumes(&production.0), dbdata);
    assert_eq!(rows(&stack, "production"), "1000");
    // A wrong name is refused too; the right one goes through.
    stack
        .xtask([
            "--yes",
            "--env",
            "production",
            "down",
            "--volumes",
            "--confirm",
            "production",
        ])
        .fails_with(2)
        .stderr_has("was not confirmed");
    assert_eq!(rows(&stack, "production"), "1000");
    stack
        .xtask([
            "--env",
            "production",
            "down",
            "--volumes",
            "--confirm",
            &production.0,
        ])
        .ok();
    assert!(leftovers_of(&production.0).is_empty());
    // `--confirm` means nothing without --volumes.
    stack
        .xtask(["down", "--confirm", "x"])
        .fails_with(2)
        .stderr_has("--volumes");
}

/// The `test` fixture whose db keeps its cluster in `./pgdata` (a bind
/// mount, as many projects do), its testing environment mounting
/// `testing_source` there instead (compose replaces a mount by target).
fn bind_mounted(testing_source: &str) -> Stack {
    let stack = Stack::from_fixture("tests/fixtures/testing");
    let compose = stack.env.read("docker-compose.yml").replace(
        "      - dbdata:/var/lib/postgresql/data\n",
        "      - ./pgdata:/var/lib/postgresql/data\n",
    );
    stack.env.write("docker-compose.yml", &compose);
    stack.env.write(
        "docker-compose.testing.yml",
        &format!(
            "services:\n  db:\n    volumes:\n      - {testing_source}:/var/lib/postgresql/data\n"
        ),
    );
    let tasks = stack.env.read("tasks.toml").replace(
        "[environments.testing]\n",
        "[environments.testing]\ncompose_files = [\"docker-compose.testing.yml\"]\n",
    );
    stack.env.write("tasks.toml", &tasks);
    std::fs::create_dir_all(stack.env.join("x")).expect("mkdir x");
    stack
}

#[test]
fn a_testing_project_sharing_the_running_development_data_directory_is_refused() {
    let stack = bind_mounted("./x/../pgdata");
    let project = stack.project.clone();
    let testing = format!("{project}_testing");
    start(&stack, "development", &["db"]);
    fill(&stack, "development");
    let up = running(&project);
    let pgdata = stack.env.join("pgdata").canonicalize().expect("pgdata");

    // The same folder spelled another way: refused before anything starts.
    for (args, compose) in [
        (vec!["test", "web"], "docker compose"),
        (vec!["test", "--ci"], "docker compose"),
        (vec!["--dry-run", "test", "web"], "docker compose"),
        (vec!["--env", "testing", "up", "-d", "db"], "docker compose"),
        (vec!["test", "web"], "docker-compose"),
    ] {
        let out = stack
            .xtask(&args)
            .env("XTASK_COMPOSE", compose)
            .fails_with(2);
        for expected in [
            format!("project {testing} (environment `testing`) would share a bind-mounted folder with running project {project}; nothing was started"),
            format!("service `db` would mount {} at /var/lib/postgresql/data", pgdata.display()),
            format!("(service `db` of project {project}) writes {}", pgdata.display()),
            "two servers on one data directory corrupt it".to_string(),
            format!("or stop project {project} first"),
        ] {
            assert!(out.stderr.contains(&expected), "{args:?}: {expected:?} missing\n{}", out.describe());
        }
        assert!(
            leftovers_of(&testing).is_empty(),
            "{args:?}: {:?}",
            leftovers_of(&testing)
        );
    }
    assert_eq!(running(&project), up);
    assert_eq!(rows(&stack, "development"), "1000");
    let databases = sql(
        &stack,
        "development",
        "select string_agg(datname, ',') from pg_database",
    );
    assert!(!databases.contains("web_test"), "{databases}");

    // The other way round: the testing server up on the folder, the
    // development stack is the one refused.
    stack.xtask(["down"]).ok();
    start(&stack, "testing", &["db"]);
    let out = stack.xtask(["up", "-d", "db"]).fails_with(2);
    assert!(
        out.stderr.contains(&format!(
            "project {project} (environment `development`) would share a bind-mounted folder with running project {testing}; nothing was started"
        )),
        "{}",
        out.describe()
    );
    assert!(running(&project).is_empty(), "{:?}", running(&project));
}

#[test]
fn a_link_or_a_parent_folder_of_the_running_data_directory_is_the_same_folder() {
    let stack = bind_mounted("./pgdata-link");
    let project = stack.project.clone();
    let testing = format!("{project}_testing");
    std::os::unix::fs::symlink(stack.env.join("pgdata"), stack.env.join("pgdata-link"))
        .expect("symlink");
    start(&stack, "development", &["db"]);
    let pgdata = stack.env.join("pgdata").canonicalize().expect("pgdata");
    let out = stack.xtask(["test", "web"]).fails_with(2);
    assert!(
        out.stderr.contains(&format!(
            "service `db` would mount {} at /var/lib/postgresql/data (that is {})",
            stack.env.join("pgdata-link").display(),
            pgdata.display()
        )),
        "{}",
        out.describe()
    );
    assert!(leftovers_of(&testing).is_empty());

    // A service mounting the whole environment folder, writable, holds
    // the data directory too.
    stack.env.write(
        "docker-compose.testing.yml",
        "services:\n  db:\n    volumes:\n      - ./pgdata-testing:/var/lib/postgresql/data\n  api:\n    volumes:\n      - .:/env\n",
    );
    let out = stack.xtask(["test", "api"]).fails_with(2);
    assert!(
        out.stderr.contains(&format!(
            "service `api` would mount {} at /env",
            stack.env.path().canonicalize().unwrap().display()
        )) && out.stderr.contains(&format!("writes {}", pgdata.display())),
        "{}",
        out.describe()
    );
    assert!(leftovers_of(&testing).is_empty());

    // Its own folder: the testing server starts beside the running one.
    stack.env.write(
        "docker-compose.testing.yml",
        "services:\n  db:\n    volumes:\n      - ./pgdata-testing:/var/lib/postgresql/data\n",
    );
    start(&stack, "testing", &["db"]);
    assert_eq!(running(&testing).len(), 1);
}

/// Removes a container started outside compose.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

#[test]
fn a_folder_written_by_a_container_of_no_compose_project_is_refused_too() {
    let stack = bind_mounted("./pgdata-testing");
    let testing = format!("{}_testing", stack.project);
    // A stand-alone container writing a folder the web suite would mount.
    let shared = stack.env.join("shared");
    std::fs::create_dir_all(&shared).expect("mkdir shared");
    let name = format!("{}-standalone", stack.project);
    let guard = Container(name.clone());
    let out = Command::new("docker")
        .args(["run", "-d", "--name", &name, "-v"])
        .arg(format!("{}:/data", shared.display()))
        .args(["xtask-test/busybox:1", "sleep", "300"])
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stack.env.write(
        "docker-compose.testing.yml",
        "services:\n  db:\n    volumes:\n      - ./pgdata-testing:/var/lib/postgresql/data\n  web:\n    volumes:\n      - ./shared/../shared/sub:/cache\n",
    );
    let out = stack.xtask(["test", "web"]).fails_with(2);
    for expected in [
        format!("project {testing} (environment `testing`) would share a bind-mounted folder with a running container; nothing was started"),
        format!(
            "service `web` would mount {} at /cache; container {name} (not a compose project's) writes {} at /data",
            shared.canonicalize().unwrap().join("sub").display(),
            shared.display()
        ),
        "overwrite each other's files: give each environment its own, or mount it read-only (`:ro`) in this one".to_string(),
    ] {
        assert!(out.stderr.contains(&expected), "{expected:?} missing\n{}", out.describe());
    }
    assert!(leftovers_of(&testing).is_empty());
    // Read-only in the testing project: a folder nobody treats as data may be read.
    stack.env.write(
        "docker-compose.testing.yml",
        "services:\n  db:\n    volumes:\n      - ./pgdata-testing:/var/lib/postgresql/data\n  web:\n    volumes:\n      - ./shared:/cache:ro\n",
    );
    stack
        .xtask(["test", "web"])
        .ok()
        .stdout_has("test result: ok");
    drop(guard);
}

#[test]
fn a_testing_project_on_the_data_directory_another_environment_declares_is_refused_even_when_it_is_down(
) {
    // The testing environment mounts what development mounts: nothing runs.
    let stack = bind_mounted("./pgdata");
    let project = stack.project.clone();
    let testing = format!("{project}_testing");
    let pgdata = stack.env.path().canonicalize().unwrap().join("pgdata");
    for args in [vec!["test", "web"], vec!["--dry-run", "test", "--ci"]] {
        let out = stack.xtask(&args).fails_with(2);
        for expected in [
            format!("project {testing} (environment `testing`) would share a bind-mounted folder with project {project} (environment `development`); nothing was started"),
            format!(
                "service `db` of project {project} (environment `development`) keeps its data in {} at /var/lib/postgresql/data",
                pgdata.display()
            ),
        ] {
            assert!(out.stderr.contains(&expected), "{args:?}: {expected:?} missing\n{}", out.describe());
        }
    }
    assert!(leftovers_of(&testing).is_empty() && leftovers_of(&project).is_empty());
    assert!(!pgdata.exists(), "nothing made the data directory");
    // Tests run in development itself use its own cluster: not refused.
    stack
        .xtask(["--dry-run", "--env", "development", "test", "web"])
        .ok();
}
