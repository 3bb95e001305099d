//! A compose file's YAML as a small tree: read with `saphyr` (aliases
//! resolved by its loader), merge keys (`<<: *default`) applied, every
//! scalar kept as its text, mappings in document order. Compose's own model
//! (`compose config --format json`) reads into the same tree, JSON being
//! YAML.

use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};

/// One node of a compose file.
#[derive(Debug, Clone, PartialEq)]
pub enum YamlNode {
    /// `~`, `null`, an empty value, or something compose would refuse (an
    /// unresolvable alias).
    Null,
    /// Any scalar, as text: `8080`, `true` and `"8080"` all read `8080`.
    Scalar(String),
    List(Vec<YamlNode>),
    /// Keys as text, in document order, each once.
    Map(Vec<(String, YamlNode)>),
}

/// A YAML syntax error: where the parser stopped and its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Byte offset in the text where the parser stopped.
    pub offset: usize,
    /// The parser's own words.
    pub message: String,
}

impl YamlError {
    fn from_scan(text: &str, error: &saphyr_parser::ScanError) -> Self {
        // The parser counts characters; spans here are bytes.
        let offset = text
            .char_indices()
            .nth(error.marker().index())
            .map_or(text.len(), |(at, _)| at);
        Self {
            offset,
            message: error.info().to_string(),
        }
    }
}

/// The documents of `text` (a file may hold several, `---` apart), or its
/// first syntax error.
pub fn parse_documents(text: &str) -> Result<Vec<YamlNode>, YamlError> {
    let documents =
        YamlOwned::load_from_str(text).map_err(|error| YamlError::from_scan(text, &error))?;
    Ok(documents.iter().map(YamlNode::from_saphyr).collect())
}

impl YamlNode {
    fn from_saphyr(node: &YamlOwned) -> Self {
        match node {
            YamlOwned::Value(scalar) => match scalar {
                ScalarOwned::Null => YamlNode::Null,
                ScalarOwned::Boolean(b) => YamlNode::Scalar(b.to_string()),
                ScalarOwned::Integer(i) => YamlNode::Scalar(i.to_string()),
                ScalarOwned::FloatingPoint(f) => YamlNode::Scalar(f.to_string()),
                ScalarOwned::String(s) => YamlNode::Scalar(s.clone()),
            },
            YamlOwned::Representation(text, _, _) => YamlNode::Scalar(text.clone()),
            YamlOwned::Sequence(items) => {
                YamlNode::List(items.iter().map(YamlNode::from_saphyr).collect())
            }
            YamlOwned::Mapping(entries) => {
                let mut own = Vec::new();
                let mut merged = Vec::new();
                for (key, value) in entries {
                    let key = YamlNode::from_saphyr(key).key_text();
                    if key == "<<" {
                        merged.push(YamlNode::from_saphyr(value));
                    } else {
                        set_key(&mut own, key, YamlNode::from_saphyr(value));
                    }
                }
                // A merge key fills in what the mapping does not say itself;
                // of several merged mappings, the first to say a key wins.
                for source in merged {
                    let sources = match source {
                        YamlNode::List(items) => items,
                        other => vec![other],
                    };
                    for source in sources {
                        if let YamlNode::Map(entries) = source {
                            for (key, value) in entries {
                                if !own.iter().any(|(k, _)| *k == key) {
                                    own.push((key, value));
                                }
                            }
                        }
                    }
                }
                YamlNode::Map(own)
            }
            YamlOwned::Tagged(_, inner) => YamlNode::from_saphyr(inner),
            YamlOwned::Alias(_) | YamlOwned::BadValue => YamlNode::Null,
        }
    }

    /// A key's text (compose keys are scalars; others read as empty).
    fn key_text(&self) -> String {
        match self {
            YamlNode::Scalar(text) => text.clone(),
            _ => String::new(),
        }
    }

    /// The value at `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&YamlNode> {
        match self {
            YamlNode::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries of a mapping (none for anything else).
    pub fn entries(&self) -> &[(String, YamlNode)] {
        match self {
            YamlNode::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a list (none for anything else).
    pub fn items(&self) -> &[YamlNode] {
        match self {
            YamlNode::List(items) => items,
            _ => &[],
        }
    }

    /// A scalar's text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            YamlNode::Scalar(text) => Some(text),
            _ => None,
        }
    }

    /// Removes and returns the value at `key` of a mapping.
    pub fn remove(&mut self, key: &str) -> Option<YamlNode> {
        let YamlNode::Map(entries) = self else {
            return None;
        };
        let at = entries.iter().position(|(k, _)| k == key)?;
        Some(entries.remove(at).1)
    }

    /// Every scalar, changed in place by `change` (compose interpolates
    /// values, never keys).
    pub fn map_scalars(&mut self, change: &mut impl FnMut(&mut String)) {
        match self {
            YamlNode::Scalar(text) => change(text),
            YamlNode::List(items) => items.iter_mut().for_each(|i| i.map_scalars(change)),
            YamlNode::Map(entries) => entries.iter_mut().for_each(|(_, v)| v.map_scalars(change)),
            YamlNode::Null => {}
        }
    }

    /// `over` laid on `self` the way compose merges an override file or an
    /// `extends`: mappings key by key, `ports` and `expose` lists appended
    /// (each entry once), any other value replaced, empty values ignored.
    pub fn merge(self, over: YamlNode) -> YamlNode {
        merge_at("", self, over)
    }
}

fn set_key(entries: &mut Vec<(String, YamlNode)>, key: String, value: YamlNode) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

/// Lists compose appends rather than replaces when files merge.
const APPENDED_LISTS: [&str; 2] = ["ports", "expose"];

fn merge_at(key: &str, base: YamlNode, over: YamlNode) -> YamlNode {
    match (base, over) {
        (YamlNode::Map(mut base), YamlNode::Map(over)) => {
            for (k, value) in over {
                match base.iter().position(|(b, _)| *b == k) {
                    Some(at) => {
                        let old = std::mem::replace(&mut base[at].1, YamlNode::Null);
                        base[at].1 = merge_at(&k, old, value);
                    }
                    None => base.push((k, value)),
                }
            }
            YamlNode::Map(base)
        }
        (YamlNode::List(mut base), YamlNode::List(over)) if APPENDED_LISTS.contains(&key) => {
            for item in over {
                if !base.contains(&item) {
                    base.push(item);
                }
            }
            YamlNode::List(base)
        }
        // An empty override (`web:` with nothing under it) changes nothing.
        (base, YamlNode::Null) => base,
        (_, over) => over,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> YamlNode {
        let mut documents = parse_documents(text).expect("valid YAML");
        assert_eq!(documents.len(), 1);
        documents.remove(0)
    }

    #[test]
    fn flow_style_reads_like_block_style() {
        let flow = one("services: {web: {image: x, ports: [\"127.0.0.1:45000:80\"]}}\n");
        let block =
            one("services:\n  web:\n    image: x\n    ports:\n      - \"127.0.0.1:45000:80\"\n");
        assert_eq!(flow, block);
    }

    #[test]
    fn merge_keys_fill_in_and_never_override() {
        let node = one("x-base: &base\n  image: base\n  ports: [\"1:1\"]\nservices:\n  web:\n    <<: *base\n    image: own\n");
        let web = node.get("services").and_then(|s| s.get("web")).unwrap();
        assert_eq!(web.get("image").and_then(YamlNode::as_str), Some("own"));
        assert_eq!(web.get("ports").map(|p| p.items().len()), Some(1));
        assert!(web.get("<<").is_none());
    }

    #[test]
    fn a_list_of_merged_mappings_lets_the_first_win() {
        let node = one("a: &a {k: from-a}\nb: &b {k: from-b, j: from-b}\nc:\n  <<: [*a, *b]\n");
        let c = node.get("c").unwrap();
        assert_eq!(c.get("k").and_then(YamlNode::as_str), Some("from-a"));
        assert_eq!(c.get("j").and_then(YamlNode::as_str), Some("from-b"));
    }

    #[test]
    fn several_documents_are_kept_apart() {
        let documents = parse_documents("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(documents.len(), 2);
    }

    #[test]
    fn merging_appends_ports_and_replaces_the_rest() {
        let base = one("ports: [\"1:1\"]\ncommand: [a]\nenvironment: {A: 1}\n");
        let over = one("ports: [\"2:2\", \"1:1\"]\ncommand: [b]\nenvironment: {B: 2}\n");
        let merged = base.merge(over);
        assert_eq!(
            merged.clone().merge(one("ports:\n")),
            merged,
            "an empty value overrides nothing"
        );
        assert_eq!(merged.get("ports").unwrap().items().len(), 2);
        assert_eq!(merged.get("command").unwrap().items().len(), 1);
        assert_eq!(merged.get("environment").unwrap().entries().len(), 2);
    }

    #[test]
    fn syntax_errors_are_found_with_their_place() {
        assert!(parse_documents("services:\n  web: {image: x}\n").is_ok());
        let text = "services:\n  wéb:\n    image: x\n   bad: [\n";
        let error = parse_documents(text).expect_err("an error");
        assert_eq!(&text[error.offset..error.offset + 4], "bad:", "{error:?}");
        assert!(!error.message.is_empty());
        assert!(parse_documents("a: 'open\n").is_err());
    }
}
