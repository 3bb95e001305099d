//! xtask: a `cargo xtask`-style task runner for development environments made
//! of several services and several git repositories, run with Docker Compose.
//!
//! Layers point one way, from `config` at the bottom to `commands` and
//! `cli` at the top: ARCHITECTURE.md draws them, and
//! `tests/it/architecture.rs` enforces them from the imports.

// Output goes through `outln!`/`errln!` (ui.rs): the std macros panic on a
// closed pipe (`xtask --list | head -1`).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod atomic_file;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod config;
pub mod db;
pub mod debugger;
pub mod descriptor_budget;
pub mod doctor;
pub mod documentation;
pub mod error;
pub mod exec;
pub mod images;
pub mod mask;
pub mod nesting;
pub mod output_files;
pub mod plan;
pub mod repos;
pub mod setup;
pub mod sql_scanner;
pub mod stack;
pub mod state_lock;
pub mod suggest;
pub mod tasks;
pub mod testing;
pub mod ui;
