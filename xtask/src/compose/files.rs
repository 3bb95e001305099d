//! What the compose files say: whether they are YAML at all (read with a
//! YAML parser), and, still read without one, the service names under the
//! top-level `services:` key and required variables (`${VAR:?message}` /
//! `${VAR?message}`). Enough for config checks and `doctor`; compose itself
//! stays the authority on the files.

use std::path::{Path, PathBuf};

use crate::config::task::lexically_inside;
use crate::config::{Diagnostic, SourceFile, Workspace};

/// The compose file names Compose looks for when none is configured.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The files to read: the configured ones, else the first default that exists.
pub fn effective_files(root: &Path, configured: &[String]) -> Vec<PathBuf> {
    if configured.is_empty() {
        DEFAULT_FILES
            .iter()
            .map(|f| root.join(f))
            .filter(|p| p.is_file())
            .take(1)
            .collect()
    } else {
        configured.iter().map(|f| root.join(f)).collect()
    }
}

/// A YAML syntax error in a compose file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Byte offset in the text where the parser stopped.
    pub offset: usize,
    /// The parser's own words.
    pub message: String,
}

/// The first YAML syntax error of `text`, if any. Only syntax: what the
/// keys mean is compose's to say.
pub fn yaml_syntax_error(text: &str) -> Option<YamlError> {
    let error = saphyr_parser::Parser::new_from_str(text).find_map(Result::err)?;
    // The parser counts characters; spans here are bytes.
    let offset = text
        .char_indices()
        .nth(error.marker().index())
        .map_or(text.len(), |(at, _)| at);
    Some(YamlError {
        offset,
        message: error.info().to_string(),
    })
}

/// Every YAML syntax error in the compose files that exist (configured for
/// the project and every environment, else compose's default file), each
/// at its `FILE:LINE:COL`.
pub fn compose_syntax_errors(workspace: &Workspace, configured: &[String]) -> Vec<Diagnostic> {
    let mut seen = Vec::new();
    let mut errors = Vec::new();
    for path in effective_files(&workspace.root, configured) {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path.clone());
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // a missing file is reported by the caller, with its place in tasks.toml
        };
        let Some(error) = yaml_syntax_error(&text) else {
            continue;
        };
        let display = path
            .strip_prefix(&workspace.root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let source = SourceFile::from_text(&path, display, text);
        errors.push(
            Diagnostic::at(&source, error.offset..error.offset + 1, error.message).help(
                "fix the YAML syntax; `docker compose config` shows how compose reads the file",
            ),
        );
    }
    errors
}

/// The `env_files` of tasks.toml that do not exist: those nothing creates
/// (`made_by_update` false), or those a `[[copy]]` of repos.toml creates
/// when `update` runs (`made_by_update` true; a load must not fail on
/// them, or `update` could never run to make them).
pub fn missing_env_files(workspace: &Workspace, made_by_update: bool) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for file in &workspace.tasks.project.env_files {
        if workspace.root.join(file.get_ref()).is_file() {
            continue;
        }
        let wanted = lexically_inside(file.get_ref()).ok();
        let copy =
            workspace.repos.copies.iter().find(|copy| {
                wanted.is_some() && lexically_inside(copy.to.get_ref()).ok() == wanted
            });
        if copy.is_some() != made_by_update {
            continue;
        }
        let help = match (copy, &workspace.repos_source) {
            (Some(copy), Some(repos)) => format!(
                "`cargo xtask update` creates it: the [[copy]] at {}:{} copies `{}` to it",
                repos.display,
                repos.position(copy.to.span().start).line,
                copy.from.get_ref()
            ),
            _ => format!(
                "create it (compose reads variables from it), or remove it from env_files; repos.toml can make it from an example with [[copy]] to = \"{}\"",
                file.get_ref()
            ),
        };
        errors.push(
            Diagnostic::at(
                &workspace.tasks_source,
                file.span(),
                format!("env file `{}` does not exist", file.get_ref()),
            )
            .help(help),
        );
    }
    errors
}

/// Service names declared under the top-level `services:` mapping.
pub fn service_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_services = false;
    let mut indent: Option<usize> = None;
    for line in text.lines() {
        let content = line.split(" #").next().unwrap_or("").trim_end();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        let depth = content.len() - content.trim_start().len();
        if depth == 0 {
            in_services = content == "services:";
            indent = None;
            continue;
        }
        if !in_services {
            continue;
        }
        let level = *indent.get_or_insert(depth);
        if depth == level {
            if let Some(key) = content.trim().strip_suffix(':') {
                let key = key.trim_matches(|c| c == '"' || c == '\'');
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                {
                    names.push(key.to_string());
                }
            }
        }
    }
    names
}

/// Every service declared in `files` (files that cannot be read are skipped).
pub fn services_in(files: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(file) {
            for name in service_names(&text) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// `(VAR, message)` for every `${VAR:?message}` or `${VAR?message}`.
pub fn required_variables(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        if let Some(q) = inner.find('?') {
            let name = inner[..q].trim_end_matches(':');
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                found.push((name.to_string(), inner[q + 1..].to_string()));
            }
        }
        rest = &rest[end..];
    }
    found
}

/// A host port a compose file publishes: `(address, port)`, the address
/// empty for all addresses. Ports with no host side (random) are left out.
pub fn published_ports(text: &str) -> Vec<(String, u16)> {
    let mut ports = Vec::new();
    let mut in_ports: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        let depth = line.len() - line.trim_start().len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(level) = in_ports {
            if depth <= level && !trimmed.starts_with('-') || depth < level {
                in_ports = None;
            }
        }
        if trimmed == "ports:" {
            in_ports = Some(depth);
            continue;
        }
        if in_ports.is_none() {
            continue;
        }
        let item = trimmed.trim_start_matches('-').trim();
        if let Some(value) = item.strip_prefix("published:") {
            if let Ok(port) =
                expand_defaults(value.trim().trim_matches(|c| c == '"' || c == '\'')).parse()
            {
                ports.push((String::new(), port));
            }
            continue;
        }
        if !trimmed.starts_with('-') {
            continue;
        }
        let spec = expand_defaults(item.trim_matches(|c| c == '"' || c == '\''));
        let spec = spec.split('/').next().unwrap_or("");
        let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
        let (address, host) = match parts.as_slice() {
            [_container, host] => (String::new(), *host),
            [_container, host, address] => (
                address.trim_matches(|c| c == '[' || c == ']').to_string(),
                *host,
            ),
            _ => continue,
        };
        if let Ok(port) = host.parse::<u16>() {
            ports.push((address, port));
        }
    }
    ports
}

/// `${VAR:-default}` and `${VAR-default}` become their defaults.
fn expand_defaults(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + end];
        let value = inner
            .split_once(":-")
            .or_else(|| inner.split_once('-'))
            .map(|(_, d)| d)
            .unwrap_or("");
        out.push_str(value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_syntax_errors_are_found_with_their_place() {
        assert_eq!(yaml_syntax_error("services:\n  web: {image: x}\n"), None);
        let text = "services:\n  wéb:\n    image: x\n   bad: [\n";
        let error = yaml_syntax_error(text).expect("an error");
        assert!(error.offset > text.find("image").unwrap(), "{error:?}");
        assert!(!error.message.is_empty());
        assert!(yaml_syntax_error("a: 'open\n").is_some());
    }

    #[test]
    fn published_host_ports_are_found_in_short_and_long_syntax() {
        let yaml = "services:\n  web:\n    ports:\n      - \"127.0.0.1:${WEB_PORT:-18080}:80\"\n      - 9000:9000/udp\n      - \"5000\"\n      - target: 80\n        published: 18443\n    image: x\n";
        assert_eq!(
            published_ports(yaml),
            [
                ("127.0.0.1".to_string(), 18080),
                (String::new(), 9000),
                (String::new(), 18443)
            ]
        );
    }

    #[test]
    fn top_level_services_are_found_and_nothing_else() {
        let yaml = "version: '3'\nservices:\n  web:\n    image: x\n    environment:\n      db: 1\n  \"worker\":\n    image: y\n  db: # the database\n    image: z\nvolumes:\n  data:\n";
        assert_eq!(service_names(yaml), ["web", "worker", "db"]);
    }

    #[test]
    fn required_variables_are_found_in_both_forms() {
        let yaml = "x: ${A:?No default. Must be set.}\ny: ${B?set B}\nz: ${C:-default} ${D}\n";
        assert_eq!(
            required_variables(yaml),
            [
                ("A".to_string(), "No default. Must be set.".to_string()),
                ("B".to_string(), "set B".to_string())
            ]
        );
    }
}
