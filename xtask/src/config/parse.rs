//! Turning TOML text into typed configuration, with syntax and shape errors
//! mapped to diagnostics that point into the file.

use serde::de::DeserializeOwned;

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::source::SourceFile;

/// Deserializes `source`; any syntax error, unknown key or wrong type
/// becomes a diagnostic with the file's line and column.
pub fn parse_toml<T: DeserializeOwned>(source: &SourceFile) -> Result<T, ConfigErrors> {
    toml::from_str::<T>(&source.text).map_err(|error| {
        let message = error.message().trim_end().to_string();
        let help = help_for(&message);
        let diagnostic = match error.span() {
            Some(span) => Diagnostic::at(source, span, message),
            None => Diagnostic::whole_file(&source.display, message),
        };
        ConfigErrors::from(match help {
            Some(help) => diagnostic.help(help),
            None => diagnostic,
        })
    })
}

fn help_for(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("remove the key or fix its spelling; README.md lists every key".into())
    } else if message.starts_with("duplicate key") {
        Some("each key may appear once per table; remove one of them".into())
    } else if message.starts_with("invalid type") {
        Some("check the value's type against README.md's config reference".into())
    } else if message.starts_with("missing field") {
        Some("add the key; README.md's config reference says what it holds".into())
    } else if message.starts_with("unknown variant") {
        Some("use one of the values listed".into())
    } else {
        None
    }
}
