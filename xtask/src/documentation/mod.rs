//! `docs`: the Sphinx documentation built in the docs environment's own
//! compose project (`[docs]` in tasks.toml), its warnings counted and its
//! errors shown, the HTML served on 127.0.0.1, the container torn down.

pub mod docs_plan;
pub mod serving;
pub mod sphinx_build;

use std::path::PathBuf;

use crate::error::Error;

const CONFIG_EXAMPLE: &str = "add to tasks.toml:
    [docs]
    environment = \"docs\"      # [environments.docs] compose_files = [\"docker-compose.documentation.yml\"]
    service = \"docs\"
    command = [\"sphinx-build\", \"-b\", \"html\", \"/docs/source\", \"/docs/build/html\"]
    output = \"shared/docs/build/html\"";

/// Why `docs` cannot go on (each a usage error with its remedy).
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("tasks.toml has no [docs] section")]
    NoSection,
    #[error("--serve needs the built HTML's folder in the container")]
    NoHtmlDir,
    #[error("port {port} on 127.0.0.1 is taken ({error}); nothing was started")]
    PortTaken {
        port: u16,
        #[source]
        error: std::io::Error,
    },
    #[error("the build succeeded but {} does not exist", .0.display())]
    NoIndex(PathBuf),
}

impl DocsError {
    /// What to do about it.
    fn help(&self) -> String {
        match self {
            DocsError::NoSection => CONFIG_EXAMPLE.to_string(),
            DocsError::NoHtmlDir => "set [docs] html_dir = \"/docs/build/html\" (it is read from a sphinx-build command's last argument otherwise)".to_string(),
            DocsError::PortTaken { port, .. } => format!("stop what listens there (`ss -ltnp 'sport = :{port}'` shows it), or set [docs] serve_port"),
            DocsError::NoIndex(_) => "[docs] output must be the host folder the build writes its HTML to".to_string(),
        }
    }
}

impl From<DocsError> for Error {
    fn from(error: DocsError) -> Self {
        Error::usage_with_help(error.to_string(), error.help())
    }
}
