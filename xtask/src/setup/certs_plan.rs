//! What `certs` writes: the key and certificate `[certs]` names, each
//! checked first (two names for one file, a file that is no certificate),
//! the old ones kept as backups when replaced.

use crate::error::Error;
use crate::output_files::{OutputFiles, SameFile};
use crate::setup::certificate::{self, CertificateError, KEY_MODE};
use crate::setup::init_plan::Place;
use crate::ui::Ui;

/// Why `certs` cannot write; every message ends saying nothing was written
/// where that holds.
#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    #[error("tasks.toml has no [certs]: there is nowhere to write a certificate")]
    NoSection,
    #[error("`{}` is no common name", crate::ui::sanitize_for_terminal(.0))]
    CommonName(String),
    /// The key and the certificate are one file.
    #[error("{0}; nothing was written")]
    SameFile(SameFile),
    /// A backup would be the key's or the certificate's file.
    #[error("{0}; nothing was written")]
    BackupSameFile(SameFile),
    #[error("{0} exists and is no PEM certificate; it is not replaced without --force; nothing was written")]
    NotACertificate(String),
    #[error("{0} has too many backups")]
    TooManyBackups(String),
    #[error("cannot read the key {key}: {error}; nothing was written")]
    UnreadableKey { key: String, error: std::io::Error },
    #[error(
        "{key} exists and is no private key this can sign with ({error}); nothing was written"
    )]
    NotAKey {
        key: String,
        error: CertificateError,
    },
    #[error(transparent)]
    Certificate(CertificateError),
    // The io error is in the message, not a cause: the message says it all.
    #[error("cannot write {shown}: {error}")]
    Write {
        shown: String,
        error: std::io::Error,
    },
}

impl From<CertsError> for Error {
    fn from(error: CertsError) -> Self {
        const KEY_HELP: &str = "check [certs] key in tasks.toml, or pass --force for a new key (the old file is kept as NAME.bak)";
        let help = match &error {
            CertsError::NoSection => "add e.g. [certs] cert = \"ssl/server.crt\", key = \"ssl/server.key\", cn = \"localhost\"",
            CertsError::CommonName(_) => "name the host, e.g. --cn indico.example.org",
            CertsError::SameFile(_) => "give the key and the certificate their own files in tasks.toml",
            CertsError::NotACertificate(_) => "check [certs] cert in tasks.toml, or pass --force (the file is kept as NAME.bak)",
            CertsError::TooManyBackups(_) => "remove some of its NAME.bak.N files",
            CertsError::UnreadableKey { .. } | CertsError::NotAKey { .. } => KEY_HELP,
            CertsError::BackupSameFile(_) | CertsError::Certificate(_) => {
                return Error::usage(error.to_string())
            }
            CertsError::Write { .. } => return Error::Other(anyhow::anyhow!("{error}")),
        };
        Error::usage_with_help(error.to_string(), help)
    }
}

/// What `certs` will write.
pub enum CertsWork {
    /// Both exist: nothing to do.
    Kept,
    /// A new certificate for the existing key.
    CertOnly,
    /// A new key and certificate; `backups` are (file, its backup).
    Both { backups: Vec<(Place, Place)> },
}

/// The key and certificate, where they go, and what they say.
pub struct CertsTarget {
    pub key: Place,
    pub cert: Place,
    /// The common name (and DNS name).
    pub cn: String,
    pub days: u32,
}

impl CertsTarget {
    /// What to write: nothing when both exist (unless `force`), a
    /// certificate for an existing key, else both with backups of what
    /// they replace. `outputs` holds the key's and certificate's files.
    pub fn work(&self, force: bool, outputs: &mut OutputFiles) -> Result<CertsWork, CertsError> {
        let (key, cert) = (&self.key, &self.cert);
        let exists = |place: &Place| place.path.symlink_metadata().is_ok();
        if exists(cert) && !exists(key) && !force && !is_certificate(&cert.path) {
            return Err(CertsError::NotACertificate(cert.to_string()));
        }
        Ok(match (exists(key), exists(cert), force) {
            (true, true, false) => CertsWork::Kept,
            (true, false, false) => CertsWork::CertOnly,
            // A new key (--force, or none yet): whatever it replaces is kept,
            // a certificate left without its key too.
            _ => {
                let mut backups = Vec::new();
                for place in [key, cert] {
                    if exists(place) {
                        let backup = crate::repos::layout::next_backup(&place.path)
                            .ok_or_else(|| CertsError::TooManyBackups(place.shown.clone()))?;
                        let backup = place_beside(place, backup);
                        outputs
                            .add(&backup.path, &format!("the backup {backup}"))
                            .map_err(CertsError::BackupSameFile)?;
                        backups.push((place.clone(), backup));
                    }
                }
                CertsWork::Both { backups }
            }
        })
    }

    /// What `--dry-run` prints for `work`.
    pub fn describe(&self, work: &CertsWork) -> Vec<String> {
        let (key, cert, cn, days) = (&self.key, &self.cert, &self.cn, self.days);
        match work {
            CertsWork::Kept => vec![format!(
                "# nothing to do: {key} and {cert} exist (--force makes new ones, keeping backups)"
            )],
            CertsWork::CertOnly => vec![
                format!("# keep the key {key} (it exists)"),
                format!("# self-signed certificate CN={cn}, {days} days, for that key -> {cert}"),
            ],
            CertsWork::Both { backups } => {
                let mut lines: Vec<String> = backups
                    .iter()
                    .map(|(file, backup)| format!("# keep {file} as {backup}"))
                    .collect();
                lines.push(format!(
                    "# new ECDSA P-256 key -> {key} (mode {KEY_MODE:04o})"
                ));
                lines.push(format!(
                    "# self-signed certificate CN={cn}, {days} days -> {cert}"
                ));
                lines
            }
        }
    }

    /// Does `work`, saying each file written on `ui`.
    pub fn write(&self, ui: &Ui, work: &CertsWork) -> Result<(), CertsError> {
        let (key, cert, cn, days) = (&self.key, &self.cert, &self.cn, self.days);
        let existing_key = match work {
            CertsWork::Kept => {
                ui.status(
                    "Unchanged",
                    format!("{key} and {cert} exist; nothing to do (--force makes new ones, keeping the old as backups)"),
                );
                return Ok(());
            }
            CertsWork::CertOnly => Some(std::fs::read_to_string(&key.path).map_err(|error| {
                CertsError::UnreadableKey {
                    key: key.to_string(),
                    error,
                }
            })?),
            CertsWork::Both { .. } => None,
        };
        let made =
            certificate::self_signed(cn, days, existing_key.as_deref()).map_err(|error| {
                match existing_key {
                    Some(_) => CertsError::NotAKey {
                        key: key.to_string(),
                        error,
                    },
                    None => CertsError::Certificate(error),
                }
            })?;
        for place in [key, cert] {
            if let Some(folder) = place.path.parent() {
                std::fs::create_dir_all(folder).map_err(|e| write_error(place, e))?;
            }
        }
        if let CertsWork::Both { backups } = work {
            for (file, backup) in backups {
                keep_backup(file, backup)?;
                ui.status("Kept", format!("{file} as {backup}"));
            }
            certificate::write_key(&key.path, &made.key_pem).map_err(|e| write_error(key, e))?;
            ui.status("Wrote", format!("key {key} (mode {KEY_MODE:04o})"));
        }
        crate::atomic_file::write_with_mode(&cert.path, &made.cert_pem, 0o644)
            .map_err(|e| write_error(cert, e))?;
        ui.status(
            "Wrote",
            format!("certificate {cert} (CN={cn}, self-signed, valid {days} days)"),
        );
        Ok(())
    }
}

fn write_error(place: &Place, error: std::io::Error) -> CertsError {
    CertsError::Write {
        shown: place.shown.clone(),
        error,
    }
}

/// Copies `file` to `backup`, which keeps the file's own mode (0600 for a key).
fn keep_backup(file: &Place, backup: &Place) -> Result<(), CertsError> {
    use std::os::unix::fs::PermissionsExt;
    let bytes = std::fs::read(&file.path).map_err(|e| write_error(file, e))?;
    let mode = std::fs::metadata(&file.path)
        .map_err(|e| write_error(file, e))?
        .permissions()
        .mode()
        & 0o7777;
    crate::repos::layout::write_new_file(&backup.path, &bytes, mode)
        .map_err(|e| write_error(backup, e))
}

/// Whether the file at `path` is a PEM certificate (one `certs` may have
/// made, and may replace after keeping it).
fn is_certificate(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path)
        .is_ok_and(|text| text.trim_start().starts_with("-----BEGIN CERTIFICATE-----"))
}

/// A backup path shown the way its file is.
fn place_beside(file: &Place, backup: std::path::PathBuf) -> Place {
    let name = backup
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shown = match std::path::Path::new(&file.shown).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            parent.join(&name).to_string_lossy().into_owned()
        }
        _ => name,
    };
    Place {
        path: backup,
        shown,
    }
}
