//! Checks of `[init]` and `[certs]`: modes that are no octal, steps that
//! would not be one-time or that hide a shell line, services the compose
//! files do not declare, examples that do not exist, paths outside the
//! environment root that the configuration does not allow, and two outputs
//! that are one file however they are spelled.

use std::path::Path;

use crate::config::command_line::CommandLine;
use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::init_spec::parse_mode;
use crate::config::Workspace;
use toml::Spanned;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    if let Some(init) = &workspace.tasks.init {
        check_init(workspace, init, errors);
    }
    if let Some(certs) = &workspace.tasks.certs {
        let source = &workspace.tasks_source;
        for (what, path) in [("[certs] cert", &certs.cert), ("[certs] key", &certs.key)] {
            check_place(workspace, what, path, certs.outside_root, errors);
        }
        if one_file(workspace, certs.cert.get_ref(), certs.key.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    certs.key.span(),
                    format!(
                        "[certs] key `{}` is the certificate's own file (`{}`)",
                        certs.key.get_ref(),
                        certs.cert.get_ref()
                    ),
                )
                .help("write the key to its own file, e.g. key = \"ssl/server.key\""),
            );
        }
        if let Some(cn) = &certs.cn {
            if cn.get_ref().trim().is_empty() {
                errors.push(
                    Diagnostic::at(source, cn.span(), "[certs] cn is empty")
                        .help("name the host the certificate is for, e.g. cn = \"localhost\""),
                );
            }
        }
        if let Some(days) = &certs.days {
            if *days.get_ref() == 0 {
                errors.push(
                    Diagnostic::at(source, days.span(), "[certs] days must be at least 1")
                        .help("e.g. days = 365"),
                );
            }
        }
    }
    super::tasks::clean_messages(errors, first);
}

fn check_init(workspace: &Workspace, init: &crate::config::InitSpec, errors: &mut ConfigErrors) {
    check_written_once(workspace, init, errors);
    check_folders(workspace, init, errors);
    check_copies(workspace, init, errors);
    check_steps(workspace, init, errors);
}

/// What init writes: no two of them may be one file, however spelled.
fn check_written_once(
    workspace: &Workspace,
    init: &crate::config::InitSpec,
    errors: &mut ConfigErrors,
) {
    let source = &workspace.tasks_source;
    let written: Vec<(&str, &Spanned<String>)> = init
        .folders
        .iter()
        .map(|f| ("[[init.folder]] path", &f.path))
        .chain(init.copies.iter().map(|c| ("[[init.copy]] to", &c.to)))
        .chain(init.steps.iter().flat_map(|step| {
            step.output
                .iter()
                .chain(&step.creates)
                .map(|path| ("[[init.step]] output", path))
        }))
        .collect();
    for (i, (what, path)) in written.iter().enumerate() {
        if let Some((_, earlier)) = written[..i]
            .iter()
            .find(|(_, earlier)| one_file(workspace, earlier.get_ref(), path.get_ref()))
        {
            errors.push(
                Diagnostic::at(
                    source,
                    path.span(),
                    format!(
                        "{what} `{}` is the same file as `{}`, written earlier by init",
                        path.get_ref(),
                        earlier.get_ref()
                    ),
                )
                .help("give each folder, copy and step its own path"),
            );
        }
    }
}

/// `[[init.folder]]`: a place init may write, a mode, owner and group names.
fn check_folders(workspace: &Workspace, init: &crate::config::InitSpec, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let outside = init.outside_root;
    for folder in &init.folders {
        check_place(
            workspace,
            "[[init.folder]] path",
            &folder.path,
            outside,
            errors,
        );
        check_mode(workspace, "[[init.folder]]", folder.mode.as_ref(), errors);
        for (key, value) in [("owner", &folder.owner), ("group", &folder.group)] {
            let Some(value) = value else { continue };
            let name = value.get_ref();
            // `${INDICO_OWNER:-indico}` is judged once expanded, by `init`.
            let valid = name.contains('$')
                || !name.is_empty()
                    && !name.starts_with('-')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'));
            if !valid {
                errors.push(
                    Diagnostic::at(
                        source,
                        value.span(),
                        format!("[[init.folder]] {key} `{name}` is not a user or group name"),
                    )
                    .help("a name such as `indico` or `daemon`, or a number"),
                );
            }
        }
    }
}

/// `[[init.copy]]`: a place init may write, a mode, a source file that exists.
fn check_copies(workspace: &Workspace, init: &crate::config::InitSpec, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let outside = init.outside_root;
    for copy in &init.copies {
        check_place(workspace, "[[init.copy]] to", &copy.to, outside, errors);
        check_mode(workspace, "[[init.copy]]", copy.mode.as_ref(), errors);
        let from = copy.from.get_ref();
        match crate::config::EnvRoot::new(&workspace.root).map(|root| root.resolve(from)) {
            Ok(Ok(path)) if path.is_file() => {}
            Ok(Ok(_)) => errors.push(
                Diagnostic::at(
                    source,
                    copy.from.span(),
                    format!("[[init.copy]] from `{from}` does not exist"),
                )
                .help("name the default file to copy, relative to the folder holding tasks.toml"),
            ),
            Ok(Err(why)) => errors.push(
                Diagnostic::at(
                    source,
                    copy.from.span(),
                    format!("[[init.copy]] from `{from}` {why}"),
                )
                .help(why.help()),
            ),
            Err(_) => {}
        }
    }
}

/// `[[init.step]]`: unique names, an argv, what it makes, and its service.
fn check_steps(workspace: &Workspace, init: &crate::config::InitSpec, errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let outside = init.outside_root;
    let declared = super::declared_services::DeclaredServices::of(workspace);
    let mut names: Vec<&str> = Vec::new();
    for step in &init.steps {
        let name = step.name.get_ref();
        if names.contains(&name.as_str()) {
            errors.push(
                Diagnostic::at(
                    source,
                    step.name.span(),
                    format!("two [[init.step]] are named `{name}`"),
                )
                .help("give each step its own name"),
            );
        }
        names.push(name);
        match step.run.get_ref() {
            CommandLine::Shell(_) => errors.push(
                Diagnostic::at(source, step.run.span(), format!("[[init.step]] `{name}`: run is a shell line"))
                    .help("write the command as a list, e.g. run = [\"camcops_server\", \"demo_camcops_config\"]; its output goes to `output`, no `>` needed"),
            ),
            CommandLine::Argv(argv) if argv.is_empty() => errors.push(
                Diagnostic::at(source, step.run.span(), format!("[[init.step]] `{name}` names no command"))
                    .help("give the command as a list, e.g. run = [\"make-config\"]"),
            ),
            CommandLine::Argv(_) => {}
        }
        match (&step.output, step.creates.is_empty()) {
            (None, true) => errors.push(
                Diagnostic::at(source, step.name.span(), format!("[[init.step]] `{name}` has no output: it would run every time"))
                    .help("say what it makes: output = \"FILE\" (its stdout becomes the file) or creates = [\"FILE\", ...]"),
            ),
            (Some(output), false) => errors.push(
                Diagnostic::at(source, output.span(), format!("[[init.step]] `{name}` has both output and creates"))
                    .help("`output` is the file its stdout becomes; `creates` the files it writes itself: use one"),
            ),
            _ => {}
        }
        check_mode(workspace, "[[init.step]]", step.mode.as_ref(), errors);
        for path in step.output.iter().chain(&step.creates) {
            check_place(workspace, "[[init.step]] output", path, outside, errors);
        }
        if let Some(service) = &step.service {
            let wanted = service.get_ref();
            if let Some(help) = declared.help_for_unknown(wanted) {
                errors.push(
                    Diagnostic::at(source, service.span(), format!("[[init.step]] `{name}` runs in `{wanted}`, no service of the compose files"))
                        .help(help),
                );
            }
        } else if step.no_deps {
            errors.push(
                Diagnostic::at(
                    source,
                    step.name.span(),
                    format!("[[init.step]] `{name}` has no_deps but runs on the host"),
                )
                .help("no_deps is for a step in a service (in = \"SERVICE\")"),
            );
        }
    }
}

/// Whether two paths of tasks.toml (relative to the root, or absolute) are
/// one file once `..` and symbolic links are resolved, or one inode; paths
/// with `${VAR}` are judged once expanded, by the command.
fn one_file(workspace: &Workspace, a: &str, b: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    if a == b {
        return true;
    }
    if a.contains('$') || b.contains('$') {
        return false;
    }
    let resolved = |p: &str| crate::config::env_root::resolve_links(&workspace.root.join(p)).ok();
    let (Some(a), Some(b)) = (resolved(a), resolved(b)) else {
        return false;
    };
    let inode = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    a == b || inode(&a).is_some_and(|i| Some(i) == inode(&b))
}

/// A path outside the root (absolute) needs `outside_root = true`; a path
/// with `${VAR}` is judged once expanded, by `init` itself.
fn check_place(
    workspace: &Workspace,
    what: &str,
    path: &Spanned<String>,
    outside_root: bool,
    errors: &mut ConfigErrors,
) {
    let written = path.get_ref();
    if written.trim().is_empty() {
        errors.push(
            Diagnostic::at(
                &workspace.tasks_source,
                path.span(),
                format!("{what} is empty"),
            )
            .help("name a path relative to the folder holding tasks.toml"),
        );
        return;
    }
    if outside_root || written.contains('$') {
        return;
    }
    let leaves = Path::new(written).is_absolute()
        || crate::config::EnvRoot::new(&workspace.root)
            .map(|root| root.resolve(written).is_err())
            .unwrap_or(false);
    if leaves {
        errors.push(
            Diagnostic::at(
                &workspace.tasks_source,
                path.span(),
                format!("{what} `{written}` is outside the environment root"),
            )
            .help("use a path relative to the root, or allow it with `outside_root = true` in the same table"),
        );
    }
}

fn check_mode(
    workspace: &Workspace,
    table: &str,
    mode: Option<&Spanned<String>>,
    errors: &mut ConfigErrors,
) {
    let Some(mode) = mode else { return };
    if parse_mode(mode.get_ref()).is_none() {
        errors.push(
            Diagnostic::at(
                &workspace.tasks_source,
                mode.span(),
                format!("{table} mode `{}` is no octal permission", mode.get_ref()),
            )
            .help("write it as chmod does, in octal: mode = \"0750\""),
        );
    }
}
