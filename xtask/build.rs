//! Links the `xtask` binary as a position-dependent executable on Linux:
//! a PIE's thousands of relocations are applied at every start, and a
//! no-op task is a few milliseconds where that shows (bench/startup.sh).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
