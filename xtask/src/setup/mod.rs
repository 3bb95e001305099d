//! One-time setup of an environment: the plan `init` carries out, and the
//! self-signed certificate `certs` writes.

pub mod certificate;
pub mod certs_plan;
pub mod file_action;
pub mod file_attributes;
pub mod init_plan;
