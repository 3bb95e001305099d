//! The compose engine: which Compose CLI is installed and what it can do,
//! the project (name, files, env) of the active environment and stack, the
//! argv for each compose call, and the engine's state read through labels.

pub mod cli;
pub mod engine;
pub mod env_file;
pub mod environment;
pub mod files;
pub mod ports;
pub mod project;
pub mod state;
pub mod stats;
