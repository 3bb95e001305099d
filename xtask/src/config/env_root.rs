//! The environment root on disk, and the one way to turn a path from
//! repos.toml into a path on disk that stays inside it once symbolic links
//! are followed.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use super::repos_file::printable;

/// Symbolic links followed while resolving one path before giving up, as
/// the kernel does (ELOOP).
const MAX_LINKS: usize = 40;

/// The canonical environment root: every path `update` reads or writes for
/// repos.toml is resolved against it, and refused if it lands outside.
#[derive(Debug, Clone)]
pub struct EnvRoot {
    canonical: PathBuf,
}

/// Why a path from repos.toml may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Escape {
    #[error("is absolute")]
    Absolute,
    #[error("climbs out of the environment root with `..`")]
    Climbs,
    #[error("leads outside the environment root through a symbolic link (to {})", printable(&.0.to_string_lossy()))]
    Outside(PathBuf),
    #[error("is the environment root itself")]
    IsRoot,
    #[error("leads into a `.git` folder through a symbolic link")]
    IntoGit,
    #[error("goes through more than {MAX_LINKS} symbolic links")]
    TooManyLinks,
    #[error("cannot be resolved: {0}")]
    Unreadable(String),
}

impl Escape {
    /// What to do about it, for a help line.
    pub fn help(&self) -> &'static str {
        match self {
            Escape::Absolute | Escape::Climbs => "use a path relative to the environment root",
            Escape::Outside(_) => {
                "a symbolic link on the way points outside the environment; remove it, or use another path"
            }
            Escape::IsRoot => "name a folder inside the environment, not the environment itself",
            Escape::IntoGit => {
                "git's own folders are not the environment's to touch; remove the link, or use another path"
            }
            Escape::TooManyLinks => "symbolic links on the way form a loop; remove one",
            Escape::Unreadable(_) => "make the folders on the way readable, or use another path",
        }
    }
}

/// One step still to take while resolving.
enum Step {
    Root,
    Parent,
    Name(OsString),
}

impl EnvRoot {
    /// The environment at `root` (the folder holding tasks.toml).
    pub fn new(root: &Path) -> std::io::Result<Self> {
        Ok(Self {
            canonical: root.canonicalize()?,
        })
    }

    /// Where `relative` lands, following every symbolic link on the way (the
    /// missing part of the path is appended as written). Refuses absolute
    /// paths, `..` climbing above the root, and anything landing outside.
    pub fn resolve(&self, relative: impl AsRef<Path>) -> Result<PathBuf, Escape> {
        let relative = relative.as_ref();
        check_lexically(relative)?;
        let resolved = self.follow(relative)?;
        self.inside(resolved)
    }

    /// Where the entry `relative` names is, following links on the way to it
    /// but not the entry itself: the place to create (or find) a link.
    pub fn resolve_entry(&self, relative: impl AsRef<Path>) -> Result<PathBuf, Escape> {
        let relative = relative.as_ref();
        check_lexically(relative)?;
        match (relative.parent(), relative.components().next_back()) {
            (Some(parent), Some(Component::Normal(name))) => {
                let parent = self.follow(parent)?;
                self.inside(parent.join(name))
            }
            _ => self.resolve(relative),
        }
    }

    /// Where the absolute `path` lands once every symbolic link on the way
    /// (the last component included) is followed, if that is inside the root:
    /// the check, repeated after the disk changed, that a path planned inside
    /// still is.
    pub fn contains(&self, path: &Path) -> Result<PathBuf, Escape> {
        let resolved = self.follow(path)?;
        self.inside(resolved)
    }

    /// `resolved` (a path this root returned) relative to the root, for messages.
    pub fn relative(&self, resolved: &Path) -> PathBuf {
        resolved
            .strip_prefix(&self.canonical)
            .map_or_else(|_| resolved.to_path_buf(), Path::to_path_buf)
    }

    fn inside(&self, resolved: PathBuf) -> Result<PathBuf, Escape> {
        if resolved == self.canonical {
            Err(Escape::IsRoot)
        } else if let Ok(inside) = resolved.strip_prefix(&self.canonical) {
            // The textual rule against `.git` holds after links too (hooks run code).
            if inside
                .components()
                .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"))
            {
                return Err(Escape::IntoGit);
            }
            Ok(resolved)
        } else {
            Err(Escape::Outside(resolved))
        }
    }

    /// `realpath` that tolerates a missing tail: each existing component is
    /// looked at, links are expanded in place, the rest is appended.
    fn follow(&self, relative: &Path) -> Result<PathBuf, Escape> {
        follow_from(self.canonical.clone(), relative)
    }
}

/// Where the absolute `path` lands once every symbolic link on the way is
/// followed (the last component included), `..` taken as the kernel takes
/// it, a missing tail appended as written: the one identity by which two
/// spellings of a path (`ssl/../ssl/k.pem`, `ssl2/k.pem` through a link)
/// are known to be one file, whether it exists yet or not.
pub fn resolve_links(path: &Path) -> Result<PathBuf, Escape> {
    let start = std::env::current_dir().map_err(|e| Escape::Unreadable(e.to_string()))?;
    follow_from(start, path)
}

/// `realpath` from `start` that tolerates a missing tail.
fn follow_from(start: PathBuf, relative: &Path) -> Result<PathBuf, Escape> {
    let mut pending: Vec<Step> = Vec::new();
    push_steps(&mut pending, relative);
    let mut current = start;
    let mut links = 0;
    while let Some(step) = pending.pop() {
        match step {
            Step::Root => current = PathBuf::from("/"),
            Step::Parent => {
                current.pop();
            }
            Step::Name(name) => {
                let next = current.join(&name);
                match std::fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        links += 1;
                        if links > MAX_LINKS {
                            return Err(Escape::TooManyLinks);
                        }
                        let target = std::fs::read_link(&next)
                            .map_err(|e| Escape::Unreadable(format!("{}: {e}", next.display())))?;
                        push_steps(&mut pending, &target);
                    }
                    Ok(_) => current = next,
                    // Nothing there (yet): the rest is created as written.
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                        ) =>
                    {
                        current = next
                    }
                    Err(e) => {
                        return Err(Escape::Unreadable(format!(
                            "{}: {e}",
                            printable(&next.to_string_lossy())
                        )))
                    }
                }
            }
        }
    }
    Ok(current)
}

/// Pushes the components of `path` so that the first is popped first.
fn push_steps(pending: &mut Vec<Step>, path: &Path) {
    let steps: Vec<Step> = path
        .components()
        .filter_map(|component| match component {
            Component::RootDir | Component::Prefix(_) => Some(Step::Root),
            Component::ParentDir => Some(Step::Parent),
            Component::CurDir => None,
            Component::Normal(name) => Some(Step::Name(name.to_os_string())),
        })
        .collect();
    pending.extend(steps.into_iter().rev());
}

/// Refuses what is wrong before looking at the disk: absolute paths and
/// `..` climbing above the root.
fn check_lexically(relative: &Path) -> Result<(), Escape> {
    let mut depth = 0usize;
    for component in relative.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => return Err(Escape::Absolute),
            Component::CurDir => {}
            Component::ParentDir => depth = depth.checked_sub(1).ok_or(Escape::Climbs)?,
            Component::Normal(_) => depth += 1,
        }
    }
    if depth == 0 {
        return Err(Escape::IsRoot);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> (tempfile::TempDir, tempfile::TempDir, EnvRoot) {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let env_root = EnvRoot::new(root.path()).unwrap();
        (root, outside, env_root)
    }

    #[test]
    fn plain_and_missing_paths_stay_inside() {
        let (root, _outside, env) = env();
        std::fs::create_dir(root.path().join("a")).unwrap();
        let canonical = env.canonical.clone();
        assert_eq!(env.resolve("a/b/c"), Ok(canonical.join("a/b/c")));
        assert_eq!(env.resolve("./a/../x"), Ok(canonical.join("x")));
        assert_eq!(env.resolve("/etc"), Err(Escape::Absolute));
        assert_eq!(env.resolve("a/../.."), Err(Escape::Climbs));
        assert_eq!(env.resolve("a/.."), Err(Escape::IsRoot));
    }

    #[test]
    fn links_are_followed_wherever_they_are() {
        let (root, outside, env) = env();
        let outside_path = outside.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("esc")).unwrap();
        std::os::unix::fs::symlink("inner", root.path().join("rel")).unwrap();
        std::os::unix::fs::symlink("../../..", root.path().join("up")).unwrap();
        std::os::unix::fs::symlink("loop", root.path().join("loop")).unwrap();
        assert_eq!(
            env.resolve("esc/x/y"),
            Err(Escape::Outside(outside_path.join("x/y")))
        );
        assert_eq!(env.resolve("rel/x"), Ok(env.canonical.join("inner/x")));
        assert!(matches!(env.resolve("up/x"), Err(Escape::Outside(_))));
        assert_eq!(env.resolve("loop/x"), Err(Escape::TooManyLinks));
        std::os::unix::fs::symlink("app/.Git/hooks", root.path().join("hooks")).unwrap();
        assert_eq!(env.resolve("hooks/post-checkout"), Err(Escape::IntoGit));
        // The entry itself is not followed, the way to it is.
        assert_eq!(env.resolve_entry("esc"), Ok(env.canonical.join("esc")));
        assert!(matches!(
            env.resolve_entry("esc/l"),
            Err(Escape::Outside(_))
        ));
        // `..` after a link climbs from where the link leads, as the kernel does.
        assert!(matches!(env.resolve("esc/../y"), Err(Escape::Outside(_))));
    }
}
