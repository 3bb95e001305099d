//! `images build|tag|push`: the plans `--dry-run` prints (bases first, one
//! build per matrix cell, `latest` to `stable`), the configuration
//! mistakes `check` names, and a real build pushed to a local registry
//! (Debian's docker-registry on 127.0.0.1) and pulled back by its digest.

use std::path::Path;
use std::process::Command;

use crate::engine::require_engine;
use crate::harness::Env;

/// The plan with the temporary root written as `$ROOT`.
pub fn plan_text(env: &Env, text: &str) -> String {
    text.replace(&env.path().display().to_string(), "$ROOT")
}

/// A unique lowercase name for this test's images (the temp folder's).
pub fn unique_name(env: &Env) -> String {
    env.path()
        .file_name()
        .expect("temp folder name")
        .to_string_lossy()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Every local image whose repository contains `needle`, as `ID REPO:TAG`.
pub fn images_named(needle: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "image",
            "ls",
            "--format",
            "{{.ID}} {{.Repository}}:{{.Tag}}",
        ])
        .output()
        .expect("docker image ls");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains(needle))
        .map(String::from)
        .collect()
}

/// Removes (on drop) every image whose repository contains `needle`, and
/// checks that none is left.
pub struct ImagesGone {
    pub needle: String,
}

impl ImagesGone {
    pub fn remove_now(&self) {
        let ids: Vec<String> = images_named(&self.needle)
            .iter()
            .filter_map(|line| line.split_whitespace().next().map(String::from))
            .collect();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(["image", "rm", "-f"])
                .args(&ids)
                .output();
        }
    }
}

impl Drop for ImagesGone {
    fn drop(&mut self) {
        self.remove_now();
        if !std::thread::panicking() {
            let left = images_named(&self.needle);
            assert!(left.is_empty(), "images left behind: {left:?}");
        }
    }
}

/// `docker ARGS...`, asserting success; returns stdout.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Overwatch's two stages: the app's Dockerfile is FROM the base image,
/// both built per Python version; the app sorts first by name, so only the
/// FROM line puts the base first.
fn two_stage(env: &Env, repository_prefix: &str) {
    env.tasks_toml(&format!(
        r#"
[images.app]
name = "{repository_prefix}app"
tags = ["{{tag}}-py{{PYTHON_VERSION}}"]
matrix = {{ PYTHON_VERSION = ["2.7.15", "3.6.6"] }}

[images.base]
name = "{repository_prefix}base"
context = "docker"
dockerfile = "Dockerfile.build"
tags = ["{{tag}}-py{{PYTHON_VERSION}}"]
matrix = {{ PYTHON_VERSION = ["2.7.15", "3.6.6"] }}
args = {{ GREETING = "hello {{tag}}" }}
"#
    ));
    env.write(
        "docker/Dockerfile.build",
        "FROM xtask-test/busybox:1\nARG PYTHON_VERSION\nARG GREETING\nRUN echo \"$GREETING $PYTHON_VERSION\" > /base\n",
    );
    env.write(
        "Dockerfile",
        &format!("ARG PYTHON_VERSION\nFROM {repository_prefix}base:latest-py${{PYTHON_VERSION}}\nRUN echo app > /app\n"),
    );
}

#[test]
fn build_plan_puts_the_base_first_and_builds_every_matrix_cell() {
    let env = Env::new();
    two_stage(&env, "");
    env.xtask(["check"]).ok();
    let out = env.xtask(["images", "build", "--dry-run"]).ok();
    insta::assert_snapshot!("images_build_plan", plan_text(&env, &out.stdout));

    // Asking for the app alone still builds its base first; --no-deps does not.
    let app = env.xtask(["images", "build", "app", "-n"]).ok().stdout;
    let base_at = app.find("base:latest-py2.7.15 --file").expect("base built");
    let app_at = app.find("--tag app:latest-py2.7.15").expect("app built");
    assert!(base_at < app_at, "{app}");
    let alone = env
        .xtask([
            "images",
            "build",
            "app",
            "--no-deps",
            "-n",
            "--tag",
            "2.3.0",
        ])
        .ok()
        .stdout;
    assert!(!alone.contains("--tag base:"), "{alone}");
    assert!(alone.contains("--tag app:2.3.0-py3.6.6"), "{alone}");
}

#[test]
fn tag_makes_stable_of_latest_unless_told_otherwise() {
    let env = Env::new();
    two_stage(&env, "127.0.0.1:5000/team/");
    let every = env.xtask(["images", "tag", "--dry-run"]).ok().stdout;
    let one = env
        .xtask([
            "images", "tag", "--tag", "2.3.0", "app", "--pull", "--push", "-n",
        ])
        .ok()
        .stdout;
    let push = env
        .xtask(["images", "push", "--tag", "2.3.0", "-n"])
        .ok()
        .stdout;
    insta::assert_snapshot!(
        "images_tag_and_push_plans",
        format!("$ images tag\n{every}$ images tag --tag 2.3.0 app --pull --push\n{one}$ images push --tag 2.3.0\n{push}")
    );
}

#[test]
fn mistakes_are_refused_with_their_place_and_remedy() {
    let env = Env::new();
    env.tasks_toml(
        r#"
[images.app]
name = "Team/App:1"
tags = ["{tag}-py{PYTHON}"]
depends = ["bsae"]

[images.base]
context = "../elsewhere"
args = { "BAD NAME" = "x" }
depends = ["cycle"]

[images.cycle]
depends = ["base"]
"#,
    );
    let out = env.xtask(["check"]).fails_with(2);
    insta::assert_snapshot!("images_config_mistakes", out.stderr);

    let env = Env::new();
    two_stage(&env, "");
    env.xtask(["images", "build", "bse"])
        .fails_with(2)
        .stderr_has("no image `bse` in [images] of tasks.toml")
        .stderr_has("did you mean `base`?");
    env.xtask(["images", "tag", "--tag", "latest"])
        .fails_with(2)
        .stderr_has("--tag and --from are both `latest`");
    env.xtask(["images", "push", "--tag", "-x"]).fails_with(2);
    env.xtask(["images", "push", "--tag=.x"])
        .fails_with(2)
        .stderr_has("`.x` is no Docker tag");
}

/// A registry from tests/images/registry, stopped on drop.
struct Registry {
    dir: tempfile::TempDir,
    port: u16,
}

impl Registry {
    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("xtask-registry-")
            .tempdir()
            .expect("temp dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/images/registry");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("run tests/images/registry");
        assert!(
            out.status.success(),
            "tests/images/registry could not start Debian's docker-registry (it installs it with apt-get as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("the script prints the port");
        Self { dir, port }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/images/registry");
        let _ = Command::new("bash")
            .arg(&script)
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

#[test]
fn pushed_images_come_back_by_digest_from_a_local_registry() {
    require_engine();
    let registry = Registry::start();
    let env = Env::new();
    let unique = unique_name(&env);
    let repository = format!("127.0.0.1:{}/{unique}/app", registry.port);
    let gone = ImagesGone {
        needle: unique.clone(),
    };
    env.tasks_toml(&format!(
        "[images.app]\nname = \"{repository}\"\nargs = {{ STAMP = \"{unique}\" }}\n"
    ));
    env.write(
        "Dockerfile",
        "FROM xtask-test/busybox:1\nARG STAMP\nRUN echo \"$STAMP\" > /stamp\n",
    );

    env.xtask(["images", "build"]).ok();
    env.xtask(["images", "tag", "--tag", "2.3.0"]).ok();
    env.xtask(["images", "push"]).ok();
    env.xtask(["images", "push", "--tag", "2.3.0"]).ok();

    let digests = docker(&[
        "image",
        "inspect",
        "--format",
        "{{join .RepoDigests \"\\n\"}}",
        &format!("{repository}:2.3.0"),
    ]);
    let by_digest = digests
        .lines()
        .find(|d| d.starts_with(&format!("{repository}@sha256:")))
        .unwrap_or_else(|| panic!("no digest from the registry in {digests:?}"))
        .to_string();

    // Nothing local any more: the pull must come from the registry.
    gone.remove_now();
    assert!(images_named(&unique).is_empty());
    docker(&["pull", "--quiet", &by_digest]);
    let stamp = docker(&["run", "--rm", &by_digest, "cat", "/stamp"]);
    assert_eq!(stamp.trim(), unique);
    // Both tags point at the one manifest.
    let tags = Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())",
            &format!("http://127.0.0.1:{}/v2/{unique}/app/tags/list", registry.port),
        ])
        .output()
        .expect("python3");
    let tags = String::from_utf8_lossy(&tags.stdout);
    assert!(
        tags.contains("\"latest\"") && tags.contains("\"2.3.0\""),
        "{tags}"
    );
}

#[test]
fn a_failed_base_build_stops_before_the_images_built_on_it() {
    require_engine();
    let env = Env::new();
    let unique = unique_name(&env);
    let _gone = ImagesGone {
        needle: unique.clone(),
    };
    two_stage(&env, &format!("{unique}/"));
    // The step names the test, so that the container the classic builder
    // keeps of a failed step can be found and removed afterwards.
    env.write(
        "docker/Dockerfile.build",
        &format!("FROM xtask-test/busybox:1\nRUN echo {unique} && exit 3\n"),
    );
    let out = env.xtask(["images", "build"]).run();
    let kept = docker(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}"]);
    for line in kept.lines().filter(|line| line.contains(&unique)) {
        if let Some(id) = line.split_whitespace().next() {
            docker(&["rm", "-f", id]);
        }
    }
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(
        !out.stderr.contains("build app"),
        "the app was started after its base failed:\n{}",
        out.describe()
    );
    assert!(
        images_named(&unique).is_empty(),
        "{:?}",
        images_named(&unique)
    );
}

#[test]
fn images_whose_dockerfiles_build_on_each_other_are_refused() {
    let env = Env::new();
    env.tasks_toml(
        "[images.a]\ndockerfile = \"a.Dockerfile\"\n\n[images.b]\ndockerfile = \"b.Dockerfile\"\n",
    );
    env.write("a.Dockerfile", "FROM b:latest\n");
    env.write("b.Dockerfile", "ARG BASE=a\nFROM ${BASE}\n");
    env.xtask(["check"]).ok();
    env.xtask(["images", "build", "-n"])
        .fails_with(2)
        .stderr_has("the images depend on each other in a cycle: a -> b -> a");
    env.write("b.Dockerfile", "FROM xtask-test/busybox:1\n");
    let plan = env.xtask(["images", "build", "-n"]).ok().stdout;
    let b_at = plan.find("--tag b:latest").expect("b built");
    let a_at = plan.find("--tag a:latest").expect("a built");
    assert!(b_at < a_at, "{plan}");
}
