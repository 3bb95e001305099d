//! Container cpu and memory from `docker stats`, which prints every value as
//! a human string ("1.5MiB / 23.5GiB", "0.07%"): parsed into numbers here.

use serde::{Deserialize, Serialize};

use crate::compose::state::Container;

use crate::exec;

/// One container's use.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub id: String,
    pub name: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub memory_percent: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct StatsLine {
    #[serde(rename = "ID")]
    id: String,
    name: String,
    #[serde(rename = "CPUPerc")]
    cpu_perc: String,
    mem_usage: String,
    mem_perc: String,
}

/// "0.07%" -> 0.07.
pub fn parse_percent(text: &str) -> Option<f64> {
    text.trim().trim_end_matches('%').trim().parse().ok()
}

/// "1.5MiB", "23.5GiB", "512B", "1.2kB", "3MB" -> bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.trim().parse().ok()?;
    let factor: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((number * factor).round() as u64)
}

/// Parses `docker stats --no-stream --format '{{json .}}'`.
pub fn parse_stats(text: &str) -> Vec<Usage> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<StatsLine>(line).ok())
        .map(|line| {
            let (used, limit) = line
                .mem_usage
                .split_once('/')
                .unwrap_or((&line.mem_usage, ""));
            Usage {
                id: line.id,
                name: line.name,
                cpu_percent: parse_percent(&line.cpu_perc).unwrap_or(0.0),
                memory_bytes: parse_size(used).unwrap_or(0),
                memory_limit_bytes: parse_size(limit).unwrap_or(0),
                memory_percent: parse_percent(&line.mem_perc).unwrap_or(0.0),
            }
        })
        .collect()
}

/// Why `docker stats` gave no sample.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error(transparent)]
    Spawn(#[from] exec::ExecError),
    /// It failed; its stderr.
    #[error("{0}")]
    Failed(String),
}

/// One sample of the given containers.
pub fn sample(ids: &[String]) -> Result<Vec<Usage>, StatsError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut argv = vec![
        "stats".to_string(),
        "--no-stream".into(),
        "--format".into(),
        "{{json .}}".into(),
    ];
    argv.extend(ids.iter().cloned());
    let out = exec::capture(&crate::compose::docker_host::docker(argv))?;
    if !out.success() {
        return Err(StatsError::Failed(out.stderr.trim().to_string()));
    }
    Ok(parse_stats(&out.stdout))
}

/// Bytes as a short human string (binary units).
pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.1}{}", units[unit])
    }
}

/// One running container's use, as `monitor --json` prints it: the
/// container named as `ps --json` names it (service, replica, full id).
#[derive(Debug, Serialize)]
pub struct ContainerUsage<'a> {
    service: &'a str,
    number: u32,
    one_off: bool,
    id: &'a str,
    name: &'a str,
    /// `None` when `docker stats` said nothing about the container.
    cpu_percent: Option<f64>,
    memory_bytes: Option<u64>,
    memory_limit_bytes: Option<u64>,
    memory_percent: Option<f64>,
}

impl<'a> ContainerUsage<'a> {
    /// `container`'s record with its `usage`, if sampled.
    pub fn new(container: &'a Container, usage: Option<&Usage>) -> Self {
        ContainerUsage {
            service: &container.service,
            number: container.number,
            one_off: container.one_off,
            id: &container.id,
            name: &container.name,
            cpu_percent: usage.map(|u| u.cpu_percent),
            memory_bytes: usage.map(|u| u.memory_bytes),
            memory_limit_bytes: usage.map(|u| u.memory_limit_bytes),
            memory_percent: usage.map(|u| u.memory_percent),
        }
    }
}

/// The sample of `container`: `docker stats` may print a short id.
pub fn usage_of<'u>(container: &Container, usage: &'u [Usage]) -> Option<&'u Usage> {
    let short = &container.id[..container.id.len().min(12)];
    usage
        .iter()
        .find(|u| (!u.id.is_empty() && u.id.starts_with(short)) || u.name == container.name)
}

/// `monitor`'s table: service (replica or `(run)`), CPU, memory, memory %.
pub fn usage_rows(running: &[&Container], usage: &[Usage]) -> Vec<[String; 4]> {
    running
        .iter()
        .map(|c| {
            let u = usage_of(c, usage);
            let service = if c.one_off {
                format!("{} (run)", c.service)
            } else {
                format!("{}.{}", c.service, c.number)
            };
            match u {
                Some(u) => [
                    service,
                    format!("{:.1}%", u.cpu_percent),
                    format!(
                        "{} / {}",
                        human(u.memory_bytes),
                        human(u.memory_limit_bytes)
                    ),
                    format!("{:.1}%", u.memory_percent),
                ],
                None => [service, "-".into(), "-".into(), "-".into()],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units_are_parsed() {
        assert_eq!(parse_size("1.5MiB"), Some(1_572_864));
        assert_eq!(parse_size("512B"), Some(512));
        assert_eq!(parse_size("1.2kB"), Some(1200));
        assert_eq!(parse_size("23.5GiB"), Some(25_232_932_864));
        assert_eq!(parse_size("bogus"), None);
        assert_eq!(parse_percent(" 0.07% "), Some(0.07));
        let usage = parse_stats(
            r#"{"ID":"x","Name":"demo-web-1","CPUPerc":"1.50%","MemUsage":"1.5MiB / 2GiB","MemPerc":"0.07%"}"#,
        );
        assert_eq!(usage[0].memory_bytes, 1_572_864);
        assert_eq!(usage[0].memory_limit_bytes, 2 * 1024 * 1024 * 1024);
        assert_eq!(human(1_572_864), "1.5MiB");
    }
}
