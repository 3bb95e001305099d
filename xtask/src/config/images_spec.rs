//! `[images.NAME]` in tasks.toml: the images the team builds, tags and
//! pushes itself (`images build|tag|push`), apart from compose's `build`.
//! An image is a table of its own rather than part of `[services.NAME]`
//! because some (a base stage such as Overwatch's `overwatch-base`) run as
//! no service.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The placeholder every tag template and build argument may use: the tag
/// being built (`latest`, `images build --tag 2.3.0`), tagged or pushed.
pub const TAG_PLACEHOLDER: &str = "tag";

/// One `[images.NAME]`. NAME is what `images build NAME` selects.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// The image's repository, with its registry when it has one
    /// (`127.0.0.1:5000/overwatch`, `indico/worker`); default: NAME.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub name: Option<Spanned<String>>,
    /// The build context, relative to the environment root; default `.`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub context: Option<Spanned<String>>,
    /// The Dockerfile, relative to the context; default `Dockerfile`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub dockerfile: Option<Spanned<String>>,
    /// The build stage (`docker build --target`).
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub target: Option<Spanned<String>>,
    /// Tag templates: `{tag}` and the matrix's variables are filled in;
    /// default `["{tag}"]`. Overwatch: `["{tag}-py{PYTHON_VERSION}"]`.
    #[cfg_attr(test, schemars(with = "Option<Vec<String>>"))]
    pub tags: Option<Spanned<Vec<Spanned<String>>>>,
    /// `--build-arg KEY=VALUE`; values may use `{tag}` and the matrix's variables.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub args: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Build once per combination of these values (`PYTHON_VERSION =
    /// ["2.7.15", "3.6.6"]`); each variable is also a build argument.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, Vec<String>>"))]
    pub matrix: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    /// Images built before this one, besides those its Dockerfile names in `FROM`.
    #[cfg_attr(test, schemars(with = "Option<Vec<String>>"))]
    pub depends: Option<Spanned<Vec<Spanned<String>>>>,
}

impl ImageSpec {
    /// The repository (`name`, else the table's key).
    pub fn repository<'a>(&'a self, key: &'a str) -> &'a str {
        self.name.as_ref().map_or(key, |n| n.get_ref().as_str())
    }

    /// The build context relative to the root.
    pub fn context(&self) -> &str {
        self.context.as_ref().map_or(".", |c| c.get_ref().as_str())
    }

    /// The Dockerfile relative to the context.
    pub fn dockerfile(&self) -> &str {
        self.dockerfile
            .as_ref()
            .map_or("Dockerfile", |d| d.get_ref().as_str())
    }

    /// The Dockerfile relative to the root.
    pub fn dockerfile_path(&self) -> String {
        match self.context().trim_end_matches('/') {
            "." | "" => self.dockerfile().to_string(),
            context => format!("{context}/{}", self.dockerfile()),
        }
    }

    /// The tag templates.
    pub fn tag_templates(&self) -> Vec<String> {
        match &self.tags {
            Some(tags) => tags.get_ref().iter().map(|t| t.get_ref().clone()).collect(),
            None => vec![format!("{{{TAG_PLACEHOLDER}}}")],
        }
    }

    /// The names listed in `depends`.
    pub fn depends(&self) -> Vec<&str> {
        self.depends
            .iter()
            .flat_map(|d| d.get_ref().iter().map(|n| n.get_ref().as_str()))
            .collect()
    }

    /// Every combination of the matrix's values, variables in key order and
    /// values in the order written; one empty combination without a matrix.
    pub fn cells(&self) -> Vec<Vec<(String, String)>> {
        let mut cells: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (key, values) in &self.matrix {
            let mut next = Vec::new();
            for cell in &cells {
                for value in values.get_ref() {
                    let mut cell = cell.clone();
                    cell.push((key.get_ref().clone(), value.get_ref().clone()));
                    next.push(cell);
                }
            }
            cells = next;
        }
        cells
    }
}

/// Fills `{NAME}` placeholders from `values`; returns the names it found no
/// value for. Text in braces that is no identifier (`{"a": 1}`) stays as it is.
pub fn fill(template: &str, values: &[(String, String)]) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let is_placeholder = after[name_len..].starts_with('}')
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !is_placeholder {
            out.push('{');
            rest = after;
            continue;
        }
        match values.iter().find(|(k, _)| k == name) {
            Some((_, value)) => out.push_str(value),
            None => {
                unknown.push(name.to_string());
                out.push_str(&rest[open..open + name_len + 2]);
            }
        }
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    (out, unknown)
}

/// Why `tag` is no Docker tag, if it is not one: `[A-Za-z0-9_][A-Za-z0-9_.-]*`, at most 128.
pub fn tag_problem(tag: &str) -> Option<&'static str> {
    let Some(first) = tag.chars().next() else {
        return Some("it is empty");
    };
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Some("it must start with a letter, digit or `_`");
    }
    if !tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Some("only letters, digits, `_`, `.` and `-` are allowed");
    }
    if tag.len() > 128 {
        return Some("it is longer than 128 characters");
    }
    None
}

/// Why `name` is no image repository, if it is not one: lowercase path
/// components (`[a-z0-9]+` joined by `.`, `_`, `__` or `-`) separated by
/// `/`, after an optional registry (`host[:port]/`, a host with a `.` or
/// `:`, or `localhost`). No tag or digest: tags come from `tags`.
pub fn repository_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let registry = parts.remove(0);
        let (host, port) = registry.split_once(':').unwrap_or((registry, ""));
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
        if !host_ok || (registry.contains(':') && !port_ok(port)) {
            return Some("the registry must be HOST or HOST:PORT");
        }
    }
    if name.contains('@') || parts.last().is_some_and(|p| p.contains(':')) {
        return Some("it holds a tag or digest; give tags in `tags`");
    }
    for part in parts {
        if part.is_empty() {
            return Some("it has an empty path component");
        }
        let ok_chars = part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !ok_chars {
            return Some("only lowercase letters, digits, `.`, `_`, `-` and `/` are allowed");
        }
        let alnum =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !alnum(part.chars().next()) || !alnum(part.chars().last()) {
            return Some("each path component must start and end with a letter or digit");
        }
    }
    None
}

/// A cycle through `start` in `graph` (name -> names it depends on), as
/// the names in order from `start`; `None` when `start` is on no cycle.
pub fn find_cycle<'a>(
    graph: &BTreeMap<&'a str, Vec<&'a str>>,
    start: &'a str,
) -> Option<Vec<&'a str>> {
    fn walk<'a>(
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        start: &'a str,
        path: &mut Vec<&'a str>,
        seen: &mut std::collections::BTreeSet<&'a str>,
    ) -> bool {
        let Some(&node) = path.last() else {
            return false;
        };
        for &next in graph.get(node).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next) {
                path.push(next);
                if walk(graph, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start];
    let mut seen = std::collections::BTreeSet::new();
    walk(graph, start, &mut path, &mut seen).then_some(path)
}

fn port_ok(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_named() {
        let v = values(&[("tag", "latest"), ("PYTHON_VERSION", "3.6.6")]);
        assert_eq!(
            fill("{tag}-py{PYTHON_VERSION}", &v),
            ("latest-py3.6.6".to_string(), vec![])
        );
        assert_eq!(
            fill("{tag}-{NOPE}", &v),
            ("latest-{NOPE}".to_string(), vec!["NOPE".to_string()])
        );
        assert_eq!(
            fill(r#"{"a": 1} {"#, &v),
            (r#"{"a": 1} {"#.to_string(), vec![])
        );
    }

    #[test]
    fn repositories_and_tags_follow_dockers_rules() {
        for good in [
            "overwatch",
            "rehlers/overwatch-base",
            "127.0.0.1:5000/overwatch",
            "localhost/a/b",
            "registry.example.org/team/a__b",
        ] {
            assert_eq!(repository_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "Overwatch",
            "a:latest",
            "a@sha256:00",
            "a//b",
            "-a",
            "host:port/a",
            "a b",
        ] {
            assert!(repository_problem(bad).is_some(), "{bad}");
        }
        for good in ["latest", "2.3.0", "latest-py3.6.6", "_x"] {
            assert_eq!(tag_problem(good), None, "{good}");
        }
        for bad in ["", "-x", ".x", "a/b", "a:b", &"a".repeat(129)] {
            assert!(tag_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn a_matrix_is_every_combination() {
        let spec: ImageSpec =
            toml::from_str("matrix = { PY = [\"2.7\", \"3.6\"], OS = [\"a\", \"b\"] }")
                .expect("parses");
        let cells: Vec<String> = spec
            .cells()
            .iter()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        assert_eq!(
            cells,
            ["OS=a,PY=2.7", "OS=a,PY=3.6", "OS=b,PY=2.7", "OS=b,PY=3.6"]
        );
        assert_eq!(ImageSpec::default().cells(), vec![Vec::new()]);
    }
}
