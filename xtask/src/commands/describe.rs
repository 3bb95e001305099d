//! `describe`: the environment at a glance (each service's state, health
//! and URLs, and how to reach the database, never its password), and
//! `open`: a service's URL in the browser.

use crate::commands::Context;
use crate::compose::state::Container;
use crate::error::{Error, Result};
use crate::plan::{CommandStep, Plan, Step};
use crate::stack::environment_view::{self, EnvironmentView};

/// Show each service's state, health and URLs, and how to reach the database
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask describe
  cargo xtask describe --json            the same for scripts and editors
  cargo xtask --env testing describe")]
pub struct DescribeArgs {}

/// Open a service's URL in the browser (or say which to open)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask open portal
  cargo xtask open                       the first service that publishes a URL")]
pub struct OpenArgs {
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,
}

/// The view of `project` with `containers`, in the active environment.
fn describe(ctx: &Context, containers: &[Container], project: &str) -> Result<EnvironmentView> {
    Ok(environment_view::describe(
        ctx.workspace()?,
        &ctx.environment()?,
        ctx.services()?,
        containers,
        project,
    ))
}

impl DescribeArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let Some((project, containers)) = ctx.containers()? else {
            return Ok(());
        };
        let view = describe(ctx, &containers, &project)?;
        if ctx.global.json {
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&view).map_err(anyhow::Error::from)?
            );
            return Ok(());
        }
        crate::outln!(
            "Project {} (environment {})",
            view.project,
            view.environment.as_deref().unwrap_or("default")
        );
        crate::ui::print_table(&["SERVICE", "STATE", "HEALTH", "URLS"], &view.rows());
        if let Some(db) = &view.database {
            let password = db
                .login_variable
                .as_deref()
                .map(|v| format!("; password in ${v}"))
                .unwrap_or_default();
            crate::outln!(
                "\nDatabase {} on {} (user {}{password})",
                db.name,
                db.server,
                db.user
            );
            crate::outln!("  engine:             {} ({})", db.engine, db.engine_reason);
            if let Some(url) = &db.from_host {
                crate::outln!("  from the host:      {url}");
            }
            crate::outln!("  from the services:  {}", db.from_containers);
        }
        Ok(())
    }
}

impl OpenArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        if let Some(service) = &self.service {
            ctx.check_service(service)?;
        }
        let Some((project, containers)) = ctx.containers()? else {
            return Ok(());
        };
        let view = describe(ctx, &containers, &project)?;
        let Some((service, url)) = view.first_url(self.service.as_deref()) else {
            let which = self
                .service
                .as_deref()
                .map_or("no running service".to_string(), |s| format!("`{s}`"));
            return Err(Error::usage_with_help(
                format!("{which} publishes no URL in project {project}"),
                "start it (`cargo xtask up -d`); `cargo xtask describe` shows each service's state",
            ));
        };
        let mut plan = Plan::new();
        match crate::ui::browser() {
            Some(program) => {
                plan.push(Step::Note(format!("opening {service}: {url}")));
                plan.run(CommandStep::new([program, url]));
            }
            None => {
                crate::outln!("{url}");
                plan.push(Step::Note(format!(
                    "no xdg-open or open on PATH: open {url} in a browser"
                )));
            }
        }
        ctx.execute(&plan)
    }
}
