//! Env files as Compose (v2, compose-go's dotenv) reads them, so that host
//! tasks and `db` commands see the values the containers get:
//!
//! - `KEY=VALUE` or `KEY: VALUE`, an optional `export ` before the key,
//!   `#` comment lines, a line holding only `KEY` takes compose's process
//!   environment's value;
//! - unquoted values run to the end of the line, lose a ` #` comment and
//!   the blanks around them, and are interpolated;
//! - `'single'` quotes are literal (`\'` is a quote) and may span lines;
//! - `"double"` quotes may span lines, take the escapes `\n \t \r \a \b \f
//!   \v \\ \" \$` and `\0ooo`, and are interpolated;
//! - interpolation is compose's (`$V`, `${V}`, `${V:-d}`, `${V-d}`,
//!   `${V:?err}`, `${V?err}`, `${V:+x}`, `${V+x}`, `$$`), and sees compose's
//!   process environment first, then the lines above (and earlier files).
//!
//! Compose v1 (python-dotenv) differs: no `$V`, `${V-d}`, `${V:+x}`,
//! `${V?err}` or `KEY: VALUE`; xtask follows v2, which v1 users meet when
//! they upgrade. `env_file_forms_read_as_compose_reads_them` in the
//! integration tests checks this file against both CLIs.

use std::collections::BTreeMap;
use std::path::Path;

use crate::compose::variables::{interpolate_with, MissingVariable};

/// Where an env file cannot be read as compose reads it (compose refuses it too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct EnvFileError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Compose's process environment as env files see it: what xtask sets on
/// compose's process (tasks.toml's `env`), then the shell's environment.
pub fn process_lookup<'a>(
    overrides: &'a BTreeMap<String, String>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name: &str| {
        overrides
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }
}

/// The variables of one env file's text, the last definition winning, read
/// with the shell's environment as compose's; a line compose would refuse
/// ends the reading there.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let _ = parse_into(text, &process_lookup(&BTreeMap::new()), &mut values);
    values
}

/// Reads `text` into `values` (which holds the earlier files' values, seen
/// by interpolation after `lookup`). On an error, the lines before it are
/// in `values`; the error gives the line (1-based) and what is wrong.
pub fn parse_into(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<String, String>,
) -> Result<(), (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n");
    let mut parser = Parser {
        rest: &text,
        line: 1,
    };
    while let Some(statement) = parser.next_statement() {
        let (key, inherited) = parser.key(statement)?;
        if inherited {
            if let Some(value) = lookup(&key) {
                values.insert(key, value);
            }
            continue;
        }
        let value = parser.value(lookup, values)?;
        values.insert(key, value);
    }
    Ok(())
}

/// The variables of the env files under `root`, in order (later files win,
/// and see the earlier ones); files that do not exist contribute nothing.
/// `lookup` is compose's process environment ([`process_lookup`]).
pub fn read_all(
    root: &Path,
    files: &[String],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, EnvFileError> {
    let mut values = BTreeMap::new();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            parse_into(&text, lookup, &mut values).map_err(|(line, message)| EnvFileError {
                file: file.clone(),
                line,
                message,
            })?;
        }
    }
    Ok(values)
}

/// [`read_all`] for readers that report errors elsewhere (`check`): what
/// could be read.
pub fn read_all_lenient(
    root: &Path,
    files: &[String],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            let _ = parse_into(&text, lookup, &mut values);
        }
    }
    values
}

/// A cursor over an env file's text that counts lines.
struct Parser<'t> {
    rest: &'t str,
    line: usize,
}

/// Compose's blanks inside a line (a newline is not one).
fn is_blank(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{b}' | '\u{c}' | '\r' | '\u{85}' | '\u{a0}'
    )
}

impl<'t> Parser<'t> {
    fn advance(&mut self, bytes: usize) {
        self.line += self.rest[..bytes].matches('\n').count();
        self.rest = &self.rest[bytes..];
    }

    /// Skips blank lines and comments; the text from the next statement.
    fn next_statement(&mut self) -> Option<&'t str> {
        loop {
            let skipped = self.rest.len() - self.rest.trim_start().len();
            self.advance(skipped);
            if self.rest.is_empty() {
                return None;
            }
            if !self.rest.starts_with('#') {
                return Some(self.rest);
            }
            let end = self.rest.find('\n').unwrap_or(self.rest.len());
            self.advance(end);
        }
    }

    /// The key of the statement at the cursor, and whether the line holds
    /// only the key (its value then comes from compose's environment).
    fn key(&mut self, statement: &'t str) -> Result<(String, bool), (usize, String)> {
        let mut src = statement;
        if let Some(after) = src.strip_prefix("export") {
            if after.starts_with(is_blank) {
                src = after.trim_start_matches(is_blank);
            }
        }
        let mut end = None;
        for (at, c) in src.char_indices() {
            if is_blank(c) {
                continue;
            }
            match c {
                '=' | ':' | '\n' => {
                    end = Some((at, c));
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_alphanumeric() => {}
                c => {
                    let first_line = src.split('\n').next().unwrap_or("");
                    return Err((
                        self.line,
                        format!("unexpected character {c:?} in variable name {first_line:?}"),
                    ));
                }
            }
        }
        let (key_end, separator) = end.unwrap_or((src.len(), '\n'));
        let key = src[..key_end].trim_end_matches(is_blank).to_string();
        if key.contains(char::is_whitespace) {
            return Err((self.line, format!("key {key:?} cannot contain a space")));
        }
        let consumed =
            statement.len() - src.len() + key_end + separator.len_utf8().min(src.len() - key_end);
        self.advance(consumed);
        if separator != '\n' {
            let blanks = self.rest.len() - self.rest.trim_start_matches(is_blank).len();
            self.advance(blanks);
        }
        Ok((key, separator == '\n'))
    }

    /// The value at the cursor, quoted or not, interpolated as compose does.
    fn value(
        &mut self,
        lookup: &dyn Fn(&str) -> Option<String>,
        values: &BTreeMap<String, String>,
    ) -> Result<String, (usize, String)> {
        let line = self.line;
        let expand = |text: &str| -> Result<String, (usize, String)> {
            let mut missing: Vec<MissingVariable> = Vec::new();
            let get = |name: &str| lookup(name).or_else(|| values.get(name).cloned());
            let out = interpolate_with(text, &get, &mut missing);
            match missing.first() {
                Some(m) => Err((
                    line,
                    format!(
                        "required variable {} is missing a value: {}",
                        m.name, m.message
                    ),
                )),
                None => Ok(out),
            }
        };
        let quote = match self.rest.chars().next() {
            Some(q @ ('\'' | '"')) => q,
            _ => {
                let end = self.rest.find('\n').unwrap_or(self.rest.len());
                let raw = &self.rest[..end];
                let raw = raw.split(" #").next().unwrap_or("");
                let raw = raw.trim_end().to_string();
                self.advance(end);
                return expand(&raw);
            }
        };
        let mut chars: String = String::new();
        let mut escaped = false;
        for (at, c) in self.rest.char_indices().skip(1) {
            if c != quote {
                if !escaped && c == '\\' {
                    escaped = true;
                    continue;
                }
                if escaped {
                    escaped = false;
                    chars.push('\\');
                }
                chars.push(c);
                continue;
            }
            if escaped {
                escaped = false;
                chars.push(c);
                continue;
            }
            self.advance(at + 1);
            return if quote == '"' {
                expand(&expand_escapes(&chars))
            } else {
                Ok(chars)
            };
        }
        let first_line = self.rest.split('\n').next().unwrap_or("");
        Err((line, format!("unterminated quoted value {first_line}")))
    }
}

/// The escapes of a double-quoted value: `\n \t \r \a \b \f \v \\ \"`,
/// `\0ooo` (octal), and `\$` (a literal `$`, written `$$` for interpolation).
/// Any other backslash stays as it is.
fn expand_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&next) = chars.peek() else {
            out.push('\\');
            continue;
        };
        let simple = match next {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(simple) = simple {
            chars.next();
            out.push(simple);
        } else if next == '$' {
            chars.next();
            out.push_str("$$");
        } else if next == '0' {
            chars.next();
            let mut digits = String::new();
            while digits.len() < 3 {
                match chars.peek() {
                    Some(d) if d.is_ascii_digit() => {
                        digits.push(*d);
                        chars.next();
                    }
                    _ => break,
                }
            }
            match u32::from_str_radix(&digits, 8)
                .ok()
                .filter(|v| digits.len() == 3 && *v <= 255)
                .and_then(char::from_u32)
            {
                Some(decoded) => out.push(decoded),
                None => {
                    out.push_str("\\0");
                    out.push_str(&digits);
                }
            }
        } else {
            out.push('\\');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, env: &[(&str, &str)]) -> Result<BTreeMap<String, String>, (usize, String)> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = |name: &str| env.get(name).cloned();
        let mut values = BTreeMap::new();
        parse_into(text, &lookup, &mut values).map(|()| values)
    }

    #[test]
    fn env_files_are_read_as_compose_reads_them() {
        let values = read(
            "# a comment\nA=1\nexport B=two words\nC=\"quoted # not a comment\"\nD='x'\nE=v # note\n\nA=3\n",
            &[],
        )
        .unwrap();
        assert_eq!(values["A"], "3");
        assert_eq!(values["B"], "two words");
        assert_eq!(values["C"], "quoted # not a comment");
        assert_eq!(values["D"], "x");
        assert_eq!(values["E"], "v");
        assert_eq!(values.len(), 5);
    }

    #[test]
    fn quoting_escapes_and_interpolation_follow_compose() {
        let values = read(
            concat!(
                "V1=one\n",
                "V2='single $V1 \\n x'\n",
                "V3=\"double \\n ${V1} \\t \\\" \\\\ \\$V1 $$V1\"\n",
                "V4=unq ${V1} # comment\n",
                "V5=unq#nocomment\n",
                "V7=\"multi\nline ${V1}\"\n",
                "V8=${UNSET_X:-dflt}\n",
                "V9=${V1:+alt}\n",
                "V10=${EMPTY-dash}\n",
                "EMPTY=\n",
                "V11=${EMPTY:-colon}\n",
                "V12=${EMPTY-dash2}\n",
                "V13=$V1$V1\n",
                "V14=  spaced  \n",
                "V15 = around\n",
                "V16: yamlish\n",
                "V19=a\\nb\n",
                "V20=\"a\\'b\"\n",
                "V21='a\\'b'\n",
                "V22=$$V1\n",
                "W1=\"a\\0101b\\cd\\x41\"\n",
                "W2=cost $5 a $ b\n",
                "W12=crlf\r\n",
                "INH\n",
            ),
            &[("INH", "inherited")],
        )
        .unwrap();
        let expected = [
            ("V2", "single $V1 \\n x"),
            ("V3", "double \n one \t \" \\ $V1 $V1"),
            ("V4", "unq one"),
            ("V5", "unq#nocomment"),
            ("V7", "multi\nline one"),
            ("V8", "dflt"),
            ("V9", "alt"),
            ("V10", "dash"),
            ("V11", "colon"),
            ("V12", ""),
            ("V13", "oneone"),
            ("V14", "spaced"),
            ("V15", "around"),
            ("V16", "yamlish"),
            ("V19", "a\\nb"),
            ("V20", "a\\'b"),
            ("V21", "a'b"),
            ("V22", "$V1"),
            ("W1", "aAb\\cd\\x41"),
            ("W2", "cost $5 a $ b"),
            ("W12", "crlf"),
            ("INH", "inherited"),
        ];
        for (key, value) in expected {
            assert_eq!(values[key], value, "{key}");
        }
    }

    #[test]
    fn compose_refusals_are_errors_with_their_line() {
        assert_eq!(read("A=1\nB=${NOPE:?set NOPE}\n", &[]).unwrap_err().0, 2);
        assert!(read("A=\"open\nB=2\n", &[])
            .unwrap_err()
            .1
            .contains("unterminated"));
        assert!(read("not a pair\n", &[]).unwrap_err().1.contains("space"));
        assert!(read("A$=1\n", &[]).is_err());
    }

    #[test]
    fn the_process_environment_comes_before_the_file() {
        let values = read("V1=one\nV2=${V1}\n", &[("V1", "shell")]).unwrap();
        assert_eq!(values["V2"], "shell");
        assert_eq!(
            values["V1"], "one",
            "the file's own value, overridden later"
        );
    }
}
