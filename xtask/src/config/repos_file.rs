//! `repos.toml`: the source repositories of the environment and the file
//! layout (folders, links, example copies, notices) around them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigErrors, Diagnostic};
use super::parse::parse_toml;
use super::source::SourceFile;

/// The whole of `repos.toml`, validated.
#[derive(Debug, Clone, Deserialize, Default)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReposFile {
    #[serde(default)]
    pub defaults: RepoDefaults,
    #[serde(default, rename = "repo")]
    pub repos: Vec<RepoSpec>,
    /// Folders to create (relative to the environment root).
    #[serde(default, rename = "folder")]
    pub folders: Vec<FolderSpec>,
    /// Symbolic links to make.
    #[serde(default, rename = "link")]
    pub links: Vec<LinkSpec>,
    /// Example files copied into place when missing.
    #[serde(default, rename = "copy")]
    pub copies: Vec<CopySpec>,
    /// Messages printed when an update changed matching files.
    #[serde(default, rename = "notice")]
    pub notices: Vec<NoticeSpec>,
}

/// `[defaults]`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RepoDefaults {
    /// Where repositories land, relative to the environment root.
    #[serde(default = "default_root")]
    #[cfg_attr(test, schemars(with = "String"))]
    pub root: Spanned<String>,
    /// Parallel network workers (clone, fetch).
    #[serde(default = "default_jobs")]
    pub jobs: usize,
    /// At most this many network operations at once against one host.
    #[serde(default = "default_jobs_per_host")]
    pub jobs_per_host: usize,
    /// Which git implementation does network work.
    #[serde(default)]
    pub transport: Transport,
}

impl Default for RepoDefaults {
    fn default() -> Self {
        Self {
            root: default_root(),
            jobs: default_jobs(),
            jobs_per_host: default_jobs_per_host(),
            transport: Transport::default(),
        }
    }
}

fn default_root() -> Spanned<String> {
    Spanned::new(0..0, "shared/src".to_string())
}
fn default_jobs() -> usize {
    8
}
fn default_jobs_per_host() -> usize {
    8
}

/// `transport = "auto" | "cli" | "git2"`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Pick per operation and URL scheme (docs/benchmarks.md has the measurements).
    #[default]
    Auto,
    /// Always the `git` command line.
    Cli,
    /// Always libgit2, in process.
    Git2,
}

impl std::str::FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "cli" => Ok(Self::Cli),
            "git2" => Ok(Self::Git2),
            other => Err(format!(
                "unknown transport `{other}`: use auto, cli or git2"
            )),
        }
    }
}

/// One `[[repo]]`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RepoSpec {
    #[cfg_attr(test, schemars(with = "String"))]
    pub name: Spanned<String>,
    #[cfg_attr(test, schemars(with = "String"))]
    pub url: Spanned<String>,
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub branch: Option<Spanned<String>>,
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub tag: Option<Spanned<String>>,
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub rev: Option<Spanned<String>>,
    /// Relative to `defaults.root`; defaults to `name`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub path: Option<Spanned<String>>,
    /// A label to pick repos by: `update --group NAME`.
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub group: Option<Spanned<String>>,
    /// `[repo.environments.NAME]`: another pin in that environment (e.g.
    /// `master` in production where everyone else follows `develop`).
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "BTreeMap<String, PinOverride>"))]
    pub environments: BTreeMap<Spanned<String>, PinOverride>,
}

/// `[repo.environments.NAME]`: the pin of a repo in one environment.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PinOverride {
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub branch: Option<Spanned<String>>,
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub tag: Option<Spanned<String>>,
    #[cfg_attr(test, schemars(with = "Option<String>"))]
    pub rev: Option<Spanned<String>>,
}

/// The pin that `branch`, `tag` and `rev` say (validation keeps it to one).
fn pin_of(
    branch: &Option<Spanned<String>>,
    tag: &Option<Spanned<String>>,
    rev: &Option<Spanned<String>>,
) -> Pin {
    if let Some(branch) = branch {
        Pin::Branch(branch.get_ref().clone())
    } else if let Some(tag) = tag {
        Pin::Tag(tag.get_ref().clone())
    } else if let Some(rev) = rev {
        Pin::Rev(rev.get_ref().clone())
    } else {
        Pin::DefaultBranch
    }
}

/// What a repository is pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// The remote's default branch.
    DefaultBranch,
    Branch(String),
    Tag(String),
    Rev(String),
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pin::DefaultBranch => write!(f, "default branch"),
            Pin::Branch(b) => write!(f, "branch {b}"),
            Pin::Tag(t) => write!(f, "tag {t}"),
            Pin::Rev(r) => write!(f, "rev {r}"),
        }
    }
}

impl RepoSpec {
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    pub fn url(&self) -> &str {
        self.url.get_ref()
    }

    /// The group label, for `--group`.
    pub fn group(&self) -> Option<&str> {
        self.group.as_ref().map(|g| g.get_ref().as_str())
    }

    pub fn pin(&self) -> Pin {
        pin_of(&self.branch, &self.tag, &self.rev)
    }

    /// The pin in `environment`: its `[repo.environments.NAME]`, else the repo's own.
    pub fn pin_in(&self, environment: Option<&str>) -> Pin {
        environment
            .and_then(|name| self.environments.iter().find(|(k, _)| k.get_ref() == name))
            .map_or_else(
                || self.pin(),
                |(_, over)| pin_of(&over.branch, &over.tag, &over.rev),
            )
    }

    /// Path relative to `defaults.root`.
    pub fn relative_path(&self) -> &str {
        self.path
            .as_ref()
            .map_or(self.name.get_ref().as_str(), |p| p.get_ref().as_str())
    }
}

/// One `[[folder]]`: a directory the environment needs.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FolderSpec {
    #[cfg_attr(test, schemars(with = "String"))]
    pub path: Spanned<String>,
}

/// One `[[link]]`: a symbolic link at `path` pointing to `target`
/// (both relative to the environment root).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    #[cfg_attr(test, schemars(with = "String"))]
    pub path: Spanned<String>,
    #[cfg_attr(test, schemars(with = "String"))]
    pub target: Spanned<String>,
}

/// One `[[copy]]`: copy the example `from` to `to` unless `to` exists.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    #[cfg_attr(test, schemars(with = "String"))]
    pub from: Spanned<String>,
    #[cfg_attr(test, schemars(with = "String"))]
    pub to: Spanned<String>,
    /// Regular expressions: lines matching any are ignored by `xtask diff`.
    #[serde(default)]
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub ignore: Vec<Spanned<String>>,
}

/// One `[[notice]]`: print `message` when an update changed a file matching `paths`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoticeSpec {
    /// Globs relative to the environment root, e.g. `shared/src/*/Dockerfile*`.
    #[cfg_attr(test, schemars(with = "Vec<String>"))]
    pub paths: Vec<Spanned<String>>,
    pub message: String,
}

impl ReposFile {
    /// The `[[copy]]` that makes `path` (compared as normalised relative
    /// paths, so `./.env` is `.env`), if one does.
    pub fn copy_to(&self, path: &str) -> Option<&CopySpec> {
        let wanted = super::task::lexically_inside(path).ok()?;
        self.copies.iter().find(|copy| {
            super::task::lexically_inside(copy.to.get_ref()).ok() == Some(wanted.clone())
        })
    }

    /// Parses and validates `repos.toml`, reporting every problem at once.
    pub fn load(source: &SourceFile) -> Result<Self, ConfigErrors> {
        let file: ReposFile = parse_toml(source)?;
        let mut errors = ConfigErrors::default();
        file.validate(source, &mut errors);
        errors.into_result(file)
    }

    /// The folder repositories land in, relative to the environment root.
    pub fn root(&self) -> &str {
        self.defaults.root.get_ref()
    }

    /// A repository's path relative to the environment root.
    pub fn repo_path(&self, repo: &RepoSpec) -> PathBuf {
        Path::new(self.root()).join(repo.relative_path())
    }

    /// Every problem of the file, section by section in the file's order:
    /// defaults, each repo, repos inside repos, folders, links, copies, notices.
    fn validate(&self, source: &SourceFile, errors: &mut ConfigErrors) {
        self.validate_defaults(source, errors);
        let landings = self.validate_repos(source, errors);
        validate_nesting(source, &landings, errors);
        self.validate_folders(source, errors);
        self.validate_links(source, errors);
        self.validate_copies(source, errors);
        self.validate_notices(source, errors);
    }

    /// `[defaults]`: `root` inside the environment, `jobs` at least 1.
    fn validate_defaults(&self, source: &SourceFile, errors: &mut ConfigErrors) {
        let root = &self.defaults.root;
        if let Err(why) = check_relative(root.get_ref()) {
            errors.push(
                Diagnostic::at(source, root.span(), format!("`root` {why}")).help(path_help(
                    why,
                    "use a path inside the environment, such as \"shared/src\"",
                )),
            );
        }
        if self.defaults.jobs == 0 || self.defaults.jobs_per_host == 0 {
            errors.push(
                Diagnostic::whole_file(
                    &source.display,
                    "`jobs` and `jobs_per_host` must be at least 1",
                )
                .help("set them in [defaults], or leave them out for the default of 8"),
            );
        }
    }

    /// Each `[[repo]]` in turn, its keys in order; returns where they land.
    fn validate_repos<'a>(
        &'a self,
        source: &SourceFile,
        errors: &mut ConfigErrors,
    ) -> Landings<'a> {
        let mut names: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
        let mut landings = Landings::default();
        for repo in &self.repos {
            let name = printable(repo.name.get_ref());
            validate_repo_name(source, repo, &name, &mut names, errors);
            validate_repo_url(source, repo, &name, errors);
            validate_repo_group(source, repo, &name, errors);
            validate_repo_pins(source, repo, &name, errors);
            self.validate_repo_path(source, repo, &name, &mut landings, errors);
        }
        landings
    }

    /// A repo's path inside the root and not shared with another repo.
    fn validate_repo_path<'a>(
        &self,
        source: &SourceFile,
        repo: &'a RepoSpec,
        name: &str,
        landings: &mut Landings<'a>,
        errors: &mut ConfigErrors,
    ) {
        let path_span = repo.path.as_ref().map_or(repo.name.span(), |p| p.span());
        match check_relative(repo.relative_path()) {
            // A bad name used as the path was reported above.
            Err(_) if repo.path.is_none() && check_name(repo.name.get_ref()).is_err() => {}
            Err(why) => errors.push(
                Diagnostic::at(source, path_span, format!("path of repo `{name}` {why}")).help(
                    path_help(
                        why,
                        &format!(
                            "use a path relative to `{}`, inside it",
                            printable(self.root())
                        ),
                    ),
                ),
            ),
            Ok(normal) => {
                if let Some(other) = landings.by_path.insert(normal.clone(), repo) {
                    errors.push(
                        Diagnostic::at(
                            source,
                            path_span.clone(),
                            format!(
                                "repos `{}` and `{name}` both land in `{}`",
                                printable(other.name()),
                                printable(&normal.to_string_lossy())
                            ),
                        )
                        .help("give one of them a different `path`"),
                    );
                } else {
                    landings.in_order.push((normal, repo));
                }
            }
        }
    }

    /// `[[folder]]` paths inside the environment.
    fn validate_folders(&self, source: &SourceFile, errors: &mut ConfigErrors) {
        for folder in &self.folders {
            if let Err(why) = check_relative(folder.path.get_ref()) {
                errors.push(
                    Diagnostic::at(source, folder.path.span(), format!("folder {why}")).help(
                        path_help(why, "use a path relative to the environment root"),
                    ),
                );
            }
        }
    }

    /// `[[link]]` paths and targets inside the environment.
    fn validate_links(&self, source: &SourceFile, errors: &mut ConfigErrors) {
        for link in &self.links {
            for (key, value) in [("path", &link.path), ("target", &link.target)] {
                if let Err(why) = check_relative(value.get_ref()) {
                    errors.push(
                        Diagnostic::at(source, value.span(), format!("link {key} {why}")).help(
                            path_help(why, "use a path relative to the environment root"),
                        ),
                    );
                }
            }
        }
    }

    /// `[[copy]]`: both ends inside the environment, ignore patterns that compile.
    fn validate_copies(&self, source: &SourceFile, errors: &mut ConfigErrors) {
        for copy in &self.copies {
            for (key, value) in [("from", &copy.from), ("to", &copy.to)] {
                if let Err(why) = check_relative(value.get_ref()) {
                    errors.push(
                        Diagnostic::at(source, value.span(), format!("copy {key} {why}")).help(
                            path_help(why, "use a path relative to the environment root"),
                        ),
                    );
                }
            }
            for pattern in &copy.ignore {
                if let Err(error) = regex::Regex::new(pattern.get_ref()) {
                    errors.push(
                        Diagnostic::at(
                            source,
                            pattern.span(),
                            format!(
                                "invalid ignore pattern `{}`: {}",
                                pattern.get_ref(),
                                regex_reason(&error)
                            ),
                        )
                        .help("ignore takes regular expressions, e.g. \"^SECRET_KEY=\""),
                    );
                }
            }
        }
    }

    /// `[[notice]]` paths that are globs.
    fn validate_notices(&self, source: &SourceFile, errors: &mut ConfigErrors) {
        for notice in &self.notices {
            for pattern in &notice.paths {
                if let Err(error) = globset::Glob::new(pattern.get_ref()) {
                    errors.push(
                        Diagnostic::at(source, pattern.span(), format!("invalid glob: {error}"))
                            .help("paths takes globs relative to the environment root, e.g. \"shared/src/*/Dockerfile\""),
                    );
                }
            }
        }
    }
}

/// Where the repos land, relative to the root: every path with the first
/// repo there, and the repos that got a path of their own, in file order.
#[derive(Default)]
struct Landings<'a> {
    by_path: BTreeMap<PathBuf, &'a RepoSpec>,
    in_order: Vec<(PathBuf, &'a RepoSpec)>,
}

/// A repo's name: not empty, a plain name, not taken by an earlier repo.
fn validate_repo_name<'a>(
    source: &SourceFile,
    repo: &'a RepoSpec,
    name: &str,
    names: &mut BTreeMap<&'a str, &'a Spanned<String>>,
    errors: &mut ConfigErrors,
) {
    let raw_name = repo.name.get_ref();
    if raw_name.trim().is_empty() {
        errors.push(
            Diagnostic::at(source, repo.name.span(), "repo name is empty")
                .help("give every [[repo]] a short unique name"),
        );
    } else if let Err(why) = check_name(raw_name) {
        errors.push(
            Diagnostic::at(source, repo.name.span(), format!("repo name `{name}` {why}"))
                .help("use letters, digits, `-`, `_` and `.`, starting with a letter or digit, e.g. \"trytond\""),
        );
    } else if let Some(first) = names.insert(raw_name, &repo.name) {
        let first_line = source.position(first.span().start).line;
        errors.push(
            Diagnostic::at(
                source,
                repo.name.span(),
                format!("repo `{name}` is defined twice"),
            )
            .help(format!(
                "the first definition is on line {first_line}; rename or remove one"
            )),
        );
    }
}

/// A repo's url: set, and something `git clone` accepts.
fn validate_repo_url(source: &SourceFile, repo: &RepoSpec, name: &str, errors: &mut ConfigErrors) {
    if repo.url.get_ref().trim().is_empty() {
        errors.push(
            Diagnostic::at(
                source,
                repo.url.span(),
                format!("repo `{name}` has an empty url"),
            )
            .help("set url to something `git clone` accepts"),
        );
    } else if let Err(why) = check_url(repo.url.get_ref()) {
        errors.push(
            Diagnostic::at(
                source,
                repo.url.span(),
                format!("url of repo `{name}` {why}"),
            )
            .help("use an https://, ssh://, git://, file:// url, user@host:path or a local path"),
        );
    }
}

/// A repo's group, when set: a short label.
fn validate_repo_group(
    source: &SourceFile,
    repo: &RepoSpec,
    name: &str,
    errors: &mut ConfigErrors,
) {
    if let Some(group) = &repo.group {
        if let Err(why) = check_label(group.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    group.span(),
                    format!("group of repo `{name}` {why}"),
                )
                .help("use a short word such as \"upstream\""),
            );
        }
    }
}

/// A repo's pins, per environment then its own: each section pins something, at most one each.
fn validate_repo_pins(source: &SourceFile, repo: &RepoSpec, name: &str, errors: &mut ConfigErrors) {
    for (environment, over) in &repo.environments {
        let pins = pins_of(&over.branch, &over.tag, &over.rev);
        if pins.is_empty() {
            errors.push(
                Diagnostic::at(
                    source,
                    environment.span(),
                    format!(
                        "[repo.environments.{}] of repo `{name}` pins nothing",
                        environment.get_ref()
                    ),
                )
                .help("set one of branch, tag or rev, or remove the section"),
            );
        }
        check_pins(source, name, &pins, errors);
    }
    let pins = pins_of(&repo.branch, &repo.tag, &repo.rev);
    check_pins(source, name, &pins, errors);
}

/// One repo inside another's work tree: the outer one sees it as untracked files.
fn validate_nesting(source: &SourceFile, landings: &Landings<'_>, errors: &mut ConfigErrors) {
    for (path, repo) in &landings.in_order {
        if let Some((outer_path, outer)) = path
            .ancestors()
            .skip(1)
            .find_map(|ancestor| landings.by_path.get_key_value(ancestor))
        {
            let span = repo.path.as_ref().map_or(repo.name.span(), |p| p.span());
            errors.push(
                Diagnostic::at(
                    source,
                    span,
                    format!(
                        "repo `{}` lands inside repo `{}` (`{}` is in `{}`)",
                        printable(repo.name()),
                        printable(outer.name()),
                        printable(&path.to_string_lossy()),
                        printable(&outer_path.to_string_lossy())
                    ),
                )
                .help("clone repos side by side: give one of them a `path` outside the other"),
            );
        }
    }
}

/// `(key, value)` of the pins that are set.
fn pins_of<'a>(
    branch: &'a Option<Spanned<String>>,
    tag: &'a Option<Spanned<String>>,
    rev: &'a Option<Spanned<String>>,
) -> Vec<(&'static str, &'a Spanned<String>)> {
    [("branch", branch), ("tag", tag), ("rev", rev)]
        .into_iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| (key, v)))
        .collect()
}

/// At most one pin, none empty, each a name git accepts.
fn check_pins(
    source: &SourceFile,
    name: &str,
    pins: &[(&str, &Spanned<String>)],
    errors: &mut ConfigErrors,
) {
    if pins.len() > 1 {
        let keys: Vec<&str> = pins.iter().map(|(k, _)| *k).collect();
        errors.push(
            Diagnostic::at(
                source,
                pins[1].1.span(),
                format!("repo `{name}` sets both `{}` and `{}`", keys[0], keys[1]),
            )
            .help("pin a repo to exactly one of branch, tag or rev"),
        );
    }
    for (key, value) in pins {
        if value.get_ref().trim().is_empty() {
            errors.push(
                Diagnostic::at(
                    source,
                    value.span(),
                    format!("repo `{name}` has an empty `{key}`"),
                )
                .help(format!(
                    "remove `{key}` to follow the remote's default branch"
                )),
            );
        } else if let Err(why) = check_label(value.get_ref()) {
            errors.push(
                Diagnostic::at(
                    source,
                    value.span(),
                    format!("`{key}` of repo `{name}` {why}"),
                )
                .help(format!("set `{key}` to a name git accepts, e.g. \"main\"")),
            );
        }
    }
}

/// The last line of a regex error (the first lines repeat the pattern).
fn regex_reason(error: &regex::Error) -> String {
    error
        .to_string()
        .lines()
        .last()
        .unwrap_or("invalid")
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

/// Text from repos.toml made safe to print: control characters (escape
/// sequences, newlines) are shown escaped, as `\u{1b}`, instead of acting on
/// the terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// The help line for a path `check_relative` refused: `usual` unless the
/// reason calls for its own.
fn path_help(why: &str, usual: &str) -> String {
    match why {
        CONTROL => "remove it: escape sequences and line breaks have no place in a path".into(),
        DOT_GIT => {
            "git's own folders are not the environment's to touch; name a path outside `.git`"
                .into()
        }
        _ => usual.into(),
    }
}

const CONTROL: &str = "contains a control character";
const DOT_GIT: &str = "has a `.git` component";

/// Refuses repo names that would be a surprising folder name or git argument.
fn check_name(name: &str) -> Result<(), &'static str> {
    if name.chars().any(char::is_control) {
        Err("contains a control character")
    } else if name.contains(['/', '\\']) {
        Err("contains a slash")
    } else if name.starts_with('-') {
        Err("starts with `-`")
    } else if name.starts_with('.') {
        Err("starts with `.`")
    } else {
        Ok(())
    }
}

/// Refuses urls git would read as an option or as a command to run.
fn check_url(url: &str) -> Result<(), &'static str> {
    if url.chars().any(char::is_control) {
        Err("contains a control character or a line break")
    } else if url.trim_start().starts_with('-') {
        Err("starts with `-`, which git would read as an option")
    } else if url.trim_start().starts_with("ext::") {
        Err("uses git's `ext::` transport, which runs a command")
    } else {
        Ok(())
    }
}

/// Refuses a branch, tag, rev or group git would read as an option, or that
/// would put control characters on the terminal.
fn check_label(label: &str) -> Result<(), &'static str> {
    if label.chars().any(char::is_control) {
        Err("contains a control character")
    } else if label.starts_with('-') {
        Err("starts with `-`")
    } else {
        Ok(())
    }
}

/// Normalizes a relative path, refusing absolute paths, paths that climb
/// out of where they are relative to, control characters, and `.git`
/// components (git's own files are not the environment's to write).
pub fn check_relative(path: &str) -> Result<PathBuf, &'static str> {
    if path.trim().is_empty() {
        return Err("is empty");
    }
    if path.chars().any(char::is_control) {
        return Err(CONTROL);
    }
    let path = Path::new(path);
    if path
        .components()
        .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"))
    {
        return Err(DOT_GIT);
    }
    if path.is_absolute() || path.has_root() {
        return Err("is absolute");
    }
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => normal.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    return Err("escapes the environment root");
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err("is absolute"),
        }
    }
    if normal.as_os_str().is_empty() {
        return Err("is the root itself");
    }
    Ok(normal)
}
