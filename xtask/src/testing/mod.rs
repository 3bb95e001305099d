//! Test suites in containers (`test`): each service's test configuration
//! resolved, JUnit XML counts and the summary table. The run is a
//! [`crate::plan::test_plan::TestPlan`] the interpreter runs.

pub mod junit;
pub mod summary;
pub mod test_config;
pub mod wrapper;
