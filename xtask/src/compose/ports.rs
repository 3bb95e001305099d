//! Published ports as the engine lists them ("0.0.0.0:49153->80/tcp,
//! :::49153->80/tcp"), deduplicated (0.0.0.0 and :: are one port), and the
//! URL each answers on.

use serde::Serialize;

/// One published port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PublishedPort {
    /// `localhost` for ports bound to every address, else the bound address.
    pub host: String,
    pub host_port: u16,
    pub container_port: u16,
    pub protocol: String,
}

impl PublishedPort {
    /// The URL with the service's own scheme and path when it says them
    /// (tasks.toml or the container's `xtask.scheme`/`xtask.path` labels).
    pub fn url_with(&self, scheme: Option<&str>, path: Option<&str>) -> String {
        let guessed = match (self.protocol.as_str(), self.container_port) {
            ("udp", _) => "udp",
            (_, 5432) => "postgresql",
            (_, 3306) => "mysql",
            (_, 6379) => "redis",
            (_, 443 | 8443) => "https",
            _ => "http",
        };
        let scheme = scheme.unwrap_or(guessed);
        let path = match path {
            Some(path) if !path.starts_with('/') => format!("/{path}"),
            Some(path) => path.to_string(),
            None => String::new(),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}{path}", self.host_port)
    }
}

/// Parses the `Ports` column of `docker ps`.
pub fn parse_ports(text: &str) -> Vec<PublishedPort> {
    let mut ports: Vec<PublishedPort> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((host_part, container_part)) = item.split_once("->") else {
            continue; // exposed but not published
        };
        let (container_port, protocol) = container_part
            .split_once('/')
            .unwrap_or((container_part, "tcp"));
        let Some((address, host_port)) = host_part.rsplit_once(':') else {
            continue;
        };
        let (Ok(host_port), Ok(container_port)) =
            (host_port.parse::<u16>(), container_port.parse::<u16>())
        else {
            continue; // a range such as 8000-8001 is listed per port by newer engines
        };
        let host = match address {
            "0.0.0.0" | "::" | "[::]" | "" => "localhost".to_string(),
            other => other.trim_matches(|c| c == '[' || c == ']').to_string(),
        };
        let port = PublishedPort {
            host,
            host_port,
            container_port,
            protocol: protocol.to_string(),
        };
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    ports.sort();
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_addresses_count_once_and_show_as_localhost() {
        let ports = parse_ports(
            "0.0.0.0:49153->80/tcp, :::49153->80/tcp, 127.0.0.1:5433->5432/tcp, 9000/tcp",
        );
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[0].url_with(None, None), "postgresql://127.0.0.1:5433");
        assert_eq!(ports[1].url_with(None, None), "http://localhost:49153");
    }
}
