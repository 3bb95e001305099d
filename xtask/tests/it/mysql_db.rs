//! `db ...` against a real MariaDB (the local base, tests/mariadb), through
//! the real binary, without a terminal: every subcommand the MySQL family
//! has, names as data, the passwords on no command line, and restores that
//! change nothing unless the whole dump loaded, even under `kill -9`.

use std::process::Command;
use std::time::Duration;

use crate::engine::{the_container, wait_for, Stack};
use crate::harness::send_signal;

/// The root password of the fixture's `.env` (`[db] password_env`).
const ROOT_PASSWORD: &str = "hunter2-maria-secret";
/// The users' password (`[db] role_password_env`): quotes, `$()`, backticks.
const ROLE_PASSWORD: &str = "r0le'\"$(touch /tmp/pwned)`x` pw";

/// The fixture with `[db]` as `db` says, its server up.
fn mariadb(db: &str) -> Stack {
    let stack = Stack::from_fixture("tests/mariadb");
    stack.env.write(
        "tasks.toml",
        &format!(
            "[project]\ncompose_files = [\"docker-compose.yml\"]\ndefault_environment = \"development\"\n\n\
             [environments.development]\n\n[db]\n{db}"
        ),
    );
    stack
        .xtask(["up", "--wait", "--wait-timeout", "120", "db"])
        .ok();
    stack
}

/// What `sql` selects in `db`, tab-separated, through `db shell`.
fn query(stack: &Stack, db: &str, sql: &str) -> String {
    stack
        .xtask([
            "db",
            "shell",
            db,
            "--",
            "--batch",
            "--skip-column-names",
            &format!("--execute={sql}"),
        ])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// The databases `db list --json` names.
fn databases(stack: &Stack) -> Vec<String> {
    let out = stack.xtask(["db", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("list --json");
    list.as_array()
        .expect("an array")
        .iter()
        .filter_map(|d| d["name"].as_str().map(str::to_string))
        .collect()
}

/// `docker compose exec` in the fixture's `db` service, outside xtask.
fn compose_exec(stack: &Stack, args: &[&str], password: &str) -> std::process::Output {
    Command::new("docker")
        .args(["compose", "-p", &stack.project, "-f", "docker-compose.yml"])
        .args(["exec", "-T", "-e", "MYSQL_PWD", "db"])
        .args(args)
        .env("MYSQL_PWD", password)
        .current_dir(stack.env.path())
        .output()
        .expect("docker compose exec")
}

/// Runs a slow query through `db shell` and reads every command line on
/// the host and in the server's container meanwhile: the root password is
/// on none of them.
fn password_is_on_no_command_line(stack: &Stack) {
    let mut slow = stack
        .xtask(["db", "shell", "--", "--execute=SELECT sleep(4)"])
        .spawn();
    let container = the_container(&stack.project, "db");
    wait_for("the sleeping query", Duration::from_secs(30), || {
        let out = compose_exec(
            stack,
            &[
                "mariadb",
                "-h",
                "127.0.0.1",
                "-uroot",
                "-N",
                "-B",
                "-e",
                "SELECT count(*) FROM information_schema.processlist WHERE info LIKE 'SELECT sleep%'",
            ],
            ROOT_PASSWORD,
        );
        (String::from_utf8_lossy(&out.stdout).trim() == "1")
            .then_some(())
            .ok_or_else(|| "not yet".to_string())
    });
    let mut host = String::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
            host.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(
        !host.contains(ROOT_PASSWORD),
        "the password is on a host command line"
    );
    let inside = Command::new("docker")
        .args(["exec", &container, "sh", "-c", "cat /proc/[0-9]*/cmdline"])
        .output()
        .expect("docker exec");
    assert!(
        !String::from_utf8_lossy(&inside.stdout).contains(ROOT_PASSWORD),
        "the password is on a command line in the container"
    );
    assert!(slow.wait().expect("wait").success());
}

/// Waits (bounded) until no process that xtask started in `container` runs:
/// the call a kill -9 of xtask left running there has ended.
fn wait_until_the_call_in_the_container_ends(container: &str) {
    wait_for(
        "the interrupted call to end",
        Duration::from_secs(60),
        || {
            let out = Command::new("docker")
                .args([
                    "exec",
                    container,
                    "sh",
                    "-c",
                    "grep -l XTASK_EXEC_ID /proc/[0-9]*/environ",
                ])
                .output()
                .expect("docker exec");
            let left = String::from_utf8_lossy(&out.stdout).into_owned();
            left.trim().is_empty().then_some(()).ok_or(left)
        },
    );
}

/// A name with `-` and `$` works; hostile ones are refused before they
/// reach the server; `db psql` says to use `db shell`.
fn names_are_data(stack: &Stack) {
    // A name with `-` and `$` is quoted by the server; hostile ones never reach it.
    stack.xtask(["db", "create", "a-b$c"]).ok();
    query(
        stack,
        "a-b$c",
        "CREATE TABLE t (x int); INSERT INTO t VALUES (7)",
    );
    assert_eq!(query(stack, "a-b$c", "SELECT x FROM t"), "7");
    for hostile in ["x`y", "x'y", "$(touch /tmp/pwned)", "-x", "x\"y"] {
        stack
            .xtask(["db", "create", "--", hostile])
            .fails_with(2)
            .stderr_has("is not a valid database name");
    }
    let names = databases(stack);
    assert!(
        names.contains(&"a-b$c".to_string()) && names.len() == 2,
        "{names:?}"
    );

    // psql is Postgres's: the refusal says what to use.
    stack
        .xtask(["db", "psql"])
        .fails_with(2)
        .stderr_has("cargo xtask db shell");
}

/// Backup, restore (into a name with `-` and `$` too), rebuild and
/// delete on `shop` and `a-b$c`.
fn backup_restore_rebuild_and_delete(stack: &Stack) {
    // Backup: zstd SQL under backups/, its record without the password.
    query(
        stack,
        "shop",
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2), (3)",
    );
    stack.xtask(["db", "backup"]).ok();
    let dump = std::fs::read_dir(stack.env.join("backups"))
        .expect("backups/")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().ends_with(".sql.zst"))
        .expect("a .sql.zst");
    let record = std::fs::read_to_string(format!("{}.json", dump.display())).expect("record");
    assert!(!record.contains(ROOT_PASSWORD), "{record}");
    let record: serde_json::Value = serde_json::from_str(&record).expect("JSON");
    assert_eq!(record["engine"], "mariadb", "{record}");
    assert!(
        record["server_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("10.11"),
        "{record}"
    );
    assert!(
        record["command"]
            .as_str()
            .unwrap_or("")
            .contains("--single-transaction"),
        "{record}"
    );
    // The server's container has zstd: the dump was compressed there, a
    // whole frame with its checksum that decodes to the dump.
    let bytes = std::fs::read(&dump).expect("the dump");
    assert_eq!(&bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let frame = zstd::zstd_safe::get_frame_content_size(&bytes);
    assert!(frame.is_ok(), "a zstd frame");
    let sql = zstd::decode_all(&bytes[..]).expect("a whole zstd stream");
    assert!(String::from_utf8_lossy(&sql).contains("-- Dump completed"));
    // A dump that fails there (no such database) is an error, not a file:
    // the dump's status comes through the pipe into zstd.
    let failed = stack.env.join("failed.sql.zst");
    stack
        .xtask(["db", "backup", "nosuch", "-o", failed.to_str().unwrap()])
        .fails_with(2)
        .stderr_has("Unknown database 'nosuch'");
    assert!(!failed.exists() && !failed.with_extension("zst.json").exists());
    let left: Vec<_> = std::fs::read_dir(stack.env.path())
        .expect("root")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("failed"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "no temporary file is left");

    // Restore: the rows back, the replaced tables kept beside.
    query(stack, "shop", "INSERT INTO t VALUES (4)");
    let dump = dump.to_string_lossy().into_owned();
    stack
        .xtask(["--yes", "db", "restore", &dump])
        .ok()
        .stdout_has("restored database shop")
        .stdout_has("the replaced tables are kept in database shop__snap_restore-");
    assert_eq!(
        query(stack, "shop", "SELECT group_concat(x ORDER BY x) FROM t"),
        "1,2,3"
    );
    // Into the name with `-` and `$`, and without keeping the replaced tables.
    stack
        .xtask(["--yes", "db", "restore", &dump, "a-b$c", "--no-backup"])
        .ok();
    assert_eq!(query(stack, "a-b$c", "SELECT count(*) FROM t"), "3");

    // Rebuild keeps the old tables aside and runs init again; delete asks, then drops.
    stack
        .xtask(["--yes", "db", "rebuild"])
        .ok()
        .stdout_has("the replaced tables are kept in database shop__snap_rebuild-");
    assert_eq!(
        query(
            stack,
            "shop",
            "SELECT group_concat(table_name) FROM information_schema.tables WHERE table_schema = 'shop'"
        ),
        "inited"
    );
    stack
        .xtask(["db", "delete", "a-b$c"])
        .fails_with(2)
        .stderr_has("pass --yes");
    stack.xtask(["--yes", "db", "delete", "a-b$c"]).ok();
    let names = databases(stack);
    assert_eq!(names, ["shop"]);
    let snapshots = stack.xtask(["db", "snapshot", "list"]).ok().stdout;
    assert!(
        snapshots.contains("| restore-") && snapshots.contains("| rebuild-"),
        "{snapshots}"
    );
}

/// Ctrl-C or SIGTERM at several moments of a restore of big.sql.
fn interrupted_loads_leave_it_whole(stack: &Stack) {
    // Ctrl-C or SIGTERM at several moments of the load (or after it):
    // the database is as it was or whole as restored, never a mix, and no
    // staging database is left.
    let container = the_container(&stack.project, "db");
    for (delay_ms, signal) in [(0, 2), (200, 15), (600, 2), (1500, 15)] {
        let run = stack
            .xtask(["--yes", "db", "restore", "big.sql"])
            .spawn_as_a_job();
        wait_for(
            "the load into shop__restoring",
            Duration::from_secs(60),
            || {
                let rows = query(
                stack,
                "shop",
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'shop__restoring' AND table_name = 't'",
            );
                (rows == "1").then_some(()).ok_or(rows)
            },
        );
        std::thread::sleep(Duration::from_millis(delay_ms));
        crate::harness::send_signal_to_group(run.id(), signal);
        run.wait_with_output().expect("wait");
        wait_until_the_call_in_the_container_ends(&container);
        let count = query(stack, "shop", "SELECT count(*) FROM t");
        assert!(
            count == "2" || count == "300000",
            "signal {signal} {delay_ms} ms after the load began: {count} rows"
        );
        assert_eq!(
            databases(stack),
            ["shop"],
            "signal {signal} at {delay_ms} ms"
        );
    }
}

#[test]
fn every_db_command_works_on_mariadb_with_names_as_data() {
    let stack = mariadb(
        "name = \"shop\"\npassword_env = \"DB_ROOT_PASSWORD\"\n\
         roles = [\"app-user\"]\nrole_password_env = \"APP_DB_PASSWORD\"\n\
         init = [\"sh\", \"-c\", \"echo init of $1 in $MYSQL_DATABASE on $MYSQL_HOST, password ${#MYSQL_PWD} long; \
         mariadb -u \\\"$MYSQL_USER\\\" -e 'CREATE TABLE inited (x int)' -- \\\"$1\\\"\", \"sh\", \"{db}\"]\n",
    );
    let with_role = |args: &[&str]| stack.xtask(args).env("APP_DB_PASSWORD", ROLE_PASSWORD);

    // The engine is read from the image, and said by describe and check.
    stack.xtask(["describe"]).ok().stdout_has(
        "engine:             mariadb (the image of service `db`: xtask-local/mariadb:10.11)",
    );
    let checked = stack.xtask(["check"]).ok();
    let said = format!("{}{}", checked.stdout, checked.stderr);
    assert!(
        said.contains("mariadb on db (the image of service `db`: xtask-local/mariadb:10.11)"),
        "{said}"
    );

    // The plan names neither password.
    let dry = with_role(&["--dry-run", "db", "create"]).ok();
    let printed = format!("{}{}", dry.stdout, dry.stderr);
    assert!(
        !printed.contains(ROOT_PASSWORD) && !printed.contains("r0le"),
        "{printed}"
    );
    with_role(&["db", "create"])
        .ok()
        .stdout_has("created database shop")
        .stdout_has("created user app-user; granted all on shop");
    with_role(&["db", "create"])
        .ok()
        .stdout_has("database shop exists already")
        .stdout_has("user app-user exists already");

    // `[db] init` gets the database as `{db}` and the client's variables.
    with_role(&["db", "setup"])
        .ok()
        .stdout_has("init of shop in shop on db, password 20 long");
    assert_eq!(
        query(
            &stack,
            "shop",
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'inited'"
        ),
        "1"
    );

    // The user logs in with the password the variable held, taken as data.
    let login = compose_exec(
        &stack,
        &[
            "mariadb",
            "-h",
            "127.0.0.1",
            "-u",
            "app-user",
            "-N",
            "-B",
            "-e",
            "SELECT current_user()",
            "--",
            "shop",
        ],
        ROLE_PASSWORD,
    );
    assert!(
        String::from_utf8_lossy(&login.stdout).starts_with("app-user@"),
        "{login:?}"
    );
    let pwned = compose_exec(&stack, &["test", "-e", "/tmp/pwned"], "");
    assert!(!pwned.status.success(), "a password was run as a command");
    let inspect = Command::new("docker")
        .args(["inspect", &the_container(&stack.project, "db")])
        .output()
        .expect("docker inspect");
    assert!(
        !String::from_utf8_lossy(&inspect.stdout).contains("r0le"),
        "the users' password is in docker inspect"
    );

    names_are_data(&stack);
    // The password reaches the client by name: on no command line, on the
    // host or in the container, while a query runs.
    password_is_on_no_command_line(&stack);

    backup_restore_rebuild_and_delete(&stack);
}

/// SQL as mariadb-dump writes it: `rows` rows of `t` in statements of 1000.
fn dump_of(rows: usize) -> String {
    let mut sql =
        String::from("DROP TABLE IF EXISTS t;\nCREATE TABLE t (x int, pad varchar(100));\n");
    for start in (0..rows).step_by(1000) {
        let values: Vec<String> = (start..(start + 1000).min(rows))
            .map(|x| format!("({x},'{}')", "p".repeat(90)))
            .collect();
        sql.push_str(&format!("INSERT INTO t VALUES {};\n", values.join(",")));
    }
    sql.push_str("-- Dump completed on 2026-12-02 12:00:00\n");
    sql
}

#[test]
fn a_cut_failing_or_killed_restore_leaves_the_database_as_it_was() {
    let stack = mariadb("name = \"shop\"\npassword_env = \"DB_ROOT_PASSWORD\"\n");
    stack.xtask(["db", "create"]).ok();
    query(
        &stack,
        "shop",
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)",
    );
    let unchanged = |stack: &Stack| {
        assert_eq!(
            query(stack, "shop", "SELECT group_concat(x ORDER BY x) FROM t"),
            "1,2"
        );
        assert_eq!(databases(stack), ["shop"]);
    };

    // Cut: refused before anything changed.
    let whole = dump_of(3000);
    stack.env.write("cut.sql", &whole[..whole.len() / 2]);
    stack
        .xtask(["--yes", "db", "restore", "cut.sql"])
        .fails_with(2)
        .stderr_has("does not end with the dump tool's completion line");
    unchanged(&stack);
    // Cut at a statement's end inside a whole zstd file: the stream's end
    // shows it, so no seal is sent and nothing is swapped.
    let cut_at = whole[..whole.len() / 2]
        .rfind(";\n")
        .expect("a statement end")
        + 2;
    let packed = zstd::encode_all(&whole.as_bytes()[..cut_at], 3).expect("zstd");
    std::fs::write(stack.env.join("cut.sql.zst"), packed).expect("write");
    stack
        .xtask(["--yes", "db", "restore", "cut.sql.zst"])
        .fails_with(1)
        .stderr_has("it was cut short");
    unchanged(&stack);
    // Cut with --partial-ok: loaded as it is, but the broken last
    // statement swallows the seal: not swapped.
    stack
        .xtask(["--yes", "db", "restore", "--partial-ok", "cut.sql"])
        .fails_with(1)
        .stderr_has("the database was not replaced");
    unchanged(&stack);
    // A statement that fails: the staging database dropped, nothing swapped.
    stack.env.write(
        "bad.sql",
        "CREATE TABLE t (x int);\nINSERT INTO t VALUES (9);\nSELECT nosuch FROM t;\n-- Dump completed on x\n",
    );
    stack
        .xtask(["--yes", "db", "restore", "bad.sql"])
        .fails_with(1)
        .stderr_has("the load failed");
    unchanged(&stack);
    // kill -9 of xtask mid-load, and a second restore meanwhile refused.
    stack.env.write("big.sql", &dump_of(300_000));
    let mut first = stack.xtask(["--yes", "db", "restore", "big.sql"]).spawn();
    wait_for(
        "the load into shop__restoring",
        Duration::from_secs(60),
        || {
            let rows = query(
            &stack,
            "shop",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'shop__restoring' AND table_name = 't'",
        );
            (rows == "1").then_some(()).ok_or(rows)
        },
    );
    stack
        .xtask(["--yes", "db", "restore", "big.sql"])
        .fails_with(1)
        .stderr_has("is already running");
    send_signal(first.id(), 9);
    first.wait().expect("wait");
    wait_for(
        "the unsealed staging database dropped",
        Duration::from_secs(120),
        || {
            let names = databases(&stack);
            (names == ["shop"])
                .then_some(())
                .ok_or(format!("{names:?}"))
        },
    );
    unchanged(&stack);

    interrupted_loads_leave_it_whole(&stack);

    // And the same file, left alone, replaces it.
    stack
        .xtask(["--yes", "db", "restore", "big.sql", "--no-backup"])
        .ok();
    assert_eq!(query(&stack, "shop", "SELECT count(*) FROM t"), "300000");
    assert_eq!(databases(&stack), ["shop"]);
}

#[test]
fn snapshots_and_copies_copy_files_and_swap_in_whole_even_when_interrupted() {
    let stack = mariadb("name = \"shop\"\npassword_env = \"DB_ROOT_PASSWORD\"\n");
    stack.xtask(["db", "create"]).ok();
    query(
        &stack,
        "shop",
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p int, FOREIGN KEY (p) REFERENCES p (id)); \
         INSERT INTO p VALUES (1), (2); INSERT INTO c VALUES (10, 1), (20, 2); \
         CREATE TABLE log (id int); \
         CREATE TRIGGER tr AFTER INSERT ON c FOR EACH ROW INSERT INTO log VALUES (NEW.id); \
         CREATE VIEW pv AS SELECT count(*) AS n FROM c; \
         CREATE VIEW `-w ``$(touch /tmp/xtask-pwned)'` AS SELECT count(*) AS one FROM p; \
         CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 42",
    );
    // A view whose name starts with `-` and holds a backtick, a quote and
    // `$()`: moved by the swap's dump tool and client as data.
    let hostile_view_answers = |stack: &Stack, db: &str| {
        assert_eq!(
            query(
                stack,
                db,
                "SELECT one FROM `-w ``$(touch /tmp/xtask-pwned)'`"
            ),
            "2",
            "in {db}"
        );
    };
    let rows =
        |stack: &Stack, db: &str| query(stack, db, "SELECT group_concat(id ORDER BY id) FROM c");
    // The views, triggers and routines of a database, by name.
    let objects = |stack: &Stack, db: &str| {
        query(
            stack,
            "shop",
            &format!(
                "SELECT concat_ws(' ', \
                 (SELECT group_concat(table_name) FROM information_schema.views WHERE table_schema = '{db}' AND table_name NOT LIKE '-%'), \
                 (SELECT group_concat(trigger_name) FROM information_schema.triggers WHERE trigger_schema = '{db}'), \
                 (SELECT group_concat(routine_name) FROM information_schema.routines WHERE routine_schema = '{db}'))"
            ),
        )
    };
    // `before` restored, the state it replaces dropped.
    const RESTORE_BEFORE: [&str; 6] = [
        "--yes",
        "db",
        "snapshot",
        "restore",
        "before",
        "--no-backup",
    ];
    let back_to_before = |stack: &Stack| {
        stack.xtask(RESTORE_BEFORE).ok();
        assert_eq!(rows(stack, "shop"), "10,20");
    };

    // --latest with no snapshot at all: refused, saying what to do, nothing changed.
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "--latest"])
        .fails_with(2)
        .stderr_has("no snapshot of shop carries the time it was taken")
        .stderr_has("name the snapshot");
    assert_eq!(rows(&stack, "shop"), "10,20");
    stack
        .xtask(["db", "snapshot", "--name", "before"])
        .ok()
        .stdout_has("took snapshot before of shop");
    query(
        &stack,
        "shop",
        "DELETE FROM c WHERE id = 20; INSERT INTO c VALUES (30, 1)",
    );
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "before"])
        .ok()
        .stdout_has("restored shop from snapshot before");
    assert_eq!(rows(&stack, "shop"), "10,20");
    // The view, trigger and function came back with the tables, and the
    // view counts the restored rows.
    assert_eq!(objects(&stack, "shop"), "pv tr f");
    assert_eq!(query(&stack, "shop", "SELECT n FROM pv"), "2");
    assert_eq!(query(&stack, "shop", "SELECT f()"), "42");
    // The replaced state is kept with its objects too.
    let kept = query(
        &stack,
        "shop",
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'shop\\_\\_snap\\_snapshot-restore-%'",
    );
    assert_eq!(objects(&stack, &kept), "pv tr f");
    assert_eq!(rows(&stack, &kept), "10,30");
    hostile_view_answers(&stack, "shop");
    hostile_view_answers(&stack, &kept);
    // The foreign key came along (the structure is dumped, the data copied as files).
    let create = query(&stack, "shop", "SHOW CREATE TABLE c");
    assert!(
        create.contains("FOREIGN KEY (`p`) REFERENCES `p`"),
        "{create}"
    );
    let listed = stack.xtask(["db", "snapshot", "list"]).ok().stdout;
    assert!(
        listed.contains("| before ") && listed.contains("| snapshot-restore-"),
        "{listed}"
    );

    // --latest: the newest by the time each snapshot records, not by name
    // (`a-later` sorts first, and was taken after `before` and after the
    // snapshot that restore kept); the state it replaces kept as usual.
    query(&stack, "shop", "INSERT INTO c VALUES (40, 2)");
    stack.xtask(["db", "snapshot", "--name", "a-later"]).ok();
    query(&stack, "shop", "DELETE FROM c WHERE id = 40");
    // Listed oldest first: the last line is the one --latest takes.
    let listed = stack.xtask(["db", "snapshot", "list"]).ok().stdout;
    let at = |name: &str| listed.find(&format!("| {name}")).unwrap_or(usize::MAX);
    assert!(
        at("before") < at("snapshot-restore-") && at("snapshot-restore-") < at("a-later"),
        "{listed}"
    );
    stack
        .xtask(["--yes", "db", "snapshot", "restore", "--latest"])
        .ok()
        .stdout_has("restored shop from snapshot a-later");
    assert_eq!(rows(&stack, "shop"), "10,20,40");
    back_to_before(&stack);
    stack.xtask(["db", "snapshot", "rm", "a-later"]).ok();

    // Copy: a new database, then refused onto an existing one without --force.
    stack
        .xtask(["db", "copy", "shop", "shop-copy"])
        .ok()
        .stdout_has("copied database shop to shop-copy");
    assert_eq!(rows(&stack, "shop-copy"), "10,20");
    // The copy's view counts its own rows; its trigger writes its own log.
    assert_eq!(objects(&stack, "shop-copy"), "pv tr f");
    hostile_view_answers(&stack, "shop-copy");
    query(&stack, "shop-copy", "INSERT INTO c VALUES (50, 1)");
    assert_eq!(query(&stack, "shop-copy", "SELECT n FROM pv"), "3");
    assert_eq!(
        query(
            &stack,
            "shop-copy",
            "SELECT count(*) FROM log WHERE id = 50"
        ),
        "1"
    );
    assert_eq!(
        query(&stack, "shop", "SELECT count(*) FROM log WHERE id = 50"),
        "0"
    );
    stack
        .xtask(["db", "copy", "shop", "shop-copy"])
        .fails_with(1)
        .stderr_has("database shop-copy exists");
    query(&stack, "shop", "INSERT INTO c VALUES (40, 2)");
    stack
        .xtask([
            "--yes",
            "db",
            "copy",
            "shop",
            "shop-copy",
            "--force",
            "--no-backup",
        ])
        .ok();
    assert_eq!(rows(&stack, "shop-copy"), "10,20,40");

    let container = the_container(&stack.project, "db");
    // Interrupted at several moments, by kill -9, Ctrl-C or SIGTERM: the
    // database has its tables, old or restored, and the next restore works.
    for (delay_ms, signal) in [(0, 9), (150, 2), (400, 9), (700, 2), (1000, 15)] {
        let mut run = stack.xtask(RESTORE_BEFORE).spawn_as_a_job();
        std::thread::sleep(Duration::from_millis(delay_ms));
        crate::harness::send_signal_to_group(run.id(), signal);
        run.wait().expect("wait");
        // The call in the container runs on after a kill -9: wait for it.
        wait_until_the_call_in_the_container_ends(&container);
        let rows_now = rows(&stack, "shop");
        assert!(rows_now == "10,20" || rows_now == "10,20,40", "{rows_now}");
        let names = databases(&stack);
        assert!(
            !names.iter().any(|n| n.ends_with("__restoring")),
            "after signal {signal} at {delay_ms} ms: {names:?}"
        );
        assert_eq!(query(&stack, "shop", "SELECT count(*) FROM p"), "2");
        assert_eq!(
            objects(&stack, "shop"),
            "pv tr f",
            "after signal {signal} at {delay_ms} ms"
        );
        hostile_view_answers(&stack, "shop");
    }
    // Nothing ran the name: no file made by it, on the host or in the container.
    assert!(!std::path::Path::new("/tmp/xtask-pwned").exists());
    let found = compose_exec(
        &stack,
        &["sh", "-c", "ls /tmp/xtask-pwned 2>&1 || true"],
        "",
    );
    assert!(
        String::from_utf8_lossy(&found.stdout).contains("No such file"),
        "{found:?}"
    );
    back_to_before(&stack);

    // An event is refused, named, before anything changes: copied, it would
    // run in the snapshot.
    query(
        &stack,
        "shop",
        "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM log",
    );
    let before = databases(&stack);
    stack
        .xtask(["db", "snapshot", "--name", "with-event"])
        .fails_with(1)
        .stderr_has("event shop.nightly")
        .stderr_has("db backup");
    assert_eq!(databases(&stack), before);
    let listed = stack.xtask(["db", "snapshot", "list"]).ok().stdout;
    assert!(!listed.contains("with-event"), "{listed}");
    query(&stack, "shop", "DROP EVENT nightly");

    stack.xtask(["db", "snapshot", "rm", "before"]).ok();
    let listed = stack.xtask(["db", "snapshot", "list"]).ok().stdout;
    assert!(!listed.contains("| before "), "{listed}");
}

#[test]
fn a_restore_brings_views_triggers_routines_and_events_and_keeps_the_replaced_ones() {
    let stack = mariadb("name = \"shop\"\npassword_env = \"DB_ROOT_PASSWORD\"\n");
    stack.xtask(["db", "create"]).ok();
    let objects = "CREATE TABLE t (x int); CREATE TABLE log (x int); \
        CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO log VALUES (NEW.x); \
        CREATE VIEW v AS SELECT x FROM t; CREATE VIEW v2 AS SELECT count(*) AS n FROM v; \
        CREATE FUNCTION f() RETURNS int DETERMINISTIC RETURN 42; \
        CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM log; \
        INSERT INTO t VALUES (1), (2)";
    query(&stack, "shop", objects);
    stack
        .xtask(["db", "backup", "-o", "objects.sql", "--format", "sql"])
        .ok();
    // The state replaced: other rows, a function of its own, one fewer view.
    query(
        &stack,
        "shop",
        "INSERT INTO t VALUES (3); DROP FUNCTION f; CREATE FUNCTION g() RETURNS int DETERMINISTIC RETURN 7; DROP VIEW v2",
    );
    stack
        .xtask(["--yes", "db", "restore", "objects.sql"])
        .ok()
        .stdout_has("restored database shop");
    let listed = |schema_like: &str| {
        query(
            &stack,
            "shop",
            &format!(
                "SELECT concat_ws(' ', \
                 (SELECT group_concat(table_name ORDER BY table_name) FROM information_schema.views WHERE table_schema LIKE '{schema_like}'), \
                 (SELECT group_concat(trigger_name) FROM information_schema.triggers WHERE trigger_schema LIKE '{schema_like}'), \
                 (SELECT group_concat(routine_name ORDER BY routine_name) FROM information_schema.routines WHERE routine_schema LIKE '{schema_like}'), \
                 (SELECT group_concat(event_name) FROM information_schema.events WHERE event_schema LIKE '{schema_like}'))"
            ),
        )
    };
    assert_eq!(listed("shop"), "v,v2 tr f e");
    assert_eq!(query(&stack, "shop", "SELECT n FROM v2"), "2");
    assert_eq!(query(&stack, "shop", "SELECT f()"), "42");
    // The restored trigger fires on the restored tables.
    query(&stack, "shop", "INSERT INTO t VALUES (5)");
    assert_eq!(
        query(&stack, "shop", "SELECT group_concat(x ORDER BY x) FROM log"),
        "1,2,5"
    );
    // The replaced tables kept with their views, trigger and routine (no event: it would run).
    assert_eq!(listed("shop\\_\\_snap\\_restore-%"), "v tr g");
    let kept = query(
        &stack,
        "shop",
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'shop\\_\\_snap\\_restore-%'",
    );
    assert_eq!(
        query(&stack, &kept, "SELECT group_concat(x ORDER BY x) FROM v"),
        "1,2,3"
    );

    // Rebuild sets them aside the same way: the snapshot holds the tables
    // with their views, trigger and function; the database starts empty.
    stack
        .xtask(["--yes", "db", "rebuild"])
        .ok()
        .stdout_has("the replaced tables are kept in database shop__snap_rebuild-");
    assert_eq!(listed("shop"), "");
    assert_eq!(listed("shop\\_\\_snap\\_rebuild-%"), "v,v2 tr f");
    let kept = query(
        &stack,
        "shop",
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'shop\\_\\_snap\\_rebuild-%'",
    );
    assert_eq!(query(&stack, &kept, "SELECT n FROM v2"), "3");
    query(&stack, &kept, "INSERT INTO t VALUES (6)");
    assert_eq!(
        query(&stack, &kept, "SELECT group_concat(x ORDER BY x) FROM log"),
        "1,2,5,6"
    );
}

#[test]
fn a_restore_builds_secondary_keys_after_the_rows_and_brings_every_key_back() {
    let stack = mariadb("name = \"shop\"\npassword_env = \"DB_ROOT_PASSWORD\"\n");
    stack.xtask(["db", "create"]).ok();
    // Keys the load leaves for after the rows (plain ones, a backquoted
    // table name), and keys it must make at CREATE: unique, full-text,
    // the AUTO_INCREMENT column's own, a foreign key's, MyISAM's, and a
    // plain key that a foreign key of a table dumped before refers to.
    let schema = "CREATE TABLE doc (id int AUTO_INCREMENT PRIMARY KEY, title varchar(40), score int, \
          KEY score (score), KEY title_score (title, score), UNIQUE KEY u (title, id), FULLTEXT KEY ft (title)) ENGINE=InnoDB; \
        CREATE TABLE seq (n int NOT NULL AUTO_INCREMENT, id int NOT NULL, PRIMARY KEY (id), KEY n (n), KEY id_n (id, n)) ENGINE=InnoDB; \
        CREATE TABLE parent (id int PRIMARY KEY) ENGINE=InnoDB; \
        CREATE TABLE child (id int PRIMARY KEY, parent_id int, note varchar(9), KEY note (note), \
          CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB; \
        CREATE TABLE `we``ird` (id int PRIMARY KEY, v int, KEY `k``v` (v)) ENGINE=InnoDB; \
        CREATE TABLE b_parent (id int PRIMARY KEY, code int, KEY code (code)) ENGINE=InnoDB; \
        CREATE TABLE a_child (id int PRIMARY KEY, code int, CONSTRAINT fk2 FOREIGN KEY (code) REFERENCES b_parent (code)) ENGINE=InnoDB; \
        CREATE TABLE m (id int PRIMARY KEY, v int, KEY v (v)) ENGINE=MyISAM; \
        INSERT INTO doc (title, score) SELECT concat('t', seq), seq % 7 FROM seq_1_to_500; \
        INSERT INTO seq (id) SELECT seq FROM seq_1_to_50; INSERT INTO parent VALUES (1), (2); \
        INSERT INTO child VALUES (1, 1, 'a'), (2, 2, 'b'); INSERT INTO `we``ird` VALUES (1, 1); INSERT INTO m VALUES (1, 1); \
        INSERT INTO b_parent VALUES (1, 10); INSERT INTO a_child VALUES (1, 10)";
    query(&stack, "shop", schema);
    let keys = || {
        query(
            &stack,
            "shop",
            "SET SESSION group_concat_max_len = 100000; \
             SELECT group_concat(concat_ws(':', table_name, index_name, seq_in_index, column_name, non_unique, index_type) \
               ORDER BY table_name, index_name, seq_in_index SEPARATOR ' ') \
             FROM information_schema.statistics WHERE table_schema = 'shop'",
        )
    };
    let rows = || {
        query(
            &stack,
            "shop",
            "SELECT concat_ws(' ', (SELECT count(*) FROM doc), (SELECT count(*) FROM seq), (SELECT count(*) FROM child), \
               (SELECT count(*) FROM `we``ird`), (SELECT count(*) FROM m), \
               (SELECT group_concat(constraint_name ORDER BY constraint_name) FROM information_schema.referential_constraints WHERE constraint_schema = 'shop'))",
        )
    };
    let (keys_before, rows_before) = (keys(), rows());
    assert!(
        keys_before.contains("we`ird:k`v:1:v:1:BTREE"),
        "{keys_before}"
    );
    assert_eq!(rows_before, "500 50 2 1 1 fk,fk2");
    stack.xtask(["db", "backup", "-o", "keys.sql.zst"]).ok();
    // The rewrite works on what says it is the dump tool's, on its first lines.
    stack
        .xtask(["db", "backup", "-o", "keys.sql", "--format", "sql"])
        .ok();
    let dumped = std::fs::read_to_string(stack.env.join("keys.sql")).expect("the plain dump");
    assert!(
        dumped
            .lines()
            .take(3)
            .any(|l| l.starts_with("-- MariaDB dump ") || l.starts_with("-- MySQL dump ")),
        "{}",
        &dumped[..dumped.len().min(400)]
    );
    query(
        &stack,
        "shop",
        "ALTER TABLE doc DROP KEY score; DELETE FROM child WHERE id = 2",
    );
    stack
        .xtask(["--yes", "db", "restore", "keys.sql.zst"])
        .ok()
        .stdout_has("restored database shop");
    assert_eq!(keys(), keys_before);
    assert_eq!(rows(), rows_before);
    // The keys are used as before: the full-text one answers.
    assert_eq!(
        query(
            &stack,
            "shop",
            "SELECT count(*) FROM doc WHERE MATCH (title) AGAINST ('t42')"
        ),
        "1"
    );
}
