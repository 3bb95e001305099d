//! Images the team builds, tags and pushes itself (`[images]` in
//! tasks.toml): build order, matrices, tags, and the docker commands.

pub mod dockerfile;
pub mod image_plan;
