//! The team's own tasks: finding them by name or alias, binding their
//! arguments, deciding whether they are up to date, planning the dependency
//! graph as data, and running it (independent dependencies in parallel).

pub mod arguments;
pub mod catalog;
pub mod freshness;
pub mod runner;
pub mod task_plan;
