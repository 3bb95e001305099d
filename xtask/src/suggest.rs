//! "Did you mean ...?": the closest known name to a mistyped one.

/// The closest of `candidates` to `name`, when close enough to suggest: a
/// few edits away, or a name it abbreviates (`prod` for `production`).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let abbreviates = |c: &str| name.chars().count() >= 2 && c.starts_with(name);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(c, name), c))
        .filter(|(distance, c)| *distance <= name.chars().count().max(2) / 2 + 1 || abbreviates(c))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        assert_eq!(closest("lnt", ["lint", "test", "fresh"]), Some("lint"));
        assert_eq!(closest("trytnd", ["trytond", "portal"]), Some("trytond"));
        assert_eq!(closest("xyz", ["lint", "deploy"]), None);
        assert_eq!(
            closest("prod", ["development", "production"]),
            Some("production")
        );
        assert_eq!(closest("p", ["production"]), None);
    }
}
