//! The files one command is about to write, each known by where it resolves
//! (every link on the way followed, `..` taken as the kernel takes it) and,
//! when it exists, by its inode: `./ssl/../ssl/server.pem`, `ssl2/server.pem`
//! through `ssl2 -> ssl`, or a hard link of it are one file, and a command
//! that would write two of its outputs to one file stops before writing
//! either.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::env_root::resolve_links;

/// Two outputs of one command that are one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{first} and {second} are one file ({})", .resolved.display())]
pub struct SameFile {
    pub first: String,
    pub second: String,
    pub resolved: PathBuf,
}

/// One output: how it is shown, where it resolves, its inode if it exists.
struct Output {
    shown: String,
    resolved: PathBuf,
    inode: Option<(u64, u64)>,
}

/// The outputs of one command, added one by one.
#[derive(Default)]
pub struct OutputFiles {
    outputs: Vec<Output>,
}

impl OutputFiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `path` (shown as `shown` in messages), refusing it when it is
    /// the same file as an output added before.
    pub fn add(&mut self, path: &Path, shown: &str) -> Result<(), SameFile> {
        let resolved = resolve_links(path).unwrap_or_else(|_| path.to_path_buf());
        let inode = std::fs::metadata(&resolved)
            .ok()
            .map(|meta| (meta.dev(), meta.ino()));
        if let Some(earlier) = self
            .outputs
            .iter()
            .find(|o| o.resolved == resolved || (inode.is_some() && o.inode == inode))
        {
            return Err(SameFile {
                first: earlier.shown.clone(),
                second: shown.to_string(),
                resolved,
            });
        }
        self.outputs.push(Output {
            shown: shown.to_string(),
            resolved,
            inode,
        });
        Ok(())
    }
}

/// Whether `a` and `b` name one file (resolved, or one inode).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let mut outputs = OutputFiles::new();
    outputs.add(a, "").is_ok() && outputs.add(b, "").is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_links_and_hard_links_of_one_file_are_one_output() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("ssl")).unwrap();
        std::os::unix::fs::symlink("ssl", root.join("ssl2")).unwrap();
        let key = root.join("ssl/server.pem");
        // Not there yet: known by where it resolves.
        assert!(same_file(&key, &root.join("ssl/../ssl/./server.pem")));
        assert!(same_file(&key, &root.join("ssl2/server.pem")));
        assert!(!same_file(&key, &root.join("ssl/server.crt")));
        std::fs::write(&key, "k").unwrap();
        std::fs::hard_link(&key, root.join("other.pem")).unwrap();
        assert!(same_file(&key, &root.join("other.pem")));
        std::os::unix::fs::symlink("ssl/server.pem", root.join("final-link")).unwrap();
        assert!(same_file(&root.join("final-link"), &key));

        let mut outputs = OutputFiles::new();
        outputs.add(&key, "key ssl/server.pem").unwrap();
        let error = outputs
            .add(&root.join("ssl2/server.pem"), "cert ssl2/server.pem")
            .unwrap_err();
        assert_eq!(error.first, "key ssl/server.pem");
        assert_eq!(error.resolved, key);
    }
}
