//! xtask: a `cargo xtask`-style task runner for development environments made
//! of several services and several git repositories, run with Docker Compose.
//!
//! Layers point one way, from `config` at the bottom to `commands` and
//! `cli` at the top: ARCHITECTURE.md draws them, and
//! `tests/it/architecture.rs` enforces them from the imports.

// Output goes through `outln!`/`errln!` (ui.rs): the std macros panic on a
// closed pipe (`xtask --list | head -1`).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub(crate) mod atomic_file;
pub(crate) mod check;
pub(crate) mod checkpoints;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod compose;
pub(crate) mod config;
pub(crate) mod db;
pub(crate) mod debugger;
pub(crate) mod descriptor_budget;
pub(crate) mod doctor;
pub(crate) mod documentation;
pub(crate) mod error;
pub(crate) mod exec;
pub(crate) mod images;
pub(crate) mod interpreter;
pub(crate) mod key_deferral;
pub(crate) mod mask;
pub(crate) mod nesting;
pub(crate) mod output_files;
pub(crate) mod plan;
pub(crate) mod repos;
pub(crate) mod setup;
pub(crate) mod sql_scanner;
pub(crate) mod stack;
pub(crate) mod state_lock;
pub(crate) mod suggest;
pub(crate) mod tasks;
pub(crate) mod testing;
pub(crate) mod ui;
pub(crate) mod worktrees;

// What the integration tests call directly; everything else is reached
// through the binary.
pub use compose::env_file;
pub use testing::junit;

/// What `main` runs: parse, run, and the exit code.
pub use cli::run_to_exit_code;
