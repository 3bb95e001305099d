//! Database workflows (`db ...`): the settings of `[db]` resolved for an
//! environment, the psql scripts that do the work, and the files of
//! backups; the one database client, and the plans of the `db` commands
//! built from resolved inputs (`commands/db/` only turns its arguments
//! into options).

pub mod backup_plan;
pub mod client;
pub mod database_plans;
pub mod dump_file;
pub mod engine;
pub mod error;
pub mod mysql;
pub mod restore_cache;
pub mod restore_plan;
pub mod scripts;
pub mod seal;
pub mod settings;
pub mod snapshots;
pub mod target;

pub use settings::DbSettings;
