//! What the tests of examples/ share: a copy of an example to work in, its
//! check with nothing on PATH, and the guard that takes its stack down.

use std::path::Path;

use crate::engine::leftovers_of;
use crate::harness::Env;

/// The example `name` under examples/, copied (with file modes) into a new
/// environment so that nothing is written into the repository.
pub fn copy_example(name: &str) -> Env {
    let env = Env::new();
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    crate::harness::copy_tree(&from, env.path());
    env
}

/// `check` on the example with no git, no docker and no network (PATH
/// empty): it reads the files, spawns nothing, and says `summary`.
pub fn checks_offline(name: &str, summary: &str) {
    copy_example(name)
        .xtask(["check"])
        .env("PATH", "/nonexistent")
        .ok()
        .stderr_has(summary);
}

/// Takes the example's stack down however the test ends.
pub struct Down<'a> {
    pub env: &'a Env,
    pub project: String,
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = self.env.xtask(["--yes", "down", "--volumes"]).run();
        if !std::thread::panicking() {
            let left = leftovers_of(&self.project);
            assert!(
                left.is_empty(),
                "project {} left behind: {left:?}",
                self.project
            );
        }
    }
}
