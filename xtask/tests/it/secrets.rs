//! Secrets never printed: `env` shows `***` unless `--show-secrets` is
//! typed, git's own messages lose their passwords, dry runs and `-v` lines
//! are masked, and our own sentences are left as they are.

use crate::harness::Env;

const SECRETS: [&str; 7] = [
    "pg-pw-777",
    "k-123456",
    "db-pw-5",
    "eyJ.abc123",
    "tok3n",
    "hunter22",
    "svc-cred-9",
];

fn environment_with_secrets() -> Env {
    let env = Env::new();
    env.tasks_toml(
        r#"[project]
default_environment = "development"

[environments.development]
env = { POSTGRES_PASSWORD = "pg-pw-777", API_KEY = "k-123456", DATABASE_URL = "postgres://app:db-pw-5@db:5432/shop", AUTH = "Bearer eyJ.abc123", REPO = "https://tok3n@github.com/o/r.git", db_pass = "hunter22", GOOGLE_CREDENTIALS = "svc-cred-9", PORT = "8080", ADMIN = "postgres://admin@db:5432/x" }
"#,
    );
    env
}

fn leaked(text: &str) -> Vec<&'static str> {
    SECRETS.into_iter().filter(|s| text.contains(s)).collect()
}

#[test]
fn env_masks_secrets_unless_show_secrets_is_typed() {
    let env = environment_with_secrets();
    let out = env.xtask(["env"]).ok();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        leaked(&all).is_empty(),
        "{:?}\n{}",
        leaked(&all),
        out.describe()
    );
    for line in [
        "env: POSTGRES_PASSWORD=***",
        "env: API_KEY=***",
        "env: AUTH=***",
        "env: db_pass=***",
        "env: GOOGLE_CREDENTIALS=***",
        "env: DATABASE_URL=postgres://app:***@db:5432/shop",
        "env: REPO=https://***@github.com/o/r.git",
        "env: PORT=8080",
        // A user without a password is no secret.
        "env: ADMIN=postgres://admin@db:5432/x",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{}", out.describe());
    }

    let json = env.xtask(["--json", "env"]).ok();
    assert!(leaked(&json.stdout).is_empty(), "{}", json.describe());
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("env --json");
    assert_eq!(value["env"]["POSTGRES_PASSWORD"], "***");
    assert_eq!(value["env"]["PORT"], "8080");

    let shown = env.xtask(["env", "--show-secrets"]).ok();
    assert!(
        shown.stdout.contains("env: POSTGRES_PASSWORD=pg-pw-777")
            && shown
                .stdout
                .contains("env: DATABASE_URL=postgres://app:db-pw-5@db:5432/shop"),
        "{}",
        shown.describe()
    );
    let shown = env.xtask(["--json", "env", "--show-secrets"]).ok();
    let value: serde_json::Value = serde_json::from_str(&shown.stdout).expect("env --json");
    assert_eq!(value["env"]["POSTGRES_PASSWORD"], "pg-pw-777");

    env.xtask(["env", "--help"])
        .ok()
        .stdout_has("--show-secrets");
}

#[test]
fn dry_runs_and_command_lines_are_masked() {
    let env = environment_with_secrets();
    let tasks = env.read("tasks.toml");
    env.tasks_toml(&format!(
        "{tasks}\n[tasks.connect]\nrun = [\"true\", \"postgres://app:db-pw-5@db/x\", \"--password=hunter22\", \"Authorization: Bearer eyJ.abc123\"]\n"
    ));
    for args in [vec!["--dry-run", "connect"], vec!["-v", "connect"]] {
        let out = env.xtask(&args).ok();
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            leaked(&all).is_empty(),
            "{args:?}: {:?}\n{}",
            leaked(&all),
            out.describe()
        );
        assert!(
            all.contains("postgres://app:***@db/x"),
            "{args:?}\n{}",
            out.describe()
        );
    }
}

#[test]
fn git_messages_lose_the_password_of_any_scheme() {
    let env = Env::new();
    for url in [
        "git://user:secret-git-1@127.0.0.1:9/app.git",
        "ssh://user:secret-git-1@127.0.0.1:9/app.git",
        "https://user:secret-git-1@127.0.0.1:9/app.git",
    ] {
        env.repos_toml(&format!(
            "[[repo]]\nname = \"down\"\nurl = \"{url}\"\nbranch = \"main\"\n"
        ));
        for args in [
            vec!["update"],
            vec!["-v", "update"],
            vec!["--dry-run", "update"],
        ] {
            let out = env.xtask(&args).run();
            let all = format!("{}{}", out.stdout, out.stderr);
            assert!(
                !all.contains("secret-git-1"),
                "{url} {args:?} leaked\n{}",
                out.describe()
            );
        }
    }
    // git's own words for a git:// url carry the user and host, without the password.
    env.repos_toml(
        "[[repo]]\nname = \"down\"\nurl = \"git://user:secret-git-1@127.0.0.1:9/app.git\"\nbranch = \"main\"\n",
    );
    let out = env.xtask(["update", "--transport", "cli"]).run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        out.stderr.contains("user:***@127.0.0.1"),
        "{}",
        out.describe()
    );
}

#[test]
fn our_sentences_are_not_taken_for_secrets() {
    let env = Env::new();
    env.write("pw.example", "x\n");
    env.repos_toml(
        "[[copy]]\nfrom = \"pw.example\"\nto = \"admin-password\"\n\n\
         [[copy]]\nfrom = \"pw.example\"\nto = \"DB_PASSWORD\"\n",
    );
    let out = env.xtask(["update"]).ok();
    for line in [
        "Copied pw.example to admin-password",
        "review admin-password, DB_PASSWORD: new copies of their examples",
    ] {
        assert!(out.stderr.contains(line), "{line}\n{}", out.describe());
    }
    assert!(!out.stderr.contains("***"), "{}", out.describe());
}

#[test]
fn compose_messages_quoting_a_secret_value_are_masked() {
    let env = Env::new();
    env.write(".env", "POSTGRES_PASSWORD=pg-pw-777\n").write(
        "compose.yaml",
        "services:\n  db:\n    image: xtask-test/none\n    ports: [\"${POSTGRES_PASSWORD}\"]\n",
    );
    for args in [vec!["up"], vec!["doctor"], vec!["-v", "up"]] {
        let out = env.xtask(&args).run();
        assert_ne!(out.code, 0, "{args:?}\n{}", out.describe());
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !all.contains("pg-pw-777"),
            "{args:?} leaked\n{}",
            out.describe()
        );
        assert!(
            all.contains("invalid containerPort: ***"),
            "{args:?}\n{}",
            out.describe()
        );
    }
}

#[test]
fn config_masks_the_environment_s_secrets_unless_asked() {
    let env = Env::new();
    env.write(
        ".env",
        "POSTGRES_PASSWORD=pg-pw-777\nDATABASE_URL=postgres://app:db-pw-5@db:5432/shop\n",
    )
    .write(
        "compose.yaml",
        "services:\n  db:\n    image: xtask-test/none\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      DATABASE_URL: ${DATABASE_URL}\n      PORT: \"8080\"\n",
    );
    let out = env.xtask(["config"]).ok();
    assert!(leaked(&out.stdout).is_empty(), "{}", out.describe());
    for line in [
        "POSTGRES_PASSWORD: ***",
        "DATABASE_URL: postgres://app:***@db:5432/shop",
        "PORT: \"8080\"",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{}", out.describe());
    }
    env.xtask(["config", "--show-secrets"])
        .ok()
        .stdout_has("POSTGRES_PASSWORD: pg-pw-777");
}
