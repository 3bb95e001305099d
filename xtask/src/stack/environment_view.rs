//! The environment at a glance, as `describe` and `open` read it: each
//! service's state, health and URLs, and how to reach the database (never
//! its password, only where it is).

use serde::Serialize;

use crate::compose::environment::ActiveEnvironment;
use crate::compose::state::Container;
use crate::config::Workspace;
use crate::db::DbSettings;

/// One service as `describe` shows it.
#[derive(Debug, Serialize)]
pub struct ServiceView {
    pub service: String,
    /// `running`, `exited`, ..., or `not created`.
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or empty without a health check.
    pub health: String,
    pub urls: Vec<String>,
}

/// How to reach the database: never the password, only where it is.
#[derive(Debug, Serialize)]
pub struct DatabaseView {
    /// `postgres`, `mysql` or `mariadb`.
    pub engine: String,
    /// Why that engine: `[db] engine`, the server's image, or the default.
    pub engine_reason: String,
    pub name: String,
    pub server: String,
    pub user: String,
    /// The variable that holds the user's password (a name the masker
    /// leaves alone: not `password_...`).
    pub login_variable: Option<String>,
    /// A URL from the host, when the server publishes its port.
    pub from_host: Option<String>,
    pub from_containers: String,
}

#[derive(Debug, Serialize)]
/// The environment as `describe` shows it.
pub struct EnvironmentView {
    pub project: String,
    pub environment: Option<String>,
    pub services: Vec<ServiceView>,
    pub database: Option<DatabaseView>,
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

/// `project`'s services (those declared in `names`, then any other with a
/// container) with their state, health and URLs, and the database.
pub fn describe(
    workspace: &Workspace,
    environment: &ActiveEnvironment,
    mut names: Vec<String>,
    containers: &[Container],
    project: &str,
) -> EnvironmentView {
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
        let settings = DbSettings::resolve(workspace, environment);
        let engine = settings.engine.engine;
        let (scheme, port) = if engine.is_mysql_family() {
            ("mysql", 3306)
        } else {
            ("postgresql", 5432)
        };
        let published = containers
            .iter()
            .filter(|c| c.service == settings.server && c.is_running())
            .flat_map(|c| c.ports.iter())
            .find(|p| p.container_port == port);
        DatabaseView {
            from_host: published.map(|p| {
                format!(
                    "{scheme}://{}@{}:{}/{}",
                    settings.user, p.host, p.host_port, settings.database
                )
            }),
            from_containers: format!("host {}, port {port}", settings.server),
            engine: engine.name().into(),
            engine_reason: settings.engine.reason,
            name: settings.database,
            server: settings.server,
            user: settings.user,
            login_variable: settings.password_env,
        }
    });
    EnvironmentView {
        project: project.to_string(),
        environment: environment.name.clone(),
        services,
        database,
    }
}

impl EnvironmentView {
    /// The first URL of `wanted` (else of any service) and its service.
    pub fn first_url(&self, wanted: Option<&str>) -> Option<(String, String)> {
        self.services
            .iter()
            .filter(|s| wanted.is_none_or(|wanted| s.service == wanted))
            .find_map(|s| s.urls.first().map(|url| (s.service.clone(), url.clone())))
    }

    /// The services' table: service, state, health, URLs.
    pub fn rows(&self) -> Vec<[String; 4]> {
        self.services
            .iter()
            .map(|s| {
                [
                    s.service.clone(),
                    s.state.clone(),
                    s.health.clone(),
                    s.urls.join(" "),
                ]
            })
            .collect()
    }
}
