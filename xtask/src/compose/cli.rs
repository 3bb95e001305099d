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
    Override(String, String),
}

impl ComposeCli {
    /// `XTASK_COMPOSE` (e.g. `docker-compose` or `docker compose`) first,
    /// then `docker compose`, then `docker-compose`.
    pub fn detect() -> Result<ComposeCli, DetectError> {
        if let Some(value) = std::env::var("XTASK_COMPOSE")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            let program: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            return Self::probe(&program).map_err(|why| DetectError::Override(value.clone(), why));
        }
        for program in [vec!["docker", "compose"], vec!["docker-compose"]] {
            let program: Vec<String> = program.into_iter().map(str::to_string).collect();
            if let Ok(cli) = Self::probe(&program) {
                return Ok(cli);
            }
        }
        Err(DetectError::NotFound)
    }

    fn probe(program: &[String]) -> Result<ComposeCli, String> {
        let mut argv = program.to_vec();
        argv.extend(["version".into(), "--short".into()]);
        let out = exec::capture(&CommandStep::new(argv)).map_err(|e| e.to_string())?;
        if !out.success() {
            return Err(out.stderr.trim().to_string());
        }
        let version = Version::parse(&out.stdout)
            .ok_or_else(|| format!("unreadable version {:?}", out.stdout.trim()))?;
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
