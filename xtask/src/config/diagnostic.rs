//! Configuration problems, each tied to a place in a file, rendered like a
//! compiler error: `error: FILE:LINE:COL: what`, an excerpt, and what to do.

use std::fmt;
use std::ops::Range;

use super::source::SourceFile;

/// One problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File as shown to the user.
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// The offending line and a caret marker, when the place is known.
    pub excerpt: Option<Excerpt>,
    /// What to do about it.
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    pub col: usize,
    pub width: usize,
}

impl Diagnostic {
    /// A problem at byte range `span` of `source`.
    pub fn at(source: &SourceFile, span: Range<usize>, message: impl Into<String>) -> Self {
        let (start, width) = source.span_on_line(&span);
        Self {
            file: source.display.clone(),
            line: start.line,
            col: start.col,
            message: message.into(),
            excerpt: Some(Excerpt {
                text: source.line_text(start.line).to_string(),
                col: start.col,
                width,
            }),
            help: None,
        }
    }

    /// A problem with the file as a whole (reported at 1:1).
    pub fn whole_file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 1,
            col: 1,
            message: message.into(),
            excerpt: None,
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `FILE:LINE:COL`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.col)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(excerpt) = &self.excerpt {
            let gutter = self.line.to_string().len();
            let text = excerpt.text.replace('\t', " ");
            write!(f, "\n{:gutter$} |", "")?;
            write!(f, "\n{} | {}", self.line, text)?;
            write!(
                f,
                "\n{:gutter$} | {}{}",
                "",
                " ".repeat(excerpt.col.saturating_sub(1)),
                "^".repeat(excerpt.width.max(1))
            )?;
        }
        if let Some(help) = &self.help {
            // Aligned under the excerpt's gutter, as rustc does.
            let gutter = if self.excerpt.is_some() {
                self.line.to_string().len()
            } else {
                1
            };
            write!(f, "\n{:gutter$} = help: {help}", "")?;
        }
        Ok(())
    }
}

/// Every problem found while loading configuration, reported together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl ConfigErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: ConfigErrors) {
        self.0.extend(other.0);
    }

    /// In reading order: tasks.toml, then repos.toml, then other files
    /// (compose files, the lock file), each from top to bottom.
    pub fn sort(&mut self) {
        let rank = |file: &str| match file {
            super::TASKS_FILE => 0,
            super::REPOS_FILE => 1,
            _ => 2,
        };
        self.0.sort_by_key(|d| (rank(&d.file), d.line, d.col));
    }

    /// `Ok(value)` when nothing was reported, else every problem.
    pub fn into_result<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<Diagnostic> for ConfigErrors {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
