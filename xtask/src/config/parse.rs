//! Turning TOML text into typed configuration, with syntax and shape errors
//! mapped to diagnostics that point into the file.

use serde::de::DeserializeOwned;

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::source::SourceFile;

/// Deserializes `source`; any syntax error, unknown key or wrong type
/// becomes a diagnostic with the file's line and column. Serde stops at
/// the first unknown key, so a `key = value` line it names is blanked out
/// (byte for byte, so later positions stay true) and the file read again:
/// every misspelt key is reported in one run.
pub fn parse_toml<T: DeserializeOwned>(source: &SourceFile) -> Result<T, ConfigErrors> {
    let mut text = source.text.clone();
    let mut errors = ConfigErrors::default();
    // Bounded: each round blanks one more line.
    for _ in 0..64 {
        let error = match toml::from_str::<T>(&text) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(errors),
            Err(error) => error,
        };
        let message = error.message().trim_end().to_string();
        let help = help_for(&message);
        let diagnostic = match error.span() {
            Some(span) => Diagnostic::at(source, span, message.clone()),
            None => Diagnostic::whole_file(&source.display, message.clone()),
        };
        errors.push(match help {
            Some(help) => diagnostic.help(help),
            None => diagnostic,
        });
        let blanked = match error.span() {
            Some(span) if message.starts_with("unknown field") => blank_key_line(&text, span.start),
            _ => None,
        };
        match blanked {
            Some(next) => text = next,
            None => break,
        }
    }
    Err(errors)
}

/// `text` with the line of the key at `at` turned into spaces, when that
/// line is a whole `key = value` of its own (the key first, the value
/// ending on the line); `None` when it is not safe to tell.
fn blank_key_line(text: &str, at: usize) -> Option<String> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    if !text[start..at].trim().is_empty() || !line.contains('=') {
        return None;
    }
    let value = line.split_once('=').map(|(_, v)| v)?;
    let opens = value.matches(['[', '{']).count();
    let closes = value.matches([']', '}']).count();
    if opens != closes || value.contains("\"\"\"") || value.contains("'''") {
        return None;
    }
    let mut next = String::with_capacity(text.len());
    next.push_str(&text[..start]);
    next.extend(std::iter::repeat_n(' ', line.len()));
    next.push_str(&text[end..]);
    Some(next)
}

fn help_for(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("remove the key or fix its spelling; docs/ lists every key (repos.md, environments.md, tasks.md)".into())
    } else if message.starts_with("duplicate key") {
        Some("each key may appear once per table; remove one of them".into())
    } else if message.starts_with("invalid type") {
        Some("check the value's type against the reference in docs/".into())
    } else if message.starts_with("missing field") {
        Some("add the key; the reference in docs/ says what it holds".into())
    } else if message.starts_with("unknown variant") {
        Some("use one of the values listed".into())
    } else {
        None
    }
}
