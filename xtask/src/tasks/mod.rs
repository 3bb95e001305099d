//! The team's own tasks: finding them by name or alias, binding their
//! arguments, deciding whether they are up to date, planning the dependency
//! graph as data: a plan whose levels are `Step::Parallel` steps, run by the
//! interpreter (independent dependencies in parallel).

pub mod arguments;
pub mod catalog;
pub mod freshness;
pub mod listing;
pub mod task_plan;
