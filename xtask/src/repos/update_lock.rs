//! One `update` at a time per environment: a [`StateLock`] on
//! `.xtask/update.lock` under the root.

use std::path::Path;

use crate::plan::Step;
use crate::state_lock::{StateLock, StateLockError, STATE_DIR};

/// What a second run is told is running.
const WHAT: &str = "an `update` of this environment";

/// Takes the environment's update lock. When another run holds it, `wait`
/// decides: block until it is free (after telling `on_wait` the holder's
/// pid), or fail at once.
pub fn acquire(
    root: &Path,
    wait: bool,
    on_wait: impl FnOnce(Option<&str>),
) -> Result<StateLock, StateLockError> {
    let path = root.join(STATE_DIR).join("update.lock");
    if wait {
        StateLock::acquire(&path, WHAT, on_wait)
    } else {
        StateLock::try_acquire(&path, WHAT)
    }
}

/// The update lock as a plan's step: a plan that moves repos (`checkpoint
/// restore`) holds it, so that no `update` moves them at the same time.
pub fn step(root: &Path) -> Step {
    Step::Lock {
        path: root.join(STATE_DIR).join("update.lock"),
        what: WHAT.into(),
    }
}
