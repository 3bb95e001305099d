//! `db ...` against a real Postgres (the fixture's `db` service), through
//! the real binary, without a terminal: round trips through backups and
//! snapshots, and the refusals that keep a database safe.

use std::fs::{File, OpenOptions};
use std::io::Write;

use crate::engine::Stack;

/// The fixture's database when `[db]` names none: the project's name.
fn start(stack: &Stack) {
    stack
        .xtask(["up", "--wait", "--wait-timeout", "90", "db"])
        .ok();
}

/// The rows of `t` in `db`, as psql prints them unaligned.
fn rows(stack: &Stack, db: &str) -> String {
    stack
        .xtask([
            "db",
            "psql",
            db,
            "--",
            "-At",
            "-c",
            "select string_agg(x::text, ',' order by x) from t",
        ])
        .ok()
        .stdout
        .trim()
        .to_string()
}

pub(crate) fn psql(stack: &Stack, db: &str, sql: &str) {
    stack.xtask(["db", "psql", db, "--", "-c", sql]).ok();
}

/// `docker compose` on the fixture's project, outside xtask.
fn compose(stack: &Stack, args: &[&str]) {
    let out = std::process::Command::new("docker")
        .args(["compose", "-p", &stack.project, "-f", "docker-compose.yml"])
        .args(args)
        .current_dir(stack.env.path())
        .output()
        .expect("docker compose");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits (bounded) until `count` sessions on `db` run a query containing `what`.
pub(crate) fn wait_for_sessions(stack: &Stack, db: &str, what: &str, count: usize) {
    let sql = format!(
        "select count(*) from pg_stat_activity where datname = '{db}' and query like '%{what}%' and pid <> pg_backend_pid()"
    );
    crate::engine::wait_for(
        &format!("{count} session(s) on {db} running {what}"),
        std::time::Duration::from_secs(30),
        || {
            let out = stack
                .xtask(["db", "psql", "postgres", "--", "-At", "-c", &sql])
                .run();
            match out.stdout.trim().parse::<usize>() {
                Ok(n) if n >= count => Ok(()),
                _ => Err(out.describe()),
            }
        },
    );
}

/// Adds to the fixture's tasks.toml.
/// Runs the command after "to get back:" in what `out` printed (with --yes).
fn get_back(stack: &Stack, out: &crate::harness::Outcome) {
    let back = out
        .stdout
        .lines()
        .find_map(|l| l.split("to get back: cargo xtask ").nth(1))
        .unwrap_or_else(|| panic!("no way back: {}", out.describe()))
        .to_string();
    let mut back: Vec<&str> = back.split(' ').collect();
    back.insert(0, "--yes");
    stack.xtask(&back).ok();
}

pub(crate) fn append_tasks(stack: &Stack, text: &str) {
    let path = stack.env.join("tasks.toml");
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .expect("tasks.toml");
    writeln!(file, "\n{text}").expect("append");
}

/// A running stack whose `[db]` is `shop`, created, holding what `sql`
/// makes (nothing when empty).
pub(crate) fn shop_with(sql: &str) -> Stack {
    let stack = Stack::fixture();
    append_tasks(&stack, "[db]\nname = \"shop\"\n");
    start(&stack);
    stack.xtask(["db", "create"]).ok();
    if !sql.is_empty() {
        psql(&stack, "shop", sql);
    }
    stack
}

/// `db backup -o PATH --format FORMAT`, which must succeed.
pub(crate) fn backup_as(stack: &Stack, path: &std::path::Path, format: &str) {
    stack
        .xtask([
            "db",
            "backup",
            "-o",
            path.to_str().expect("a UTF-8 path"),
            "--format",
            format,
        ])
        .ok();
}

#[test]
fn backup_delete_restore_brings_the_rows_back_in_both_formats() {
    let stack = Stack::fixture();
    append_tasks(
        &stack,
        "[db]\nname = \"shop\"\npassword_env = \"DB_PASSWORD\"\n\
         init = [\"sh\", \"-c\", \"test ${#PGPASSWORD} = 14 && echo password-arrived in $PGDATABASE\"]",
    );
    start(&stack);
    let with_secret = |args: &[&str]| stack.xtask(args).env("DB_PASSWORD", "hunter2-secret");

    let out = with_secret(&["db", "setup"]).ok();
    assert!(
        out.stdout.contains("created database shop"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("password-arrived in shop"),
        "{}",
        out.describe()
    );
    with_secret(&["db", "create"])
        .ok()
        .stdout_has("database shop exists already");
    psql(
        &stack,
        "shop",
        "create table t (x int); insert into t values (1), (2), (3)",
    );

    // psql -c works without a terminal; list --json is valid and names the databases.
    let list = stack.xtask(["db", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(list.stdout.trim()).expect("db list --json");
    let names: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(
        names.contains(&"shop") && names.contains(&"postgres"),
        "{names:?}"
    );

    // Custom format, the default: a dated file under backups/ with its record beside it.
    let out = with_secret(&["-v", "db", "backup"]).ok();
    let combined = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !combined.contains("hunter2"),
        "the password leaked: {combined}"
    );
    let backups: Vec<_> = std::fs::read_dir(stack.env.join("backups"))
        .expect("backups/")
        .map(|e| e.expect("entry").path())
        .collect();
    let dump = backups
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "dump"))
        .expect("a .dump")
        .clone();
    let name = dump.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("shop-development-") && name.ends_with("Z.dump"),
        "{name}"
    );
    let record = std::fs::read_to_string(format!("{}.json", dump.display())).expect("record");
    let record: serde_json::Value = serde_json::from_str(&record).expect("record is JSON");
    assert!(
        record["server_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("15"),
        "{record}"
    );
    assert!(
        record["command"].as_str().unwrap_or("").contains("pg_dump"),
        "{record}"
    );
    assert!(!record.to_string().contains("hunter2"), "{record}");

    stack
        .xtask(["--yes", "db", "delete"])
        .ok()
        .stdout_has("dropped database shop");
    stack
        .xtask(["--yes", "db", "restore", dump.to_str().unwrap()])
        .ok()
        .stdout_has("restored database shop");
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    // --no-backup: the replaced database is renamed aside in the swap's
    // transaction and dropped after it; one left by a run stopped before
    // that drop goes first.
    psql(&stack, "postgres", "create database shop__replaced");
    stack
        .xtask([
            "--yes",
            "db",
            "restore",
            "--no-backup",
            dump.to_str().unwrap(),
        ])
        .ok()
        .stdout_has("dropped the database it replaced");
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    assert!(
        !database_names(&stack)
            .iter()
            .any(|n| n.starts_with("shop__")),
        "{:?}",
        database_names(&stack)
    );
    // Restoring over a database keeps it as a snapshot, renamed in the
    // swap (no copy first), and says how to get back to it.
    psql(&stack, "shop", "insert into t values (4)");
    let out = stack
        .xtask(["--yes", "db", "restore", dump.to_str().unwrap()])
        .ok();
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    assert!(
        out.stdout.contains("snapshot shop__snap_restore-")
            && out.stdout.contains(" taken of shop\n"),
        "{}",
        out.describe()
    );
    get_back(&stack, &out);
    assert_eq!(rows(&stack, "shop"), "1,2,3,4", "the database as it was");
    psql(&stack, "shop", "delete from t where x = 4");
    // The copy pg_restore -j read from is gone from the container.
    let left = stack
        .xtask([
            "exec",
            "db",
            "sh",
            "-c",
            "ls /tmp | grep -c xtask-restore || true",
        ])
        .ok();
    assert_eq!(left.stdout.trim(), "0", "{}", left.describe());

    // Plain SQL, into another database.
    let sql = stack.env.join("shop.sql");
    backup_as(&stack, &sql, "sql");
    assert!(std::fs::read_to_string(&sql)
        .expect("sql dump")
        .contains("CREATE TABLE"));
    stack
        .xtask(["--yes", "db", "restore", sql.to_str().unwrap(), "other"])
        .ok();
    assert_eq!(rows(&stack, "other"), "1,2,3");

    // Gzip-compressed SQL, made by pg_dump itself; a damaged one is refused.
    let gz = stack.env.join("shop.sql.gz");
    backup_as(&stack, &gz, "sql-gz");
    assert_eq!(&std::fs::read(&gz).expect("gz")[..2], &[0x1f, 0x8b]);
    stack
        .xtask(["--yes", "db", "restore", gz.to_str().unwrap(), "third"])
        .ok();
    assert_eq!(rows(&stack, "third"), "1,2,3");
    // Damaged three ways: its trailer cut (all the SQL arrives), cut in the
    // middle (a part arrives, which psql would commit), a byte flipped.
    // Each fails the load as it streams; the database is never swapped.
    psql(&stack, "third", "insert into t values (5)");
    let whole = std::fs::read(&gz).expect("gz");
    let mut flipped = whole.clone();
    flipped[whole.len() / 2] ^= 0xff;
    for damaged in [
        whole[..whole.len() - 8].to_vec(),
        whole[..whole.len() / 2].to_vec(),
        flipped,
    ] {
        std::fs::write(&gz, &damaged).expect("write");
        let out = stack
            .xtask(["--yes", "db", "restore", gz.to_str().unwrap(), "third"])
            .run();
        assert_ne!(out.code, 0, "{}", out.describe());
        assert!(
            out.stderr.contains("the database was not replaced"),
            "{}",
            out.describe()
        );
        assert_eq!(rows(&stack, "third"), "1,2,3,5");
    }

    let corrupt = stack.env.join("corrupt.dump");
    let mut bytes = std::fs::read(&dump).expect("dump");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&corrupt, &bytes).expect("write corrupt dump");
    psql(&stack, "shop", "insert into t values (4)");
    let out = stack
        .xtask(["--yes", "db", "restore", corrupt.to_str().unwrap()])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert_eq!(rows(&stack, "shop"), "1,2,3,4", "the database was touched");
    // Cut inside its table of contents: refused by `pg_restore --list`
    // before the staging database is made.
    let headless = stack.env.join("headless.dump");
    std::fs::write(&headless, &bytes[..60]).expect("write a dump cut in its header");
    let out = stack
        .xtask(["--yes", "db", "restore", headless.to_str().unwrap()])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        out.stderr.contains("the database was not replaced")
            && !out.stdout.contains("created database"),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack, "shop"), "1,2,3,4", "the database was touched");

    // SQL that fails half-way leaves the database as it was.
    let bad = stack.env.join("bad.sql");
    std::fs::write(
        &bad,
        "create table t (x int);\ninsert into t values (7);\nselect nonsense;\n",
    )
    .expect("bad sql");
    let out = stack
        .xtask(["--yes", "db", "restore", bad.to_str().unwrap()])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert_eq!(rows(&stack, "shop"), "1,2,3,4");

    // A backup whose dump fails leaves no file at the final path.
    let missing = stack.env.join("failed").join("nope.dump");
    let out = stack
        .xtask(["db", "backup", "nope", "-o", missing.to_str().unwrap()])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        !missing.exists(),
        "a failed backup left {}",
        missing.display()
    );
    let left: Vec<_> = std::fs::read_dir(stack.env.join("failed"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a failed backup left {left:?}");

    // The password reaches no output: dry runs, -v, errors.
    for args in [
        vec!["--dry-run", "db", "rebuild"],
        vec!["-v", "--dry-run", "db", "backup"],
        vec!["-v", "db", "psql", "--", "-c", "select nonsense"],
        vec!["-v", "db", "restore", "no-such-file.dump"],
    ] {
        let out = with_secret(&args).run();
        let combined = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !combined.contains("hunter2"),
            "{args:?} leaked the password: {combined}"
        );
        assert!(
            args[0] != "--dry-run" || combined.contains("-e PGPASSWORD"),
            "{args:?} does not pass the password by name: {combined}"
        );
    }
}

#[test]
fn snapshots_rebuild_refusals_and_the_lock() {
    let stack = Stack::fixture();
    append_tasks(
        &stack,
        "[db]\nname = \"app\"\n\n[environments.testing.db]\nname = \"app_test\"",
    );
    start(&stack);
    stack.xtask(["db", "create"]).ok();
    psql(
        &stack,
        "app",
        "create table t (x int); insert into t values (1), (2)",
    );

    // Snapshot, change, restore: the old rows are back; the command says how.
    stack
        .xtask(["db", "snapshot", "--name", "first"])
        .ok()
        .stderr_has("db snapshot restore first");
    psql(&stack, "app", "delete from t");
    stack.xtask(["db", "snapshot", "--name", "empty"]).ok();
    psql(&stack, "app", "insert into t values (9)");
    let list = stack.xtask(["db", "snapshot", "list"]).ok();
    assert!(
        list.stdout.contains("first") && list.stdout.contains("empty"),
        "{}",
        list.describe()
    );
    // A snapshot restore keeps what it replaces, as rebuild and restore do.
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "first"])
        .ok()
        .stdout_has("to get back: cargo xtask db snapshot restore snapshot-restore-");
    assert_eq!(rows(&stack, "app"), "1,2");
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "--latest"])
        .ok();
    assert_eq!(rows(&stack, "app"), "");
    stack.xtask(["db", "snapshot", "rm", "empty"]).ok();
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "--latest"])
        .ok();
    assert_eq!(rows(&stack, "app"), "1,2");
    let out = stack
        .xtask(["--yes", "db", "snapshot", "restore", "nope"])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(out.stderr.contains("no snapshot"), "{}", out.describe());
    assert_eq!(rows(&stack, "app"), "1,2");

    // Snapshots are not databases in the listing.
    let list = stack.xtask(["db", "list"]).ok();
    assert!(!list.stdout.contains("__snap_"), "{}", list.describe());

    // Without a terminal and without --yes, rebuild refuses and touches nothing.
    stack
        .xtask(["db", "rebuild"])
        .fails_with(2)
        .stderr_has("pass --yes");
    assert_eq!(rows(&stack, "app"), "1,2");

    // A second rebuild while one holds the lock is refused, naming the holder.
    let lock_path = stack
        .env
        .join(".xtask")
        .join(format!("db-{}-app.lock", stack.project));
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let mut held = File::create(&lock_path).expect("lock file");
    held.lock().expect("lock");
    writeln!(held, "4242").unwrap();
    stack
        .xtask(["--yes", "db", "rebuild"])
        .fails_with(1)
        .stderr_has("already running (pid 4242)");
    assert_eq!(rows(&stack, "app"), "1,2");
    drop(held);

    // Rebuild with --yes: empty again. Copy, and copy --force.
    stack.xtask(["db", "copy", "app", "app_copy"]).ok();
    assert_eq!(rows(&stack, "app_copy"), "1,2");
    stack.xtask(["db", "copy", "app", "app_copy"]).run().code(3);
    stack
        .xtask(["--yes", "db", "copy", "app", "app_copy", "--force"])
        .ok();

    // A database with an open connection from another container is dropped.
    compose(
        &stack,
        &[
            "run",
            "-d",
            "--rm",
            "--no-deps",
            "db",
            "psql",
            "-h",
            "db",
            "-U",
            "postgres",
            "-d",
            "app_copy",
            "-c",
            "select pg_sleep(300)",
        ],
    );
    wait_for_sessions(&stack, "app_copy", "pg_sleep", 1);
    stack
        .xtask(["--yes", "db", "delete", "app_copy"])
        .ok()
        .stdout_has("dropped database app_copy");

    // A backup interrupted half-way leaves no file: pg_dump waits on a lock
    // another session holds, and we interrupt it there.
    compose(
        &stack,
        &[
            "exec",
            "-d",
            "db",
            "psql",
            "-h",
            "db",
            "-U",
            "postgres",
            "-d",
            "app",
            "-c",
            "begin; lock table t in access exclusive mode; select pg_sleep(300)",
        ],
    );
    wait_for_sessions(&stack, "app", "pg_sleep", 1);
    let out_path = stack.env.join("halfway").join("app.dump");
    let backup = stack
        .xtask(["db", "backup", "app", "-o", out_path.to_str().unwrap()])
        .spawn();
    wait_for_sessions(&stack, "app", "LOCK TABLE", 1);
    crate::harness::send_signal(backup.id(), 15);
    let out = backup.wait_with_output().expect("wait for the backup");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        !out_path.exists(),
        "an interrupted backup left {}",
        out_path.display()
    );
    let left: Vec<_> = std::fs::read_dir(out_path.parent().unwrap())
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "an interrupted backup left {left:?}");
    psql(&stack, "postgres", "select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()");

    // Rebuild takes a snapshot first and says how to get back.
    let rebuilt = stack.xtask(["--yes", "db", "rebuild"]).ok();
    let out = stack
        .xtask([
            "db",
            "psql",
            "app",
            "--",
            "-At",
            "-c",
            "select count(*) from pg_tables where tablename = 't'",
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "0");
    get_back(&stack, &rebuilt);
    assert_eq!(rows(&stack, "app"), "1,2");

    // The testing environment's override names its own database.
    stack
        .xtask(["--env", "testing", "--dry-run", "db", "create"])
        .ok()
        .stdout_has("name=app_test");
}

/// Takes a compose project the fixture does not know of down, however the
/// test ends, and checks that nothing of it is left.
struct ProjectGuard<'a>(String, &'a std::path::Path);

impl Drop for ProjectGuard<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["compose", "-p", &self.0, "-f", "docker-compose.yml"])
            .args(["down", "-v", "--remove-orphans", "--timeout", "1"])
            .current_dir(self.1)
            .output();
        if !std::thread::panicking() {
            let left = crate::engine::leftovers_of(&self.0);
            assert!(left.is_empty(), "project {} left behind: {left:?}", self.0);
        }
    }
}

#[test]
fn a_protected_environment_refuses_yes_alone() {
    let stack = Stack::fixture();
    append_tasks(&stack, "[environments.production]\nprotected = true");
    // Running, so that the refusal tested is the confirmation's; the
    // production project is not the fixture's, so it goes by this guard.
    let _production = ProjectGuard(format!("{}_production", stack.project), stack.env.path());
    stack
        .xtask([
            "--env",
            "production",
            "up",
            "--wait",
            "--wait-timeout",
            "90",
            "db",
        ])
        .ok();
    for args in [
        vec!["--env", "production", "--yes", "db", "delete"],
        vec!["--env", "production", "--yes", "db", "rebuild"],
        vec![
            "--env",
            "production",
            "--yes",
            "db",
            "delete",
            "--confirm",
            "wrong",
        ],
    ] {
        let out = stack.xtask(&args).run();
        assert_eq!(out.code, 2, "{args:?}\n{}", out.describe());
        assert!(
            out.stderr.contains("type") && out.stderr.contains("_production"),
            "{args:?}\n{}",
            out.describe()
        );
    }
    // What it would do says so.
    stack
        .xtask(["--env", "production", "--dry-run", "db", "delete"])
        .ok()
        .stdout_has("# confirm by typing");
}

#[test]
fn names_are_checked_and_config_errors_point_at_tasks_toml() {
    let stack = Stack::fixture();
    stack
        .xtask(["--dry-run", "db", "create", "x;drop table t"])
        .fails_with(2)
        .stderr_has("is not a valid database name");
    append_tasks(
        &stack,
        "[db]\nserver = \"dbb\"\nname = \"1st\"\ninit = []\n\
         roles = [\"indico\", \"bad name\"]\nextensions = [\"1x\"]\nrole_password_env = \"A-B\"",
    );
    let text = std::fs::read_to_string(stack.env.join("tasks.toml")).unwrap();
    let at = |needle: &str| {
        let (line, content) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap();
        format!(
            "tasks.toml:{}:{}",
            line + 1,
            content.find(needle).unwrap() + 1
        )
    };
    let out = stack.xtask(["check"]).run();
    assert_eq!(out.code, 2, "{}", out.describe());
    for needle in [
        "[db] server `dbb` is no service",
        "did you mean `db`?",
        "[db] name `1st` is not a database identifier",
        "[db] init names no command",
        "[db] roles: `bad name` is not a role identifier",
        &at("\"bad name\""),
        "[db] extensions: `1x` is not an extension identifier",
        &at("\"1x\""),
        "[db] role_password_env `A-B` is not a variable name",
        "tasks.toml:",
    ] {
        assert!(out.stderr.contains(needle), "{needle}\n{}", out.describe());
    }
}

#[test]
fn roles_and_extensions_are_set_up_before_init() {
    let stack = Stack::fixture();
    append_tasks(
        &stack,
        "[db]\nname = \"indico\"\nroles = [\"indico\", \"reader\"]\n\
         role_password_env = \"INDICO_DB_PASSWORD\"\nextensions = [\"unaccent\", \"pg_trgm\"]\n\
         init = [\"psql\", \"-X\", \"-At\", \"-c\", \"select 'init sees ' || string_agg(extname, ',' order by extname) from pg_extension where extname <> 'plpgsql'\"]",
    );
    let secret = "s3cret-role-pw";
    stack
        .xtask(["--dry-run", "db", "setup"])
        .env_remove("INDICO_DB_PASSWORD")
        .ok()
        .stdout_has("`INDICO_DB_PASSWORD` ([db] role_password_env) is not set");
    // The plan names the steps, never the password.
    let out = stack
        .xtask(["--dry-run", "db", "setup"])
        .env("INDICO_DB_PASSWORD", secret)
        .ok();
    let combined = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !combined.contains(secret),
        "the password leaked: {combined}"
    );
    for needle in [
        "-v 'role_0=indico' -v 'role_1=reader'",
        "-e XTASK_ROLE_PASSWORD",
        "-d indico -v 'extension_0=unaccent' -v 'extension_1=pg_trgm'",
    ] {
        assert!(combined.contains(needle), "{needle}\n{combined}");
    }
    start(&stack);
    let out = stack
        .xtask(["-v", "db", "setup"])
        .env("INDICO_DB_PASSWORD", secret)
        .ok();
    let combined = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !combined.contains(secret),
        "the password leaked: {combined}"
    );
    for needle in [
        "created role indico",
        "created role reader",
        "extension unaccent is in indico",
        "init sees pg_trgm,unaccent",
    ] {
        assert!(combined.contains(needle), "{needle}\n{}", out.describe());
    }
    let roles = stack
        .xtask([
            "db",
            "psql",
            "postgres",
            "--",
            "-At",
            "-c",
            "select string_agg(rolname || ':' || rolcanlogin || ':' || (rolpassword like 'SCRAM-SHA-256$%'), ',' order by rolname) from pg_authid where rolname in ('indico', 'reader')",
        ])
        .ok();
    assert_eq!(roles.stdout.trim(), "indico:true:true,reader:true:true");
    // Once more: nothing to do, and says so.
    let out = stack
        .xtask(["db", "create"])
        .env("INDICO_DB_PASSWORD", secret)
        .ok();
    assert!(
        out.stdout.contains("role indico exists already")
            && out.stdout.contains("database indico exists already"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_dump_is_streamed_without_a_tty_into_a_file() {
    let stack = Stack::fixture();
    let out = stack
        .xtask(["--dry-run", "db", "backup", "-o", "x.dump"])
        .ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("pg_dump"))
        .unwrap_or_else(|| panic!("{}", out.describe()));
    assert!(line.contains(" -T "), "{line}");
    assert!(
        line.contains("pg_dump -h db -U postgres '--format=custom' '--compress=1' -d"),
        "{line}"
    );
    assert!(line.ends_with("x.dump)"), "{line}");
}

#[test]
fn a_stopped_server_is_named_with_how_to_start_it() {
    let stack = Stack::fixture();
    let out = stack.xtask(["db", "create"]).run();
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr.contains(&format!(
            "the database server `db` is not running in project {}",
            stack.project
        )) && out.stderr.contains("start it with `cargo xtask up -d db`"),
        "{}",
        out.describe()
    );
    assert!(
        !out.stderr.contains("connection refused"),
        "{}",
        out.describe()
    );
    // The plan is still printed.
    stack
        .xtask(["--dry-run", "db", "create"])
        .ok()
        .stdout_has("psql");
    // Once it runs, the same command works.
    start(&stack);
    stack
        .xtask(["db", "create"])
        .ok()
        .stdout_has("created database");
}

/// A fake docker whose `ps` shows the `db` service running (as compose
/// labels it); every other call is logged to `calls.log`.
fn fake_docker_with_db(dir: &std::path::Path) -> String {
    let path = crate::terminal::fake_docker(dir);
    let line = r#"{"ID":"a","Names":"p-db-1","Labels":"com.docker.compose.service=db,com.docker.compose.oneoff=False","State":"running","Status":"Up","Image":"y","Ports":""}"#;
    let script = std::fs::read_to_string(dir.join("docker")).unwrap();
    let script = script.replace("ps*) ;;", &format!("ps*) echo '{line}';;"));
    std::fs::write(dir.join("docker"), script).unwrap();
    path
}

#[test]
fn a_stopped_server_stops_a_command_before_anything_runs() {
    let env = fake_environment("[db]\nname = \"shop\"\n");
    let bin = tempfile::tempdir().unwrap();
    let path = crate::terminal::fake_docker(bin.path());
    let (code, screen) = crate::terminal::on_terminal(&env, "--yes db rebuild", "", Some(path));
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("is not running in project"), "{screen}");
    assert!(!bin.path().join("calls.log").exists(), "something ran");
}

/// An environment whose compose file declares `db`, for runs against a fake docker.
fn fake_environment(tasks: &str) -> crate::harness::Env {
    let env = crate::harness::Env::new();
    env.tasks_toml(tasks);
    env.write("docker-compose.yml", "services:\n  db:\n    image: y\n");
    env
}

#[test]
fn on_a_terminal_no_leaves_the_database_alone_and_yes_runs_the_scripts() {
    let env = fake_environment("[db]\nname = \"shop\"\n");
    let bin = tempfile::tempdir().unwrap();
    let path = fake_docker_with_db(bin.path());
    let calls = bin.path().join("calls.log");
    let (code, screen) = crate::terminal::on_terminal(&env, "db rebuild", "n", Some(path.clone()));
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("Rebuild (delete and recreate) database `shop` in environment"),
        "{screen}"
    );
    assert!(
        !calls.exists(),
        "something ran: {:?}",
        std::fs::read_to_string(&calls)
    );
    let (code, screen) = crate::terminal::on_terminal(&env, "db rebuild", "y", Some(path));
    assert_eq!(code, 0, "{screen}");
    let calls = std::fs::read_to_string(&calls).unwrap();
    // Scripts go through psql without a TTY; the name only as a psql variable.
    // Two: the old database set aside (kept as the snapshot), the new one created.
    let psql: Vec<&str> = calls.lines().filter(|l| l.contains(" psql ")).collect();
    assert_eq!(psql.len(), 2, "{calls}");
    for line in psql {
        // The server runs (the fake's `ps` says so, as container `a`):
        // `docker exec` into it, never a TTY.
        assert!(
            line.contains("docker exec -i ") && !line.contains(" -t "),
            "{line}"
        );
        assert!(
            line.ends_with(
                " a psql -X -q -v ON_ERROR_STOP=1 -h db -U postgres -d postgres -v name=shop -f -"
            ) || line.contains(" a psql -X -q -v ON_ERROR_STOP=1 -h db -U postgres -d postgres -v name=shop -v snapshot=shop__snap_rebuild-"),
            "{line}"
        );
    }
}

#[test]
fn a_protected_environment_wants_the_name_typed() {
    let env =
        fake_environment("[db]\nname = \"live\"\n\n[environments.production]\nprotected = true\n");
    let bin = tempfile::tempdir().unwrap();
    let path = fake_docker_with_db(bin.path());
    let calls = bin.path().join("calls.log");
    let (code, screen) = crate::terminal::on_terminal(
        &env,
        "--env production --yes db delete",
        "y\r",
        Some(path.clone()),
    );
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("Type `live` to go on"), "{screen}");
    assert!(!calls.exists(), "something ran");
    let (code, screen) =
        crate::terminal::on_terminal(&env, "--env production db delete", "live\r", Some(path));
    assert_eq!(code, 0, "{screen}");
    assert!(std::fs::read_to_string(&calls)
        .unwrap()
        .contains("-v name=live"));
}

/// [`fake_docker_with_db`] whose `pg_dump` writes 3,000,000 bytes of `x`
/// and whose restoring psql keeps what it reads in `restored.sql`.
fn fake_docker_streaming(dir: &std::path::Path) -> String {
    let path = fake_docker_with_db(dir);
    let script = std::fs::read_to_string(dir.join("docker")).unwrap();
    let script = script.replace(
        "*) echo \"$0 $*\" >>",
        &format!(
            "*pg_dump*) head -c 3000000 /dev/zero | tr '\\0' x;; *single-transaction*) cat > '{}/restored.sql';; *) echo \"$0 $*\" >>",
            dir.display()
        ),
    );
    std::fs::write(dir.join("docker"), script).unwrap();
    path
}

#[test]
fn backup_and_restore_show_bytes_on_a_terminal_only() {
    let env = fake_environment("[db]\nname = \"shop\"\n");
    let bin = tempfile::tempdir().unwrap();
    let path = fake_docker_streaming(bin.path());
    let (code, screen) = crate::terminal::on_terminal_named(
        &env,
        "db backup -o out.sql --format sql",
        "",
        Some(path.clone()),
        "xterm",
    );
    assert_eq!(code, 0, "{screen}");
    // A count in bytes (how far it got when the last frame was drawn
    // depends on the machine's load; a backup has no total to show).
    assert!(
        screen.contains("backup ")
            && [" B", " KiB", " MiB"]
                .iter()
                .any(|unit| screen.contains(unit)),
        "{screen}"
    );
    // The count went to the terminal, never into the file.
    let dump = std::fs::read(env.path().join("out.sql")).unwrap();
    assert_eq!(dump.len(), 3_000_000);
    assert!(dump.iter().all(|&b| b == b'x'));

    let (code, screen) = crate::terminal::on_terminal_named(
        &env,
        "--yes db restore out.sql --no-backup --partial-ok",
        "",
        Some(path.clone()),
        "xterm",
    );
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("restore ") && screen.contains("/2.86 MiB"),
        "{screen}"
    );
    assert_sealed(&bin.path().join("restored.sql"), &dump);

    // Without a terminal: the same streams, no count.
    std::fs::remove_file(env.path().join("out.sql")).unwrap();
    std::fs::remove_file(env.path().join("out.sql.json")).unwrap();
    let out = env
        .xtask(["db", "backup", "-o", "out.sql", "--format", "sql"])
        .env("PATH", &path)
        .ok();
    assert!(!out.stderr.contains("MiB"), "{}", out.describe());
    assert_eq!(
        std::fs::metadata(env.path().join("out.sql")).unwrap().len(),
        3_000_000
    );
}

/// The loader read `file` byte for byte, then (its last statement ended
/// with `;`) the seal, a statement of its own.
fn assert_sealed(restored: &std::path::Path, file: &[u8]) {
    let restored = std::fs::read(restored).unwrap();
    assert_eq!(&restored[..file.len()], file);
    let seal = String::from_utf8_lossy(&restored[file.len()..]).into_owned();
    assert!(
        seal.starts_with(";\nCOMMENT ON DATABASE \"shop__restoring\" IS '")
            && seal.ends_with("';\n"),
        "{seal}"
    );
}

/// The names `db list --json` gives, sorted.
pub(crate) fn database_names(stack: &Stack) -> Vec<String> {
    let list = stack.xtask(["db", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(list.stdout.trim()).expect("db list --json");
    let mut names: Vec<String> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|d| d["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn zstd_backups_round_trip_and_a_damaged_one_changes_nothing() {
    let stack = shop_with("create table t (x int); insert into t values (1), (2), (3)");

    // SQL compressed on the host (the server's container has no zstd):
    // zstd's magic number, and the rows come back.
    let zst = stack.env.join("shop.sql.zst");
    let zst_arg = zst.to_str().unwrap();
    stack
        .xtask(["db", "backup", "-o", zst_arg, "--format", "sql-zst"])
        .ok();
    let bytes = std::fs::read(&zst).expect("zst");
    assert_eq!(&bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let sql = zstd::decode_all(&bytes[..]).expect("a whole zstd stream");
    assert!(String::from_utf8_lossy(&sql).contains("CREATE TABLE public.t"));
    stack
        .xtask(["--yes", "db", "restore", zst_arg, "other"])
        .ok();
    assert_eq!(rows(&stack, "other"), "1,2,3");

    // A custom dump compressed with zstd elsewhere (`pg_dump -Fc | zstd`).
    let dump = stack.env.join("shop.dump");
    stack
        .xtask(["db", "backup", "-o", dump.to_str().unwrap()])
        .ok();
    let packed = zstd::encode_all(&std::fs::read(&dump).expect("dump")[..], 3).expect("zstd");
    let dump_zst = stack.env.join("shop.dump.zst");
    std::fs::write(&dump_zst, packed).expect("write");
    stack
        .xtask([
            "--yes",
            "db",
            "restore",
            dump_zst.to_str().unwrap(),
            "third",
        ])
        .ok();
    assert_eq!(rows(&stack, "third"), "1,2,3");

    // Each refused, the database, its snapshots and the list of databases
    // as they were: truncated in its one frame (refused when its first
    // bytes are read, before anything is asked or made); cut in a second
    // frame (refused as it streams, in the one pass that also loads it:
    // no seal follows, so the staging database is dropped); corrupt in the
    // middle (the frame's checksum).
    psql(&stack, "other", "insert into t values (4)");
    let mut corrupt = bytes.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    let streamed = "not a whole zstd stream: incomplete frame; the database was not replaced";
    for (damaged, why) in [
        (
            bytes[..bytes.len() - 10].to_vec(),
            "is not a whole zstd stream: incomplete frame; nothing was changed",
        ),
        (cut_in_second_frame(&sql), streamed),
        (corrupt, "not a whole zstd stream"),
    ] {
        std::fs::write(&zst, &damaged).expect("write");
        refused(&stack, &zst, "other", why, "1,2,3,4");
    }
    // A custom dump cut in its second frame: no seal reaches the container,
    // which refuses it before the staging database is made.
    let custom = std::fs::read(&dump).expect("dump");
    std::fs::write(&dump_zst, cut_in_second_frame(&custom)).expect("write");
    refused(&stack, &dump_zst, "third", streamed, "1,2,3");
}

/// `content` as two zstd frames, the second cut short: its first bytes
/// decompress, its end does not.
fn cut_in_second_frame(content: &[u8]) -> Vec<u8> {
    let half = content.len() / 2;
    let mut frames = zstd::encode_all(&content[..half], 3).expect("zstd");
    let second = zstd::encode_all(&content[half..], 3).expect("zstd");
    frames.extend_from_slice(&second[..second.len() - 10]);
    frames
}

#[test]
fn the_restore_of_a_zstd_file_shows_bytes_on_a_terminal_and_the_stream_arrives_whole() {
    let env = fake_environment("[db]\nname = \"shop\"\n");
    let bin = tempfile::tempdir().unwrap();
    let path = fake_docker_streaming(bin.path());
    // Incompressible bytes (xorshift), so the .zst file is as big as its content.
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let data: Vec<u8> = (0..3_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'a' + (state % 26) as u8
        })
        .collect();
    std::fs::write(
        env.path().join("big.sql.zst"),
        zstd::encode_all(&data[..], 19).unwrap(),
    )
    .unwrap();
    let (code, screen) = crate::terminal::on_terminal_named(
        &env,
        "--yes db restore big.sql.zst --no-backup --partial-ok",
        "",
        Some(path),
        "xterm",
    );
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("restore ") && screen.contains("MiB"),
        "{screen}"
    );
    // Decompressed on the host: the loader read the SQL, byte for byte.
    assert_sealed(&bin.path().join("restored.sql"), &data);
}

/// The count of rows in `t` of `db`.
pub(crate) fn count(stack: &Stack, db: &str) -> String {
    stack
        .xtask([
            "db",
            "psql",
            db,
            "--",
            "-At",
            "-c",
            "select count(*) from t",
        ])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// Fails unless no staging database (`__restoring`, `__copying`) is left.
fn no_staging_left(stack: &Stack) {
    let names = database_names(stack);
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("__restoring") || n.ends_with("__copying")),
        "{names:?}"
    );
}

#[test]
fn copy_checks_everything_first_and_keeps_what_it_replaces() {
    let stack = shop_with("create table t (x int); insert into t values (1), (2), (3)");
    stack.xtask(["db", "copy", "shop", "shop2"]).ok();
    psql(&stack, "shop2", "delete from t; insert into t values (9)");

    // A typo in the source: refused before shop2 is touched.
    let out = stack
        .xtask(["--yes", "db", "copy", "shpo", "shop2", "--force"])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        out.stderr.contains("database shpo does not exist"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("dropped"), "{}", out.describe());
    assert_eq!(rows(&stack, "shop2"), "9");
    // Onto itself: refused before anything runs.
    for args in [
        vec!["--yes", "db", "copy", "shop", "shop", "--force"],
        vec!["--yes", "db", "copy", "shop", "shop"],
    ] {
        let out = stack.xtask(&args).run();
        assert_eq!(out.code, 2, "{args:?} {}", out.describe());
        assert!(out.stderr.contains("same database"), "{}", out.describe());
    }
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    // Onto an existing database without --force: refused before the
    // source's sessions are ended.
    stack
        .xtask(["db", "copy", "shop", "shop2"])
        .run()
        .code(3)
        .stderr_has("database shop2 exists already");
    assert_eq!(rows(&stack, "shop2"), "9");
    // --force: copied beside, swapped in, shop2 kept as a snapshot.
    let out = stack
        .xtask(["--yes", "db", "copy", "shop", "shop2", "--force"])
        .ok();
    assert!(
        out.stdout.contains("copied database shop to shop2"),
        "{}",
        out.describe()
    );
    assert_eq!(rows(&stack, "shop2"), "1,2,3");
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    get_back(&stack, &out);
    assert_eq!(rows(&stack, "shop2"), "9", "the way back");
    // --no-backup: nothing kept, nothing left.
    stack
        .xtask([
            "--yes",
            "db",
            "copy",
            "shop",
            "shop2",
            "--force",
            "--no-backup",
        ])
        .ok();
    assert_eq!(rows(&stack, "shop2"), "1,2,3");
    // A snapshot restore is made beside too.
    stack.xtask(["db", "snapshot", "--name", "s1"]).ok();
    psql(&stack, "shop", "insert into t values (4)");
    let restored = stack
        .xtask(["--yes", "db", "snapshot", "restore", "s1"])
        .ok();
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    // ... and keeps what it replaced, with the way back.
    let back: Vec<String> = restored
        .stdout
        .lines()
        .find_map(|line| line.split_once("to get back: cargo xtask "))
        .map(|(_, command)| command.split_whitespace().map(String::from).collect())
        .unwrap_or_else(|| panic!("no way back: {}", restored.describe()));
    let mut again = vec!["--yes".to_string()];
    again.extend(back);
    stack.xtask(&again).ok();
    assert_eq!(rows(&stack, "shop"), "1,2,3,4");
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "s1", "--no-backup"])
        .ok();
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    let out = stack
        .xtask(["--yes", "db", "snapshot", "restore", "nope"])
        .run();
    assert_ne!(out.code, 0);
    assert_eq!(rows(&stack, "shop"), "1,2,3");
    no_staging_left(&stack);
    let names = database_names(&stack);
    assert!(
        !names.iter().any(|n| n.ends_with("__replaced")),
        "{names:?}"
    );
}

/// Restores `file` into `db`, expecting a refusal that says `why`; `db`
/// keeps `before` rows, and no database or snapshot came or went.
fn refused(stack: &Stack, file: &std::path::Path, db: &str, why: &str, before: &str) {
    let databases = database_names(stack);
    let snapshots = stack.xtask(["db", "snapshot", "list", db]).ok().stdout;
    let out = stack
        .xtask(["--yes", "db", "restore", file.to_str().unwrap(), db])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(out.stderr.contains(why), "{why}\n{}", out.describe());
    assert_eq!(rows(stack, db), before, "{}", file.display());
    // Refused before anything changed: no staging database, no snapshot.
    assert_eq!(database_names(stack), databases, "{}", file.display());
    let after = stack.xtask(["db", "snapshot", "list", db]).ok().stdout;
    assert_eq!(after, snapshots, "{}", file.display());
}

#[test]
fn a_sql_restore_swaps_only_a_whole_file_and_runs_no_meta_commands() {
    let stack = shop_with("");
    psql(
        &stack,
        "shop",
        "create table a (y text); insert into a values ('it''s'), (E'back\\\\slash'); \
         create table t (x int); insert into t values (1), (2), (3)",
    );
    stack.xtask(["db", "create", "other"]).ok();
    psql(
        &stack,
        "other",
        "create table t (x int); insert into t values (7)",
    );
    let sql = stack.env.join("shop.sql");
    backup_as(&stack, &sql, "sql");
    let dump = std::fs::read_to_string(&sql).unwrap();
    // Our own dump restores (pg_dump's \restrict lines included).
    stack
        .xtask(["--yes", "db", "restore", sql.to_str().unwrap()])
        .ok()
        .stdout_has("restored database shop");
    assert_eq!(rows(&stack, "shop"), "1,2,3");

    let write = |name: &str, text: &str| {
        let path = stack.env.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    // Empty; cut before its last table; cut inside COPY data.
    refused(
        &stack,
        &write("empty.sql", ""),
        "shop",
        "it is empty",
        "1,2,3",
    );
    let last = dump.find("-- Data for Name: t;").expect("t's data");
    refused(
        &stack,
        &write("cut.sql", &dump[..last]),
        "shop",
        "it was cut",
        "1,2,3",
    );
    let mid = dump.find("2\n3\n").expect("t's rows");
    refused(
        &stack,
        &write("midcopy.sql", &dump[..mid + 2]),
        "shop",
        "inside COPY data",
        "1,2,3",
    );
    // SQL of the user's: refused until --partial-ok says so.
    let own = write(
        "own.sql",
        "create table t (x int);\ninsert into t values (5);\n",
    );
    refused(&stack, &own, "other", "--partial-ok", "7");
    stack
        .xtask([
            "--yes",
            "db",
            "restore",
            own.to_str().unwrap(),
            "other",
            "--partial-ok",
        ])
        .ok();
    assert_eq!(rows(&stack, "other"), "5");
    let empty = stack.env.join("empty.sql");
    stack
        .xtask([
            "--yes",
            "db",
            "restore",
            empty.to_str().unwrap(),
            "scratch",
            "--partial-ok",
        ])
        .ok();
    assert!(database_names(&stack).contains(&"scratch".to_string()));

    // Meta-commands: refused before they reach psql.
    for (name, text) in [
        ("connect.sql", "create table t (x int);\n\\connect shop\ncreate table pwned (x int);\n"),
        ("c.sql", "create table t (x int); \\c shop\ncreate table pwned (x int);\n"),
        ("bang.sql", "create table t (x int);\n\\! touch /tmp/bang\n"),
        ("out.sql", "\\o /tmp/out\nselect 1;\n"),
        ("g.sql", "create table t (x int);\nselect 1 \\g /tmp/g\n"),
        ("copyprog.sql", "create table t (x int);\n\\copy t from program 'touch /tmp/prog'\n"),
        ("gexec.sql", "select 'create table pwned (x int)' \\gexec\n"),
        (
            "hidden.sql",
            "create table t (x int);\ncopy t from stdin;\n1\n\\.\nselect E'it\\'s', $q$ ' $q$; \\! touch /tmp/hidden\n",
        ),
    ] {
        let mut text = text.to_string();
        text.push_str("\n--\n-- PostgreSQL database dump complete\n--\n");
        refused(&stack, &write(name, &text), "other", "meta-command", "5");
        assert_eq!(rows(&stack, "shop"), "1,2,3", "{name}");
    }
    for db in ["shop", "other"] {
        let tables = stack
            .xtask([
                "db",
                "psql",
                db,
                "--",
                "-At",
                "-c",
                "select count(*) from pg_tables where tablename = 'pwned'",
            ])
            .ok();
        assert_eq!(tables.stdout.trim(), "0", "{db}");
    }
    let files = stack
        .xtask([
            "exec",
            "db",
            "sh",
            "-c",
            "ls /tmp/bang /tmp/out /tmp/g /tmp/prog /tmp/hidden 2>/dev/null | wc -l",
        ])
        .ok();
    assert_eq!(files.stdout.trim(), "0", "{}", files.describe());

    // .sql.gz: unpacked on the host, checked the same way; cut, refused.
    let gz = stack.env.join("shop.sql.gz");
    backup_as(&stack, &gz, "sql-gz");
    stack
        .xtask(["--yes", "db", "restore", gz.to_str().unwrap(), "third"])
        .ok();
    assert_eq!(rows(&stack, "third"), "1,2,3");
    let whole = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &whole[..whole.len() / 2]).unwrap();
    psql(&stack, "third", "insert into t values (4)");
    let out = stack
        .xtask(["--yes", "db", "restore", gz.to_str().unwrap(), "third"])
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert_eq!(rows(&stack, "third"), "1,2,3,4");
    no_staging_left(&stack);
}

#[test]
fn backup_never_replaces_a_file_it_did_not_make_without_force() {
    let stack = shop_with("");
    let package_json = stack.env.join("package.json");
    std::fs::write(&package_json, "{\"name\": \"mine\"}\n").unwrap();
    // -o package would write package.json: refused before pg_dump.
    let out = stack.xtask(["db", "backup", "-o", "package"]).run();
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr.contains("package.json exists"),
        "{}",
        out.describe()
    );
    assert!(!stack.env.join("package").exists());
    assert_eq!(
        std::fs::read_to_string(&package_json).unwrap(),
        "{\"name\": \"mine\"}\n"
    );
    // Onto an existing dump, also reached through `..` and a link.
    let first = stack.env.join("first.dump");
    stack
        .xtask(["db", "backup", "-o", first.to_str().unwrap()])
        .ok();
    let original = std::fs::read(&first).unwrap();
    std::os::unix::fs::symlink(&first, stack.env.join("link.dump")).unwrap();
    std::fs::create_dir(stack.env.join("sub")).unwrap();
    for output in ["first.dump", "sub/../first.dump", "link.dump"] {
        let out = stack.xtask(["db", "backup", "-o", output]).run();
        assert_eq!(out.code, 2, "{output}: {}", out.describe());
        assert!(out.stderr.contains("exists"), "{}", out.describe());
    }
    assert_eq!(std::fs::read(&first).unwrap(), original);
    // The dump and its record as one file (a link): refused, even forced.
    std::os::unix::fs::symlink(
        stack.env.join("same.json"),
        stack.env.join("same.json.json"),
    )
    .unwrap();
    let out = stack
        .xtask(["db", "backup", "-o", "same.json", "--force"])
        .run();
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("are one file"), "{}", out.describe());
    // --force: replaced, the old files kept as NAME.~1~.
    stack
        .xtask(["db", "backup", "-o", "first.dump", "--force"])
        .ok();
    assert_eq!(
        std::fs::read(stack.env.join("first.dump.~1~")).unwrap(),
        original
    );
    assert!(stack.env.join("first.dump.json.~1~").exists());
    assert!(stack.env.join("first.dump.json").exists());
}

/// Restores `file` into `shop` and `kill -9`s xtask while psql loads it;
/// the container side must drop the staging database and leave shop alone.
pub(crate) fn killed_mid_stream(stack: &Stack, file: &std::path::Path, before: &str) {
    let child = stack
        .xtask(["--yes", "db", "restore", file.to_str().unwrap()])
        .spawn();
    wait_for_sessions(stack, "shop__restoring", "COPY", 1);
    crate::harness::send_signal(child.id(), 9);
    let _ = child.wait_with_output();
    crate::engine::wait_for(
        "the staging database to be dropped",
        std::time::Duration::from_secs(120),
        || {
            let names = database_names(stack);
            if names.iter().any(|n| n.ends_with("__restoring")) {
                Err(format!("{names:?}"))
            } else {
                Ok(())
            }
        },
    );
    assert_eq!(count(stack, "shop"), before, "{}", file.display());
}

#[test]
fn kill_9_of_xtask_mid_stream_never_swaps_a_part_in() {
    let stack = shop_with(
        "create table t (x int, pad text); insert into t select g, md5(g::text) from generate_series(1, 1500000) g",
    );
    let zst = stack.env.join("big.sql.zst");
    let sql = stack.env.join("big.sql");
    backup_as(&stack, &zst, "sql-zst");
    backup_as(&stack, &sql, "sql");
    psql(&stack, "shop", "delete from t where x > 10");
    killed_mid_stream(&stack, &zst, "10");
    killed_mid_stream(&stack, &sql, "10");
    // Whole, it loads.
    stack
        .xtask([
            "--yes",
            "db",
            "restore",
            sql.to_str().unwrap(),
            "--no-backup",
        ])
        .ok();
    assert_eq!(count(&stack, "shop"), "1500000");
}

/// A `docker` first on PATH that passes every call to the real one; a
/// restore's container call (the one naming `__restoring`) runs `restore`
/// instead, a shell snippet in which `$real` is the real docker.
fn docker_stand_in(dir: &std::path::Path, restore: &str) -> String {
    let real = std::process::Command::new("sh")
        .args(["-c", "command -v docker"])
        .output()
        .expect("docker on PATH");
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    crate::harness::write_executable(
        &dir.join("docker"),
        &format!(
            "#!/bin/sh\nreal='{real}'\ncase \"$*\" in *__restoring*) {restore};; *) exec \"$real\" \"$@\";; esac\n"
        ),
    );
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// [`docker_stand_in`] giving the restore's container call only the first
/// `bytes` bytes of what xtask streams: the file's bytes arrive, the seal
/// after them does not, as when xtask is `kill -9`ed after the last byte.
fn docker_dropping_the_seal(dir: &std::path::Path, bytes: u64) -> String {
    docker_stand_in(dir, &format!("head -c {bytes} | \"$real\" \"$@\""))
}

/// A load that received every byte of the file but not the seal (as when
/// xtask is `kill -9`ed right after the last byte) is never swapped in:
/// for a custom dump (which pg_restore would load) and for SQL (which psql
/// commits at its end of input); nor is a custom dump cut in the middle.
#[test]
fn everything_but_the_seal_is_not_enough_to_swap() {
    let stack = shop_with(
        "create table t (x int, pad text); insert into t select g, md5(g::text) from generate_series(1, 20000) g",
    );
    let dump = stack.env.join("shop.dump");
    let sql = stack.env.join("shop.sql");
    stack
        .xtask(["db", "backup", "-o", dump.to_str().unwrap()])
        .ok();
    backup_as(&stack, &sql, "sql");
    psql(&stack, "shop", "delete from t where x > 5");
    let bin = tempfile::tempdir().unwrap();
    let dump_size = std::fs::metadata(&dump).unwrap().len();
    // What xtask streams of the SQL: all of it but pg_dump's \restrict
    // and \unrestrict lines.
    let sql_size = std::fs::read_to_string(&sql)
        .unwrap()
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .map(|l| l.len() as u64)
        .sum::<u64>();
    for (file, bytes) in [(&dump, dump_size), (&sql, sql_size), (&dump, dump_size / 2)] {
        let path = docker_dropping_the_seal(bin.path(), bytes);
        let out = stack
            .xtask(["--yes", "db", "restore", file.to_str().unwrap()])
            .env("PATH", &path)
            .run();
        assert_ne!(out.code, 0, "{}", out.describe());
        assert!(
            out.stderr.contains("the database was not replaced"),
            "{}",
            out.describe()
        );
        if bytes == dump_size || bytes == sql_size {
            assert!(out.stderr.contains("no seal"), "{}", out.describe());
        }
        assert_eq!(
            count(&stack, "shop"),
            "5",
            "{} cut at {bytes}",
            file.display()
        );
        no_staging_left(&stack);
    }
    // The copies inside the container are gone too.
    let left = stack
        .xtask([
            "exec",
            "db",
            "sh",
            "-c",
            "ls /tmp | grep -c xtask-restore || true",
        ])
        .ok();
    assert_eq!(left.stdout.trim(), "0", "{}", left.describe());
    // A file that changes once the restore runs: the meta-command appended
    // when the load starts is refused as it streams, before psql sees it.
    let path = docker_stand_in(
        bin.path(),
        &format!(
            "printf '\\\\! touch /tmp/late\\n' >> '{}'; exec \"$real\" \"$@\"",
            sql.display()
        ),
    );
    let out = stack
        .xtask(["--yes", "db", "restore", sql.to_str().unwrap()])
        .env("PATH", &path)
        .run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        out.stderr
            .contains("the psql meta-command `\\!` is refused"),
        "{}",
        out.describe()
    );
    assert!(std::fs::read_to_string(&sql)
        .unwrap()
        .ends_with("\\! touch /tmp/late\n"));
    assert_eq!(count(&stack, "shop"), "5");
    no_staging_left(&stack);
    let late = stack
        .xtask([
            "exec",
            "db",
            "sh",
            "-c",
            "test -e /tmp/late && echo there || echo absent",
        ])
        .ok();
    assert_eq!(late.stdout.trim(), "absent");
    // Through the same stand-in, with every byte passed, it swaps.
    let path = docker_dropping_the_seal(bin.path(), 1 << 40);
    stack
        .xtask(["--yes", "db", "restore", dump.to_str().unwrap()])
        .env("PATH", &path)
        .ok();
    assert_eq!(count(&stack, "shop"), "20000");
}
