//! Bind mounts compared as the host paths they are (links followed, `..`
//! folded): a project about to start must not write a folder that a
//! running container of another project writes, such as two Postgres
//! servers on one data directory.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::compose::docker_host;
use crate::compose::model::DeclaredMount;
use crate::compose::state::StateError;
use crate::exec;

/// A bind mount of another project: of a running container, or declared
/// by another environment of the workspace (its data directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherMount {
    /// The running container; `None` for a declared mount.
    pub container: Option<String>,
    /// Its compose project and service, when compose made or declares it.
    pub project: Option<String>,
    pub service: Option<String>,
    /// The environment declaring it (declared mounts only).
    pub environment: Option<String>,
    /// As the engine or compose gives it.
    pub source: PathBuf,
    pub target: String,
    pub writable: bool,
    /// A data directory: on a path its image declares a VOLUME, or the
    /// database server's.
    pub data: bool,
}

impl OtherMount {
    /// Who holds it and how: `container NAME (service S of project P)
    /// writes SRC at TARGET`.
    pub fn describe(&self) -> String {
        let whose = match (&self.container, &self.service, &self.project) {
            (Some(container), Some(service), Some(project)) => {
                format!("container {container} (service `{service}` of project {project}) writes")
            }
            (Some(container), _, _) => {
                format!("container {container} (not a compose project's) writes")
            }
            (None, service, project) => format!(
                "service `{}` of project {}{} keeps its data in",
                service.as_deref().unwrap_or("?"),
                project.as_deref().unwrap_or("?"),
                self.environment
                    .as_ref()
                    .map(|e| format!(" (environment `{e}`)"))
                    .unwrap_or_default()
            ),
        };
        format!("{whose} {} at {}", self.source.display(), self.target)
    }

    /// `running project P`, `project P (environment `E`)`, or `a running container`.
    pub fn holder(&self) -> String {
        match (&self.project, &self.container, &self.environment) {
            (Some(project), Some(_), _) => format!("running project {project}"),
            (Some(project), None, Some(environment)) => {
                format!("project {project} (environment `{environment}`)")
            }
            (Some(project), None, None) => format!("project {project}"),
            (None, _, _) => "a running container".to_string(),
        }
    }
}

/// One of ours on a folder that one of theirs writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedMount {
    pub ours: DeclaredMount,
    /// Ours, resolved.
    pub resolved: PathBuf,
    pub theirs: OtherMount,
    /// A data directory (else a folder both write).
    pub data: bool,
}

/// The fields of `docker inspect` read here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspected {
    #[serde(default)]
    name: String,
    #[serde(default)]
    config: InspectedConfig,
    #[serde(default)]
    mounts: Vec<InspectedMount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct InspectedConfig {
    labels: Option<BTreeMap<String, String>>,
    volumes: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectedMount {
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    destination: String,
    #[serde(rename = "RW", default)]
    rw: bool,
}

/// Whether `target` is, or is inside, one of `volumes` (container paths).
fn under_any<'a>(target: &str, mut volumes: impl Iterator<Item = &'a String>) -> bool {
    volumes.any(|volume| Path::new(target).starts_with(Path::new(volume)))
}

/// Reads `docker inspect`'s JSON: the bind mounts of containers not of `project`.
pub fn parse_inspect(text: &str, project: &str) -> Vec<OtherMount> {
    let containers: Vec<Inspected> = serde_json::from_str(text).unwrap_or_default();
    let mut mounts = Vec::new();
    for container in containers {
        let labels = container.config.labels.unwrap_or_default();
        let their_project = labels.get("com.docker.compose.project").cloned();
        if their_project.as_deref() == Some(project) {
            continue;
        }
        let volumes: Vec<String> = container
            .config
            .volumes
            .unwrap_or_default()
            .into_keys()
            .collect();
        for mount in container.mounts.into_iter().filter(|m| m.kind == "bind") {
            mounts.push(OtherMount {
                container: Some(container.name.trim_start_matches('/').to_string()),
                project: their_project.clone(),
                environment: None,
                service: labels.get("com.docker.compose.service").cloned(),
                data: under_any(&mount.destination, volumes.iter()),
                source: PathBuf::from(mount.source),
                target: mount.destination,
                writable: mount.rw,
            });
        }
    }
    mounts
}

/// The bind mounts of every running container that is not `project`'s.
pub fn running_elsewhere(project: &str) -> Result<Vec<OtherMount>, StateError> {
    let ids = exec::capture(&docker_host::docker(["ps", "-q", "--no-trunc"]))
        .map_err(|e| StateError(e.to_string()))?;
    if !ids.success() {
        return Err(StateError(ids.stderr.trim().to_string()));
    }
    let ids: Vec<String> = ids.stdout.split_whitespace().map(str::to_string).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec!["inspect".to_string(), "--type".into(), "container".into()];
    args.extend(ids);
    // One that ended since `ps` is an error on stderr; the others still print.
    let out = exec::capture(&docker_host::docker(args)).map_err(|e| StateError(e.to_string()))?;
    Ok(parse_inspect(&out.stdout, project))
}

/// The paths `image` declares as VOLUMEs (none when it is not there).
pub fn image_volumes(image: &str) -> Vec<String> {
    let step = docker_host::docker([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Volumes}}",
        "--",
        image,
    ]);
    let Ok(out) = exec::capture(&step) else {
        return Vec::new();
    };
    serde_json::from_str::<Option<BTreeMap<String, serde_json::Value>>>(out.stdout.trim())
        .ok()
        .flatten()
        .map(|volumes| volumes.into_keys().collect())
        .unwrap_or_default()
}

/// `path` as the host resolves it: `.` and `..` folded, then the links of
/// its longest existing part followed (the rest may not exist yet: the
/// engine makes a missing bind source).
pub fn resolve(path: &Path) -> PathBuf {
    let mut folded = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                folded.pop();
            }
            other => folded.push(other),
        }
    }
    let mut existing = folded.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut resolved = real;
            for part in missing.iter().rev() {
                resolved.push(part);
            }
            return resolved;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => return folded,
        }
    }
}

/// A socket, device or pipe (`/var/run/docker.sock`): shared on purpose, holding no data.
fn is_special(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| {
        let kind = m.file_type();
        kind.is_socket() || kind.is_char_device() || kind.is_block_device() || kind.is_fifo()
    })
}

/// One is the other, or inside it.
pub fn overlap(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Our mounts (`root` resolves relative sources) on a folder that a
/// running container writes, when that is a data directory on either side
/// (`is_data` for ours, the image's VOLUME for theirs), or when ours writes
/// too and the folder is not source code (`is_code`: repositories, which
/// every environment mounts on purpose).
pub fn shared(
    root: &Path,
    ours: &[DeclaredMount],
    theirs: &[OtherMount],
    mut is_data: impl FnMut(&DeclaredMount) -> bool,
    is_code: impl Fn(&Path) -> bool,
) -> Vec<SharedMount> {
    let theirs: Vec<(PathBuf, &OtherMount)> = theirs
        .iter()
        .filter(|m| m.writable)
        .map(|m| (resolve(&m.source), m))
        .filter(|(path, _)| !is_special(path))
        .collect();
    let mut found = Vec::new();
    for mount in ours {
        let resolved = resolve(&root.join(&mount.source));
        for (their_path, their) in &theirs {
            if !overlap(&resolved, their_path) {
                continue;
            }
            let data = their.data || is_data(mount);
            if data || (!mount.read_only && !is_code(&resolved) && !is_code(their_path)) {
                found.push(SharedMount {
                    ours: mount.clone(),
                    resolved: resolved.clone(),
                    theirs: (*their).clone(),
                    data,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(source: &str, target: &str, read_only: bool) -> DeclaredMount {
        DeclaredMount {
            service: "db".into(),
            image: None,
            source: source.into(),
            target: target.into(),
            read_only,
        }
    }

    fn running(source: &str, writable: bool, data: bool) -> OtherMount {
        OtherMount {
            container: Some("dev-db-1".into()),
            project: Some("dev".into()),
            environment: None,
            service: Some("db".into()),
            source: source.into(),
            target: "/var/lib/postgresql/data".into(),
            writable,
            data,
        }
    }

    #[test]
    fn paths_are_compared_resolved_through_dots_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("pgdata")).unwrap();
        std::os::unix::fs::symlink(root.join("pgdata"), root.join("link")).unwrap();
        assert_eq!(resolve(&root.join("x/../pgdata")), root.join("pgdata"));
        assert_eq!(resolve(&root.join("./link/base")), root.join("pgdata/base"));
        assert_eq!(resolve(&root.join("missing/a")), root.join("missing/a"));
        assert!(overlap(&root.join("pgdata"), &root.join("pgdata/base")));
        assert!(!overlap(&root.join("pgdata"), &root.join("pgdata2")));
    }

    #[test]
    fn a_data_directory_or_a_writable_non_code_folder_is_shared_a_read_only_one_is_not() {
        let root = Path::new("/env");
        let ours = [declared("./pgdata", "/var/lib/postgresql/data", false)];
        let no = |_: &DeclaredMount| false;
        let code = |_: &Path| false;
        assert_eq!(
            shared(root, &ours, &[running("/env/pgdata", true, true)], no, code).len(),
            1
        );
        // Theirs read-only: nobody else writes it.
        assert!(shared(
            root,
            &ours,
            &[running("/env/pgdata", false, true)],
            no,
            code
        )
        .is_empty());
        // A parent of ours.
        assert_eq!(
            shared(root, &ours, &[running("/env", true, false)], no, code).len(),
            1
        );
        // Source code both write (repositories) is not refused; a data directory there is.
        let is_code = |_: &Path| true;
        assert!(shared(
            root,
            &ours,
            &[running("/env/pgdata", true, false)],
            no,
            is_code
        )
        .is_empty());
        assert_eq!(
            shared(
                root,
                &ours,
                &[running("/env/pgdata", true, true)],
                no,
                is_code
            )
            .len(),
            1
        );
        // Ours read-only on their writable code: fine; on their data: refused.
        let ro = [declared("./pgdata", "/app", true)];
        assert!(shared(root, &ro, &[running("/env/pgdata", true, false)], no, code).is_empty());
        assert_eq!(
            shared(root, &ro, &[running("/env/pgdata", true, true)], no, code).len(),
            1
        );
    }

    #[test]
    fn a_socket_both_mount_is_not_a_shared_folder() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("engine.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let source = socket.to_string_lossy().into_owned();
        let ours = [declared(&source, "/var/run/docker.sock", false)];
        let theirs = [running(&source, true, false)];
        assert!(shared(dir.path(), &ours, &theirs, |_| false, |_| false).is_empty());
    }

    #[test]
    fn inspect_output_gives_other_projects_bind_mounts() {
        let json = r#"[{"Name": "/dev-db-1", "Config": {"Labels": {"com.docker.compose.project": "dev", "com.docker.compose.service": "db"},
            "Volumes": {"/var/lib/postgresql/data": {}}},
          "Mounts": [{"Type": "bind", "Source": "/env/pgdata", "Destination": "/var/lib/postgresql/data", "RW": true},
                     {"Type": "volume", "Source": "/var/lib/docker/volumes/x", "Destination": "/x", "RW": true}]},
         {"Name": "/test-db-1", "Config": {"Labels": {"com.docker.compose.project": "test"}},
          "Mounts": [{"Type": "bind", "Source": "/env/other", "Destination": "/o", "RW": true}]}]"#;
        let mounts = parse_inspect(json, "test");
        assert_eq!(mounts.len(), 1, "{mounts:?}");
        assert!(mounts[0].data && mounts[0].writable);
        assert_eq!(
            mounts[0].describe(),
            "container dev-db-1 (service `db` of project dev) writes /env/pgdata at /var/lib/postgresql/data"
        );
        assert_eq!(mounts[0].holder(), "running project dev");
    }
}
