//! Everything the user sees and answers: styled status lines on stderr,
//! prompts (only on a terminal), and the colour policy (`--color`, `NO_COLOR`).

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use console::{style, Style};

/// `println!` for what a command prints on stdout (listings, JSON, plans),
/// through [`write_stdout`]: never a panic on a closed pipe.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::ui::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::ui::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`write_stdout`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::ui::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` for messages on stderr, through [`write_stderr`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::ui::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

static KEEP_WORKING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// See [`write_stdout`]: from now on a closed stdout does not end the process.
pub fn keep_working_if_stdout_closes() {
    KEEP_WORKING.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Writes to stdout. A reader that stops reading (`xtask --list | head -1`)
/// has all it wanted, so a closed pipe ends the process quietly with 0
/// (`println!` would panic). This, not SIGPIPE's default action, because
/// a signal could end the process anywhere: in the middle of an in-process
/// checkout of `update`; this stops only where something is printed, and
/// commands print their results after their work. Any other write error
/// (a full disk) is reported and ends the process with 1.
///
/// A command that prints while it works and whose exit code is its result
/// (`test`: a line of the database phase, the suites' output, the summary)
/// calls [`keep_working_if_stdout_closes`] first: then what cannot be
/// written is dropped, and the work and its exit code go on.
///
/// Secrets in what is written are masked ([`crate::mask::text`]), as on
/// stderr: listings, JSON, dry runs and relayed output alike. Only what the
/// user asked to see in clear (`env --show-secrets`) goes through
/// [`write_stdout_unmasked`].
pub fn write_stdout(text: std::fmt::Arguments<'_>) {
    let text = text.to_string();
    write_stdout_unmasked(&crate::mask::text(&text));
}

/// [`write_stdout`] without the masking, for what the user asked to see in clear.
pub fn write_stdout_unmasked(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let result = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    match result {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            if !KEEP_WORKING.load(std::sync::atomic::Ordering::Relaxed) {
                std::process::exit(0)
            }
        }
        Err(error) => {
            write_stderr(format_args!(
                "error: cannot write to standard output: {error}\n"
            ));
            std::process::exit(1)
        }
    }
}

/// Writes to stderr, ignoring failure: a closed stderr must not stop work
/// in progress (`eprintln!` would panic), and there is nowhere to say so.
/// Secrets in it are masked, as in [`write_stdout`].
pub fn write_stderr(text: std::fmt::Arguments<'_>) {
    let text = text.to_string();
    let _ = std::io::stderr()
        .lock()
        .write_all(crate::mask::text(&text).as_bytes());
}

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// How an outcome should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Neutral,
    Warn,
    Bad,
}

/// Why a question could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error(
        "{question} needs an answer, but there is no terminal to ask on; pass --yes to answer yes"
    )]
    NoTerminal { question: String },
    #[error("the prompt failed: {0}")]
    Failed(String),
}

/// Output settings for one invocation.
#[derive(Debug, Clone)]
pub struct Ui {
    pub color: bool,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    /// Whether stdin and stderr are both terminals (prompts, progress bars).
    pub interactive: bool,
}

impl Ui {
    /// Applies the colour policy: `never`, or `auto` with `NO_COLOR` set or
    /// stderr not a terminal, turns colour off; `always` forces it on.
    pub fn new(color: ColorChoice, verbose: u8, quiet: bool) -> Self {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color_env && std::io::stderr().is_terminal(),
        };
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        let verbosity = if quiet { -1 } else { verbose.min(3) as i8 };
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        Self {
            color,
            verbosity,
            interactive,
        }
    }

    /// A cargo-style status line: a right-aligned verb, then the message.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        if self.verbosity >= 0 {
            crate::errln!("{:>12} {}", style(verb).green().bold(), shown(message));
        }
    }

    /// A status line in the colour of how something ended.
    pub fn status_tone(&self, verb: &str, message: impl std::fmt::Display, tone: Tone) {
        let verb = match tone {
            Tone::Good => style(verb).green().bold(),
            Tone::Neutral => style(verb).cyan().bold(),
            Tone::Warn => style(verb).yellow().bold(),
            Tone::Bad => style(verb).red().bold(),
        };
        if self.verbosity >= 0 || tone == Tone::Bad {
            crate::errln!("{verb:>12} {}", shown(message));
        }
    }

    /// Detail shown with `-v`.
    pub fn verbose(&self, message: impl std::fmt::Display) {
        if self.verbosity >= 1 {
            crate::errln!("{}", style(shown(message)).dim());
        }
    }

    pub fn note(&self, message: impl std::fmt::Display) {
        if self.verbosity >= 0 {
            crate::errln!("{} {}", style("note:").cyan().bold(), shown(message));
        }
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        crate::errln!("{} {}", style("warning:").yellow().bold(), shown(message));
    }

    pub fn error(&self, message: impl std::fmt::Display) {
        crate::errln!("{} {}", style("error:").red().bold(), shown(message));
    }

    /// A command line about to run (shown with `-v`, and always in dry runs).
    pub fn command(&self, line: impl std::fmt::Display) {
        crate::errln!("{} {}", style("+").dim(), shown(line));
    }

    /// A style for headings in listings printed on stdout.
    pub fn heading(&self) -> Style {
        Style::new().bold().for_stdout()
    }

    /// Asks a yes/no question. `assume_yes` answers yes without asking;
    /// without a terminal the question is refused rather than guessed.
    pub fn confirm(&self, question: &str, assume_yes: bool) -> Result<bool, PromptError> {
        if assume_yes {
            return Ok(true);
        }
        if !self.interactive {
            return Err(PromptError::NoTerminal {
                question: format!("\"{question}\""),
            });
        }
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(|e| PromptError::Failed(e.to_string()))
    }

    /// Asks the user to type `expected` (a protected database's name):
    /// true only when they did. `--yes` does not answer this; without a
    /// terminal it is refused.
    pub fn confirm_typed(&self, question: &str, expected: &str) -> Result<bool, PromptError> {
        if !self.interactive {
            return Err(PromptError::NoTerminal {
                question: format!("\"{question}\" (type `{expected}`)"),
            });
        }
        let typed: String = dialoguer::Input::new()
            .with_prompt(format!("{question} Type `{expected}` to go on"))
            .allow_empty(true)
            .interact_text()
            .map_err(|e| PromptError::Failed(e.to_string()))?;
        Ok(typed.trim() == expected)
    }

    /// Lets the user pick one of `items`; `None` without a terminal.
    pub fn select(&self, prompt: &str, items: &[String]) -> Result<Option<usize>, PromptError> {
        if !self.interactive || items.is_empty() {
            return Ok(None);
        }
        dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact_opt()
            .map_err(|e| PromptError::Failed(e.to_string()))
    }
}

/// A message as it may be shown: credentials in URLs masked.
fn shown(message: impl std::fmt::Display) -> String {
    crate::mask::text(&message.to_string()).into_owned()
}

/// Text from a configuration file made safe to print: every control
/// character but tab (ESC, CR, BEL, DEL, C1 controls...) becomes a visible
/// escape such as `\x1b` or `\u{9b}`, and so do the bidirectional
/// overrides, so a task name or description cannot move the cursor,
/// retitle the terminal or reorder what follows it.
pub fn sanitize_for_terminal(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// The command the user typed to run us, for usage lines and hints:
/// `cargo xtask` when cargo started us (it sets `CARGO` for what it runs),
/// else the name we were started by (`xtask`, or a link's name).
pub fn invoked_as() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        if std::env::var_os("CARGO").is_some() {
            return "cargo xtask".to_string();
        }
        std::env::args_os()
            .next()
            .and_then(|arg0| {
                std::path::Path::new(&arg0)
                    .file_name()
                    .map(|name| sanitize_for_terminal(&name.to_string_lossy()).into_owned())
            })
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "xtask".to_string())
    })
}

/// `1 file`, `2 files`, `0 files`: a count with its noun, never `file(s)`.
pub fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// Prints rows under a header on stdout, each column as wide as its widest cell.
pub fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = header.map(str::to_string);
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        crate::outln!("{}", cells.join("  ").trim_end());
    }
}

/// A duration as people read it in a status line: `0.4 s`, `41.2 s`, `2 min 5 s`.
pub fn seconds(duration: std::time::Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 120.0 {
        format!("{secs:.1} s")
    } else {
        let whole = duration.as_secs();
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

/// The program that opens a file or URL in the user's browser, if there is one.
pub fn browser() -> Option<String> {
    let path = std::env::var_os("PATH")?;
    ["xdg-open", "open"]
        .into_iter()
        .find(|name| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped_and_tabs_kept() {
        assert!(matches!(
            sanitize_for_terminal("plain\ttext é"),
            Cow::Borrowed("plain\ttext é")
        ));
        assert_eq!(
            sanitize_for_terminal("a\x1b]0;pwned\x07b\r\nc\u{9b}2Jd\x7f"),
            "a\\x1b]0;pwned\\x07b\\x0d\\x0ac\\u{9b}2Jd\\x7f"
        );
        assert_eq!(sanitize_for_terminal("ab\u{202e}cd"), "ab\\u{202e}cd");
    }

    #[test]
    fn counts_take_the_right_noun() {
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(plural(2, "file", "files"), "2 files");
        assert_eq!(plural(0, "file", "files"), "0 files");
    }
}
