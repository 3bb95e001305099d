//! Task graphs and the task runner (see issue 4).
