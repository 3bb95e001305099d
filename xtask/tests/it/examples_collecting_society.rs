//! examples/collecting-society: the C3S seed's README workflow as xtask
//! commands. `check` passes; every documented command's `--dry-run` plan
//! (through Compose v1, the seed's `docker-compose`) holds the seed's own
//! command line and is snapshotted beside it; README.md shows each pair;
//! the stack comes up, lists, answers and goes down on the engine.

use std::path::Path;

use crate::engine::{http_get, leftovers_of, require_engine, wait_for};
use crate::examples::{checks_offline, copy_example, Down};
use crate::harness::Env;
use crate::images_command::plan_text;

/// One line of the example's README table: the seed's command, ours, and
/// the words of the seed's command our plan must contain.
pub struct Row {
    pub seed: &'static str,
    pub xtask: &'static [&'static str],
    pub expect: &'static [&'static str],
}

/// Runs every row's command with `--dry-run`, checks its plan holds the
/// seed's words and that README.md shows the pair; returns the snapshot.
pub fn compare(env: &Env, example: &str, rows: &[Row]) -> String {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(example)
            .join("README.md"),
    )
    .expect("the example has a README.md");
    let stamp = regex::Regex::new(r"\d{8}T\d{6}(\d{3})?Z").expect("regex");
    // The id that lets Ctrl-C stop a command in its container: new every run.
    let exec_id = regex::Regex::new(r"XTASK_EXEC_ID=[0-9-]+").expect("regex");
    let mut snapshot = String::new();
    for row in rows {
        let typed = format!("cargo xtask {}", row.xtask.join(" "));
        assert!(
            readme.contains(&format!("`{typed}`")),
            "README.md of {example} lacks `{typed}`"
        );
        assert!(
            readme.contains(&format!("`{}`", row.seed)),
            "README.md of {example} lacks the seed's `{}`",
            row.seed
        );
        let out = env
            .xtask(["--dry-run"].iter().chain(row.xtask))
            .env("XTASK_COMPOSE", "docker-compose")
            .ok();
        let plan = stamp
            .replace_all(&plan_text(env, &out.stdout), "<UTC>")
            .into_owned();
        let plan = exec_id
            .replace_all(&plan, "XTASK_EXEC_ID=<id>")
            .into_owned();
        for word in row.expect {
            assert!(
                plan.contains(word),
                "`{typed}` (the seed's `{}`) plans no {word:?}:\n{plan}",
                row.seed
            );
        }
        snapshot.push_str(&format!("seed: {}\n$ {typed}\n{plan}\n", row.seed));
    }
    snapshot
}

const ROWS: &[Row] = &[
    Row {
        seed: "docker-compose build",
        xtask: &["build"],
        expect: &["docker-compose -p c3s -f docker-compose.yml build"],
    },
    Row {
        seed: "docker-compose build --no-cache",
        xtask: &["build", "--no-cache"],
        expect: &["build --no-cache"],
    },
    Row {
        seed: "docker-compose up",
        xtask: &["up"],
        expect: &["docker-compose -p c3s -f docker-compose.yml up"],
    },
    Row {
        seed: "docker-compose run --rm --service-ports portal execute deploy-portal",
        xtask: &["run", "portal"],
        expect: &["run --rm --service-ports", "portal execute deploy-portal"],
    },
    Row {
        seed: "docker-compose run --rm --service-ports api execute deploy-api",
        xtask: &["run", "api"],
        expect: &["run --rm --service-ports", "api execute deploy-api"],
    },
    Row {
        seed: "docker-compose run --rm --service-ports erpserver execute deploy-erpserver",
        xtask: &["run", "erpserver"],
        expect: &["run --rm --service-ports", "erpserver execute deploy-erpserver"],
    },
    Row {
        seed: "docker-compose run --rm portal /bin/bash",
        xtask: &["shell", "portal"],
        expect: &["run --rm", "portal /bin/sh"],
    },
    Row {
        seed: "docker-compose run --rm portal execute --help",
        xtask: &["run", "portal", "execute", "--help"],
        expect: &["run --rm", "portal execute --help"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute update",
        xtask: &["erp-update"],
        expect: &["run --rm", "erpserver sh -e -c 'execute update"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute update -m party,account,collecting_society",
        xtask: &["erp-update", "party,account,collecting_society"],
        expect: &[
            "XTASK_ARG_MODULES=party,account,collecting_society",
            "execute update ${XTASK_ARG_MODULES:+-m \"$XTASK_ARG_MODULES\"}",
        ],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-psql",
        xtask: &["db", "psql"],
        expect: &["run --rm", "erpserver psql", "-h db -U postgres", "-d c3s"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-backup > `date +%F.%T`_DATABASE_NAME.backup",
        xtask: &["db", "backup"],
        expect: &["erpserver pg_dump", "-d c3s >$ROOT/backups/c3s-development-<UTC>.dump"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-delete",
        xtask: &["db", "delete"],
        expect: &["# confirm: ", "DROP DATABASE"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-create",
        xtask: &["db", "setup"],
        expect: &["CREATE DATABASE", "erpserver trytond-admin -c /shared/etc/trytond.conf -d c3s --all"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-test-setup",
        xtask: &["db", "setup", "--test"],
        expect: &["erpserver execute db-test-setup"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-demo-setup",
        xtask: &["db", "setup", "--demo"],
        expect: &["erpserver execute db-demo-setup"],
    },
    Row {
        seed: "docker-compose run --rm erpserver execute db-rebuild",
        xtask: &["db", "rebuild"],
        expect: &["# confirm: Rebuild", "DROP DATABASE", "CREATE DATABASE", "trytond-admin"],
    },
    Row {
        seed: "docker-compose scale portal=2 erpserver=3 db=1",
        xtask: &["scale", "portal=2", "erpserver=3", "db=1"],
        expect: &["--scale 'portal=2' --scale 'erpserver=3' --scale 'db=1'"],
    },
    Row {
        seed: "docker-compose scale erpserver=2",
        xtask: &["scale", "erpserver=2"],
        expect: &["--scale 'erpserver=2'"],
    },
    Row {
        seed: "./show_external_urls",
        xtask: &["urls"],
        expect: &["docker ps", "label=com.docker.compose.project=c3s"],
    },
    Row {
        seed: "docker-compose ps",
        xtask: &["ps"],
        expect: &["label=com.docker.compose.project=c3s"],
    },
    Row {
        seed: "watch ./monitor",
        xtask: &["monitor", "--watch"],
        expect: &["docker stats --no-stream"],
    },
    Row {
        seed: "docker-compose run --rm erpserver sh -c 'execute pip-install erpserver && export DB_NAME=:memory: && python /shared/src/trytond/trytond/tests/run-tests.py -vvvm collecting_society'",
        xtask: &["test-erpserver", "collecting_society"],
        expect: &["execute pip-install erpserver && DB_NAME=:memory: python /shared/src/trytond/trytond/tests/run-tests.py -vvvm collecting_society"],
    },
    Row {
        seed: "docker-compose run --rm --use-aliases -e ENVIRONMENT=testing portal execute create-test-db",
        xtask: &["create-test-db"],
        expect: &["run --rm --use-aliases", "-e 'ENVIRONMENT=testing' portal execute create-test-db"],
    },
    Row {
        seed: "docker-compose run --rm --use-aliases -e ENVIRONMENT=testing portal execute run-tests --path src/portal_web",
        xtask: &["test", "portal", "--path", "src/portal_web"],
        expect: &["-p c3s_testing", "portal execute run-tests --path src/portal_web"],
    },
    Row {
        seed: "docker-compose run --rm --use-aliases -e ENVIRONMENT=testing portal execute run-tests --quiet --pdb",
        xtask: &["test", "portal", "--quiet", "--pdb"],
        expect: &["portal execute run-tests --quiet --pdb"],
    },
    Row {
        seed: "docker-compose run --rm --use-aliases -e ENVIRONMENT=testing portal bash",
        xtask: &["--env", "testing", "shell", "portal"],
        expect: &["-p c3s_testing", "run --rm --service-ports --use-aliases", "portal /bin/sh"],
    },
];

#[test]
fn the_example_checks_without_the_network() {
    checks_offline(
        "collecting-society",
        "Checked tasks.toml (3 tasks) and repos.toml (5 repos): no problems",
    );
}

#[test]
fn every_documented_command_plans_the_seeds_command() {
    require_engine();
    let env = copy_example("collecting-society");
    let snapshot = compare(&env, "collecting-society", ROWS);
    insta::assert_snapshot!("collecting_society_commands", snapshot);
}

#[test]
fn the_stack_comes_up_lists_its_urls_and_goes_down() {
    require_engine();
    let env = copy_example("collecting-society");
    let project = crate::images_command::unique_name(&env);
    let tasks = env.read("tasks.toml").replace(
        "name = \"c3s\"\ncompose_files",
        &format!("name = \"{project}\"\ncompose_files"),
    );
    env.tasks_toml(&tasks);
    let _down = Down {
        env: &env,
        project: project.clone(),
    };

    env.xtask(["up", "-d", "portal", "api", "nginx"]).ok();
    let ps = env.xtask(["ps"]).ok().stdout;
    for service in ["db", "portal", "api", "nginx"] {
        assert!(ps.contains(service), "ps lacks {service}:\n{ps}");
    }
    let urls: serde_json::Value =
        serde_json::from_str(&env.xtask(["urls", "--json"]).ok().stdout).expect("urls --json");
    let port_of = |service: &str| {
        urls.as_array()
            .expect("array")
            .iter()
            .find(|u| u["service"] == service)
            .and_then(|u| u["host_port"].as_u64())
            .unwrap_or_else(|| panic!("no url for {service}: {urls}")) as u16
    };
    for (service, page) in [("portal", "portal (stand-in)"), ("api", "api (stand-in)")] {
        let port = port_of(service);
        let (status, body) = wait_for(
            &format!("{service} on 127.0.0.1:{port}"),
            std::time::Duration::from_secs(30),
            || http_get(port),
        );
        assert_eq!((status, body.trim()), (200, page));
    }
    let text = env.xtask(["urls"]).ok().stdout;
    assert!(text.contains("http://127.0.0.1:"), "{text}");

    env.xtask(["down"]).ok();
    assert!(leftovers_of(&project)
        .iter()
        .all(|l| l.starts_with("volume")));
}
