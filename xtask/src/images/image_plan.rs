//! The plans of `images build|tag|push`: which images, in which order (an
//! image after those it depends on or names in `FROM`), one build per
//! matrix cell, and the exact `docker` command lines.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::images_spec::{fill, find_cycle, tag_problem, TAG_PLACEHOLDER};
use crate::config::{ImageSpec, Workspace};
use crate::plan::{CommandStep, Plan, Step};

use super::dockerfile;

/// Why the images asked for cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum ImagePlanError {
    #[error("no image `{name}` in [images] of tasks.toml")]
    Unknown {
        name: String,
        closest: Option<String>,
        names: Vec<String>,
    },
    #[error("the images depend on each other in a cycle: {0}")]
    Cycle(String),
    #[error("`{tag}` is no Docker tag: {problem}")]
    BadTag { tag: String, problem: &'static str },
    #[error("no images are configured: add an [images.NAME] table to tasks.toml")]
    NoImages,
}

/// One `docker build` of one matrix cell of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBuild {
    /// The image's key in `[images]`.
    pub image: String,
    /// The matrix values of this build (empty without a matrix).
    pub cell: Vec<(String, String)>,
    /// Full references it is tagged with (`overwatch:latest-py3.6.6`).
    pub references: Vec<String>,
    /// `--build-arg`s: the matrix's variables, then `args` (filled in).
    pub args: Vec<(String, String)>,
    /// The context and the Dockerfile, both relative to the root.
    pub context: String,
    pub dockerfile: String,
    pub target: Option<String>,
}

impl ImageBuild {
    /// `docker build ... -- CONTEXT`, run in the root.
    pub fn command(&self, root: &std::path::Path, no_cache: bool) -> CommandStep {
        let mut argv: Vec<String> = vec!["docker".into(), "build".into()];
        if no_cache {
            argv.push("--no-cache".into());
        }
        for (key, value) in &self.args {
            argv.push("--build-arg".into());
            argv.push(format!("{key}={value}"));
        }
        if let Some(target) = &self.target {
            argv.push("--target".into());
            argv.push(target.clone());
        }
        for reference in &self.references {
            argv.push("--tag".into());
            argv.push(reference.clone());
        }
        argv.push("--file".into());
        argv.push(self.dockerfile.clone());
        argv.push("--".into());
        argv.push(self.context.clone());
        CommandStep::new(argv).dir(root)
    }

    /// `overwatch (PYTHON_VERSION=3.6.6)`, for notes.
    pub fn label(&self) -> String {
        if self.cell.is_empty() {
            return self.image.clone();
        }
        let cell: Vec<String> = self.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} ({})", self.image, cell.join(", "))
    }
}

/// Checks a tag typed on the command line.
pub fn check_tag(tag: &str) -> Result<(), ImagePlanError> {
    match tag_problem(tag) {
        Some(problem) => Err(ImagePlanError::BadTag {
            tag: tag.to_string(),
            problem,
        }),
        None => Ok(()),
    }
}

/// A matrix cell's values (`PYTHON_VERSION=3.6.6`), empty without a matrix.
pub type Cell = Vec<(String, String)>;

/// The references of every cell of `spec` for `tag`, in cell order.
pub fn references(key: &str, spec: &ImageSpec, tag: &str) -> Vec<(Cell, Vec<String>)> {
    let repository = spec.repository(key);
    spec.cells()
        .into_iter()
        .map(|cell| {
            let mut values = cell.clone();
            values.push((TAG_PLACEHOLDER.into(), tag.to_string()));
            let references = spec
                .tag_templates()
                .iter()
                .map(|template| format!("{repository}:{}", fill(template, &values).0))
                .collect();
            (cell, references)
        })
        .collect()
}

/// The builds of image `key`, one per matrix cell, for `tag`.
pub fn builds(key: &str, spec: &ImageSpec, tag: &str) -> Vec<ImageBuild> {
    references(key, spec, tag)
        .into_iter()
        .map(|(cell, references)| {
            let mut values = cell.clone();
            values.push((TAG_PLACEHOLDER.into(), tag.to_string()));
            let mut args: Vec<(String, String)> = cell
                .iter()
                .filter(|(k, _)| !spec.args.contains_key(k.as_str()))
                .cloned()
                .collect();
            args.extend(
                spec.args
                    .iter()
                    .map(|(k, v)| (k.get_ref().clone(), fill(v.get_ref(), &values).0)),
            );
            ImageBuild {
                image: key.to_string(),
                cell,
                references,
                args,
                context: spec.context().to_string(),
                dockerfile: spec.dockerfile_path(),
                target: spec.target.as_ref().map(|t| t.get_ref().clone()),
            }
        })
        .collect()
}

/// The images each image depends on: its `depends`, and the images of
/// `[images]` whose repository its Dockerfile names in `FROM` (in any cell).
/// A Dockerfile that cannot be read adds nothing (the build will say why).
pub fn dependencies(workspace: &Workspace) -> BTreeMap<String, BTreeSet<String>> {
    let images = &workspace.tasks.images;
    let by_repository: BTreeMap<&str, &str> = images
        .iter()
        .map(|(k, spec)| (spec.repository(k.get_ref()), k.get_ref().as_str()))
        .collect();
    let mut graph = BTreeMap::new();
    for (key, spec) in images {
        let key = key.get_ref();
        let mut depends: BTreeSet<String> = spec.depends().into_iter().map(String::from).collect();
        let path = workspace.root.join(spec.dockerfile_path());
        if let Ok(text) = std::fs::read_to_string(&path) {
            for build in builds(key, spec, "latest") {
                for base in dockerfile::base_images(&text, &build.args) {
                    if let Some(other) = by_repository.get(dockerfile::repository_of(&base)) {
                        if *other != key {
                            depends.insert((*other).to_string());
                        }
                    }
                }
            }
        }
        graph.insert(key.clone(), depends);
    }
    graph
}

/// The images to handle, in order: those `selected` (every image when
/// empty), each after the images it depends on; with `with_dependencies`,
/// those dependencies are added when not selected.
pub fn order(
    workspace: &Workspace,
    selected: &[String],
    with_dependencies: bool,
) -> Result<Vec<String>, ImagePlanError> {
    let images = &workspace.tasks.images;
    if images.is_empty() {
        return Err(ImagePlanError::NoImages);
    }
    let names: Vec<String> = images.keys().map(|k| k.get_ref().clone()).collect();
    for name in selected {
        if !images.contains_key(name.as_str()) {
            return Err(ImagePlanError::Unknown {
                name: name.clone(),
                closest: crate::suggest::closest(name, names.iter().map(String::as_str))
                    .map(String::from),
                names,
            });
        }
    }
    let graph = dependencies(workspace);
    let borrowed: BTreeMap<&str, Vec<&str>> = graph
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    for name in &names {
        if let Some(cycle) = find_cycle(&borrowed, name) {
            return Err(ImagePlanError::Cycle(format!(
                "{} -> {}",
                cycle.join(" -> "),
                cycle[0]
            )));
        }
    }
    let wanted: BTreeSet<String> = if selected.is_empty() {
        names.iter().cloned().collect()
    } else if with_dependencies {
        let mut wanted = BTreeSet::new();
        let mut stack: Vec<String> = selected.to_vec();
        while let Some(name) = stack.pop() {
            if wanted.insert(name.clone()) {
                stack.extend(graph.get(&name).into_iter().flatten().cloned());
            }
        }
        wanted
    } else {
        selected.iter().cloned().collect()
    };
    // Depth-first post-order over the graph, names in key order: stable.
    let mut ordered = Vec::new();
    let mut done = BTreeSet::new();
    fn visit(
        name: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        ordered: &mut Vec<String>,
    ) {
        if !done.insert(name.to_string()) {
            return;
        }
        for dependency in graph.get(name).into_iter().flatten() {
            visit(dependency, graph, done, ordered);
        }
        ordered.push(name.to_string());
    }
    for name in &names {
        visit(name, &graph, &mut done, &mut ordered);
    }
    ordered.retain(|name| wanted.contains(name));
    Ok(ordered)
}

/// `docker build` of every cell of every image in `order`, for `tag`.
pub fn build_plan(workspace: &Workspace, order: &[String], tag: &str, no_cache: bool) -> Plan {
    let mut plan = Plan::new();
    for key in order {
        let Some(spec) = workspace.tasks.images.get(key.as_str()) else {
            continue;
        };
        for build in builds(key, spec, tag) {
            plan.push(Step::Note(format!("build {}", build.label())));
            plan.run(build.command(&workspace.root, no_cache));
        }
    }
    plan
}

/// `docker tag` of every reference made with `from` to the same one with
/// `to`; with `pull`, each source is pulled first, with `push` each new
/// reference pushed (Indico's make-image-tags.sh, `latest` to `stable`).
pub fn tag_plan(
    workspace: &Workspace,
    order: &[String],
    from: &str,
    to: &str,
    pull: bool,
    push: bool,
) -> Plan {
    let mut plan = Plan::new();
    for key in order {
        let Some(spec) = workspace.tasks.images.get(key.as_str()) else {
            continue;
        };
        let sources = references(key, spec, from);
        let targets = references(key, spec, to);
        for ((_, sources), (_, targets)) in sources.into_iter().zip(targets) {
            for (source, target) in sources.into_iter().zip(targets) {
                // A template without {tag} (`py{PYTHON_VERSION}`) names one tag only.
                if source == target {
                    continue;
                }
                if pull {
                    plan.run(docker(["pull", "--", &source]));
                }
                plan.run(docker(["tag", "--", &source, &target]));
                if push {
                    plan.run(docker(["push", "--", &target]));
                }
            }
        }
    }
    plan
}

/// `docker push` of every reference made with `tag`.
pub fn push_plan(workspace: &Workspace, order: &[String], tag: &str) -> Plan {
    let mut plan = Plan::new();
    for key in order {
        let Some(spec) = workspace.tasks.images.get(key.as_str()) else {
            continue;
        };
        for (_, references) in references(key, spec, tag) {
            for reference in references {
                plan.run(docker(["push", "--", &reference]));
            }
        }
    }
    plan
}

fn docker<const N: usize>(args: [&str; N]) -> CommandStep {
    CommandStep::new(std::iter::once("docker").chain(args))
}
