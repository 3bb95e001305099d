//! `.vscode/launch.json` is JSON with comments (and trailing commas): an
//! attach configuration is put in by editing the text where it belongs, so
//! the user's other entries, comments and layout stay exactly as they were.
//! A file this reader cannot follow is refused, never rewritten. The
//! file's line endings are kept, our entry goes after everything the user
//! wrote in the list (comments included), and nesting deeper than
//! [`MAX_DEPTH`] is refused rather than recursed into.

use std::ops::Range;

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
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        text,
        tokens: &tokens,
        at: 0,
        depth: 0,
    };
    let root = parser.value()?;
    if parser.at != tokens.len() {
        return Err(parser.unexpected("the end of the file"));
    }
    let Node::Object {
        members,
        open,
        close,
        trailing_comma: members_comma,
    } = &root
    else {
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
    let unit = members
        .first()
        .map(|m| line_indent(m.key_span.start))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "  ".to_string());
    // Our text gets the file's own line endings.
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let ours = |fragment: String| fragment.replace('\n', eol);
    let configurations = members.iter().find(|m| m.key == "configurations");
    match configurations {
        Some(Member {
            value:
                Node::Array {
                    items,
                    close,
                    trailing_comma,
                    ..
                },
            key_span,
            ..
        }) => {
            let indent = match items.first() {
                Some(first) => line_indent(first.span().start),
                None => format!("{}{unit}", line_indent(key_span.start)),
            };
            for item in items {
                if item_name(text, item).as_deref() == Some(name) {
                    let span = item.span();
                    let current: Option<Value> = strict(&text[span.clone()]);
                    if current.as_ref() == Some(entry) {
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
                &Last {
                    end: items.last().map(|item| item.span().end),
                    comma: trailing_comma.is_some(),
                    close: close.start,
                },
                &ours(indented(entry, &indent, &unit)),
                &indent,
                &line_indent(key_span.start),
                eol,
            )))
        }
        Some(_) => Err(LaunchJsonError("`configurations` is not a list".into())),
        None => {
            let indent = match members.first() {
                Some(first) => line_indent(first.key_span.start),
                None => "  ".to_string(),
            };
            let inner = format!("{indent}{unit}");
            let block = ours(format!(
                "\"configurations\": [\n{inner}{}\n{indent}]",
                indented(entry, &inner, &unit)
            ));
            Ok(Edit::Added(append(
                text,
                &Last {
                    end: members.last().map(|m| m.value.span().end),
                    comma: members_comma.is_some(),
                    close: close.start,
                },
                &block,
                &indent,
                &line_indent(open.start),
                eol,
            )))
        }
    }
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
fn item_name(text: &str, item: &Node) -> Option<String> {
    let Node::Object { members, .. } = item else {
        return None;
    };
    let member = members.iter().find(|m| m.key == "name")?;
    strict::<String>(&text[member.value.span()])
}

/// `text` (JSONC) as strict JSON, read by serde_json.
fn strict<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    let tokens = tokenize(text).ok()?;
    let mut plain = String::with_capacity(text.len());
    for (i, token) in tokens.iter().enumerate() {
        // A trailing comma is the one thing strict JSON refuses.
        if token.kind == Kind::Comma
            && tokens
                .get(i + 1)
                .is_some_and(|next| matches!(next.kind, Kind::Close(_)))
        {
            continue;
        }
        plain.push_str(&text[token.span.clone()]);
        plain.push(' ');
    }
    serde_json::from_str(&plain).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open(char),
    Close(char),
    Colon,
    Comma,
    String,
    Literal,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    span: Range<usize>,
}

/// The file's tokens; whitespace and comments dropped.
fn tokenize(text: &str) -> Result<Vec<Token>, LaunchJsonError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let line_of = |pos: usize| text[..pos].matches('\n').count() + 1;
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            0xEF if text[i..].starts_with('\u{feff}') => i += 3,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").ok_or_else(|| {
                    LaunchJsonError(format!("line {}: a /* comment is never closed", line_of(i)))
                })?;
                i += 2 + end + 2;
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(LaunchJsonError(format!(
                                "line {}: a string is never closed",
                                line_of(start)
                            )))
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                tokens.push(Token {
                    kind: Kind::String,
                    span: start..i,
                });
            }
            b'{' | b'[' | b'}' | b']' | b':' | b',' => {
                let c = bytes[i] as char;
                let kind = match c {
                    '{' | '[' => Kind::Open(c),
                    '}' | ']' => Kind::Close(c),
                    ':' => Kind::Colon,
                    _ => Kind::Comma,
                };
                i += 1;
                tokens.push(Token {
                    kind,
                    span: start..i,
                });
            }
            c if c == b'-' || c.is_ascii_alphanumeric() => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'-' | b'+' | b'.'))
                {
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Literal,
                    span: start..i,
                });
            }
            _ => {
                return Err(LaunchJsonError(format!(
                    "line {}: unexpected `{}`",
                    line_of(i),
                    text[i..].chars().next().unwrap_or('?')
                )))
            }
        }
    }
    Ok(tokens)
}

#[derive(Debug)]
struct Member {
    key: String,
    key_span: Range<usize>,
    value: Node,
}

#[derive(Debug)]
enum Node {
    Object {
        members: Vec<Member>,
        open: Range<usize>,
        close: Range<usize>,
        /// The comma after the last member, if there is one.
        trailing_comma: Option<Range<usize>>,
    },
    Array {
        items: Vec<Node>,
        open: Range<usize>,
        close: Range<usize>,
        /// The comma after the last item, if there is one.
        trailing_comma: Option<Range<usize>>,
    },
    Scalar(Range<usize>),
}

impl Node {
    fn span(&self) -> Range<usize> {
        match self {
            Node::Object { open, close, .. } | Node::Array { open, close, .. } => {
                open.start..close.end
            }
            Node::Scalar(span) => span.clone(),
        }
    }
}

/// How deep objects and lists may nest: launch.json files are a few levels
/// deep; a deeper one is refused before the parser's recursion could
/// exhaust the stack.
pub const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    at: usize,
    /// Objects and lists open around the current token.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn unexpected(&self, wanted: &str) -> LaunchJsonError {
        match self.peek() {
            Some(token) => LaunchJsonError(format!(
                "line {}: expected {wanted}, found `{}`",
                self.text[..token.span.start].matches('\n').count() + 1,
                &self.text[token.span.clone()]
            )),
            None => LaunchJsonError(format!("the file ends where {wanted} was expected")),
        }
    }

    fn value(&mut self) -> Result<Node, LaunchJsonError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected("a value"));
        };
        if matches!(token.kind, Kind::Open(_)) && self.depth >= MAX_DEPTH {
            return Err(LaunchJsonError(format!(
                "line {}: nested deeper than {MAX_DEPTH} levels",
                self.text[..token.span.start].matches('\n').count() + 1
            )));
        }
        self.depth += 1;
        let node = match token.kind {
            Kind::Open('{') => self.object(),
            Kind::Open(_) => self.array(),
            Kind::String | Kind::Literal => {
                self.at += 1;
                Ok(Node::Scalar(token.span))
            }
            _ => Err(self.unexpected("a value")),
        };
        self.depth -= 1;
        node
    }

    fn object(&mut self) -> Result<Node, LaunchJsonError> {
        let open = self.next().map(|t| t.span).unwrap_or_default();
        let mut members = Vec::new();
        let mut trailing_comma = None;
        loop {
            match self.peek().map(|t| t.kind) {
                Some(Kind::Close('}')) => break,
                Some(Kind::String) => {}
                _ => return Err(self.unexpected("a key or `}`")),
            }
            trailing_comma = None;
            let Some(key_token) = self.next() else {
                return Err(self.unexpected("a key"));
            };
            let key: String = serde_json::from_str(&self.text[key_token.span.clone()])
                .map_err(|_| self.unexpected("a valid key"))?;
            if self.peek().map(|t| t.kind) != Some(Kind::Colon) {
                return Err(self.unexpected("`:`"));
            }
            self.at += 1;
            let value = self.value()?;
            members.push(Member {
                key,
                key_span: key_token.span,
                value,
            });
            match self.separator('}')? {
                Some(comma) => trailing_comma = Some(comma),
                None => break,
            }
        }
        let close = self.next().map(|t| t.span).unwrap_or_default();
        Ok(Node::Object {
            members,
            open,
            close,
            trailing_comma,
        })
    }

    /// After a member or item: a comma (taken; its span) or `close` (left
    /// for the caller: `None`); anything else is an error.
    fn separator(&mut self, close: char) -> Result<Option<Range<usize>>, LaunchJsonError> {
        match self.peek().cloned() {
            Some(Token {
                kind: Kind::Comma,
                span,
            }) => {
                self.at += 1;
                Ok(Some(span))
            }
            Some(Token {
                kind: Kind::Close(c),
                ..
            }) if c == close => Ok(None),
            _ => Err(self.unexpected(&format!("`,` or `{close}`"))),
        }
    }

    fn array(&mut self) -> Result<Node, LaunchJsonError> {
        let open = self.next().map(|t| t.span).unwrap_or_default();
        let mut items = Vec::new();
        let mut trailing_comma = None;
        loop {
            if self.peek().map(|t| t.kind) == Some(Kind::Close(']')) {
                break;
            }
            trailing_comma = None;
            items.push(self.value()?);
            match self.separator(']')? {
                Some(comma) => trailing_comma = Some(comma),
                None => break,
            }
        }
        let close = self.next().map(|t| t.span).unwrap_or_default();
        Ok(Node::Array {
            items,
            open,
            close,
            trailing_comma,
        })
    }
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
