//! README.md and docs/ stay navigable: every relative link names a file or
//! folder of the repository, every `#anchor` a heading of its page (as
//! GitHub spells heading anchors), and every page of docs/ is reached from
//! README's reference table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// The Markdown pages whose links are checked: README, docs/, examples/.
fn pages(root: &Path) -> Vec<PathBuf> {
    let mut pages = vec![root.join("README.md")];
    let mut folders = vec![root.join("docs"), root.join("examples")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The lines of `text` outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation dropped but `-`
/// and `_`, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(page: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(page).expect("read page");
    prose_lines(&text)
        .into_iter()
        .filter_map(|line| {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            (hashes > 0 && line[hashes..].starts_with(' ')).then(|| anchor(&line[hashes..]))
        })
        .collect()
}

/// The targets of `[text](target)` links on a line, outside inline code.
fn link_targets(line: &str) -> Vec<String> {
    let mut outside_code = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            outside_code.push_str(part);
        }
    }
    let mut targets = Vec::new();
    let mut rest = outside_code.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        targets.push(after[..end].to_string());
        rest = &after[end..];
    }
    targets
}

#[test]
fn every_link_and_anchor_of_readme_and_docs_resolves() {
    let root = repo_root();
    let mut broken = Vec::new();
    for page in pages(&root) {
        let text = std::fs::read_to_string(&page).expect("read page");
        for line in prose_lines(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = match target.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (target.as_str(), None),
                };
                let file = if path.is_empty() {
                    page.clone()
                } else {
                    page.parent().expect("a page's folder").join(path)
                };
                let shown = page.strip_prefix(&root).unwrap_or(&page).display();
                if !file.exists() {
                    broken.push(format!("{shown}: `{target}`: no such file"));
                    continue;
                }
                if let Some(fragment) = fragment {
                    if !anchors(&file).contains(fragment) {
                        broken.push(format!("{shown}: `{target}`: no heading with that anchor"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_of_docs_is_reached_from_the_readme() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let linked: BTreeSet<String> = prose_lines(&readme)
        .into_iter()
        .flat_map(link_targets)
        .collect();
    let missing: Vec<String> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .filter(|name| {
            !linked
                .iter()
                .any(|t| t.starts_with(&format!("docs/{name}")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ pages README.md does not link: {missing:?}"
    );
}

#[test]
fn the_anchor_rule_matches_githubs() {
    assert_eq!(anchor("Databases: `[db]`"), "databases-db");
    assert_eq!(anchor("Running tests (`test`)"), "running-tests-test");
    assert_eq!(anchor("Repositories (`update`)"), "repositories-update");
}
