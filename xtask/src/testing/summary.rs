//! The table printed after a test run: each phase, how it ended and how
//! long it took, the tests counted from JUnit XML, and a total line.

use std::time::Duration;

use crate::testing::junit::JunitCounts;

/// How a phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// With the exit code of the step that failed.
    Failed(i32),
    /// Not run: something it needs failed first.
    Skipped,
}

/// One row of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseResult {
    pub name: String,
    pub outcome: Outcome,
    pub duration: Option<Duration>,
    /// Read from the suite's JUnit XML.
    pub counts: Option<JunitCounts>,
}

impl PhaseResult {
    pub fn skipped(name: &str) -> Self {
        Self {
            name: name.to_string(),
            outcome: Outcome::Skipped,
            duration: None,
            counts: None,
        }
    }

    fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_)) || self.counts.is_some_and(|c| c.failed > 0)
    }
}

/// What a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub rows: Vec<PhaseResult>,
}

impl Summary {
    /// The phases that failed (a suite whose report counts failures fails
    /// even when its runner exited 0).
    pub fn failures(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|r| r.failed())
            .map(|r| r.name.as_str())
            .collect()
    }

    pub fn totals(&self) -> Option<JunitCounts> {
        let mut total: Option<JunitCounts> = None;
        for counts in self.rows.iter().filter_map(|r| r.counts) {
            total.get_or_insert_with(JunitCounts::default).add(counts);
        }
        total
    }

    /// The table's rows: phase, result, time, tests.
    pub fn table(&self) -> Vec<[String; 4]> {
        self.rows
            .iter()
            .map(|row| {
                let result = match row.outcome {
                    _ if row.failed() && row.outcome == Outcome::Passed => "FAILED".to_string(),
                    Outcome::Passed => "ok".to_string(),
                    Outcome::Failed(code) => format!("FAILED (exit {code})"),
                    Outcome::Skipped => "skipped".to_string(),
                };
                [
                    row.name.clone(),
                    result,
                    row.duration.map(seconds).unwrap_or_else(|| "-".into()),
                    row.counts.map(counts_text).unwrap_or_default(),
                ]
            })
            .collect()
    }

    /// Prints the table and the total line on stdout.
    pub fn print(&self) {
        crate::outln!();
        crate::ui::print_table(&["phase", "result", "time", "tests"], &self.table());
        let failures = self.failures();
        let tests = self
            .totals()
            .map(|t| format!("; tests: {}", counts_text(t)))
            .unwrap_or_default();
        if failures.is_empty() {
            crate::outln!("test result: ok{tests}");
        } else {
            crate::outln!("test result: FAILED ({}){tests}", failures.join(", "));
        }
    }
}

fn counts_text(counts: JunitCounts) -> String {
    format!(
        "{} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    )
}

/// How long a phase took, for the summary: `0.8s`, `1m 05s`.
pub fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!(
            "{}m {:02}s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_with_failures_fails_its_row_and_the_run() {
        let summary = Summary {
            rows: vec![
                PhaseResult {
                    name: "up".into(),
                    outcome: Outcome::Passed,
                    duration: Some(Duration::from_millis(1200)),
                    counts: None,
                },
                PhaseResult {
                    name: "tests web".into(),
                    outcome: Outcome::Passed,
                    duration: Some(Duration::from_secs(75)),
                    counts: Some(JunitCounts {
                        passed: 3,
                        failed: 1,
                        skipped: 0,
                    }),
                },
                PhaseResult::skipped("lint web"),
            ],
        };
        assert_eq!(summary.failures(), ["tests web"]);
        let table = summary.table();
        assert_eq!(table[0], ["up", "ok", "1.2s", ""]);
        assert_eq!(
            table[1],
            [
                "tests web",
                "FAILED",
                "1m 15s",
                "3 passed, 1 failed, 0 skipped"
            ]
        );
        assert_eq!(table[2], ["lint web", "skipped", "-", ""]);
    }
}
