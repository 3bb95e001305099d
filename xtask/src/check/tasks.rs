//! Cross-checks of `[tasks]`: names that shadow built-ins, aliases that
//! collide, dependencies that name nothing (with the closest name), cycles
//! (named in full), tasks with nothing to do or an empty command, `xtask:`
//! steps that name no built-in command (which would recurse when they name
//! a task), and `dir` outside the root or missing.

use std::collections::{BTreeMap, HashSet};

use std::ops::Range;

use toml::Spanned;

use crate::suggest::closest;
use crate::ui::sanitize_for_terminal;

use crate::config::command_line::CommandLine;
use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::source::SourceFile;
use crate::config::task::{
    builtin_call, builtin_words, lexically_inside, resolve_dir, DirProblem, RunSpec, TaskSpec,
};
use crate::config::Workspace;

pub use crate::config::task::BUILTIN_PREFIX;

pub fn check(workspace: &Workspace, builtins: &[&str], errors: &mut ConfigErrors) {
    let first = errors.0.len();
    check_tasks(workspace, builtins, errors);
    clean_messages(errors, first);
}

/// Messages and help from diagnostic `first` on quote names and values of
/// tasks.toml: none may reach the terminal with its control characters.
pub(super) fn clean_messages(errors: &mut ConfigErrors, first: usize) {
    for diagnostic in errors.0.iter_mut().skip(first) {
        diagnostic.message = sanitize_for_terminal(&diagnostic.message).into_owned();
        if let Some(help) = &mut diagnostic.help {
            *help = sanitize_for_terminal(help).into_owned();
        }
    }
}

fn check_tasks(workspace: &Workspace, builtins: &[&str], errors: &mut ConfigErrors) {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks.tasks;
    let names = task_names(workspace, builtins, errors);
    for (name, task) in tasks {
        check_has_work(source, name, task, errors);
        if let Some(run) = &task.run {
            check_run(
                source,
                name.get_ref(),
                run.get_ref(),
                run.span(),
                builtins,
                &names,
                errors,
            );
        }
        check_args(source, name, task, errors);
        check_dir(workspace, name, task, errors);
        check_depends(source, name, task, builtins, &names, errors);
    }

    // Cycles: a depth-first walk from every task; report each cycle once,
    // at the dependency that closes it.
    let mut reported: Vec<Vec<String>> = Vec::new();
    for start in tasks.keys() {
        let mut path: Vec<&str> = vec![start.get_ref()];
        walk(workspace, &names, &mut path, &mut reported, errors);
    }
}

/// Every name a task answers to, with the task it means; names and
/// aliases that are built-in commands or taken twice are reported.
fn task_names<'a>(
    workspace: &'a Workspace,
    builtins: &[&'a str],
    errors: &mut ConfigErrors,
) -> BTreeMap<&'a str, &'a str> {
    let source = &workspace.tasks_source;
    let tasks = &workspace.tasks.tasks;
    // Looked up once per task and alias: a set, not a scan of every command.
    let builtin_set: HashSet<&str> = builtins.iter().copied().collect();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for name in tasks.keys() {
        names.insert(name.get_ref(), name.get_ref());
        if builtin_set.contains(name.get_ref().as_str()) {
            errors.push(
                Diagnostic::at(
                    source,
                    name.span(),
                    format!(
                        "task `{}` has the name of a built-in command",
                        name.get_ref()
                    ),
                )
                .help("rename the task; built-in commands cannot be replaced"),
            );
        }
    }
    for (name, task) in tasks {
        let Some(alias) = &task.alias else { continue };
        for alias_name in alias.get_ref().names() {
            if builtin_set.contains(alias_name) {
                errors.push(
                    Diagnostic::at(
                        source,
                        alias.span(),
                        format!(
                            "alias `{alias_name}` of task `{}` is a built-in command",
                            name.get_ref()
                        ),
                    )
                    .help("choose another alias"),
                );
            } else if let Some(other) = names.insert(alias_name, name.get_ref()) {
                if other != name.get_ref() {
                    errors.push(
                        Diagnostic::at(source, alias.span(), format!("alias `{alias_name}` of task `{}` is already the name or alias of `{other}`", name.get_ref()))
                            .help("each name may mean one task"),
                    );
                }
            }
        }
    }
    names
}

/// A task runs something or depends on something.
fn check_has_work(
    source: &SourceFile,
    name: &Spanned<String>,
    task: &TaskSpec,
    errors: &mut ConfigErrors,
) {
    if task.run.is_none() && task.depends.is_empty() {
        errors.push(
            Diagnostic::at(
                source,
                name.span(),
                format!("task `{}` has nothing to run", name.get_ref()),
            )
            .help("add `run = \"...\"` or `depends = [...]`"),
        );
    }
}

/// A task's `args`: no flag with a default, none called `help`.
fn check_args(
    source: &SourceFile,
    name: &Spanned<String>,
    task: &TaskSpec,
    errors: &mut ConfigErrors,
) {
    for (arg_name, arg) in &task.args {
        if arg.flag && arg.default.is_some() {
            errors.push(
                Diagnostic::at(
                    source,
                    arg_name.span(),
                    format!(
                        "argument `{}` of task `{}` is a flag and has a default",
                        arg_name.get_ref(),
                        name.get_ref()
                    ),
                )
                .help("a flag is `false` until given; remove `default`"),
            );
        }
        if arg_name.get_ref() == "help" {
            errors.push(
                Diagnostic::at(
                    source,
                    arg_name.span(),
                    format!("task `{}` has an argument called `help`", name.get_ref()),
                )
                .help("`--help` shows the task's help; choose another name"),
            );
        }
    }
}

/// A task's `dir`: inside the root and there, unless `update` makes it.
fn check_dir(
    workspace: &Workspace,
    name: &Spanned<String>,
    task: &TaskSpec,
    errors: &mut ConfigErrors,
) {
    let source = &workspace.tasks_source;
    if let Some(dir) = &task.dir {
        let problem = match resolve_dir(&workspace.root, dir.get_ref()) {
            // `update` makes it (a repository's folder before its first clone).
            Err(DirProblem::Missing { .. }) if made_by_update(workspace, dir.get_ref()) => None,
            Err(problem) => Some(problem),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            errors.push(
                Diagnostic::at(
                    source,
                    dir.span(),
                    format!("task `{}`: {problem}", name.get_ref()),
                )
                .help(problem.help()),
            );
        }
    }
}

/// A task's `depends`: tasks, built-in commands or built-in calls that parse.
fn check_depends(
    source: &SourceFile,
    name: &Spanned<String>,
    task: &TaskSpec,
    builtins: &[&str],
    names: &BTreeMap<&str, &str>,
    errors: &mut ConfigErrors,
) {
    for dependency in &task.depends {
        let target = dependency.get_ref();
        if let Some(rest) = target.strip_prefix(BUILTIN_PREFIX) {
            let words = builtin_words(rest);
            if let Some(diagnostic) = check_builtin_call(
                source,
                name.get_ref(),
                words,
                dependency.span(),
                builtins,
                names,
            ) {
                errors.push(diagnostic);
            }
            continue;
        }
        if names.contains_key(target.as_str()) || builtins.contains(&target.as_str()) {
            continue;
        }
        let candidates = names.keys().copied().chain(builtins.iter().copied());
        let help = match closest(target, candidates) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "name a task of tasks.toml or a built-in command".to_string(),
        };
        errors.push(
            Diagnostic::at(source, dependency.span(), format!("task `{}` depends on `{target}`, which is neither a task nor a built-in command", name.get_ref()))
                .help(help),
        );
    }
}

/// What `check` warns about without failing: `run = ["cmd a", "cmd b"]`,
/// a list of strings whose program has a space, which is one argv (the
/// program `cmd a`) but was most likely meant as two commands.
pub fn warnings(workspace: &Workspace) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for (name, task) in &workspace.tasks.tasks {
        let Some(run) = &task.run else { continue };
        let RunSpec::One(CommandLine::Argv(argv)) = run.get_ref() else {
            continue;
        };
        let Some(program) = argv.first() else {
            continue;
        };
        if program.starts_with(BUILTIN_PREFIX) || !program.trim().contains(char::is_whitespace) {
            continue;
        }
        let toml_list = |items: &[String]| {
            toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect()).to_string()
        };
        let split =
            |text: &str| shell_words::split(text).unwrap_or_else(|_| vec![text.to_string()]);
        let commands: Vec<String> = argv.iter().map(|c| toml_list(&split(c))).collect();
        let mut one_argv = split(program);
        one_argv.extend(argv[1..].iter().cloned());
        let mut warning = Diagnostic::at(
            &workspace.tasks_source,
            run.span(),
            format!(
                "task `{}`: `run = {}` is one command, the program `{program}` with {}",
                name.get_ref(),
                toml_list(argv),
                crate::ui::plural(argv.len() - 1, "argument", "arguments"),
            ),
        )
        .help(format!(
            "for {} in order write `run = [{}]`; for one command with arguments write `run = {}`",
            crate::ui::plural(argv.len(), "command", "commands"),
            commands.join(", "),
            toml_list(&one_argv)
        ));
        warning.message = sanitize_for_terminal(&warning.message).into_owned();
        warning.help = warning
            .help
            .map(|help| sanitize_for_terminal(&help).into_owned());
        warnings.push(warning);
    }
    warnings
}

/// Whether `dir` lies in a repository, folder or link that `update` makes.
pub fn made_by_update(workspace: &Workspace, dir: &str) -> bool {
    let Ok(dir) = lexically_inside(dir) else {
        return false;
    };
    let repos = &workspace.repos;
    let made = repos
        .repos
        .iter()
        .map(|repo| repos.repo_path(repo))
        .chain(repos.folders.iter().map(|f| f.path.get_ref().into()))
        .chain(repos.links.iter().map(|l| l.path.get_ref().into()));
    made.filter_map(|path: std::path::PathBuf| lexically_inside(&path.to_string_lossy()).ok())
        .any(|path| !path.as_os_str().is_empty() && dir.starts_with(path))
}

/// Every command of `run`: none empty, every `xtask:` step a built-in.
fn check_run(
    source: &SourceFile,
    task: &str,
    run: &RunSpec,
    span: Range<usize>,
    builtins: &[&str],
    names: &BTreeMap<&str, &str>,
    errors: &mut ConfigErrors,
) {
    let commands = run.commands();
    if commands.is_empty() {
        errors.push(
            Diagnostic::at(
                source,
                span.clone(),
                format!("task `{task}` has an empty `run`"),
            )
            .help("give `run` a command, e.g. `run = \"make\"`, or remove it and keep `depends`"),
        );
    }
    for command in &commands {
        if let Some(words) = builtin_call(command) {
            if let Some(diagnostic) =
                check_builtin_call(source, task, words, span.clone(), builtins, names)
            {
                errors.push(diagnostic);
            }
            continue;
        }
        let argv = command.to_argv();
        if command.is_empty() || argv.first().is_some_and(|p| p.trim().is_empty()) {
            errors.push(
                Diagnostic::at(
                    source,
                    span.clone(),
                    format!("task `{task}` has an empty command in `run`"),
                )
                .help("every command needs a program: a non-blank string, or a list whose first item names the program"),
            );
        }
    }
}

/// The words of an `xtask:` step or dependency must start with a built-in
/// command: a task would start a new xtask running it (forever, when it is
/// the task itself), and a flag could put a task's name after it.
fn check_builtin_call(
    source: &SourceFile,
    task: &str,
    words: Result<Vec<String>, String>,
    span: Range<usize>,
    builtins: &[&str],
    names: &BTreeMap<&str, &str>,
) -> Option<Diagnostic> {
    let words = match words {
        Ok(words) => words,
        Err(why) => {
            return Some(
                Diagnostic::at(source, span, format!("task `{task}`: {why}"))
                    .help("close the quotes of `xtask:` arguments"),
            )
        }
    };
    let Some(first) = words.first() else {
        return Some(
            Diagnostic::at(
                source,
                span,
                format!("task `{task}` has `{BUILTIN_PREFIX}` with no command"),
            )
            .help("write `xtask:CMD ARGS`, CMD a built-in command"),
        );
    };
    if builtins.contains(&first.as_str()) {
        return None;
    }
    let span = narrow(source, span, &format!("{BUILTIN_PREFIX}{first}"));
    let message = match names.get(first.as_str()) {
        Some(&target) if target == task => format!(
            "task `{task}` calls itself through `{BUILTIN_PREFIX}{first}`, which would recurse forever"
        ),
        Some(&target) => format!(
            "task `{task}` calls task `{target}` through `{BUILTIN_PREFIX}{first}`: `xtask:` is for built-in commands only"
        ),
        None => format!(
            "task `{task}` calls `{BUILTIN_PREFIX}{first}`, which is not a built-in command"
        ),
    };
    let help = match (
        names.get(first.as_str()),
        closest(first, builtins.iter().copied()),
    ) {
        (Some(_), _) => {
            "name tasks in `depends` (it runs them once each, in order) instead of `xtask:`"
                .to_string()
        }
        (None, Some(close)) => format!("did you mean `{BUILTIN_PREFIX}{close}`?"),
        (None, None) => format!("built-in commands: {}", builtins.join(", ")),
    };
    Some(Diagnostic::at(source, span, message).help(help))
}

/// The first place of `needle` inside `span`, else `span`: points a
/// diagnostic at one step of a multi-step `run`.
fn narrow(source: &SourceFile, span: Range<usize>, needle: &str) -> Range<usize> {
    source
        .text
        .get(span.clone())
        .and_then(|text| text.find(needle))
        .map_or(span.clone(), |at| {
            span.start + at..span.start + at + needle.len()
        })
}

fn walk<'a>(
    workspace: &'a Workspace,
    names: &BTreeMap<&'a str, &'a str>,
    path: &mut Vec<&'a str>,
    reported: &mut Vec<Vec<String>>,
    errors: &mut ConfigErrors,
) {
    let Some(current) = path.last().copied() else {
        return;
    };
    let Some(task) = workspace.tasks.task(current) else {
        return;
    };
    for dependency in &task.depends {
        let Some(&next) = names.get(dependency.get_ref().as_str()) else {
            continue;
        };
        if let Some(at) = path.iter().position(|p| *p == next) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            let mut key = cycle.clone();
            key.sort();
            if !reported.contains(&key) {
                reported.push(key);
                cycle.push(next.to_string());
                errors.push(
                    Diagnostic::at(
                        &workspace.tasks_source,
                        dependency.span(),
                        format!("dependency cycle: {}", cycle.join(" -> ")),
                    )
                    .help("remove one of these dependencies"),
                );
            }
            continue;
        }
        if path.len() > 64 {
            continue;
        }
        path.push(next);
        walk(workspace, names, path, reported, errors);
        path.pop();
    }
}
