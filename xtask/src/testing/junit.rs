//! The counts of a JUnit XML report (pytest's `--junitxml`, and what most
//! runners write): tests, failures, errors and skipped of every
//! `<testsuite>`, read with an XML parser (quick-xml), not a line scanner.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Why a report cannot be counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JunitError {
    #[error("{0}")]
    Attribute(String),
    #[error("not XML at byte {position}: {message}")]
    NotXml { position: u64, message: String },
    #[error("no <testsuite> element")]
    NoSuite,
}

/// What one report says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JunitCounts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl JunitCounts {
    /// Sums the `<testsuite>` elements of `xml` (a `<testsuites>` root's
    /// own totals are ignored: its suites carry them). Errors count as
    /// failures.
    pub fn parse(xml: &str) -> Result<Self, JunitError> {
        let mut reader = Reader::from_str(xml);
        let mut counts = JunitCounts::default();
        let mut suites = 0;
        loop {
            match reader.read_event() {
                Ok(Event::Start(element)) | Ok(Event::Empty(element))
                    if element.name().as_ref() == b"testsuite" =>
                {
                    suites += 1;
                    let mut tests = 0;
                    let mut failed = 0;
                    let mut skipped = 0;
                    for attribute in element.attributes() {
                        let attribute =
                            attribute.map_err(|e| JunitError::Attribute(e.to_string()))?;
                        let value = attribute
                            .unescape_value()
                            .map_err(|e| JunitError::Attribute(e.to_string()))?
                            .trim()
                            .parse::<u64>()
                            .unwrap_or(0);
                        match attribute.key.as_ref() {
                            b"tests" => tests = value,
                            b"failures" | b"errors" => failed += value,
                            b"skipped" | b"disabled" => skipped += value,
                            _ => {}
                        }
                    }
                    counts.failed += failed;
                    counts.skipped += skipped;
                    counts.passed += tests.saturating_sub(failed + skipped);
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(JunitError::NotXml {
                        position: reader.error_position(),
                        message: e.to_string(),
                    })
                }
            }
        }
        if suites == 0 {
            return Err(JunitError::NoSuite);
        }
        Ok(counts)
    }

    pub fn add(&mut self, other: JunitCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_reports_are_counted() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="2" skipped="1" tests="7" time="0.1"><testcase classname="t" name="a"/></testsuite></testsuites>"#;
        assert_eq!(
            JunitCounts::parse(xml),
            Ok(JunitCounts {
                passed: 3,
                failed: 3,
                skipped: 1
            })
        );
    }

    #[test]
    fn several_suites_add_up_and_garbage_is_refused() {
        let xml = r#"<testsuites tests="99"><testsuite tests="2"/><testsuite tests="3" failures="1"></testsuite></testsuites>"#;
        assert_eq!(
            JunitCounts::parse(xml),
            Ok(JunitCounts {
                passed: 4,
                failed: 1,
                skipped: 0
            })
        );
        assert!(JunitCounts::parse("<html></html>").is_err());
        assert!(JunitCounts::parse("<testsuite tests='1'><a></b>").is_err());
    }
}
