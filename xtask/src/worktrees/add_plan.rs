//! `worktree add`: every check first, then the plan that builds the second
//! environment beside the original (git worktrees, its files, its links,
//! the images tagged, its stack, its database) and records it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::compose::docker_host::docker;
use crate::compose::environment::{base_project, ActiveEnvironment};
use crate::compose::model::ComposeModel;
use crate::config::debug_spec::DEFAULT_DEBUG_PORT;
use crate::config::worktree_marker::MARKER_FILE;
use crate::config::{sanitize_project_name, Pin, Workspace};
use crate::exec;
use crate::plan::{CommandStep, Lane, Plan, Step};
use crate::repos::transport::ENVIRONMENT_GIT_CONFIG;
use crate::worktrees::git_queries;
use crate::worktrees::port_variables::{self, with_values};
use crate::worktrees::record::{self, Checkout, WorktreeRecord};
use crate::worktrees::WorktreeError;

/// Where the new environment's database comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbSeed {
    /// The original's current database, dumped and restored.
    Copy,
    /// A new one: `db setup` (create, `[db] init`, data).
    Empty,
    /// None: the database service starts with what its image has.
    None,
}

/// What `worktree add` was asked.
#[derive(Debug, Clone)]
pub struct AddOptions {
    pub name: String,
    /// Default: the worktree's name.
    pub branch: Option<String>,
    /// The environment copied (`--from`); its choice is written to the copy.
    pub from: Option<String>,
    pub db: DbSeed,
    /// This xtask, run in the new root for its stack and database.
    pub xtask: PathBuf,
}

/// The plan, and what to say before it runs.
pub struct AddPlan {
    pub plan: Plan,
    /// Said before the plan runs (fixed host ports, repos not cloned).
    pub warnings: Vec<String>,
}

/// Checks everything `add` needs and plans it; nothing is changed here.
pub fn plan(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    options: &AddOptions,
) -> Result<AddPlan, WorktreeError> {
    let root = &workspace.root;
    let name = &options.name;
    let branch = options.branch.clone().unwrap_or_else(|| name.clone());
    let folder = check_new(root, name, &branch)?;
    let mut warnings = Vec::new();
    let (checkouts, commands) = checkouts(workspace, &folder, &branch, &mut warnings)?;

    let project = sanitize_project_name(&format!("{}_{name}", environment.project));
    if options.db == DbSeed::Copy && !original_running(&environment.project)? {
        return Err(WorktreeError::OriginalDown(environment.project.clone()));
    }
    let env_files = env_files(workspace);
    let ports = free_ports(workspace, environment, &env_files, &mut warnings)?;
    let debug_ports = free_debug_ports(workspace, &ports)?;

    let (base, _) = base_project(workspace, &environment.env_file_values);
    let mut overrides = vec![(
        "COMPOSE_PROJECT_NAME".to_string(),
        sanitize_project_name(&format!("{base}_{name}")),
    )];
    if let Some(from) = &options.from {
        overrides.push(("ENVIRONMENT".into(), from.clone()));
    }
    overrides.extend(ports.iter().map(|(k, v)| (k.clone(), v.to_string())));
    let files = copied_files(workspace, &env_files, &overrides)?;
    let image_tags = image_tags(workspace, environment, &project);

    let record = WorktreeRecord {
        name: name.clone(),
        path: folder.clone(),
        project: project.clone(),
        branch: branch.clone(),
        environment: options.from.clone(),
        ports,
        debug_ports: debug_ports.clone(),
        checkouts,
        written: written(workspace, &files),
        image_tags: image_tags.iter().map(|(_, to)| to.clone()).collect(),
        complete: false,
    };
    let marker = serde_json::json!({
        "name": name,
        "base": sanitize_project_name(&base),
        "origin": root,
        "debug_ports": debug_ports,
    });
    let mut plan = Plan::new();
    if !root.join(".xtask/.gitignore").exists() {
        plan.push(Step::WriteFile {
            path: root.join(".xtask/.gitignore"),
            text: "*\n".into(),
            what: "git ignores xtask's state".into(),
        });
    }
    let record_file = WorktreeRecord::file(root, name);
    plan.push(Step::WriteFile {
        path: record_file.clone(),
        text: record.to_json(),
        what: "the worktree's record: an interrupted add is removed with `worktree rm`".into(),
    });
    let mut commands = commands.into_iter();
    if let Some(first) = commands.next() {
        plan.run(first);
    }
    state_files(&mut plan, root, &folder, name, &marker);
    for command in commands {
        plan.run(command);
    }
    for (path, text) in files {
        plan.push(Step::WriteFile {
            path: folder.join(&path),
            what: format!(
                "the original's {path}, with {}",
                shown(&overrides, &path, &env_files)
            ),
            text,
        });
    }
    plan.push(Step::Layout {
        root: folder.clone(),
    });
    for (from, to) in &image_tags {
        plan.run(docker(["tag", from.as_str(), to.as_str()]));
    }
    stack_and_database(&mut plan, workspace, options, &folder);
    let complete = WorktreeRecord {
        complete: true,
        ..record.clone()
    };
    plan.push(Step::WriteFile {
        path: record_file,
        text: complete.to_json(),
        what: "the record, complete".into(),
    });
    plan.push(Step::Status {
        verb: "Ready".into(),
        message: format!(
            "worktree {name} at {} (project {project}): `cd {} && cargo xtask urls`",
            folder.display(),
            shell_words::quote(&folder.to_string_lossy())
        ),
        shown: format!("worktree {name} ready at {}", folder.display()),
    });
    Ok(AddPlan { plan, warnings })
}

/// The worktree's `.xtask`: ignored by git, its mark, and the
/// environment's git config (mirror rules) when the original has one.
fn state_files(
    plan: &mut Plan,
    root: &Path,
    folder: &Path,
    name: &str,
    marker: &serde_json::Value,
) {
    plan.push(Step::WriteFile {
        path: folder.join(".xtask/.gitignore"),
        text: "*\n".into(),
        what: "git ignores xtask's state".into(),
    });
    plan.push(Step::WriteFile {
        path: folder.join(MARKER_FILE),
        text: format!("{marker:#}\n"),
        what: format!("its mark: projects named <original's>_{name}"),
    });
    if let Ok(text) = std::fs::read_to_string(root.join(ENVIRONMENT_GIT_CONFIG)) {
        plan.push(Step::WriteFile {
            path: folder.join(ENVIRONMENT_GIT_CONFIG),
            text,
            what: "the environment's git config (mirror rules)".into(),
        });
    }
}

/// The folder of a new worktree, once the name, the branch and the root
/// allow one and nothing is in its way.
fn check_new(root: &Path, name: &str, branch: &str) -> Result<PathBuf, WorktreeError> {
    if !record::valid_name(name) {
        return Err(WorktreeError::BadName(name.to_string()));
    }
    if let Some(existing) = WorktreeRecord::read(root, name)? {
        return Err(WorktreeError::Exists(name.to_string(), existing.path));
    }
    let folder = record::folder_of(root, name);
    if folder.symlink_metadata().is_ok() {
        return Err(WorktreeError::FolderTaken(folder));
    }
    if !git_queries::is_toplevel(root)? {
        return Err(WorktreeError::NotARepository(root.to_path_buf()));
    }
    if !git_queries::is_branch_name(root, branch)? {
        return Err(WorktreeError::BadBranch(branch.to_string()));
    }
    Ok(folder)
}

/// A free host port for each env-file variable that feeds `ports:`, none
/// the original's or another worktree's; a fixed host port is warned of.
fn free_ports(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    env_files: &[String],
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, u16>, WorktreeError> {
    let published = port_variables::published_ports(
        &workspace.root,
        &environment.compose_files,
        env_files,
        &environment.env,
    );
    for fixed in &published.fixed {
        warnings.push(format!(
            "service {} publishes the fixed host port {}: the worktree's stack cannot start beside the original's (make it a variable of the env file, `${{PORT:-{}}}`)",
            fixed.service, fixed.port, fixed.port
        ));
    }
    let mut reserved: BTreeSet<u16> = published.variables.iter().map(|v| v.port).collect();
    for other in WorktreeRecord::all(&workspace.root)? {
        reserved.extend(other.ports.values());
    }
    Ok(port_variables::choose_free(
        &published.variables,
        &reserved,
    )?)
}

/// A free debugger port for each service with `[services.NAME.debug]`:
/// none the original's (configured, or 5678), another worktree's, or one of
/// the host ports just chosen, so that `debug SERVICE` in the worktree runs
/// beside a debug session of the original's.
fn free_debug_ports(
    workspace: &Workspace,
    host_ports: &BTreeMap<String, u16>,
) -> Result<BTreeMap<String, u16>, WorktreeError> {
    let services: Vec<port_variables::PortVariable> = workspace
        .tasks
        .services
        .iter()
        .filter_map(|(name, spec)| {
            let debug = spec.debug.as_ref()?;
            Some(port_variables::PortVariable {
                name: name.get_ref().clone(),
                port: debug
                    .port
                    .as_ref()
                    .map_or(DEFAULT_DEBUG_PORT, |p| *p.get_ref()),
            })
        })
        .collect();
    let mut reserved: BTreeSet<u16> = services.iter().map(|s| s.port).collect();
    reserved.insert(DEFAULT_DEBUG_PORT);
    reserved.extend(host_ports.values());
    for other in WorktreeRecord::all(&workspace.root)? {
        reserved.extend(other.ports.values());
        reserved.extend(other.debug_ports.values());
    }
    Ok(port_variables::choose_free(&services, &reserved)?)
}

/// What `add` writes into the worktree besides git's files: the copies,
/// and the links and folders of repos.toml (`rm` does not count them as changes).
fn written(workspace: &Workspace, files: &[(String, String)]) -> Vec<PathBuf> {
    let repos = &workspace.repos;
    let links = repos.links.iter().map(|link| link.path.get_ref());
    let folders = repos.folders.iter().map(|folder| folder.path.get_ref());
    files
        .iter()
        .map(|(path, _)| path)
        .chain(links)
        .chain(folders)
        .map(PathBuf::from)
        .collect()
}

/// What a copied file's step says it changed (only the override target changes).
fn shown(overrides: &[(String, String)], path: &str, env_files: &[String]) -> String {
    if env_files.last().map(String::as_str) == Some(path) {
        let pairs: Vec<String> = overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join(", ")
    } else {
        "nothing changed".into()
    }
}

/// The env files compose reads for the project (`.env` when none is configured).
fn env_files(workspace: &Workspace) -> Vec<String> {
    let configured = workspace.tasks.project.env_file_paths();
    if configured.is_empty() {
        vec![".env".into()]
    } else {
        configured
    }
}

/// The git worktrees to make: the environment repository's, then every
/// cloned repo's, each with the `git worktree add` that makes it.
fn checkouts(
    workspace: &Workspace,
    folder: &Path,
    branch: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Checkout>, Vec<CommandStep>), WorktreeError> {
    let root = &workspace.root;
    let repos_root = Path::new(workspace.repos.defaults.root.get_ref());
    let mut wanted = vec![(root.clone(), folder.to_path_buf(), Pin::Rev("HEAD".into()))];
    for spec in &workspace.repos.repos {
        let relative = repos_root.join(spec.relative_path());
        let repo = root.join(&relative);
        if !repo.join(".git").exists() {
            warnings.push(format!(
                "{} is not cloned here: the worktree has none (`cargo xtask update` there clones it)",
                relative.display()
            ));
            continue;
        }
        wanted.push((repo, folder.join(&relative), spec.pin()));
    }
    let mut checkouts = Vec::new();
    let mut commands = Vec::new();
    for (repo, path, pin) in wanted {
        if let Some(at) = git_queries::worktree_with_branch(&repo, branch)? {
            return Err(WorktreeError::BranchInUse {
                repo: repo.display().to_string(),
                branch: branch.to_string(),
                at: at.display().to_string(),
            });
        }
        let local = git_queries::has_ref(&repo, &format!("refs/heads/{branch}"))?;
        let remote = format!("origin/{branch}");
        let on_remote = git_queries::has_ref(&repo, &format!("refs/remotes/{remote}"))?;
        let path_text = path.to_string_lossy().into_owned();
        let mut argv: Vec<String> = ["git", "worktree", "add", "--quiet"]
            .map(String::from)
            .to_vec();
        let start = if local {
            vec![path_text, branch.to_string()]
        } else if on_remote {
            argv.extend(["--track".into(), "-b".into(), branch.to_string()]);
            vec![path_text, remote]
        } else {
            argv.extend(["--no-track".into(), "-b".into(), branch.to_string()]);
            vec![path_text, start_of(&repo, &pin)?]
        };
        argv.push("--".into());
        argv.extend(start);
        let shown = path
            .strip_prefix(folder)
            .unwrap_or(&path)
            .display()
            .to_string();
        let label = if shown.is_empty() { "." } else { &shown };
        commands.push(
            CommandStep::new(argv)
                .dir(&repo)
                .phase(format!("git worktree {label}")),
        );
        checkouts.push(Checkout {
            repo,
            path,
            branch: branch.to_string(),
            created_branch: !local,
        });
    }
    Ok((checkouts, commands))
}

/// Where a new branch starts: the repo's pin as `update` fetched it (its
/// remote branch, tag or commit), else what the original has checked out.
fn start_of(repo: &Path, pin: &Pin) -> Result<String, WorktreeError> {
    let candidate = match pin {
        Pin::Branch(branch) => format!("refs/remotes/origin/{branch}"),
        Pin::Tag(tag) => format!("refs/tags/{tag}"),
        Pin::Rev(rev) => rev.clone(),
        Pin::DefaultBranch => "refs/remotes/origin/HEAD".into(),
    };
    if git_queries::has_ref(repo, &format!("{candidate}^{{commit}}"))? {
        Ok(candidate)
    } else {
        Ok("HEAD".into())
    }
}

/// The files copied from the original (its `[[copy]]` destinations and
/// the env file the overrides go to, the last compose reads), relative
/// paths with their new text.
fn copied_files(
    workspace: &Workspace,
    env_files: &[String],
    overrides: &[(String, String)],
) -> Result<Vec<(String, String)>, WorktreeError> {
    let root = &workspace.root;
    let target = env_files.last().cloned().unwrap_or_else(|| ".env".into());
    let mut paths: Vec<String> = workspace
        .repos
        .copies
        .iter()
        .map(|copy| copy.to.get_ref().clone())
        .collect();
    if !paths.contains(&target) {
        paths.push(target.clone());
    }
    let mut files = Vec::new();
    for path in paths {
        let full = root.join(&path);
        let text = match std::fs::read_to_string(&full) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(WorktreeError::Read { path: full, source }),
        };
        if path == target {
            files.push((path, with_values(&text, overrides)));
        } else if full.is_file() {
            files.push((path, text));
        }
    }
    Ok(files)
}

/// The original's images of services compose builds, tagged for the new
/// project (`PROJECT-SERVICE`, or v1's `PROJECT_SERVICE`), so nothing rebuilds.
fn image_tags(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    project: &str,
) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    for service in ComposeModel::declared(workspace, environment).built_services() {
        for separator in ["-", "_"] {
            let from = format!("{}{separator}{service}", environment.project);
            let inspect = docker(["image", "inspect", "--format", "{{.Id}}", from.as_str()]);
            let exists = exec::capture(&inspect).is_ok_and(|out| out.success());
            if exists {
                tags.push((from, format!("{project}{separator}{service}")));
            }
        }
    }
    tags
}

/// Whether any container of the original's project runs.
fn original_running(project: &str) -> Result<bool, WorktreeError> {
    let containers =
        crate::compose::state::containers(project).map_err(|e| WorktreeError::Engine {
            project: project.to_string(),
            why: e.to_string(),
        })?;
    Ok(containers.iter().any(|c| c.is_running()))
}

/// The new stack started (`up --wait` in the new root, as a user would
/// run it) and its database made as `options.db` says.
fn stack_and_database(plan: &mut Plan, workspace: &Workspace, options: &AddOptions, folder: &Path) {
    let xtask = options.xtask.to_string_lossy().into_owned();
    let folder_text = folder.to_string_lossy().into_owned();
    let in_new = |args: &[&str]| {
        let mut argv = vec![xtask.clone(), "-C".into(), folder_text.clone()];
        argv.extend(args.iter().map(|a| a.to_string()));
        CommandStep::new(argv)
    };
    let up = in_new(&["up", "--wait"]).phase("the worktree's stack");
    match options.db {
        DbSeed::None => {
            plan.run(up);
        }
        DbSeed::Empty => {
            plan.run(up);
            plan.run(in_new(&["--yes", "db", "setup"]).phase("its database, new"));
        }
        DbSeed::Copy => {
            let dump = WorktreeRecord::dump_file(&workspace.root, &options.name);
            let dump_text = dump.to_string_lossy().into_owned();
            let mut backup = vec![
                xtask.clone(),
                "-C".into(),
                workspace.root.to_string_lossy().into_owned(),
            ];
            if let Some(from) = &options.from {
                backup.extend(["--env".into(), from.clone()]);
            }
            backup.extend(["db", "backup", "--force", "-o", &dump_text].map(String::from));
            let backup = CommandStep::new(backup).phase("the original's database, dumped");
            // The dump needs nothing of the new stack: taken while it starts.
            let lane = |label: &str, step: CommandStep| Lane {
                label: label.into(),
                after: Vec::new(),
                environment: None,
                skip: None,
                steps: vec![step],
            };
            plan.push(Step::Parallel {
                lanes: vec![lane("stack", up), lane("dump", backup)],
                jobs: 2,
            });
            plan.run(
                in_new(&[
                    "--yes",
                    "db",
                    "restore",
                    "--no-backup",
                    "--no-cache",
                    &dump_text,
                ])
                .phase("its database, restored from the dump"),
            );
            let mut record = dump.clone().into_os_string();
            record.push(".json");
            plan.push(Step::RemoveFiles {
                paths: vec![dump, PathBuf::from(record)],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_env_file_says_what_changed() {
        let overrides = vec![("WEB_PORT".to_string(), "8081".to_string())];
        let env_files = vec![".env".to_string()];
        assert_eq!(shown(&overrides, ".env", &env_files), "WEB_PORT=8081");
        assert_eq!(
            shown(&overrides, "conf/app.ini", &env_files),
            "nothing changed"
        );
    }
}
