//! A Sphinx build run with its output streamed and read: the warnings
//! counted, the error lines shown again when it fails.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::documentation::DocsError;
use crate::error::{Error, Result};
use crate::exec;
use crate::plan::CommandStep;
use crate::ui::{sanitize_for_terminal as clean, Tone, Ui};

/// Runs the build with its output streamed as it comes (stdout to stdout,
/// stderr to stderr, whole lines), read for warnings and errors; then the
/// summary line, and on failure the error lines again.
pub fn run_build(ui: &Ui, step: &CommandStep, index: &Path) -> Result<()> {
    if ui.verbosity >= 1 {
        ui.command(step);
    }
    let started = Instant::now();
    let mut child = exec::spawn_piped(step)?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = [
        child
            .child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    .filter_map(|(i, pipe)| pipe.map(|p| (i == 1, p)))
    .map(|(to_stderr, pipe)| {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if to_stderr {
                    crate::errln!("{}", clean(&line));
                } else {
                    crate::outln!("{}", clean(&line));
                }
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        })
    })
    .collect();
    for reader in readers {
        let _ = reader.join();
    }
    let code = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    let log = BuildLog::read(&lines);
    let warnings = crate::ui::plural(log.warnings, "warning", "warnings");
    if code > 128 && exec::interrupted() {
        ui.status_tone("Stopped", "docs build (interrupted)", Tone::Warn);
        return Err(Error::Child {
            command: step.to_string(),
            code,
        });
    }
    if code != 0 {
        ui.status_tone(
            "Failed",
            format!("docs build (exit code {code}, {seconds:.1} s, {warnings})"),
            Tone::Bad,
        );
        let shown = if log.errors.is_empty() {
            // Nothing reads as an error line: the last lines say why.
            lines[lines.len().saturating_sub(10)..].to_vec()
        } else {
            log.errors.clone()
        };
        for line in &shown {
            crate::errln!("  {}", clean(line));
        }
        return Err(Error::Child {
            command: step.to_string(),
            code,
        });
    }
    let tone = if log.warnings > 0 {
        Tone::Warn
    } else {
        Tone::Good
    };
    ui.status_tone("Built", format!("docs in {seconds:.1} s, {warnings}"), tone);
    if index.is_file() {
        crate::outln!("{}", index.display());
        Ok(())
    } else {
        Err(DocsError::NoIndex(index.to_path_buf()).into())
    }
}

/// What a Sphinx build's output says: how many warnings, which error lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BuildLog {
    pub warnings: usize,
    pub errors: Vec<String>,
}

impl BuildLog {
    pub fn read(lines: &[String]) -> Self {
        let mut log = BuildLog::default();
        let mut next_is_error = false;
        for line in lines {
            if next_is_error {
                log.errors.push(line.clone());
                next_is_error = false;
                continue;
            }
            if line.contains("WARNING:") {
                log.warnings += 1;
            }
            if line.starts_with("Warning, treated as error:") {
                // Sphinx -W: the warning itself is on the next line.
                log.warnings += 1;
                log.errors.push(line.clone());
                next_is_error = true;
            } else if ["ERROR:", "SEVERE:", "CRITICAL:", "Exception occurred"]
                .iter()
                .any(|mark| line.contains(mark))
                || is_exception_line(line)
            {
                log.errors.push(line.clone());
            }
        }
        log
    }
}

/// `ConfigError: ...`, `sphinx.errors.ExtensionError: ...`.
fn is_exception_line(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else {
        return false;
    };
    !name.contains(' ')
        && (name.ends_with("Error") || name.ends_with("Exception"))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn warnings_are_counted_and_error_lines_kept() {
        let log = BuildLog::read(&lines(
            "Running Sphinx v5.3.0\n\
             /docs/index.rst:3: WARNING: undefined label: 'nowhere'\n\
             /docs/a.rst:1: WARNING: document isn't included in any toctree\n\
             /docs/index.rst:9: (SEVERE/4) Problems with \"include\" directive path:\n\
             /docs/b.rst:2: ERROR: Unknown directive type \"nope\".\n\
             build succeeded, 2 warnings.",
        ));
        assert_eq!(log.warnings, 2);
        assert_eq!(
            log.errors,
            vec!["/docs/b.rst:2: ERROR: Unknown directive type \"nope\".".to_string()]
        );
    }

    #[test]
    fn a_warning_treated_as_error_and_an_exception_are_errors() {
        let log = BuildLog::read(&lines(
            "Warning, treated as error:\n/docs/index.rst:4:unknown document: missing\n\
             Configuration error:\nsphinx.errors.ConfigError: bad value\nBuilding [html]: targets",
        ));
        assert_eq!(log.warnings, 1);
        assert_eq!(log.errors.len(), 3, "{:?}", log.errors);
        assert_eq!(log.errors[1], "/docs/index.rst:4:unknown document: missing");
    }
}
