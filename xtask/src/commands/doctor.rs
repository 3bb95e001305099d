//! `xtask doctor`: what is wrong with this machine or environment, and the remedy.

use crate::commands::Context;
use crate::doctor::{environment_findings, machine_findings, Finding, ProjectAccess};
use crate::error::{Error, Result};
use crate::ui::Tone;

/// Check the engine, Compose, git, the config, required variables and ports
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask doctor
  cargo xtask --env testing doctor
  cargo xtask --context default doctor   check the engine of a Docker context")]
pub struct DoctorArgs {}

impl DoctorArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        if ctx.global.dry_run {
            crate::outln!(
                "# engine: {}",
                crate::compose::docker_host::engine().describe()
            );
            crate::outln!("# doctor only reads: docker version, compose version --short, compose config --format json, git --version, the config, ports");
            return Ok(());
        }
        let chosen = crate::compose::docker_host::engine();
        let (mut findings, engine_ok) = machine_findings(chosen);
        match ctx.workspace() {
            Ok(_) => findings.push(Finding::ok("tasks.toml and repos.toml are valid")),
            Err(error) => findings.push(Finding::problem(
                format!(
                    "the configuration has problems:\n{}",
                    error.messages().join("\n")
                ),
                "fix them; `cargo xtask check` lists them all",
            )),
        }
        if let Ok(workspace) = ctx.workspace() {
            let environment = ctx.environment()?;
            let project = if engine_ok { ctx.compose().ok() } else { None };
            let access = match (engine_ok, &project) {
                (false, _) => ProjectAccess::NoEngine,
                (true, None) => ProjectAccess::NoCompose,
                (true, Some(project)) => ProjectAccess::Project(project),
            };
            findings.extend(environment_findings(
                workspace,
                &environment,
                access,
                chosen.remote_host(),
            ));
        }
        report(ctx, &findings)
    }
}

/// Prints each finding (problems with their fix) and fails when any is a problem.
fn report(ctx: &Context, findings: &[Finding]) -> Result<()> {
    let problems = findings.iter().filter(|f| !f.ok).count();
    for finding in findings {
        if finding.ok {
            ctx.ui.status_tone("ok", &finding.what, Tone::Good);
        } else {
            ctx.ui.status_tone("problem", &finding.what, Tone::Bad);
            if let Some(remedy) = &finding.remedy {
                crate::errln!("{:>12} {remedy}", "fix:");
            }
        }
    }
    if problems > 0 {
        return Err(Error::Other(anyhow::anyhow!(
            "doctor found {}",
            crate::ui::plural(problems, "problem", "problems")
        )));
    }
    ctx.ui.status("Healthy", "nothing to fix");
    Ok(())
}
