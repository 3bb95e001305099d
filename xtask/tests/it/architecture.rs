//! The layers of ARCHITECTURE.md, enforced from the imports: every
//! `crate::MODULE` a source file names must be one its module may use. A
//! failure names the file, the line and the rule it breaks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Modules that import only one another: small utilities, the terminal
/// (ui) and the crate-root output macros.
const LEAVES: [&str; 11] = [
    "mask",
    "suggest",
    "atomic_file",
    "state_lock",
    "descriptor_budget",
    "sql_scanner",
    "key_deferral",
    "ui",
    "errln",
    "outln",
    "out",
];

/// Domain modules: they take resolved inputs and build plans or do one
/// job; never the command layer.
const DOMAIN: [&str; 12] = [
    "checkpoints",
    "db",
    "debugger",
    "doctor",
    "documentation",
    "images",
    "repos",
    "setup",
    "stack",
    "tasks",
    "testing",
    "worktrees",
];

/// What `module` may import besides itself; `None`: anything (the command
/// layer and the CLI).
fn allowed(module: &str) -> Option<Vec<&'static str>> {
    let with = |extra: &[&'static str]| {
        let mut list = LEAVES.to_vec();
        list.extend_from_slice(extra);
        Some(list)
    };
    match module {
        "commands" | "cli" | "main" | "lib" => None,
        // The ground floor: parsing and positions.
        "config" => with(&[]),
        // Steps as data; the one interpreter's vocabulary.
        "plan" => with(&[]),
        // The one place that spawns.
        "exec" => with(&["plan"]),
        "output_files" => with(&["config"]),
        // The depth guard for xtask inside xtask, at startup.
        "nesting" => with(&["error"]),
        "error" => with(&["config", "exec"]),
        "compose" => with(&["config", "plan", "exec"]),
        // Validation that reads compose files: above both.
        "check" => with(&["config", "compose"]),
        // The one interpreter of plans: below the commands that build them.
        "interpreter" => with(&[
            "plan", "exec", "error", "config", "repos", "setup", "testing",
        ]),
        m if DOMAIN.contains(&m) => {
            let mut list = vec!["config", "plan", "exec", "compose", "error", "output_files"];
            list.extend(DOMAIN.iter().copied());
            with(&list)
        }
        _ => with(&[]),
    }
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(relative: &Path) -> String {
    let first = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// `crate::NAME` on a line of code (comments and doc comments left out).
fn imports(line: &str) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let code = code.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        found.push(name);
        rest = after;
    }
    found
}

#[test]
fn every_import_follows_the_layers_of_architecture_md() {
    let root = source_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut broken = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&root).expect("under src").to_path_buf();
        let module = module_of(&relative);
        *seen.entry(module.clone()).or_default() += 1;
        let Some(allowed) = allowed(&module) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source");
        for (number, line) in text.lines().enumerate() {
            for target in imports(line) {
                if target != module && !allowed.contains(&target.as_str()) {
                    broken.push(format!(
                        "xtask/src/{}:{}: `{}` uses crate::{target}; {module} may use only {}",
                        relative.display(),
                        number + 1,
                        line.trim(),
                        allowed.join(", ")
                    ));
                }
            }
        }
    }
    // The rules name modules that exist: a rename must update them.
    for module in [
        "config",
        "plan",
        "exec",
        "compose",
        "check",
        "interpreter",
        "commands",
        "cli",
    ] {
        assert!(seen.contains_key(module), "no module {module} in src/");
    }
    assert!(
        broken.is_empty(),
        "imports against the layers (ARCHITECTURE.md):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_rule_reads_imports_not_comments() {
    assert_eq!(imports("use crate::config::Workspace;"), ["config"]);
    assert_eq!(
        imports("let x = crate::exec::run(&crate::plan::Plan::new());"),
        ["exec", "plan"]
    );
    assert!(imports("/// see [`crate::commands::db`]").is_empty());
    assert_eq!(imports("foo(); // crate::commands"), Vec::<String>::new());
}
