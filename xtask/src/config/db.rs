//! `[db]` in tasks.toml (and `[environments.NAME.db]` overrides): which
//! services run the database and its tools, the default database, the user,
//! where its password comes from, and the project's own steps.

use serde::Deserialize;
use toml::Spanned;

use super::command_line::CommandLine;

/// The longest identifier Postgres keeps whole (NAMEDATALEN - 1 bytes).
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// One `[db]` table; every field may be overridden per environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DbSpec {
    /// The database server's engine: `postgres`, `mysql` or `mariadb`;
    /// default: read from the server service's image (`mysql` or
    /// `mariadb` in its name), else `postgres`.
    #[cfg_attr(test, schemars(with = "Option<EngineSpec>"))]
    pub engine: Option<Spanned<EngineSpec>>,
    /// The service that runs psql, pg_dump and the project's steps
    /// (exec'd into when running, else `run --rm`); default: `server`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub service: Option<Spanned<String>>,
    /// The database server's service, the host the tools connect to; default `db`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub server: Option<Spanned<String>>,
    /// The default database name; default: the environment's project name.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub name: Option<Spanned<String>>,
    /// The role the tools connect as; default `postgres`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub user: Option<Spanned<String>>,
    /// The variable holding the password (never the password itself):
    /// passed to the tools as `PGPASSWORD` without appearing on any command line.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub password_env: Option<Spanned<String>>,
    /// Roles created (LOGIN) when missing, before `init`, as the Indico
    /// seed's one-time setup does.
    #[cfg_attr(test, schemars(with = "Option<Vec<String>>"))]
    pub roles: Option<Spanned<Vec<Spanned<String>>>>,
    /// The variable holding the password given to each role created (never
    /// the password itself); passed to psql as a variable's value only.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub role_password_env: Option<Spanned<String>>,
    /// Extensions created in the database (`CREATE EXTENSION IF NOT EXISTS`)
    /// before `init`.
    #[cfg_attr(test, schemars(with = "Option<Vec<String>>"))]
    pub extensions: Option<Spanned<Vec<Spanned<String>>>>,
    /// The project's command that initialises a new database (`{db}` is its name).
    #[cfg_attr(test, schemars(with = "Option<CommandLine>"))]
    pub init: Option<Spanned<CommandLine>>,
    /// The project's command that loads demo data (`rebuild --demo`).
    #[cfg_attr(test, schemars(with = "Option<CommandLine>"))]
    pub demo: Option<Spanned<CommandLine>>,
    /// The project's command that loads test data (`rebuild --test`).
    #[cfg_attr(test, schemars(with = "Option<CommandLine>"))]
    pub test: Option<Spanned<CommandLine>>,
    /// How many restored dumps `db restore` keeps as template databases, so
    /// that restoring the same file again is a copy; default 0 (off: the
    /// first restore of a file pays about 30% for its entry).
    #[cfg_attr(test, schemars(with = "Option<u32>"))]
    pub restore_cache: Option<Spanned<u32>>,
}

/// `[db] engine`: which family of clients, dumps and scripts the `db`
/// commands use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum EngineSpec {
    /// PostgreSQL: psql, pg_dump, pg_restore.
    Postgres,
    /// MySQL: mysql, mysqldump.
    Mysql,
    /// MariaDB: mariadb, mariadb-dump.
    Mariadb,
}

impl DbSpec {
    /// The project's steps by name, for checks and messages.
    pub fn steps(&self) -> [(&'static str, Option<&Spanned<CommandLine>>); 3] {
        [
            ("init", self.init.as_ref()),
            ("demo", self.demo.as_ref()),
            ("test", self.test.as_ref()),
        ]
    }
}

/// What to write instead of a name that [`identifier_problem`] refuses.
pub const IDENTIFIER_HELP: &str =
    "use letters, digits, `_`, `$` and `-`, starting with a letter or `_` (at most 63 bytes)";

/// The error at `value`'s place in `source` when it is no identifier:
/// "`{subject}` `VALUE` is not {what} identifier: WHY".
pub fn identifier_diagnostic(
    source: &super::source::SourceFile,
    subject: &str,
    what: &str,
    value: &Spanned<String>,
) -> Option<super::diagnostic::Diagnostic> {
    let problem = identifier_problem(value.get_ref())?;
    Some(
        super::diagnostic::Diagnostic::at(
            source,
            value.span(),
            format!(
                "{subject} `{}` is not {what} identifier: {problem}",
                value.get_ref()
            ),
        )
        .help(IDENTIFIER_HELP),
    )
}

/// Why `name` is no database or role name we pass on, if it is not one:
/// `[A-Za-z_][A-Za-z0-9_$-]*`, at most 63 bytes.
pub fn identifier_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Some("it is empty".into());
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Some("it must start with a letter or `_`".into());
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-')) {
        return Some("only letters, digits, `_`, `$` and `-` are allowed".into());
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Some(format!(
            "it is {} bytes long; Postgres keeps {MAX_IDENTIFIER_BYTES}",
            name.len()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_the_rules() {
        for good in ["c3s", "_x", "a-b$c", &"a".repeat(63)] {
            assert_eq!(identifier_problem(good), None, "{good}");
        }
        for bad in ["", "1a", "a b", "a\"b", "a;drop", &"a".repeat(64), "-x"] {
            assert!(identifier_problem(bad).is_some(), "{bad}");
        }
    }
}
