//! Binding a task's command-line arguments to its `[tasks.NAME.args]`:
//! `--name value`, `--name=value` or positionally in definition order, with
//! defaults. Values reach commands as `{name}` and as the variable
//! `XTASK_ARG_NAME` (prefixed, so that an argument called `path` cannot
//! clobber `PATH`).

use crate::config::TaskSpec;

/// A task's arguments after binding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundArgs {
    /// `(name, value)` in definition order.
    pub values: Vec<(String, String)>,
    /// Arguments of a task that declares none: appended to its last command.
    pub extra: Vec<String>,
}

impl BoundArgs {
    /// The variables exported to the task's commands.
    pub fn env(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(name, value)| (env_name(name), value.clone()))
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

/// The declared arguments in definition order: `(name, default, help)`.
pub fn declared(spec: &TaskSpec) -> Vec<(&str, Option<&str>, Option<&str>)> {
    let mut args: Vec<_> = spec.args.iter().collect();
    args.sort_by_key(|(name, _)| name.span().start);
    args.into_iter()
        .map(|(name, arg)| {
            (
                name.get_ref().as_str(),
                arg.default.as_deref(),
                arg.help.as_deref(),
            )
        })
        .collect()
}

/// Binds `argv` (what followed the task's name) to the task's arguments.
pub fn bind(task: &str, spec: &TaskSpec, argv: &[String]) -> Result<BoundArgs, String> {
    let declared = declared(spec);
    if declared.is_empty() {
        return Ok(BoundArgs {
            values: Vec::new(),
            extra: argv.to_vec(),
        });
    }
    let names: Vec<&str> = declared.iter().map(|(n, _, _)| *n).collect();
    let mut given: Vec<Option<String>> = vec![None; declared.len()];
    let mut positional = 0;
    let mut iter = argv.iter();
    while let Some(arg) = iter.next() {
        if let Some(flag) = arg.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (flag, None),
            };
            let Some(index) = names.iter().position(|n| *n == name) else {
                return Err(format!(
                    "task `{task}` has no argument `--{name}`; its arguments: {}",
                    names.join(", ")
                ));
            };
            let value = match inline {
                Some(value) => value,
                None => iter
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("`--{name}` needs a value"))?,
            };
            given[index] = Some(value);
        } else {
            while positional < given.len() && given[positional].is_some() {
                positional += 1;
            }
            if positional >= given.len() {
                return Err(format!(
                    "task `{task}` takes {} argument(s) ({}); `{arg}` is one too many",
                    names.len(),
                    names.join(", ")
                ));
            }
            given[positional] = Some(arg.clone());
            positional += 1;
        }
    }
    let mut values = Vec::new();
    for ((name, default, _), value) in declared.iter().zip(given) {
        match value.or_else(|| default.map(str::to_string)) {
            Some(value) => values.push((name.to_string(), value)),
            None => return Err(format!("task `{task}` needs its argument `{name}` (it has no default): cargo xtask {task} --{name} VALUE")),
        }
    }
    Ok(BoundArgs {
        values,
        extra: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_are_replaced_but_shell_variables_are_not() {
        let args = BoundArgs {
            values: vec![("path".into(), "src".into())],
            extra: vec![],
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
            extra: vec![],
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
