//! The one place that hides secrets in what we print or write, whatever
//! their source (tasks.toml, env files, git's and compose's messages):
//!
//! - the values of secret-looking keys (`PGPASSWORD=x`, `API_KEY: x`,
//!   `DB_PASS=x`, `"token": "x"`, `--password=x`, `AUTH='Bearer x'`);
//! - credentials in URLs of any scheme (`https://tok@host`,
//!   `git://user:pw@host`, `postgres://app:pw@db:5432/x`, `?private_token=x`);
//! - `Bearer`/`Basic`/`token` credentials (`Authorization: Bearer x`);
//! - values known to be secret ([`remember`]), wherever they appear.
//!
//! Prose stays as it is: `admin-password: new copies` is a repository name
//! and a sentence, not a key and its value. Every printer (`Ui`, plan lines,
//! dry runs, `env`, reports) and every writer (`repos.lock`) goes through here.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

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
            // On the web a lone user name is usually a token, and a user
            // name may be one too (`ghp_x:x-oauth-basic@`): all of it goes.
            // Elsewhere (`ssh://git@`, `postgres://app@`) the user is an
            // account and only the password is a secret.
            let web = scheme_lower.starts_with("http");
            match userinfo.split_once(':') {
                None if !web => format!("{userinfo}@{host}"),
                Some((user, _)) if !web => {
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
            Some((key, value)) if !value.is_empty() && is_secret_query_key(key) => {
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

fn is_secret_query_key(key: &str) -> bool {
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

/// Any text (a message of ours, git's stderr, a command line, a value
/// from a file) with every secret in it masked: see the module's list.
pub fn text(text: &str) -> Cow<'_, str> {
    let mut out = assignments(text);
    if out.contains("://") {
        if let Some(pattern) = url_pattern() {
            if let Cow::Owned(masked) = pattern.replace_all(&out, |found: &regex::Captures<'_>| {
                url(&found[0]).into_owned()
            }) {
                out = Cow::Owned(masked);
            }
        }
    }
    if out.contains('@') {
        if let Cow::Owned(masked) = bare_userinfo(&out) {
            out = Cow::Owned(masked);
        }
    }
    if let Cow::Owned(masked) = schemes(&out) {
        out = Cow::Owned(masked);
    }
    if let Cow::Owned(masked) = remembered(&out) {
        out = Cow::Owned(masked);
    }
    out
}

/// The value of `key` as it may be shown: [`MASK`] for a secret-looking key
/// (an empty value stays empty: that it is unset is no secret), else the
/// value with the secrets in it masked (a `DATABASE_URL`'s password).
pub fn value<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret_key(key) && !value.is_empty() {
        Cow::Borrowed(MASK)
    } else {
        text(value)
    }
}

/// Whether `key` names a secret: `PGPASSWORD`, `db_pass`, `PGPASS`,
/// `API_KEY`, `GITHUB_TOKEN`, `aws_secret`, `GOOGLE_CREDENTIALS`, `AUTH`,
/// `--password`, `X-Amz-Signature` (case and separators do not matter).
pub fn is_secret_key(key: &str) -> bool {
    const WORDS: [&str; 13] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "apikey",
        "privatekey",
        "accesskey",
        "authorization",
        "bearer",
        "cookie",
        "signature",
    ];
    let lower = key.trim_start_matches('-').to_ascii_lowercase();
    let joined: String = lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if WORDS.iter().any(|word| joined.contains(word)) {
        return true;
    }
    let segments: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect();
    let compound = segments.len() > 1;
    segments.iter().any(|segment| {
        matches!(*segment, "auth" | "creds" | "sig" | "pass")
            || (compound && matches!(*segment, "pw" | "pwd" | "key" | "keys" | "dsn"))
            // PGPASS, DBPASS, DBPWD; not bypass, compass, OLDPWD.
            || (segment.len() > 4
                && segment.ends_with("pass")
                && !segment.ends_with("bypass")
                && !segment.ends_with("compass"))
            || (segment.len() > 3 && segment.ends_with("pwd") && *segment != "oldpwd")
    })
}

/// `PGPASSWORD=s3cret`, `export DB_PASS='a b'`, `"api_token": "abc"`,
/// `--password=x`, `POSTGRES_PASSWORD: pg-pw` (a YAML line): the values of
/// secret-looking keys. With `:` (prose's separator too), only a quoted
/// value, a lone word ending its line, or the rest of a line that starts
/// with an upper-case variable name count: `admin-password: new copies of
/// their examples` is a sentence.
fn assignments(text: &str) -> Cow<'_, str> {
    // Only a secret-looking key before a separator is masked: text
    // without one costs no regex (compiling it costs more than a listing).
    if !has_secret_key_before_separator(text) {
        return Cow::Borrowed(text);
    }
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(
            r#"(?m)(^|[\s"'{(\[,;])(-{0,2}[A-Za-z_][A-Za-z0-9_.\-]*)(["']?)([ \t]*=[ \t]*|:[ \t]*)('[^'\n]*'|"(?:[^"\\\n]|\\.)*"|\{[^\n]*\}|[^\s'",;&]+)"#,
        )
        .ok()
    });
    let Some(pattern) = pattern else {
        return Cow::Borrowed(text);
    };
    let mut out = String::new();
    let mut copied = 0;
    for found in pattern.captures_iter(text) {
        let (Some(key), Some(separator), Some(value)) = (found.get(2), found.get(4), found.get(5))
        else {
            continue;
        };
        if !is_secret_key(key.as_str()) || value.as_str() == MASK {
            continue;
        }
        let quoted = value.as_str().starts_with(['\'', '"']);
        let line_end = text[value.end()..]
            .find('\n')
            .map_or(text.len(), |i| value.end() + i);
        let rest_of_line = &text[value.end()..line_end];
        let end = if separator.as_str().contains('=') || quoted {
            value.end()
        } else {
            let identifier = !key.as_str().contains(['-', '.']);
            let line_start = text[..key.start()]
                .rsplit('\n')
                .next()
                .is_some_and(|before| before.trim_start_matches([' ', '\t', '-']).is_empty());
            let variable_name =
                key.as_str().contains('_') && !key.as_str().chars().any(|c| c.is_ascii_lowercase());
            if !identifier {
                continue;
            } else if rest_of_line.trim().is_empty() {
                value.end()
            } else if line_start && variable_name {
                line_end
            } else {
                continue;
            }
        };
        out.push_str(&text[copied..value.start()]);
        // A quoted value keeps its quotes: JSON and shell lines stay valid.
        match value.as_str().chars().next() {
            Some(quote @ ('\'' | '"')) if end == value.end() => {
                out.push(quote);
                out.push_str(MASK);
                out.push(quote);
            }
            _ => out.push_str(MASK),
        }
        copied = end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether a word that [`is_secret_key`] before `=` (spaces and a quote
/// between allowed) or `:` (a quote between allowed): a superset of the
/// keys [`assignments`]' pattern can match.
fn has_secret_key_before_separator(text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_key_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    bytes.iter().enumerate().any(|(at, &separator)| {
        if separator != b'=' && separator != b':' {
            return false;
        }
        let mut end = at;
        if separator == b'=' {
            while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
                end -= 1;
            }
        }
        if end > 0 && matches!(bytes[end - 1], b'"' | b'\'') {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && is_key_byte(bytes[start - 1]) {
            start -= 1;
        }
        // Key bytes are ASCII, so both ends are character boundaries.
        start < end && is_secret_key(&text[start..end])
    })
}

/// `user:secret@host` without its scheme, as git prints it (`unable to look
/// up user:secret@host (port 9418)`): the password masked. `git@host:o/r`
/// and `me@example.com` have no password.
fn bare_userinfo(text: &str) -> Cow<'_, str> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(
            r#"(^|[\s'"(\[<=,])([A-Za-z0-9._~%!$&+-]*):([^\s@/'"]+)@([A-Za-z0-9\[][^\s/:'"]*)"#,
        )
        .ok()
    });
    let Some(pattern) = pattern else {
        return Cow::Borrowed(text);
    };
    pattern.replace_all(text, |found: &regex::Captures<'_>| {
        // `postgres:15@sha256:...` is an image and its digest.
        let digest = ["sha256", "sha384", "sha512"].contains(&&found[4]);
        if &found[3] == MASK || digest {
            return found[0].to_string();
        }
        format!("{}{}:{MASK}@{}", &found[1], &found[2], &found[4])
    })
}

/// `Bearer eyJhb...`, `Basic dXNlcjpwdw==`, `token ghp_...`: credentials
/// after an authorization scheme. A word without a digit or a symbol
/// (`Bearer tokens`, `Basic authentication`) is prose.
fn schemes(text: &str) -> Cow<'_, str> {
    // Text naming no scheme costs no regex.
    let lower = text.to_ascii_lowercase();
    if !["bearer", "basic", "token"]
        .iter()
        .any(|s| lower.contains(s))
    {
        return Cow::Borrowed(text);
    }
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(r"(?i)\b(bearer|basic|token)([ \t]+)([A-Za-z0-9._~+/\-]{6,}=*)").ok()
    });
    let Some(pattern) = pattern else {
        return Cow::Borrowed(text);
    };
    pattern.replace_all(text, |found: &regex::Captures<'_>| {
        let credential = &found[3];
        let looks_like_one = credential
            .chars()
            .any(|c| c.is_ascii_digit() || "._~+/-=".contains(c));
        if looks_like_one {
            format!("{}{}{MASK}", &found[1], &found[2])
        } else {
            found[0].to_string()
        }
    })
}

fn secrets() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Remembers a secret's value (of a secret-looking key in tasks.toml or an
/// env file) so that it is masked wherever it appears, also where no key
/// names it (compose's or a tool's message quoting it). Values too short or
/// too plain to tell from words (`postgres`) are left to the key rules.
pub fn remember(value: &str) {
    let value = value.trim();
    let plain = value.chars().all(|c| c.is_ascii_alphabetic());
    if value.len() < 6 || plain || value == MASK {
        return;
    }
    if let Ok(mut known) = secrets().lock() {
        if !known.iter().any(|k| k == value) {
            known.push(value.to_string());
            // Longest first, so that a secret containing another is masked whole.
            known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }
}

/// The remembered secrets in `text` masked.
fn remembered(text: &str) -> Cow<'_, str> {
    let Ok(known) = secrets().lock() else {
        return Cow::Borrowed(text);
    };
    if !known.iter().any(|secret| text.contains(secret.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for secret in known.iter() {
        out = out.replace(secret.as_str(), MASK);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_like_assignments_are_masked() {
        assert_eq!(text("PGPASSWORD=s3cret psql"), "PGPASSWORD=*** psql");
        assert_eq!(text("-e DB_SECRET='a b' x"), "-e DB_SECRET='***' x");
        assert_eq!(text("api_token: abc"), "api_token: ***");
        assert_eq!(text("-e PGPASSWORD psql"), "-e PGPASSWORD psql");
        assert_eq!(text("password_env = \"X\""), "password_env = \"***\"");
    }

    #[test]
    fn every_form_of_secret_key_is_masked() {
        for (line, shown) in [
            ("API_KEY=abc123", "API_KEY=***"),
            ("api_key=abc123", "api_key=***"),
            ("AUTH='Bearer eyJhbGciOi.x'", "AUTH='***'"),
            ("DB_PASS=hunter22", "DB_PASS=***"),
            ("PGPASS=hunter22", "PGPASS=***"),
            ("SSH_KEY=/keys/id", "SSH_KEY=***"),
            ("GOOGLE_CREDENTIALS={\"a\":1}", "GOOGLE_CREDENTIALS=***"),
            (
                "export POSTGRES_PASSWORD=pg-pw-777",
                "export POSTGRES_PASSWORD=***",
            ),
            (
                "export db_password=\"two words\" then",
                "export db_password=\"***\" then",
            ),
            ("  POSTGRES_PASSWORD: pg-pw-777", "  POSTGRES_PASSWORD: ***"),
            ("  POSTGRES_PASSWORD: two words", "  POSTGRES_PASSWORD: ***"),
            ("  password: 'quoted value'", "  password: '***'"),
            (
                "{\"api_token\": \"abc\", \"x\": 1}",
                "{\"api_token\": \"***\", \"x\": 1}",
            ),
            ("psql --password=s3cret -h db", "psql --password=*** -h db"),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1",
                "Authorization: Bearer ***",
            ),
            ("header: token ghp_abcdef123456", "header: token ***"),
        ] {
            assert_eq!(text(line), shown, "{line}");
        }
    }

    #[test]
    fn the_quick_look_for_a_secret_key_misses_none_the_pattern_masks() {
        for line in [
            "PGPASSWORD=s3cret",
            "x PGPASSWORD  =  s3cret",
            "\"api_token\": \"abc\"",
            "'db_pass'='x'",
            "--password=x",
            "  POSTGRES_PASSWORD: pg-pw",
            "a=PASSWORD=x",
            "{\"secret\":\"v\"}",
            "é DB_SECRET=ü",
            "---password=x",
        ] {
            assert!(has_secret_key_before_separator(line), "{line}");
        }
        for line in [
            "Usage: xtask [OPTIONS]",
            "a=b c:d",
            "see https://x.org/a",
            "PASSWORD x = y",
        ] {
            assert!(!has_secret_key_before_separator(line), "{line}");
            assert_eq!(assignments(line), line);
        }
    }

    #[test]
    fn prose_is_not_a_key_and_its_value() {
        for line in [
            "admin-password: new copies of their examples",
            "review admin-password: new copies of their examples, to fill in",
            "review db_password: new copies of their examples",
            "admin-password: cloned",
            "unknown key: foo",
            "Bearer tokens and Basic authentication are masked",
            "the token expired",
            "-e PGPASSWORD psql",
            "PWD=/home/me OLDPWD=/tmp bypass=1",
            "ssh://git@host:22/r.git and postgres://app@db:5432/shop",
            "mail me@example.com",
        ] {
            assert_eq!(text(line), line);
        }
    }

    #[test]
    fn urls_of_every_scheme_lose_their_passwords() {
        for (line, shown) in [
            ("git://user:secret@host/r.git", "git://user:***@host/r.git"),
            (
                "DATABASE_URL=postgres://app:pw-9@db:5432/shop",
                "DATABASE_URL=postgres://app:***@db:5432/shop",
            ),
            ("postgresql://u:p@h/d", "postgresql://u:***@h/d"),
            (
                "mysql://root:rootpw@127.0.0.1:3306",
                "mysql://root:***@127.0.0.1:3306",
            ),
            ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
            ("amqp://guest:guest@mq:5672/", "amqp://guest:***@mq:5672/"),
            (
                "fatal: unable to access 'https://tok@github.com/o/r/': 403",
                "fatal: unable to access 'https://***@github.com/o/r/': 403",
            ),
            (
                "fatal: unable to look up user:secret@127.0.0.1:9 (port 9418)",
                "fatal: unable to look up user:***@127.0.0.1:9 (port 9418)",
            ),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            (
                "Pulling postgres:15@sha256:0123abcd done",
                "Pulling postgres:15@sha256:0123abcd done",
            ),
            (
                "see redis://u:pw@cache:6379 then",
                "see redis://u:***@cache:6379 then",
            ),
        ] {
            assert_eq!(text(line), shown, "{line}");
        }
    }

    #[test]
    fn values_of_secret_keys_are_masked_whole() {
        assert_eq!(value("POSTGRES_PASSWORD", "pg-pw-777"), MASK);
        assert_eq!(value("POSTGRES_PASSWORD", ""), "");
        assert_eq!(value("PORT", "8080"), "8080");
        assert_eq!(
            value("DATABASE_URL", "postgres://app:pw@db/x"),
            "postgres://app:***@db/x"
        );
        assert_eq!(
            value("API_URL", "https://api.example.com/v1?api_key=k123"),
            "https://api.example.com/v1?api_key=***"
        );
    }

    #[test]
    fn remembered_secrets_are_masked_wherever_they_appear() {
        remember("zq-remembered-91");
        remember("postgres");
        assert_eq!(
            text("compose: password zq-remembered-91 rejected by postgres"),
            "compose: password *** rejected by postgres"
        );
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
