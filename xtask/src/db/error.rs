//! Why a `db` plan cannot be built: each a refusal before anything runs,
//! with the help line that says what to do instead.

use std::path::PathBuf;

/// A refusal of the `db` plans: bad usage (exit code 2, see `error.rs`),
/// shown with its help; or a failure of the host (`Path`, `Random`).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A database, role or extension name that is no identifier we pass on.
    #[error("`{name}` is not a valid {what} name: {problem}")]
    InvalidName {
        name: String,
        what: String,
        problem: String,
    },
    /// `--demo` or `--test` without its command in `[db]`.
    #[error("--{0} needs `{0}` in [db] of tasks.toml")]
    NoDataCommand(&'static str),
    /// The engine could not be asked whether the server runs.
    #[error("{0}")]
    Engine(#[source] crate::compose::state::StateError),
    /// The database server's service has no running container.
    #[error("the database server `{server}` is not running in project {project}")]
    ServerStopped {
        server: String,
        project: String,
        env_flag: String,
    },
    /// `--latest` found no snapshot whose time it knows.
    #[error("no snapshot of {database} carries the time it was taken{why}")]
    NoLatestSnapshot { database: String, why: String },
    /// The safety snapshot's name would be too long an identifier.
    #[error("`{database}` is too long a name for a snapshot before the {why}")]
    SnapshotNameTooLong { database: String, why: String },
    /// `db copy` with SRC and DST the same.
    #[error("SRC and DST are the same database `{0}`; nothing was changed")]
    SameDatabase(String),
    /// A dump and its record resolve to one file.
    #[error(
        "{} and its record {} are one file ({}); nothing was written",
        dump.display(),
        record.display(),
        at.display()
    )]
    RecordIsDump {
        dump: PathBuf,
        record: PathBuf,
        at: PathBuf,
    },
    /// An output that exists, without `--force`.
    #[error("{} exists; nothing was written", .0.display())]
    OutputExists(PathBuf),
    /// The file to restore cannot be read.
    #[error("cannot read {}: {source}; nothing was changed", file.display())]
    Unreadable {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `.zst` file that is not one whole zstd stream.
    #[error("{} is not a whole zstd stream: {source}; nothing was changed", file.display())]
    BrokenZstd {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A dump compressed in a way restore does not unpack.
    #[error("{} is compressed ({what}); nothing was changed", file.display())]
    Compressed { file: PathBuf, what: &'static str },
    /// A `db` subcommand (or option) the engine's plans do not have.
    #[error("`{what}` is not available on {engine}: {why}")]
    NotOnEngine {
        what: String,
        engine: &'static str,
        why: &'static str,
        help: String,
    },
    /// A plain SQL dump whose end does not show it is whole.
    #[error("{} does not end with the dump tool's completion line ({expected}); nothing was changed", file.display())]
    IncompleteSql {
        file: PathBuf,
        expected: &'static str,
    },
    /// A dump of the other engine's format.
    #[error("{} is a pg_dump custom-format dump: {engine} cannot load it; nothing was changed", file.display())]
    ForeignDump { file: PathBuf, engine: &'static str },
    /// A path that cannot be made absolute (the working directory is gone).
    #[error(transparent)]
    Path(std::io::Error),
    /// No random seal: the system's random source cannot be read.
    #[error("cannot read /dev/urandom")]
    Random(#[source] std::io::Error),
}

/// What the `db` plans return.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

impl DbError {
    /// The line that says what to do instead, if there is one.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            DbError::InvalidName { .. } => crate::config::db::IDENTIFIER_HELP.to_string(),
            DbError::NoDataCommand(key) => {
                format!("e.g. {key} = [\"execute\", \"db-{key}-setup\"] under [db]")
            }
            DbError::ServerStopped {
                server, env_flag, ..
            } => format!("start it with `cargo xtask {env_flag}up -d {server}`"),
            DbError::SnapshotNameTooLong { .. } => {
                "pass --no-backup (and take a `db backup` first), or use a shorter database name"
                    .to_string()
            }
            DbError::OutputExists(_) => "choose another -o, or pass --force to replace it (the old file is kept as NAME.~1~)".to_string(),
            DbError::BrokenZstd { .. } => {
                "the file is damaged or incomplete: restore another backup".to_string()
            }
            DbError::Compressed { .. } => "decompress it first, or restore a custom-format, SQL, .sql.gz or .zst dump (`db backup`)".to_string(),
            DbError::NotOnEngine { help, .. } => help.clone(),
            DbError::NoLatestSnapshot { .. } => {
                "name the snapshot (`cargo xtask db snapshot list`)".to_string()
            }
            DbError::IncompleteSql { .. } => "restore another backup, or pass --partial-ok to load it as it is".to_string(),
            DbError::ForeignDump { .. } => "restore a SQL dump made by mysqldump or mariadb-dump (`db backup` writes one)".to_string(),
            DbError::Engine(_)
            | DbError::Path(_)
            | DbError::Random(_)
            | DbError::SameDatabase(_)
            | DbError::RecordIsDump { .. }
            | DbError::Unreadable { .. } => return None,
        })
    }
}

impl From<DbError> for crate::error::Error {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Path(source) => crate::error::Error::Other(source.into()),
            error @ DbError::Random(_) => crate::error::Error::Other(error.into()),
            error => crate::error::Error::Usage {
                message: error.to_string(),
                help: error.help(),
            },
        }
    }
}
