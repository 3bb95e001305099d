//! `[environments.NAME]` in tasks.toml: development, testing, staging, production.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::db::DbSpec;

/// The longest `inherits` chain xtask follows: deeper is a mistake (or a
/// generated file), refused with the chain named rather than walked.
pub const MAX_INHERITS_DEPTH: usize = 64;

/// One `[environments.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Extra compose files (overrides) added after the project's.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub compose_files: Vec<Spanned<String>>,
    /// Variables set for compose and every command run in this environment:
    /// a string, or `{ file = "PATH" }` for a file's content.
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Another environment whose files and values this one starts from.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub inherits: Option<Spanned<String>>,
    /// The compose project of this environment; default: the project's
    /// name for the default environment, `<name>_<environment>` for others.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub project: Option<Spanned<String>>,
    /// Production and the like: destructive database commands need the
    /// database's name typed (or `--confirm NAME`); `--yes` alone is refused.
    #[serde(default)]
    pub protected: bool,
    /// Overrides of `[db]` for this environment (field by field).
    pub db: Option<DbSpec>,
}

/// One value of an environment's `env`.
#[derive(Debug, Clone, PartialEq, Eq)]
// Its schema: what its hand-written Deserialize accepts (a string or a table).
#[cfg_attr(test, derive(schemars::JsonSchema), serde(untagged))]
pub enum EnvValue {
    Text(String),
    /// `{ file = "deployConfig.yaml" }`: the file's content, as the seed's
    /// `config="$(cat deployConfig.yaml)"` (trailing newlines dropped).
    File(EnvFileValue),
}

/// `{ file = "PATH", outside_root = false }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvFileValue {
    /// Relative to the environment root, and inside it unless `outside_root`.
    #[cfg_attr(test, schemars(with = "String"))]
    pub file: Spanned<String>,
    #[serde(default)]
    pub outside_root: bool,
}

impl<'de> Deserialize<'de> for EnvValue {
    // By hand rather than `untagged`: an untagged enum buffers its input,
    // and `Spanned` (the file:line:col of `file`) does not survive that.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EnvValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, or a table { file = \"PATH\" }")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Text(value.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<EnvValue, A::Error> {
                EnvFileValue::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(EnvValue::File)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
