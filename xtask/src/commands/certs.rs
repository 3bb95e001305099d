//! `certs`: a self-signed certificate and key for testing, written where
//! `[certs]` in tasks.toml says. An existing key is never overwritten
//! without `--force` (and then kept as a backup); the key is created 0600.

use crate::commands::Context;
use crate::config::CertsSpec;
use crate::error::{Error, Result};
use crate::output_files::OutputFiles;
use crate::setup::certificate::{self, KEY_MODE};
use crate::setup::init_plan::{PathResolver, Place};

/// The common name when neither `--cn` nor `[certs] cn` gives one.
const DEFAULT_CN: &str = "localhost";
/// Days of validity when neither `--days` nor `[certs] days` gives them.
const DEFAULT_DAYS: u32 = 365;

/// A self-signed certificate and key for testing ([certs] in tasks.toml)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask -C examples/indico certs             [certs] cert and key, CN from [certs] cn (default localhost)
  cargo xtask -C examples/indico certs --cn indico.example.org --days 30
  cargo xtask -C examples/indico certs --force     a new key and certificate; the old ones kept as NAME.bak
  cargo xtask -C examples/indico --dry-run certs   what would be written, nothing done
(this repository's stack has no [certs]; examples/indico has)")]
pub struct CertsArgs {
    /// The certificate's common name (also its DNS name); default: [certs] cn, else localhost
    #[arg(long, value_name = "NAME")]
    pub cn: Option<String>,
    /// Days the certificate is valid; default: [certs] days, else 365
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: Option<u32>,
    /// Replace an existing key and certificate, keeping the old ones as backups
    #[arg(long)]
    pub force: bool,
}

/// What `certs` will write.
enum Work {
    /// Both exist: nothing to do.
    Kept,
    /// A new certificate for the existing key.
    CertOnly,
    /// A new key and certificate; `backups` are (file, its backup).
    Both { backups: Vec<(Place, Place)> },
}

impl CertsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let Some(spec) = &workspace.tasks.certs else {
            return Err(Error::usage_with_help(
                "tasks.toml has no [certs]: there is nowhere to write a certificate",
                "add e.g. [certs] cert = \"ssl/server.crt\", key = \"ssl/server.key\", cn = \"localhost\"",
            ));
        };
        let environment = ctx.environment()?;
        let resolver = PathResolver::new(workspace, &environment, spec.outside_root)?;
        let cert = resolver.place(spec.cert.get_ref())?;
        let key = resolver.place(spec.key.get_ref())?;
        let (cn, days) = self.subject(spec)?;
        // `./ssl/../ssl/server.pem` or `ssl2/server.pem` through `ssl2 -> ssl`
        // is the certificate's file: the key written first would be lost.
        let mut outputs = OutputFiles::new();
        outputs
            .add(&key.path, &format!("[certs] key `{}`", spec.key.get_ref()))
            .and_then(|()| {
                outputs.add(
                    &cert.path,
                    &format!("[certs] cert `{}`", spec.cert.get_ref()),
                )
            })
            .map_err(|same| {
                Error::usage_with_help(
                    format!("{same}; nothing was written"),
                    "give the key and the certificate their own files in tasks.toml",
                )
            })?;
        let exists = |place: &Place| place.path.symlink_metadata().is_ok();
        if exists(&cert) && !exists(&key) && !self.force && !is_certificate(&cert.path) {
            return Err(Error::usage_with_help(
                format!(
                    "{cert} exists and is no PEM certificate; it is not replaced without --force; nothing was written"
                ),
                "check [certs] cert in tasks.toml, or pass --force (the file is kept as NAME.bak)",
            ));
        }
        let work = match (exists(&key), exists(&cert), self.force) {
            (true, true, false) => Work::Kept,
            (true, false, false) => Work::CertOnly,
            // A new key (--force, or none yet): whatever it replaces is kept,
            // a certificate left without its key too.
            _ => {
                let mut backups = Vec::new();
                for place in [&key, &cert] {
                    if exists(place) {
                        let backup =
                            crate::repos::layout::next_backup(&place.path).ok_or_else(|| {
                                Error::usage_with_help(
                                    format!("{} has too many backups", place.shown),
                                    "remove some of its NAME.bak.N files",
                                )
                            })?;
                        let backup = place_beside(place, backup);
                        outputs
                            .add(&backup.path, &format!("the backup {backup}"))
                            .map_err(|same| Error::usage(format!("{same}; nothing was written")))?;
                        backups.push((place.clone(), backup));
                    }
                }
                Work::Both { backups }
            }
        };
        if ctx.global.dry_run {
            match &work {
                Work::Kept => crate::outln!(
                    "# nothing to do: {key} and {cert} exist (--force makes new ones, keeping backups)"
                ),
                Work::CertOnly => {
                    crate::outln!("# keep the key {key} (it exists)");
                    crate::outln!("# self-signed certificate CN={cn}, {days} days, for that key -> {cert}");
                }
                Work::Both { backups } => {
                    for (file, backup) in backups {
                        crate::outln!("# keep {file} as {backup}");
                    }
                    crate::outln!("# new ECDSA P-256 key -> {key} (mode {KEY_MODE:04o})");
                    crate::outln!("# self-signed certificate CN={cn}, {days} days -> {cert}");
                }
            }
            return Ok(());
        }
        let existing_key = match &work {
            Work::Kept => {
                ctx.ui.status(
                    "Unchanged",
                    format!("{key} and {cert} exist; nothing to do (--force makes new ones, keeping the old as backups)"),
                );
                return Ok(());
            }
            Work::CertOnly => Some(std::fs::read_to_string(&key.path).map_err(|e| {
                Error::usage_with_help(
                    format!("cannot read the key {key}: {e}; nothing was written"),
                    "check [certs] key in tasks.toml, or pass --force for a new key (the old file is kept as NAME.bak)",
                )
            })?),
            Work::Both { .. } => None,
        };
        let made = certificate::self_signed(&cn, days, existing_key.as_deref()).map_err(|e| {
            match existing_key {
                Some(_) => Error::usage_with_help(
                    format!("{key} exists and is no private key this can sign with ({e}); nothing was written"),
                    "check [certs] key in tasks.toml, or pass --force for a new key (the old file is kept as NAME.bak)",
                ),
                None => Error::usage(e.to_string()),
            }
        })?;
        let io = |place: &Place, e: std::io::Error| {
            Error::Other(anyhow::anyhow!("cannot write {}: {e}", place.shown))
        };
        for place in [&key, &cert] {
            if let Some(folder) = place.path.parent() {
                std::fs::create_dir_all(folder).map_err(|e| io(place, e))?;
            }
        }
        if let Work::Both { backups } = &work {
            for (file, backup) in backups {
                // The backup keeps the file's own mode (0600 for a key).
                let bytes = std::fs::read(&file.path).map_err(|e| io(file, e))?;
                let mode = {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::metadata(&file.path)
                        .map_err(|e| io(file, e))?
                        .permissions()
                        .mode()
                        & 0o7777
                };
                crate::repos::layout::write_new_file(&backup.path, &bytes, mode)
                    .map_err(|e| io(backup, e))?;
                ctx.ui.status("Kept", format!("{file} as {backup}"));
            }
            certificate::write_key(&key.path, &made.key_pem).map_err(|e| io(&key, e))?;
            ctx.ui
                .status("Wrote", format!("key {key} (mode {KEY_MODE:04o})"));
        }
        crate::atomic_file::write_with_mode(&cert.path, &made.cert_pem, 0o644)
            .map_err(|e| io(&cert, e))?;
        ctx.ui.status(
            "Wrote",
            format!("certificate {cert} (CN={cn}, self-signed, valid {days} days)"),
        );
        Ok(())
    }

    /// The common name and days: flags, else `[certs]`, else the defaults.
    fn subject(&self, spec: &CertsSpec) -> Result<(String, u32)> {
        let cn = self
            .cn
            .clone()
            .or_else(|| spec.cn.as_ref().map(|c| c.get_ref().clone()))
            .unwrap_or_else(|| DEFAULT_CN.to_string());
        if cn.trim().is_empty() || cn.chars().any(char::is_control) {
            return Err(Error::usage_with_help(
                format!(
                    "`{}` is no common name",
                    crate::ui::sanitize_for_terminal(&cn)
                ),
                "name the host, e.g. --cn indico.example.org",
            ));
        }
        let days = self
            .days
            .or_else(|| spec.days.as_ref().map(|d| *d.get_ref()))
            .unwrap_or(DEFAULT_DAYS);
        Ok((cn, days))
    }
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
