//! A task invocation as data: every task and built-in it needs, once each,
//! with its commands, grouped in levels whose members do not depend on each
//! other (and so may run in parallel), turned into the plan the
//! interpreter runs and `--dry-run` prints.

use std::collections::HashMap;
use std::path::Path;

use crate::config::task::{builtin_call, builtin_words, resolve_dir, DirProblem, BUILTIN_PREFIX};
use crate::config::{CommandLine, RunSpec, TasksFile};
use crate::plan::{CommandStep, Lane, Plan, Step};
use crate::tasks::arguments::{self, ArgumentError, BoundArgs};
use crate::tasks::catalog;
use crate::tasks::freshness;

/// Why a task cannot be planned; each reads as the usage error it becomes.
#[derive(Debug, thiserror::Error)]
pub enum TaskPlanError {
    #[error("`{0}` is neither a task nor a built-in command")]
    Unknown(String),
    #[error("`xtask:` names no command")]
    NoCommand,
    #[error("`{BUILTIN_PREFIX}{0}` is not a built-in command: `xtask:` calls built-in commands only (name a task in `depends` instead)")]
    NotBuiltin(String),
    #[error("an argument's value makes `{value}` a flag of `xtask {command}`: values given to built-in steps may not start with `-`")]
    ValueIsFlag { value: String, command: String },
    #[error("dependency cycle: {path} -> {label}")]
    Cycle { path: String, label: String },
    #[error("no task `{0}`")]
    NoTask(String),
    #[error("task `{task}`: {problem}")]
    Dir { task: String, problem: DirProblem },
    #[error("task `{task}` was given arguments ({given}) but its `run` does not read them: write \"$@\" (or $1, $2, ...) in its script where they belong, e.g. `run = 'pytest \"$@\"'`")]
    UnreadArguments { task: String, given: String },
    #[error("task `{0}` has an empty command in `run`")]
    EmptyCommand(String),
    /// An `xtask:` line that does not split into words.
    #[error("{0}")]
    Words(String),
    #[error(transparent)]
    Arguments(#[from] ArgumentError),
    /// The environment or service a step needs (from the step maker).
    #[error("{}", .0.messages().join("\n"))]
    Step(#[from] crate::error::Error),
}

/// How commands that leave the host are made: built-in commands (our own
/// executable) and commands inside a compose service.
pub trait StepMaker {
    /// Whether `name` is a built-in command (the only thing `xtask:` may call).
    fn is_builtin(&self, name: &str) -> bool;
    /// `xtask ARGS...` as a child, with the invocation's global flags (and
    /// `--env ENVIRONMENT` when the task pins one).
    fn builtin(&self, args: &[String], environment: Option<&str>) -> CommandStep;
    /// `argv` inside `service` of the environment's project (exec when it
    /// runs, else run --rm).
    fn in_service(
        &self,
        service: &str,
        argv: &[String],
        env: &[(String, String)],
        environment: Option<&str>,
    ) -> Result<CommandStep, crate::error::Error>;
    /// The variables compose would get in `environment` (the active one
    /// when `None`), for commands run on the host.
    fn host_env(
        &self,
        environment: Option<&str>,
    ) -> Result<Vec<(String, String)>, crate::error::Error>;
}

/// One task or built-in command of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedNode {
    /// The task's name, or the built-in's command line (`xtask update`).
    pub label: String,
    pub steps: Vec<CommandStep>,
    /// Why it will not run (up to date), if so.
    pub skip: Option<String>,
    /// Indexes of the nodes it needs.
    pub needs: Vec<usize>,
    /// The environment the task pins, if it does.
    pub environment: Option<String>,
}

/// Everything one `cargo xtask TASK` will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPlan {
    pub nodes: Vec<PlannedNode>,
    /// Node indexes by level; a level's nodes need only earlier levels.
    pub levels: Vec<Vec<usize>>,
    /// `(task, question)` to ask before anything runs.
    pub confirms: Vec<(String, String)>,
}

/// What was asked for, before the graph is walked.
enum Wanted {
    Task(String),
    Builtin(Vec<String>),
}

struct Builder<'a> {
    tasks: &'a TasksFile,
    root: &'a Path,
    maker: &'a dyn StepMaker,
    nodes: Vec<PlannedNode>,
    index: HashMap<String, usize>,
    visiting: Vec<String>,
    confirms: Vec<(String, String)>,
}

/// Plans `task` with the arguments that followed its name.
pub fn plan(
    tasks: &TasksFile,
    root: &Path,
    task: &str,
    argv: &[String],
    maker: &dyn StepMaker,
) -> Result<TaskPlan, TaskPlanError> {
    let mut builder = Builder {
        tasks,
        root,
        maker,
        nodes: Vec::new(),
        index: HashMap::new(),
        visiting: Vec::new(),
        confirms: Vec::new(),
    };
    builder.visit(Wanted::Task(task.to_string()), Some(argv))?;
    let levels = levels(&builder.nodes);
    Ok(TaskPlan {
        nodes: builder.nodes,
        levels,
        confirms: builder.confirms,
    })
}

/// A dependency entry: a task (or alias), `xtask:CMD ARGS`, or a built-in name.
fn wanted(tasks: &TasksFile, maker: &dyn StepMaker, entry: &str) -> Result<Wanted, TaskPlanError> {
    if let Some(rest) = entry.strip_prefix(BUILTIN_PREFIX) {
        let words = builtin_words(rest).map_err(TaskPlanError::Words)?;
        checked_builtin(maker, &words)?;
        return Ok(Wanted::Builtin(words));
    }
    if let Some(task) = catalog::resolve(tasks, entry) {
        return Ok(Wanted::Task(task.to_string()));
    }
    if maker.is_builtin(entry) {
        return Ok(Wanted::Builtin(vec![entry.to_string()]));
    }
    Err(TaskPlanError::Unknown(entry.into()))
}

/// `xtask:` calls built-in commands only: its first word must name one
/// (not a task, which would recurse, nor a flag in front of a task name).
fn checked_builtin(maker: &dyn StepMaker, words: &[String]) -> Result<(), TaskPlanError> {
    match words.first() {
        None => Err(TaskPlanError::NoCommand),
        Some(first) if maker.is_builtin(first) => Ok(()),
        Some(first) => Err(TaskPlanError::NotBuiltin(first.clone())),
    }
}

/// The words of an `xtask:` step with the task's arguments substituted into
/// each word as it is: a value stays one word and may not turn into a flag.
fn substitute_words(args: &BoundArgs, words: &[String]) -> Result<Vec<String>, TaskPlanError> {
    words
        .iter()
        .map(|word| {
            let value = args.substitute(word);
            if value.starts_with('-') && !word.starts_with('-') {
                return Err(TaskPlanError::ValueIsFlag {
                    value,
                    command: words.first().cloned().unwrap_or_default(),
                });
            }
            Ok(value)
        })
        .collect()
}

impl Builder<'_> {
    fn visit(&mut self, wanted: Wanted, argv: Option<&[String]>) -> Result<usize, TaskPlanError> {
        let (key, label) = match &wanted {
            Wanted::Task(name) => (format!("task {name}"), name.clone()),
            Wanted::Builtin(args) => (
                format!("xtask {}", args.join(" ")),
                format!("xtask {}", shell_words::join(args)),
            ),
        };
        if let Some(&index) = self.index.get(&key) {
            return Ok(index);
        }
        if self.visiting.contains(&key) {
            return Err(TaskPlanError::Cycle {
                path: self.visiting.join(" -> "),
                label,
            });
        }
        let node = match wanted {
            Wanted::Builtin(args) => PlannedNode {
                label,
                steps: vec![self.maker.builtin(&args, None)],
                skip: None,
                needs: Vec::new(),
                environment: None,
            },
            Wanted::Task(name) => {
                self.visiting.push(key.clone());
                let node = self.task_node(&name, argv.unwrap_or(&[]));
                self.visiting.pop();
                node?
            }
        };
        self.nodes.push(node);
        let index = self.nodes.len() - 1;
        self.index.insert(key, index);
        Ok(index)
    }

    fn task_node(&mut self, name: &str, argv: &[String]) -> Result<PlannedNode, TaskPlanError> {
        let spec = self
            .tasks
            .task(name)
            .ok_or_else(|| TaskPlanError::NoTask(name.into()))?;
        let mut needs = Vec::new();
        for dependency in &spec.depends {
            let wanted = wanted(self.tasks, self.maker, dependency.get_ref())?;
            let index = self.visit(wanted, None)?;
            if !needs.contains(&index) {
                needs.push(index);
            }
        }
        if let Some(question) = &spec.confirm {
            self.confirms.push((name.to_string(), question.clone()));
        }
        let args: BoundArgs = arguments::bind(name, spec, argv)?;
        let environment = spec.environment.as_ref().map(|e| e.get_ref().as_str());
        let mut env: Vec<(String, String)> = spec
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        env.extend(args.env());
        let dir = match &spec.dir {
            None => self.root.to_path_buf(),
            Some(dir) => match resolve_dir(self.root, dir.get_ref()) {
                Ok(path) => path,
                // Made by `update` or a dependency, perhaps: the executor
                // names it if it is still missing when the step starts.
                Err(DirProblem::Missing { path, .. }) => path,
                Err(problem) => {
                    return Err(TaskPlanError::Dir {
                        task: name.into(),
                        problem,
                    })
                }
            },
        };

        let commands = commands_of(spec.run.as_ref().map(|r| r.get_ref()));
        let last_own = commands.iter().rposition(|c| builtin_call(c).is_none());
        if !args.extra.is_empty() && !passes_through(&commands, last_own) {
            return Err(TaskPlanError::UnreadArguments {
                task: name.into(),
                given: shell_words::join(&args.extra),
            });
        }
        let mut steps = Vec::new();
        for (position, command) in commands.iter().enumerate() {
            if let Some(words) = builtin_call(command) {
                let words = substitute_words(&args, &words.map_err(TaskPlanError::Words)?)?;
                checked_builtin(self.maker, &words)?;
                steps.push(self.maker.builtin(&words, environment));
                continue;
            }
            if command.is_empty() || command.to_argv().first().is_some_and(String::is_empty) {
                return Err(TaskPlanError::EmptyCommand(name.into()));
            }
            let argv = match command {
                // `-e`: a failing line stops the script, as in make and just
                // (`set +e` inside opts out). Extra arguments are positional
                // parameters ("$@", $1...), never pasted into the text; $0
                // is the task's name, so the shell's messages name it.
                CommandLine::Shell(line) => {
                    let mut argv = vec![
                        "sh".to_string(),
                        "-e".into(),
                        "-c".into(),
                        // Values are quoted: one word each, never shell code.
                        args.substitute_for_shell(line),
                        name.to_string(),
                    ];
                    argv.extend(args.extra.iter().cloned());
                    argv
                }
                // No shell reads an argv: values go in as they are.
                CommandLine::Argv(argv) => {
                    let mut argv: Vec<String> = argv.iter().map(|a| args.substitute(a)).collect();
                    if Some(position) == last_own {
                        argv.extend(args.extra.iter().cloned());
                    }
                    argv
                }
            };
            let step = match &spec.in_service {
                Some(service) => {
                    self.maker
                        .in_service(service.get_ref(), &argv, &env, environment)?
                }
                None => {
                    let mut step = CommandStep::new(argv).dir(&dir);
                    step.context_env = self.maker.host_env(environment)?;
                    step.env = env.clone();
                    step
                }
            };
            steps.push(step);
        }
        let sources: Vec<String> = spec.sources.iter().map(|s| s.get_ref().clone()).collect();
        let outputs: Vec<String> = spec.outputs.iter().map(|s| s.get_ref().clone()).collect();
        let skip = freshness::up_to_date(self.root, &sources, &outputs);
        Ok(PlannedNode {
            label: name.to_string(),
            steps,
            skip,
            environment: environment.map(str::to_string),
            needs,
        })
    }
}

/// Whether extra arguments reach a command: the last own command is an
/// argv (they are appended), or a script reads its positional parameters.
/// Reading the script is a heuristic that errs towards yes; it only exists
/// so that arguments nothing reads are an error instead of silently lost.
fn passes_through(commands: &[CommandLine], last_own: Option<usize>) -> bool {
    let Some(last) = last_own else {
        return false;
    };
    if matches!(commands[last], CommandLine::Argv(_)) {
        return true;
    }
    commands.iter().any(|command| match command {
        CommandLine::Shell(script) if builtin_call(command).is_none() => {
            reads_positional_parameters(script)
        }
        _ => false,
    })
}

/// `$@`, `$*`, `$#`, `$1`..`$9`, `${1}`..., `shift`, `getopts`, or a
/// `for NAME do` / `for NAME;` loop (which walks "$@").
fn reads_positional_parameters(script: &str) -> bool {
    let bytes = script.as_bytes();
    let special = |b: u8| matches!(b, b'@' | b'*' | b'#' | b'1'..=b'9');
    let parameter = bytes.windows(2).enumerate().any(|(at, pair)| {
        pair[0] == b'$'
            && (special(pair[1])
                || (pair[1] == b'{' && bytes.get(at + 2).is_some_and(|b| special(*b))))
    });
    let words: Vec<&str> = script
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let builtin = words.iter().any(|w| *w == "shift" || *w == "getopts");
    // `for NAME do` or `for NAME; do`: the separator `;` is dropped above.
    let bare_for = words.windows(3).any(|w| w[0] == "for" && w[2] == "do");
    parameter || builtin || bare_for
}

/// The commands of `run`, in order (see [`RunSpec::commands`]).
pub fn commands_of(run: Option<&RunSpec>) -> Vec<CommandLine> {
    run.map(RunSpec::commands).unwrap_or_default()
}

/// Level of each node: 0 without needs, else one more than its deepest need.
fn levels(nodes: &[PlannedNode]) -> Vec<Vec<usize>> {
    // Nodes are pushed after their needs, so one pass in order suffices.
    let mut level = vec![0usize; nodes.len()];
    for (index, node) in nodes.iter().enumerate() {
        level[index] = node.needs.iter().map(|n| level[*n] + 1).max().unwrap_or(0);
    }
    let depth = level.iter().copied().max().map_or(0, |d| d + 1);
    let mut levels = vec![Vec::new(); depth];
    for (index, l) in level.into_iter().enumerate() {
        levels[l].push(index);
    }
    levels
}

impl TaskPlan {
    /// The most tasks any level could run at once.
    pub fn widest_level(&self) -> usize {
        self.levels.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// The plan the interpreter runs: every confirmation first (asked
    /// before anything runs, dependencies included), then each level as a
    /// [`Step::Parallel`] of at most `jobs` tasks at once.
    pub fn into_plan(self, jobs: usize) -> Plan {
        let mut plan = Plan::new();
        for (task, question) in self.confirms {
            plan.push(Step::ConfirmFor { by: task, question });
        }
        for level in &self.levels {
            let lanes = level
                .iter()
                .map(|&index| {
                    let node = &self.nodes[index];
                    Lane {
                        label: node.label.clone(),
                        after: node
                            .needs
                            .iter()
                            .map(|n| self.nodes[*n].label.clone())
                            .collect(),
                        environment: node.environment.clone(),
                        skip: node.skip.clone(),
                        steps: node.steps.clone(),
                    }
                })
                .collect();
            plan.push(Step::Parallel { lanes, jobs });
        }
        plan
    }
}
