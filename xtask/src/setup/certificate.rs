//! A self-signed certificate for testing (the Indico seed's `openssl req
//! -x509 -nodes -newkey ... -subj /CN=...`), made in process with rcgen.
//! The key is written with mode 0600 from the start: the temporary file it
//! is written to is created 0600 and renamed into place.

use std::path::Path;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};

/// A certificate and its private key, PEM-encoded.
pub struct SelfSigned {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot make the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("`{0}` is no name a certificate can carry")]
    Name(String),
}

/// The key's permission bits: readable by its owner only.
pub const KEY_MODE: u32 = 0o600;

/// A certificate for `cn` (its common name and DNS name), valid from now
/// for `days` days, signed by `key` (a new ECDSA P-256 key when `None`).
pub fn self_signed(cn: &str, days: u32, key: Option<&str>) -> Result<SelfSigned, CertificateError> {
    let key = match key {
        Some(pem) => KeyPair::from_pem(pem)?,
        None => KeyPair::generate()?,
    };
    let mut params = CertificateParams::new(vec![cn.to_string()])
        .map_err(|_| CertificateError::Name(cn.to_string()))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn);
    params.distinguished_name = name;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let start = time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(now);
    params.not_before = start;
    params.not_after = start + time::Duration::days(i64::from(days));
    let cert = params.self_signed(&key)?;
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Writes the key whole or not at all, never readable by others on the way.
pub fn write_key(path: &Path, pem: &str) -> std::io::Result<()> {
    crate::atomic_file::write_with_mode(path, pem, KEY_MODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_and_its_key_are_pem() {
        let made = self_signed("localhost", 30, None).unwrap();
        assert!(made.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(made.key_pem.contains("PRIVATE KEY-----"));
        // A new certificate for the same key keeps the key.
        let again = self_signed("localhost", 30, Some(&made.key_pem)).unwrap();
        assert_eq!(again.key_pem, made.key_pem);
        assert_ne!(again.cert_pem, made.cert_pem);
    }

    #[test]
    fn the_key_is_never_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.key");
        write_key(&path, "secret").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
