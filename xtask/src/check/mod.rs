//! Validation that needs more than one file or the file system, above both
//! `config` (which parses and reports positions) and `compose` (whose files
//! some checks read): environments, compose files, services named by tasks,
//! task graphs, paths, images. `check`, and every command before it works,
//! calls [`validate`].

mod checkpoints;
mod db;
mod declared_services;
mod docs_debug;
mod environments;
mod images;
mod init;
mod repos;
pub mod tasks;
mod test;

use crate::config::{ConfigErrors, Workspace};

/// Every problem of `workspace` at once. `builtins` are the built-in
/// command names tasks must not shadow.
pub fn validate(workspace: &Workspace, builtins: &[&str]) -> ConfigErrors {
    let mut errors = ConfigErrors::default();
    environments::check(workspace, &mut errors);
    db::check(workspace, &mut errors);
    test::check(workspace, &mut errors);
    init::check(workspace, &mut errors);
    docs_debug::check(workspace, &mut errors);
    tasks::check(workspace, builtins, &mut errors);
    repos::check(workspace, &mut errors);
    images::check(workspace, &mut errors);
    checkpoints::check(workspace, &mut errors);
    errors
}
