//! `xtask check`: validate every configuration file and report all problems.

use crate::commands::Context;
use crate::error::Result;

/// Validate tasks.toml and repos.toml, reporting every problem at once
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask check")]
pub struct CheckArgs {}

impl CheckArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        // Not a load error (update must be able to run and make them), but
        // `check` says the environment is not ready yet.
        let pending = crate::compose::files::missing_env_files(workspace, true);
        if !pending.is_empty() {
            return Err(crate::config::Error::Invalid(crate::config::ConfigErrors(pending)).into());
        }
        // Likely mistakes that are still valid: said, but not a failure.
        for warning in crate::check::tasks::warnings(workspace) {
            ctx.ui.warn(warning);
        }
        // Which database engine `db` speaks, and why (`[db] engine`, the
        // server's image, or the default), in the active environment.
        let environment = workspace
            .tasks
            .db
            .as_ref()
            .and_then(|_| ctx.environment().ok());
        if let Some(environment) = environment {
            let settings = crate::db::settings::DbSettings::resolve(workspace, &environment);
            ctx.ui.status(
                "Database",
                format!(
                    "{} on {} ({})",
                    settings.engine.engine.name(),
                    settings.server,
                    settings.engine.reason
                ),
            );
        }
        let repos = workspace.repos.repos.len();
        let tasks = workspace.tasks.tasks.len();
        ctx.ui.status(
            "Checked",
            format!(
                "{} ({}) and {} ({}): no problems",
                crate::config::TASKS_FILE,
                crate::ui::plural(tasks, "task", "tasks"),
                crate::config::REPOS_FILE,
                crate::ui::plural(repos, "repo", "repos")
            ),
        );
        Ok(())
    }
}
