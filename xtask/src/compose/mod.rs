//! The compose engine: which Compose CLI is installed and what it can do,
//! the project (name, files, env) of the active environment and stack, the
//! argv for each compose call, the engine's state read through labels, and
//! what the compose files declare (read with a YAML parser, or asked of
//! compose).

pub mod cli;
pub mod docker_host;
pub mod engine;
pub mod env_file;
pub mod environment;
pub mod files;
pub mod loader;
pub mod model;
pub mod mounts;
pub mod override_file;
pub mod ports;
pub mod preconditions;
pub mod project;
pub mod service_step;
pub mod service_urls;
pub mod state;
pub mod stats;
pub mod variables;
pub mod yaml_node;
