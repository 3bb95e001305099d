//! What a Dockerfile builds on: the images its `FROM` instructions name,
//! with build arguments substituted, so that an image built FROM another
//! of `[images]` is built after it.
//!
//! Instructions are read as the Dockerfile reference defines them: one per
//! logical line (a trailing `\` continues it), `#` lines are comments,
//! keywords are case-insensitive; `ARG`s before the first `FROM` give
//! defaults that `--build-arg` overrides; `FROM x AS s` names a stage that
//! a later `FROM s` means instead of an image.

/// The images `text`'s `FROM` instructions name (stages left out), each as
/// written after substitution (`overwatch-base:latest-py3.6.6`).
pub fn base_images(text: &str, build_args: &[(String, String)]) -> Vec<String> {
    let mut args: Vec<(String, String)> = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    let mut images = Vec::new();
    let mut seen_from = false;
    for line in logical_lines(text) {
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if keyword.eq_ignore_ascii_case("ARG") && !seen_from {
            for word in words {
                let (name, default) = word.split_once('=').unwrap_or((word, ""));
                let value = build_args
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or_else(|| unquote(default).to_string(), |(_, v)| v.clone());
                args.push((name.to_string(), value));
            }
        } else if keyword.eq_ignore_ascii_case("FROM") {
            seen_from = true;
            let operands: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
            let Some(image) = operands.first() else {
                continue;
            };
            let image = substitute(image, &args);
            let is_stage = stages.iter().any(|s| *s == image.to_lowercase());
            if let [_, as_word, stage] = operands.as_slice() {
                if as_word.eq_ignore_ascii_case("AS") {
                    stages.push(stage.to_lowercase());
                }
            }
            if !is_stage && image != "scratch" {
                images.push(image);
            }
        }
    }
    images
}

/// The repository of an image reference: without its tag or digest, and
/// without Docker Hub's implied `docker.io/library/`.
pub fn repository_of(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let name = match without_digest[last_slash..].find(':') {
        Some(colon) => &without_digest[..last_slash + colon],
        None => without_digest,
    };
    name.strip_prefix("docker.io/library/")
        .or_else(|| name.strip_prefix("docker.io/"))
        .unwrap_or(name)
}

fn unquote(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

/// Joins continued lines and drops comments, blank lines and the bodies
/// of heredocs (`RUN <<EOF ... EOF`), which hold no instructions.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut heredoc_ends: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(end) = heredoc_ends.first() {
            if line.trim_start_matches('\t') == end || line.trim() == end {
                heredoc_ends.remove(0);
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with('#') && current.is_empty() || trimmed.is_empty() {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                heredoc_ends = heredoc_delimiters(&current);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The delimiters of the heredocs an instruction opens (`<<EOF`,
/// `<<-"EOF"`), in order.
fn heredoc_delimiters(instruction: &str) -> Vec<String> {
    instruction
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("<<"))
        .map(|word| word.trim_start_matches('-').trim_matches(['"', '\'']))
        .filter(|word| {
            !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(String::from)
        .collect()
}

/// `$NAME` and `${NAME}` from `args` (unset ones become empty, as Docker does).
fn substitute(word: &str, args: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                chars.next();
            } else {
                break;
            }
        }
        if braced {
            // `${NAME:-default}` and friends: keep only the name's value.
            for c in chars.by_ref() {
                if c == '}' {
                    break;
                }
            }
        }
        if let Some((_, value)) = args.iter().find(|(k, _)| *k == name) {
            out.push_str(value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn from_lines_name_their_images_with_build_arguments() {
        let text = "# syntax=docker/dockerfile:1\n\
                    ARG PYTHON_VERSION=2.7.15\n\
                    ARG BASE=\"overwatch-base\"\n\
                    FROM --platform=linux/amd64 ${BASE}:latest-py$PYTHON_VERSION AS build\n\
                    RUN echo \\\n  FROM nothing\n\
                    RUN <<EOF cat > /x\nFROM not-an-instruction\nEOF\n\
                    from build\n\
                    FROM scratch\n\
                    COPY --from=build /a /a\n";
        assert_eq!(
            base_images(text, &args(&[])),
            ["overwatch-base:latest-py2.7.15"]
        );
        assert_eq!(
            base_images(text, &args(&[("PYTHON_VERSION", "3.6.6")])),
            ["overwatch-base:latest-py3.6.6"]
        );
    }

    #[test]
    fn repositories_lose_their_tags_and_digests() {
        assert_eq!(repository_of("overwatch-base:latest-py3"), "overwatch-base");
        assert_eq!(repository_of("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000/a/b");
        assert_eq!(repository_of("127.0.0.1:5000/a"), "127.0.0.1:5000/a");
        assert_eq!(repository_of("a@sha256:00"), "a");
        assert_eq!(repository_of("docker.io/library/debian:12"), "debian");
    }
}
