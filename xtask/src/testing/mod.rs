//! Running test suites in containers (`test`): each service's test
//! configuration resolved, the run as a plan of timed phases, JUnit XML
//! counts and the summary table.

pub mod junit;
pub mod run_plan;
pub mod summary;
pub mod test_config;
pub mod wrapper;
