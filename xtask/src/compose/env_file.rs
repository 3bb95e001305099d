//! Env files as Compose reads them: `KEY=VALUE` lines, `#` comments, an
//! optional `export `, values optionally in single or double quotes.

use std::collections::BTreeMap;
use std::path::Path;

/// The variables of one env file's text, the last definition winning.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    pairs(text).into_iter().collect()
}

/// The `KEY=VALUE` lines of an env file: `#` comments, an optional
/// `export `, values optionally in single quotes (literal) or double quotes
/// (`\n`, `\"` and `\\` escapes); an unquoted value ends at ` #`.
pub fn pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let value = value.trim_start();
        let value = if let Some(quoted) = value.strip_prefix('\'') {
            quoted.split('\'').next().unwrap_or("").to_string()
        } else if let Some(quoted) = value.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some(other) => out.push(other),
                        None => {}
                    },
                    other => out.push(other),
                }
            }
            out
        } else {
            value
                .split(" #")
                .next()
                .unwrap_or("")
                .trim_end()
                .to_string()
        };
        pairs.push((key.to_string(), value));
    }
    pairs
}

/// The variables of the env files under `root`, in order (later files win);
/// files that do not exist contribute nothing.
pub fn read_all(root: &Path, files: &[String]) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            values.extend(parse(&text));
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_are_read_as_compose_reads_them() {
        let values = parse(
            "# a comment\nA=1\nexport B=two words\nC=\"quoted # not a comment\"\nD='x'\nE=v # note\n\nbad line\nA=3\n",
        );
        assert_eq!(values["A"], "3");
        assert_eq!(values["B"], "two words");
        assert_eq!(values["C"], "quoted # not a comment");
        assert_eq!(values["D"], "x");
        assert_eq!(values["E"], "v");
        assert_eq!(values.len(), 5);
    }
}
