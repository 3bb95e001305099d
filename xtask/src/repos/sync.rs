//! `update`: bring every repo to its pin without ever losing local work.
//!
//! Per repo: look at the local state (libgit2, no network), ask the remote
//! what the pin points to (one connection; the fetch is skipped when that
//! commit is already here), then move the work tree with a safe checkout.
//! Network work is bounded by `jobs` and by `jobs_per_host`; local work by
//! the number of cores.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use git2::build::CheckoutBuilder;
use git2::{BranchType, Oid, Repository};

use crate::config::{Pin, Transport};
use crate::repos::local_state::{self, short, Head, Presence};
use crate::repos::transport::{self, CloneCheckout, Engines, NetError, RemoteRefs, Trace};

/// One repo to sync, with everything resolved from the config.
#[derive(Debug, Clone)]
pub struct RepoJob {
    pub name: String,
    pub url: String,
    pub pin: Pin,
    /// Absolute path of the work tree.
    pub path: PathBuf,
    /// The path as shown to the user (relative to the environment root).
    pub display_path: String,
}

/// How a repo's update ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    Cloned {
        at: String,
    },
    /// Moved forward (or to another pin) from `from` to `to`.
    Updated {
        from: Oid,
        to: Oid,
        switched: Option<String>,
    },
    UpToDate {
        note: Option<String>,
    },
    /// Left exactly as it was, and why.
    Skipped {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

impl SyncOutcome {
    /// The commit range an update moved over, for notices.
    pub fn range(&self) -> Option<(Oid, Oid)> {
        match self {
            SyncOutcome::Updated { from, to, .. } if from != to => Some((*from, *to)),
            _ => None,
        }
    }

    /// The same outcome with one more remark (`origin reset from ...`).
    pub fn with_note(self, extra: String) -> Self {
        let joined = |note: Option<String>| match note {
            Some(note) => format!("{note}; {extra}"),
            None => extra.clone(),
        };
        match self {
            SyncOutcome::UpToDate { note } => SyncOutcome::UpToDate {
                note: Some(joined(note)),
            },
            SyncOutcome::Updated { from, to, switched } => SyncOutcome::Updated {
                from,
                to,
                switched: Some(joined(switched)),
            },
            other => other,
        }
    }
}

/// The descriptors one repo's work may hold at once: the repository's open
/// files and packs, a git child's three pipes (and their other ends while
/// it starts), a socket.
pub const DESCRIPTORS_PER_JOB: usize = 12;

/// Settings shared by every repo of one run.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub transport: Transport,
    pub jobs: usize,
    pub jobs_per_host: usize,
    /// `--reset`: point an `origin` that differs from repos.toml back at it.
    pub reset_origin: bool,
}

/// What `--dry-run` says a repo would get, decided without the network.
pub fn describe_plan(job: &RepoJob) -> String {
    if let Some(why) = transport::refuse_url(&job.url) {
        return format!(
            "fail {}: refusing url {:?}: it {why}",
            job.display_path, job.url
        );
    }
    match local_state::open(&job.path) {
        Presence::Missing => format!("clone {} into {} ({})", job.url, job.display_path, job.pin),
        Presence::NotARepo(why) => format!(
            "fail {}: exists but is not a git repository ({why})",
            job.display_path
        ),
        Presence::Repo(repo) => match local_state::inspect(&repo) {
            Ok(state) => {
                if let Some(operation) = local_state::operation_in_progress(&repo) {
                    return format!("skip {}: {operation} is in progress", job.display_path);
                }
                if let Some(origin) = state
                    .origin_url
                    .as_deref()
                    .filter(|origin| !same_url(origin, &job.url))
                {
                    return format!(
                        "skip {}: its origin is {origin}, not the url of repos.toml (unless --reset)",
                        job.display_path
                    );
                }
                let mut line = format!(
                    "sync {} to {} (now {}",
                    job.display_path,
                    job.pin,
                    state.head.describe()
                );
                if state.changes.has_uncommitted_work() {
                    line.push_str(&format!(
                        ", {} changed files: left as is unless nothing needs to move",
                        state.changes.tracked
                    ));
                }
                line.push(')');
                line
            }
            Err(error) => format!("fail {}: {}", job.display_path, error.message()),
        },
    }
}

/// How many repos may do each kind of work at once.
struct Limits {
    network: Arc<Slots>,
    per_host: Mutex<HashMap<String, Arc<Slots>>>,
    jobs_per_host: usize,
    local: Arc<Slots>,
    /// Told every git command line run, for `-v`.
    trace: Arc<Trace>,
}

impl Limits {
    fn host(&self, host: &str) -> Arc<Slots> {
        let mut hosts = self.per_host.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host.to_string())
            .or_insert_with(|| Slots::new(self.jobs_per_host))
            .clone()
    }
}

/// A counting semaphore: at most its number of [`Slot`]s are held at once.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One of [`Slots`], given back when dropped.
struct Slot(Arc<Slots>);

impl Slots {
    fn new(count: usize) -> Arc<Self> {
        Arc::new(Self {
            free: Mutex::new(count.max(1)),
            freed: Condvar::new(),
        })
    }

    /// Waits for a free slot and holds it.
    fn take(self: &Arc<Self>) -> Slot {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(Arc::clone(self))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

/// Told how a repo's work ended.
pub type OnDone = dyn Fn(&RepoJob, &SyncOutcome) + Send + Sync;

/// What a run tells its caller as it goes.
pub struct SyncReport {
    /// A repo's work begins.
    pub on_start: Box<dyn Fn(&RepoJob) + Send + Sync>,
    /// A repo's work ended so.
    pub on_done: Box<OnDone>,
    /// A git command line runs (or its in-process equivalent), for `-v`.
    pub on_command: Arc<Trace>,
}

/// Syncs every job in parallel and reports each outcome as it finishes.
pub fn sync_all(
    jobs: Vec<RepoJob>,
    settings: &SyncSettings,
    report: SyncReport,
) -> anyhow::Result<Vec<(RepoJob, SyncOutcome)>> {
    let SyncReport {
        on_start,
        on_done,
        on_command,
    } = report;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let jobs_at_once = settings.jobs.max(1);
    let limits = Limits {
        network: Slots::new(jobs_at_once),
        per_host: Mutex::new(HashMap::new()),
        jobs_per_host: settings.jobs_per_host.max(1),
        local: Slots::new(cores.min(jobs_at_once)),
        trace: on_command,
    };
    let (transport, reset_origin) = (settings.transport, settings.reset_origin);
    let count = jobs.len();
    // Each repo's work runs on one of `jobs` threads from the repository's
    // opening on, so that descriptors (sized by the caller to the
    // open-files limit) suffice.
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let done: Mutex<Vec<Option<(RepoJob, SyncOutcome)>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let worker = || loop {
        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
        let Some((index, job)) = next else {
            return;
        };
        on_start(&job);
        let outcome = sync_one(&job, transport, reset_origin, &limits);
        on_done(&job, &outcome);
        done.lock().unwrap_or_else(|p| p.into_inner())[index] = Some((job, outcome));
    };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut workers = Vec::new();
        for _ in 0..jobs_at_once.min(count) {
            workers.push(std::thread::Builder::new().spawn_scoped(scope, worker)?);
        }
        for handle in workers {
            if handle.join().is_err() {
                anyhow::bail!("a sync worker failed");
            }
        }
        Ok(())
    })?;
    let results = done.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(results.into_iter().flatten().collect())
}

/// Holds a network slot (global and per host) for as long as it lives.
struct NetworkSlot {
    _global: Slot,
    _host: Slot,
}

/// Waits for a slot for `url`'s host, then for one of the run's.
fn network_slot(limits: &Limits, url: &str) -> NetworkSlot {
    let host = limits.host(&transport::host_of(url)).take();
    NetworkSlot {
        _global: limits.network.take(),
        _host: host,
    }
}

fn sync_one(
    job: &RepoJob,
    transport_setting: Transport,
    reset_origin: bool,
    limits: &Limits,
) -> SyncOutcome {
    if crate::exec::interrupted() {
        return SyncOutcome::Failed {
            reason: "interrupted before it started".into(),
        };
    }
    let engines = match transport::engines_for(transport_setting, &job.url) {
        Ok(engines) => engines,
        Err(unreachable) => {
            return SyncOutcome::Failed {
                reason: unreachable.to_string(),
            }
        }
    };
    if let Some(path) = transport::local_path(&job.url) {
        if !path.exists() {
            return SyncOutcome::Failed {
                reason: format!(
                    "no repository at {} (the url in repos.toml)",
                    path.display()
                ),
            };
        }
    }
    let result = match local_state::open(&job.path) {
        Presence::NotARepo(why) => Err(SyncError::NotARepo {
            path: job.display_path.clone(),
            why,
        }),
        Presence::Missing => clone(job, engines, limits),
        Presence::Repo(repo) => update(job, repo, engines, limits, reset_origin),
    };
    result.unwrap_or_else(|error| SyncOutcome::Failed {
        reason: error.to_string(),
    })
}

/// Why one repo's sync failed; its text becomes [`SyncOutcome::Failed`]'s reason.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    #[error("{}", .0.message())]
    Git(#[from] git2::Error),
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("{path} exists but is not a git repository ({why}); move it away and update again")]
    NotARepo { path: String, why: String },
    #[error("a repo path has no parent folder")]
    NoParent,
    #[error("cannot create {}: {source}", path.display())]
    CreateFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("branch `{branch}` not found in {url}")]
    BranchNotFound { branch: String, url: String },
    #[error("tag `{tag}` not found in {url}")]
    TagNotFound { tag: String, url: String },
    #[error("{pin} not found in {url}")]
    PinNotFound { pin: Pin, url: String },
    #[error("{url} does not say which branch is its default; pin a branch in repos.toml")]
    NoDefaultBranch { url: String },
    #[error("the clone has no HEAD commit")]
    NoHeadCommit,
    #[error("interrupted; the clone was not moved into place")]
    InterruptedClone,
    #[error("interrupted before its work tree was touched")]
    InterruptedUpdate,
    #[error("cannot replace empty {path}: {source}")]
    ReplaceEmpty {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot move the clone into {path}: {source}")]
    MoveClone {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("checkout would overwrite local files ({}); nothing was changed", .0.message())]
    Conflict(#[source] git2::Error),
    #[error("{what} failed ({}); `git status` shows the state", source.message())]
    MoveFailed {
        what: &'static str,
        #[source]
        source: git2::Error,
    },
    #[error("{what} failed ({}); the work tree was put back as it was", source.message())]
    MoveRolledBack {
        what: &'static str,
        #[source]
        source: git2::Error,
    },
    #[error("{what} failed ({}), and putting the work tree back failed too ({}); `git status` shows what changed", source.message(), again.message())]
    RollbackFailed {
        what: &'static str,
        #[source]
        source: git2::Error,
        again: git2::Error,
    },
}

/// Clones into a temporary folder beside the target and renames it into
/// place only when complete, so an interrupted run leaves nothing half-made.
fn clone(job: &RepoJob, engines: Engines, limits: &Limits) -> Result<SyncOutcome, SyncError> {
    let parent = job.path.parent().ok_or(SyncError::NoParent)?;
    std::fs::create_dir_all(parent).map_err(|source| SyncError::CreateFolder {
        path: parent.to_path_buf(),
        source,
    })?;
    let file_name = job
        .path
        .file_name()
        .map_or_else(|| job.name.clone(), |n| n.to_string_lossy().into_owned());
    remove_stale_clones(parent, &file_name);
    let tmp = parent.join(format!(".{file_name}.xtask-clone-{}", std::process::id()));
    let result = (|| {
        {
            let _slot = network_slot(limits, &job.url);
            let what = match &job.pin {
                Pin::Branch(branch) => CloneCheckout::Branch(branch.clone()),
                Pin::DefaultBranch => CloneCheckout::DefaultBranch,
                Pin::Tag(_) | Pin::Rev(_) => CloneCheckout::Nothing,
            };
            transport::clone_into(engines.clone, &job.url, &tmp, &what, &*limits.trace).map_err(
                |e| match &what {
                    CloneCheckout::Branch(branch)
                        if e.0.contains("not found") || e.0.contains("Remote branch") =>
                    {
                        SyncError::BranchNotFound {
                            branch: branch.clone(),
                            url: job.url.clone(),
                        }
                    }
                    _ => SyncError::Net(e),
                },
            )?;
        }
        let _local = limits.local.take();
        let repo = Repository::open(&tmp)?;
        let at = check_out_fresh_clone(job, &repo, engines, limits)?;
        drop(repo);
        if crate::exec::interrupted() {
            return Err(SyncError::InterruptedClone);
        }
        if job.path.exists() {
            // An empty folder stood in the way (local_state::open treats it as missing).
            std::fs::remove_dir(&job.path).map_err(|source| SyncError::ReplaceEmpty {
                path: job.display_path.clone(),
                source,
            })?;
        }
        std::fs::rename(&tmp, &job.path).map_err(|source| SyncError::MoveClone {
            path: job.display_path.clone(),
            source,
        })?;
        Ok(SyncOutcome::Cloned { at })
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Leftovers of interrupted clones of this repo (ours by their name),
/// removed only when the process named in them is gone: a live one belongs
/// to a clone still in progress.
fn remove_stale_clones(parent: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.xtask-clone-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name.strip_prefix(&prefix) else {
            continue;
        };
        let owner_alive = owner
            .split('-')
            .next()
            .and_then(|pid| pid.parse::<i32>().ok())
            .is_some_and(process_alive);
        if !owner_alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a process with this pid exists (ours counts as alive).
fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Checks that the fresh clone stands where its pin says, finishing what the
/// clone did not do (tags and revs are checked out detached here).
fn check_out_fresh_clone(
    job: &RepoJob,
    repo: &Repository,
    engines: Engines,
    limits: &Limits,
) -> Result<String, SyncError> {
    match &job.pin {
        Pin::DefaultBranch | Pin::Branch(_) => {
            let head = repo.head()?;
            let oid = head.target().ok_or(SyncError::NoHeadCommit)?;
            let name = head.shorthand().unwrap_or("HEAD").to_string();
            ensure_upstream(repo, &name);
            Ok(format!("{name} at {}", short(oid)))
        }
        Pin::Tag(_) | Pin::Rev(_) => {
            let oid = resolve_fixed(job, repo, engines, limits)?;
            let commit = repo.find_commit(oid)?;
            let mut force = CheckoutBuilder::new();
            force.force();
            repo.checkout_tree(commit.as_object(), Some(&mut force))?;
            repo.set_head_detached(oid)?;
            Ok(format!("{}, detached at {}", job.pin, short(oid)))
        }
    }
}

/// The commit a tag or rev pin names, fetching only when it is not here.
fn resolve_fixed(
    job: &RepoJob,
    repo: &Repository,
    engines: Engines,
    limits: &Limits,
) -> Result<Oid, SyncError> {
    let local = |repo: &Repository| -> Option<Oid> {
        let spec = match &job.pin {
            Pin::Tag(tag) => format!("refs/tags/{tag}"),
            Pin::Rev(rev) => rev.clone(),
            _ => return None,
        };
        repo.revparse_single(&spec)
            .ok()?
            .peel_to_commit()
            .ok()
            .map(|c| c.id())
    };
    if let Some(oid) = local(repo) {
        return Ok(oid);
    }
    let refspecs = match &job.pin {
        Pin::Tag(tag) => vec![format!("+refs/tags/{tag}:refs/tags/{tag}")],
        _ => vec![
            "+refs/heads/*:refs/remotes/origin/*".to_string(),
            "+refs/tags/*:refs/tags/*".to_string(),
        ],
    };
    {
        let _slot = network_slot(limits, &job.url);
        transport::fetch(engines.fetch, repo.path(), &refspecs, &*limits.trace).map_err(|e| {
            match &job.pin {
                Pin::Tag(tag)
                    if e.0.contains("couldn't find remote ref") || e.0.contains("not found") =>
                {
                    SyncError::TagNotFound {
                        tag: tag.clone(),
                        url: job.url.clone(),
                    }
                }
                _ => SyncError::Net(e),
            }
        })?;
    }
    local(repo).ok_or_else(|| SyncError::PinNotFound {
        pin: job.pin.clone(),
        url: job.url.clone(),
    })
}

fn update(
    job: &RepoJob,
    repo: Repository,
    engines: Engines,
    limits: &Limits,
    reset_origin: bool,
) -> Result<SyncOutcome, SyncError> {
    // Moving HEAD under a stopped rebase or merge drops commits when it resumes.
    if let Some(operation) = local_state::operation_in_progress(&repo) {
        return skip(format!(
            "{operation} is in progress; finish or abort it (see `git status`), then update"
        ));
    }
    let head = local_state::head(&repo)?;
    let origin_note = match align_origin(&repo, job, reset_origin)? {
        Origin::Aligned(note) => note,
        Origin::Foreign(reason) => return skip(reason),
    };

    let (target, branch) = match &job.pin {
        Pin::Tag(_) | Pin::Rev(_) => (resolve_fixed(job, &repo, engines, limits)?, None),
        Pin::Branch(_) | Pin::DefaultBranch => {
            let refs: RemoteRefs = {
                let _slot = network_slot(limits, &job.url);
                transport::list_remote(
                    engines.list,
                    repo.workdir().unwrap_or(repo.path()),
                    &job.url,
                    &*limits.trace,
                )?
            };
            let branch = match &job.pin {
                Pin::Branch(branch) => branch.clone(),
                _ => refs
                    .default_branch
                    .clone()
                    .ok_or_else(|| SyncError::NoDefaultBranch {
                        url: job.url.clone(),
                    })?,
            };
            let oid = refs
                .branch(&branch)
                .ok_or_else(|| SyncError::BranchNotFound {
                    branch: branch.clone(),
                    url: job.url.clone(),
                })?;
            if repo.find_commit(oid).is_err() {
                let _slot = network_slot(limits, &job.url);
                transport::fetch(
                    engines.fetch,
                    repo.path(),
                    &[format!("+refs/heads/{branch}:refs/remotes/origin/{branch}")],
                    &*limits.trace,
                )?;
            } else {
                // Written only when it moved: a no-op update writes nothing.
                let tracking = format!("refs/remotes/origin/{branch}");
                if repo.refname_to_id(&tracking).ok() != Some(oid) {
                    repo.reference(&tracking, oid, true, "xtask update: remote ref")?;
                }
            }
            (oid, Some(branch))
        }
    };

    let _local = limits.local.take();
    if crate::exec::interrupted() {
        return Err(SyncError::InterruptedUpdate);
    }
    let outcome = match branch {
        Some(branch) => move_branch(&repo, &head, &branch, target),
        None => move_detached(job, &repo, &head, target),
    }?;
    Ok(match origin_note {
        Some(note) => outcome.with_note(note),
        None => outcome,
    })
}

/// Makes `origin` the url of repos.toml. A missing origin is added; one
/// that points elsewhere (the user's fork, a mirror) is left alone unless
/// `--reset` asks for it.
fn align_origin(repo: &Repository, job: &RepoJob, reset: bool) -> Result<Origin, SyncError> {
    match local_state::origin_url(repo) {
        Some(url) if same_url(&url, &job.url) => Ok(Origin::Aligned(None)),
        Some(url) if reset => {
            repo.remote_set_url("origin", &job.url)?;
            Ok(Origin::Aligned(Some(format!("origin reset from {url}"))))
        }
        Some(url) => Ok(Origin::Foreign(format!(
            "its origin is {url}, not {} as in repos.toml; nothing was changed (point it back with `cargo xtask update --reset {}`, or change the url in repos.toml)",
            job.url, job.name
        ))),
        None => {
            repo.remote("origin", &job.url)?;
            Ok(Origin::Aligned(Some("origin added".into())))
        }
    }
}

/// Where `origin` stands after [`align_origin`].
enum Origin {
    /// It is the url of repos.toml (now), with a note when it was changed.
    Aligned(Option<String>),
    /// It points elsewhere: the reason the repo is skipped.
    Foreign(String),
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Moves the work tree from `from` to `to`, then runs `move_refs`. A step
/// that fails after files changed puts the old tree back, so the user finds
/// the repo as it was or as it should be, never half-way.
pub(crate) fn transition(
    repo: &Repository,
    from: Option<Oid>,
    to: Oid,
    move_refs: impl FnOnce() -> Result<(), git2::Error>,
) -> Result<(), SyncError> {
    let commit = repo.find_commit(to)?;
    let mut safe = CheckoutBuilder::new();
    safe.safe();
    if let Err(error) = repo.checkout_tree(commit.as_object(), Some(&mut safe)) {
        if error.code() == git2::ErrorCode::Conflict {
            // libgit2 finds conflicts before it writes anything.
            return Err(SyncError::Conflict(error));
        }
        return Err(rolled_back(repo, from, to, "checkout", error));
    }
    match move_refs() {
        Ok(()) => Ok(()),
        Err(error) => Err(rolled_back(repo, from, to, "moving the branch", error)),
    }
}

/// Puts the work tree back at `from` after a failed move to `to`, and says so.
fn rolled_back(
    repo: &Repository,
    from: Option<Oid>,
    to: Oid,
    what: &'static str,
    source: git2::Error,
) -> SyncError {
    let Some(from) = from else {
        return SyncError::MoveFailed { what, source };
    };
    match restore_tree(repo, from, to) {
        Ok(()) => SyncError::MoveRolledBack { what, source },
        Err(again) => SyncError::RollbackFailed {
            what,
            source,
            again,
        },
    }
}

/// Restores the files that differ between the trees of `from` and `to` to
/// their state in `from`; files only `to` has are removed (a safe checkout
/// never overwrites an untracked file, so they were ours).
pub(crate) fn restore_tree(repo: &Repository, from: Oid, to: Oid) -> Result<(), git2::Error> {
    let old_tree = repo.find_commit(from)?.tree()?;
    let new_tree = repo.find_commit(to)?.tree()?;
    let diff = repo.diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| git2::Error::from_str("the repository has no work tree"))?
        .to_path_buf();
    let mut restore = CheckoutBuilder::new();
    restore.force();
    let mut any = false;
    let mut added = Vec::new();
    for delta in diff.deltas() {
        if delta.status() == git2::Delta::Added {
            if let Some(path) = delta.new_file().path() {
                added.push(path.to_path_buf());
            }
        } else if let Some(path) = delta.old_file().path() {
            restore.path(path);
            any = true;
        }
    }
    if any {
        repo.checkout_tree(old_tree.as_object(), Some(&mut restore))?;
    }
    for path in &added {
        let _ = std::fs::remove_file(workdir.join(path));
    }
    // Entries of added files the checkout may have put into the index.
    if let Ok(mut index) = repo.index() {
        let mut changed = false;
        for path in &added {
            if index.get_path(path, 0).is_some() {
                changed |= index.remove_path(path).is_ok();
            }
        }
        if changed {
            let _ = index.write();
        }
    }
    Ok(())
}

fn skip(reason: String) -> Result<SyncOutcome, SyncError> {
    Ok(SyncOutcome::Skipped { reason })
}

/// Refuses to move a repo whose HEAD is detached at commits that nothing
/// else references: leaving them would orphan the user's work.
/// A tag that points at `commit` (the first by name), if any.
fn tag_at(repo: &Repository, commit: Oid) -> Option<String> {
    let mut tags: Vec<String> = repo
        .references_glob("refs/tags/*")
        .ok()?
        .flatten()
        .filter(|reference| reference.peel_to_commit().is_ok_and(|c| c.id() == commit))
        .filter_map(|reference| reference.shorthand().ok().map(String::from))
        .collect();
    tags.sort();
    tags.into_iter().next()
}

fn short_id(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

fn refuse_orphaning(repo: &Repository, head: &Head) -> Result<Option<String>, SyncError> {
    let Head::Detached(oid) = head else {
        return Ok(None);
    };
    let orphaned = local_state::unreferenced_commits(repo, *oid, 1000)?;
    Ok((orphaned > 0).then(|| {
        let count = if orphaned >= 1000 {
            "1000 or more commits".to_string()
        } else {
            crate::ui::plural(orphaned, "commit", "commits")
        };
        format!(
            "detached at {} with {count} no branch or tag contains; keep them with `git switch -c NAME`, then update",
            short(*oid)
        )
    }))
}

/// What stands in the way of a checkout that git would only find half-way.
pub(crate) fn refuse_blocked(repo: &Repository, branch: Option<&str>) -> Option<String> {
    if let Some(lock) = local_state::lock_in_the_way(repo, branch) {
        return Some(format!(
            "{} exists: another git process is working here (if none is, remove the file); nothing was changed",
            lock.display()
        ));
    }
    let branch = branch?;
    let elsewhere = local_state::checked_out_elsewhere(repo, branch)?;
    Some(format!(
        "branch {branch} is checked out in the worktree at {}; nothing was changed",
        elsewhere.display()
    ))
}

/// Brings the repo to branch `branch` at (or fast-forwarded to) `target`.
fn move_branch(
    repo: &Repository,
    head: &Head,
    branch: &str,
    target: Oid,
) -> Result<SyncOutcome, SyncError> {
    let upstream = format!("origin/{branch}");
    let branch_ref = format!("refs/heads/{branch}");
    match head {
        Head::Branch {
            name,
            oid: Some(local),
        } if name == branch => {
            let (ahead, behind) = repo.graph_ahead_behind(*local, target)?;
            ensure_upstream(repo, branch);
            if behind == 0 {
                let note =
                    (ahead > 0).then(|| format!("ahead of {upstream} by {ahead}, not pushed"));
                return Ok(SyncOutcome::UpToDate { note });
            }
            if ahead > 0 {
                return skip(format!(
                    "diverged from {upstream} ({ahead} ahead, {behind} behind); merge or rebase by hand"
                ));
            }
            let tracked_changes = tracked_changes(repo)?;
            if tracked_changes > 0 {
                return skip(format!(
                    "uncommitted changes in {}; commit or stash them, then update",
                    files(tracked_changes)
                ));
            }
            if let Some(reason) = refuse_blocked(repo, Some(branch)) {
                return skip(reason);
            }
            transition(repo, Some(*local), target, || {
                repo.reference(&branch_ref, target, true, "xtask update: fast-forward")
                    .map(|_| ())
            })?;
            Ok(SyncOutcome::Updated {
                from: *local,
                to: target,
                switched: None,
            })
        }
        other => {
            let from = other.describe();
            if let Some(reason) = refuse_orphaning(repo, other)? {
                return skip(reason);
            }
            let tracked_changes = tracked_changes(repo)?;
            if tracked_changes > 0 {
                return skip(format!(
                    "on {from} with uncommitted changes in {}, pinned to branch {branch}; commit or stash them, then update", files(tracked_changes)
                ));
            }
            let existing = repo
                .find_branch(branch, BranchType::Local)
                .ok()
                .and_then(|b| b.get().target());
            let destination = match existing {
                Some(local) => {
                    let (ahead, behind) = repo.graph_ahead_behind(local, target)?;
                    if ahead > 0 && behind > 0 {
                        return skip(format!(
                            "on {from}, pinned to {branch}, but local {branch} has diverged from {upstream} ({ahead} ahead, {behind} behind); merge or rebase it by hand"
                        ));
                    }
                    if behind > 0 {
                        target
                    } else {
                        local
                    }
                }
                None => target,
            };
            if let Some(reason) = refuse_blocked(repo, Some(branch)) {
                return skip(reason);
            }
            transition(repo, other.oid(), destination, || {
                repo.reference(
                    &branch_ref,
                    destination,
                    true,
                    "xtask update: switch to pin",
                )?;
                ensure_upstream(repo, branch);
                repo.set_head(&branch_ref)
            })?;
            Ok(SyncOutcome::Updated {
                from: other.oid().unwrap_or(destination),
                to: destination,
                switched: Some(format!("switched {from} -> {branch}")),
            })
        }
    }
}

/// Files with uncommitted changes to tracked content.
fn tracked_changes(repo: &Repository) -> Result<usize, SyncError> {
    Ok(local_state::changes(repo).map(|c| c.tracked)?)
}

fn ensure_upstream(repo: &Repository, branch: &str) {
    if let Ok(mut local) = repo.find_branch(branch, BranchType::Local) {
        if local.upstream().is_err() {
            let _ = local.set_upstream(Some(&format!("origin/{branch}")));
        }
    }
}

/// Brings the repo to `target`, detached (tag and rev pins).
fn move_detached(
    job: &RepoJob,
    repo: &Repository,
    head: &Head,
    target: Oid,
) -> Result<SyncOutcome, SyncError> {
    if head.oid() == Some(target) {
        return Ok(SyncOutcome::UpToDate { note: None });
    }
    if let Some(reason) = refuse_orphaning(repo, head)? {
        return skip(reason);
    }
    let tracked_changes = tracked_changes(repo)?;
    if tracked_changes > 0 {
        return skip(format!(
            "on {} with uncommitted changes in {}, pinned to {}; commit or stash them, then update",
            head.describe(),
            files(tracked_changes),
            job.pin
        ));
    }
    if let Some(reason) = refuse_blocked(repo, None) {
        return skip(reason);
    }
    transition(repo, head.oid(), target, || repo.set_head_detached(target))?;
    // Both ends named, as for a branch: "tag 2.0.1 -> tag 2.0.2".
    let switched = match head {
        Head::Branch { name, .. } => Some(format!("switched {name} -> {}", job.pin)),
        Head::Detached(oid) => Some(match tag_at(repo, *oid) {
            Some(tag) => format!("tag {tag} -> {}", job.pin),
            None => format!("detached {} -> {}", short_id(*oid), job.pin),
        }),
        Head::Unborn => None,
    };
    Ok(SyncOutcome::Updated {
        from: head.oid().unwrap_or(target),
        to: target,
        switched,
    })
}

impl RepoJob {
    /// The job for `spec` at `pin` (the environment's pin, or the locked
    /// commit with `--locked`).
    pub fn new(
        root: &Path,
        repos: &crate::config::ReposFile,
        spec: &crate::config::RepoSpec,
        pin: Pin,
    ) -> Self {
        let relative = repos.repo_path(spec);
        Self {
            name: spec.name().to_string(),
            url: spec.url().to_string(),
            pin,
            path: root.join(&relative),
            display_path: relative.to_string_lossy().into_owned(),
        }
    }
}

/// `1 file`, `3 files`: how many files hold uncommitted changes.
fn files(count: usize) -> String {
    crate::ui::plural(count, "file", "files")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[test]
    fn a_failed_move_puts_the_old_tree_back_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path();
        git(path, &["init", "-q", "-b", "main"]);
        std::fs::write(path.join("a.txt"), "1\n").expect("write");
        std::fs::write(path.join("c.txt"), "only in old\n").expect("write");
        git(path, &["add", "-A"]);
        git(path, &["commit", "-q", "-m", "old"]);
        let old = git(path, &["rev-parse", "HEAD"]);
        std::fs::write(path.join("a.txt"), "2\n").expect("write");
        std::fs::write(path.join("b.txt"), "only in new\n").expect("write");
        std::fs::remove_file(path.join("c.txt")).expect("remove");
        git(path, &["add", "-A"]);
        git(path, &["commit", "-q", "-m", "new"]);
        let new = git(path, &["rev-parse", "HEAD"]);
        git(path, &["reset", "-q", "--hard", &old]);
        std::fs::write(path.join("untracked.txt"), "the user's\n").expect("write");

        // The state a checkout leaves when the ref update after it fails.
        let repo = Repository::open(path).expect("open");
        let (old, new) = (
            Oid::from_str(&old).expect("oid"),
            Oid::from_str(&new).expect("oid"),
        );
        let mut safe = CheckoutBuilder::new();
        safe.safe();
        let commit = repo.find_commit(new).expect("commit");
        repo.checkout_tree(commit.as_object(), Some(&mut safe))
            .expect("checkout");
        assert!(path.join("b.txt").exists());

        restore_tree(&repo, old, new).expect("restore");
        assert_eq!(
            std::fs::read_to_string(path.join("a.txt")).expect("a"),
            "1\n"
        );
        assert!(!path.join("b.txt").exists());
        assert!(path.join("c.txt").exists());
        assert_eq!(
            git(path, &["status", "--porcelain"]),
            "?? untracked.txt",
            "only the user's untracked file differs from HEAD"
        );
    }
}
