//! Test suites in containers (`test`): each service's test configuration
//! resolved, what a run owns, its plan built ([`run_builder`]: a
//! [`crate::plan::test_plan::TestPlan`] the interpreter runs), the test
//! databases, JUnit XML counts and the summary table.

pub mod junit;
pub mod ownership;
pub mod run_builder;
pub mod summary;
pub mod test_config;
pub mod test_database;
pub mod wrapper;
