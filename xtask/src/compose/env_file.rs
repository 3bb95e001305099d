//! Env files as Compose reads them: `KEY=VALUE` lines, `#` comments, an
//! optional `export `, values optionally in single or double quotes.

use std::collections::BTreeMap;
use std::path::Path;

/// The variables of one env file's text, the last definition winning.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        values.insert(key.to_string(), unquote(value.trim()));
    }
    values
}

/// `"a b"` and `'a b'` lose their quotes; an unquoted value loses a
/// trailing ` # comment`.
fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return value[1..value.len() - 1].to_string();
        }
    }
    match value.find(" #") {
        Some(at) => value[..at].trim_end().to_string(),
        None => value.to_string(),
    }
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
