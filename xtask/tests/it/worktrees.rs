//! `worktree add/list/rm` against real git repositories and the real
//! engine: two environments up at once with their own ports and databases,
//! commands run inside the worktree as in the original, `rm`'s refusals,
//! and nothing left behind.

use std::path::{Path, PathBuf};

use crate::engine::{free_port, leftovers_of, tear_down, Stack};
use crate::git_fixture::{git, Remotes};
use crate::harness::Xtask;

/// The e2e fixture with its host ports in variables of `.env` (as most
/// stacks publish them), a repo under shared/src, and the root a git
/// repository; updated (repo cloned, `.env` copied), `shop` created and up.
struct Original {
    stack: Stack,
    _remotes: Remotes,
    web_port: u16,
    db_port: u16,
}

impl Original {
    fn new() -> Self {
        let stack = Stack::fixture();
        let compose = stack.env.read("docker-compose.yml");
        let compose = compose
            .replace("\"127.0.0.1::8080\"", "\"127.0.0.1:${WEB_PORT}:8080\"")
            .replace("\"127.0.0.1::5432\"", "\"127.0.0.1:${DB_PORT}:5432\"");
        stack.env.write("docker-compose.yml", &compose);
        crate::db::append_tasks(
            &stack,
            "[db]\nname = \"shop\"\n\n[services.web.debug]\ncommand = [\"python3\", \"app.py\"]\n",
        );
        let (web_port, db_port) = (free_port(), free_port());
        stack.env.write(
            ".env.example",
            &format!("WEB_PORT={web_port}\nDB_PORT={db_port}\n"),
        );
        let remotes = Remotes::new();
        let app_remote = remotes.create("app");
        // A branch named like the worktree exists on the remote: it is checked out.
        app_remote.checkout_new_branch("fix");
        app_remote.commit("FIX", "on the remote's fix\n");
        app_remote.push("fix");
        app_remote.checkout("main");
        stack.env.write(
            "repos.toml",
            &format!(
                "[defaults]\nroot = \"shared/src\"\n\n[[repo]]\nname = \"app\"\nurl = {}\n\n[[copy]]\nfrom = \".env.example\"\nto = \".env\"\n\n[[link]]\npath = \"app-readme\"\ntarget = \"shared/src/app/README\"\n",
                crate::harness::toml_string(&app_remote.url())
            ),
        );
        stack.env.write(".gitignore", ".env\nshared/\nbackups/\n");
        let root = stack.env.path();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "the environment"]);
        stack.xtask(["update"]).ok();
        stack.xtask(["up", "--wait", "--wait-timeout", "90"]).ok();
        stack.xtask(["db", "create"]).ok();
        Self {
            stack,
            _remotes: remotes,
            web_port,
            db_port,
        }
    }

    fn root(&self) -> &Path {
        self.stack.env.path()
    }

    /// The folder of worktree `name` (a sibling of the root).
    fn folder(&self, name: &str) -> PathBuf {
        let root = self.root();
        let folder = root.file_name().unwrap().to_string_lossy().into_owned();
        root.with_file_name(format!("{folder}-wt-{name}"))
    }

    fn project(&self, name: &str) -> String {
        format!("{}_{name}", self.stack.project)
    }

    /// xtask run in worktree `name`'s folder.
    fn in_worktree(&self, name: &str, args: &[&str]) -> Xtask {
        self.stack.xtask(args).current_dir(self.folder(name))
    }

    /// The rows of `t` in `shop`, through `db psql` in `dir`.
    fn rows(&self, dir: &Path) -> String {
        self.stack
            .xtask([
                "db",
                "psql",
                "--",
                "-At",
                "-c",
                "select string_agg(x::text, ',' order by x) from t",
            ])
            .current_dir(dir)
            .ok()
            .stdout
            .trim()
            .to_string()
    }
}

impl Drop for Original {
    fn drop(&mut self) {
        // Whatever the test left: the worktree's project and folder.
        tear_down(&self.project("fix"));
        tear_down(&format!("{}_testing_fix", self.stack.project));
        let _ = std::fs::remove_dir_all(self.folder("fix"));
    }
}

/// The web port `urls --json` shows in `dir`.
fn web_port(original: &Original, dir: &Path) -> u16 {
    let urls = original
        .stack
        .xtask(["urls", "--json"])
        .current_dir(dir)
        .ok()
        .stdout;
    original.stack.port(&urls, "web", 8080)[0]
}

#[test]
fn a_worktree_runs_beside_the_original_with_its_own_ports_and_database_and_rm_leaves_nothing() {
    let original = Original::new();
    let root = original.root().to_path_buf();
    crate::db::psql(
        &original.stack,
        "shop",
        "create table t (x int); insert into t values (1)",
    );

    let added = original.stack.xtask(["worktree", "add", "fix"]).ok();
    let folder = original.folder("fix");
    let app = folder.join("shared/src/app");
    assert!(folder.join("tasks.toml").is_file(), "{}", added.describe());
    // Every repo is a git worktree (objects shared), on the remote's branch.
    assert!(app.join(".git").is_file(), "app is a worktree, not a clone");
    assert_eq!(git(&app, &["branch", "--show-current"]), "fix");
    assert!(app.join("FIX").is_file(), "origin/fix is checked out");
    assert_eq!(git(&folder, &["branch", "--show-current"]), "fix");
    // The links of repos.toml, made as update makes them, into its own repos.
    let link = std::fs::read_link(folder.join("app-readme")).expect("the link is made");
    assert_eq!(link, PathBuf::from("shared/src/app/README"));

    // Its own host ports, written to its .env, never the original's.
    let env = std::fs::read_to_string(folder.join(".env")).unwrap();
    assert!(
        !env.contains(&format!("WEB_PORT={}\n", original.web_port)),
        "{env}"
    );
    assert!(
        !env.contains(&format!("DB_PORT={}\n", original.db_port)),
        "{env}"
    );
    assert!(
        env.contains(&format!("COMPOSE_PROJECT_NAME={}", original.project("fix"))),
        "{env}"
    );
    let (ours, theirs) = (web_port(&original, &root), web_port(&original, &folder));
    assert_eq!(ours, original.web_port);
    assert_ne!(ours, theirs);
    crate::engine::http_get(theirs).expect("the worktree's web answers");
    crate::engine::http_get(ours).expect("the original's web still answers");

    // Commands inside the worktree act on its own stack and database.
    original
        .in_worktree("fix", &["db", "list"])
        .ok()
        .stdout_has("shop");
    original
        .in_worktree("fix", &["env"])
        .ok()
        .stdout_has(&original.project("fix"));
    assert_eq!(original.rows(&folder), "1", "the database was copied");
    original
        .in_worktree(
            "fix",
            &["db", "psql", "--", "-c", "insert into t values (2)"],
        )
        .ok();
    assert_eq!(original.rows(&folder), "1,2");
    assert_eq!(
        original.rows(&root),
        "1",
        "a write in the worktree is its own"
    );

    // `debug` there listens on a port of its own, under an entry of its
    // own: the original's debug session of the same service can run too.
    let marker: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join(".xtask/worktree.json")).unwrap(),
    )
    .unwrap();
    let debug_port = marker["debug_ports"]["web"]
        .as_u64()
        .expect("a debug port for web");
    assert_ne!(debug_port, 5678, "{marker}");
    original
        .in_worktree("fix", &["--dry-run", "debug", "web"])
        .ok()
        .stdout_has(&format!("port 127.0.0.1:{debug_port}"))
        .stdout_has("`web: attach (xtask, worktree fix)`");
    original
        .stack
        .xtask(["--dry-run", "debug", "web"])
        .ok()
        .stdout_has("port 127.0.0.1:5678")
        .stdout_has("`web: attach (xtask)`");

    // The repo commands see its own repos; update follows the pin, and git
    // keeps a branch checked out in one worktree out of the others.
    original
        .in_worktree("fix", &["status"])
        .ok()
        .stdout_has("fix ");
    original
        .in_worktree("fix", &["update"])
        .ok()
        .stderr_has("branch main is checked out in the worktree at");
    assert_eq!(git(&app, &["branch", "--show-current"]), "fix");

    // Its testing environment is a project of its own too (`test` makes it).
    original
        .in_worktree("fix", &["--env", "testing", "up", "--wait", "worker"])
        .ok();
    let testing = format!("{}_testing_fix", original.stack.project);
    assert!(!leftovers_of(&testing).is_empty());

    let list = original.stack.xtask(["worktree", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&list.stdout).expect("list --json");
    assert_eq!(list[0]["name"], "fix");
    assert_eq!(list[0]["state"], "up");
    assert_eq!(list[0]["project"], original.project("fix"));
    assert_eq!(list[0]["debug_ports"]["web"], debug_port);

    // rm refuses while a repo holds work: uncommitted, then unpushed.
    std::fs::write(app.join("README"), "changed\n").unwrap();
    original
        .stack
        .xtask(["--yes", "worktree", "rm", "fix"])
        .fails_with(2)
        .stderr_has("uncommitted changes (M README)");
    git(&app, &["commit", "-q", "-am", "work of the worktree's"]);
    original
        .stack
        .xtask(["--yes", "worktree", "rm", "fix"])
        .fails_with(2)
        .stderr_has("1 commit(s) on fix that no other branch holds");
    assert!(folder.is_dir(), "a refusal changes nothing");
    git(&app, &["reset", "-q", "--hard", "origin/fix"]);
    std::fs::write(app.join("scratch.txt"), "a note of mine\n").unwrap();
    original
        .stack
        .xtask(["--yes", "worktree", "rm", "fix"])
        .fails_with(2)
        .stderr_has("uncommitted changes (?? scratch.txt)");
    std::fs::remove_file(app.join("scratch.txt")).unwrap();

    // What the stack's Python wrote when it imported the code is nobody's
    // work: it does not stop rm (nor do the files rm goes on to remove).
    for cache in ["__pycache__/app.cpython-311.pyc", "lib/__pycache__/m.pyc"] {
        let path = app.join(cache);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"\x6f\x0d\x0d\x0a").unwrap();
    }
    original
        .stack
        .xtask(["--yes", "worktree", "rm", "fix"])
        .ok();
    assert!(!folder.exists(), "its folder is gone");
    assert_eq!(leftovers_of(&original.project("fix")), Vec::<String>::new());
    assert_eq!(leftovers_of(&testing), Vec::<String>::new());
    let clone = root.join("shared/src/app");
    assert!(
        !git(&clone, &["branch", "--list", "fix"]).contains("fix"),
        "its branch is gone"
    );
    assert!(!git(&root, &["branch", "--list", "fix"]).contains("fix"));
    assert!(!git(&clone, &["worktree", "list"]).contains("-wt-fix"));
    assert_eq!(original.rows(&root), "1", "the original is untouched");
}

/// An environment of one busybox web service (`web` adds to its compose
/// entry, the compose file's tail included), `project` added to the
/// `[project]` table of tasks.toml, its root a git repository: what `worktree add NAME` needs
/// and no more. The original's and the worktree's projects and folder go
/// when it is dropped.
struct WebOnly {
    env: crate::harness::Env,
    project: String,
    worktree_project: String,
    folder: PathBuf,
}

impl WebOnly {
    fn new(web: &str, project: &str, name: &str) -> Self {
        crate::engine::require_engine();
        let env = crate::harness::Env::new();
        env.write(
            "docker-compose.yml",
            &format!(
                "services:\n  web:\n    image: xtask-test/busybox:1\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\"]\n    stop_signal: SIGKILL\n    {web}\n"
            ),
        );
        env.tasks_toml(&format!(
            "[project]\ncompose_files = [\"docker-compose.yml\"]\n{project}\n"
        ));
        git(env.path(), &["init", "-q", "-b", "main"]);
        git(env.path(), &["add", "-A"]);
        git(env.path(), &["commit", "-q", "-m", "the environment"]);
        let project = env.project_name();
        let root = env.path();
        let folder = root.file_name().unwrap().to_string_lossy().into_owned();
        let folder = root.with_file_name(format!("{folder}-wt-{name}"));
        Self {
            worktree_project: format!("{project}_{name}"),
            project,
            folder,
            env,
        }
    }
}

impl Drop for WebOnly {
    fn drop(&mut self) {
        tear_down(&self.project);
        tear_down(&self.worktree_project);
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A stack publishing a fixed host port: the worktree's stack cannot bind
/// it while the original runs, so `add` stops at its stack. What it made
/// is listed as incomplete and `rm` removes all of it.
#[test]
fn an_add_that_stops_half_way_is_listed_incomplete_and_rm_removes_it() {
    let port = free_port();
    let web = WebOnly::new(&format!("ports: [\"127.0.0.1:{port}:8080\"]"), "", "half");
    let (env, project, worktree_project) = (&web.env, &web.project, &web.worktree_project);
    let (root, folder) = (web.env.path().to_path_buf(), web.folder.clone());
    env.xtask(["up", "--wait"]).ok();

    // A dry run prints every step and changes nothing.
    let dry = env
        .xtask(["--dry-run", "worktree", "add", "half", "--db", "none"])
        .ok();
    for step in [
        "git worktree add --quiet --no-track -b half -- ",
        "# write ",
        &format!("COMPOSE_PROJECT_NAME={project}_half"),
        "# make the folders, links and copies of repos.toml in ",
        " up --wait",
    ] {
        assert!(dry.stdout.contains(step), "{step}: {}", dry.stdout);
    }
    assert!(!folder.exists() && !root.join(".xtask/worktrees").exists());

    env.xtask(["worktree", "add", "half", "--db", "none"])
        .run()
        .code(1)
        .stderr_has(&format!("publishes the fixed host port {port}"));
    assert!(
        folder.join("tasks.toml").is_file(),
        "the git worktree was made"
    );
    let list = env.xtask(["worktree", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&list.stdout).expect("list --json");
    assert_eq!(list[0]["state"], "incomplete");

    env.xtask(["--yes", "worktree", "rm", "half"]).ok();
    assert!(!folder.exists());
    assert_eq!(leftovers_of(worktree_project), Vec::<String>::new());
    assert!(!git(&root, &["branch", "--list", "half"]).contains("half"));
    assert!(!root.join(".xtask/worktrees/half.json").exists());
    env.xtask(["worktree", "list"])
        .ok()
        .stderr_has("no worktrees here");
    env.xtask(["down"]).ok();
}

/// The id of image `name`, if the engine has it.
fn image_id(name: &str) -> Option<String> {
    let out = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", name])
        .output()
        .expect("docker image inspect");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A service compose builds is named after the project: the worktree's
/// project gets the original's image under its own name, built never.
#[test]
fn built_images_are_shared_with_the_worktree_not_rebuilt() {
    built_images_are_shared(None, "-");
}

/// Compose v1 names them `PROJECT_SERVICE`.
#[test]
fn built_images_are_shared_on_compose_v1_too() {
    built_images_are_shared(Some("docker-compose"), "_");
}

fn built_images_are_shared(compose: Option<&str>, separator: &'static str) {
    crate::engine::require_engine();
    let env = crate::harness::Env::new();
    env.write(
        "app/Dockerfile",
        "FROM xtask-test/busybox:1\nRUN echo built > /built\n",
    );
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    build: app\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n",
    );
    env.tasks_toml("[project]\ncompose_files = [\"docker-compose.yml\"]\n");
    git(env.path(), &["init", "-q", "-b", "main"]);
    git(env.path(), &["add", "-A"]);
    git(env.path(), &["commit", "-q", "-m", "the environment"]);
    let project = env.project_name();
    let root = env.path().to_path_buf();
    let folder = {
        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        root.with_file_name(format!("{name}-wt-img"))
    };
    struct Cleanup(String, PathBuf, &'static str);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            for project in [self.0.clone(), format!("{}_img", self.0)] {
                tear_down(&project);
                let _ = std::process::Command::new("docker")
                    .args(["image", "rm", &format!("{project}{}web", self.2)])
                    .output();
            }
            let _ = std::fs::remove_dir_all(&self.1);
        }
    }
    let _cleanup = Cleanup(project.clone(), folder.clone(), separator);
    let xtask = |args: &[&str]| match compose {
        Some(compose) => env.xtask(args).env("XTASK_COMPOSE", compose),
        None => env.xtask(args),
    };
    xtask(&["up", "--wait"]).ok();
    let original = image_id(&format!("{project}{separator}web")).expect("the original's image");

    let added = xtask(&["worktree", "add", "img", "--db", "none"]).ok();
    let output = format!("{}{}", added.stdout, added.stderr);
    assert!(!output.contains("Building"), "nothing is built: {output}");
    let theirs = format!("{project}_img{separator}web");
    assert_eq!(image_id(&theirs).as_deref(), Some(original.as_str()));

    xtask(&["--yes", "worktree", "rm", "img"]).ok();
    assert_eq!(image_id(&theirs), None, "its tag is removed");
    assert_eq!(
        image_id(&format!("{project}{separator}web")).as_deref(),
        Some(original.as_str()),
        "the original's image stays"
    );
    xtask(&["down"]).ok();
}

/// Two adds at once (parallel agents): one waits for the other, and each
/// worktree gets host ports of its own; one copies the testing environment.
#[test]
fn two_adds_at_once_get_ports_of_their_own() {
    crate::engine::require_engine();
    let env = crate::harness::Env::new();
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: xtask-test/busybox:1\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\"]\n    stop_signal: SIGKILL\n    ports: [\"127.0.0.1:${WEB_PORT}:8080\"]\n",
    );
    env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\ndefault_environment = \"development\"\n\n[environments.development]\n[environments.testing]\n",
    );
    env.write(".env", &format!("WEB_PORT={}\n", free_port()));
    env.write(".gitignore", ".env\n");
    git(env.path(), &["init", "-q", "-b", "main"]);
    git(env.path(), &["add", "-A"]);
    git(env.path(), &["commit", "-q", "-m", "the environment"]);
    let project = env.project_name();
    let root = env.path().to_path_buf();
    let folder = |name: &str| {
        let base = root.file_name().unwrap().to_string_lossy().into_owned();
        root.with_file_name(format!("{base}-wt-{name}"))
    };
    struct Cleanup(String, Vec<PathBuf>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            for project in ["a", "testing_b"] {
                tear_down(&format!("{}_{project}", self.0));
            }
            for folder in &self.1 {
                let _ = std::fs::remove_dir_all(folder);
            }
        }
    }
    let _cleanup = Cleanup(project.clone(), vec![folder("a"), folder("b")]);

    let children: Vec<_> = [&["a"][..], &["b", "--from", "testing"]]
        .map(|args| {
            let mut words = vec!["worktree", "add", "--db", "none"];
            words.extend(args);
            env.xtask(words).spawn()
        })
        .into_iter()
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let port = |name: &str| {
        std::fs::read_to_string(folder(name).join(".env"))
            .expect(".env")
            .lines()
            .find_map(|l| l.strip_prefix("WEB_PORT=").map(str::to_string))
            .expect("WEB_PORT")
    };
    assert_ne!(port("a"), port("b"));
    // b keeps the environment it copied, in a project of its own.
    env.xtask(["env"])
        .current_dir(folder("b"))
        .ok()
        .stdout_has("testing")
        .stdout_has(&format!("{project}_testing_b"));
    for (name, project) in [
        ("a", format!("{project}_a")),
        ("b", format!("{project}_testing_b")),
    ] {
        assert!(!leftovers_of(&project).is_empty(), "{project} runs");
        env.xtask(["--yes", "worktree", "rm", name]).ok();
        assert_eq!(leftovers_of(&project), Vec::<String>::new());
    }
}

/// `worktree rm` completes the names of the records, `add --from` the
/// environments.
#[test]
fn the_shell_is_offered_worktree_names_and_environments() {
    let env = crate::harness::Env::new();
    env.tasks_toml("[environments.development]\n[environments.testing]\n");
    env.write(
        ".xtask/worktrees/fix-login.json",
        r#"{"name":"fix-login","path":"/nowhere","project":"p_fix-login","branch":"fix-login","environment":null,"ports":{},"checkouts":[],"written":[],"image_tags":[],"complete":true}"#,
    );
    let offered = |words: &[&str]| crate::completions::offered(&env, words);
    assert!(offered(&["worktree", "rm", ""]).contains(&"fix-login".to_string()));
    let environments = offered(&["worktree", "add", "x", "--from", ""]);
    assert!(
        environments.contains(&"testing".to_string()),
        "{environments:?}"
    );
}

/// `kill -9` of `worktree add` while its stack starts: the original is as
/// it was, the worktree is listed as incomplete, and `rm` removes it all.
#[test]
fn an_add_killed_mid_way_is_removed_whole_by_rm() {
    crate::engine::require_engine();
    let env = crate::harness::Env::new();
    env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: xtask-test/busybox:1\n    command: [\"sh\", \"-c\", \"sleep 2 && touch /tmp/ready && exec sleep 3600\"]\n    stop_signal: SIGKILL\n    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n      interval: 1s\n      retries: 30\n",
    );
    env.tasks_toml("[project]\ncompose_files = [\"docker-compose.yml\"]\n");
    git(env.path(), &["init", "-q", "-b", "main"]);
    git(env.path(), &["add", "-A"]);
    git(env.path(), &["commit", "-q", "-m", "the environment"]);
    let root = env.path().to_path_buf();
    let worktree_project = format!("{}_cut", env.project_name());
    let folder = {
        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        root.with_file_name(format!("{name}-wt-cut"))
    };
    struct Cleanup(String, PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            tear_down(&self.0);
            let _ = std::fs::remove_dir_all(&self.1);
        }
    }
    let _cleanup = Cleanup(worktree_project.clone(), folder.clone());

    let job = env
        .xtask(["worktree", "add", "cut", "--db", "none"])
        .spawn_as_a_job();
    crate::engine::wait_for(
        "the worktree's web container",
        std::time::Duration::from_secs(60),
        || match crate::engine::container_ids(&worktree_project, "web", true).is_empty() {
            true => Err("none yet".into()),
            false => Ok(()),
        },
    );
    crate::harness::send_signal_to_group(job.id(), 9);
    let out = job.wait_with_output().expect("wait");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(9)
    );
    assert_eq!(
        git(&root, &["status", "--porcelain"]),
        "",
        "the original is as it was"
    );
    let list = env.xtask(["worktree", "list", "--json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&list.stdout).expect("list --json");
    assert_eq!(list[0]["state"], "incomplete");
    // The stack's own `up --wait` (a process group of its own) ends by itself.
    crate::engine::wait_for(
        "the worktree's web to be healthy",
        std::time::Duration::from_secs(60),
        || {
            let ids = crate::engine::container_ids(&worktree_project, "web", false);
            let health = std::process::Command::new("docker")
                .args(["inspect", "--format", "{{.State.Health.Status}}"])
                .args(&ids)
                .output()
                .map_err(|e| e.to_string())?;
            let health = String::from_utf8_lossy(&health.stdout).trim().to_string();
            if health == "healthy" {
                Ok(())
            } else {
                Err(health)
            }
        },
    );

    env.xtask(["--yes", "worktree", "rm", "cut"]).ok();
    assert!(!folder.exists());
    assert_eq!(leftovers_of(&worktree_project), Vec::<String>::new());
    assert!(!git(&root, &["branch", "--list", "cut"]).contains("cut"));
    assert_eq!(
        git(&root, &["worktree", "list", "--porcelain"])
            .matches("worktree ")
            .count(),
        1
    );
}

/// A worktree of a protected environment: `--yes` alone does not remove
/// its stack and volumes; the worktree's name typed (`--confirm NAME`)
/// does, once, for every stack of it.
#[test]
fn a_worktree_of_a_protected_environment_is_removed_only_with_its_name_typed() {
    let web = WebOnly::new(
        "ports: [\"127.0.0.1::8080\"]\n    volumes: [\"data:/data\"]\nvolumes:\n  data:",
        "default_environment = \"staging\"\n\n[environments.staging]\nprotected = true",
        "hotfix",
    );
    let (env, worktree_project, folder) = (&web.env, &web.worktree_project, &web.folder);
    env.xtask(["worktree", "add", "hotfix", "--db", "none"])
        .ok();
    assert!(!leftovers_of(worktree_project).is_empty(), "its stack runs");

    // --yes is not enough, nor a wrong name; nothing is changed.
    for args in [
        vec!["--yes", "worktree", "rm", "hotfix"],
        vec!["--yes", "worktree", "rm", "hotfix", "--confirm", "staging"],
    ] {
        env.xtask(&args)
            .fails_with(2)
            .stderr_has("`hotfix` was not confirmed: nothing was changed")
            .stderr_has("--confirm hotfix");
        assert!(folder.is_dir(), "{args:?} changed nothing");
        assert!(!leftovers_of(worktree_project).is_empty(), "{args:?}");
    }
    // The dry run says which environment is protected and that the typed
    // name stands for the stack's own confirmation.
    env.xtask(["--dry-run", "worktree", "rm", "hotfix"])
        .ok()
        .stdout_has("(`staging` is protected)")
        .stdout_has(&format!("down --volumes --confirm {worktree_project}"));

    env.xtask(["worktree", "rm", "hotfix", "--confirm", "hotfix"])
        .ok();
    assert!(!folder.exists());
    assert_eq!(leftovers_of(worktree_project), Vec::<String>::new());
}
