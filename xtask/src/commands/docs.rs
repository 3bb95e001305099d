//! `docs`: the arguments of the documentation build; the work is in
//! `documentation/`.

use crate::commands::Context;
use crate::compose::state;
use crate::documentation::docs_plan::{DocsOptions, DocsPlan, DocsProject};
use crate::documentation::serving::{check_port_free, UrlAnnouncer};
use crate::documentation::sphinx_build::run_build;
use crate::documentation::DocsError;
use crate::error::{Error, Result};
use crate::exec;

/// Build the documentation in its container; serve it on 127.0.0.1
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask docs --build           build the docs image, then the docs
  cargo xtask docs --no-autoapi      skip the API pages ([docs.no_autoapi])
  cargo xtask docs --serve           build, then serve on http://127.0.0.1:8000/ until Ctrl-C
  cargo xtask docs --keep            leave the docs container up (exec into it later)
  cargo xtask docs --down            only tear the docs container down
  cargo xtask --dry-run docs         every compose call, nothing run")]
pub struct DocsArgs {
    /// Build the docs image first
    #[arg(long)]
    pub build: bool,
    /// Leave the docs container running afterwards (the next run execs into it)
    #[arg(long, conflicts_with = "down")]
    pub keep: bool,
    /// Only tear the docs container down
    #[arg(long)]
    pub down: bool,
    /// Skip the autoapi step: add what [docs.no_autoapi] says to the build
    #[arg(long)]
    pub no_autoapi: bool,
    /// After the build, serve the HTML on 127.0.0.1 (live rebuild when the image has sphinx-autobuild) until Ctrl-C
    #[arg(long, conflicts_with = "down")]
    pub serve: bool,
    /// Open the built index.html in a browser (xdg-open or open)
    #[arg(long, conflicts_with = "down")]
    pub open: bool,
}

impl DocsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let spec = workspace.tasks.docs.clone().ok_or(DocsError::NoSection)?;
        let environment =
            ctx.environment_named(spec.environment.as_ref().map(|e| e.get_ref().as_str()))?;
        if !self.down {
            ctx.require_variables(&environment)?;
        }
        let project = ctx.compose_for(&environment)?;
        ctx.require_engine()?;
        let containers = state::containers(&project.name).unwrap_or_default();
        let docs = DocsProject::new(project, spec.service.get_ref().clone(), &containers);
        if self.down {
            ctx.execute(&docs.down_plan())?;
            ctx.ui
                .status("Down", format!("docs project {}", docs.project.name));
            return Ok(());
        }
        let options = DocsOptions {
            build: self.build,
            keep: self.keep,
            no_autoapi: self.no_autoapi,
            serve: self.serve,
            open: self.open,
        };
        let plan = docs.plan(&workspace.root, &spec, &options)?;
        if let Some(port) = plan.serve_port {
            if !ctx.global.dry_run {
                check_port_free(port)?;
            }
        }
        if ctx.global.dry_run {
            return ctx.execute(&plan.whole());
        }
        let result = build_and_serve(ctx, &plan);
        if plan.tear_down.is_some() {
            docs.tear_down(&ctx.ui);
        } else if result.is_ok() {
            ctx.ui.note(format!(
                "the docs container stays up (project {}); `cargo xtask docs --down` removes it",
                docs.project.name
            ));
        }
        result
    }
}

/// Runs `plan` up to its tear-down: what comes before, the build, then
/// the browser and the server (its URL printed once it answers).
fn build_and_serve(ctx: &Context, plan: &DocsPlan) -> Result<()> {
    ctx.execute(&plan.before)?;
    run_build(&ctx.ui, &plan.build, &plan.index)?;
    let announcer = plan
        .serve_port
        .map(|port| UrlAnnouncer::start(&ctx.ui, port));
    let served = ctx.execute(&plan.after);
    drop(announcer);
    if let (Some(signal), Some(_)) = (exec::interrupt_signal(), plan.serve_port) {
        // Ctrl-C is how a server ends: quietly, with 128 + the signal.
        return Err(Error::Child {
            command: "docs --serve".into(),
            code: 128 + signal,
        });
    }
    served
}
