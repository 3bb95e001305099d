//! One integration binary: every test runs the real `xtask` executable in a
//! temporary environment and reads like the user's session.

mod git_fixture;
mod harness;

mod compose;
mod compose_yaml;
mod config;
mod e2e;
mod engine;
mod exec_signals;
mod layout_safety;
mod repo_safety;
mod repos;
mod tasks;
mod tasks_safety;
mod terminal;
