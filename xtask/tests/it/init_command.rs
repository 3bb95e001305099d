//! `init`: the one-time setup from `[init]`: folders with owner and mode,
//! copies that never overwrite, one-time steps whose stdout becomes a file;
//! idempotent; `--force` keeps backups; paths outside the root only when
//! allowed. Also environment values read from files (`{ file = ... }`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::harness::{toml_string, Env};

/// Whether the tests run as root (CI's container does): owners are set only then.
fn as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn mode_of(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

const SETUP: &str = r#"
[init]

[[init.folder]]
path = "data"
owner = "nobody"
group = "daemon"
mode = "0750"

[[init.folder]]
path = "data/backups"

[[init.copy]]
from = "defaults/app.conf"
to = "data/etc/app.conf"
mode = "0640"

[[init.step]]
name = "generate"
run = ["sh", "-c", "echo generated for $ENVIRONMENT"]
output = "data/etc/generated.conf"

[project]
default_environment = "development"

[environments.development]
"#;

fn setup_env() -> Env {
    let env = Env::new();
    env.tasks_toml(SETUP)
        .write("defaults/app.conf", "answer = 42\n");
    env
}

#[test]
fn init_sets_up_everything_then_a_second_run_changes_nothing() {
    let env = setup_env();
    env.xtask(["check"]).ok();
    let first = env.xtask(["init"]).ok();
    let data = env.join("data");
    assert!(data.is_dir() && env.join("data/backups").is_dir());
    assert_eq!(
        mode_of(&data),
        0o750,
        "the mode is exact, whatever the umask"
    );
    if as_root() {
        let meta = std::fs::metadata(&data).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 1), "nobody:daemon");
    }
    assert_eq!(env.read("data/etc/app.conf"), "answer = 42\n");
    assert_eq!(mode_of(&env.join("data/etc/app.conf")), 0o640);
    // The step's stdout is the file, and the step ran in the environment.
    assert_eq!(
        env.read("data/etc/generated.conf"),
        "generated for development\n"
    );
    assert!(first.stderr.contains("Copied"), "{}", first.describe());

    let second = env.xtask(["init"]).ok();
    assert!(
        second.stderr.contains("nothing to do"),
        "a second run says it changed nothing\n{}",
        second.describe()
    );
    assert!(!second.stderr.contains("Created") && !second.stderr.contains("Running"));
    let dry = env.xtask(["--dry-run", "init"]).ok();
    assert!(dry.stdout.contains("# nothing to do"), "{}", dry.describe());
}

#[test]
fn dry_run_prints_every_action_and_changes_nothing() {
    let env = setup_env();
    let out = env.xtask(["--dry-run", "init"]).ok();
    for line in [
        "mkdir -p -m 0750 -- data\n",
        "chmod 0750 -- data\n",
        "mkdir -p -- data/backups\n",
        "# copy defaults/app.conf to data/etc/app.conf (mode 0640; never over an existing file)\n",
        "# step generate (makes data/etc/generated.conf)\n",
        "sh -c 'echo generated for $ENVIRONMENT' >",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing {line:?}\n{}",
            out.describe()
        );
    }
    let chown = if as_root() {
        "chown nobody:daemon -- data\n"
    } else {
        "# not root: run as root: chown nobody:daemon -- data\n"
    };
    assert!(out.stdout.contains(chown), "{}", out.describe());
    assert!(!env.join("data").exists(), "a dry run created something");
}

#[test]
fn a_changed_config_is_kept_and_force_keeps_a_backup() {
    let env = setup_env();
    env.xtask(["init"]).ok();
    env.write("data/etc/app.conf", "answer = 43 # edited\n");
    env.xtask(["init"]).ok().stderr_has(
        "kept data/etc/app.conf: it exists and differs from defaults/app.conf; not overwritten",
    );
    assert_eq!(env.read("data/etc/app.conf"), "answer = 43 # edited\n");

    env.xtask(["init", "--force"])
        .ok()
        .stderr_has("the old file is data/etc/app.conf.bak");
    assert_eq!(env.read("data/etc/app.conf"), "answer = 42\n");
    assert_eq!(env.read("data/etc/app.conf.bak"), "answer = 43 # edited\n");
    // The step's output was made again, the old one kept too.
    assert!(env.join("data/etc/generated.conf.bak").is_file());
    // A second --force never overwrites the first backup.
    env.write("data/etc/app.conf", "answer = 44\n");
    env.xtask(["init", "--force"]).ok();
    assert_eq!(env.read("data/etc/app.conf.bak"), "answer = 43 # edited\n");
    assert_eq!(env.read("data/etc/app.conf.bak.1"), "answer = 44\n");
}

#[test]
fn a_step_refuses_to_overwrite_what_it_would_create_naming_it() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[[init.step]]
name = "make-config"
run = ["sh", "-c", "mkdir -p etc && echo new > etc/indico.conf && echo new > etc/logging.yaml"]
creates = ["etc/indico.conf", "etc/logging.yaml"]
"#,
    )
    .write("etc/logging.yaml", "mine\n");
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("step make-config would overwrite etc/logging.yaml (only etc/indico.conf is missing); nothing was run")
        .stderr_has("--force");
    assert!(!env.join("etc/indico.conf").exists());
    assert_eq!(env.read("etc/logging.yaml"), "mine\n");

    env.xtask(["init", "--force"]).ok();
    assert_eq!(env.read("etc/logging.yaml.bak"), "mine\n");
    assert_eq!(env.read("etc/indico.conf"), "new\n");
    env.xtask(["init"]).ok().stderr_has("nothing to do");
}

#[test]
fn a_failing_step_leaves_no_output_and_a_step_that_makes_nothing_is_an_error() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[[init.step]]
name = "config"
run = ["sh", "-c", "echo half; exit 3"]
output = "camcops.conf"
"#,
    );
    env.xtask(["init"]).fails_with(3);
    assert!(
        std::fs::read_dir(env.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("camcops.conf")),
        "no output, not even a partial one"
    );

    env.tasks_toml(
        r#"
[[init.step]]
name = "prepare"
run = ["true"]
creates = ["prepared"]
"#,
    );
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("step prepare succeeded but did not make prepared");
}

#[test]
fn paths_outside_the_root_need_outside_root() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("indico-docker");
    let env = Env::new();
    env.tasks_toml(&format!(
        "[[init.folder]]\npath = {}\nmode = \"0700\"\n",
        toml_string(&target.to_string_lossy())
    ));
    let out = env.xtask(["check"]).fails_with(2);
    assert!(
        out.stderr.contains("tasks.toml:2:8: [[init.folder]] path")
            && out.stderr.contains("is outside the environment root")
            && out.stderr.contains("outside_root = true"),
        "{}",
        out.describe()
    );
    assert!(!target.exists());

    // Allowed, through a variable as the seed's $INDICO_DIR.
    env.tasks_toml(
        "[init]\noutside_root = true\n\n[[init.folder]]\npath = \"${INDICO_DIR}\"\nmode = \"0700\"\n\n[[init.folder]]\npath = \"${INDICO_DIR}/ssl\"\n",
    );
    env.xtask(["init"])
        .env_remove("INDICO_DIR")
        .fails_with(2)
        .stderr_has("`${INDICO_DIR}` uses ${INDICO_DIR}, which is not set");
    env.xtask(["init"]).env("INDICO_DIR", &target).ok();
    assert_eq!(mode_of(&target), 0o700);
    assert!(target.join("ssl").is_dir());
    env.write(".env", &format!("INDICO_DIR={}\n", target.display()));
    env.xtask(["init"])
        .env_remove("INDICO_DIR")
        .ok()
        .stderr_has("nothing to do");

    // A variable leading outside without the permission is refused too.
    env.tasks_toml("[[init.folder]]\npath = \"${INDICO_DIR}/x\"\n");
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("is absolute")
        .stderr_has("outside_root = true");
    assert!(!target.join("x").exists());
}

#[test]
fn steps_are_lists_with_an_output_in_a_declared_service() {
    let env = Env::new();
    env.write(
        "docker-compose.yml",
        "services:\n  camcops:\n    image: xtask-test/busybox:1\n",
    );
    env.tasks_toml(
        r#"[project]
compose_files = ["docker-compose.yml"]

[[init.step]]
name = "config"
run = "camcops_server demo_camcops_config > camcops.conf"
output = "camcops.conf"

[[init.step]]
name = "again"
in = "camcop"
run = ["true"]

[[init.folder]]
path = "x"
mode = "0799"
"#,
    );
    let out = env.xtask(["check"]).fails_with(2);
    for text in [
        "tasks.toml:6:7: [[init.step]] `config`: run is a shell line",
        "tasks.toml:10:8: [[init.step]] `again` has no output: it would run every time",
        "tasks.toml:11:6: [[init.step]] `again` runs in `camcop`, no service of the compose files",
        "did you mean `camcops`?",
        "tasks.toml:16:8: [[init.folder]] mode `0799` is no octal permission",
    ] {
        assert!(
            out.stderr.contains(text),
            "missing {text:?}\n{}",
            out.describe()
        );
    }
}

#[test]
fn an_owner_that_does_not_exist_stops_init_before_any_change() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    env.tasks_toml("[[init.folder]]\npath = \"a\"\n\n[[init.folder]]\npath = \"b\"\nowner = \"${OWNER:-no-such-user-here}\"\ngroup = \"daemon\"\n");
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("cannot give b to no-such-user-here:daemon: there is no user `no-such-user-here` on this host; nothing was changed");
    assert!(!env.join("a").exists() && !env.join("b").exists());
    env.xtask(["init"]).env("OWNER", "nobody").ok();
    assert_eq!(std::fs::metadata(env.join("b")).unwrap().uid(), 65534);
}

#[test]
fn init_without_an_init_table_says_what_to_write() {
    Env::new()
        .xtask(["init"])
        .fails_with(2)
        .stderr_has("tasks.toml has no [init]")
        .stderr_has("[[init.folder]]");
}

#[test]
fn not_root_prints_the_chown_a_root_user_would_run() {
    if !as_root() {
        // Already not root: the dry-run test above checks the printed line.
        return;
    }
    let env = Env::new();
    env.tasks_toml(
        "[[init.folder]]\npath = \"data\"\nowner = \"root\"\ngroup = \"daemon\"\nmode = \"0750\"\n",
    );
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    // Run as nobody through setpriv, as a user without root would.
    let output = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(crate::harness::binary())
        .arg("init")
        .current_dir(env.path())
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", env.join("cache"))
        .output()
        .expect("setpriv");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("not running as root: the owner of data is left as it is; as root, run: chown root:daemon -- "),
        "{stderr}"
    );
    let meta = std::fs::metadata(env.join("data")).unwrap();
    assert_eq!(meta.uid(), 65534, "created by the user, not chowned");
    assert_eq!(mode_of(&env.join("data")), 0o750);
}

#[test]
fn an_environment_value_can_be_a_files_content() {
    let env = Env::new();
    env.tasks_toml(
        r#"[project]
default_environment = "development"

[environments.development]
env = { config = { file = "deployConfig.yaml" }, PLAIN = "x" }

[tasks.show]
run = ["printenv", "config"]
"#,
    )
    .write("deployConfig.yaml", "db:\n  host: localhost\n\n");
    // As the seed's config="$(cat deployConfig.yaml)": trailing newlines dropped.
    let out = env.xtask(["show"]).ok();
    assert_eq!(out.stdout, "db:\n  host: localhost\n");

    // Compose gets it too; plans and `env` name the file, not its content.
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: xtask-test/busybox:1\n    environment:\n      CONFIG: ${config}\n",
    );
    let tasks = env.read("tasks.toml").replace(
        "[project]\n",
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n",
    );
    env.tasks_toml(&tasks);
    let dry = env.xtask(["--dry-run", "up", "-d"]).ok();
    assert!(!dry.stdout.contains("localhost"), "{}", dry.describe());
    env.xtask(["env"])
        .ok()
        .stdout_has("env: config=<the content of deployConfig.yaml>\n")
        .stdout_has("env: PLAIN=x\n");
    env.xtask(["config"]).ok().stdout_has("host: localhost");

    std::fs::remove_file(env.join("deployConfig.yaml")).unwrap();
    let out = env.xtask(["show"]).fails_with(2);
    assert!(
        out.stderr
            .contains("tasks.toml:6:27: cannot read the value file `deployConfig.yaml`"),
        "{}",
        out.describe()
    );

    env.tasks_toml(
        "[project]\ndefault_environment = \"d\"\n\n[environments.d]\nenv = { config = { file = \"../secret\" } }\n\n[tasks.show]\nrun = [\"printenv\", \"config\"]\n",
    );
    env.xtask(["show"])
        .fails_with(2)
        .stderr_has(
            "tasks.toml:5:27: the value file `../secret` climbs out of the environment root",
        )
        .stderr_has("outside_root = true");

    env.tasks_toml("[environments.d]\nenv = { config = { path = \"x\" } }\n");
    env.xtask(["check"])
        .fails_with(2)
        .stderr_has("unknown field `path`");
}

/// A file outside the environment root, 0600, that init must never change.
fn outside_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.conf");
    std::fs::write(&secret, "outside\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    (outside, secret)
}

#[test]
fn a_step_that_makes_its_output_a_link_outside_never_changes_the_outside_file() {
    let (outside, secret) = outside_file();
    let outside_dir_mode = mode_of(outside.path());
    // A link to a file, to a folder, and a chain of links ending outside.
    for (name, target) in [
        ("file", secret.clone()),
        ("folder", outside.path().to_path_buf()),
        ("chain", std::path::PathBuf::from("hop")),
    ] {
        let env = Env::new();
        std::os::unix::fs::symlink(&secret, env.join("hop")).unwrap();
        env.tasks_toml(&format!(
            r#"
[[init.step]]
name = "link"
run = ["ln", "-s", {}, "app.conf"]
creates = ["app.conf"]
mode = "0666"

[[init.folder]]
path = "later"
"#,
            toml_string(&target.to_string_lossy())
        ));
        let out = env.xtask(["init"]).fails_with(1);
        assert!(
            out.stderr.contains("init stopped: step link: app.conf leads outside the environment root through a symbolic link")
                && out.stderr.contains("nothing after this was done"),
            "{name}\n{}",
            out.describe()
        );
        assert_eq!(mode_of(&secret), 0o600, "{name}: the outside file");
        assert_eq!(mode_of(outside.path()), outside_dir_mode, "{name}");
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "outside\n");
        assert!(env
            .join("app.conf")
            .symlink_metadata()
            .unwrap()
            .is_symlink());
    }
}

#[test]
fn owners_and_modes_are_never_set_through_a_link_even_inside_the_root() {
    let env = Env::new();
    env.write("real.conf", "mine\n");
    std::fs::set_permissions(
        env.join("real.conf"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    env.tasks_toml(
        r#"
[[init.step]]
name = "link"
run = ["ln", "-s", "real.conf", "app.conf"]
creates = ["app.conf"]
mode = "0666"
"#,
    );
    env.xtask(["init"])
        .fails_with(1)
        .stderr_has("app.conf: is a symbolic link (to real.conf); init never changes a mode or owner through a link");
    assert_eq!(mode_of(&env.join("real.conf")), 0o600);

    // A folder planned inside that a step turns into a link outside: the
    // folder's owner and mode are not set through it.
    let (outside, secret) = outside_file();
    let before = std::fs::metadata(outside.path()).unwrap();
    let env = Env::new();
    env.tasks_toml(&format!(
        r#"
[[init.step]]
name = "link"
run = ["ln", "-s", {}, "data"]
creates = ["data"]

[[init.step]]
name = "write"
run = ["sh", "-c", "echo new"]
output = "data/secret.conf"
"#,
        toml_string(&outside.path().to_string_lossy())
    ));
    env.xtask(["init"])
        .fails_with(1)
        .stderr_has("step link: data leads outside the environment root");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "outside\n");
    let after = std::fs::metadata(outside.path()).unwrap();
    assert_eq!(
        (after.mode(), after.uid(), after.gid()),
        (before.mode(), before.uid(), before.gid())
    );
}

#[test]
fn a_hard_link_to_an_outside_file_is_left_as_it_is() {
    let (outside, secret) = outside_file();
    let env = Env::new();
    // Hard links need one file system: the outside file sits beside the root.
    let beside = env.path().parent().unwrap().join(format!(
        "{}-outside.conf",
        env.path().file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(&secret, &beside).unwrap();
    std::fs::set_permissions(&beside, std::fs::Permissions::from_mode(0o600)).unwrap();
    drop(outside);
    let owner = if as_root() {
        "\nowner = \"nobody\""
    } else {
        ""
    };
    env.tasks_toml(&format!(
        r#"
[[init.step]]
name = "hard"
run = ["ln", {}, "app.conf"]
creates = ["app.conf"]
mode = "0666"

[[init.folder]]
path = "data"{owner}
"#,
        toml_string(&beside.to_string_lossy())
    ));
    let out = env.xtask(["init"]).fails_with(1);
    std::fs::remove_file(&beside).ok();
    assert!(
        out.stderr
            .contains("app.conf: has 2 names (hard links): a mode or owner set on it would change the file under its other names too"),
        "{}",
        out.describe()
    );
    assert_eq!(
        mode_of(&env.join("app.conf")),
        0o600,
        "the shared inode kept its mode"
    );
}

#[test]
fn owners_are_set_on_the_folder_itself() {
    if !as_root() {
        return;
    }
    let (outside, _secret) = outside_file();
    let before = std::fs::metadata(outside.path()).unwrap();
    let env = Env::new();
    std::fs::create_dir(env.join("data")).unwrap();
    env.tasks_toml(
        "[[init.folder]]\npath = \"data\"\nowner = \"nobody\"\ngroup = \"daemon\"\nmode = \"0750\"\n",
    );
    env.xtask(["init"]).ok().stderr_has("Owned");
    let meta = std::fs::metadata(env.join("data")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (65534, 1, 0o750)
    );
    // The same folder as a link outside is refused before anything changes.
    let env = Env::new();
    std::os::unix::fs::symlink(outside.path(), env.join("data")).unwrap();
    env.tasks_toml("[[init.folder]]\npath = \"data\"\nowner = \"nobody\"\nmode = \"0777\"\n");
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("path `data` is outside the environment root");
    let after = std::fs::metadata(outside.path()).unwrap();
    assert_eq!((after.uid(), after.mode()), (before.uid(), before.mode()));
}

#[test]
fn two_outputs_of_init_that_are_one_file_stop_it_before_any_change() {
    let env = Env::new();
    std::fs::create_dir(env.join("etc")).unwrap();
    std::os::unix::fs::symlink("etc", env.join("etc2")).unwrap();
    env.write("defaults/app.conf", "default\n");
    env.tasks_toml(
        r#"
[[init.folder]]
path = "made"

[[init.copy]]
from = "defaults/app.conf"
to = "etc/app.conf"

[[init.step]]
name = "generate"
run = ["sh", "-c", "echo generated"]
output = "etc2/../etc2/app.conf"
"#,
    );
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("tasks.toml:12:10: [[init.step]] output `etc2/../etc2/app.conf` is the same file as `etc/app.conf`, written earlier by init");
    assert!(!env.join("made").exists() && !env.join("etc/app.conf").exists());
    // Through a variable, `check` cannot tell: init itself stops.
    let tasks = env
        .read("tasks.toml")
        .replace("etc2/../etc2/app.conf", "${ETC:-etc2}/app.conf");
    env.tasks_toml(&tasks);
    env.xtask(["init"])
        .fails_with(2)
        .stderr_has("init would write the copy of defaults/app.conf to etc/app.conf and etc/app.conf of step generate, which are one file")
        .stderr_has("nothing was changed");
    assert!(!env.join("made").exists() && !env.join("etc/app.conf").exists());
}

#[test]
fn links_and_hard_links_there_before_init_are_never_written_through() {
    let (outside, secret) = outside_file();
    // A step output that is already a link outside: refused, --force too.
    let env = Env::new();
    std::os::unix::fs::symlink(&secret, env.join("app.conf")).unwrap();
    env.tasks_toml(
        "[[init.step]]\nname = \"gen\"\nrun = [\"sh\", \"-c\", \"echo new\"]\noutput = \"app.conf\"\nmode = \"0666\"\n",
    );
    for args in [&["init"][..], &["init", "--force"]] {
        env.xtask(args)
            .fails_with(2)
            .stderr_has("output `app.conf` is outside the environment root");
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "outside\n");
        assert_eq!(mode_of(&secret), 0o600);
        assert!(env
            .join("app.conf")
            .symlink_metadata()
            .unwrap()
            .is_symlink());
    }
    drop(outside);

    // A copy's target that is a hard link of a file elsewhere: --force
    // replaces the name in the root; the other name keeps its content and mode.
    let env = Env::new();
    let beside = env.path().parent().unwrap().join(format!(
        "{}-elsewhere.conf",
        env.path().file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&beside, "elsewhere\n").unwrap();
    std::fs::set_permissions(&beside, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::hard_link(&beside, env.join("app.conf")).unwrap();
    env.write("defaults/app.conf", "default\n");
    env.tasks_toml(
        "[[init.copy]]\nfrom = \"defaults/app.conf\"\nto = \"app.conf\"\nmode = \"0666\"\n",
    );
    env.xtask(["init"]).ok().stderr_has("kept app.conf");
    env.xtask(["init", "--force"]).ok();
    let (content, mode) = (std::fs::read_to_string(&beside).unwrap(), mode_of(&beside));
    std::fs::remove_file(&beside).unwrap();
    assert_eq!((content.as_str(), mode), ("elsewhere\n", 0o600));
    assert_eq!(env.read("app.conf"), "default\n");
    assert_eq!(mode_of(&env.join("app.conf")), 0o666);
    assert_eq!(env.read("app.conf.bak"), "elsewhere\n");
}

#[test]
fn outside_root_allows_paths_outside_but_still_no_mode_through_a_link() {
    let (outside, secret) = outside_file();
    let env = Env::new();
    env.tasks_toml(&format!(
        "[init]\noutside_root = true\n\n[[init.step]]\nname = \"link\"\nrun = [\"ln\", \"-s\", {}, {}]\ncreates = [{}]\nmode = \"0666\"\n",
        toml_string(&secret.to_string_lossy()),
        toml_string(&outside.path().join("made.conf").to_string_lossy()),
        toml_string(&outside.path().join("made.conf").to_string_lossy()),
    ));
    env.xtask(["init"])
        .fails_with(1)
        .stderr_has("is a symbolic link")
        .stderr_has("init never changes a mode or owner through a link");
    assert_eq!(mode_of(&secret), 0o600);
}
