//! The `db` plans of the MySQL family (MySQL and MariaDB): their client in
//! the tools service, the SQL (names as hex literals, quoted by the
//! server), and the plans of create, delete, rebuild, setup, list, shell,
//! backup and restore. A restore loads a staging database and swaps its
//! tables in with one RENAME TABLE.

pub mod client;
pub mod dump;
pub mod plans;
pub mod sql;
