//! One integration binary: every test runs the real `xtask` executable in a
//! temporary environment and reads like the user's session.

mod git_fixture;
mod harness;

mod config;
mod repos;
