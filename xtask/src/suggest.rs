//! "Did you mean ...?": the closest known name to a mistyped one.

/// The closest of `candidates` to `name`, when close enough to suggest.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(c, name), c))
        .filter(|(distance, _)| *distance <= name.chars().count().max(2) / 2 + 1)
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
    }
}
