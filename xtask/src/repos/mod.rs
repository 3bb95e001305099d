//! Repository sync, status and lock: everything `repos.toml` drives.

pub mod layout;
pub mod local_state;
pub mod lockfile;
pub mod notices;
pub mod recorded_head;
pub mod selection;
pub mod status;
pub mod sync;
pub mod sync_progress;
pub mod transport;
pub mod update_jobs;
pub mod update_lock;
