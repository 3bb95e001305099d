//! The one builder of a command in a service's container: `exec` into its
//! running container, `run --rm` a fresh one, or `docker exec` into a
//! container known by id; with its variables, passed names and TTY. Every
//! command that puts a process into a service builds it here.

use crate::compose::project::ComposeProject;
use crate::plan::CommandStep;

/// The variable that marks the processes of one `exec`.
pub const EXEC_ID_VARIABLE: &str = "XTASK_EXEC_ID";

/// A command in one service of a project: what goes into the container
/// with it. Built with [`ServiceStep::new`] and the setters, ended by
/// [`ServiceStep::exec`], [`ServiceStep::run`] or [`ServiceStep::exec_or_run`].
#[derive(Debug, Clone)]
pub struct ServiceStep<'a> {
    project: &'a ComposeProject,
    service: String,
    env: Vec<(String, String)>,
    pass: Vec<String>,
    environment: Option<String>,
    tty: bool,
}

/// Compose's own `run` options for a one-off container (`xtask run`'s).
#[derive(Debug, Clone, Default)]
pub struct OneOffOptions {
    /// `--service-ports`: the service's ports published on the host.
    pub publish_ports: bool,
    /// `-e KEY=VALUE` (or `-e KEY`), each as given.
    pub env: Vec<String>,
    /// `--no-deps`.
    pub no_deps: bool,
    /// `--detach`.
    pub detach: bool,
    /// `--user`.
    pub user: Option<String>,
    /// `--entrypoint`.
    pub entrypoint: Option<String>,
    /// `--workdir`.
    pub workdir: Option<String>,
}

impl OneOffOptions {
    /// The options as compose's argv, each value its own word (`-e`, `X=1`).
    fn argv(&self) -> Vec<String> {
        let mut args = Vec::new();
        for pair in &self.env {
            args.extend(["-e".to_string(), pair.clone()]);
        }
        if self.no_deps {
            args.push("--no-deps".into());
        }
        if self.detach {
            args.push("--detach".into());
        }
        for (flag, value) in [
            ("--user", &self.user),
            ("--entrypoint", &self.entrypoint),
            ("--workdir", &self.workdir),
        ] {
            if let Some(value) = value {
                args.extend([flag.to_string(), value.clone()]);
            }
        }
        args
    }
}

/// `run --rm [--service-ports] --use-aliases [-T] OPTIONS SERVICE CMD...`.
/// Without `--use-aliases` a one-off container is not reachable by its
/// service name, and a proxy in front of it breaks.
pub fn run_args(
    options: &OneOffOptions,
    service: &str,
    command: &[String],
    tty: bool,
) -> Vec<String> {
    let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
    if options.publish_ports {
        args.push("--service-ports".into());
    }
    args.push("--use-aliases".into());
    if !tty {
        args.push("-T".into());
    }
    args.extend(options.argv());
    args.push(service.to_string());
    args.extend(command.iter().cloned());
    args
}

impl<'a> ServiceStep<'a> {
    /// A command in `service` of `project`: no variables, no TTY.
    pub fn new(project: &'a ComposeProject, service: &str) -> Self {
        Self {
            project,
            service: service.to_string(),
            env: Vec::new(),
            pass: Vec::new(),
            environment: None,
            tty: false,
        }
    }

    /// Variables set in the container with `-e KEY=VALUE`.
    pub fn env(mut self, env: &[(String, String)]) -> Self {
        self.env.extend(env.iter().cloned());
        self
    }

    /// Variables passed by name (`-e NAME`): the value comes from the
    /// step's environment, so it appears on no command line and in no plan.
    pub fn pass(mut self, names: &[String]) -> Self {
        self.pass.extend(names.iter().cloned());
        self
    }

    /// `ENVIRONMENT=NAME` first in the container unless `env` sets it, as
    /// the seed's `run -e ENVIRONMENT=testing`: the command knows where it runs.
    pub fn in_environment(mut self, name: Option<&str>) -> Self {
        self.environment = name.map(str::to_string);
        self
    }

    /// A TTY for the command (only when we have one: see `wants_tty`).
    pub fn tty(mut self, tty: bool) -> Self {
        self.tty = tty;
        self
    }

    /// What each `-e` takes: `KEY=VALUE` of the set variables, then the
    /// names passed.
    fn env_values(&self) -> Vec<String> {
        let mut env = self.env.clone();
        if let Some(name) = &self.environment {
            if !env.iter().any(|(key, _)| key == "ENVIRONMENT") {
                env.insert(0, ("ENVIRONMENT".into(), name.clone()));
            }
        }
        let set = env.into_iter().map(|(key, value)| format!("{key}={value}"));
        set.chain(self.pass.iter().cloned()).collect()
    }

    /// The `-e` arguments (see [`Self::env_values`]).
    fn env_args(&self) -> Vec<String> {
        self.env_values()
            .into_iter()
            .flat_map(|value| ["-e".to_string(), value])
            .collect()
    }

    /// `exec` into the running container when `running`, else `run --rm`.
    pub fn exec_or_run(&self, running: bool, command: &[String]) -> CommandStep {
        if running {
            self.exec(command)
        } else {
            self.run(command)
        }
    }

    /// `docker compose exec` of `command`, marked so that an interrupt can
    /// stop it: Compose does not pass our signal on to a command it exec'd
    /// (with `-T` it just exits), so the command would go on running in the
    /// container. Every process of the command inherits `XTASK_EXEC_ID`; on
    /// interrupt, a second exec sends SIGTERM to each process whose
    /// environment holds it. Unlike a pid file written by a `sh` wrapper,
    /// this reaches the command's children too, needs no `sh` to start the
    /// command and leaves no file behind; only the clean-up needs `sh`.
    pub fn exec(&self, command: &[String]) -> CommandStep {
        let id = exec_id();
        let mut args = vec!["exec".to_string()];
        if !self.tty {
            args.push("-T".into());
        }
        args.extend(self.env_args());
        args.extend(["-e".into(), format!("{EXEC_ID_VARIABLE}={id}")]);
        args.push(self.service.clone());
        args.extend(command.iter().cloned());
        let stop = self.project.command([
            "exec".to_string(),
            "-T".into(),
            self.service.clone(),
            "sh".into(),
            "-c".into(),
            stop_script(&id),
        ]);
        self.project.command(args).on_interrupt(stop).entering(
            &self.service,
            crate::compose::state::running_probe(&self.project.name, &self.service),
        )
    }

    /// `run --rm --use-aliases [-T]` of `command` in a fresh container,
    /// its ports not published.
    pub fn run(&self, command: &[String]) -> CommandStep {
        let options = OneOffOptions {
            env: self.env_values(),
            ..OneOffOptions::default()
        };
        self.project
            .command(run_args(&options, &self.service, command, self.tty))
    }

    /// `docker exec` into the container `id` (the service's, found by the
    /// caller), marked as [`Self::exec`] marks its command: the same
    /// container without the time compose takes to load the project.
    pub fn docker_exec(&self, id: &str, command: &[String]) -> CommandStep {
        let mark = exec_id();
        let mut args = vec!["exec".to_string(), "-i".into()];
        if self.tty {
            args.push("-t".into());
        }
        args.extend(self.env_args());
        args.extend(["-e".into(), format!("{EXEC_ID_VARIABLE}={mark}")]);
        args.push(id.to_string());
        args.extend(command.iter().cloned());
        // Against this run's engine (--context, DOCKER_HOST), as compose is.
        let stop = crate::compose::docker_host::docker([
            "exec".to_string(),
            id.to_string(),
            "sh".into(),
            "-c".into(),
            stop_script(&mark),
        ]);
        crate::compose::docker_host::docker(args)
            .dir(&self.project.root)
            .on_interrupt(stop)
            .entering(
                &self.service,
                crate::compose::state::running_probe(&self.project.name, &self.service),
            )
    }
}

/// Unique per exec: our pid, the time and a counter; digits and dashes only,
/// so it can sit in the stop script as it is.
pub fn exec_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// POSIX sh (busybox too): SIGTERM to every process whose environment
/// holds `XTASK_EXEC_ID=<id>`.
pub fn stop_script(id: &str) -> String {
    format!(
        "for d in /proc/[0-9]*; do tr '\\000' '\\n' < \"$d/environ\" 2>/dev/null | grep -qx '{EXEC_ID_VARIABLE}={id}' && kill -TERM \"${{d#/proc/}}\" 2>/dev/null; done; exit 0"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> ComposeProject {
        ComposeProject::for_tests(&["compose.yaml"])
    }

    /// The words after compose's own options, the exec id blanked.
    fn words(step: &CommandStep) -> Vec<String> {
        let at = step
            .argv
            .iter()
            .position(|a| a == "compose.yaml")
            .map_or(0, |at| at + 1);
        step.argv[at..]
            .iter()
            .map(|word| match word.split_once('=') {
                Some((EXEC_ID_VARIABLE, _)) => format!("{EXEC_ID_VARIABLE}=ID"),
                _ => word.clone(),
            })
            .collect()
    }

    fn owned(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn exec_sets_then_passes_variables_and_marks_the_command() {
        let project = project();
        let step = ServiceStep::new(&project, "tools")
            .in_environment(Some("testing"))
            .env(&[("A".into(), "1".into())])
            .pass(&["PGPASSWORD".into()])
            .exec(&owned(&["psql", "-X"]));
        assert_eq!(
            words(&step),
            owned(&[
                "exec",
                "-T",
                "-e",
                "ENVIRONMENT=testing",
                "-e",
                "A=1",
                "-e",
                "PGPASSWORD",
                "-e",
                "XTASK_EXEC_ID=ID",
                "tools",
                "psql",
                "-X"
            ])
        );
        let stop = step.on_interrupt.as_deref().map(words).unwrap_or_default();
        assert_eq!(stop[..5], owned(&["exec", "-T", "tools", "sh", "-c"]));
    }

    #[test]
    fn run_is_a_fresh_container_without_ports_and_keeps_a_given_environment() {
        let project = project();
        let step = ServiceStep::new(&project, "tools")
            .in_environment(Some("testing"))
            .env(&[("ENVIRONMENT".into(), "mine".into())])
            .tty(true)
            .exec_or_run(false, &owned(&["sh"]));
        assert_eq!(
            words(&step),
            owned(&[
                "run",
                "--rm",
                "--use-aliases",
                "-e",
                "ENVIRONMENT=mine",
                "tools",
                "sh"
            ])
        );
    }

    #[test]
    fn one_off_options_follow_the_variables_before_the_service() {
        let options = OneOffOptions {
            publish_ports: true,
            env: owned(&["X=1"]),
            no_deps: true,
            user: Some("1000".into()),
            ..OneOffOptions::default()
        };
        assert_eq!(
            run_args(&options, "portal", &owned(&["pytest"]), false),
            owned(&[
                "run",
                "--rm",
                "--service-ports",
                "--use-aliases",
                "-T",
                "-e",
                "X=1",
                "--no-deps",
                "--user",
                "1000",
                "portal",
                "pytest"
            ])
        );
    }

    #[test]
    fn docker_exec_enters_the_container_by_id() {
        let project = project();
        let step = ServiceStep::new(&project, "tools").docker_exec("abc", &owned(&["true"]));
        assert_eq!(
            words(&step),
            owned(&[
                "docker",
                "exec",
                "-i",
                "-e",
                "XTASK_EXEC_ID=ID",
                "abc",
                "true"
            ])
        );
    }
}
