//! `db cache`'s arguments: the restore cache's entries listed or dropped.

use super::args::NameArg;
use crate::db::error::Result;
use crate::db::restore_cache;
use crate::db::target::{DbPlan, DbTarget};

#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CacheCommand {
    /// The restore cache's entries, oldest first, with their size on disk
    /// (`--json` for scripts)
    #[command(after_help = "Examples:
  cargo xtask db cache list
  cargo xtask db cache list --json")]
    List(NameArg),
    /// Drop every entry of the restore cache (asks first)
    #[command(after_help = "Examples:
  cargo xtask db cache clear
  cargo xtask --yes db cache clear")]
    Clear(NameArg),
}

impl CacheArgs {
    /// The plan of the subcommand; `json` is the global `--json`.
    pub fn plan(self, target: &DbTarget<'_>, json: bool) -> Result<DbPlan> {
        match self.command {
            CacheCommand::List(name) => restore_cache::list(target, name.name.as_deref(), json),
            CacheCommand::Clear(name) => restore_cache::clear(target, name.name.as_deref()),
        }
    }
}
