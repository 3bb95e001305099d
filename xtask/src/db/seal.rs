//! The seal of a load: a random value only xtask sends, after the last
//! byte; the loader's side swaps in only a database that got it.

use crate::db::error::{DbError, Result};

/// The variable, in the tools' environment only, that carries a load's
/// seal into the container (never on a command line the loaded SQL could read).
pub const SEAL_VARIABLE: &str = "XTASK_LOAD_SEAL";

/// A new random seal: 32 hex digits from the system's random source.
pub fn new_seal() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(DbError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
