//! The restore cache: what `db restore` loaded, kept as template databases
//! keyed by the dump's content, so that restoring the same file again is a
//! template copy. An entry `NAME__cache_<12 hex>` is closed to connections
//! and used only when its COMMENT, set last, names the marker, the file's
//! full SHA-256 and its fingerprint; an unmarked one (a restore stopped
//! half-way) is dropped by the next restore or `db cache clear`.

use std::path::{Path, PathBuf};

use crate::db::error::Result;
use crate::db::restore_plan::RestoreOptions;
use crate::db::target::{checked, DbPlan, DbTarget};
use crate::plan::{CommandStep, Input, LoadFile, Plan, SealedInput, Step};

/// What every entry's COMMENT of `database` starts with.
fn entry_marker(database: &str) -> String {
    format!("xtask-restore-cache:{database}")
}

/// `NAME__cache_`: what the name of every entry of `database` starts with.
fn entry_prefix(database: &str) -> String {
    format!("{database}__cache_")
}

/// The cheap identity of a file: device, inode, size, and the times of its
/// last change in nanoseconds. Any write, rename over or copy changes it;
/// then the content is hashed and compared.
pub fn fingerprint(path: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok(format!(
        "{}:{}:{}:{}.{:09}:{}.{:09}",
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    ))
}

/// The SHA-256 of the file's bytes, in hex (a lookup's one pass when no
/// entry has the file's fingerprint).
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut hasher = sha2::Sha256::new();
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// One marked entry, as its COMMENT describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The template database.
    pub database: String,
    /// The full COMMENT: checked again by the copy, so a changed entry is never used.
    pub comment: String,
    /// The SHA-256 of the dump it was loaded from.
    pub sha256: String,
    /// The dump's fingerprint when it was loaded.
    pub fingerprint: String,
}

impl CacheEntry {
    /// The entry described by `comment`, if it is one of `database`'s.
    fn parse(database: &str, name: &str, comment: &str) -> Option<Self> {
        let rest = comment.strip_prefix(&entry_marker(database))?;
        let mut sha256 = None;
        let mut fingerprint = None;
        for field in rest.split_whitespace() {
            if let Some(v) = field.strip_prefix("sha256=") {
                sha256 = Some(v.to_string());
            } else if let Some(v) = field.strip_prefix("file=") {
                fingerprint = Some(v.to_string());
            }
        }
        let sha256 = sha256.filter(|h| h.len() == 64)?;
        Some(Self {
            database: name.to_string(),
            comment: comment.to_string(),
            sha256,
            fingerprint: fingerprint?,
        })
    }
}

/// What a restore's lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An entry holds this file's content (`how`: by its fingerprint, or
    /// its hash).
    Hit {
        entry: CacheEntry,
        how: &'static str,
    },
    /// None does: the load is kept as a new entry, named once its hash is known.
    Miss {
        /// Where the loaded database is copied before the swap (unmarked).
        pending: String,
        /// Where the restore's stream writes the file's hash.
        digest: PathBuf,
        fingerprint: String,
    },
    /// The cache is not used, and why.
    Off(String),
}

impl Lookup {
    /// The line a plan says about the lookup (and `--dry-run` prints).
    pub fn note(&self) -> String {
        match self {
            Lookup::Hit { entry, how } => format!(
                "restore cache: hit ({how}): a copy of {}, no load",
                entry.database
            ),
            Lookup::Miss { pending, .. } => format!(
                "restore cache: miss: the loaded database is copied to {pending} before the swap, then kept as an entry"
            ),
            Lookup::Off(why) => format!("restore cache: not used ({why})"),
        }
    }

    /// What the restore's container call needs on a miss: the script that
    /// copies the sealed staging database before the swap, the copy's name,
    /// and where the stream writes the hash; empty otherwise.
    pub fn keep_loaded(&self) -> (String, String, Option<PathBuf>) {
        match self {
            Lookup::Miss {
                pending, digest, ..
            } => (
                crate::db::scripts::cache_keep_loaded(),
                pending.clone(),
                Some(digest.clone()),
            ),
            _ => (String::new(), String::new(), None),
        }
    }
}

/// Looks `file` up among the entries of `database`: by fingerprint, else
/// (when there are entries) by its hash, taken here in one pass.
pub fn lookup(
    target: &DbTarget<'_>,
    database: &str,
    file: &Path,
    options: &RestoreOptions,
) -> Lookup {
    if options.no_cache {
        return Lookup::Off("--no-cache".into());
    }
    if target.settings.restore_cache == 0 {
        return Lookup::Off("[db] restore_cache = 0".into());
    }
    if options.dry_run && !target.client.enters_running_container() {
        return Lookup::Off(
            "not looked up: the tools service is not running, and a dry run starts no container"
                .into(),
        );
    }
    let pending = format!("{}new", entry_prefix(database));
    if checked(&format!("{}{}", entry_prefix(database), "0".repeat(12)), "").is_err() {
        return Lookup::Off(format!("`{database}` is too long a name for its entries"));
    }
    let fingerprint = match fingerprint(file) {
        Ok(f) => f,
        Err(e) => return Lookup::Off(format!("cannot read {}: {e}", file.display())),
    };
    let entries = match entries(target, database) {
        Ok(entries) => entries,
        Err(why) => return Lookup::Off(format!("its entries could not be listed: {why}")),
    };
    if let Some(entry) = entries.iter().find(|e| e.fingerprint == fingerprint) {
        return Lookup::Hit {
            entry: entry.clone(),
            how: "the same file, unchanged",
        };
    }
    if !entries.is_empty() {
        let sha256 = match sha256_of(file) {
            Ok(h) => h,
            Err(e) => return Lookup::Off(format!("cannot read {}: {e}", file.display())),
        };
        if let Some(entry) = entries.iter().find(|e| e.sha256 == sha256) {
            return Lookup::Hit {
                entry: entry.clone(),
                how: "the same content",
            };
        }
    }
    Lookup::Miss {
        pending,
        digest: target
            .root
            .join(crate::state_lock::STATE_DIR)
            .join(format!("restore-{database}.sha256")),
        fingerprint,
    }
}

/// The marked entries of `database` (run now: a lookup reads, never writes).
fn entries(target: &DbTarget<'_>, database: &str) -> std::result::Result<Vec<CacheEntry>, String> {
    let marker = entry_marker(database);
    let mut argv = vec!["psql".to_string(), "-X".into(), "-q".into(), "-A".into()];
    argv.extend(target.settings.connection());
    argv.extend([
        "-d".into(),
        "postgres".into(),
        "-t".into(),
        "-F".into(),
        " ".into(),
        "-v".into(),
        format!("marker={marker}"),
        "-f".into(),
        "-".into(),
    ]);
    let step = target
        .client
        .tool(argv, &[], false)
        .stdin(Input::Text(ENTRIES.into()));
    let out = crate::exec::capture(&step).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(out.stderr.trim().to_string());
    }
    Ok(out
        .stdout
        .lines()
        .filter_map(|line| {
            let (name, comment) = line.split_once(' ')?;
            CacheEntry::parse(database, name, comment)
        })
        .collect())
}

/// The marked entries: `NAME COMMENT` a line, oldest first.
const ENTRIES: &str = "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database
  WHERE datistemplate AND starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), :'marker' || ' ')
  ORDER BY oid;
";

/// The step after a miss's restore: the copy kept as an entry, named by
/// the hash the stream wrote, marked last; the oldest beyond `[db]
/// restore_cache` and any unmarked ones dropped.
pub fn mark_step(target: &DbTarget<'_>, database: &str, lookup: &Lookup) -> Option<CommandStep> {
    let Lookup::Miss {
        pending,
        digest,
        fingerprint,
    } = lookup
    else {
        return None;
    };
    let mut argv = vec![
        "sh".to_string(),
        "-c".into(),
        MARK_FROM_STDIN.into(),
        "sh".into(),
        target.settings.server.clone(),
        target.settings.user.clone(),
        crate::db::scripts::cache_mark(),
    ];
    for (key, value) in [
        ("pending", pending.clone()),
        ("prefix", entry_prefix(database)),
        ("marker", entry_marker(database)),
        ("fingerprint", fingerprint.clone()),
        ("keep", target.settings.restore_cache.to_string()),
    ] {
        argv.push(format!("{key}={value}"));
    }
    let from_digest = SealedInput {
        file: LoadFile {
            path: digest.clone(),
            compression: crate::plan::Compression::None,
        },
        sql: None,
        seal: String::new(),
        digest_to: None,
        completion: None,
        defer_keys: false,
    };
    Some(
        target
            .client
            .tool(argv, &[], false)
            .stdin(Input::Sealed(Box::new(from_digest))),
    )
}

/// `sh -c` that reads the hash (64 hex digits, or nothing when the stream
/// was not whole) from stdin and runs the script `$3` with it as `:digest`
/// and the rest of its arguments as psql variables; `$1`/`$2` are the
/// server and user.
const MARK_FROM_STDIN: &str = "h=$1 u=$2 script=$3; shift 3; read -r digest || digest=; \
case $digest in *[!0-9a-f]*) digest=;; esac; [ ${#digest} -eq 64 ] || digest=; \
n=$#; while [ \"$n\" -gt 0 ]; do set -- \"$@\" -v \"$1\"; shift; n=$((n - 1)); done; \
printf '%s\\n' \"$script\" | psql -X -q -v ON_ERROR_STOP=1 -h \"$h\" -U \"$u\" -d postgres -v \"digest=$digest\" \"$@\" -f -";

/// `db cache list`: the entries of `database` with their size on disk.
pub fn list(target: &DbTarget<'_>, database: Option<&str>, json: bool) -> Result<DbPlan> {
    let db = target.database(database)?;
    let marker = entry_marker(&db);
    let mut argv = vec!["psql".to_string(), "-X".into(), "-q".into()];
    argv.extend(target.settings.connection());
    argv.extend(["-d".into(), "postgres".into()]);
    if json {
        argv.extend(["-A".into(), "-t".into()]);
    }
    argv.extend([
        "-v".into(),
        format!("marker={marker}"),
        "-f".into(),
        "-".into(),
    ]);
    let script = if json {
        crate::db::scripts::CACHE_LIST_JSON
    } else {
        crate::db::scripts::CACHE_LIST
    };
    let mut plan = Plan::new();
    plan.run(
        target
            .client
            .tool(argv, &[], false)
            .stdin(Input::Text(script.into())),
    );
    Ok(DbPlan::from(plan))
}

/// `db cache clear`: every entry of `database` dropped, marked or not (asks first).
pub fn clear(target: &DbTarget<'_>, database: Option<&str>) -> Result<DbPlan> {
    let db = target.database(database)?;
    let mut plan = Plan::new();
    plan.push(Step::Confirm {
        question: format!(
            "Drop every restore cache entry of `{db}` in environment `{}`?",
            target.settings.environment
        ),
    });
    target.lock(&mut plan, &db);
    plan.run(target.script(
        crate::db::scripts::cache_clear(),
        &[("prefix", &entry_prefix(&db))],
    ));
    Ok(DbPlan::from(plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_read_from_its_whole_comment_only() {
        let hash = "a".repeat(64);
        let comment = format!("xtask-restore-cache:shop sha256={hash} file=1:2:3:4.5:6.7");
        let entry = CacheEntry::parse("shop", "shop__cache_aaaaaaaaaaaa", &comment).unwrap();
        assert_eq!(entry.sha256, hash);
        assert_eq!(entry.fingerprint, "1:2:3:4.5:6.7");
        assert!(CacheEntry::parse("other", "x", &comment).is_none());
        assert!(CacheEntry::parse("shop", "x", "xtask-restore-cache:shop sha256=ab").is_none());
    }

    #[test]
    fn a_fingerprint_changes_with_a_touch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.sql");
        std::fs::write(&file, "select 1;").unwrap();
        let before = fingerprint(&file).unwrap();
        std::fs::write(&file, "select 2;").unwrap();
        assert_ne!(before, fingerprint(&file).unwrap());
        std::fs::write(&file, "abc").unwrap();
        assert_eq!(
            sha256_of(&file).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
