//! A compose project's merged model: its services and the host ports they
//! publish. Asked of Compose itself (`compose config --format json`, v2 and
//! later) where a command may start compose, else read by our own loader
//! (`loader.rs`) from the files.

use crate::compose::environment::ActiveEnvironment;
use crate::compose::project::ComposeProject;
use crate::compose::variables::Variables;
use crate::compose::yaml_node::{self, YamlNode};
use crate::compose::{files, loader};
use crate::config::Workspace;
use crate::exec;

/// The merged model of a project's compose files.
#[derive(Debug, Clone)]
pub struct ComposeModel {
    root: YamlNode,
    profiles: Profiles,
}

/// Which services count for ports: compose applies profiles itself.
#[derive(Debug, Clone)]
enum Profiles {
    /// The model came from compose, which left out inactive services.
    Applied,
    /// Services without `profiles`, and those naming one of these (`*`: all).
    Active(Vec<String>),
}

/// A host port a service publishes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPort {
    pub service: String,
    /// The host address it binds; empty for every address.
    pub address: String,
    pub port: u16,
}

/// A host path a service mounts (`volumes:` of type bind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredMount {
    pub service: String,
    pub image: Option<String>,
    /// As compose gives it (absolute after `compose config`).
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

/// Why compose could not give its model.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot run `{command}`: {error}")]
    Spawn { command: String, error: String },
    #[error("`{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("`{command}` printed no readable model: {message}")]
    Unreadable { command: String, message: String },
}

impl ComposeModel {
    /// `environment`'s compose files as our own loader reads them (no
    /// process started; files it cannot read are `check`'s to report).
    pub fn declared(workspace: &Workspace, environment: &ActiveEnvironment) -> Self {
        let files = files::effective_files(&workspace.root, &environment.compose_files);
        let variables = Variables::for_project(
            &workspace.root,
            &workspace.tasks.project.env_file_paths(),
            &environment.env,
        );
        loader::load(&files, &variables).model
    }

    /// A model our own loader read; `active_profiles` as COMPOSE_PROFILES gives them.
    pub fn from_files(root: YamlNode, active_profiles: Vec<String>) -> Self {
        Self {
            root,
            profiles: Profiles::Active(active_profiles),
        }
    }

    /// Compose's own model: the output of `compose config --format json`
    /// (JSON is YAML, so the same parser reads it).
    pub fn from_config_json(text: &str) -> Result<Self, yaml_node::YamlError> {
        let root = yaml_node::parse_documents(text)?
            .into_iter()
            .next()
            .unwrap_or(YamlNode::Null);
        Ok(Self {
            root,
            profiles: Profiles::Applied,
        })
    }

    /// Asks compose for the project's merged model: `Ok(None)` on Compose
    /// v1, which has no `config --format json`.
    pub fn from_compose(project: &ComposeProject) -> Result<Option<Self>, ConfigError> {
        if project.cli.is_v1() {
            return Ok(None);
        }
        Self::ask(project, &["config", "--format", "json"]).map(Some)
    }

    /// The merged model, asked of compose: `config --format json` (v2 and
    /// later), or v1's `config`, whose YAML the same parser reads. Either
    /// gives bind mounts' sources as absolute paths.
    pub fn merged(project: &ComposeProject) -> Result<Self, ConfigError> {
        match Self::from_compose(project)? {
            Some(model) => Ok(model),
            None => Self::ask(project, &["config"]),
        }
    }

    /// Runs compose with `args` and reads its output as the model.
    fn ask(project: &ComposeProject, args: &[&str]) -> Result<Self, ConfigError> {
        let step = project.command(args.iter().copied());
        let command = step.argv.join(" ");
        let out = exec::capture(&step).map_err(|e| ConfigError::Spawn {
            command: command.clone(),
            error: e.to_string(),
        })?;
        if !out.success() {
            return Err(ConfigError::Failed {
                command,
                stderr: out.stderr.trim().to_string(),
            });
        }
        Self::from_config_json(&out.stdout).map_err(|e| ConfigError::Unreadable {
            command,
            message: e.message,
        })
    }

    /// The bind mounts of the active services: short syntax
    /// (`/src:/target[:ro]`) or long (`type: bind`).
    pub fn bind_mounts(&self) -> Vec<DeclaredMount> {
        let mut mounts = Vec::new();
        for (service, definition) in self.services() {
            if !self.is_active(definition) {
                continue;
            }
            let image = definition
                .get("image")
                .and_then(YamlNode::as_str)
                .map(str::to_string);
            let items = definition
                .get("volumes")
                .map(YamlNode::items)
                .unwrap_or_default();
            for item in items {
                let found = match item {
                    YamlNode::Scalar(spec) => short_syntax_bind(spec),
                    YamlNode::Map(_) => long_syntax_bind(item),
                    _ => None,
                };
                if let Some((source, target, read_only)) = found {
                    mounts.push(DeclaredMount {
                        service: service.clone(),
                        image: image.clone(),
                        source,
                        target,
                        read_only,
                    });
                }
            }
        }
        mounts
    }

    /// Every service declared, whatever its profiles, in file order.
    pub fn service_names(&self) -> Vec<String> {
        self.services().map(|(name, _)| name.clone()).collect()
    }

    /// The active services compose builds and names after the project
    /// (`build:` without `image:`).
    pub fn built_services(&self) -> Vec<String> {
        self.services()
            .filter(|(_, definition)| self.is_active(definition))
            .filter(|(_, definition)| {
                definition.get("build").is_some() && definition.get("image").is_none()
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The image `service` declares, if it declares one.
    pub fn image_of(&self, service: &str) -> Option<String> {
        self.services()
            .find(|(name, _)| name == service)
            .and_then(|(_, definition)| definition.get("image"))
            .and_then(YamlNode::as_str)
            .map(str::to_string)
    }

    fn services(&self) -> impl Iterator<Item = &(String, YamlNode)> {
        self.root
            .get("services")
            .map(YamlNode::entries)
            .unwrap_or_default()
            .iter()
    }

    fn is_active(&self, service: &YamlNode) -> bool {
        let Profiles::Active(active) = &self.profiles else {
            return true;
        };
        let wanted = service
            .get("profiles")
            .map(YamlNode::items)
            .unwrap_or_default();
        wanted.is_empty()
            || wanted
                .iter()
                .filter_map(YamlNode::as_str)
                .any(|profile| active.iter().any(|a| a == "*" || a == profile))
    }

    /// The host ports of the active services, in short syntax
    /// (`"127.0.0.1:8080:80"`) or long (`published:`, `host_ip:`); ports
    /// left to the engine to choose are not listed.
    pub fn host_ports(&self) -> Vec<HostPort> {
        let mut ports = Vec::new();
        for (service, definition) in self.services() {
            if !self.is_active(definition) {
                continue;
            }
            let items = definition
                .get("ports")
                .map(YamlNode::items)
                .unwrap_or_default();
            for item in items {
                let found = match item {
                    YamlNode::Scalar(spec) => short_syntax_ports(spec),
                    YamlNode::Map(_) => long_syntax_ports(item),
                    _ => Vec::new(),
                };
                for (address, port) in found {
                    let port = HostPort {
                        service: service.clone(),
                        address,
                        port,
                    };
                    if !ports.contains(&port) {
                        ports.push(port);
                    }
                }
            }
        }
        ports
    }
}

/// `8080-8081` is two ports, `8080` one; anything else none.
fn port_range(text: &str) -> Option<Vec<u16>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(Vec::new());
    }
    match text.split_once('-') {
        Some((first, last)) => {
            let (first, last) = (first.parse::<u16>().ok()?, last.parse::<u16>().ok()?);
            (first <= last).then(|| (first..=last).collect())
        }
        None => text.parse::<u16>().ok().map(|p| vec![p]),
    }
}

/// `[[IP:]HOST:]CONTAINER[/PROTOCOL]`, IPv6 addresses in brackets.
fn short_syntax_ports(spec: &str) -> Vec<(String, u16)> {
    let spec = spec.split('/').next().unwrap_or("");
    let (address, rest) = match spec.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once("]:") {
            Some((address, rest)) => (address.to_string(), rest),
            None => return Vec::new(),
        },
        None => match spec.matches(':').count() {
            2 => match spec.split_once(':') {
                Some((address, rest)) => (address.to_string(), rest),
                None => return Vec::new(),
            },
            _ => (String::new(), spec),
        },
    };
    let Some((host, container)) = rest.split_once(':') else {
        return Vec::new(); // only a container port: the engine picks the host port
    };
    let (Some(host), Some(container)) = (port_range(host), port_range(container)) else {
        return Vec::new();
    };
    // A host range for one container port lets the engine pick one of them.
    if host.len() > 1 && container.len() != host.len() {
        return Vec::new();
    }
    host.into_iter()
        .map(|port| (address.clone(), port))
        .collect()
}

/// `SOURCE:TARGET[:MODE]` whose source is a path (a named volume's is a name).
fn short_syntax_bind(spec: &str) -> Option<(String, String, bool)> {
    let mut parts = spec.splitn(3, ':');
    let source = parts.next()?;
    let target = parts.next()?;
    if !(source.starts_with('/') || source.starts_with('.') || source.starts_with('~')) {
        return None;
    }
    let read_only = parts
        .next()
        .is_some_and(|mode| mode.split(',').any(|m| m == "ro"));
    Some((source.to_string(), target.to_string(), read_only))
}

/// `{type: bind, source: /src, target: /dst, read_only: true}`.
fn long_syntax_bind(item: &YamlNode) -> Option<(String, String, bool)> {
    if item.get("type").and_then(YamlNode::as_str) != Some("bind") {
        return None;
    }
    let source = item.get("source").and_then(YamlNode::as_str)?;
    let target = item.get("target").and_then(YamlNode::as_str)?;
    let read_only = item.get("read_only").and_then(YamlNode::as_str) == Some("true");
    Some((source.to_string(), target.to_string(), read_only))
}

/// `{target: 80, published: "8080", host_ip: 127.0.0.1}`.
fn long_syntax_ports(item: &YamlNode) -> Vec<(String, u16)> {
    let Some(published) = item.get("published").and_then(YamlNode::as_str) else {
        return Vec::new();
    };
    let address = item
        .get("host_ip")
        .and_then(YamlNode::as_str)
        .unwrap_or("")
        .to_string();
    let Some(host) = port_range(published) else {
        return Vec::new();
    };
    if host.len() > 1 {
        return Vec::new(); // the engine picks one of the range
    }
    host.into_iter()
        .map(|port| (address.clone(), port))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn static_model(text: &str, profiles: &[&str]) -> ComposeModel {
        let root = yaml_node::parse_documents(text).unwrap().remove(0);
        ComposeModel::from_files(root, profiles.iter().map(|p| p.to_string()).collect())
    }

    fn ports(model: &ComposeModel) -> Vec<(String, u16)> {
        model
            .host_ports()
            .into_iter()
            .map(|p| (p.address, p.port))
            .collect()
    }

    #[test]
    fn short_and_long_syntax_give_the_host_ports() {
        let model = static_model(
            "services:\n  web:\n    ports:\n      - \"127.0.0.1:18080:80\"\n      - 9000:9000/udp\n      - \"5000\"\n      - \"127.0.0.1::81\"\n      - \"[::1]:6001:6001\"\n      - \"7000-7001:7000-7001\"\n      - \"8000-8010:80\"\n      - target: 80\n        published: \"18443\"\n        host_ip: 127.0.0.1\n      - target: 82\n        published: 18444\n      - target: 83\n",
            &[],
        );
        assert_eq!(
            ports(&model),
            [
                ("127.0.0.1".to_string(), 18080),
                (String::new(), 9000),
                ("::1".to_string(), 6001),
                (String::new(), 7000),
                (String::new(), 7001),
                ("127.0.0.1".to_string(), 18443),
                (String::new(), 18444),
            ]
        );
    }

    #[test]
    fn inactive_profiles_publish_nothing_but_their_services_exist() {
        let text = "services:\n  web: {ports: [\"1000:80\"]}\n  debug: {profiles: [debug], ports: [\"1001:80\"]}\n";
        let model = static_model(text, &[]);
        assert_eq!(model.service_names(), ["web", "debug"]);
        assert_eq!(ports(&model), [(String::new(), 1000)]);
        assert_eq!(ports(&static_model(text, &["debug"])).len(), 2);
        assert_eq!(ports(&static_model(text, &["*"])).len(), 2);
    }

    #[test]
    fn bind_mounts_are_read_in_both_syntaxes_and_named_volumes_are_not() {
        let v1 = "services:\n  db:\n    image: postgres\n    volumes:\n    - /env/pgdata:/var/lib/postgresql/data:rw\n    - /env/a:/a:ro\n    - named:/n:rw\n";
        let json = r#"{"services": {"db": {"image": "postgres", "volumes": [
            {"type": "bind", "source": "/env/pgdata", "target": "/var/lib/postgresql/data", "bind": {}},
            {"type": "bind", "source": "/env/a", "target": "/a", "read_only": true},
            {"type": "volume", "source": "named", "target": "/n", "volume": {}}]}}}"#;
        for model in [
            static_model(v1, &[]),
            ComposeModel::from_config_json(json).unwrap(),
        ] {
            let mounts: Vec<(String, String, bool)> = model
                .bind_mounts()
                .into_iter()
                .map(|m| (m.source, m.target, m.read_only))
                .collect();
            assert_eq!(
                mounts,
                [
                    (
                        "/env/pgdata".to_string(),
                        "/var/lib/postgresql/data".to_string(),
                        false
                    ),
                    ("/env/a".to_string(), "/a".to_string(), true),
                ]
            );
        }
    }

    #[test]
    fn compose_config_json_is_read_as_it_is() {
        let json = r#"{"name": "p", "services": {"web": {"profiles": ["debug"], "ports": [
            {"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "45002", "protocol": "tcp"},
            {"mode": "ingress", "target": 9000, "protocol": "tcp"}]}}}"#;
        let model = ComposeModel::from_config_json(json).unwrap();
        assert_eq!(model.service_names(), ["web"]);
        assert_eq!(
            model.host_ports(),
            [HostPort {
                service: "web".into(),
                address: "127.0.0.1".into(),
                port: 45002
            }]
        );
    }
}
