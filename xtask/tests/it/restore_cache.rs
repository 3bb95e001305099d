//! The restore cache against a real Postgres: the second restore of a dump
//! is a copy of what the first one loaded; a changed file, a cut load or
//! `--no-cache` never uses an entry; the oldest go beyond `restore_cache`.

use crate::db::{
    append_tasks, backup_as, count, database_names, killed_mid_stream, psql, shop_with,
};
use crate::engine::Stack;

/// `[db] restore_cache = N` in the stack's tasks.toml (the cache is off by
/// default), replacing an earlier setting.
fn set_restore_cache(stack: &Stack, kept: u32) {
    let path = stack.env.join("tasks.toml");
    let text = std::fs::read_to_string(&path).expect("tasks.toml");
    let text: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with("restore_cache = "))
        .collect();
    std::fs::write(&path, text.join("\n") + "\n").expect("tasks.toml");
    append_tasks(stack, &format!("restore_cache = {kept}"));
}

/// The entries `db cache list --json` gives: (name, sha256), oldest first.
fn entries(stack: &Stack) -> Vec<(String, String)> {
    let out = stack.xtask(["db", "cache", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    list.as_array()
        .expect("an array")
        .iter()
        .map(|e| {
            assert!(e["size"].as_u64().expect("size") > 0, "{e}");
            (
                e["entry"].as_str().expect("entry").to_string(),
                e["sha256"].as_str().expect("sha256").to_string(),
            )
        })
        .collect()
}

/// A dry run's plan with what differs between runs replaced: the
/// environment's path and project, times, ids, the file's fingerprint,
/// hashes, the seal and pg_restore's jobs (the machine's cores).
fn plan_text(stack: &Stack, text: &str) -> String {
    let text = text
        .replace(&stack.env.path().display().to_string(), "$ROOT")
        .replace(&stack.project, "$PROJECT")
        .replace(
            &crate::engine::the_container(&stack.project, "db"),
            "$CONTAINER",
        );
    [
        (r"XTASK_EXEC_ID=[0-9-]+", "XTASK_EXEC_ID=<id>"),
        (r"\d{8}T\d{6}\d*Z", "<time>"),
        (r"fingerprint=[0-9:.]+", "fingerprint=<fingerprint>"),
        (r"file=[0-9:.]+", "file=<fingerprint>"),
        (r"[0-9a-f]{64}", "<sha256>"),
        (r"__cache_[0-9a-f]{12}", "__cache_<12 hex>"),
        (r"seal=[0-9a-f]{32}", "seal=<seal>"),
        (r"--jobs=\d+", "--jobs=<n>"),
    ]
    .iter()
    .fold(text, |text, (pattern, with)| {
        regex::Regex::new(pattern)
            .expect("a pattern")
            .replace_all(&text, *with)
            .into_owned()
    })
}

/// `db restore FILE` with `--yes` and `extra`; what it printed.
fn restore(stack: &Stack, file: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["--yes", "db", "restore", file.to_str().expect("utf-8")];
    args.extend(extra);
    let out = stack.xtask(args).ok();
    format!("{}{}", out.stdout, out.stderr)
}

/// The lookup's line in what a restore printed.
fn lookup_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.contains("restore cache:"))
        .unwrap_or_else(|| panic!("no lookup line in:\n{out}"))
}

#[test]
fn a_second_restore_is_a_copy_and_only_of_the_same_content() {
    let stack = shop_with("create table t (x int); insert into t select generate_series(1, 3)");
    set_restore_cache(&stack, 2);
    let a = stack.env.join("a.dump");
    backup_as(&stack, &a, "custom");

    // Miss: loaded, then kept.
    let dry = stack
        .xtask(["--dry-run", "db", "restore", a.to_str().unwrap()])
        .ok();
    insta::assert_snapshot!("restore_cache_miss_dry_run", plan_text(&stack, &dry.stdout));
    let out = restore(&stack, &a, &[]);
    assert!(lookup_line(&out).contains("miss"), "{out}");
    let kept = entries(&stack);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].0.starts_with("shop__cache_"), "{kept:?}");
    assert!(kept[0].0.ends_with(&kept[0].1[..12]), "{kept:?}");

    // Hit: the same file, unchanged, restores the state it holds.
    psql(&stack, "shop", "insert into t values (4)");
    let dry = stack
        .xtask(["--dry-run", "db", "restore", a.to_str().unwrap()])
        .ok();
    assert!(lookup_line(&dry.stdout).contains("hit"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("pg_restore"), "{}", dry.stdout);
    insta::assert_snapshot!("restore_cache_hit_dry_run", plan_text(&stack, &dry.stdout));
    let out = restore(&stack, &a, &[]);
    assert!(
        lookup_line(&out).contains("hit (the same file, unchanged)"),
        "{out}"
    );
    assert_eq!(count(&stack, "shop"), "3");

    // A copy of it (another inode) is hashed and hits.
    let copy = stack.env.join("copy.dump");
    std::fs::copy(&a, &copy).expect("copy");
    psql(&stack, "shop", "insert into t values (4)");
    let out = restore(&stack, &copy, &[]);
    assert!(
        lookup_line(&out).contains("hit (the same content)"),
        "{out}"
    );
    assert_eq!(count(&stack, "shop"), "3");

    // The same name, other content: a miss, never the old entry.
    psql(&stack, "shop", "insert into t values (4), (5)");
    std::fs::remove_file(&a).expect("rm");
    std::fs::remove_file(stack.env.join("a.dump.json")).expect("rm");
    backup_as(&stack, &a, "custom");
    psql(&stack, "shop", "delete from t");
    let out = restore(&stack, &a, &[]);
    assert!(lookup_line(&out).contains("miss"), "{out}");
    assert_eq!(count(&stack, "shop"), "5");
    assert_eq!(entries(&stack).len(), 2);

    // --no-cache: loaded, nothing kept or used.
    psql(&stack, "shop", "delete from t");
    let before = entries(&stack);
    let out = restore(&stack, &a, &["--no-cache"]);
    assert!(lookup_line(&out).contains("not used (--no-cache)"), "{out}");
    assert_eq!(count(&stack, "shop"), "5");
    assert_eq!(entries(&stack), before);

    // A third content evicts the oldest (restore_cache = 2).
    let sql = stack.env.join("c.sql");
    backup_as(&stack, &sql, "sql");
    let out = restore(&stack, &sql, &[]);
    assert!(lookup_line(&out).contains("miss"), "{out}");
    let after = entries(&stack);
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0], before[1], "the oldest goes first: {after:?}");
    let out = restore(&stack, &copy, &[]);
    assert!(lookup_line(&out).contains("miss"), "{out}");
    assert_eq!(count(&stack, "shop"), "3");

    // restore_cache = 0: off.
    set_restore_cache(&stack, 0);
    let out = restore(&stack, &copy, &[]);
    assert!(
        lookup_line(&out).contains("not used ([db] restore_cache = 0)"),
        "{out}"
    );

    // clear drops them all (asks first: --yes).
    let out = stack.xtask(["--yes", "db", "cache", "clear"]).ok();
    assert!(
        out.stdout.contains("dropped 2 restore cache entries"),
        "{}",
        out.stdout
    );
    assert!(entries(&stack).is_empty());
    let names = database_names(&stack);
    assert!(!names.iter().any(|n| n.contains("__cache_")), "{names:?}");
}

#[test]
fn a_restore_killed_mid_load_leaves_no_entry_that_is_ever_used() {
    let stack = shop_with(
        "create table t (x int, pad text); insert into t select g, md5(g::text) from generate_series(1, 1500000) g",
    );
    set_restore_cache(&stack, 2);
    let sql = stack.env.join("big.sql");
    backup_as(&stack, &sql, "sql");
    psql(&stack, "shop", "delete from t where x > 10");
    killed_mid_stream(&stack, &sql, "10");
    assert!(entries(&stack).is_empty());
    // The next restore loads it (a miss) and leaves one marked entry only.
    let out = restore(&stack, &sql, &[]);
    assert!(lookup_line(&out).contains("miss"), "{out}");
    assert_eq!(count(&stack, "shop"), "1500000");
    assert_eq!(entries(&stack).len(), 1);
    let names = database_names(&stack);
    assert!(
        !names.iter().any(|n| n.ends_with("__cache_new")),
        "{names:?}"
    );
}
