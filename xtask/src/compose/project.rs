//! A compose project as we run it: its name (one per environment, so that
//! `--remove-orphans` in one never deletes another's containers), its files
//! in order, its env files and variables; and the argv of each compose call.

use std::path::PathBuf;

use crate::compose::cli::ComposeCli;
use crate::compose::docker_host::{self, Client};
use crate::compose::environment::ActiveEnvironment;
use crate::config::Workspace;
use crate::plan::CommandStep;

/// Everything needed to build compose argv for one environment's project.
#[derive(Debug, Clone)]
pub struct ComposeProject {
    pub cli: ComposeCli,
    pub name: String,
    pub root: PathBuf,
    /// Compose files relative to the root, in order.
    pub files: Vec<String>,
    pub env_files: Vec<String>,
    /// Variables of the active environment, given to compose and its children.
    pub env: Vec<(String, String)>,
    /// Variables whose values come from files: given, never printed.
    pub context_env: Vec<(String, String)>,
}

impl ComposeProject {
    /// A project named `demo` at `/env` on Compose 2.20 with `files`, for
    /// unit tests of the plans built on it.
    #[cfg(test)]
    pub(crate) fn for_tests(files: &[&str]) -> Self {
        ComposeProject {
            cli: crate::compose::cli::ComposeCli {
                program: vec!["docker".into(), "compose".into()],
                version: crate::compose::cli::Version::new(2, 20, 0),
            },
            name: "demo".into(),
            root: "/env".into(),
            files: files.iter().map(|f| (*f).into()).collect(),
            env_files: Vec::new(),
            env: Vec::new(),
            context_env: Vec::new(),
        }
    }

    pub fn new(cli: ComposeCli, workspace: &Workspace, environment: &ActiveEnvironment) -> Self {
        let env_files = workspace.tasks.project.env_file_paths();
        let pairs = environment.env.iter().map(|(k, v)| (k.clone(), v.clone()));
        let (context_env, mut env): (Vec<_>, Vec<_>) =
            pairs.partition(|(k, _)| environment.value_files.contains_key(k));
        if let Some(name) = &environment.name {
            if !environment.env.contains_key("ENVIRONMENT") {
                env.push(("ENVIRONMENT".into(), name.clone()));
            }
        }
        Self {
            cli,
            name: environment.project.clone(),
            root: workspace.root.clone(),
            files: environment.compose_files.clone(),
            env_files,
            env,
            context_env,
        }
    }

    /// `docker compose -p NAME -f A -f B --env-file E ARGS...`, run in the root.
    pub fn command<I, S>(&self, args: I) -> CommandStep
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut argv = self.cli.program.clone();
        argv.push("-p".into());
        argv.push(self.name.clone());
        for file in &self.files {
            argv.push("-f".into());
            argv.push(file.clone());
        }
        let env_files: &[String] = if self.cli.supports_many_env_files() {
            &self.env_files
        } else {
            // Older Compose takes one --env-file; the first is the base one.
            &self.env_files[..self.env_files.len().min(1)]
        };
        for file in env_files {
            argv.push("--env-file".into());
            argv.push(file.clone());
        }
        argv.extend(args.into_iter().map(Into::into));
        let mut step = CommandStep::new(argv).dir(&self.root);
        step.env = self.env.clone();
        step.context_env = self.context_env.clone();
        let client = if self.cli.is_v1() {
            Client::ComposeV1
        } else {
            Client::Docker
        };
        docker_host::engine().apply(step, client)
    }
}

/// Whether stdin and stdout are both terminals: only then may compose
/// allocate a TTY (a TTY merges stderr into stdout and turns LF into CRLF).
pub fn wants_tty() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}
