//! The `db` plans of the MySQL family (MySQL and MariaDB): their client in
//! the tools service, the SQL (names as hex literals, quoted by the
//! server), and the plans of create, delete, rebuild, setup, list, shell,
//! backup, restore, copy and snapshots. A restore loads a staging database
//! and swaps its tables in with one RENAME TABLE; copies and snapshots
//! copy tables as files (transportable tablespaces) and end with the same
//! swap, views, triggers and routines brought along.

pub mod client;
pub mod copy;
pub mod dump;
pub mod plans;
pub mod sql;
pub mod swap;
