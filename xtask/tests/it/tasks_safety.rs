//! Safety of the task runner and its command line: an interrupt stops the
//! whole invocation, arguments cannot inject commands, `xtask:` steps call
//! built-ins only, folders stay inside the root, flags parse strictly, and
//! what tasks.toml says reaches the terminal without escape sequences.

use std::path::Path;

use crate::harness::Env;

fn exists(env: &Env, file: &str) -> bool {
    Path::new(&env.join(file)).exists()
}

// --- the command line -------------------------------------------------------

#[test]
fn a_huge_or_zero_job_count_is_a_usage_error_not_a_panic() {
    let env = Env::new();
    env.tasks_toml("[tasks.a]\nrun = \"true\"\n");
    for jobs in ["4611686018427387904", "0", "1025"] {
        let out = env.xtask(["-j", jobs, "a"]).fails_with(2);
        assert!(
            out.stderr.contains("--jobs") && out.stderr.contains("1..=1024"),
            "{}",
            out.describe()
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.describe());
        let out = env.xtask(["a"]).env("XTASK_JOBS", jobs).fails_with(2);
        assert!(!out.stderr.contains("panicked"), "{}", out.describe());
    }
    env.xtask(["-j", "1024", "a"]).ok();
}

#[test]
fn boolean_environment_twins_accept_the_usual_spellings() {
    let env = Env::new();
    env.tasks_toml("[tasks.wipe]\nconfirm = \"Wipe?\"\nrun = \"touch wiped\"\n");
    env.xtask(["wipe"]).fails_with(2);
    for yes in ["1", "true", "yes", "on", "TRUE"] {
        std::fs::remove_file(env.join("wiped")).ok();
        env.xtask(["wipe"]).env("XTASK_YES", yes).ok();
        assert!(exists(&env, "wiped"), "XTASK_YES={yes} answered yes");
    }
    for no in ["0", "false", "no", "off"] {
        env.xtask(["wipe"]).env("XTASK_YES", no).fails_with(2);
    }
    std::fs::remove_file(env.join("wiped")).ok();
    let plan = env.xtask(["wipe"]).env("XTASK_DRY_RUN", "yes").ok();
    assert!(plan.stdout.contains("touch wiped"), "{}", plan.describe());
    assert!(!exists(&env, "wiped"), "a dry run runs nothing");
    env.xtask(["wipe"])
        .env("XTASK_DRY_RUN", "0")
        .env("XTASK_YES", "on")
        .ok();
    assert!(exists(&env, "wiped"));
    let listing = env.xtask(Vec::<String>::new()).env("XTASK_JSON", "1").ok();
    assert!(
        listing.stdout.trim_start().starts_with('{'),
        "{}",
        listing.describe()
    );
    let quiet = env
        .xtask(["--dry-run", "wipe"])
        .env("XTASK_QUIET", "yes")
        .ok();
    assert!(quiet.stderr.is_empty(), "{}", quiet.describe());
    env.xtask(["wipe"])
        .env("XTASK_YES", "maybe")
        .fails_with(2)
        .stderr_has("invalid value 'maybe'");
}
