//! `.vscode/launch.json` is JSON with comments (and trailing commas): an
//! attach configuration is put in by editing the text where it belongs, so
//! the user's other entries, comments and layout stay exactly as they were.
//! The file is read by `jsonc-parser` (its syntax tree gives each member's
//! and element's place in the text); a file it cannot read is refused,
//! never rewritten. The file's line endings are kept, our entry goes after
//! everything the user wrote in the list (comments included), and nesting
//! deeper than [`MAX_DEPTH`] is refused before anything recurses into it.

use jsonc_parser::ast::{Array, Object, Value as Node};
use jsonc_parser::common::Ranged;
use jsonc_parser::tokens::{Token, TokenAndRange};
use jsonc_parser::{
    CollectOptions, CommentCollectionStrategy, ParseOptions, Scanner, ScannerOptions,
};
use serde_json::Value;

/// What adding an entry did to the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A new file, holding only the entry.
    Created(String),
    /// The entry was appended to `configurations`.
    Added(String),
    /// An entry with the same name was replaced.
    Replaced(String),
    /// The same entry is already there.
    Unchanged,
}

/// Why the file was left alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LaunchJsonError(pub String);

/// The deepest nesting of lists and objects read; deeper is refused.
pub const MAX_DEPTH: usize = 64;

/// The text of a launch.json holding only `entry`.
pub fn new_file(entry: &Value) -> String {
    format!(
        "{{\n  \"version\": \"0.2.0\",\n  \"configurations\": [\n    {}\n  ]\n}}\n",
        indented(entry, "    ", "  ")
    )
}

/// Puts `entry` (an object with a `name`) into the launch.json `text`:
/// replaces the configuration with the same name, else appends it.
pub fn upsert(text: &str, entry: &Value) -> Result<Edit, LaunchJsonError> {
    let name = entry
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| LaunchJsonError("the entry has no name".into()))?;
    // The parser reads no byte-order mark: spaces of its length keep every offset.
    let readable = match text.strip_prefix('\u{feff}') {
        Some(rest) => std::borrow::Cow::Owned(format!("   {rest}")),
        None => std::borrow::Cow::Borrowed(text),
    };
    let file = Jsonc::parse(&readable)?;
    let Some(Node::Object(root)) = &file.root else {
        return Err(LaunchJsonError("the file is not a JSON object".into()));
    };
    let line_indent = |pos: usize| -> String {
        let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
        text[start..pos]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect()
    };
    // One level of the file's own indentation: its first key's.
    let unit = root
        .properties
        .first()
        .map(|m| line_indent(m.start()))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "  ".to_string());
    // Our text gets the file's own line endings.
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let ours = |fragment: String| fragment.replace('\n', eol);
    let configurations = root
        .properties
        .iter()
        .find(|m| m.name.as_str() == "configurations");
    match configurations {
        Some(member) => {
            let Node::Array(list) = &member.value else {
                return Err(LaunchJsonError("`configurations` is not a list".into()));
            };
            let indent = match list.elements.first() {
                Some(first) => line_indent(first.start()),
                None => format!("{}{unit}", line_indent(member.start())),
            };
            for item in &list.elements {
                if item_name(item) == Some(name) {
                    let span = item.range();
                    if Value::from(item.clone()) == *entry {
                        return Ok(Edit::Unchanged);
                    }
                    let mut out = String::with_capacity(text.len());
                    out.push_str(&text[..span.start]);
                    out.push_str(&ours(indented(entry, &indent, &unit)));
                    out.push_str(&text[span.end..]);
                    return Ok(Edit::Replaced(out));
                }
            }
            Ok(Edit::Added(append(
                text,
                &file.last_of_list(list),
                &ours(indented(entry, &indent, &unit)),
                &indent,
                &line_indent(member.start()),
                eol,
            )))
        }
        None => {
            let indent = match root.properties.first() {
                Some(first) => line_indent(first.start()),
                None => "  ".to_string(),
            };
            let inner = format!("{indent}{unit}");
            let block = ours(format!(
                "\"configurations\": [\n{inner}{}\n{indent}]",
                indented(entry, &inner, &unit)
            ));
            Ok(Edit::Added(append(
                text,
                &file.last_of_object(root),
                &block,
                &indent,
                &line_indent(root.start()),
                eol,
            )))
        }
    }
}

/// A launch.json as `jsonc-parser` reads it: its value and its tokens
/// (comments left out), which say where commas stand.
struct Jsonc<'a> {
    root: Option<Node<'a>>,
    tokens: Vec<TokenAndRange<'a>>,
}

impl<'a> Jsonc<'a> {
    /// JSON with comments and trailing commas, as VS Code reads launch.json;
    /// none of JSON5's other liberties.
    fn options() -> ParseOptions {
        ParseOptions {
            allow_comments: true,
            allow_trailing_commas: true,
            allow_loose_object_property_names: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        }
    }

    fn parse(text: &'a str) -> Result<Self, LaunchJsonError> {
        refuse_deep_nesting(text)?;
        let collect = CollectOptions {
            comments: CommentCollectionStrategy::Off,
            tokens: true,
        };
        let parsed = jsonc_parser::parse_to_ast(text, &collect, &Self::options())
            .map_err(|e| LaunchJsonError(e.to_string()))?;
        Ok(Self {
            root: parsed.value,
            tokens: parsed.tokens.unwrap_or_default(),
        })
    }

    /// Whether a comma comes right after `end` (comments between are no tokens).
    fn comma_after(&self, end: usize) -> bool {
        self.tokens
            .iter()
            .find(|t| t.range.start >= end)
            .is_some_and(|t| t.token == Token::Comma)
    }

    fn last_of_list(&self, list: &Array) -> Last {
        let end = list.elements.last().map(Ranged::end);
        Last {
            end,
            comma: end.is_some_and(|end| self.comma_after(end)),
            close: list.end() - 1,
        }
    }

    fn last_of_object(&self, object: &Object) -> Last {
        let end = object.properties.last().map(Ranged::end);
        Last {
            end,
            comma: end.is_some_and(|end| self.comma_after(end)),
            close: object.end() - 1,
        }
    }
}

/// Refuses nesting deeper than [`MAX_DEPTH`] from the tokens alone, before
/// the parser recurses into it.
fn refuse_deep_nesting(text: &str) -> Result<(), LaunchJsonError> {
    let mut scanner = Scanner::new(text, &ScannerOptions::default());
    let mut depth = 0usize;
    // What the scanner cannot read, the parser refuses with its position.
    while let Ok(Some(token)) = scanner.scan() {
        match token {
            Token::OpenBrace | Token::OpenBracket => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let line = text[..scanner.token_start()].matches('\n').count() + 1;
                    return Err(LaunchJsonError(format!(
                        "line {line}: nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            Token::CloseBrace | Token::CloseBracket => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Where a list (or object) ends: its last element's end, whether a comma
/// follows it, and where its closing bracket is.
struct Last {
    end: Option<usize>,
    comma: bool,
    close: usize,
}

/// `text` with `element` added as the list's (or object's) last element:
/// after everything the user wrote before the closing bracket, comments on
/// the last element's line and below included; a trailing comma when the
/// file uses them, a comma after the last element when it has none.
fn append(
    text: &str,
    last: &Last,
    element: &str,
    indent: &str,
    close_indent: &str,
    eol: &str,
) -> String {
    let line_start = text[..last.close].rfind('\n').map_or(0, |i| i + 1);
    let own_line = text[line_start..last.close].trim().is_empty();
    let comma_after = if last.comma { "," } else { "" };
    let (at, piece) = if own_line {
        (line_start, format!("{indent}{element}{comma_after}{eol}"))
    } else {
        (
            last.close,
            format!("{eol}{indent}{element}{comma_after}{eol}{close_indent}"),
        )
    };
    let mut out = String::with_capacity(text.len() + piece.len() + 1);
    match last.end.filter(|_| !last.comma) {
        Some(end) => {
            out.push_str(&text[..end]);
            out.push(',');
            out.push_str(&text[end..at]);
        }
        None => out.push_str(&text[..at]),
    }
    out.push_str(&piece);
    out.push_str(&text[at..]);
    out
}

/// `value` pretty-printed with `unit` per level, every line after the
/// first indented by `indent`; the entry's keys in the order VS Code's
/// own snippets use (`name`, `type`, `request` first).
fn indented(value: &Value, indent: &str, unit: &str) -> String {
    let mut out = String::new();
    pretty(value, indent, unit, true, &mut out);
    out
}

const KEY_ORDER: [&str; 5] = ["name", "type", "request", "connect", "pathMappings"];

fn pretty(value: &Value, indent: &str, unit: &str, ordered: bool, out: &mut String) {
    let inner = format!("{indent}{unit}");
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            if ordered {
                keys.sort_by_key(|k| {
                    KEY_ORDER
                        .iter()
                        .position(|o| o == k)
                        .unwrap_or(KEY_ORDER.len())
                });
            }
            out.push_str("{\n");
            for (i, key) in keys.iter().enumerate() {
                out.push_str(&inner);
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push_str(": ");
                pretty(&map[key.as_str()], &inner, unit, false, out);
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(indent);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&inner);
                pretty(item, &inner, unit, false, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(indent);
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The `name` of an array item that is an object.
fn item_name<'n>(item: &'n Node) -> Option<&'n str> {
    let Node::Object(object) = item else {
        return None;
    };
    match &object.get("name")?.value {
        Node::StringLit(name) => Some(&name.value),
        _ => None,
    }
}

/// `text` (JSONC) as strict JSON, read by serde_json.
#[cfg(test)]
fn strict<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::Off,
        tokens: false,
    };
    let value = jsonc_parser::parse_to_ast(text, &collect, &Jsonc::options())
        .ok()?
        .value?;
    serde_json::from_value(Value::from(value)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(port: u16) -> Value {
        json!({"name": "web (xtask attach)", "type": "debugpy", "request": "attach",
               "connect": {"host": "127.0.0.1", "port": port}})
    }

    const USER_FILE: &str = r#"{
    // The team's own entry: keep it.
    "version": "0.2.0",
    "configurations": [
        {
            "name": "Portal Attach", /* ptvsd */
            "type": "python",
            "request": "attach",
            "port": 51000, // the old port
        },
    ],
}
"#;

    #[test]
    fn an_entry_is_appended_and_comments_and_other_entries_stay() {
        let Edit::Added(text) = upsert(USER_FILE, &entry(5678)).unwrap() else {
            panic!("added")
        };
        assert!(
            text.starts_with(&USER_FILE[..USER_FILE.find("},").unwrap() + 2]),
            "{text}"
        );
        assert!(text.contains("// The team's own entry: keep it."), "{text}");
        assert!(
            text.contains("/* ptvsd */") && text.contains("// the old port"),
            "{text}"
        );
        assert!(text.contains("        {\n            \"name\": \"web (xtask attach)\",\n            \"type\": \"debugpy\""), "{text}");
        let value: Value = strict(&text).expect("still JSONC");
        assert_eq!(
            value["configurations"].as_array().unwrap().len(),
            2,
            "{text}"
        );
        assert_eq!(value["configurations"][1], entry(5678));
    }

    #[test]
    fn the_same_name_is_replaced_not_repeated() {
        let Edit::Added(once) = upsert(USER_FILE, &entry(5678)).unwrap() else {
            panic!()
        };
        assert_eq!(upsert(&once, &entry(5678)).unwrap(), Edit::Unchanged);
        let Edit::Replaced(twice) = upsert(&once, &entry(6000)).unwrap() else {
            panic!()
        };
        let value: Value = strict(&twice).unwrap();
        assert_eq!(value["configurations"].as_array().unwrap().len(), 2);
        assert_eq!(value["configurations"][1]["connect"]["port"], 6000);
        assert!(twice.contains("// the old port"));
    }

    #[test]
    fn a_file_without_configurations_or_entries_gets_them() {
        for text in [
            "{}",
            "{\n  \"version\": \"0.2.0\" // v\n}\n",
            "{ \"configurations\": [ ] }",
            "{\"configurations\": [1]}",
        ] {
            let Edit::Added(out) = upsert(text, &entry(1)).unwrap() else {
                panic!("{text}")
            };
            let value: Value = strict(&out).unwrap_or_else(|| panic!("{text} -> {out}"));
            let list = value["configurations"].as_array().unwrap();
            assert_eq!(list.last(), Some(&entry(1)), "{out}");
        }
        let created: Value = serde_json::from_str(&new_file(&entry(1))).unwrap();
        assert_eq!(created["configurations"][0], entry(1));
    }

    #[test]
    fn comments_after_the_last_entry_stay_where_the_user_put_them() {
        for (text, keep_before_ours) in [
            // A trailing comma, a comment on the last entry's line and below.
            ("{\n  \"configurations\": [\n    {\"name\": \"a\"}, // keep\n    // and this\n  ],\n}\n", true),
            // No trailing comma.
            ("{\n  \"configurations\": [\n    {\"name\": \"a\"} // keep\n  ]\n}\n", true),
            ("{\"configurations\": [{\"name\": \"a\"} /* keep */]}", true),
            // An empty list holding only a comment.
            ("{\n  \"configurations\": [\n    // keep\n  ]\n}\n", true),
            // No list: it comes after the last member and its comment.
            ("{\n  \"version\": \"0.2.0\" // keep\n}\n", true),
            ("{\n  \"version\": \"0.2.0\", // keep\n}\n", true),
        ] {
            let Edit::Added(out) = upsert(text, &entry(1)).unwrap() else {
                panic!("{text}")
            };
            let value: Value = strict(&out).unwrap_or_else(|| panic!("{text} -> {out}"));
            assert_eq!(
                value["configurations"].as_array().unwrap().last(),
                Some(&entry(1)),
                "{out}"
            );
            let keep = out.find("keep").unwrap();
            let ours = out.find("web (xtask attach)").unwrap();
            assert_eq!(keep < ours, keep_before_ours, "{text}\n->\n{out}");
            // The comment still ends the line it was on.
            let line = out[..keep].rsplit('\n').next().unwrap();
            assert!(!line.contains("xtask"), "{out}");
            if text.contains("and this") {
                assert!(out.find("and this").unwrap() < ours, "{out}");
            }
        }
    }

    #[test]
    fn crlf_files_keep_crlf_lines() {
        let text = USER_FILE.replace('\n', "\r\n");
        for edited in [
            upsert(&text, &entry(1)).unwrap(),
            upsert("{\r\n  \"version\": \"0.2.0\"\r\n}\r\n", &entry(1)).unwrap(),
        ] {
            let (Edit::Added(out) | Edit::Replaced(out)) = edited else {
                panic!()
            };
            assert_eq!(
                out.matches('\n').count(),
                out.matches("\r\n").count(),
                "{out:?}"
            );
        }
        let Edit::Added(once) = upsert(&text, &entry(1)).unwrap() else {
            panic!()
        };
        let Edit::Replaced(twice) = upsert(&once, &entry(2)).unwrap() else {
            panic!()
        };
        assert_eq!(twice.matches('\n').count(), twice.matches("\r\n").count());
    }

    #[test]
    fn a_byte_order_mark_is_read_and_kept() {
        let text = format!("\u{feff}{}", USER_FILE.replace('\n', "\r\n"));
        let Edit::Added(out) = upsert(&text, &entry(1)).unwrap() else {
            panic!("added")
        };
        assert!(
            out.starts_with(&text[..text.find("},").unwrap() + 2]),
            "{out:?}"
        );
        let Edit::Replaced(again) = upsert(&out, &entry(2)).unwrap() else {
            panic!("replaced")
        };
        assert!(again.starts_with('\u{feff}'), "{again:?}");
        let value: Value = strict(&again).expect("still JSONC");
        assert_eq!(value["configurations"][1], entry(2));
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed_into() {
        for open in ["[", "{\"a\":"] {
            let deep = format!("{{\"configurations\": {}", open.repeat(200_000));
            let error = upsert(&deep, &entry(1)).unwrap_err();
            assert!(error.0.contains("nested deeper than 64 levels"), "{error}");
        }
        let fine = format!(
            "{{\"x\": {}1{}, \"configurations\": []}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(upsert(&fine, &entry(1)).is_ok());
    }

    #[test]
    fn what_it_cannot_read_is_refused() {
        for bad in [
            "{ \"configurations\": [ } ",
            "[1]",
            "{ /* open",
            "{\"a\": 1} x",
            "{\"configurations\": {}}",
        ] {
            assert!(upsert(bad, &entry(1)).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A launch.json as people write them: some entries, comments after
    /// entries and on lines of their own, trailing commas or not, LF or
    /// CRLF, two or four spaces or tabs.
    #[derive(Debug, Clone)]
    struct Written {
        names: Vec<String>,
        comment_after: Vec<Option<bool>>,
        trailing_commas: bool,
        crlf: bool,
        unit: &'static str,
        has_configurations: bool,
    }

    fn written() -> impl Strategy<Value = Written> {
        (
            proptest::collection::vec(("[a-z ]{1,8}", proptest::option::of(any::<bool>())), 0..4),
            any::<bool>(),
            any::<bool>(),
            prop_oneof![Just("  "), Just("    "), Just("\t")],
            any::<bool>(),
        )
            .prop_map(
                |(entries, trailing_commas, crlf, unit, has_configurations)| Written {
                    names: entries.iter().map(|(n, _)| n.clone()).collect(),
                    comment_after: entries.iter().map(|(_, c)| *c).collect(),
                    trailing_commas,
                    crlf,
                    unit,
                    has_configurations,
                },
            )
    }

    impl Written {
        fn text(&self) -> String {
            let u = self.unit;
            let mut out = format!("{{\n{u}// head comment\n{u}\"version\": \"0.2.0\"");
            if self.has_configurations {
                out.push_str(&format!(",\n{u}\"configurations\": [\n"));
                for (i, name) in self.names.iter().enumerate() {
                    let last = i + 1 == self.names.len();
                    let comma = if !last || self.trailing_commas {
                        ","
                    } else {
                        ""
                    };
                    out.push_str(&format!("{u}{u}{{\"name\": \"{name}\"}}{comma}"));
                    match self.comment_after[i] {
                        Some(true) => out.push_str(&format!(" // after {i}\n")),
                        Some(false) => out.push_str(&format!("\n{u}{u}/* below {i} */\n")),
                        None => out.push('\n'),
                    }
                }
                out.push_str(&format!("{u}]"));
            }
            if self.trailing_commas {
                out.push(',');
            }
            out.push_str("\n}\n");
            if self.crlf {
                out = out.replace('\n', "\r\n");
            }
            out
        }
    }

    fn comments(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for marker in ["// ", "/* "] {
            let mut from = 0;
            while let Some(at) = text[from..].find(marker) {
                let start = from + at;
                let end = if marker == "// " {
                    text[start..]
                        .find(['\r', '\n'])
                        .map_or(text.len(), |n| start + n)
                } else {
                    text[start..]
                        .find("*/")
                        .map_or(text.len(), |n| start + n + 2)
                };
                found.push(start);
                from = end;
            }
        }
        found.sort_unstable();
        found
            .into_iter()
            .map(|start| {
                let rest = &text[start..];
                let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
                &rest[..end]
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn an_added_entry_keeps_everything_the_user_wrote(written in written()) {
            let text = written.text();
            let entry = json!({"name": "web: attach (xtask)", "type": "debugpy", "request": "attach"});
            let out = match upsert(&text, &entry).unwrap() {
                Edit::Added(out) => out,
                other => panic!("{other:?}\n{text}"),
            };
            let value: Value = strict(&out).unwrap_or_else(|| panic!("{text}\n->\n{out}"));
            let list = value["configurations"].as_array().unwrap();
            let names: Vec<&str> = list.iter().filter_map(|e| e["name"].as_str()).collect();
            let mut expected: Vec<&str> = written.names.iter().map(String::as_str).collect();
            if !written.has_configurations {
                expected.clear();
            }
            expected.push("web: attach (xtask)");
            prop_assert_eq!(names, expected);
            // Every comment is still there, in the same order, and all of
            // them (each written before the list's end) before our entry.
            prop_assert_eq!(comments(&out), comments(&text), "{}\n->\n{}", text, out);
            let ours = out.find("web: attach (xtask)").unwrap();
            let last_comment = ["// ", "/* "].iter().filter_map(|m| out.rfind(m)).max();
            prop_assert!(last_comment.is_some_and(|at| at < ours), "{}\n->\n{}", text, out);
            if written.crlf {
                prop_assert_eq!(out.matches('\n').count(), out.matches("\r\n").count(), "{:?}", out);
            } else {
                prop_assert!(!out.contains('\r'));
            }
            prop_assert_eq!(upsert(&out, &entry).unwrap(), Edit::Unchanged);
        }

        #[test]
        fn any_text_is_read_or_refused_never_a_panic(text in "[\\[\\]{}\",:/*a-z0-9 \\n\\r\\\\]{0,200}") {
            let _ = upsert(&text, &json!({"name": "x"}));
        }
    }
}
