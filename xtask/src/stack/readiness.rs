//! `up --wait` where Compose has no `--wait` (v1): poll the containers
//! until every one runs and its healthcheck passes.

use std::time::{Duration, Instant};

use crate::compose::project::ComposeProject;
use crate::compose::state::{self, Container};
use crate::stack::StackError;
use crate::ui::Ui;

/// Polls the project's containers until every one (of `services`) runs and
/// is healthy, failing with the laggards' names after `timeout`.
pub fn wait_until_healthy(
    ui: &Ui,
    project: &ComposeProject,
    services: &[String],
    timeout: Duration,
) -> Result<(), StackError> {
    let deadline = Instant::now() + timeout;
    loop {
        let waiting = not_ready(&state::containers(&project.name)?, services);
        if waiting.is_empty() {
            ui.status("Ready", format!("{} is up", project.name));
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StackError::NotReady {
                seconds: timeout.as_secs(),
                waiting,
            });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `NAME (STATUS)` of each container of `services` (all when empty) that
/// is not running, or whose healthcheck is starting or failing.
fn not_ready(containers: &[Container], services: &[String]) -> Vec<String> {
    containers
        .iter()
        .filter(|c| !c.one_off && (services.is_empty() || services.contains(&c.service)))
        .filter(|c| {
            !c.is_running()
                || c.status.contains("(health: starting)")
                || c.status.contains("(unhealthy)")
        })
        .map(|c| format!("{} ({})", c.name, c.status))
        .collect()
}
