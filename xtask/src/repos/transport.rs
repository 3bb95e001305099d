//! Network work (listing remote refs, fetching, cloning) through either the
//! `git` command line or libgit2 in process, chosen per URL scheme.
//!
//! `auto` sends ssh and https through the git CLI, so the user's ssh config,
//! agent, credential helpers and proxies just work (libgit2 reads no
//! ~/.ssh/config, can loop on a bad agent key and ignores proxies unless
//! told), and keeps git://, http:// and local remotes in process, where a
//! no-op update costs no process spawn (docs/benchmarks.md has the measurements).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{AutotagOption, Cred, CredentialType, FetchOptions, ProxyOptions, RemoteCallbacks};

use crate::config::Transport;
use crate::exec;
use crate::plan::CommandStep;

/// The git implementation one network operation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Cli,
    Git2,
    /// libgit2, and the git CLI when libgit2 fails (`auto`: the user asked
    /// for no particular implementation, only for the result).
    Git2ElseCli,
}

/// The URL schemes we tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Ssh,
    Https,
    Http,
    Git,
    File,
}

impl Scheme {
    /// `ssh://`, `git@host:path` (scp-like), `https://`, `http://`, `git://`,
    /// `file://` or a plain local path.
    pub fn of(url: &str) -> Scheme {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("ssh://")
            || lower.starts_with("git+ssh://")
            || lower.starts_with("ssh+git://")
        {
            Scheme::Ssh
        } else if lower.starts_with("https://") {
            Scheme::Https
        } else if lower.starts_with("http://") {
            Scheme::Http
        } else if lower.starts_with("git://") {
            Scheme::Git
        } else if lower.starts_with("file://") || url.starts_with('/') || url.starts_with('.') {
            Scheme::File
        } else if is_scp_like(url) {
            Scheme::Ssh
        } else {
            Scheme::File
        }
    }
}

/// `user@host:path` or `host:path` (not a Windows drive, not a URL).
fn is_scp_like(url: &str) -> bool {
    match url.find(':') {
        Some(colon) => {
            let before = &url[..colon];
            !before.contains('/') && colon > 1 && !url[colon..].starts_with("://")
        }
        None => false,
    }
}

/// Why `url` must never reach git: it would be read as an option
/// (`--upload-pack=...` runs a command), names a transport that runs
/// commands (`ext::`, `fd::`), or hides control characters.
pub fn refuse_url(url: &str) -> Option<String> {
    let lower = url.trim_start().to_ascii_lowercase();
    if url.trim_start().starts_with('-') {
        Some("starts with `-`, which git would read as an option".into())
    } else if lower.starts_with("ext::") || lower.starts_with("fd::") {
        Some("uses a git transport that runs commands (ext:: or fd::)".into())
    } else if url.chars().any(char::is_control) {
        Some("contains control characters".into())
    } else {
        None
    }
}

/// Why no engine may reach a url.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnreachableUrl {
    #[error("refusing url {url:?}: it {why}")]
    Refused { url: String, why: String },
    #[error("transport = \"git2\" cannot reach {url}: this build's libgit2 has no ssh or TLS support; use transport = \"auto\" or \"cli\"")]
    NoGit2Support { url: String },
}

/// The engine of each kind of network operation on one url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engines {
    /// Cold clones: many objects, indexed in one go.
    pub clone: Engine,
    /// Incremental fetches of a pin's few new commits.
    pub fetch: Engine,
    /// Asking the remote for its refs (every update, usually nothing more).
    pub list: Engine,
}

impl Engines {
    fn all(engine: Engine) -> Self {
        Self {
            clone: engine,
            fetch: engine,
            list: engine,
        }
    }
}

/// Which engine does each network operation for `url` under `setting`.
///
/// `auto` measured (docs/benchmarks.md): the git CLI clones faster (its
/// index-pack runs on every core; libgit2 indexes on one thread and its
/// local transport packs objects for every advertised ref, so a mirror
/// with `refs/pull/*` whose objects are absent breaks it), while libgit2
/// lists refs and fetches a few commits without spawning a process. ssh
/// and https always use the CLI for the user's ssh config and credentials.
pub fn engines_for(setting: Transport, url: &str) -> Result<Engines, UnreachableUrl> {
    if let Some(why) = refuse_url(url) {
        return Err(UnreachableUrl::Refused {
            url: url.to_string(),
            why,
        });
    }
    let scheme = Scheme::of(url);
    match setting {
        Transport::Cli => Ok(Engines::all(Engine::Cli)),
        Transport::Git2 => match scheme {
            Scheme::Ssh | Scheme::Https => Err(UnreachableUrl::NoGit2Support {
                url: url.to_string(),
            }),
            _ => Ok(Engines::all(Engine::Git2)),
        },
        Transport::Auto => Ok(match scheme {
            Scheme::Ssh | Scheme::Https => Engines::all(Engine::Cli),
            // libgit2's local transport packs far more than a fetch needs: one
            // new commit of tryton/trytond took seconds against git's 0.1 s.
            Scheme::File if git_cli_available() => Engines {
                clone: Engine::Cli,
                fetch: Engine::Cli,
                list: Engine::Git2ElseCli,
            },
            Scheme::Http | Scheme::Git | Scheme::File => Engines {
                clone: if git_cli_available() {
                    Engine::Cli
                } else {
                    Engine::Git2ElseCli
                },
                fetch: Engine::Git2ElseCli,
                list: Engine::Git2ElseCli,
            },
        }),
    }
}

/// Whether a `git` command line can be run here (asked once per process).
fn git_cli_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let step = CommandStep::new(["git", "--version"]);
        exec::capture(&step).is_ok_and(|out| out.success())
    })
}

/// The folder a local URL (`/path`, `./path`, `file:///path`) names.
pub fn local_path(url: &str) -> Option<std::path::PathBuf> {
    if Scheme::of(url) != Scheme::File {
        return None;
    }
    Some(std::path::PathBuf::from(
        url.strip_prefix("file://").unwrap_or(url),
    ))
}

/// The host part of a URL, for the per-host concurrency cap ("" for local paths).
pub fn host_of(url: &str) -> String {
    if let Some(rest) = url.split_once("://").map(|(_, rest)| rest) {
        let authority = rest.split('/').next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        return host.to_ascii_lowercase();
    }
    if is_scp_like(url) {
        let before = &url[..url.find(':').unwrap_or(0)];
        return before.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    }
    String::new()
}

/// The refs a remote advertises.
#[derive(Debug, Clone, Default)]
pub struct RemoteRefs {
    /// `refs/heads/NAME` and `refs/tags/NAME` (tags peeled to their commit).
    pub refs: BTreeMap<String, git2::Oid>,
    /// The branch the remote's HEAD points to, when it says.
    pub default_branch: Option<String>,
}

impl RemoteRefs {
    pub fn branch(&self, name: &str) -> Option<git2::Oid> {
        self.refs.get(&format!("refs/heads/{name}")).copied()
    }
}

/// A failed network operation, with git's own words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct NetError(pub String);

/// Options given to every git we run: transports that run commands stay
/// off whatever the user's config allows.
const GIT_SAFETY: [&str; 2] = ["-c", "protocol.ext.allow=never"];

/// Where an environment keeps git settings of its own (relative to its
/// root): `offline/use-mirrors` writes a mirror's `url.<base>.insteadOf`
/// there, with an include of the user's own `~/.gitconfig`.
pub const ENVIRONMENT_GIT_CONFIG: &str = ".xtask/gitconfig";

/// The environment's git config, when it has one: every git we run reads
/// it as its global file (`GIT_CONFIG_GLOBAL`), so a mirror set for this
/// environment changes nothing for any other git on the machine.
static GIT_CONFIG: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Uses `root`'s [`ENVIRONMENT_GIT_CONFIG`] for every git run from now on,
/// when the file exists.
pub fn use_environment_git_config(root: &Path) {
    let path = root.join(ENVIRONMENT_GIT_CONFIG);
    if path.is_file() {
        let _ = GIT_CONFIG.set(path);
    }
}

/// A note for a failure when the environment's git config rewrites urls:
/// the url git used is not the one repos.toml gives.
fn rewrite_note() -> String {
    let Some(path) = GIT_CONFIG.get() else {
        return String::new();
    };
    let rewrites = std::fs::read_to_string(path)
        .map(|text| text.to_ascii_lowercase().contains("insteadof"))
        .unwrap_or(false);
    if rewrites {
        format!(
            " (urls are rewritten for this environment by {}: `git config -f {} --get-regexp insteadof` lists the rules)",
            ENVIRONMENT_GIT_CONFIG,
            path.display()
        )
    } else {
        String::new()
    }
}

fn git_cli(args: &[&str], dir: Option<&Path>, trace: &Trace) -> Result<String, NetError> {
    let argv = std::iter::once("git")
        .chain(GIT_SAFETY)
        .chain(args.iter().copied());
    let mut step = CommandStep::new(argv).env("GIT_TERMINAL_PROMPT", "0");
    if let Some(config) = GIT_CONFIG.get() {
        step = step.env("GIT_CONFIG_GLOBAL", config.to_string_lossy());
    }
    if let Some(dir) = dir {
        step = step.dir(dir);
    }
    trace(&step.to_string());
    let out = exec::capture(&step).map_err(|e| NetError(e.to_string()))?;
    if out.success() {
        Ok(out.stdout)
    } else {
        let message = out.stderr.trim();
        let message = if message.is_empty() {
            format!("git {} exited with code {}", args.join(" "), out.code)
        } else {
            message.to_string()
        };
        Err(NetError(message + &rewrite_note()))
    }
}

/// Told each command line run (and each in-process equivalent) for `-v`.
pub type Trace = dyn Fn(&str) + Send + Sync;

/// Remote callbacks for libgit2: each credential method is tried once
/// (ssh-agent, default keys, the git credential helper) and the failure
/// names the ones tried.
#[derive(Clone, Default)]
struct CredentialState {
    tried: std::rc::Rc<std::cell::RefCell<Vec<&'static str>>>,
}

fn callbacks(shared: &CredentialState) -> RemoteCallbacks<'static> {
    let shared = shared.clone();
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(move |url, username, allowed| {
        let mut state = shared.tried.borrow_mut();
        let state = &mut *state;
        let user = username.unwrap_or("git");
        if allowed.contains(CredentialType::SSH_KEY) {
            if !state.contains(&"ssh-agent") {
                state.push("ssh-agent");
                return Cred::ssh_key_from_agent(user);
            }
            if !state.contains(&"default ssh keys") {
                state.push("default ssh keys");
                let home = std::env::var_os("HOME").unwrap_or_default();
                for key in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                    let path = Path::new(&home).join(".ssh").join(key);
                    if path.exists() {
                        return Cred::ssh_key(user, None, &path, None);
                    }
                }
            }
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && !state.contains(&"credential helper")
        {
            state.push("credential helper");
            if let Ok(config) = git2::Config::open_default() {
                return Cred::credential_helper(&config, url, username);
            }
        }
        Err(git2::Error::from_str(&format!(
            "authentication failed; tried: {}",
            if state.is_empty() {
                "nothing the server accepts".to_string()
            } else {
                state.join(", ")
            }
        )))
    });
    // An interrupt stops a transfer cleanly between packets (no stale locks).
    callbacks.transfer_progress(|_| !exec::interrupted());
    callbacks.sideband_progress(|_| !exec::interrupted());
    callbacks
}

/// Fetch options for libgit2: our credential callbacks and automatic proxies.
fn fetch_options(state: &CredentialState) -> FetchOptions<'static> {
    let mut options = FetchOptions::new();
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    options
        .remote_callbacks(callbacks(state))
        .proxy_options(proxy);
    options
}

fn git2_error(error: git2::Error, state: &CredentialState) -> NetError {
    let tried = state.tried.borrow();
    if tried.is_empty() || error.message().contains("tried:") {
        NetError(error.message().to_string())
    } else {
        NetError(format!(
            "{} (credential methods tried: {})",
            error.message(),
            tried.join(", ")
        ))
    }
}

/// Lists the refs of the repository's `origin` remote.
pub fn list_remote(
    engine: Engine,
    repo_dir: &Path,
    url: &str,
    trace: &Trace,
) -> Result<RemoteRefs, NetError> {
    match engine {
        Engine::Cli => {
            let out = git_cli(
                &["ls-remote", "--symref", "--", "origin"],
                Some(repo_dir),
                trace,
            )?;
            Ok(parse_ls_remote(&out))
        }
        Engine::Git2 => list_remote_git2(repo_dir, url, trace),
        Engine::Git2ElseCli => or_cli(
            "ls-remote",
            list_remote_git2(repo_dir, url, trace),
            trace,
            || list_remote(Engine::Cli, repo_dir, url, trace),
        ),
    }
}

/// libgit2 fails where git does not (its local transport reads every
/// advertised ref's objects, so a mirror missing a pull ref's objects
/// breaks it): then git's own answer is the one to trust.
fn or_cli<T>(
    what: &str,
    result: Result<T, NetError>,
    trace: &Trace,
    retry: impl FnOnce() -> Result<T, NetError>,
) -> Result<T, NetError> {
    match result {
        Ok(value) => Ok(value),
        // Stopped by an interrupt, or no git to ask: nothing to retry.
        Err(error) if exec::interrupted() || !git_cli_available() => Err(error),
        Err(error) => {
            trace(&format!(
                "(libgit2 {what} failed: {error}; retrying with git)"
            ));
            retry()
        }
    }
}

fn list_remote_git2(repo_dir: &Path, url: &str, trace: &Trace) -> Result<RemoteRefs, NetError> {
    trace(&format!(
        "(libgit2, in {}) git ls-remote --symref -- origin",
        repo_dir.display()
    ));
    let repo = git2::Repository::open(repo_dir).map_err(|e| NetError(e.message().to_string()))?;
    let mut remote = repo
        .find_remote("origin")
        .or_else(|_| repo.remote_anonymous(url))
        .map_err(|e| NetError(e.message().to_string()))?;
    let state = CredentialState::default();
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    let connection =
        remote.connect_auth(git2::Direction::Fetch, Some(callbacks(&state)), Some(proxy));
    let connection = match connection {
        Ok(connection) => connection,
        Err(error) => return Err(git2_error(error, &state)),
    };
    let mut refs = RemoteRefs::default();
    let heads = connection
        .list()
        .map_err(|e| NetError(e.message().to_string()))?;
    for head in heads {
        if head.name() == "HEAD" {
            if let Some(target) = head.symref_target() {
                refs.default_branch = target.strip_prefix("refs/heads/").map(str::to_string);
            }
            continue;
        }
        insert_ref(&mut refs, head.name(), head.oid());
    }
    if refs.default_branch.is_none() {
        if let Ok(buf) = connection.default_branch() {
            refs.default_branch = buf
                .as_str()
                .ok()
                .and_then(|s| s.strip_prefix("refs/heads/"))
                .map(str::to_string);
        }
    }
    Ok(refs)
}

fn insert_ref(refs: &mut RemoteRefs, name: &str, oid: git2::Oid) {
    if let Some(tag) = name.strip_suffix("^{}") {
        // A peeled annotated tag: the commit it points to wins.
        refs.refs.insert(tag.to_string(), oid);
    } else if name.starts_with("refs/heads/") || name.starts_with("refs/tags/") {
        refs.refs.entry(name.to_string()).or_insert(oid);
    }
}

/// Parses `git ls-remote --symref` output.
pub fn parse_ls_remote(out: &str) -> RemoteRefs {
    let mut refs = RemoteRefs::default();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("ref: ") {
            if let Some((target, "HEAD")) = rest.split_once('\t') {
                refs.default_branch = target.strip_prefix("refs/heads/").map(str::to_string);
            }
            continue;
        }
        if let Some((oid, name)) = line.split_once('\t') {
            if let Ok(oid) = git2::Oid::from_str(oid) {
                insert_ref(&mut refs, name, oid);
            }
        }
    }
    refs
}

/// Fetches `refspecs` from `origin` into the repository.
pub fn fetch(
    engine: Engine,
    repo_dir: &Path,
    refspecs: &[String],
    trace: &Trace,
) -> Result<(), NetError> {
    match engine {
        Engine::Cli => {
            let mut args = vec!["fetch", "--quiet", "--no-tags", "--", "origin"];
            args.extend(refspecs.iter().map(String::as_str));
            git_cli(&args, Some(repo_dir), trace).map(|_| ())
        }
        Engine::Git2ElseCli => or_cli(
            "fetch",
            fetch(Engine::Git2, repo_dir, refspecs, trace),
            trace,
            || fetch(Engine::Cli, repo_dir, refspecs, trace),
        ),
        Engine::Git2 => {
            trace(&format!(
                "(libgit2, in {}) git fetch --no-tags -- origin {}",
                repo_dir.display(),
                refspecs.join(" ")
            ));
            let repo =
                git2::Repository::open(repo_dir).map_err(|e| NetError(e.message().to_string()))?;
            let mut remote = repo
                .find_remote("origin")
                .map_err(|e| NetError(e.message().to_string()))?;
            let state = CredentialState::default();
            let mut options = fetch_options(&state);
            options.download_tags(AutotagOption::None);
            remote
                .fetch(refspecs, Some(&mut options), Some("xtask update: fetch"))
                .map_err(|e| git2_error(e, &state))
        }
    }
}

/// What a clone checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloneCheckout {
    /// This branch, tracking its remote branch.
    Branch(String),
    /// The remote's default branch.
    DefaultBranch,
    /// No files: the caller checks out a tag or commit.
    Nothing,
}

/// Clones `url` into `dest` (which must not exist) and checks out `what`.
pub fn clone_into(
    engine: Engine,
    url: &str,
    dest: &Path,
    what: &CloneCheckout,
    trace: &Trace,
) -> Result<(), NetError> {
    let dest_text = dest.to_string_lossy();
    let mut args = vec!["clone", "--quiet"];
    // Every branch, as `git clone`: measured on tryton/trytond (20 release
    // branches sharing their history), --single-branch cloned no faster and
    // made a later pin change fetch again (bench/real_repos.py).
    match what {
        CloneCheckout::Branch(branch) => args.extend(["--branch", branch.as_str()]),
        CloneCheckout::DefaultBranch => {}
        CloneCheckout::Nothing => args.push("--no-checkout"),
    }
    // `--` ends the options: a url or path from repos.toml is never one.
    args.extend(["--", url, &dest_text]);
    match engine {
        Engine::Cli => git_cli(&args, None, trace).map(|_| ()),
        Engine::Git2ElseCli => or_cli(
            "clone",
            clone_into(Engine::Git2, url, dest, what, trace),
            trace,
            || {
                // libgit2 may have left a partial clone behind.
                let _ = std::fs::remove_dir_all(dest);
                clone_into(Engine::Cli, url, dest, what, trace)
            },
        ),
        Engine::Git2 => {
            trace(&format!("(libgit2) git {}", shell_words::join(&args)));
            let state = CredentialState::default();
            let mut checkout = git2::build::CheckoutBuilder::new();
            if *what == CloneCheckout::Nothing {
                checkout.dry_run();
            }
            let mut builder = git2::build::RepoBuilder::new();
            builder
                .fetch_options(fetch_options(&state))
                .with_checkout(checkout);
            if let CloneCheckout::Branch(branch) = what {
                builder.branch(branch);
            }
            builder
                .clone(url, dest)
                .map(|_| ())
                .map_err(|e| git2_error(e, &state))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_hosts() {
        assert_eq!(Scheme::of("git@github.com:tryton/trytond.git"), Scheme::Ssh);
        assert_eq!(Scheme::of("ssh://git@host/x"), Scheme::Ssh);
        assert_eq!(
            Scheme::of("https://github.com/tryton/trytond.git"),
            Scheme::Https
        );
        assert_eq!(Scheme::of("git://127.0.0.1:9418/r.git"), Scheme::Git);
        assert_eq!(Scheme::of("/srv/git/r.git"), Scheme::File);
        assert_eq!(Scheme::of("file:///srv/git/r.git"), Scheme::File);
        assert_eq!(host_of("https://user@GitHub.com/x/y.git"), "github.com");
        assert_eq!(host_of("git@github.com:x/y.git"), "github.com");
        assert_eq!(host_of("/srv/git/r.git"), "");
        assert_eq!(
            engines_for(Transport::Auto, "git@h:x").ok(),
            Some(Engines::all(Engine::Cli))
        );
        let git = engines_for(Transport::Auto, "git://h/x").ok();
        assert_eq!(
            git.map(|e| (e.fetch, e.list)),
            Some((Engine::Git2ElseCli, Engine::Git2ElseCli))
        );
        assert!(engines_for(Transport::Git2, "https://h/x").is_err());
        assert!(engines_for(Transport::Cli, "--upload-pack=x").is_err());
        assert!(engines_for(Transport::Auto, "ext::sh -c x").is_err());
    }

    #[test]
    fn ls_remote_output_is_parsed_with_peeled_tags_and_head() {
        let out = "ref: refs/heads/main\tHEAD\n\
            1111111111111111111111111111111111111111\tHEAD\n\
            1111111111111111111111111111111111111111\trefs/heads/main\n\
            2222222222222222222222222222222222222222\trefs/tags/v1\n\
            3333333333333333333333333333333333333333\trefs/tags/v1^{}\n";
        let refs = parse_ls_remote(out);
        assert_eq!(refs.default_branch.as_deref(), Some("main"));
        assert_eq!(
            refs.refs.get("refs/tags/v1").map(|o| o.to_string()),
            Some("3".repeat(40))
        );
        assert_eq!(
            refs.branch("main").map(|o| o.to_string()),
            Some("1".repeat(40))
        );
    }
}
