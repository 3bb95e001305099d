//! Compose files that xtask writes (the override `debug` adds): every value
//! is meant literally, so every `$` in it is written `$$`, compose's escape,
//! before compose's interpolation could turn `$HOME` or `${SECRET_TOKEN}`
//! into the environment's values. The one writer of such files.

use serde_json::Value;

/// `value` as compose reads it back literally: `$` doubled.
pub fn literal(value: &str) -> String {
    value.replace('$', "$$")
}

/// The text of a compose file holding `body` (JSON, which is YAML: no YAML
/// writer, no quoting to get wrong), every string value escaped, under a
/// `# comment` line that says who wrote it.
pub fn render(comment: &str, body: &Value) -> String {
    let body = escaped(body);
    let comment = comment.replace(['\n', '\r'], " ");
    format!(
        "# {comment}\n{}\n",
        serde_json::to_string_pretty(&body).unwrap_or_default()
    )
}

/// `value` with every string value made literal (keys are never interpolated).
fn escaped(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(literal(text)),
        Value::Array(items) => Value::Array(items.iter().map(escaped).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), escaped(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_dollar_in_every_value_is_doubled() {
        let text = render(
            "written by a test",
            &json!({"services": {"web": {
                "command": ["sh", "-c", "echo $HOME ${SECRET_TOKEN:-unset} $$x"],
                "environment": {"A": "${A}"},
                "ports": ["127.0.0.1:1:1"],
            }}}),
        );
        assert!(text.starts_with("# written by a test\n"), "{text}");
        assert!(
            text.contains(r#""echo $$HOME $${SECRET_TOKEN:-unset} $$$$x""#),
            "{text}"
        );
        assert!(text.contains(r#""A": "$${A}""#), "{text}");
    }
}
