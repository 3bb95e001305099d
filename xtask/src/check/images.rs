//! Checks of `[images.NAME]`: repositories and tags Docker accepts,
//! placeholders that name something, paths inside the root, dependencies
//! that exist and form no cycle.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::config::diagnostic::{ConfigErrors, Diagnostic};
use crate::config::images_spec::{
    fill, repository_problem, tag_problem, ImageSpec, TAG_PLACEHOLDER,
};
use crate::config::repos_file::check_relative;
use crate::config::Workspace;

pub fn check(workspace: &Workspace, errors: &mut ConfigErrors) {
    let first = errors.0.len();
    let images = &workspace.tasks.images;
    for (key, spec) in images {
        check_image(workspace, key, spec, errors);
    }
    check_cycles(workspace, errors);
    super::tasks::clean_messages(errors, first);
}

fn check_image(
    workspace: &Workspace,
    key: &Spanned<String>,
    spec: &ImageSpec,
    errors: &mut ConfigErrors,
) {
    let image = ImageTable {
        workspace,
        key,
        spec,
        table: format!("[images.{}]", key.get_ref()),
    };
    image.check_repository(errors);
    image.check_paths(errors);
    image.check_dockerfile_exists(errors);
    let known = image.check_matrix(errors);
    let known_list = known
        .iter()
        .map(|k| format!("{{{k}}}"))
        .collect::<Vec<_>>()
        .join(", ");
    image.check_tags(&known_list, errors);
    image.check_args(&known, &known_list, errors);
    image.check_depends(errors);
}

/// One `[images.NAME]` under check, with the table's name as messages say it.
struct ImageTable<'a> {
    workspace: &'a Workspace,
    key: &'a Spanned<String>,
    spec: &'a ImageSpec,
    table: String,
}

impl ImageTable<'_> {
    /// `name` (or the key): a repository Docker accepts.
    fn check_repository(&self, errors: &mut ConfigErrors) {
        let (source, table, spec, key) = (
            &self.workspace.tasks_source,
            &self.table,
            self.spec,
            self.key,
        );
        let repository = spec.repository(key.get_ref());
        if let Some(problem) = repository_problem(repository) {
            let span = spec.name.as_ref().map_or_else(|| key.span(), |n| n.span());
            errors.push(
                Diagnostic::at(
                    source,
                    span,
                    format!("{table}: `{repository}` is no image repository: {problem}"),
                )
                .help("write it as Docker does, e.g. name = \"127.0.0.1:5000/team/app\" (lowercase, no tag)"),
            );
        }
    }

    /// `context` and `dockerfile`: paths inside the root.
    fn check_paths(&self, errors: &mut ConfigErrors) {
        let (source, table, spec) = (&self.workspace.tasks_source, &self.table, self.spec);
        for (field, value) in [("context", &spec.context), ("dockerfile", &spec.dockerfile)] {
            let Some(value) = value else { continue };
            let path = match field {
                "context" => value.get_ref().clone(),
                _ => format!("{}/{}", spec.context(), value.get_ref()),
            };
            if let Err(problem) = check_relative(&path) {
                errors.push(
                    Diagnostic::at(
                        source,
                        value.span(),
                        format!("{table} {field} `{}` {problem}", value.get_ref()),
                    )
                    .help("give a path inside the environment root (context relative to the root, dockerfile relative to the context)"),
                );
            }
        }
    }

    /// The Dockerfile exists, unless `update` clones the repository it is in.
    fn check_dockerfile_exists(&self, errors: &mut ConfigErrors) {
        let (workspace, table, spec, key) = (self.workspace, &self.table, self.spec, self.key);
        // A Dockerfile in a repository that `update` clones may not be there yet.
        let dockerfile = spec.dockerfile_path();
        if check_relative(&dockerfile).is_ok()
            && !workspace.root.join(&dockerfile).is_file()
            && !super::tasks::made_by_update(workspace, &dockerfile)
        {
            let span = spec
                .dockerfile
                .as_ref()
                .or(spec.context.as_ref())
                .map_or_else(|| key.span(), |s| s.span());
            errors.push(
                Diagnostic::at(
                    &workspace.tasks_source,
                    span,
                    format!("{table}: its Dockerfile `{dockerfile}` does not exist"),
                )
                .help("set `context` (relative to the root) and `dockerfile` (relative to the context) to where it is"),
            );
        }
    }

    /// `matrix`: variable names with values; returns the placeholders known.
    fn check_matrix(&self, errors: &mut ConfigErrors) -> Vec<String> {
        let (source, table) = (&self.workspace.tasks_source, &self.table);
        let mut known: Vec<String> = vec![TAG_PLACEHOLDER.to_string()];
        for (name, values) in &self.spec.matrix {
            known.push(name.get_ref().clone());
            if !super::environments::is_variable_name(name.get_ref()) {
                errors.push(
                    Diagnostic::at(
                        source,
                        name.span(),
                        format!("{table} matrix `{}` is not a variable name", name.get_ref()),
                    )
                    .help("matrix variables are build arguments: letters, digits and `_`"),
                );
            }
            if values.get_ref().is_empty() {
                errors.push(
                    Diagnostic::at(
                        source,
                        values.span(),
                        format!("{table} matrix `{}` has no values", name.get_ref()),
                    )
                    .help(
                        "list the values to build for, e.g. [\"2.7.15\", \"3.6.6\"], or remove it",
                    ),
                );
            }
        }
        known
    }

    /// `tags`: placeholders, and the tags they make for every cell with `latest`.
    fn check_tags(&self, known_list: &str, errors: &mut ConfigErrors) {
        let (source, table, spec) = (&self.workspace.tasks_source, &self.table, self.spec);
        if let Some(tags) = &spec.tags {
            if tags.get_ref().is_empty() {
                errors.push(
                    Diagnostic::at(source, tags.span(), format!("{table} tags is empty"))
                        .help("give at least one tag template, e.g. tags = [\"{tag}\"], or remove it (that is the default)"),
                );
            }
        }
        let templates: Vec<(String, std::ops::Range<usize>)> = match &spec.tags {
            Some(tags) => tags
                .get_ref()
                .iter()
                .map(|t| (t.get_ref().clone(), t.span()))
                .collect(),
            None => Vec::new(),
        };
        for (template, span) in &templates {
            let mut reported = false;
            for cell in spec.cells() {
                let mut values = cell.clone();
                values.push((TAG_PLACEHOLDER.into(), "latest".into()));
                let (tag, unknown) = fill(template, &values);
                if let Some(name) = unknown.first() {
                    errors.push(
                        Diagnostic::at(
                            source,
                            span.clone(),
                            format!(
                                "{table} tag `{template}` uses `{{{name}}}`, which nothing sets"
                            ),
                        )
                        .help(format!("use {known_list}, or add `{name}` to the matrix")),
                    );
                    reported = true;
                } else if let Some(problem) = tag_problem(&tag) {
                    errors.push(
                        Diagnostic::at(
                            source,
                            span.clone(),
                            format!("{table} tag `{template}` makes `{tag}`, which is no Docker tag: {problem}"),
                        )
                        .help("tags are letters, digits, `_`, `.` and `-`, at most 128"),
                    );
                    reported = true;
                }
                if reported {
                    break;
                }
            }
        }
    }

    /// `args`: build argument names, values with known placeholders only.
    fn check_args(&self, known: &[String], known_list: &str, errors: &mut ConfigErrors) {
        let (source, table) = (&self.workspace.tasks_source, &self.table);
        for (name, value) in &self.spec.args {
            if !super::environments::is_variable_name(name.get_ref()) {
                errors.push(
                    Diagnostic::at(
                        source,
                        name.span(),
                        format!("{table} args `{}` is not a build argument name", name.get_ref()),
                    )
                    .help("build arguments are letters, digits and `_`, as the Dockerfile's ARG names them"),
                );
            }
            let (_, unknown) = fill(value.get_ref(), &placeholder_values(known));
            if let Some(unknown) = unknown.first() {
                errors.push(
                    Diagnostic::at(
                        source,
                        value.span(),
                        format!(
                            "{table} args `{}` uses `{{{unknown}}}`, which nothing sets",
                            name.get_ref()
                        ),
                    )
                    .help(format!(
                        "use {known_list}, or add `{unknown}` to the matrix"
                    )),
                );
            }
        }
    }

    /// `depends`: other images of `[images]`, never itself.
    fn check_depends(&self, errors: &mut ConfigErrors) {
        let (workspace, table, key) = (self.workspace, &self.table, self.key);
        let source = &workspace.tasks_source;
        for dependency in self.spec.depends.iter().flat_map(|d| d.get_ref()) {
            let name = dependency.get_ref();
            if name == key.get_ref() {
                errors.push(
                    Diagnostic::at(
                        source,
                        dependency.span(),
                        format!("{table} depends on itself"),
                    )
                    .help("remove it from depends"),
                );
            } else if !workspace.tasks.images.contains_key(name.as_str()) {
                let names = workspace.tasks.images.keys().map(|k| k.get_ref().as_str());
                let help = match crate::suggest::closest(name, names) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "name an image of [images]".to_string(),
                };
                errors.push(
                    Diagnostic::at(
                        source,
                        dependency.span(),
                        format!("{table} depends on `{name}`, which is no image of [images]"),
                    )
                    .help(help),
                );
            }
        }
    }
}

fn placeholder_values(known: &[String]) -> Vec<(String, String)> {
    known.iter().map(|k| (k.clone(), String::new())).collect()
}

/// A cycle of `depends` can never be built: name it in full, once.
fn check_cycles(workspace: &Workspace, errors: &mut ConfigErrors) {
    let images = &workspace.tasks.images;
    let graph: BTreeMap<&str, Vec<&str>> = images
        .iter()
        .map(|(k, spec)| (k.get_ref().as_str(), spec.depends()))
        .collect();
    let mut reported = std::collections::BTreeSet::new();
    for (start, spec) in images {
        if let Some(cycle) = crate::config::images_spec::find_cycle(&graph, start.get_ref()) {
            let mut members: Vec<&str> = cycle.clone();
            members.sort_unstable();
            if !reported.insert(members.join(",")) {
                continue;
            }
            let Some(depends) = &spec.depends else {
                continue;
            };
            errors.push(
                Diagnostic::at(
                    &workspace.tasks_source,
                    depends.span(),
                    format!(
                        "[images] depends form a cycle: {} -> {}",
                        cycle.join(" -> "),
                        cycle[0]
                    ),
                )
                .help("an image cannot be built before itself: remove one of these dependencies"),
            );
        }
    }
}
