//! Database workflows (`db ...`): the settings of `[db]` resolved for an
//! environment, the psql scripts that do the work, and the files of
//! backups. Commands in [`crate::commands::db`] turn these into plans.

pub mod dump_file;
pub mod scripts;
pub mod settings;

pub use settings::DbSettings;
