//! Binding a task's command-line arguments to its `[tasks.NAME.args]`:
//! `--name value`, `--name=value` or positionally in definition order, with
//! defaults; `--name` alone for a flag (`flag = true`); everything after
//! `--` passes through like the extra arguments of a task without `args`.
//! Values reach commands as `{name}` and as the variable `XTASK_ARG_NAME`
//! (prefixed, so that an argument called `path` cannot clobber `PATH`).

use crate::config::{ArgSpec, TaskSpec};

/// What `{name}` reads for a flag that is given / not given: `true` and
/// `false` are commands too, so `if {pdb}; then ...` works in a shell.
const FLAG_ON: &str = "true";
const FLAG_OFF: &str = "false";

/// A task's arguments after binding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundArgs {
    /// `(name, value)` in definition order (a flag's value: `true`/`false`).
    pub values: Vec<(String, String)>,
    /// The names of the arguments that are flags.
    pub flags: Vec<String>,
    /// Arguments passed through to the commands: after `--`, or every
    /// argument of a task that declares none.
    pub extra: Vec<String>,
}

impl BoundArgs {
    /// The variables exported to the task's commands. A flag's variable is
    /// `1` when given and empty when not, so `[ -n "$XTASK_ARG_PDB" ]` and
    /// `${XTASK_ARG_PDB:+--pdb}` read it.
    pub fn env(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(name, value)| {
                let value = if self.flags.contains(name) {
                    if value == FLAG_ON { "1" } else { "" }.to_string()
                } else {
                    value.clone()
                };
                (env_name(name), value)
            })
            .collect()
    }

    /// Replaces `{name}` (not `${name}`) with the argument's value as it
    /// is: for one argv word, where no shell reads it.
    pub fn substitute(&self, text: &str) -> String {
        self.substitute_with(text, |value| value.to_string())
    }

    /// Replaces `{name}` (not `${name}`) with the argument's value quoted
    /// for POSIX sh, so that it is always one word there and never code:
    /// `x; touch INJECTED` stays the literal text.
    pub fn substitute_for_shell(&self, line: &str) -> String {
        self.substitute_with(line, |value| shell_words::quote(value).into_owned())
    }

    fn substitute_with(&self, text: &str, render: impl Fn(&str) -> String) -> String {
        // One pass over the template: a value is never searched for
        // another argument's `{name}`.
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while let Some(at) = rest.find('{') {
            let shell_variable = rest[..at].ends_with('$');
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if !shell_variable {
                for (name, value) in &self.values {
                    let pattern = format!("{{{name}}}");
                    if let Some(after) = rest.strip_prefix(pattern.as_str()) {
                        out.push_str(&render(value));
                        rest = after;
                        continue 'scan;
                    }
                }
            }
            out.push('{');
            rest = &rest[1..];
        }
        out.push_str(rest);
        out
    }
}

/// `path` -> `XTASK_ARG_PATH`, `dry-run` -> `XTASK_ARG_DRY_RUN`.
pub fn env_name(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("XTASK_ARG_{upper}")
}

/// The declared arguments in definition order.
pub fn declared(spec: &TaskSpec) -> Vec<(&str, &ArgSpec)> {
    let mut args: Vec<_> = spec.args.iter().collect();
    args.sort_by_key(|(name, _)| name.span().start);
    args.into_iter()
        .map(|(name, arg)| (name.get_ref().as_str(), arg))
        .collect()
}

/// Whether `argv` asks for the task's help: `--help` or `-h` before `--`.
pub fn asks_for_help(argv: &[String]) -> bool {
    argv.iter()
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "--help" || arg == "-h")
}

/// `1 argument`, `2 arguments`.
fn count_of_arguments(count: usize) -> String {
    crate::ui::plural(count, "argument", "arguments")
}

/// Why the words after a task's name do not fit its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentError {
    #[error("task `{task}` has no argument `--{name}`; its arguments: {known}")]
    Unknown {
        task: String,
        name: String,
        known: String,
    },
    #[error("`--{name}` is a flag of task `{task}` and takes no value: write `--{name}` alone")]
    FlagWithValue { task: String, name: String },
    #[error("`--{0}` needs a value")]
    NoValue(String),
    #[error("task `{task}` takes {takes}; `{arg}` is one too many (pass it through after `--`)")]
    TooMany {
        task: String,
        takes: String,
        arg: String,
    },
    #[error("task `{task}` needs its argument `{name}` (it has no default): {invoked} {task} --{name} VALUE")]
    Missing {
        task: String,
        name: String,
        invoked: String,
    },
}

/// Binds `argv` (what followed the task's name) to the task's arguments.
pub fn bind(task: &str, spec: &TaskSpec, argv: &[String]) -> Result<BoundArgs, ArgumentError> {
    let declared = declared(spec);
    if declared.is_empty() {
        // The first `--` only separates: `lint -- --help` passes `--help`.
        let extra = match argv.iter().position(|a| a == "--") {
            Some(at) => argv[..at].iter().chain(&argv[at + 1..]).cloned().collect(),
            None => argv.to_vec(),
        };
        return Ok(BoundArgs {
            extra,
            ..BoundArgs::default()
        });
    }
    let names: Vec<&str> = declared.iter().map(|(n, _)| *n).collect();
    let mut given: Vec<Option<String>> = vec![None; declared.len()];
    let mut extra = Vec::new();
    let mut positional = 0;
    let mut iter = argv.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            extra = iter.cloned().collect();
            break;
        }
        if let Some(flag) = arg.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (flag, None),
            };
            let Some(index) = names.iter().position(|n| *n == name) else {
                return Err(ArgumentError::Unknown {
                    task: task.into(),
                    name: name.into(),
                    known: names.join(", "),
                });
            };
            let value = match (declared[index].1.flag, inline) {
                (true, Some(_)) => {
                    return Err(ArgumentError::FlagWithValue {
                        task: task.into(),
                        name: name.into(),
                    })
                }
                (true, None) => FLAG_ON.to_string(),
                (false, Some(value)) => value,
                (false, None) => iter
                    .next()
                    .cloned()
                    .ok_or_else(|| ArgumentError::NoValue(name.into()))?,
            };
            given[index] = Some(value);
        } else {
            // Flags are named, never filled by position.
            while positional < given.len()
                && (given[positional].is_some() || declared[positional].1.flag)
            {
                positional += 1;
            }
            if positional >= given.len() {
                let takes: Vec<&str> = declared
                    .iter()
                    .filter(|(_, a)| !a.flag)
                    .map(|(n, _)| *n)
                    .collect();
                let takes = match takes.as_slice() {
                    [] => "no arguments by position".to_string(),
                    names => format!(
                        "{} by position ({})",
                        count_of_arguments(names.len()),
                        names.join(", ")
                    ),
                };
                return Err(ArgumentError::TooMany {
                    task: task.into(),
                    takes,
                    arg: arg.clone(),
                });
            }
            given[positional] = Some(arg.clone());
            positional += 1;
        }
    }
    let mut values = Vec::new();
    let mut flags = Vec::new();
    for ((name, arg), value) in declared.iter().zip(given) {
        if arg.flag {
            flags.push(name.to_string());
        }
        let default = if arg.flag {
            Some(FLAG_OFF)
        } else {
            arg.default.as_deref()
        };
        match value.or_else(|| default.map(str::to_string)) {
            Some(value) => values.push((name.to_string(), value)),
            None => {
                return Err(ArgumentError::Missing {
                    task: task.into(),
                    name: name.to_string(),
                    invoked: crate::ui::invoked_as().into(),
                })
            }
        }
    }
    Ok(BoundArgs {
        values,
        flags,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_are_replaced_but_shell_variables_are_not() {
        let args = BoundArgs {
            values: vec![("path".into(), "src".into())],
            ..BoundArgs::default()
        };
        assert_eq!(
            args.substitute("lint {path} ${path} {other}"),
            "lint src ${path} {other}"
        );
        assert_eq!(env_name("dry-run"), "XTASK_ARG_DRY_RUN");
    }

    #[test]
    fn values_are_one_quoted_word_in_shell_lines_and_never_rescanned() {
        let args = BoundArgs {
            values: vec![
                ("a".into(), "x; touch INJECTED".into()),
                ("b".into(), "{a}".into()),
                ("c".into(), "it's $(id) `id`".into()),
                ("d".into(), String::new()),
            ],
            ..BoundArgs::default()
        };
        let line = args.substitute_for_shell("echo {a} {b} {c} {d} ${a}");
        assert_eq!(
            shell_words::split(&line).unwrap(),
            [
                "echo",
                "x; touch INJECTED",
                "{a}",
                "it's $(id) `id`",
                "",
                "${a}"
            ]
        );
        assert_eq!(args.substitute("{b}"), "{a}");
    }
}
