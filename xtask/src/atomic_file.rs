//! Files written whole or not at all: a temporary file beside the target,
//! synced, then renamed over it, so readers see the old file or the new one.

use std::path::Path;

/// Writes `text` to a temporary file beside `path`, syncs it, and renames it
/// over `path`, so readers see the old file or the new one, never half.
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    write_with_mode(path, text, 0o644)
}

/// [`write`] with the file's permission bits.
pub fn write_with_mode(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
