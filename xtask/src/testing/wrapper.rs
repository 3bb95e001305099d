//! The `sh` around a test runner in its container, for two things a run
//! would otherwise spend a `docker exec` each on:
//!
//! - the gate: on a kept stack the runner is started while its fresh test
//!   database is being made, and waits for `go` on its stdin (written when
//!   the database is ready; without it, the wrapper exits 125 and runs
//!   nothing). Starting a process in a container costs as much as making
//!   the database, so the two overlap.
//! - the report: the runner's old JUnit XML is removed first, and after
//!   the runner the wrapper prints a marker line and the new report on
//!   stdout, where [`ReportSplit`] takes it out of what is shown.
//!
//! Only without a TTY (a terminal would get the report, and its stdin is
//! the user's keyboard); a `--pdb` run reads the report with an exec after.

use crate::exec::StdoutFilter;

/// Exit code of a wrapper whose gate was closed: the runner did not run.
pub const GATE_CLOSED: i32 = 125;

/// What the wrapper does around the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapper {
    /// Wait for `go` on stdin first.
    pub gate: bool,
    /// Remove this report before the runner and print it after `marker`.
    pub report: Option<InlineReport>,
}

/// Where the runner writes its JUnit XML, and the line printed before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineReport {
    pub path: String,
    pub marker: String,
}

impl InlineReport {
    /// A marker line no test prints by chance: `id` is unique to the run.
    pub fn new(path: &str, id: &str) -> Self {
        Self {
            path: path.to_string(),
            marker: format!("--- xtask: JUnit report {id} follows ---"),
        }
    }
}

impl Wrapper {
    /// `argv` wrapped; as it is when there is nothing to wrap it for. The
    /// values go to `sh` as arguments, never into the script's text.
    pub fn wrap(&self, argv: Vec<String>) -> Vec<String> {
        if !self.gate && self.report.is_none() {
            return argv;
        }
        let mut script = String::new();
        if self.gate {
            script.push_str(&format!(
                "IFS= read -r go && [ \"$go\" = go ] || exit {GATE_CLOSED}; "
            ));
        }
        let mut wrapped = vec!["sh".to_string(), "-c".into()];
        match &self.report {
            Some(report) => {
                script.push_str(
                    "j=$1 m=$2; shift 2; rm -f -- \"$j\"; \"$@\"; s=$?; \
                     printf '\\n%s\\n' \"$m\"; cat -- \"$j\" 2>/dev/null && rm -f -- \"$j\"; exit $s",
                );
                wrapped.extend([
                    script,
                    "sh".into(),
                    report.path.clone(),
                    report.marker.clone(),
                ]);
            }
            None => {
                script.push_str("exec \"$@\"");
                wrapped.extend([script, "sh".into()]);
            }
        }
        wrapped.extend(argv);
        wrapped
    }
}

/// Splits a wrapped runner's stdout into what is shown and the report
/// after the marker line. Shows bytes as they come, holding back only what
/// could be the start of the marker line and one blank line (the wrapper's
/// own newline before the marker, dropped with it).
#[derive(Debug)]
pub struct ReportSplit {
    /// The marker line, newline included.
    marker: Vec<u8>,
    at_line_start: bool,
    /// The start of a line that may be the marker.
    held: Vec<u8>,
    blank_held: bool,
    report: Option<Vec<u8>>,
}

impl ReportSplit {
    pub fn new(marker: &str) -> Self {
        Self {
            marker: format!("{marker}\n").into_bytes(),
            at_line_start: true,
            held: Vec::new(),
            blank_held: false,
            report: None,
        }
    }

    /// Shows everything: a runner with no report to split off.
    pub fn none() -> Self {
        Self {
            marker: Vec::new(),
            at_line_start: false,
            held: Vec::new(),
            blank_held: false,
            report: None,
        }
    }

    /// The report, when the marker came.
    pub fn into_report(self) -> Option<Vec<u8>> {
        self.report
    }

    fn release(&mut self, shown: &mut Vec<u8>) {
        if self.blank_held {
            shown.push(b'\n');
            self.blank_held = false;
        }
        shown.append(&mut self.held);
    }
}

impl StdoutFilter for ReportSplit {
    fn feed(&mut self, chunk: &[u8], shown: &mut Vec<u8>) {
        if self.marker.is_empty() {
            shown.extend_from_slice(chunk);
            return;
        }
        for (i, &byte) in chunk.iter().enumerate() {
            if let Some(report) = &mut self.report {
                report.extend_from_slice(&chunk[i..]);
                return;
            }
            if !self.at_line_start {
                shown.push(byte);
                self.at_line_start = byte == b'\n';
                continue;
            }
            if self.held.is_empty() && byte == b'\n' {
                // A blank line: held (invisible until the next one shows).
                if self.blank_held {
                    shown.push(b'\n');
                }
                self.blank_held = true;
                continue;
            }
            self.held.push(byte);
            if self.marker.starts_with(&self.held) {
                if self.held.len() == self.marker.len() {
                    self.held.clear();
                    self.blank_held = false;
                    self.report = Some(Vec::new());
                }
                continue;
            }
            self.release(shown);
            self.at_line_start = byte == b'\n';
        }
    }

    fn finish(&mut self, shown: &mut Vec<u8>) {
        if self.report.is_none() {
            self.release(shown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &str = "--- xtask: JUnit report 1-2-3 follows ---";

    /// Feeds `chunks`; what was shown and the report.
    fn split(chunks: &[&str]) -> (String, Option<String>) {
        let mut split = ReportSplit::new(MARK);
        let mut shown = Vec::new();
        for chunk in chunks {
            split.feed(chunk.as_bytes(), &mut shown);
        }
        split.finish(&mut shown);
        (
            String::from_utf8(shown).unwrap(),
            split.into_report().map(|r| String::from_utf8(r).unwrap()),
        )
    }

    #[test]
    fn the_report_after_the_marker_is_taken_and_the_wrappers_newline_dropped() {
        let stream = format!("collected 2 items\n..\n\n{MARK}\n<testsuites/>\n");
        assert_eq!(
            split(&[&stream]),
            (
                "collected 2 items\n..\n".into(),
                Some("<testsuites/>\n".into())
            )
        );
        // Output that did not end its line keeps the newline the wrapper gave it.
        let stream = format!("progress ..\n{MARK}\n<x/>");
        assert_eq!(
            split(&[&stream]),
            ("progress ..\n".into(), Some("<x/>".into()))
        );
    }

    #[test]
    fn any_chunking_gives_the_same_split() {
        let stream = format!("a\n\n---- not it\n--- xtask: other\n\n\n{MARK}\n<r>\n</r>\n");
        let whole = split(&[&stream]);
        assert_eq!(
            whole,
            (
                "a\n\n---- not it\n--- xtask: other\n\n".into(),
                Some("<r>\n</r>\n".into())
            )
        );
        for size in 1..8 {
            let bytes = stream.as_bytes();
            let chunks: Vec<&str> = bytes
                .chunks(size)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            assert_eq!(split(&chunks), whole, "chunks of {size}");
        }
    }

    #[test]
    fn progress_shows_at_once_and_a_stream_without_marker_is_shown_whole() {
        let mut split = ReportSplit::new(MARK);
        let mut shown = Vec::new();
        split.feed(b"tests/test_a.py ..", &mut shown);
        assert_eq!(shown, b"tests/test_a.py ..", "nothing held mid-line");
        shown.clear();
        split.feed(b"\n--- xt", &mut shown);
        assert_eq!(shown, b"\n", "only a possible marker is held");
        // Killed before the marker: everything held is shown, no report.
        split.finish(&mut shown);
        assert_eq!(shown, b"\n--- xt");
        assert_eq!(split.into_report(), None);
        // A marker inside a line is output, not the report's start.
        let text = format!("say {MARK}\n");
        assert_eq!(split_all(&text), (text.clone(), None));
    }

    fn split_all(text: &str) -> (String, Option<String>) {
        split(&[text])
    }

    #[test]
    fn the_wrapper_runs_the_runner_it_is_given_and_nothing_else() {
        let argv = vec!["pytest".to_string(), "-k".into(), "a; rm -rf /".into()];
        let plain = Wrapper {
            gate: false,
            report: None,
        };
        assert_eq!(plain.wrap(argv.clone()), argv);
        let gated = Wrapper {
            gate: true,
            report: None,
        }
        .wrap(argv.clone());
        assert_eq!(&gated[..2], ["sh", "-c"]);
        assert_eq!(gated[3], "sh");
        assert_eq!(&gated[4..], argv.as_slice(), "arguments, not script text");
        assert!(!gated[2].contains("rm -rf"), "{}", gated[2]);
    }

    /// The scripts under a real `sh`: the gate holds, the report follows
    /// the marker, the runner's exit code is the wrapper's.
    #[test]
    fn the_scripts_do_what_they_say_under_sh() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let dir = std::env::temp_dir().join(format!("xtask-wrapper-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let report = dir.join("report.xml");
        std::fs::write(&report, "stale").unwrap();
        let wrapper = Wrapper {
            gate: true,
            report: Some(InlineReport::new(report.to_str().unwrap(), "9")),
        };
        let runner = vec![
            "sh".to_string(),
            "-c".into(),
            "test ! -e \"$1\" && echo ran && echo '<new/>' >\"$1\"; exit 3".into(),
            "sh".into(),
            report.to_str().unwrap().into(),
        ];
        let run = |input: &[u8]| {
            let argv = wrapper.wrap(runner.clone());
            let mut child = Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(input).unwrap();
            child.wait_with_output().unwrap()
        };
        let closed = run(b"");
        assert_eq!(closed.status.code(), Some(GATE_CLOSED));
        assert!(closed.stdout.is_empty());
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "stale");
        let out = run(b"go\n");
        assert_eq!(out.status.code(), Some(3));
        let mut split = ReportSplit::new(&InlineReport::new("", "9").marker);
        let mut shown = Vec::new();
        split.feed(&out.stdout, &mut shown);
        split.finish(&mut shown);
        assert_eq!(String::from_utf8(shown).unwrap(), "ran\n");
        assert_eq!(split.into_report().unwrap(), b"<new/>\n");
        assert!(!report.exists(), "read once, then removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
