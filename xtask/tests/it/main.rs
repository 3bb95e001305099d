//! One integration binary: every test runs the real `xtask` executable in a
//! temporary environment and reads like the user's session.

mod git_fixture;
mod harness;

mod compose;
mod compose_yaml;
mod config;
mod db;
mod e2e;
mod engine;
mod environments;
mod exec_signals;
mod layout_safety;
mod output;
mod remote_engine;
mod repo_safety;
mod repos;
mod task_semantics;
mod tasks;
mod tasks_property;
mod tasks_safety;
mod terminal;
