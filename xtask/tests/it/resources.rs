//! Resources: big generated files stay cheap (functional checks here; the
//! timings are bench/config_scale.sh's), recursion through the binary
//! stops, compose include cycles are refused, and a low open-files limit
//! lowers the parallelism instead of failing repos.

use std::process::Command;

use crate::git_fixture::{git, Remotes};
use crate::harness::{binary, Env};

#[test]
fn twenty_thousand_tasks_list_in_order_with_their_lines() {
    let env = Env::new();
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "[tasks.t{i:05}]\nrun = \"echo {i}\"\ndescription = \"task {i}\"\n"
        ));
    }
    env.tasks_toml(&text);
    let out = env.xtask(["--list"]).ok();
    let first = out.stdout.find("t00000").expect("the first task is listed");
    let last = out.stdout.find("t19999").expect("the last task is listed");
    assert!(first < last);
    assert_eq!(out.stdout.matches("  task ").count(), 20_000);
    let json = env.xtask(["--json", "--list"]).ok();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("--list --json");
    let tasks = value["tasks"].as_array().expect("tasks");
    assert_eq!(tasks[19_999]["defined_at"], "tasks.toml:59998");
}

fn inherits_chain(length: usize) -> String {
    let mut text = String::from("[project]\ndefault_environment = \"e0\"\n\n");
    for i in 0..length {
        text.push_str(&format!("[environments.e{i}]\n"));
        if i + 1 < length {
            text.push_str(&format!("inherits = \"e{}\"\n", i + 1));
        }
        text.push_str(&format!("env = {{ V{i} = \"{i}\" }}\n"));
    }
    text
}

#[test]
fn an_inherits_chain_is_bounded_and_checked_in_one_pass() {
    let env = Env::new();
    // 64 deep is allowed; every variable of the chain arrives.
    env.tasks_toml(&inherits_chain(64));
    env.xtask(["check"]).ok();
    env.xtask(["env"]).ok().stdout_has("env: V63=63");

    // 4,000 deep: refused at once, naming the bound and where the chain crosses it.
    env.tasks_toml(&inherits_chain(4000));
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("inherits through more than 64 environments");
    env.xtask(["env"])
        .fails_with(2)
        .stderr_has("more than 64 environments");

    // Thousands of environments in short chains: fine.
    let mut text = String::from("[project]\ndefault_environment = \"e0\"\n\n");
    for i in 0..3000 {
        text.push_str(&format!("[environments.e{i}]\n"));
        if (i + 1) % 50 != 0 {
            text.push_str(&format!("inherits = \"e{}\"\n", i + 1));
        }
    }
    env.tasks_toml(&text);
    env.xtask(["check"]).ok();

    // A cycle is still named, at each of its members.
    env.tasks_toml(
        "[environments.a]\ninherits = \"b\"\n[environments.b]\ninherits = \"c\"\n[environments.c]\ninherits = \"a\"\n[environments.d]\ninherits = \"a\"\n",
    );
    let out = env.xtask(["check"]).fails_with(2);
    for chain in ["a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"] {
        assert!(out.stderr.contains(chain), "{chain}\n{}", out.describe());
    }
}

#[test]
fn a_task_recursing_through_the_binary_stops_at_the_bound() {
    let env = Env::new();
    let bin = binary();
    env.tasks_toml(&format!(
        "[tasks.a]\nrun = \"'{bin}' b\"\n[tasks.b]\nrun = \"'{bin}' a\"\n",
        bin = bin.display()
    ));
    let out = env.xtask(["a"]).run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        out.stderr
            .contains("xtask is running inside itself 32 levels deep")
            && out.stderr.contains("a -> b -> a"),
        "{}",
        out.describe()
    );
    // A task that calls xtask once is not recursion.
    env.tasks_toml(&format!(
        "[tasks.outer]\nrun = \"'{bin}' inner\"\n[tasks.inner]\nrun = \"echo inner ran\"\n",
        bin = bin.display()
    ));
    env.xtask(["outer"]).ok().stdout_has("inner ran");
}

#[test]
fn a_compose_include_cycle_is_refused_by_check_naming_its_files() {
    let env = Env::new();
    env.write(
        "compose.yaml",
        "include: [b.yml]\nservices:\n  a: {image: xtask-test/none}\n",
    );
    // The same file spelled another way is still the same file.
    env.write(
        "b.yml",
        "include: [./sub/../compose.yaml]\nservices:\n  b: {image: xtask-test/none}\n",
    );
    std::fs::create_dir_all(env.join("sub")).unwrap();
    env.xtask(["check"]).fails_with(2).stderr_has(
        "compose files include each other in a cycle: compose.yaml -> b.yml -> compose.yaml",
    );
    // Compose agrees.
    let compose = Command::new("docker")
        .args(["compose", "config"])
        .current_dir(env.path())
        .output()
        .expect("docker compose");
    assert!(!compose.status.success());
    // Without the cycle, check passes.
    env.write("b.yml", "services:\n  b: {image: xtask-test/none}\n");
    env.xtask(["check"]).ok();
}

#[test]
fn a_low_open_files_limit_lowers_the_jobs_instead_of_failing_repos() {
    let remotes = Remotes::new();
    let first = remotes.create("r0");
    let mut repos = String::new();
    for i in 0..100 {
        let url = if i == 0 {
            first.url()
        } else {
            let bare = first.bare.with_file_name(format!("r{i}.git"));
            git(
                first.bare.parent().unwrap(),
                &[
                    "clone",
                    "-q",
                    "--bare",
                    &first.url(),
                    bare.to_str().unwrap(),
                ],
            );
            bare.to_string_lossy().into_owned()
        };
        repos.push_str(&format!(
            "[[repo]]\nname = \"r{i}\"\nurl = \"{url}\"\nbranch = \"main\"\n\n"
        ));
    }
    let env = Env::new();
    env.repos_toml(&repos);
    let run = |args: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n 64 && exec \"$0\" {args}"))
            .arg(binary())
            .current_dir(env.path())
            .env("NO_COLOR", "1")
            .env_remove("XTASK_JOBS")
            .output()
            .expect("run xtask under ulimit");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success() && !stderr.contains("Too many open files"),
            "{args}: {stderr}"
        );
        stderr
    };
    let cloned = run("-v -j 1024 update");
    assert!(cloned.contains("100 cloned"), "{cloned}");
    assert!(
        cloned.contains("jobs at once instead of 1024: the open-files limit is 64"),
        "{cloned}"
    );
    let again = run("-j 1024 update");
    assert!(again.contains("100 up to date"), "{again}");
}

#[test]
fn parallel_tasks_under_a_low_open_files_limit_all_run() {
    let env = Env::new();
    let names: Vec<String> = (0..200).map(|i| format!("\"t{i}\"")).collect();
    let mut text = format!(
        "[tasks.all]\ndepends = [{}]\nrun = \"echo all done\"\n",
        names.join(", ")
    );
    for i in 0..200 {
        text.push_str(&format!("[tasks.t{i}]\nrun = \"echo ran-{i}\"\n"));
    }
    env.tasks_toml(&text);
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" -v -j 1024 all")
        .arg(binary())
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run xtask under ulimit");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for i in 0..200 {
        assert!(
            stdout.contains(&format!("ran-{i}\n")),
            "t{i} did not run\n{stderr}"
        );
    }
    assert!(stdout.contains("all done"), "{stdout}");
    assert!(stderr.contains("jobs at once instead of 1024"), "{stderr}");
}
