//! examples/overwatch: Overwatch's docker workflow as xtask commands.
//! `check` passes; the documented commands' `--dry-run` plans hold the
//! seed's `docker build --build-arg PYTHON_VERSION=... -f Dockerfile.build`
//! and tags and are snapshotted; both stages are built for real for two
//! Python versions (base first), tagged for a release, and the app image
//! serves the config it was given through Compose v1.

use std::time::Duration;

use crate::engine::{http_get, require_engine, wait_for};
use crate::examples::{checks_offline, copy_example, Down};
use crate::examples_collecting_society::{compare, Row};
use crate::harness::Env;
use crate::images_command::{docker, images_named, unique_name, ImagesGone};

const ROWS: &[Row] = &[
    Row {
        seed: "docker build --build-arg PYTHON_VERSION=2.7.15 -f Dockerfile.build .",
        xtask: &["images", "build", "overwatch-base"],
        expect: &[
            "docker build --build-arg 'PYTHON_VERSION=2.7.15' --tag rehlers/overwatch-base:py2.7.15 --file docker/Dockerfile.build -- docker",
            "docker build --build-arg 'PYTHON_VERSION=3.6.6' --tag rehlers/overwatch-base:py3.6.6 --file docker/Dockerfile.build -- docker",
        ],
    },
    Row {
        seed: "docker build --build-arg PYTHON_VERSION=2.7.15 -f Dockerfile .",
        xtask: &["images", "build", "overwatch", "--tag", "master"],
        expect: &[
            "--tag rehlers/overwatch-base:py2.7.15 --file docker/Dockerfile.build",
            "docker build --build-arg 'PYTHON_VERSION=2.7.15' --tag rehlers/overwatch:master-py2.7.15 --file docker/Dockerfile -- docker",
            "--tag rehlers/overwatch:master-py3.6.6",
        ],
    },
    Row {
        seed: "docker tag <secondImageID> overwatch:master-py2.7.15",
        xtask: &["images", "build", "overwatch", "--no-deps", "--tag", "master"],
        expect: &["--tag rehlers/overwatch:master-py2.7.15"],
    },
    Row {
        seed: "overwatch:X.Y-py2.7.15",
        xtask: &["images", "tag", "--tag", "1.2", "overwatch"],
        expect: &[
            "docker tag -- rehlers/overwatch:latest-py2.7.15 rehlers/overwatch:1.2-py2.7.15",
            "docker tag -- rehlers/overwatch:latest-py3.6.6 rehlers/overwatch:1.2-py3.6.6",
        ],
    },
    Row {
        seed: "overwatch:latest-py2.7.15",
        xtask: &["images", "push"],
        expect: &[
            "docker push -- rehlers/overwatch:latest-py2.7.15",
            "docker push -- rehlers/overwatch-base:py3.6.6",
        ],
    },
    Row {
        seed: "docker run --rm -it -v ${PWD}/data:/opt/overwatch/data -v ${PWD}/overwatch:/opt/overwatch/overwatch -v ${PWD}/exec:/opt/overwatch/exec -e config -e gridCert -e gridKey rehlers/overwatch:latest-py3.6.6 /bin/bash",
        xtask: &["shell", "overwatch"],
        expect: &["run --rm --service-ports", "overwatch /bin/sh"],
    },
    Row {
        seed: "overwatchDeploy -e config",
        xtask: &["deploy"],
        expect: &["overwatch overwatchDeploy -e config"],
    },
];

#[test]
fn the_example_checks_without_the_network() {
    checks_offline(
        "overwatch",
        "Checked tasks.toml (1 task) and repos.toml (1 repo): no problems",
    );
}

#[test]
fn every_documented_command_plans_the_seeds_command() {
    require_engine();
    let env = copy_example("overwatch");
    let snapshot = compare(&env, "overwatch", ROWS);
    insta::assert_snapshot!("overwatch_commands", snapshot);
}

/// The example with its images under a name of this test's own.
fn own_copy() -> (Env, String) {
    let env = copy_example("overwatch");
    let unique = unique_name(&env);
    for file in ["tasks.toml", "docker/Dockerfile", "docker-compose.yml"] {
        let text = env.read(file).replace("rehlers/", &format!("{unique}/"));
        let text = if file == "tasks.toml" {
            text.replace(
                "name = \"overwatch\"\ncompose_files",
                &format!("name = \"{unique}\"\ncompose_files"),
            )
        } else {
            text
        };
        env.write(file, &text);
    }
    (env, unique)
}

#[test]
fn both_stages_build_per_python_version_then_tag_and_serve() {
    require_engine();
    let (env, unique) = own_copy();
    let _gone = ImagesGone {
        needle: unique.clone(),
    };
    let _down = Down {
        env: &env,
        project: unique.clone(),
    };

    let out = env.xtask(["images", "build"]).ok();
    let order: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("note: build "))
        .collect();
    assert_eq!(
        order,
        [
            "overwatch-base (PYTHON_VERSION=2.7.15)",
            "overwatch-base (PYTHON_VERSION=3.6.6)",
            "overwatch (PYTHON_VERSION=2.7.15)",
            "overwatch (PYTHON_VERSION=3.6.6)",
        ],
        "{}",
        out.describe()
    );
    for version in ["2.7.15", "3.6.6"] {
        let built = docker(&[
            "run",
            "--rm",
            &format!("{unique}/overwatch:latest-py{version}"),
            "cat",
            "/python-version",
        ]);
        assert_eq!(built.trim(), version);
    }

    env.xtask(["images", "tag", "--tag", "1.2"]).ok();
    let mut tags: Vec<String> = images_named(&unique)
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|r| r.replacen(&format!("{unique}/"), "", 1))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            "overwatch-base:py2.7.15",
            "overwatch-base:py3.6.6",
            "overwatch:1.2-py2.7.15",
            "overwatch:1.2-py3.6.6",
            "overwatch:latest-py2.7.15",
            "overwatch:latest-py3.6.6",
        ]
    );

    // The release image, its config from the shell as the seed's `-e config`.
    let config = "dataFolder: data\nwebApp: true";
    env.xtask(["up", "-d", "overwatch"])
        .env("XTASK_COMPOSE", "docker-compose")
        .env("OVERWATCH_TAG", "1.2")
        .env("PYTHON_VERSION", "2.7.15")
        .env("config", config)
        .ok();
    let urls: serde_json::Value =
        serde_json::from_str(&env.xtask(["urls", "--json"]).ok().stdout).expect("urls --json");
    let port = urls
        .as_array()
        .and_then(|a| a.iter().find(|u| u["service"] == "overwatch"))
        .and_then(|u| u["host_port"].as_u64())
        .unwrap_or_else(|| panic!("no url for overwatch: {urls}")) as u16;
    let (status, body) = wait_for(
        &format!("overwatch on 127.0.0.1:{port}"),
        Duration::from_secs(30),
        || http_get(port),
    );
    assert_eq!(status, 200);
    assert_eq!(body, format!("overwatch 2.7.15 (stand-in)\n{config}\n"));
    env.xtask(["down"])
        .env("XTASK_COMPOSE", "docker-compose")
        .ok();
}

/// The seed's `export config="$(cat deployConfig.yaml)"`: in the `deploy`
/// environment compose gets the file's content as `config`, which plans
/// and `env` never print.
#[test]
fn the_deploy_environment_reads_config_from_deploy_config_yaml() {
    let env = copy_example("overwatch");
    let content =
        std::fs::read_to_string(env.join("deployConfig.yaml")).expect("deployConfig.yaml");
    let merged = env.xtask(["--env", "deploy", "config"]).ok().stdout;
    assert!(merged.contains("webApp: true"), "{merged}");
    let shown = env.xtask(["--env", "deploy", "env"]).ok();
    assert!(
        shown.stdout.contains("deployConfig.yaml"),
        "{}",
        shown.describe()
    );
    assert!(
        !shown.stdout.contains(content.trim()),
        "{}",
        shown.describe()
    );
    let plan = env.xtask(["--env", "deploy", "--dry-run", "deploy"]).ok();
    assert!(!plan.stdout.contains("webApp: true"), "{}", plan.describe());
}
