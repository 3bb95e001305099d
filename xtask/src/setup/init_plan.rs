//! What `init` will do, decided from `[init]` and the file system: folders
//! to create or fix (mode, owner), default files to copy without
//! overwriting, one-time steps whose output does not exist yet. Built as
//! data first ([`FileAction`]s), then a plan of [`Step::File`] steps for the
//! interpreter, which checks each action's paths against the root again
//! just before it, since steps change the disk.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::ComposeProject;
use crate::compose::variables::Variables;
use crate::config::init_spec::{parse_mode, InitCopySpec, InitStepSpec};
use crate::config::{CommandLine, EnvRoot, InitSpec, Workspace};
use crate::error::{Error, Result};
use crate::output_files::OutputFiles;
use crate::plan::{CommandStep, FileAction, Output, Plan, Step};
use crate::repos::layout::next_backup;
use crate::setup::file_action::{group_id, user_id};

pub use crate::plan::Place;

/// The paths `action` creates or replaces, each with what it is (two that
/// are one file stop the plan).
fn writes(action: &FileAction) -> Vec<(String, &Place)> {
    fn backup_of(backup: &Place) -> (String, &Place) {
        (format!("the backup {backup}"), backup)
    }
    match action {
        FileAction::CreateFolder { path, .. } => vec![(format!("the folder {path}"), path)],
        FileAction::Copy {
            from, to, backup, ..
        } => std::iter::once((format!("the copy of {from} to {to}"), to))
            .chain(backup.as_ref().map(backup_of))
            .collect(),
        FileAction::MoveAside { backup, .. } => vec![backup_of(backup)],
        FileAction::Produce { name, makes, .. } => makes
            .iter()
            .map(|place| (format!("{place} of step {name}"), place))
            .collect(),
        FileAction::SetMode { .. }
        | FileAction::Chown { .. }
        | FileAction::Kept { .. }
        | FileAction::Done(_) => Vec::new(),
    }
}

/// Everything `init` needs to decide.
pub struct InitInputs<'a> {
    pub workspace: &'a Workspace,
    pub spec: &'a InitSpec,
    pub environment: &'a ActiveEnvironment,
    /// The compose project for steps `in` a service (`None` when no step needs one).
    pub compose: Option<&'a ComposeProject>,
    pub force: bool,
    /// Whether we run as root (owners are set only then).
    pub root_user: bool,
}

/// Decides what `init` does, looking only at the file system.
pub fn plan(inputs: &InitInputs<'_>) -> Result<Vec<FileAction>> {
    let workspace = inputs.workspace;
    let spec = inputs.spec;
    let resolver = PathResolver::new(workspace, inputs.environment, spec.outside_root)?;
    let mut actions = Vec::new();
    for folder in &spec.folders {
        let place = resolver.place(folder.path.get_ref())?;
        let mode = folder.mode.as_ref().and_then(|m| parse_mode(m.get_ref()));
        // Names may come from variables too: `${INDICO_OWNER:-indico}`.
        let user = folder
            .owner
            .as_ref()
            .map(|o| resolver.expand(o.get_ref()))
            .transpose()?;
        let group = folder
            .group
            .as_ref()
            .map(|g| resolver.expand(g.get_ref()))
            .transpose()?;
        for name in user.iter().chain(&group) {
            // chown would read `-x` as an option.
            if name.starts_with('-') || name.contains([':', '/']) {
                return Err(Error::usage_with_help(
                    format!("`{name}` ([[init.folder]] owner or group) is no user or group name"),
                    "a name such as `indico` or `daemon`, or a number",
                ));
            }
        }
        let owner = owner_text(user.as_deref(), group.as_deref());
        match std::fs::metadata(&place.path) {
            Ok(meta) if !meta.is_dir() => {
                return Err(Error::usage_with_help(
                    format!(
                        "{} is in the way of [[init.folder]]: it is not a folder",
                        place.shown
                    ),
                    "move it away, or change the folder's path in tasks.toml",
                ))
            }
            Ok(meta) => {
                let mut done = true;
                if let Some(mode) = mode.filter(|m| meta.permissions().mode() & 0o7777 != *m) {
                    actions.push(FileAction::SetMode {
                        path: place.clone(),
                        mode,
                    });
                    done = false;
                }
                if let Some(owner) = &owner {
                    if !owned_by(&meta, user.as_deref(), group.as_deref()) {
                        done = !inputs.root_user && done;
                        actions.push(FileAction::Chown {
                            path: place.clone(),
                            owner: owner.clone(),
                            as_root: inputs.root_user,
                        });
                    }
                }
                if done {
                    actions.push(FileAction::Done(format!("folder {} exists", place)));
                }
            }
            Err(_) => {
                actions.push(FileAction::CreateFolder {
                    path: place.clone(),
                    mode,
                });
                if let Some(mode) = mode {
                    // mkdir's mode passes through the umask; chmod makes it exact.
                    actions.push(FileAction::SetMode {
                        path: place.clone(),
                        mode,
                    });
                }
                if let Some(owner) = owner {
                    actions.push(FileAction::Chown {
                        path: place,
                        owner,
                        as_root: inputs.root_user,
                    });
                }
            }
        }
    }
    for copy in &spec.copies {
        actions.push(plan_copy(inputs, &resolver, copy)?);
    }
    for step in &spec.steps {
        plan_step(inputs, &resolver, step, &mut actions)?;
    }
    let mut outputs = OutputFiles::new();
    for (what, place) in actions.iter().flat_map(writes) {
        outputs.add(&place.path, &what).map_err(|same| {
            Error::usage_with_help(
                format!(
                    "init would write {} and {}, which are one file ({}); nothing was changed",
                    same.first,
                    same.second,
                    same.resolved.display()
                ),
                "give each folder, copy and step of [init] its own path",
            )
        })?;
    }
    Ok(actions)
}

/// `actions` as the plan the interpreter runs: every path checked against
/// `workspace`'s root just before its step (unless `[init] outside_root`),
/// and a last line saying so when nothing changes.
pub fn steps(workspace: &Workspace, spec: &InitSpec, actions: Vec<FileAction>) -> Plan {
    let inside = (!spec.outside_root).then(|| workspace.root.clone());
    let count = actions.len();
    let changes = actions.iter().filter(|a| a.changes()).count();
    let mut plan = Plan::new();
    for action in actions {
        plan.push(Step::File {
            action,
            inside: inside.clone(),
        });
    }
    if changes == 0 {
        plan.push(Step::Status {
            verb: "Unchanged".into(),
            message: format!(
                "nothing to do: {} already in place",
                crate::ui::plural(count, "thing", "things")
            ),
            shown: "nothing to do: everything is in place".into(),
        });
    }
    plan
}

/// Whether a step of `actions` runs in a compose service.
pub fn runs_in_service(actions: &[FileAction]) -> bool {
    actions.iter().any(|a| {
        matches!(
            a,
            FileAction::Produce {
                service: Some(_),
                ..
            }
        )
    })
}

/// Before anything changes: a chown that cannot work stops here.
pub fn check_owners(actions: &[FileAction]) -> Result<()> {
    for action in actions {
        if let FileAction::Chown {
            path,
            owner,
            as_root: true,
        } = action
        {
            if let Some(why) = unknown_owner(owner) {
                return Err(Error::usage_with_help(
                    format!("cannot give {path} to {owner}: {why}; nothing was changed"),
                    "create the account first (e.g. `useradd --system indico`), or change owner/group in [[init.folder]]",
                ));
            }
        }
    }
    Ok(())
}

/// What `init` does with one `[[init.copy]]`: copy, replace (`--force`,
/// keeping a backup), leave a changed file alone, or nothing.
fn plan_copy(
    inputs: &InitInputs<'_>,
    resolver: &PathResolver,
    copy: &InitCopySpec,
) -> Result<FileAction> {
    let from = resolver.inside(copy.from.get_ref())?;
    let to = resolver.place(copy.to.get_ref())?;
    let example = std::fs::read(&from.path).map_err(|e| {
        Error::usage_with_help(
            format!("cannot read {} ([[init.copy]] from): {e}", from.shown),
            "create it, or fix `from` (relative to the folder holding tasks.toml)",
        )
    })?;
    let mode = match copy.mode.as_ref().and_then(|m| parse_mode(m.get_ref())) {
        Some(mode) => mode,
        None => std::fs::metadata(&from.path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644),
    };
    if to.path.symlink_metadata().is_err() {
        return Ok(FileAction::Copy {
            from,
            to,
            mode,
            backup: None,
        });
    }
    if to.path.is_dir() {
        return Err(Error::usage_with_help(
            format!(
                "{} is a folder where the copy of {} should be",
                to.shown, from.shown
            ),
            "move it away, or change `to` in tasks.toml",
        ));
    }
    Ok(
        if std::fs::read(&to.path).is_ok_and(|current| current == example) {
            FileAction::Done(format!("{to} is the same as {from}"))
        } else if inputs.force {
            let backup = backup_of(resolver, &to)?;
            FileAction::Copy {
                from,
                to,
                mode,
                backup: Some(backup),
            }
        } else {
            FileAction::Kept {
                why: format!(
                    "it exists and differs from {from}; not overwritten (--force replaces it, keeping a backup)"
                ),
                path: to,
            }
        },
    )
}

fn plan_step(
    inputs: &InitInputs<'_>,
    resolver: &PathResolver,
    step: &InitStepSpec,
    actions: &mut Vec<FileAction>,
) -> Result<()> {
    let name = step.name.get_ref().clone();
    let output = step
        .output
        .as_ref()
        .map(|o| resolver.place(o.get_ref()))
        .transpose()?;
    let mut makes = Vec::new();
    makes.extend(output.clone());
    for path in &step.creates {
        makes.push(resolver.place(path.get_ref())?);
    }
    let existing: Vec<&Place> = makes
        .iter()
        .filter(|p| p.path.symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() && !inputs.force {
        if existing.len() == makes.len() {
            let shown: Vec<String> = existing.iter().map(ToString::to_string).collect();
            actions.push(FileAction::Done(format!(
                "step {name}: {} already there",
                shown.join(", ")
            )));
            return Ok(());
        }
        // As the seed's make-config: it would not overwrite; neither do we.
        let shown: Vec<String> = existing.iter().map(ToString::to_string).collect();
        let missing: Vec<String> = makes
            .iter()
            .filter(|p| p.path.symlink_metadata().is_err())
            .map(ToString::to_string)
            .collect();
        return Err(Error::usage_with_help(
            format!(
                "step {name} would overwrite {} (only {} is missing); nothing was run",
                shown.join(", "),
                missing.join(", ")
            ),
            "move the file away, or pass --force: it keeps each as a backup (NAME.bak) and runs the step",
        ));
    }
    for place in existing {
        let backup = backup_of(resolver, place)?;
        actions.push(FileAction::MoveAside {
            path: place.clone(),
            backup,
        });
    }
    let argv = match step.run.get_ref() {
        CommandLine::Argv(argv) => argv.clone(),
        // Refused by `check`; never reached.
        CommandLine::Shell(line) => {
            return Err(Error::usage(format!(
                "step {name}: `{line}` is a shell line; write it as a list"
            )))
        }
    };
    let mut command = match &step.service {
        Some(service) => {
            let Some(project) = inputs.compose else {
                return Err(Error::usage(format!(
                    "step {name} runs in a service, but no compose project is known"
                )));
            };
            let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
            if step.no_deps {
                args.push("--no-deps".into());
            }
            // Output into a file never gets a TTY (it would turn LF into CRLF).
            if output.is_some() || !crate::compose::project::wants_tty() {
                args.push("-T".into());
            }
            if let Some(environment) = &inputs.environment.name {
                args.extend(["-e".into(), format!("ENVIRONMENT={environment}")]);
            }
            args.push(service.get_ref().clone());
            args.extend(argv);
            project.command(args)
        }
        None => {
            let mut command = CommandStep::new(argv).dir(&inputs.workspace.root);
            command.context_env = inputs.environment.host_variables(&inputs.workspace.root);
            command
        }
    };
    if let Some(output) = &output {
        command = command.stdout(Output::File(output.path.clone()));
    }
    let mode = step.mode.as_ref().and_then(|m| parse_mode(m.get_ref()));
    let made = makes.clone();
    actions.push(FileAction::Produce {
        name,
        service: step.service.as_ref().map(|s| s.get_ref().clone()),
        makes,
        command,
    });
    if let Some(mode) = mode {
        for path in made {
            actions.push(FileAction::SetMode { path, mode });
        }
    }
    Ok(())
}

fn backup_of(resolver: &PathResolver, place: &Place) -> Result<Place> {
    let backup = next_backup(&place.path).ok_or_else(|| {
        Error::usage_with_help(
            format!("{} has too many backups", place.shown),
            "remove some of its NAME.bak.N files",
        )
    })?;
    Ok(resolver.shown(backup))
}

/// `owner:group`, `owner` or `:group` as chown takes it.
fn owner_text(owner: Option<&str>, group: Option<&str>) -> Option<String> {
    match (owner, group) {
        (None, None) => None,
        (Some(owner), None) => Some(owner.to_string()),
        (None, Some(group)) => Some(format!(":{group}")),
        (Some(owner), Some(group)) => Some(format!("{owner}:{group}")),
    }
}

/// Whether the file's owner and group are those named (names or numbers).
fn owned_by(meta: &std::fs::Metadata, user: Option<&str>, group: Option<&str>) -> bool {
    let user_ok = user.is_none_or(|u| user_id(u) == Some(meta.uid()));
    let group_ok = group.is_none_or(|g| group_id(g) == Some(meta.gid()));
    user_ok && group_ok
}

/// Why `owner` (`user:group`, `user` or `:group`) cannot be given to
/// chown on this host, if it cannot: a name that does not exist.
pub fn unknown_owner(owner: &str) -> Option<String> {
    let (user, group) = match owner.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (owner, None),
    };
    if !user.is_empty() && user_id(user).is_none() {
        return Some(format!("there is no user `{user}` on this host"));
    }
    match group {
        Some(group) if !group.is_empty() && group_id(group).is_none() => {
            Some(format!("there is no group `{group}` on this host"))
        }
        _ => None,
    }
}

/// Whether this process runs as root.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Expands `${VAR}` in paths from `[init]` and places them: relative to
/// the root, and inside it unless `outside_root` allows otherwise.
pub struct PathResolver {
    root: PathBuf,
    env_root: EnvRoot,
    variables: Variables,
    outside_root: bool,
}

impl PathResolver {
    pub fn new(
        workspace: &Workspace,
        environment: &ActiveEnvironment,
        outside_root: bool,
    ) -> Result<Self> {
        let env_root = EnvRoot::new(&workspace.root).map_err(|e| {
            Error::usage(format!(
                "cannot resolve the environment root {}: {e}",
                workspace.root.display()
            ))
        })?;
        Ok(Self {
            root: workspace.root.clone(),
            env_root,
            variables: Variables::for_project(
                &workspace.root,
                &environment.env_files,
                &environment.env,
            ),
            outside_root,
        })
    }

    /// `written`, expanded, where `outside_root` allows.
    pub fn place(&self, written: &str) -> Result<Place> {
        let expanded = self.expand(written)?;
        if self.outside_root {
            let path = self.root.join(&expanded);
            return Ok(self.shown(path));
        }
        self.inside(&expanded).map_err(|error| match error {
            Error::Usage { message, .. } => Error::usage_with_help(
                message,
                "use a path inside the environment root, or allow this with `outside_root = true` in the same table of tasks.toml",
            ),
            other => other,
        })
    }

    /// `written` (not expanded), which must stay inside the root.
    pub fn inside(&self, written: &str) -> Result<Place> {
        let path = self
            .env_root
            .resolve(written)
            .map_err(|why| Error::usage(format!("`{written}` {why}")))?;
        Ok(self.shown(path))
    }

    fn shown(&self, path: PathBuf) -> Place {
        let shown = match path.strip_prefix(&self.root) {
            Ok(relative) => relative.to_string_lossy().into_owned(),
            Err(_) => {
                // Resolved paths start from the canonical root.
                let relative = self.env_root.relative(&path);
                if relative.is_relative() {
                    relative.to_string_lossy().into_owned()
                } else {
                    path.to_string_lossy().into_owned()
                }
            }
        };
        Place { path, shown }
    }

    /// Compose's interpolation, refusing a variable that is unset and has
    /// no default (an empty `${INDICO_DIR}` would put `/backups` at the top).
    fn expand(&self, written: &str) -> Result<String> {
        for name in referenced_without_default(written) {
            if self.variables.get(&name).is_none_or(str::is_empty) {
                return Err(Error::usage_with_help(
                    format!("`{written}` uses ${{{name}}}, which is not set"),
                    format!(
                        "set {name} in the shell, an env file or the environment's env, or give a default: ${{{name}:-/opt/...}}"
                    ),
                ));
            }
        }
        let mut missing = Vec::new();
        let expanded = self.variables.interpolate(written, &mut missing);
        if let Some(first) = missing.first() {
            return Err(Error::usage(format!(
                "`{written}`: {} ({})",
                first.message, first.name
            )));
        }
        if expanded.trim().is_empty() {
            return Err(Error::usage(format!("`{written}` expands to nothing")));
        }
        Ok(expanded)
    }
}

/// Variables `$NAME` / `${NAME}` / `${NAME?...}` used without a `-` default.
fn referenced_without_default(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        let braced = bytes.get(i + 1) == Some(&b'{');
        let start = if braced { i + 2 } else { i + 1 };
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if end > start {
            let rest = &text[end..];
            let has_default = braced && (rest.starts_with(":-") || rest.starts_with('-'));
            if !has_default {
                names.push(text[start..end].to_string());
            }
        }
        i = end.max(i + 1);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_without_a_default_are_found() {
        assert_eq!(referenced_without_default("${A}/x/$B"), ["A", "B"]);
        assert!(referenced_without_default("${A:-/opt}/x/${B-y}").is_empty());
        assert!(referenced_without_default("$$A/plain").is_empty());
        assert_eq!(referenced_without_default("${A:?set A}"), ["A"]);
    }

    #[test]
    fn owners_read_as_chown_takes_them() {
        assert_eq!(
            owner_text(Some("indico"), Some("daemon")).as_deref(),
            Some("indico:daemon")
        );
        assert_eq!(owner_text(None, Some("daemon")).as_deref(), Some(":daemon"));
        assert_eq!(owner_text(None, None), None);
        assert_eq!(user_id("0"), Some(0));
        assert_eq!(user_id("root"), Some(0));
        assert_eq!(group_id("no-such-group-here"), None);
        assert_eq!(unknown_owner("root:root"), None);
        assert_eq!(unknown_owner(":0"), None);
        assert!(unknown_owner("no-such-user-here:root").is_some_and(|w| w.contains("no user")));
        assert!(unknown_owner("root:no-such-group").is_some_and(|w| w.contains("no group")));
    }
}
