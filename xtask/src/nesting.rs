//! How deep xtask runs inside itself: a task whose `run` calls `xtask` (its
//! own name, or another task that calls back) would otherwise fork without
//! end. Each run passes its depth and the chain of what called it to its
//! children in the environment, and refuses to start past [`MAX_DEPTH`].

/// The variable holding how many xtask runs are above this one.
pub const DEPTH_VARIABLE: &str = "XTASK_DEPTH";
/// The variable naming those runs, outermost first (`a -> b -> a`).
pub const CHAIN_VARIABLE: &str = "XTASK_CHAIN";
/// The deepest xtask may run inside itself.
pub const MAX_DEPTH: usize = 32;

/// Counts this run in and tells the children; an error when the depth is
/// past [`MAX_DEPTH`], naming the chain. Called once, first thing in `main`,
/// while the process has a single thread.
pub fn enter(args: &[String]) -> Result<(), crate::error::Error> {
    let depth: usize = std::env::var(DEPTH_VARIABLE)
        .ok()
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or(0);
    let this: String = {
        let words: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
            .take(2)
            .collect();
        let text = if words.is_empty() {
            "xtask".to_string()
        } else {
            words.join(" ")
        };
        text.chars().take(40).collect()
    };
    let chain = match std::env::var(CHAIN_VARIABLE) {
        Ok(above) if !above.is_empty() && depth > 0 => format!("{above} -> {this}"),
        _ => this,
    };
    if depth >= MAX_DEPTH {
        return Err(crate::error::Error::usage_with_help(
            format!(
                "xtask is running inside itself {depth} levels deep, the most it allows: {}",
                shorten(&chain)
            ),
            "a task calls itself through `xtask` (directly or through other tasks): make the recursion end, or call the program instead of the task",
        ));
    }
    // SAFETY: called at the start of main, before any thread is started.
    std::env::set_var(DEPTH_VARIABLE, (depth + 1).to_string());
    std::env::set_var(CHAIN_VARIABLE, chain);
    Ok(())
}

/// A chain of 32 runs shown by its first and last few.
fn shorten(chain: &str) -> String {
    let runs: Vec<&str> = chain.split(" -> ").collect();
    if runs.len() <= 8 {
        return chain.to_string();
    }
    format!(
        "{} -> ... -> {}",
        runs[..3].join(" -> "),
        runs[runs.len() - 3..].join(" -> ")
    )
}
