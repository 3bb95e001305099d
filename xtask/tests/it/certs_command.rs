//! `certs`: a self-signed certificate and a key (created 0600) where
//! `[certs]` says, read back with `openssl x509`; an existing key is never
//! overwritten without `--force`, which keeps the old one as a backup.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::Env;

const CERTS: &str = "[certs]\ncert = \"ssl/indico.crt\"\nkey = \"ssl/indico.key\"\ncn = \"indico.slac.stanford.edu\"\n";

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed on the host");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn mode_of(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn certs_writes_what_openssl_reads_with_the_cn_and_days_asked_for() {
    let env = Env::new();
    env.tasks_toml(CERTS);
    env.xtask(["check"]).ok();
    env.xtask(["certs", "--days", "30"])
        .ok()
        .stderr_has("key ssl/indico.key (mode 0600)")
        .stderr_has("CN=indico.slac.stanford.edu");
    let cert = env.join("ssl/indico.crt");
    let cert = cert.to_str().unwrap();
    assert_eq!(mode_of(&env.join("ssl/indico.key")), 0o600);
    let (ok, subject) = openssl(&["x509", "-in", cert, "-noout", "-subject"]);
    assert!(
        ok && subject.contains("CN = indico.slac.stanford.edu"),
        "{subject}"
    );
    // Valid for 30 days: still in 29 days and 23 hours, no longer in 30 days and an hour.
    let (ok, text) = openssl(&[
        "x509",
        "-in",
        cert,
        "-noout",
        "-checkend",
        &(30 * 86400 - 3600).to_string(),
    ]);
    assert!(ok, "expires too early: {text}");
    let (ok, text) = openssl(&[
        "x509",
        "-in",
        cert,
        "-noout",
        "-checkend",
        &(30 * 86400 + 3600).to_string(),
    ]);
    assert!(!ok, "lasts longer than 30 days: {text}");
    // The certificate belongs to the key.
    let key = env.join("ssl/indico.key");
    let (_, from_cert) = openssl(&["x509", "-in", cert, "-noout", "-pubkey"]);
    let (_, from_key) = openssl(&["pkey", "-in", key.to_str().unwrap(), "-pubout"]);
    assert_eq!(from_cert, from_key);

    // --cn and the default of 365 days.
    env.xtask(["certs", "--force", "--cn", "localhost"]).ok();
    let (_, subject) = openssl(&["x509", "-in", cert, "-noout", "-subject"]);
    assert!(subject.contains("CN = localhost"), "{subject}");
    let (ok, _) = openssl(&[
        "x509",
        "-in",
        cert,
        "-noout",
        "-checkend",
        &(364 * 86400).to_string(),
    ]);
    assert!(ok, "the default is a year");
}

#[test]
fn an_existing_key_is_never_overwritten_without_force() {
    let env = Env::new();
    env.tasks_toml(CERTS);
    env.xtask(["certs"]).ok();
    let key = env.read("ssl/indico.key");
    let cert = env.read("ssl/indico.crt");
    env.xtask(["certs", "--cn", "other"])
        .ok()
        .stderr_has("ssl/indico.key and ssl/indico.crt exist; nothing to do");
    assert_eq!(env.read("ssl/indico.key"), key);
    assert_eq!(env.read("ssl/indico.crt"), cert);

    // Without the certificate: a new one for the same key.
    std::fs::remove_file(env.join("ssl/indico.crt")).unwrap();
    env.xtask(["certs"]).ok();
    assert_eq!(env.read("ssl/indico.key"), key);
    assert_ne!(env.read("ssl/indico.crt"), cert);

    // --force: new ones, the old kept, the key's backup as private as the key.
    env.xtask(["certs", "--force"])
        .ok()
        .stderr_has("Kept ssl/indico.key as ssl/indico.key.bak");
    assert_ne!(env.read("ssl/indico.key"), key);
    assert_eq!(env.read("ssl/indico.key.bak"), key);
    assert_eq!(mode_of(&env.join("ssl/indico.key.bak")), 0o600);
    assert_eq!(mode_of(&env.join("ssl/indico.key")), 0o600);
    env.xtask(["certs", "--force"]).ok();
    assert_eq!(
        env.read("ssl/indico.key.bak"),
        key,
        "a backup is never overwritten"
    );
    assert!(env.join("ssl/indico.key.bak.1").is_file());

    // A certificate whose key is gone is kept too before a new pair is made.
    let orphan = env.read("ssl/indico.crt");
    std::fs::remove_file(env.join("ssl/indico.key")).unwrap();
    env.xtask(["certs"]).ok();
    assert_eq!(env.read("ssl/indico.crt.bak.2"), orphan);
}

#[test]
fn dry_run_says_what_it_would_write_and_writes_nothing() {
    let env = Env::new();
    env.tasks_toml(CERTS);
    let out = env.xtask(["--dry-run", "certs", "--days", "7"]).ok();
    assert_eq!(
        out.stdout,
        "# new ECDSA P-256 key -> ssl/indico.key (mode 0600)\n# self-signed certificate CN=indico.slac.stanford.edu, 7 days -> ssl/indico.crt\n"
    );
    assert!(!env.join("ssl").exists());
}

#[test]
fn certs_needs_a_place_and_sane_values() {
    Env::new()
        .xtask(["certs"])
        .fails_with(2)
        .stderr_has("tasks.toml has no [certs]");
    let env = Env::new();
    env.tasks_toml(CERTS);
    env.xtask(["certs", "--days", "0"]).fails_with(2);
    env.xtask(["certs", "--cn", " "])
        .fails_with(2)
        .stderr_has("is no common name");
    assert!(!env.join("ssl").exists());
    env.tasks_toml("[certs]\ncert = \"/etc/x.crt\"\nkey = \"ssl/x.key\"\ndays = 0\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("tasks.toml:2:8: [certs] cert `/etc/x.crt` is outside the environment root")
        .stderr_has("tasks.toml:4:8: [certs] days must be at least 1");
}

/// A private key as `certs` writes it, to find again after a refusal.
fn first_key(env: &Env) -> String {
    env.tasks_toml("[certs]\ncert = \"ssl/first.crt\"\nkey = \"ssl/server.pem\"\n");
    env.xtask(["certs"]).ok();
    std::fs::remove_file(env.join("ssl/first.crt")).unwrap();
    env.read("ssl/server.pem")
}

/// `check` (run before every command) finds it when the paths are plain;
/// `certs` itself when they hold a variable.
fn refused_as_one_file(out: &crate::harness::Outcome) {
    assert!(
        out.stderr.contains("are one file") || out.stderr.contains("is the certificate's own file"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_key_and_a_certificate_that_are_one_file_are_refused_however_spelled() {
    let env = Env::new();
    std::fs::create_dir(env.join("ssl")).unwrap();
    env.tasks_toml("[certs]\ncert = \"ssl/server.pem\"\nkey = \"./ssl/../ssl/server.pem\"\n");
    env.xtask(["check"]).fails_with(2).stderr_has(
        "tasks.toml:3:7: [certs] key `./ssl/../ssl/server.pem` is the certificate's own file (`ssl/server.pem`)",
    );
    for (key, cert) in [
        ("./ssl/../ssl/server.pem", "ssl/server.pem"),
        ("ssl/server.pem", "ssl2/server.pem"),
        ("ssl2/../ssl2/./server.pem", "ssl//server.pem"),
        (
            "${SSL_DIR:-ssl2}/server.pem",
            "${SSL_DIR:-ssl}/../ssl/server.pem",
        ),
    ] {
        let env = Env::new();
        std::fs::create_dir(env.join("ssl")).unwrap();
        std::os::unix::fs::symlink("ssl", env.join("ssl2")).unwrap();
        // Nothing there yet: nothing is written.
        env.tasks_toml(&format!("[certs]\ncert = \"{cert}\"\nkey = \"{key}\"\n"));
        let out = env.xtask(["certs"]).fails_with(2);
        refused_as_one_file(&out);
        if key.contains('$') {
            out.stderr_has(&format!(
                "[certs] key `{key}` and [certs] cert `{cert}` are one file"
            ))
            .stderr_has("nothing was written");
        }
        assert!(!env.join("ssl/server.pem").exists(), "{key} {cert}");
        // A key there already: it stays, with --force too.
        let pem = first_key(&env);
        env.tasks_toml(&format!("[certs]\ncert = \"{cert}\"\nkey = \"{key}\"\n"));
        for args in [&["certs"][..], &["certs", "--force"]] {
            refused_as_one_file(&env.xtask(args).fails_with(2));
            assert_eq!(env.read("ssl/server.pem"), pem, "{args:?}: the key is kept");
        }
        assert!(!env.join("ssl/server.pem.bak").exists());
    }
}

#[test]
fn hard_links_and_paths_outside_the_root_are_compared_as_files_too() {
    let env = Env::new();
    let pem = first_key(&env);
    std::fs::hard_link(env.join("ssl/server.pem"), env.join("ssl/server.crt")).unwrap();
    env.tasks_toml("[certs]\ncert = \"ssl/server.crt\"\nkey = \"ssl/server.pem\"\n");
    refused_as_one_file(&env.xtask(["certs", "--force"]).fails_with(2));
    assert_eq!(env.read("ssl/server.pem"), pem);

    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("ssl");
    std::fs::create_dir(&dir).unwrap();
    env.tasks_toml(&format!(
        "[certs]\noutside_root = true\ncert = \"{0}/server.pem\"\nkey = \"{0}/../ssl/server.pem\"\n",
        dir.display()
    ));
    refused_as_one_file(&env.xtask(["certs"]).fails_with(2));
    assert!(!dir.join("server.pem").exists());
}

#[test]
fn a_file_that_is_no_certificate_or_key_is_not_replaced_without_force() {
    let env = Env::new();
    env.write("package.json", "{\"name\": \"web\"}\n");
    env.tasks_toml("[certs]\ncert = \"package.json\"\nkey = \"ssl/new.key\"\n");
    env.xtask(["certs"])
        .fails_with(2)
        .stderr_has("package.json exists and is no PEM certificate; it is not replaced without --force; nothing was written");
    assert_eq!(env.read("package.json"), "{\"name\": \"web\"}\n");
    assert!(!env.join("ssl/new.key").exists());
    // With --force it is replaced, and kept.
    env.xtask(["certs", "--force"])
        .ok()
        .stderr_has("Kept package.json as package.json.bak");
    assert_eq!(env.read("package.json.bak"), "{\"name\": \"web\"}\n");

    // An existing "key" that is none: refused, the certificate not written.
    let env = Env::new();
    env.write("README.md", "# readme\n");
    env.tasks_toml("[certs]\ncert = \"ssl/new.crt\"\nkey = \"README.md\"\n");
    env.xtask(["certs"])
        .fails_with(2)
        .stderr_has("README.md exists and is no private key this can sign with")
        .stderr_has("nothing was written");
    assert_eq!(env.read("README.md"), "# readme\n");
    assert!(!env.join("ssl").exists());
}

#[test]
fn a_backup_is_never_the_other_output() {
    // The key's backup would be ssl/k.pem.bak: that is where the certificate goes.
    let env = Env::new();
    env.tasks_toml("[certs]\ncert = \"ssl/k.pem.bak\"\nkey = \"ssl/k.pem\"\n");
    env.write("ssl/k.pem", "old key\n");
    env.xtask(["certs", "--force"])
        .fails_with(2)
        .stderr_has("are one file");
    assert_eq!(env.read("ssl/k.pem"), "old key\n");
    assert!(!env.join("ssl/k.pem.bak").exists());
}
