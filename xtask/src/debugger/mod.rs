//! What `debug` needs beyond compose: the command line of each debugger,
//! and the editor's attach configuration in `.vscode/launch.json`.

pub mod debug_session;
pub mod launch_file;
pub mod launch_json;

use crate::config::debug_spec::Debugger;

/// The argv that runs `program` under `debugger`, listening on every
/// address of the container at `port`; with `wait`, the program starts
/// only once a client has attached.
///
/// A `python`/`python3`/`python3.X` program keeps its interpreter and hands
/// the rest to the debugger (a script, or `-m module`, or `-c code`);
/// anything else is taken as a Python script run by `python3`.
pub fn command_line(debugger: Debugger, program: &[String], port: u16, wait: bool) -> Vec<String> {
    let (python, rest) = match program.split_first() {
        Some((first, rest)) if is_python(first) => (first.clone(), rest.to_vec()),
        _ => ("python3".to_string(), program.to_vec()),
    };
    let mut argv = vec![python, "-m".into(), debugger.name().into()];
    match debugger {
        Debugger::Debugpy => {
            argv.extend(["--listen".into(), format!("0.0.0.0:{port}")]);
            if wait {
                argv.push("--wait-for-client".into());
            }
        }
        Debugger::Ptvsd => {
            argv.extend([
                "--host".into(),
                "0.0.0.0".into(),
                "--port".into(),
                port.to_string(),
            ]);
            if wait {
                argv.push("--wait".into());
            }
        }
    }
    argv.extend(rest);
    argv
}

fn is_python(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    name == "python"
        || name
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn debugpy_wraps_the_program_and_keeps_its_interpreter() {
        assert_eq!(
            command_line(
                Debugger::Debugpy,
                &argv(&["python3", "app.py", "-x"]),
                5678,
                true
            ),
            argv(&[
                "python3",
                "-m",
                "debugpy",
                "--listen",
                "0.0.0.0:5678",
                "--wait-for-client",
                "app.py",
                "-x"
            ])
        );
        assert_eq!(
            command_line(
                Debugger::Debugpy,
                &argv(&["/usr/bin/python3.11", "-m", "pkg"]),
                1,
                false
            ),
            argv(&[
                "/usr/bin/python3.11",
                "-m",
                "debugpy",
                "--listen",
                "0.0.0.0:1",
                "-m",
                "pkg"
            ])
        );
    }

    #[test]
    fn ptvsd_takes_host_and_port_and_a_script_without_interpreter() {
        assert_eq!(
            command_line(Debugger::Ptvsd, &argv(&["/srv/run.py"]), 51000, true),
            argv(&[
                "python3",
                "-m",
                "ptvsd",
                "--host",
                "0.0.0.0",
                "--port",
                "51000",
                "--wait",
                "/srv/run.py"
            ])
        );
    }
}
