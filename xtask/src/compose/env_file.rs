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
//! Compose v1 (`docker-compose`, python-dotenv) reads them otherwise, and
//! when it is the Compose CLI in use, so does xtask ([`Flavour::V1`]): only
//! `${V}` and `${V:-d}` (the default only when V is unset), in every kind of
//! value, single quotes included; the file's own lines before the shell;
//! fewer escapes; a line it cannot read skipped, not refused.
//! `env_file_forms_read_as_compose_reads_them` in the integration tests
//! checks both against the real CLIs.

use std::collections::BTreeMap;
use std::path::Path;

use crate::compose::variables::{interpolate_with, MissingVariable};

/// Where an env file cannot be read as compose reads it (compose refuses it too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct EnvFileError {
    pub file: String,
    pub line: usize,
    #[source]
    pub problem: LineProblem,
}

/// A line (1-based) of an env file that compose refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    pub line: usize,
    #[source]
    pub problem: LineProblem,
}

/// Why compose refuses a line of an env file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("unexpected character {found:?} in variable name {text:?}")]
    NameCharacter { found: char, text: String },
    #[error("key {0:?} cannot contain a space")]
    SpaceInKey(String),
    #[error("required variable {name} is missing a value: {message}")]
    MissingRequired { name: String, message: String },
    #[error("unterminated quoted value {0}")]
    Unterminated(String),
}

/// Whose rules an env file is read by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Compose v2 and later (compose-go's dotenv).
    V2,
    /// Compose v1, the Python `docker-compose` (python-dotenv).
    V1,
}

impl Flavour {
    /// The rules of the Compose CLI in use (`XTASK_COMPOSE`, else the one
    /// found), asked once per run; v2's when none answers.
    pub fn in_use() -> Flavour {
        static FLAVOUR: std::sync::OnceLock<Flavour> = std::sync::OnceLock::new();
        *FLAVOUR.get_or_init(|| match crate::compose::cli::ComposeCli::detect() {
            Ok(cli) if cli.is_v1() => Flavour::V1,
            _ => Flavour::V2,
        })
    }
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
    let _ = parse_for_cli(text, &process_lookup(&BTreeMap::new()), &mut values);
    values
}

/// [`parse_into`] by the rules of the Compose CLI in use. Most files read
/// the same by both: then the CLI is not asked (a probe costs a process);
/// only a file the two read differently asks which one it is.
pub fn parse_for_cli(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<String, String>,
) -> Result<(), LineError> {
    let mut by_v2 = values.clone();
    let v2 = parse_into(text, lookup, &mut by_v2);
    let mut by_v1 = values.clone();
    parse_v1_into(text, lookup, &mut by_v1);
    let flavour = if v2.is_ok() && by_v1 == by_v2 {
        Flavour::V2
    } else {
        Flavour::in_use()
    };
    match flavour {
        Flavour::V2 => {
            *values = by_v2;
            v2
        }
        Flavour::V1 => {
            *values = by_v1;
            Ok(())
        }
    }
}

/// [`parse_into`] by the rules of `flavour`.
pub fn parse_as(
    flavour: Flavour,
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<String, String>,
) -> Result<(), LineError> {
    match flavour {
        Flavour::V2 => parse_into(text, lookup, values),
        Flavour::V1 => {
            parse_v1_into(text, lookup, values);
            Ok(())
        }
    }
}

/// Reads `text` into `values` (which holds the earlier files' values, seen
/// by interpolation after `lookup`). On an error, the lines before it are
/// in `values`; the error gives the line (1-based) and what is wrong.
pub fn parse_into(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<String, String>,
) -> Result<(), LineError> {
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
            parse_for_cli(&text, lookup, &mut values).map_err(|error| EnvFileError {
                file: file.clone(),
                line: error.line,
                problem: error.problem,
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
            let _ = parse_for_cli(&text, lookup, &mut values);
        }
    }
    values
}

/// Compose v1's reading (python-dotenv, as `docker-compose` 1.29 calls
/// it): `[export ]KEY=VALUE` with a key of anything but `=`, `#` and blanks;
/// `'single'` (escapes `\\` and `\'`) and `"double"` (escapes `\\ \' \"
/// \a \b \f \n \r \t \v`) quotes that may span lines; unquoted values to
/// the end of the line, less a blank-led `#` comment. Every value is then
/// interpolated, `${V}` and `${V:-d}` only, the file's earlier lines before
/// `lookup`. A line it cannot read is skipped.
fn parse_v1_into(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<String, String>,
) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let blank = |c: char| c.is_whitespace() && c != '\n' && c != '\r';
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return;
        }
        let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let next_line = &rest[line_end..];
        let mut cursor = rest;
        if let Some(after) = cursor.strip_prefix("export") {
            if after.starts_with(blank) {
                cursor = after.trim_start_matches(blank);
            }
        }
        if cursor.starts_with('#') {
            rest = next_line;
            continue;
        }
        let key_end = cursor
            .find(|c: char| c == '=' || c == '#' || c.is_whitespace())
            .unwrap_or(cursor.len());
        let key = &cursor[..key_end];
        let after_key = cursor[key_end..].trim_start_matches(blank);
        let Some(after_equals) = after_key.strip_prefix('=') else {
            // `KEY` alone is no assignment; anything else cannot be read.
            rest = next_line;
            continue;
        };
        if key.is_empty() {
            rest = next_line;
            continue;
        }
        let value_text = after_equals.trim_start_matches(blank);
        let (raw, remainder) = match value_text.chars().next() {
            Some(quote @ ('\'' | '"')) => match v1_quoted(&value_text[1..], quote) {
                Some((value, after)) => (value, after),
                None => {
                    rest = next_line;
                    continue;
                }
            },
            _ => {
                let end = value_text.find(['\n', '\r']).unwrap_or(value_text.len());
                let line = &value_text[..end];
                let cut = line
                    .char_indices()
                    .find(|(at, c)| *c == '#' && line[..*at].ends_with(|b: char| b.is_whitespace()))
                    .map(|(at, _)| line[..at].trim_end_matches(char::is_whitespace).len())
                    .unwrap_or(line.len());
                (line[..cut].trim_end().to_string(), &value_text[end..])
            }
        };
        // What may follow a value on its line: blanks and a comment.
        let tail_end = remainder.find(['\n', '\r']).unwrap_or(remainder.len());
        let tail = remainder[..tail_end].trim_start_matches(blank);
        if !(tail.is_empty() || tail.starts_with('#')) {
            // Skipped from where reading stopped to the end of that line.
            rest = &remainder[tail_end..];
            continue;
        }
        let get = |name: &str| values.get(name).cloned().or_else(|| lookup(name));
        let value = v1_interpolate(&raw, &get);
        values.insert(key.to_string(), value);
        rest = &remainder[tail_end..];
    }
}

/// A quoted value after its opening `quote`: its text, escapes decoded, and
/// what follows the closing quote; `None` when it never closes. As
/// python-dotenv's `"((?:\\"|[^"])*)"`: `\"` never closes (even after
/// another backslash), unless no bare quote follows: then the last `\"`
/// does, as the regex backtracks to it.
fn v1_quoted(text: &str, quote: char) -> Option<(String, &str)> {
    let mut close = None;
    let mut last_escaped = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == quote {
            close = Some(at);
            break;
        }
        if c == '\\' && chars.peek().is_some_and(|(_, next)| *next == quote) {
            last_escaped = chars.next().map(|(quote_at, _)| quote_at);
        }
    }
    let close = close.or(last_escaped)?;
    Some((v1_unescape(&text[..close], quote), &text[close + 1..]))
}

/// python-dotenv's escapes: `\\` and `\'` in single quotes; those, `\"`
/// and `\a \b \f \n \r \t \v` in double quotes. Others stay.
fn v1_unescape(text: &str, quote: char) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match (quote, chars.peek().copied()) {
            (_, Some('\\')) => Some('\\'),
            (_, Some('\'')) => Some('\''),
            ('"', Some('"')) => Some('"'),
            ('"', Some('a')) => Some('\u{7}'),
            ('"', Some('b')) => Some('\u{8}'),
            ('"', Some('f')) => Some('\u{c}'),
            ('"', Some('n')) => Some('\n'),
            ('"', Some('r')) => Some('\r'),
            ('"', Some('t')) => Some('\t'),
            ('"', Some('v')) => Some('\u{b}'),
            _ => None,
        };
        match decoded {
            Some(decoded) => {
                chars.next();
                out.push(decoded);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// python-dotenv's interpolation: `${NAME}` and `${NAME:-default}`, NAME
/// anything but `}` and `:`, the default anything but `}`; the default only
/// when NAME is unset.
fn v1_interpolate(text: &str, get: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let body = &rest[at + 2..];
        let name_end = body.find(['}', ':']).unwrap_or(body.len());
        let name = &body[..name_end];
        let after_name = &body[name_end..];
        let (default, consumed) = if let Some(after) = after_name.strip_prefix('}') {
            (None, body.len() - after.len())
        } else if let Some(default_text) = after_name.strip_prefix(":-") {
            match default_text.find('}') {
                Some(end) => (
                    Some(&default_text[..end]),
                    body.len() - default_text.len() + end + 1,
                ),
                None => {
                    out.push_str("${");
                    rest = body;
                    continue;
                }
            }
        } else {
            out.push_str("${");
            rest = body;
            continue;
        };
        out.push_str(&get(name).unwrap_or_else(|| default.unwrap_or("").to_string()));
        rest = &body[consumed..];
    }
    out.push_str(rest);
    out
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
    fn key(&mut self, statement: &'t str) -> Result<(String, bool), LineError> {
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
                    return Err(LineError {
                        line: self.line,
                        problem: LineProblem::NameCharacter {
                            found: c,
                            text: first_line.to_string(),
                        },
                    });
                }
            }
        }
        let (key_end, separator) = end.unwrap_or((src.len(), '\n'));
        let key = src[..key_end].trim_end_matches(is_blank).to_string();
        if key.contains(char::is_whitespace) {
            return Err(LineError {
                line: self.line,
                problem: LineProblem::SpaceInKey(key),
            });
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
    ) -> Result<String, LineError> {
        let line = self.line;
        let expand = |text: &str| -> Result<String, LineError> {
            let mut missing: Vec<MissingVariable> = Vec::new();
            let get = |name: &str| lookup(name).or_else(|| values.get(name).cloned());
            let out = interpolate_with(text, &get, &mut missing);
            match missing.first() {
                Some(m) => Err(LineError {
                    line,
                    problem: LineProblem::MissingRequired {
                        name: m.name.clone(),
                        message: m.message.clone(),
                    },
                }),
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
        Err(LineError {
            line,
            problem: LineProblem::Unterminated(first_line.to_string()),
        })
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

    fn read(text: &str, env: &[(&str, &str)]) -> Result<BTreeMap<String, String>, LineError> {
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
        assert_eq!(read("A=1\nB=${NOPE:?set NOPE}\n", &[]).unwrap_err().line, 2);
        assert!(read("A=\"open\nB=2\n", &[])
            .unwrap_err()
            .problem
            .to_string()
            .contains("unterminated"));
        assert!(read("not a pair\n", &[])
            .unwrap_err()
            .problem
            .to_string()
            .contains("space"));
        assert!(read("A$=1\n", &[]).is_err());
    }

    #[test]
    fn compose_v1_reads_its_own_way() {
        let env: BTreeMap<String, String> = [("V1".to_string(), "shell".to_string())].into();
        let lookup = |name: &str| env.get(name).cloned();
        let mut values = BTreeMap::new();
        parse_as(
            Flavour::V1,
            concat!(
                "V1=one\n",
                "V2=${V1} $V1 $$ ${NOPE:-d} ${V1:+x}\n",
                "EMPTY=\n",
                "V3=${EMPTY:-d}\n",
                "V4='single ${V1} \\n \\' \\\\ x'\n",
                "V5=\"tab\\t \\$V1 \\\"\"\n",
                "V6: yaml\n",
                "V7=\"never closed\n",
                "V8=after # comment\n",
            ),
            &lookup,
            &mut values,
        )
        .unwrap();
        assert_eq!(
            values["V2"], "one $V1 $$ d ${V1:+x}",
            "the file before the shell"
        );
        assert_eq!(values["V3"], "", "the default only when unset");
        assert_eq!(values["V4"], "single one \\n ' \\ x");
        assert_eq!(values["V5"], "tab\t \\$V1 \"");
        assert!(!values.contains_key("V6") && !values.contains_key("V7"));
        assert_eq!(values["V8"], "after");
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
