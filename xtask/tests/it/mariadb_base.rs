//! The local MariaDB base (`offline/build-bases`: xtask-local/mariadb:10.11)
//! keeps the official mariadb/mysql images' contract, so stacks written for
//! those images run offline: root's password, the database, the user and
//! its password from MARIADB_*/MYSQL_* variables (quoted as data, whatever
//! they hold), the init scripts run once on an empty volume, a clean
//! shutdown on `docker stop`, and a refusal without a root password option.

use crate::engine::{require_engine, tear_down, wait_for};
use crate::harness::Env;
use std::process::{Command, Output};
use std::time::Duration;

const IMAGE: &str = "xtask-local/mariadb:10.11";
const ROOT_PASSWORD: &str = "r00t'\"$(touch /tmp/pwned)`x`";
const DATABASE: &str = "app-db`x";
const USER_PASSWORD: &str = "pa'ss word\\";

fn compose(env: &Env, project: &str, args: &[&str]) -> Output {
    Command::new("docker")
        .args(["compose", "-p", project, "-f"])
        .arg(env.join("docker-compose.yml"))
        .args(args)
        .output()
        .expect("docker compose")
}

fn succeeds(env: &Env, project: &str, args: &[&str]) -> String {
    let out = compose(env, project, args);
    assert!(
        out.status.success(),
        "docker compose {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A query as `app` over TCP inside the container, the password in the
/// container's MYSQL_PWD (never on the command line).
fn query_as_app(env: &Env, project: &str, sql: &str) -> String {
    succeeds(
        env,
        project,
        &[
            "exec",
            "-T",
            "db",
            "mariadb",
            "-h",
            "127.0.0.1",
            "-u",
            "app",
            "-N",
            "-B",
            "-e",
            sql,
            "--",
            DATABASE,
        ],
    )
}

struct Project(String);

impl Drop for Project {
    fn drop(&mut self) {
        tear_down(&self.0);
    }
}

#[test]
fn the_local_mariadb_base_keeps_the_official_images_contract() {
    require_engine();
    let found = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        found,
        "{IMAGE} is missing: run offline/build-bases (.ci/run does)"
    );

    let env = Env::new();
    let project = Project(format!("{}-mariadb", env.project_name()));
    env.write(
        "initdb/01-schema.sql",
        "CREATE TABLE greeting (v varchar(20));\nINSERT INTO greeting VALUES ('hello');\n",
    );
    env.write(
        "initdb/02-runs.sh",
        "mariadb -uroot -e 'CREATE TABLE runs (n int); INSERT INTO runs VALUES (1)' -- \"$MYSQL_DATABASE\"\n",
    );
    env.write(
        "docker-compose.yml",
        &format!(
            r#"services:
  db:
    image: {IMAGE}
    environment:
      MYSQL_ROOT_PASSWORD: {root}
      MYSQL_DATABASE: {database}
      MARIADB_USER: app
      MARIADB_PASSWORD: {password}
      MYSQL_PWD: {password}
    volumes:
      - data:/var/lib/mysql
      - ./initdb:/docker-entrypoint-initdb.d:ro
    healthcheck:
      test: ["CMD", "healthcheck.sh"]
      interval: 1s
      retries: 120
  bare:
    image: {IMAGE}
    profiles: ["bare"]
volumes:
  data:
"#,
            root = json(ROOT_PASSWORD).replace('$', "$$"),
            database = json(DATABASE),
            password = json(USER_PASSWORD),
        ),
    );

    succeeds(&env, &project.0, &["up", "-d", "--wait", "db"]);
    // The database and the user as named, the init scripts run (SQL and sh).
    assert_eq!(
        query_as_app(&env, &project.0, "SELECT v FROM greeting"),
        "hello\n"
    );
    assert_eq!(
        query_as_app(&env, &project.0, "SELECT count(*) FROM runs"),
        "1\n"
    );
    // Root's password is the variable's value, taken as data.
    let root = succeeds(
        &env,
        &project.0,
        &[
            "exec",
            "-T",
            "-e",
            &format!("MYSQL_PWD={ROOT_PASSWORD}"),
            "db",
            "mariadb",
            "-h",
            "127.0.0.1",
            "-uroot",
            "-N",
            "-B",
            "-e",
            "SELECT current_user()",
        ],
    );
    assert!(root.starts_with("root@"), "logged in as {root}");
    let pwned = compose(
        &env,
        &project.0,
        &["exec", "-T", "db", "test", "-e", "/tmp/pwned"],
    );
    assert!(!pwned.status.success(), "a password was run as a command");

    // docker stop ends the server cleanly (its stop signal), and the data
    // outlives the container without the init scripts running again.
    succeeds(&env, &project.0, &["stop", "db"]);
    let logs = succeeds(&env, &project.0, &["logs", "--no-color", "db"]);
    assert!(
        logs.contains("Shutdown complete"),
        "the server was not shut down cleanly:\n{logs}"
    );
    succeeds(&env, &project.0, &["up", "-d", "--wait", "db"]);
    wait_for("the restarted server", Duration::from_secs(60), || {
        let out = compose(&env, &project.0, &["exec", "-T", "db", "healthcheck.sh"]);
        out.status
            .success()
            .then_some(())
            .ok_or_else(|| "not healthy".to_string())
    });
    assert_eq!(
        query_as_app(&env, &project.0, "SELECT count(*) FROM runs"),
        "1\n"
    );
    let logs = succeeds(&env, &project.0, &["logs", "--no-color", "db"]);
    assert!(
        !logs.contains("Access denied"),
        "the healthcheck's probes were refused logins:\n{logs}"
    );

    // Without a root password option an empty volume is not initialised.
    let bare = compose(
        &env,
        &project.0,
        &["--profile", "bare", "run", "--rm", "-T", "bare"],
    );
    assert!(!bare.status.success(), "started without a root password");
    assert!(
        String::from_utf8_lossy(&bare.stderr).contains("MARIADB_ROOT_PASSWORD"),
        "no hint: {}",
        String::from_utf8_lossy(&bare.stderr)
    );
}

/// A YAML double-quoted scalar holding `text` (JSON's escapes are YAML's).
fn json(text: &str) -> String {
    serde_json::to_string(text).expect("json string")
}
