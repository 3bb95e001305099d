//! Backup files: their default names, what a file holds, and the checks
//! before one is written (resolved paths, the name a replaced file keeps).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The folder under the root that backups go to by default.
pub const BACKUP_DIR: &str = "backups";

/// The format `db backup` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DumpFormat {
    /// pg_dump's custom format: compressed, checked and restorable in parallel
    Custom,
    /// Plain SQL, restored with psql
    Sql,
    /// Plain SQL compressed with gzip by pg_dump itself (level 1)
    SqlGz,
    /// Plain SQL compressed with zstd on the host (level 3, checksummed):
    /// smaller than gzip and faster both ways, whatever pg_dump's version
    SqlZst,
}

impl DumpFormat {
    pub fn extension(self) -> &'static str {
        match self {
            DumpFormat::Custom => "dump",
            DumpFormat::Sql => "sql",
            DumpFormat::SqlGz => "sql.gz",
            DumpFormat::SqlZst => "sql.zst",
        }
    }

    /// pg_dump's options for this format. Custom at level 1: about as small
    /// as gzip's default at half the time (the measurements).
    pub fn pg_dump_options(self) -> Vec<String> {
        match self {
            DumpFormat::Custom => vec!["--format=custom".into(), "--compress=1".into()],
            DumpFormat::Sql => vec!["--format=plain".into()],
            // pg_dump compresses plain output as gzip would, and its exit
            // code stays the one we see (a `| gzip` in the container would hide it).
            DumpFormat::SqlGz => vec!["--format=plain".into(), "--compress=1".into()],
            DumpFormat::SqlZst => vec!["--format=plain".into()],
        }
    }

    /// Whether the host compresses what pg_dump writes (zstd).
    pub fn compressed_on_host(self) -> bool {
        self == DumpFormat::SqlZst
    }
}

/// What a file to restore holds, judged by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// pg_dump's custom format (`PGDMP`).
    Custom,
    /// SQL compressed with gzip.
    Gzip,
    /// Compressed with zstd: SQL, or a custom dump (`pg_dump -Fc | zstd`).
    Zstd,
    /// Compressed some other way (xz, bzip2): not restorable.
    Compressed(&'static str),
    /// Anything else is taken for SQL.
    Sql,
}

impl DumpKind {
    /// Reads the first bytes of `path`.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let mut head = [0u8; 6];
        let mut file = std::fs::File::open(path)?;
        let read = file.read(&mut head)?;
        Ok(Self::of_head(&head[..read]))
    }

    /// Judges the first bytes of a file (or of a decompressed stream).
    pub fn of_head(head: &[u8]) -> Self {
        if head.starts_with(b"PGDMP") {
            DumpKind::Custom
        } else if head.starts_with(&[0x1f, 0x8b]) {
            DumpKind::Gzip
        } else if head.starts_with(&crate::exec::ZSTD_MAGIC) {
            DumpKind::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            DumpKind::Compressed("xz")
        } else if head.starts_with(b"BZh") {
            DumpKind::Compressed("bzip2")
        } else {
            DumpKind::Sql
        }
    }
}

/// `backups/<db>-<environment>-<UTC timestamp>.<ext>` under `root`.
pub fn default_path(root: &Path, database: &str, environment: &str, format: DumpFormat) -> PathBuf {
    root.join(BACKUP_DIR).join(format!(
        "{database}-{environment}-{}.{}",
        utc_timestamp(std::time::SystemTime::now()),
        format.extension()
    ))
}

/// `path` with its links and `..` resolved: the file it reaches, or, when
/// that does not exist (a dangling link included), where it would be.
pub fn resolved(path: &std::path::Path) -> Option<PathBuf> {
    let mut path = path.to_path_buf();
    // Links followed by hand, so that a dangling one still says where it points.
    for _ in 0..40 {
        if let Ok(at) = path.canonicalize() {
            return Some(at);
        }
        match std::fs::read_link(&path) {
            Ok(target) => {
                path = match path.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                }
            }
            Err(_) => {
                let parent = path.parent()?.canonicalize().ok()?;
                return Some(parent.join(path.file_name()?));
            }
        }
    }
    None
}

/// Whether two existing paths are one file (hard links).
pub fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// `NAME.~N~` beside `path`, with the first N that names nothing.
pub fn free_aside_name(path: &std::path::Path) -> PathBuf {
    (1..)
        .map(|n| {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".~{n}~"));
            PathBuf::from(name)
        })
        .find(|candidate| candidate.symlink_metadata().is_err())
        .unwrap_or_else(|| path.to_path_buf())
}

/// `20261125T231500Z`: sorts by time, and is safe in file and database names.
pub fn utc_timestamp(time: std::time::SystemTime) -> String {
    let at = time::OffsetDateTime::from(time);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// [`utc_timestamp`] to the millisecond (`20261202T131500123Z`): names of
/// the snapshots a replacement keeps, so that two in one second do not
/// collide.
pub fn utc_timestamp_millis(time: std::time::SystemTime) -> String {
    let millis = time::OffsetDateTime::from(time).millisecond();
    let seconds = utc_timestamp(time);
    format!("{}{millis:03}Z", seconds.trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_and_sortable() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_649_700);
        assert_eq!(utc_timestamp(at), "20261125T233500Z");
        assert_eq!(utc_timestamp(std::time::UNIX_EPOCH), "19700101T000000Z");
        let leap = std::time::UNIX_EPOCH + std::time::Duration::from_millis(951_782_400_042);
        assert_eq!(utc_timestamp(leap), "20000229T000000Z");
        assert_eq!(utc_timestamp_millis(leap), "20000229T000000042Z");
    }
}
