//! The compose call behind each stack command, as a plan.

use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::ComposeProject;
use crate::compose::state::Container;
use crate::config::TasksFile;
use crate::plan::{Output, Plan, Step};
use crate::stack::StackError;

/// A stack command and what it was asked for.
#[derive(Debug, Clone)]
pub enum StackCommand {
    /// Start `services` (all when empty).
    Up(UpOptions),
    /// Remove the containers and networks (the volumes stay).
    Down,
    /// Stop `services`, keeping containers and volumes.
    Stop { services: Vec<String> },
    /// Build the images of `services`.
    Build {
        services: Vec<String>,
        no_cache: bool,
    },
    /// Show the services' output.
    Logs {
        services: Vec<String>,
        follow: bool,
        tail: Option<usize>,
    },
    /// Restart `services`.
    Restart { services: Vec<String> },
    /// Run this many replicas of each service.
    Scale { replicas: Vec<Replicas> },
    /// Print the merged configuration; secrets masked unless shown.
    Config { show_secrets: bool },
}

/// What `up` was asked for.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    pub services: Vec<String>,
    pub detach: bool,
    /// Wait until running and healthy (implies detach).
    pub wait: bool,
    pub wait_timeout_seconds: u64,
    pub build: bool,
}

/// `SERVICE=N` of `scale`, the count as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replicas {
    pub service: String,
    pub count: String,
}

impl Replicas {
    /// Reads `SERVICE=N`.
    pub fn parse(pair: &str) -> Result<Self, StackError> {
        pair.split_once('=')
            .filter(|(s, n)| !s.is_empty() && n.parse::<u32>().is_ok())
            .map(|(service, count)| Replicas {
                service: service.to_string(),
                count: count.to_string(),
            })
            .ok_or_else(|| StackError::NotReplicas(pair.to_string()))
    }
}

/// The plan of `command` on `project`. For `up --wait` on a Compose
/// without `--wait`, the plan ends with a note of the wait the caller does
/// after it (see [`waits_after`]).
pub fn plan(project: &ComposeProject, command: &StackCommand) -> Plan {
    let mut plan = Plan::new();
    let mut step = project.command(args(project, command));
    if let StackCommand::Config {
        show_secrets: false,
    } = command
    {
        step.stdout = Output::Masked;
    }
    plan.run(step);
    if let StackCommand::Up(options) = command {
        plan.steps.extend(wait_note(project, options));
    }
    plan
}

/// Whether `up` with `options` polls for readiness after compose returns.
pub fn waits_after(project: &ComposeProject, options: &UpOptions) -> bool {
    options.wait && !project.cli.supports_wait()
}

fn up_args(project: &ComposeProject, options: &UpOptions) -> Vec<String> {
    let mut args = vec!["up".to_string()];
    if options.detach || options.wait {
        args.push("--detach".into());
    }
    if options.build {
        args.push("--build".into());
    }
    if options.wait && project.cli.supports_wait() {
        args.extend([
            "--wait".into(),
            "--wait-timeout".into(),
            options.wait_timeout_seconds.to_string(),
        ]);
    }
    args.extend(options.services.iter().cloned());
    args
}

/// What `up --wait` does where compose cannot wait itself.
fn wait_note(project: &ComposeProject, options: &UpOptions) -> Option<Step> {
    waits_after(project, options).then(|| {
        Step::Note(format!(
            "wait up to {} s until {} running and healthy (Compose {} has no --wait)",
            options.wait_timeout_seconds,
            if options.services.is_empty() {
                "every service is".to_string()
            } else {
                options.services.join(", ") + " are"
            },
            project.cli.version
        ))
    })
}

/// The compose arguments of `command`.
fn args(project: &ComposeProject, command: &StackCommand) -> Vec<String> {
    let (mut args, services): (Vec<String>, &[String]) = match command {
        StackCommand::Up(options) => return up_args(project, options),
        StackCommand::Down => (vec!["down".into(), "--remove-orphans".into()], &[]),
        StackCommand::Stop { services } => (vec!["stop".into()], services),
        StackCommand::Build { services, no_cache } => {
            let mut args = vec!["build".to_string()];
            if *no_cache {
                args.push("--no-cache".into());
            }
            (args, services)
        }
        StackCommand::Logs {
            services,
            follow,
            tail,
        } => {
            let mut args = vec!["logs".to_string()];
            if *follow {
                args.push("--follow".into());
            }
            if let Some(tail) = tail {
                args.extend(["--tail".into(), tail.to_string()]);
            }
            (args, services)
        }
        StackCommand::Restart { services } => (vec!["restart".into()], services),
        StackCommand::Scale { replicas } => {
            let mut args = vec!["up".to_string(), "--detach".into(), "--no-recreate".into()];
            for Replicas { service, count } in replicas {
                args.extend(["--scale".into(), format!("{service}={count}")]);
            }
            args.extend(replicas.iter().map(|r| r.service.clone()));
            (args, &[])
        }
        StackCommand::Config { .. } => (vec!["config".into()], &[]),
    };
    args.extend(services.iter().cloned());
    args
}

/// `down --volumes` of `project`, after the confirmation it needs: yes/no
/// naming the `volumes` (`--yes` answers it), or in a protected
/// environment the project's name typed (`answer`: `--confirm NAME`).
/// `why` is said in the question (why a command that usually does not ask does).
pub fn down_volumes_plan(
    tasks: &TasksFile,
    environment: &ActiveEnvironment,
    project: &ComposeProject,
    volumes: &[String],
    why: Option<&str>,
    answer: Option<&str>,
) -> Plan {
    let which = if volumes.is_empty() {
        format!("the named volumes of project {}", project.name)
    } else {
        format!(
            "the volumes {} of project {}",
            volumes.join(", "),
            project.name
        )
    };
    let why = why.map(|why| format!(" ({why})")).unwrap_or_default();
    let question = format!("Delete {which}{why}? Their data is lost");
    let mut plan = Plan::new();
    plan.push(environment.confirmation(tasks, question, &project.name, answer));
    plan.run(project.command(["down", "--remove-orphans", "--volumes"]));
    plan
}

/// `ps`'s table: service (or one-off), container, status, published ports.
pub fn ps_rows(containers: &[Container]) -> Vec<[String; 4]> {
    containers
        .iter()
        .map(|c| {
            let ports: Vec<String> = c
                .ports
                .iter()
                .map(|p| {
                    format!(
                        "{}:{}->{}/{}",
                        p.host, p.host_port, p.container_port, p.protocol
                    )
                })
                .collect();
            let service = if c.one_off {
                format!("{} (one-off)", c.service)
            } else {
                format!("{}.{}", c.service, c.number)
            };
            [service, c.name.clone(), c.status.clone(), ports.join(", ")]
        })
        .collect()
}
