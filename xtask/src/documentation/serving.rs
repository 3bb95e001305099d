//! `docs --serve`: the server's container, the port it needs free, and
//! the URL printed once it answers.

use std::io::Read;
use std::sync::Arc;

use crate::compose::project::ComposeProject;
use crate::config::docs_spec::DocsSpec;
use crate::config::CommandLine;
use crate::documentation::DocsError;
use crate::plan::CommandStep;
use crate::ui::Ui;

/// `--serve`: a fresh container publishing the port on 127.0.0.1 only,
/// running sphinx-autobuild when the image has it (without its initial
/// build: ours just ran), else Python's http.server. The server runs in
/// the background of a `sh` that turns the INT or TERM it is sent into a
/// TERM for the server: Python then ends without a KeyboardInterrupt
/// traceback (a background job ignores INT).
pub fn serve_step(
    project: &ComposeProject,
    spec: &DocsSpec,
    service: &str,
) -> Result<(u16, CommandStep), DocsError> {
    let port = spec.serve_port();
    let html_dir = spec.html_dir().ok_or(DocsError::NoHtmlDir)?;
    let http_server = format!(
        "python3 -m http.server {port} --bind 0.0.0.0 --directory {} &",
        shell_words::quote(&html_dir)
    );
    let server = match spec.command.get_ref() {
        CommandLine::Argv(argv) if argv.first().is_some_and(|p| p.ends_with("sphinx-build")) => {
            let rest = shell_words::join(&argv[1..]);
            format!(
                "if command -v sphinx-autobuild >/dev/null 2>&1; then sphinx-autobuild --host 0.0.0.0 --port {port} --no-initial {rest} & else {http_server} fi"
            )
        }
        _ => http_server,
    };
    let script = format!(
        "trap 'stopped=1; kill -TERM $server 2>/dev/null' INT TERM\n{server}\nserver=$!\nwait $server; status=$?\nif [ -n \"$stopped\" ]; then wait $server; status=$?; fi\nexit $status"
    );
    let step = project.command([
        "run".to_string(),
        "--rm".into(),
        "--no-deps".into(),
        "-T".into(),
        "-p".into(),
        format!("127.0.0.1:{port}:{port}"),
        service.to_string(),
        "sh".into(),
        "-c".into(),
        script,
    ]);
    Ok((port, step))
}

/// Refuses a port something on 127.0.0.1 already listens on, before anything starts.
pub fn check_port_free(port: u16) -> Result<(), DocsError> {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(error) => Err(DocsError::PortTaken { port, error }),
    }
}

/// Prints the served URL (stdout) once 127.0.0.1:`port` answers HTTP,
/// polling beside the server in the foreground; stops when dropped.
pub struct UrlAnnouncer {
    done: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl UrlAnnouncer {
    /// Starts polling 127.0.0.1:`port`.
    pub fn start(ui: &Ui, port: u16) -> Self {
        use std::sync::atomic::Ordering;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ui = ui.clone();
        let thread = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    if answers_http(port) {
                        crate::outln!("http://127.0.0.1:{port}/");
                        ui.status("Serving", format!("http://127.0.0.1:{port}/ until Ctrl-C"));
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            })
        };
        UrlAnnouncer {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for UrlAnnouncer {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whether an HTTP server answers a `GET /` on 127.0.0.1:`port`.
fn answers_http(port: u16) -> bool {
    use std::io::Write;
    let timeout = std::time::Duration::from_millis(500);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}
