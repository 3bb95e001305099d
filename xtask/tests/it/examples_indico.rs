//! examples/indico: the Indico seed's workflow with xtask. `check` passes;
//! each documented command's `--dry-run` is compared with the seed's own
//! command and kept as a snapshot; the one-time setup and the stack run for
//! real on the engine with the stand-in images.

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use crate::engine::{leftovers_of, require_engine, wait_for, ProjectGuard};
use crate::examples::copy_example;
use crate::harness::Env;

/// Whether `ours` (a line of a plan) makes the call `seed` documents: the
/// same compose subcommand, every option of the seed's, and the same
/// service and command at the end.
pub(crate) fn assert_same_call(seed: &str, ours: &str) {
    let seed: Vec<String> = shell_words::split(seed).expect("seed line");
    let ours_words: Vec<String> =
        shell_words::split(ours.trim_start_matches('(').trim_end_matches(')')).expect("our line");
    let seed_args = &seed[1..];
    for word in seed_args {
        assert!(
            ours_words.contains(word),
            "the seed's `{word}` is not in our call\n seed: {}\n ours: {ours}",
            seed.join(" ")
        );
    }
    let tail = seed_args
        .iter()
        .rev()
        .take_while(|w| !w.starts_with('-'))
        .count()
        .min(seed_args.len() - 1);
    assert_eq!(
        &ours_words[ours_words.len() - tail..],
        &seed_args[seed_args.len() - tail..],
        "the service and command differ\n seed: {}\n ours: {ours}",
        seed.join(" ")
    );
}

/// `--dry-run` of our command, with the root shown as `[ROOT]`.
/// Each seed command beside our command and its `--dry-run` plan: the
/// text of an example's snapshot.
pub(crate) fn side_by_side(env: &Env, pairs: &[(&str, &[&str])]) -> String {
    let mut snapshot = String::new();
    for (seed, ours) in pairs {
        let plan = dry_run(env, ours);
        snapshot.push_str(&format!(
            "seed:  {seed}\nxtask: cargo xtask --dry-run {}\n{plan}\n",
            ours.join(" ")
        ));
    }
    snapshot
}

pub(crate) fn dry_run(env: &Env, args: &[&str]) -> String {
    let mut argv = vec!["--dry-run"];
    argv.extend(args);
    let out = env
        .xtask(&argv)
        .env("XTASK_COMPOSE", "docker compose")
        .env_remove("INDICO_DIR")
        .env_remove("INDICO_OWNER")
        .env_remove("INDICO_DB_PASSWORD")
        .ok();
    out.stdout
        .replace(&env.path().to_string_lossy().into_owned(), "[ROOT]")
}

/// The seed's commands and ours, side by side as in the example's README.
const SIDE_BY_SIDE: [(&str, &[&str]); 7] = [
    ("sudo mkdir -p $INDICO_DIR ... && sudo chown -R indico.daemon $INDICO_DIR\n       docker-compose run --no-deps --rm indico-worker make-config", &["init"]),
    ("openssl req -x509 -nodes -newkey rsa:4096 -subj /CN=indico.slac.stanford.edu ...", &["certs"]),
    ("psql -U postgres: CREATE ROLE indico ...; CREATE DATABASE indico ...; CREATE EXTENSION unaccent; CREATE EXTENSION pg_trgm", &["db", "create"]),
    ("docker-compose run --rm indico-worker indico db prepare", &["db-prepare"]),
    ("docker-compose up -d", &["up", "-d"]),
    ("docker-compose up -d indico-worker indico-httpd", &["up", "-d", "indico-worker", "indico-httpd"]),
    ("docker-compose logs indico-worker", &["logs", "indico-worker"]),
];

#[test]
fn the_indico_example_checks() {
    copy_example("indico")
        .xtask(["check"])
        .ok()
        .stderr_has("no problems");
}

#[test]
fn the_indico_commands_make_the_seeds_calls() {
    let env = copy_example("indico");
    let snapshot = side_by_side(&env, &SIDE_BY_SIDE);
    // The calls the seed spells out, made the same way (options in any order).
    let init = dry_run(&env, &["init"]);
    let make_config = init
        .lines()
        .find(|l| l.contains("make-config") && !l.starts_with('#'))
        .expect("make-config in the init plan");
    assert_same_call(
        "docker-compose run --no-deps --rm indico-worker make-config",
        make_config,
    );
    assert!(
        init.contains("chown indico:daemon -- /opt/indico-docker\n")
            || init.contains("run as root: chown indico:daemon -- /opt/indico-docker\n")
    );
    for folder in ["backups", "ssl", "postgres"] {
        assert!(
            init.contains(&format!("mkdir -p -- /opt/indico-docker/{folder}"))
                || init.contains(&format!("-- /opt/indico-docker/{folder}\n")),
            "{folder}\n{init}"
        );
    }
    let prepare = dry_run(&env, &["db-prepare"]);
    let prepare = prepare
        .lines()
        .find(|l| l.contains("indico db prepare"))
        .expect("db prepare");
    assert_same_call(
        "docker-compose run --rm indico-worker indico db prepare",
        prepare,
    );
    for (seed, ours) in [
        ("docker-compose up -d", &["up", "-d"][..]),
        (
            "docker-compose up -d indico-worker indico-httpd",
            &["up", "-d", "indico-worker", "indico-httpd"][..],
        ),
        (
            "docker-compose logs indico-worker",
            &["logs", "indico-worker"][..],
        ),
    ] {
        let plan = dry_run(&env, ours);
        let line = plan
            .lines()
            .find(|l| l.contains("docker compose"))
            .expect("a compose call");
        // `-d` is `--detach` in our plans.
        assert_same_call(&seed.replace(" -d", " --detach"), line);
    }
    insta::assert_snapshot!("indico_side_by_side", snapshot);
}

#[test]
fn indico_setup_and_stack_run_on_the_engine() {
    require_engine();
    let env = copy_example("indico");
    let outside = tempfile::tempdir().expect("tempdir");
    let indico_dir = outside.path().join("indico-docker");
    let project = format!(
        "indico-{}",
        env.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_lowercase()
            .replace(['.', '_'], "-")
    );
    let tasks = env
        .read("tasks.toml")
        .replace("name = \"indico\"", &format!("name = \"{project}\""));
    env.tasks_toml(&tasks);
    let _guard = ProjectGuard(project.clone());
    let xtask = |args: &[&str]| {
        env.xtask(args)
            .env("INDICO_DIR", &indico_dir)
            .env("INDICO_OWNER", "nobody")
            .env("INDICO_USER", "65534:1")
    };

    let first = xtask(&["init"]).ok();
    assert!(
        first.stderr.contains("Running step make-config"),
        "{}",
        first.describe()
    );
    let etc = indico_dir.join("data/etc");
    let conf =
        std::fs::read_to_string(etc.join("indico.conf")).expect("make-config wrote indico.conf");
    assert!(conf.contains("SQLALCHEMY_DATABASE_URI"));
    assert!(etc.join("logging.yaml").is_file());
    let as_root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    for folder in ["", "backups", "ssl", "postgres", "data", "scratch"] {
        if !as_root {
            break;
        }
        let meta = std::fs::metadata(indico_dir.join(folder)).expect(folder);
        assert_eq!(
            (meta.uid(), meta.gid()),
            (65534, 1),
            "{folder} is indico's (nobody here) and daemon's"
        );
    }
    // make-config ran as INDICO_USER: its files belong to that user.
    assert_eq!(
        std::fs::metadata(etc.join("indico.conf")).unwrap().uid(),
        65534
    );

    // A second run changes nothing and says so; an edited config stays.
    std::fs::write(etc.join("indico.conf"), "# edited\n").unwrap();
    xtask(&["init"]).ok().stderr_has("nothing to do");
    assert_eq!(
        std::fs::read_to_string(etc.join("indico.conf")).unwrap(),
        "# edited\n"
    );

    xtask(&["certs"]).ok();
    let key = indico_dir.join("ssl/indico.key");
    assert_eq!(std::fs::metadata(&key).unwrap().mode() & 0o777, 0o600);

    xtask(&["up", "-d", "indico-worker", "indico-httpd"]).ok();
    wait_for("the indico stack to run", Duration::from_secs(60), || {
        let ps = xtask(&["ps", "--json"]).run();
        let running = ["indico-db", "indico-redis", "indico-worker", "indico-httpd"]
            .iter()
            .all(|s| ps.stdout.contains(&format!("\"{s}\"")));
        if running {
            Ok(())
        } else {
            Err(ps.stdout)
        }
    });
    // The seed's psql session: role, database, extensions.
    wait_for(
        "the database server to accept connections",
        Duration::from_secs(90),
        || {
            let list = xtask(&["db", "list"]).run();
            if list.code == 0 {
                Ok(())
            } else {
                Err(list.stderr)
            }
        },
    );
    xtask(&["db", "create"])
        .env("INDICO_DB_PASSWORD", "indico-db-password")
        .ok()
        .stdout_has("created database indico")
        .stdout_has("created role indico");
    let extensions = xtask(&[
        "db",
        "psql",
        "--",
        "-A",
        "-t",
        "-c",
        "select string_agg(extname, ',' order by extname) from pg_extension",
    ])
    .ok();
    assert!(
        extensions.stdout.contains("pg_trgm") && extensions.stdout.contains("unaccent"),
        "{}",
        extensions.describe()
    );
    xtask(&["db-prepare"])
        .ok()
        .stdout_has("indico (stand-in) db prepare");
    xtask(&["down"]).ok();
    assert!(
        leftovers_of(&project).is_empty(),
        "down left {:?}",
        leftovers_of(&project)
    );
}
