//! The one place that hides secrets in what we print or write: passwords
//! and tokens in URLs (`https://user:s3cret@host`, `?private_token=...`).
//! Every printer (`Ui`, plan lines, dry runs, reports) and every writer
//! (`repos.lock`) goes through here, so no path can leak a credential.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Query keys whose values are credentials (matched case-insensitively, as
/// substrings: `access_token`, `X-Amz-Signature`, `private_token`, `apikey`).
const SECRET_QUERY_KEYS: [&str; 8] = [
    "token",
    "key",
    "secret",
    "pass",
    "sig",
    "auth",
    "credential",
    "session",
];

/// A URL as it may be shown: the userinfo of web URLs (where a lone user
/// name is usually a token) and any password masked, and the values of
/// token-like query parameters masked. Other strings are returned as they are.
pub fn url(text: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Cow::Borrowed(text);
    };
    let scheme_lower = scheme.to_ascii_lowercase();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let mut changed = false;
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let ssh = scheme_lower.contains("ssh");
            match userinfo.split_once(':') {
                // ssh://git@host: the user name is an account, not a secret.
                None if ssh => format!("{userinfo}@{host}"),
                Some((user, _)) if ssh => {
                    changed = true;
                    format!("{user}:{MASK}@{host}")
                }
                _ => {
                    changed = true;
                    format!("{MASK}@{host}")
                }
            }
        }
        None => authority.to_string(),
    };
    let tail = match mask_query(tail) {
        Cow::Owned(masked) => {
            changed = true;
            masked
        }
        Cow::Borrowed(same) => same.to_string(),
    };
    if changed {
        Cow::Owned(format!("{scheme}://{authority}{tail}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Masks the values of token-like parameters in `?a=b&c=d`.
fn mask_query(tail: &str) -> Cow<'_, str> {
    let Some(start) = tail.find('?') else {
        return Cow::Borrowed(tail);
    };
    let end = tail[start..].find('#').map_or(tail.len(), |i| start + i);
    let query = &tail[start + 1..end];
    let mut changed = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() && is_secret_key(key) => {
                changed = true;
                format!("{key}={MASK}")
            }
            _ => pair.to_string(),
        })
        .collect();
    if !changed {
        return Cow::Borrowed(tail);
    }
    Cow::Owned(format!(
        "{}?{}{}",
        &tail[..start],
        pairs.join("&"),
        &tail[end..]
    ))
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_QUERY_KEYS.iter().any(|k| key.contains(k))
}

/// A URL with its credentials removed rather than masked, for files we
/// write (`repos.lock`): `https://user:pw@host/x` -> `https://host/x`.
pub fn without_credentials(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = match authority.rsplit_once('@') {
        // ssh users are accounts, not secrets; their passwords are dropped.
        Some((userinfo, host)) if scheme.to_ascii_lowercase().contains("ssh") => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{user}@{host}")
        }
        Some((_, host)) => host.to_string(),
        None => authority.to_string(),
    };
    let tail = mask_query(tail);
    format!("{scheme}://{host}{tail}")
}

fn url_pattern() -> Option<&'static Regex> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r#"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'"<>`]+"#).ok())
        .as_ref()
}

/// Any text (a message of ours, git's stderr, a command line) with every URL
/// in it masked by [`url`].
pub fn text(text: &str) -> Cow<'_, str> {
    let text = assignments(text);
    if !text.contains("://") {
        return text;
    }
    let Some(pattern) = url_pattern() else {
        return text;
    };
    match pattern.replace_all(&text, |found: &regex::Captures<'_>| {
        url(&found[0]).into_owned()
    }) {
        Cow::Borrowed(_) => text,
        Cow::Owned(masked) => Cow::Owned(masked),
    }
}

/// `PGPASSWORD=s3cret`, `API_TOKEN: abc`, `--password=x`: the values of
/// password-, secret- and token-like keys (case-insensitive), in any text.
fn assignments(text: &str) -> Cow<'_, str> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(r"(?i)\b([A-Za-z0-9_.-]*(?:password|passwd|secret|token)[A-Za-z0-9_]*)(\s*[=:]\s*)([^\s'\x22,;&]+|'[^']*'|\x22[^\x22]*\x22)").ok()
    });
    let Some(pattern) = pattern else {
        return Cow::Borrowed(text);
    };
    pattern.replace_all(text, |found: &regex::Captures<'_>| {
        format!("{}{}{MASK}", &found[1], &found[2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_like_assignments_are_masked() {
        assert_eq!(text("PGPASSWORD=s3cret psql"), "PGPASSWORD=*** psql");
        assert_eq!(text("-e DB_SECRET='a b' x"), "-e DB_SECRET=*** x");
        assert_eq!(text("api_token: abc"), "api_token: ***");
        assert_eq!(text("-e PGPASSWORD psql"), "-e PGPASSWORD psql");
        assert_eq!(text("password_env = \"X\""), "password_env = ***");
    }

    #[test]
    fn passwords_and_tokens_in_urls_are_masked() {
        assert_eq!(
            url("https://user:s3cret@example.com/x.git"),
            "https://***@example.com/x.git"
        );
        assert_eq!(
            url("https://ghp_abc123@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            url("ssh://git@host:22/r.git"),
            "ssh://git@host:22/r.git",
            "an ssh account name is not a secret"
        );
        assert_eq!(url("ssh://git:pw@host/r.git"), "ssh://git:***@host/r.git");
        assert_eq!(
            url("https://host/r.git?private_token=abc&ref=main#frag"),
            "https://host/r.git?private_token=***&ref=main#frag"
        );
        assert_eq!(url("git@github.com:o/r.git"), "git@github.com:o/r.git");
        assert_eq!(url("/srv/git/r.git"), "/srv/git/r.git");
        // A user name with an @ in it: the last @ ends the userinfo.
        assert_eq!(url("https://me@corp:pw@host/r"), "https://***@host/r");
    }

    #[test]
    fn urls_inside_messages_are_masked() {
        assert_eq!(
            text("fatal: repository 'https://u:s3cret@h/x.git/' not found"),
            "fatal: repository 'https://***@h/x.git/' not found"
        );
        assert_eq!(
            text("clone https://u:p@a/x into b, then http://t@b/y"),
            "clone https://***@a/x into b, then http://***@b/y"
        );
        assert_eq!(text("nothing secret here"), "nothing secret here");
    }

    #[test]
    fn files_get_urls_without_credentials() {
        assert_eq!(
            without_credentials("https://user:s3cret@example.com/x.git"),
            "https://example.com/x.git"
        );
        assert_eq!(
            without_credentials("ssh://git:pw@host/r.git"),
            "ssh://git@host/r.git"
        );
        assert_eq!(without_credentials("/srv/r.git"), "/srv/r.git");
    }
}
