//! Makes the `xtask` binary start fast on Linux, where a no-op task is a
//! few milliseconds and the dynamic linker's work shows (bench/startup.sh):
//!
//! - linked position-dependent: a PIE's thousands of relocations are
//!   applied at every start;
//! - on glibc, the unwinder linked in from libgcc_eh.a (as Rust's own
//!   static builds do) instead of loading libgcc_s.so at every start, with
//!   its constructor's CPU probing (0.1 ms a start, measured on a hello
//!   world). Skipped when the C compiler has no libgcc_eh.a (clang-only
//!   systems): libgcc_s is then linked as usual.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu") && has_static_unwinder() {
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}

/// Whether the C compiler that links us has libgcc_eh.a.
fn has_static_unwinder() -> bool {
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let Ok(out) = Command::new(compiler)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return false;
    };
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    out.status.success() && Path::new(&path).is_absolute() && Path::new(&path).is_file()
}
