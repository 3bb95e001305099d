//! `describe`: the environment at a glance (each service's state, health
//! and URLs, and how to reach the database, never its password), and
//! `open`: a service's URL in the browser.

use serde::Serialize;

use crate::commands::Context;
use crate::compose::state::Container;
use crate::db::DbSettings;
use crate::error::{Error, Result};
use crate::plan::{CommandStep, Plan, Step};

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

/// One service as `describe` shows it.
#[derive(Debug, Serialize)]
struct ServiceView {
    service: String,
    /// `running`, `exited`, ..., or `not created`.
    state: String,
    /// `healthy`, `unhealthy`, `starting`, or empty without a health check.
    health: String,
    urls: Vec<String>,
}

/// How to reach the database: never the password, only where it is.
#[derive(Debug, Serialize)]
struct DatabaseView {
    name: String,
    server: String,
    user: String,
    /// The variable that holds the user's password (a name the masker
    /// leaves alone: not `password_...`).
    login_variable: Option<String>,
    /// A URL from the host, when the server publishes its port.
    from_host: Option<String>,
    from_containers: String,
}

#[derive(Debug, Serialize)]
struct EnvironmentView {
    project: String,
    environment: Option<String>,
    services: Vec<ServiceView>,
    database: Option<DatabaseView>,
}

/// The health compose's status line carries: `Up 3 minutes (healthy)`.
fn health(container: &Container) -> String {
    let status = container.status.to_lowercase();
    ["unhealthy", "healthy", "health: starting"]
        .iter()
        .find(|word| status.contains(&format!("({word})")))
        .map(|word| word.trim_start_matches("health: ").to_string())
        .unwrap_or_default()
}

fn describe(ctx: &Context, containers: &[Container], project: &str) -> Result<EnvironmentView> {
    let workspace = ctx.workspace()?;
    let environment = ctx.environment()?;
    let mut names = ctx.services()?;
    for container in containers {
        if !names.contains(&container.service) {
            names.push(container.service.clone());
        }
    }
    let services: Vec<ServiceView> = names
        .iter()
        .map(|name| {
            let own: Vec<&Container> = containers
                .iter()
                .filter(|c| &c.service == name && !c.one_off)
                .collect();
            let spec = workspace.tasks.service(name);
            let urls = own
                .iter()
                .filter(|c| c.is_running())
                .flat_map(|c| {
                    let scheme = spec.and_then(|s| s.scheme.clone()).or(c.url_scheme.clone());
                    let path = spec.and_then(|s| s.path.clone()).or(c.url_path.clone());
                    c.ports
                        .iter()
                        .map(move |p| p.url_with(scheme.as_deref(), path.as_deref()))
                })
                .collect();
            ServiceView {
                service: name.clone(),
                state: own
                    .first()
                    .map_or("not created".to_string(), |c| c.state.clone()),
                health: own.first().map(|c| health(c)).unwrap_or_default(),
                urls,
            }
        })
        .collect();
    let database = workspace.tasks.db.as_ref().map(|_| {
        let settings = DbSettings::resolve(workspace, &environment);
        let published = containers
            .iter()
            .filter(|c| c.service == settings.server && c.is_running())
            .flat_map(|c| c.ports.iter())
            .find(|p| p.container_port == 5432);
        DatabaseView {
            from_host: published.map(|p| {
                format!(
                    "postgresql://{}@{}:{}/{}",
                    settings.user, p.host, p.host_port, settings.database
                )
            }),
            from_containers: format!("host {}, port 5432", settings.server),
            name: settings.database,
            server: settings.server,
            user: settings.user,
            login_variable: settings.password_env,
        }
    });
    Ok(EnvironmentView {
        project: project.to_string(),
        environment: environment.name.clone(),
        services,
        database,
    })
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
        let rows: Vec<[String; 4]> = view
            .services
            .iter()
            .map(|s| {
                [
                    s.service.clone(),
                    s.state.clone(),
                    s.health.clone(),
                    s.urls.join(" "),
                ]
            })
            .collect();
        crate::ui::print_table(&["SERVICE", "STATE", "HEALTH", "URLS"], &rows);
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
        let found = view
            .services
            .iter()
            .filter(|s| {
                self.service
                    .as_deref()
                    .is_none_or(|wanted| s.service == wanted)
            })
            .find_map(|s| s.urls.first().map(|url| (s.service.clone(), url.clone())));
        let Some((service, url)) = found else {
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
