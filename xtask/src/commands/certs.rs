//! `certs`: a self-signed certificate and key for testing, written where
//! `[certs]` in tasks.toml says. An existing key is never overwritten
//! without `--force` (and then kept as a backup); the key is created 0600.

use crate::commands::Context;
use crate::config::CertsSpec;
use crate::error::Result;
use crate::output_files::OutputFiles;
use crate::setup::certs_plan::{CertsError, CertsTarget};
use crate::setup::init_plan::PathResolver;

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

impl CertsArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let spec = workspace
            .tasks
            .certs
            .as_ref()
            .ok_or(CertsError::NoSection)?;
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
            .map_err(CertsError::SameFile)?;
        let target = CertsTarget {
            key,
            cert,
            cn,
            days,
        };
        let work = target.work(self.force, &mut outputs)?;
        if ctx.global.dry_run {
            for line in target.describe(&work) {
                crate::outln!("{line}");
            }
            return Ok(());
        }
        Ok(target.write(&ctx.ui, &work)?)
    }

    /// The common name and days: flags, else `[certs]`, else the defaults.
    fn subject(&self, spec: &CertsSpec) -> Result<(String, u32), CertsError> {
        let cn = self
            .cn
            .clone()
            .or_else(|| spec.cn.as_ref().map(|c| c.get_ref().clone()))
            .unwrap_or_else(|| DEFAULT_CN.to_string());
        if cn.trim().is_empty() || cn.chars().any(char::is_control) {
            return Err(CertsError::CommonName(cn));
        }
        let days = self
            .days
            .or_else(|| spec.days.as_ref().map(|d| *d.get_ref()))
            .unwrap_or(DEFAULT_DAYS);
        Ok((cn, days))
    }
}
