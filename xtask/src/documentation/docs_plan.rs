//! What `docs` runs: the image build, the kept container, the Sphinx
//! build, the browser and the server, then the tear-down; as plans
//! `--dry-run` prints whole.

use std::path::{Path, PathBuf};

use crate::compose::project::ComposeProject;
use crate::compose::state::{self, Container};
use crate::config::docs_spec::DocsSpec;
use crate::config::CommandLine;
use crate::documentation::serving::serve_step;
use crate::documentation::DocsError;
use crate::exec;
use crate::plan::{CommandStep, Plan, Step};
use crate::ui::Ui;

/// What `docs` was asked for.
#[derive(Debug, Clone, Default)]
pub struct DocsOptions {
    /// Build the docs image first.
    pub build: bool,
    /// Leave the docs container running afterwards.
    pub keep: bool,
    /// Add `[docs.no_autoapi]` to the build.
    pub no_autoapi: bool,
    /// Serve the HTML on 127.0.0.1 after the build.
    pub serve: bool,
    /// Open the built index.html in a browser.
    pub open: bool,
}

/// The docs service in its compose project, as the engine shows it now.
#[derive(Debug, Clone)]
pub struct DocsProject {
    pub project: ComposeProject,
    pub service: String,
    /// A container of the service runs (the build execs into it).
    running: bool,
    /// The project's other services: a project shared with the stack
    /// loses only the docs containers.
    shared: Vec<String>,
    /// The tear-down: `down` of the docs' own project, else `rm` of the service.
    down: CommandStep,
}

/// What `docs` runs, in order: `before`, the build (streamed and read),
/// `after` (browser, server), then `tear_down` unless kept.
#[derive(Debug, Clone)]
pub struct DocsPlan {
    pub before: Plan,
    pub build: CommandStep,
    pub after: Plan,
    /// The port `--serve` publishes on 127.0.0.1.
    pub serve_port: Option<u16>,
    pub tear_down: Option<CommandStep>,
    /// The built index.html on the host.
    pub index: PathBuf,
}

impl DocsPlan {
    /// Every step in order, as `--dry-run` prints it.
    pub fn whole(&self) -> Plan {
        let mut whole = self.before.clone();
        whole.run(self.build.clone());
        whole.steps.extend(self.after.steps.iter().cloned());
        if let Some(down) = &self.tear_down {
            whole.run(down.clone());
        }
        whole
    }
}

impl DocsProject {
    /// The docs `service` of `project`, given the project's `containers`.
    pub fn new(project: ComposeProject, service: String, containers: &[Container]) -> Self {
        let running = containers
            .iter()
            .any(|c| c.service == service && c.is_running() && !c.one_off);
        // The docs' own project goes whole; one shared with the stack (no
        // `[docs] environment`) loses only the docs containers.
        let mut shared: Vec<String> = containers
            .iter()
            .filter(|c| c.service != service)
            .map(|c| c.service.clone())
            .collect();
        shared.dedup();
        let down = if shared.is_empty() {
            project.command(["down", "--remove-orphans"])
        } else {
            project.command([
                "rm".to_string(),
                "--stop".into(),
                "--force".into(),
                service.clone(),
            ])
        };
        DocsProject {
            project,
            service,
            running,
            shared,
            down,
        }
    }

    /// `docs --down`: the tear-down alone, saying what stays.
    pub fn down_plan(&self) -> Plan {
        let mut plan = Plan::new();
        if !self.shared.is_empty() {
            plan.push(Step::Note(format!(
                "project {} also has {}: only its {} containers go",
                self.project.name,
                self.shared.join(", "),
                self.service
            )));
        }
        plan.run(self.down.clone());
        plan
    }

    /// The build and what comes around it, for `spec` under `root`.
    pub fn plan(
        &self,
        root: &Path,
        spec: &DocsSpec,
        options: &DocsOptions,
    ) -> Result<DocsPlan, DocsError> {
        let (project, service) = (&self.project, &self.service);
        let serve = if options.serve {
            Some(serve_step(project, spec, service)?)
        } else {
            None
        };
        // Before the build: the image, and the kept container.
        let mut before = Plan::new();
        if options.build {
            before.run(project.command(["build".to_string(), service.clone()]));
        }
        let exec_into = self.running || options.keep;
        let build = build_step(project, spec, service, options.no_autoapi, exec_into);
        if options.keep && !self.running {
            before.run(project.command([
                "up".to_string(),
                "--detach".into(),
                "--no-deps".into(),
                service.clone(),
            ]));
        }
        // After it: the browser, the server.
        let index = root.join(spec.output.get_ref()).join("index.html");
        let mut after = Plan::new();
        if options.open {
            after.push(open_step(&index));
        }
        if let Some((port, step)) = &serve {
            after.push(Step::Note(format!(
                "starting the server on 127.0.0.1:{port}; its URL is printed when it answers; Ctrl-C stops it"
            )));
            after.run(step.clone());
        }
        Ok(DocsPlan {
            before,
            build,
            after,
            serve_port: serve.map(|(port, _)| port),
            tear_down: (!options.keep).then(|| self.down.clone()),
            index,
        })
    }

    /// Runs the tear-down captured (it runs even after Ctrl-C stopped the
    /// server), warning when it fails, and removes leaked one-offs.
    pub fn tear_down(&self, ui: &Ui) {
        let down = &self.down;
        if ui.verbosity >= 1 {
            ui.command(down);
        }
        match exec::capture(down) {
            Ok(out) if out.success() => {}
            Ok(out) => ui.warn(format!(
                "could not tear the docs project down ({}): {}",
                out.stderr.trim(),
                down
            )),
            Err(e) => ui.warn(format!("could not tear the docs project down: {e}")),
        }
        if !self.shared.is_empty() {
            remove_one_offs(ui, &self.project.name, &self.service);
        }
    }
}

/// `--open`: the browser on index.html, or a note where there is none.
fn open_step(index: &Path) -> Step {
    match crate::ui::browser() {
        Some(program) => Step::Run(CommandStep::new([
            program,
            index.to_string_lossy().into_owned(),
        ])),
        None => Step::Note(format!(
            "no xdg-open or open on PATH: open {} in a browser",
            index.display()
        )),
    }
}

/// `rm` leaves the one-off containers an interrupted `run --rm` may leak
/// (docker/compose#12965): those of the docs service go too.
fn remove_one_offs(ui: &Ui, project: &str, service: &str) {
    let ids: Vec<String> = state::containers(project)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.one_off && c.service == service)
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        return;
    }
    let mut argv = vec!["docker".to_string(), "rm".into(), "--force".into()];
    argv.extend(ids.iter().cloned());
    if !exec::capture(&CommandStep::new(argv)).is_ok_and(|out| out.success()) {
        ui.warn(format!(
            "one-off docs containers are left: docker rm -f {}",
            ids.join(" ")
        ));
    }
}

/// The build: `exec` into the (kept) container, else a fresh one removed on exit.
fn build_step(
    project: &ComposeProject,
    spec: &DocsSpec,
    service: &str,
    no_autoapi: bool,
    exec_into: bool,
) -> CommandStep {
    let mut argv = spec.command.get_ref().to_argv();
    if no_autoapi && !spec.no_autoapi.args.is_empty() {
        if let CommandLine::Shell(_) = spec.command.get_ref() {
            // `sh -c LINE docs ARG...`: the script reads them as "$@".
            argv.push("docs".into());
        }
        argv.extend(spec.no_autoapi.args.iter().cloned());
    }
    let mut args: Vec<String> = if exec_into {
        vec!["exec".into(), "-T".into()]
    } else {
        ["run", "--rm", "--no-deps", "-T"]
            .map(String::from)
            .to_vec()
    };
    if no_autoapi {
        for (key, value) in &spec.no_autoapi.env {
            args.extend(["-e".into(), format!("{key}={value}")]);
        }
    }
    args.push(service.to_string());
    args.extend(argv);
    project.command(args)
}
