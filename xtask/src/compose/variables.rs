//! The variables compose interpolates into its files (`${PORT:-8080}`),
//! gathered the way compose gathers them, and the interpolation itself with
//! compose's rules for `:-`, `-`, `:?`, `?`, `:+`, `+` and `$$`.

use crate::compose::env_file;
use std::collections::BTreeMap;
use std::path::Path;

/// Variable values for interpolation, already layered: env files first,
/// then the process environment, then the active environment's `env`.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

/// A `${VAR:?message}` or `${VAR?message}` whose variable is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVariable {
    pub name: String,
    pub message: String,
}

impl Variables {
    /// The process environment alone.
    pub fn from_process() -> Self {
        Self {
            values: std::env::vars().collect(),
        }
    }

    /// What compose sees for a project in `root`: the `env_files` (else
    /// the root's `.env`, as compose reads it when given none), under the
    /// process environment, under `overrides` (tasks.toml's `env`, which
    /// xtask sets on compose's process).
    pub fn for_project(
        root: &Path,
        env_files: &[String],
        overrides: &BTreeMap<String, String>,
    ) -> Self {
        let mut values = BTreeMap::new();
        let default = [".env".to_string()];
        let files = if env_files.is_empty() {
            &default[..]
        } else {
            env_files
        };
        // A missing or broken env file is reported by `check`; here it adds
        // what could be read.
        let lookup = env_file::process_lookup(overrides);
        values.extend(env_file::read_all_lenient(root, files, &lookup));
        values.extend(std::env::vars());
        values.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self { values }
    }

    /// `self` with the values of an env file under its own (an `include`'s
    /// `env_file`).
    pub fn with_env_file(&self, path: &Path) -> Self {
        let mut values = BTreeMap::new();
        if let Ok(text) = std::fs::read_to_string(path) {
            let lookup = |name: &str| self.get(name).map(str::to_string);
            let _ = env_file::parse_for_cli(&text, &lookup, &mut values);
        }
        values.extend(self.values.clone());
        Self { values }
    }

    /// A variable's value (set, possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Sets one variable (a probe of which variables feed what).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// `text` with its variables replaced; a missing required variable
    /// becomes empty and is reported in `missing`.
    pub fn interpolate(&self, text: &str, missing: &mut Vec<MissingVariable>) -> String {
        interpolate_with(text, &|name| self.get(name).map(str::to_string), missing)
    }
}

/// `text` with its variables replaced by compose's rules, each looked up
/// with `get`; a missing required variable becomes empty and is reported in
/// `missing`. A `$` that starts no variable (`$5`, `a $ b`) stays as it is.
pub fn interpolate_with(
    text: &str,
    get: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<MissingVariable>,
) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = closing_brace(body) else {
                // Compose refuses an unclosed `${`; keep the text as it is.
                out.push_str(&rest[at..]);
                return out;
            };
            out.push_str(&substitute(&body[..end], get, missing));
            rest = &body[end + 1..];
        } else {
            let name_len = name_length(after);
            if name_len == 0 {
                out.push('$');
            } else {
                out.push_str(&get(&after[..name_len]).unwrap_or_default());
            }
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    out
}

/// The length of the variable name `text` starts with: compose's
/// `[_a-zA-Z][_a-zA-Z0-9]*`, 0 if none.
fn name_length(text: &str) -> usize {
    if !text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return 0;
    }
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// The value of one `${...}` body: `NAME`, `NAME:-default`, ...
fn substitute(
    body: &str,
    get: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<MissingVariable>,
) -> String {
    let name_len = name_length(body);
    let (name, operator) = body.split_at(name_len);
    let value = get(name);
    let set = value.is_some();
    let non_empty = value.as_ref().is_some_and(|v| !v.is_empty());
    let value = value.unwrap_or_default();
    // The longer operators first: `:-` before `-`.
    for (op, needs_non_empty) in [(":-", true), ("-", false)] {
        if let Some(default) = operator.strip_prefix(op) {
            let ok = if needs_non_empty { non_empty } else { set };
            return if ok {
                value
            } else {
                interpolate_with(default, get, missing)
            };
        }
    }
    for (op, needs_non_empty) in [(":?", true), ("?", false)] {
        if let Some(message) = operator.strip_prefix(op) {
            let ok = if needs_non_empty { non_empty } else { set };
            if !ok {
                missing.push(MissingVariable {
                    name: name.to_string(),
                    message: interpolate_with(message, get, &mut Vec::new()),
                });
            }
            return value;
        }
    }
    for (op, needs_non_empty) in [(":+", true), ("+", false)] {
        if let Some(replacement) = operator.strip_prefix(op) {
            let ok = if needs_non_empty { non_empty } else { set };
            return if ok {
                interpolate_with(replacement, get, missing)
            } else {
                String::new()
            };
        }
    }
    value
}

/// Where the `}` closing a `${` body is, nested `${...}` counted.
fn closing_brace(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(at),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(pairs: &[(&str, &str)]) -> Variables {
        let mut variables = Variables::default();
        for (k, v) in pairs {
            variables.set(*k, *v);
        }
        variables
    }

    fn expand(variables: &Variables, text: &str) -> (String, Vec<MissingVariable>) {
        let mut missing = Vec::new();
        let out = variables.interpolate(text, &mut missing);
        (out, missing)
    }

    #[test]
    fn defaults_follow_compose_for_unset_and_empty() {
        let vars = variables(&[("SET", "v"), ("EMPTY", "")]);
        assert_eq!(expand(&vars, "${SET:-d}").0, "v");
        assert_eq!(expand(&vars, "${EMPTY:-d}").0, "d");
        assert_eq!(expand(&vars, "${EMPTY-d}").0, "");
        assert_eq!(expand(&vars, "${UNSET-d}").0, "d");
        assert_eq!(expand(&vars, "${UNSET:-${SET}x}").0, "vx");
        assert_eq!(expand(&vars, "${SET:+alt}${UNSET:+alt}").0, "alt");
        assert_eq!(expand(&vars, "$SET/$$SET/${SET}").0, "v/$SET/v");
        assert_eq!(
            expand(&vars, "127.0.0.1:${PORT:-8080}:80").0,
            "127.0.0.1:8080:80"
        );
    }

    #[test]
    fn required_variables_are_missing_by_compose_rules() {
        let vars = variables(&[("EMPTY", "")]);
        let (_, missing) = expand(&vars, "${A:?set A} ${EMPTY:?no empty} ${EMPTY?fine}");
        assert_eq!(
            missing,
            [
                MissingVariable {
                    name: "A".into(),
                    message: "set A".into()
                },
                MissingVariable {
                    name: "EMPTY".into(),
                    message: "no empty".into()
                }
            ]
        );
        assert!(expand(&vars, "$${A:?escaped}").1.is_empty());
    }

    #[test]
    fn a_dollar_that_starts_no_name_stays() {
        let vars = variables(&[("5", "no")]);
        assert_eq!(expand(&vars, "cost $5, a $ b, $").0, "cost $5, a $ b, $");
    }
}
