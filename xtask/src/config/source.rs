//! A configuration file's text, kept so that byte offsets can be turned into
//! `line:col` positions and source excerpts for diagnostics.

use std::ops::Range;
use std::path::Path;

/// One configuration file as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the environment root when possible).
    pub display: String,
    /// The whole text of the file.
    pub text: String,
    /// Where each line starts (byte offsets), computed once on first use:
    /// a position is then a binary search, not a scan of the file, so
    /// 20,000 tasks list in one pass.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// A 1-based position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl SourceFile {
    /// Reads `path`, naming it `display` in diagnostics.
    pub fn read(path: &Path, display: impl Into<String>) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(Self::from_text(display, text))
    }

    pub fn from_text(display: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            display: display.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(at, _)| at + 1))
                .collect()
        })
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let offset = floor_char_boundary(&self.text, offset);
        let starts = self.line_starts();
        // The last line start at or before the offset.
        let index = starts
            .partition_point(|start| *start <= offset)
            .saturating_sub(1);
        let col = self.text[starts[index]..offset].chars().count() + 1;
        Position {
            line: index + 1,
            col,
        }
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let Some(start) = starts.get(line.saturating_sub(1)).copied() else {
            return "";
        };
        let end = starts.get(line).map_or(self.text.len(), |next| next - 1);
        self.text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&self.text[start..end])
    }

    /// Clamps a span so that it lies on the line where it starts.
    pub fn span_on_line(&self, span: &Range<usize>) -> (Position, usize) {
        let start = self.position(span.start);
        let line = self.line_text(start.line);
        let rest = line.chars().count().saturating_sub(start.col - 1);
        let width = self.text[floor_char_boundary(&self.text, span.start.min(self.text.len()))
            ..floor_char_boundary(&self.text, span.end.min(self.text.len()))]
            .chars()
            .take_while(|c| *c != '\n')
            .count();
        (start, width.clamp(1, rest.max(1)))
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Why `bytes` are not text (UTF-8 without NUL bytes), if they are not.
pub fn text_problem(bytes: &[u8]) -> Option<&'static str> {
    if bytes.contains(&0) {
        Some("it holds NUL bytes")
    } else if std::str::from_utf8(bytes).is_err() {
        Some("it is not UTF-8")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let file = SourceFile::from_text("x", "a = 1\nbé = \"z\"\n");
        assert_eq!(file.position(0), Position { line: 1, col: 1 });
        assert_eq!(file.position(6), Position { line: 2, col: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(file.position(9), Position { line: 2, col: 3 });
        assert_eq!(file.line_text(2), "bé = \"z\"");
    }
}
