//! `[init]` and `[certs]` in tasks.toml: the one-time setup of an
//! environment (persistent folders with owner and mode, default config
//! files copied into place, one-time steps that make an output) and where
//! `certs` writes a self-signed certificate for testing.

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// `[init]`: what `init` sets up, in order: folders, copies, steps.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InitSpec {
    /// Whether paths may lead outside the environment root (absolute, or
    /// `${VAR}` expanded to such a path), as the Indico seed's `/opt/indico-docker`.
    #[serde(default)]
    pub outside_root: bool,
    /// Persistent folders, created when missing.
    #[serde(default, rename = "folder")]
    pub folders: Vec<InitFolderSpec>,
    /// Default config files copied into place, never over an existing file.
    #[serde(default, rename = "copy")]
    pub copies: Vec<InitCopySpec>,
    /// One-time steps, run only while their output does not exist.
    #[serde(default, rename = "step")]
    pub steps: Vec<InitStepSpec>,
}

/// One `[[init.folder]]`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InitFolderSpec {
    /// Relative to the environment root, or absolute / `${VAR}` with `outside_root`.
    #[cfg_attr(test, schemars(with = "String"))]
    pub path: Spanned<String>,
    /// The owning user (name or uid), set when running as root.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub owner: Option<Spanned<String>>,
    /// The owning group (name or gid), set when running as root.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub group: Option<Spanned<String>>,
    /// Permission bits in octal, e.g. "0750".
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub mode: Option<Spanned<String>>,
}

/// One `[[init.copy]]`: `from` (relative to the root) copied to `to`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InitCopySpec {
    #[cfg_attr(test, schemars(with = "String"))]
    pub from: Spanned<String>,
    #[cfg_attr(test, schemars(with = "String"))]
    pub to: Spanned<String>,
    /// Permission bits of the copy in octal; default: those of `from`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub mode: Option<Spanned<String>>,
}

/// One `[[init.step]]`: a command run once. With `output`, its stdout
/// becomes that file (written whole or not at all); with `creates`, the
/// command makes those files itself. It runs while they do not exist.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InitStepSpec {
    /// What the step is called in messages.
    #[cfg_attr(test, schemars(with = "String"))]
    pub name: Spanned<String>,
    /// The command; a list is an argv (a string would be a shell line and is refused).
    #[cfg_attr(test, schemars(with = "CommandLine"))]
    pub run: Spanned<CommandLine>,
    /// The service it runs in (`compose run --rm`); none: on the host, in the root.
    #[serde(rename = "in")]
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub service: Option<Spanned<String>>,
    /// `run --no-deps`: start none of the service's dependencies (as the
    /// seed's `make-config`).
    #[serde(default)]
    pub no_deps: bool,
    /// The file the command's stdout becomes.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub output: Option<Spanned<String>>,
    /// Files the command creates itself.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub creates: Vec<Spanned<String>>,
    /// Permission bits given to what it made, in octal; default: as made
    /// (an `output` is 0600).
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub mode: Option<Spanned<String>>,
}

/// `[certs]`: where `certs` writes a self-signed certificate and its key.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CertsSpec {
    #[cfg_attr(test, schemars(with = "String"))]
    pub cert: Spanned<String>,
    #[cfg_attr(test, schemars(with = "String"))]
    pub key: Spanned<String>,
    /// The certificate's common name (and DNS name); default `localhost`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub cn: Option<Spanned<String>>,
    /// Days of validity; default 365.
    #[cfg_attr(test, schemars(with = "Option<u32>"))]
    pub days: Option<Spanned<u32>>,
    /// Whether the paths may lead outside the environment root.
    #[serde(default)]
    pub outside_root: bool,
}

/// The permission bits an octal text such as "0750" or "750" means, if valid.
pub fn parse_mode(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|mode| *mode <= 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal_text() {
        assert_eq!(parse_mode("0750"), Some(0o750));
        assert_eq!(parse_mode("640"), Some(0o640));
        assert_eq!(parse_mode("0o2775"), Some(0o2775));
        for bad in ["", "0799", "rwx", "17777", "-1"] {
            assert_eq!(parse_mode(bad), None, "{bad}");
        }
    }
}
