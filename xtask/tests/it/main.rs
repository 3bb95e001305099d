//! One integration binary: every test runs the real `xtask` executable in a
//! temporary environment and reads like the user's session.

mod git_fixture;
mod harness;

mod architecture;
mod certs_command;
mod completions;
mod compose;
mod compose_yaml;
mod config;
mod db;
mod debug_command;
mod default_stack;
mod docs_command;
mod docs_links;
mod e2e;
mod engine;
mod env_files;
mod environments;
mod examples;
mod examples_camcops;
mod examples_collecting_society;
mod examples_indico;
mod examples_overwatch;
mod exec_signals;
mod help_examples;
mod images_command;
mod init_command;
mod layout_safety;
mod mariadb_base;
mod mysql_db;
mod output;
mod remote_engine;
mod repo_safety;
mod repos;
mod resources;
mod restore_cache;
mod secrets;
mod task_semantics;
mod tasks;
mod tasks_property;
mod tasks_safety;
mod terminal;
mod test_command;
mod test_ownership;
