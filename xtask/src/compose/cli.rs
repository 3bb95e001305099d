//! Finding the Compose CLI and deciding what it can do by its version
//! number, not its binary name: a standalone `docker-compose` can be v2,
//! and Compose jumped from v2.40 to v5.0.

use std::fmt;

use crate::exec;
use crate::plan::CommandStep;

/// A Compose version, e.g. 1.29.2, 2.24.0, 5.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    /// Parses `v2.24.0`, `2.24.0-desktop.1`, `1.29.2, build unknown`.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches('v');
        let core: String = text
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let mut parts = core.split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next().and_then(Result::ok).unwrap_or(0);
        let patch = parts.next().and_then(Result::ok).unwrap_or(0);
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The Compose CLI found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeCli {
    /// The argv prefix: `["docker", "compose"]` or `["docker-compose"]`.
    pub program: Vec<String>,
    pub version: Version,
}

/// Why no Compose could be used.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("no Docker Compose found: neither `docker compose` nor `docker-compose` answered `version --short`")]
    NotFound,
    #[error("XTASK_COMPOSE=`{0}` does not answer `version --short`: {1}")]
    Override(String, ProbeError),
}

/// Why one Compose binary did not answer `version --short`.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Spawn(#[from] exec::ExecError),
    /// It failed; its stderr.
    #[error("{0}")]
    Failed(String),
    /// It printed no version we can read.
    #[error("unreadable version {0:?}")]
    Unreadable(String),
}

impl ComposeCli {
    /// `XTASK_COMPOSE` (e.g. `docker-compose` or `docker compose`) first,
    /// then `docker compose`, then `docker-compose`. A version seen before
    /// for the same binaries (path, size, mtime) is read from the cache
    /// instead of asked again: a probe costs tens of milliseconds a call.
    pub fn detect() -> Result<ComposeCli, DetectError> {
        if let Some(value) = std::env::var("XTASK_COMPOSE")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            let program: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            return Self::probe_cached(&program)
                .map_err(|why| DetectError::Override(value.clone(), why));
        }
        for program in [vec!["docker", "compose"], vec!["docker-compose"]] {
            let program: Vec<String> = program.into_iter().map(str::to_string).collect();
            if let Ok(cli) = Self::probe_cached(&program) {
                return Ok(cli);
            }
        }
        Err(DetectError::NotFound)
    }

    fn probe_cached(program: &[String]) -> Result<ComposeCli, ProbeError> {
        let Some(key) = cli_cache::fingerprint(program) else {
            return Self::probe(program);
        };
        if let Some(version) = cli_cache::lookup(&key) {
            return Ok(ComposeCli {
                program: program.to_vec(),
                version,
            });
        }
        let cli = Self::probe(program)?;
        cli_cache::store(&key, cli.version);
        Ok(cli)
    }

    fn probe(program: &[String]) -> Result<ComposeCli, ProbeError> {
        let mut argv = program.to_vec();
        argv.extend(["version".into(), "--short".into()]);
        let out = exec::capture(&CommandStep::new(argv))?;
        if !out.success() {
            return Err(ProbeError::Failed(out.stderr.trim().to_string()));
        }
        let version = Version::parse(&out.stdout)
            .ok_or_else(|| ProbeError::Unreadable(out.stdout.trim().to_string()))?;
        Ok(ComposeCli {
            program: program.to_vec(),
            version,
        })
    }

    /// v1 is the Python `docker-compose`; v2 and later are the Go rewrite.
    pub fn is_v1(&self) -> bool {
        self.version.major < 2
    }

    /// `up --wait` (Compose 2.1.1 and later).
    pub fn supports_wait(&self) -> bool {
        self.version >= Version::new(2, 1, 1)
    }

    /// More than one `--env-file` (Compose 2.17 and later).
    pub fn supports_many_env_files(&self) -> bool {
        self.version >= Version::new(2, 17, 0)
    }

    pub fn flavour(&self) -> String {
        format!("{} {}", self.program.join(" "), self.version)
    }
}

/// What the Compose CLI answered, remembered per set of binaries in the
/// user's cache folder (`$XDG_CACHE_HOME/xtask/compose-cli`).
mod cli_cache {
    use std::path::{Path, PathBuf};
    use std::time::UNIX_EPOCH;

    use super::Version;

    /// Where a `docker compose` plugin may be installed, in Docker's order.
    fn plugin_dirs() -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(config) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
            dirs.push(PathBuf::from(config).join("cli-plugins"));
        } else if let Some(home) = std::env::var_os("HOME") {
            dirs.push(PathBuf::from(home).join(".docker/cli-plugins"));
        }
        for dir in [
            "/usr/local/lib/docker/cli-plugins",
            "/usr/local/libexec/docker/cli-plugins",
            "/usr/lib/docker/cli-plugins",
            "/usr/libexec/docker/cli-plugins",
        ] {
            dirs.push(PathBuf::from(dir));
        }
        dirs
    }

    fn on_path(program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            return Some(PathBuf::from(program));
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    }

    fn stamp(path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(format!(
            "{}:{}:{}",
            path.display(),
            meta.len(),
            mtime.as_nanos()
        ))
    }

    /// The binaries `program` runs, as `path:size:mtime` stamps; `None`
    /// when they cannot all be found (then nothing is cached).
    pub fn fingerprint(program: &[String]) -> Option<String> {
        let mut stamps = vec![program.join(" ")];
        stamps.push(stamp(&on_path(program.first()?)?)?);
        if program.len() > 1 && program[0] == "docker" && program[1] == "compose" {
            let plugin = plugin_dirs()
                .into_iter()
                .map(|dir| dir.join("docker-compose"))
                .find(|p| p.is_file())?;
            stamps.push(stamp(&plugin)?);
        }
        Some(stamps.join("|"))
    }

    fn file() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("xtask").join("compose-cli"))
    }

    /// Lines of `KEY<TAB>VERSION`.
    pub fn lookup(key: &str) -> Option<Version> {
        let text = std::fs::read_to_string(file()?).ok()?;
        text.lines()
            .filter_map(|line| line.split_once('\t'))
            .find(|(k, _)| *k == key)
            .and_then(|(_, version)| Version::parse(version))
    }

    /// Remembers `version` for `key`; a cache that cannot be written is
    /// only slower, never wrong, so errors are ignored.
    pub fn store(key: &str, version: Version) {
        let Some(path) = file() else { return };
        let mut lines: Vec<String> = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.split_once('\t').is_some_and(|(k, _)| k != key))
            .map(str::to_string)
            .collect();
        lines.push(format!("{key}\t{version}"));
        // A few machines' worth of binaries at most.
        let keep = lines.len().saturating_sub(32);
        let text = lines[keep..].join("\n") + "\n";
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::atomic_file::write(&path, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compared_as_numbers() {
        assert_eq!(Version::parse("v2.40.3"), Some(Version::new(2, 40, 3)));
        assert_eq!(Version::parse("5.0.1\n"), Some(Version::new(5, 0, 1)));
        assert_eq!(Version::parse("1.29.2"), Some(Version::new(1, 29, 2)));
        assert_eq!(
            Version::parse("2.24.6-desktop.1"),
            Some(Version::new(2, 24, 6))
        );
        assert!(Version::new(5, 0, 0) > Version::new(2, 40, 3));
        assert_eq!(Version::parse("garbage"), None);
        let v5 = ComposeCli {
            program: vec!["docker-compose".into()],
            version: Version::new(5, 0, 0),
        };
        assert!(
            !v5.is_v1() && v5.supports_wait(),
            "a standalone docker-compose can be v5"
        );
    }
}
