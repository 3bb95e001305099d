//! `debug` against the real engine: the Python fixture under
//! tests/fixtures/debug recreated under debugpy, which must answer the
//! Debug Adapter Protocol on the published port; launch.json edited in
//! place; `--off`; a taken port refused before anything starts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::docs_command::Fixture;
use crate::engine::free_port;
use crate::engine::wait_for;

/// The user's own launch.json: an entry and comments that must survive.
const USER_LAUNCH_JSON: &str = r#"{
    // Team settings: keep this comment.
    "version": "0.2.0",
    "configurations": [
        {
            "name": "Portal Attach", /* ptvsd, the seed's */
            "type": "python",
            "request": "attach",
            "port": 51000,
        },
    ],
}
"#;

/// Sends the DAP `initialize` request to 127.0.0.1:port and returns the
/// response (events sent before it are skipped).
pub fn dap_initialize(port: u16) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let body = r#"{"seq":1,"type":"request","command":"initialize","arguments":{"clientID":"xtask-test","adapterID":"debugpy","linesStartAt1":true,"columnsStartAt1":true,"pathFormat":"path"}}"#;
    stream
        .write_all(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    for _ in 0..20 {
        let mut length = None;
        loop {
            let mut line = String::new();
            let read = reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if read == 0 {
                return Err("the connection closed before a response".into());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.ok_or("a message without Content-Length")?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        let message: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if message["type"] == "response" {
            return Ok(message);
        }
    }
    Err("no response among the first 20 messages".into())
}

/// `debug web --wait` on a free port, which says `debugger` listens there.
fn debug_web_waiting(fixture: &Fixture, debugger: &str) -> (u16, crate::harness::Outcome) {
    let port = free_port();
    let out = fixture
        .xtask(["debug", "web", "--wait", "--port", &port.to_string()])
        .ok();
    assert!(
        out.stdout
            .contains(&format!("web: {debugger} listening on 127.0.0.1:{port}")),
        "{}",
        out.describe()
    );
    (port, out)
}

fn debug_session(fixture: &Fixture) {
    let project = fixture.project.clone();
    fixture.env.write(".vscode/launch.json", USER_LAUNCH_JSON);
    fixture.xtask(["up", "-d", "web"]).ok();
    // How to attach: host, port, path mappings.
    let (port, out) = debug_web_waiting(fixture, "debugpy");
    let local = fixture.env.join("shared/src/web");
    assert!(
        out.stdout
            .contains(&format!("path mapping: {} -> /srv/web", local.display())),
        "{}",
        out.describe()
    );

    let response = wait_for(
        "debugpy to answer initialize on the published port",
        Duration::from_secs(60),
        || dap_initialize(port),
    );
    assert_eq!(response["command"], "initialize", "{response}");
    assert_eq!(response["success"], true, "{response}");
    let running = fixture.running(&project);
    assert!(
        running.len() == 1
            && running[0].contains("debugpy --listen 0.0.0.0:")
            && running[0].contains("--wait-for-client app.py")
            && running[0].contains(&format!("127.0.0.1:{port}->{port}/tcp")),
        "{running:?}"
    );

    // --wait holds the program: it has not started yet.
    let logs = fixture.xtask(["logs", "web"]).ok();
    assert!(!logs.stdout.contains("web up"), "{}", logs.describe());

    // launch.json gained the entry and kept the user's entry and comments.
    let text = fixture.env.read(".vscode/launch.json");
    assert!(
        text.starts_with(&USER_LAUNCH_JSON[..USER_LAUNCH_JSON.find("        },").unwrap()]),
        "{text}"
    );
    assert!(
        text.contains("// Team settings: keep this comment."),
        "{text}"
    );
    assert!(text.contains("/* ptvsd, the seed's */"), "{text}");
    assert!(text.contains("\"name\": \"web: attach (xtask)\""), "{text}");
    assert!(text.contains(&format!("\"port\": {port}")), "{text}");
    assert!(
        text.contains("\"localRoot\": \"${workspaceFolder}/shared/src/web\"")
            && text.contains("\"remoteRoot\": \"/srv/web\""),
        "{text}"
    );
    // A second run updates the entry rather than adding another.
    fixture
        .xtask(["debug", "web", "--port", &port.to_string()])
        .ok();
    // Without --wait the program runs at once, under the debugger.
    wait_for(
        "web to start without a client",
        Duration::from_secs(30),
        || {
            let logs = fixture.xtask(["logs", "web"]).run();
            if logs.stdout.contains("web up") {
                Ok(())
            } else {
                Err(logs.describe())
            }
        },
    );
    let again = fixture.env.read(".vscode/launch.json");
    assert_eq!(again.matches("web: attach (xtask)").count(), 1, "{again}");
    assert_eq!(again.matches("Portal Attach").count(), 1, "{again}");

    // --off: the service's own command, no debug port, no override file.
    let plan = fixture.xtask(["--dry-run", "debug", "web", "--off"]).ok();
    assert!(
        plan.stdout
            .contains("-f docker-compose.yml up --detach --no-deps --force-recreate web"),
        "{}",
        plan.describe()
    );
    fixture.xtask(["debug", "web", "--off"]).ok();
    let running = fixture.running(&project);
    assert!(
        running.len() == 1
            && running[0].contains("python3 app.py")
            && !running[0].contains("debugpy")
            && !running[0].contains(&port.to_string()),
        "{running:?}"
    );
    assert!(
        std::fs::read_dir(fixture.env.join(".xtask"))
            .unwrap()
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().starts_with("debug-")),
        "the override file is gone"
    );
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn debug_wait_answers_the_debug_adapter_protocol_and_off_restores_with_the_compose_plugin() {
    debug_session(&Fixture::new("debug", &[]));
}

#[test]
fn debug_wait_answers_the_debug_adapter_protocol_and_off_restores_with_compose_v1() {
    debug_session(&Fixture::new("debug", &[]).with_compose_v1());
}

#[test]
fn a_taken_port_is_refused_before_anything_starts() {
    let fixture = Fixture::new("debug", &[]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = fixture
        .xtask(["debug", "web", "--port", &port.to_string()])
        .fails_with(2);
    assert!(
        out.stderr
            .contains(&format!("port {port} on 127.0.0.1 is taken"))
            && out.stderr.contains("nothing was started")
            && out.stderr.contains("--port N"),
        "{}",
        out.describe()
    );
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
    assert!(!fixture.env.join(".vscode").exists());
    assert!(!fixture
        .env
        .join(".xtask")
        .join(format!("debug-{}-web.yml", fixture.project))
        .exists());
}

#[test]
fn debug_dry_run_prints_the_override_and_the_recreate() {
    let fixture = Fixture::new("debug", &[]);
    let out = fixture.xtask(["--dry-run", "debug", "web", "--wait"]).ok();
    let file = format!(".xtask/debug-{}-web.yml", fixture.project);
    assert!(
        out.stdout.contains(&format!(
            "# write {file}: web runs `python3 -m debugpy --listen 0.0.0.0:5678 --wait-for-client app.py`, port 127.0.0.1:5678"
        )),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains(&format!(
            "-f docker-compose.yml -f {file} up --detach --no-deps --force-recreate web"
        )),
        "{}",
        out.describe()
    );
    assert!(out
        .stdout
        .contains("# put the configuration `web: attach (xtask)` in .vscode/launch.json"));
    assert!(!fixture.env.join(&file).exists() && !fixture.env.join(".vscode").exists());
    // Not running: --off would only remove the override, never start it.
    let off = fixture.xtask(["--dry-run", "debug", "web", "--off"]).ok();
    assert!(
        off.stdout
            .contains("# web is not running: nothing to recreate")
            && !off.stdout.contains(" up ")
            && off.stdout.contains(&format!("# remove {file}")),
        "{}",
        off.describe()
    );
    assert!(fixture.leftovers().is_empty());
}

#[test]
fn a_launch_json_it_cannot_read_is_left_alone_and_the_entry_printed() {
    let fixture = Fixture::new("debug", &[]);
    let broken = "{ \"configurations\": [ { \"name\": \"x\" } \n";
    fixture.env.write(".vscode/launch.json", broken);
    let port = free_port().to_string();
    let out = fixture.xtask(["debug", "web", "--port", &port]).ok();
    assert!(
        out.stderr.contains("left .vscode/launch.json as it is"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("\"name\": \"web: attach (xtask)\""),
        "{}",
        out.describe()
    );
    assert_eq!(fixture.env.read(".vscode/launch.json"), broken);
    // An empty file is no file: it gets the whole document.
    fixture.env.write(".vscode/launch.json", "\n");
    fixture.xtask(["debug", "web", "--port", &port]).ok();
    let launch: Value = serde_json::from_str(&fixture.env.read(".vscode/launch.json")).unwrap();
    assert_eq!(launch["configurations"][0]["name"], "web: attach (xtask)");
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn debug_config_errors_name_the_line() {
    let fixture = Fixture::new("debug", &[]);
    fixture.env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[services.web.debug]\ndebugger = \"winpdb\"\n",
    );
    fixture
        .xtask(["check"])
        .fails_with(2)
        .stderr_has("tasks.toml:5:12")
        .stderr_has("winpdb");
    fixture.env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[services.web.debug]\nport = 0\npath_mappings = { \"/abs\" = \"srv\" }\n",
    );
    let out = fixture.xtask(["check"]).fails_with(2);
    for expected in [
        "tasks.toml:5:8: [services.web.debug] port is 0",
        "[services.web.debug] has no command to run under the debugger",
        "path_mappings: `/abs` is absolute",
        "path_mappings: `srv` is not an absolute path in the container",
    ] {
        assert!(
            out.stderr.contains(expected),
            "{expected}\n{}",
            out.describe()
        );
    }
}

#[test]
fn ptvsd_is_started_with_its_own_options_when_the_config_names_it() {
    let fixture = Fixture::new("debug", &[]);
    fixture.env.tasks_toml(
        "[project]\ncompose_files = [\"docker-compose.yml\"]\n\n[services.web]\ncommand = [\"python3\", \"app.py\"]\n\n[services.web.debug]\ndebugger = \"ptvsd\"\n",
    );
    // ptvsd 4's command line (`--host H --port P --wait FILE`), answered by
    // debugpy: the image has no ptvsd, and the protocol is the same.
    fixture.env.write(
        "shared/src/web/ptvsd/__main__.py",
        "import runpy, sys\n\
         args = sys.argv[1:]\n\
         host = args[args.index('--host') + 1]\n\
         port = args[args.index('--port') + 1]\n\
         rest = [a for a in args[args.index('--port') + 2:] if a != '--wait']\n\
         wait = ['--wait-for-client'] if '--wait' in args else []\n\
         print('ptvsd', ' '.join(args), flush=True)\n\
         sys.argv = [sys.argv[0], '--listen', host + ':' + port] + wait + rest\n\
         runpy.run_module('debugpy', run_name='__main__', alter_sys=True)\n",
    );
    let (port, _) = debug_web_waiting(&fixture, "ptvsd");
    let response = wait_for(
        "the ptvsd command line to answer initialize",
        Duration::from_secs(60),
        || dap_initialize(port),
    );
    assert_eq!(response["success"], true, "{response}");
    let logs = fixture.xtask(["logs", "web"]).ok();
    assert!(
        logs.stdout
            .contains(&format!("ptvsd --host 0.0.0.0 --port {port} --wait app.py")),
        "{}",
        logs.describe()
    );
    let launch: Value = serde_json::from_str(&fixture.env.read(".vscode/launch.json")).unwrap();
    assert_eq!(launch["configurations"][0]["type"], "python", "{launch}");
    assert!(launch["configurations"][0].get("pathMappings").is_none());
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

/// The container of `service` in `project`: `docker inspect`'s Config.Cmd.
fn config_cmd(project: &str, service: &str) -> Vec<String> {
    let id = crate::engine::the_container(project, service);
    let out = std::process::Command::new("docker")
        .args(["inspect", "--format", "{{json .Config.Cmd}}", &id])
        .output()
        .expect("docker inspect");
    serde_json::from_slice(&out.stdout).expect("Config.Cmd as JSON")
}

fn the_override_of(fixture: &Fixture) -> std::path::PathBuf {
    fixture
        .env
        .join(&format!(".xtask/debug-{}-web.yml", fixture.project))
}

fn dollars_reach_the_container_literally(fixture: &Fixture) {
    fixture.env.tasks_toml(
        r#"[project]
compose_files = ["docker-compose.yml"]

[services.web.debug]
command = ["python3", "app.py", "$HOME", "${SECRET_TOKEN:-unset}", "$$", "a$b"]
"#,
    );
    let port = free_port().to_string();
    fixture
        .xtask(["debug", "web", "--port", &port])
        .env("SECRET_TOKEN", "s3cr3t-token-42")
        .env("HOME", "/home/someone")
        .ok();
    let cmd = config_cmd(&fixture.project, "web");
    assert_eq!(
        &cmd[cmd.len() - 5..],
        ["app.py", "$HOME", "${SECRET_TOKEN:-unset}", "$$", "a$b"],
        "{cmd:?}"
    );
    let all = cmd.join(" ");
    assert!(
        !all.contains("s3cr3t") && !all.contains("/home/someone"),
        "{all}"
    );
    let written = std::fs::read_to_string(the_override_of(fixture)).unwrap();
    assert!(!written.contains("s3cr3t"), "{written}");
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn dollar_signs_in_the_debug_command_reach_the_container_literally() {
    dollars_reach_the_container_literally(&Fixture::new("debug", &[]));
}

#[test]
fn dollar_signs_in_the_debug_command_reach_the_container_literally_with_compose_v1() {
    dollars_reach_the_container_literally(&Fixture::new("debug", &[]).with_compose_v1());
}

#[test]
fn a_failed_up_leaves_no_override_file_and_puts_back_an_earlier_one() {
    let fixture = Fixture::new("debug", &[]);
    // An image that is not there and may not be pulled: `up` fails.
    fixture.env.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: xtask-test/not-built-here:0\n    pull_policy: never\n    command: [\"python3\", \"app.py\"]\n",
    );
    fixture.env.write(".vscode/launch.json", "{}\n");
    let port = free_port().to_string();
    let out = fixture.xtask(["debug", "web", "--port", &port]).run();
    assert_ne!(out.code, 0, "{}", out.describe());
    assert!(!the_override_of(&fixture).exists(), "{}", out.describe());
    assert_eq!(
        fixture.env.read(".vscode/launch.json"),
        "{}\n",
        "launch.json is written only once the service runs"
    );

    // An earlier debug's override comes back as it was.
    std::fs::write(the_override_of(&fixture), "# an earlier one\n").unwrap();
    fixture.xtask(["debug", "web", "--port", &port]).run();
    assert_eq!(
        std::fs::read_to_string(the_override_of(&fixture)).unwrap(),
        "# an earlier one\n"
    );
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn launch_json_keeps_its_link_mode_line_endings_and_comments_and_deep_files_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = Fixture::new("debug", &[]);
    let port = free_port().to_string();
    // A CRLF file, read-only, reached through a link to a file inside the root.
    let user = USER_LAUNCH_JSON
        .replace(
            "\"port\": 51000,\n        },",
            "\"port\": 51000,\n        }, // keep",
        )
        .replace('\n', "\r\n");
    assert!(user.contains("}, // keep\r\n"));
    fixture.env.write("team/launch.json", &user);
    let team = fixture.env.join("team/launch.json");
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::create_dir(fixture.env.join(".vscode")).unwrap();
    let link = fixture.env.join(".vscode/launch.json");
    std::os::unix::fs::symlink("../team/launch.json", &link).unwrap();
    fixture
        .xtask(["debug", "web", "--port", &port])
        .ok()
        .stderr_has(".vscode/launch.json gained `web: attach (xtask)`");
    assert!(
        link.symlink_metadata().unwrap().is_symlink(),
        "still a link"
    );
    let text = std::fs::read_to_string(&team).unwrap();
    assert_eq!(
        std::fs::metadata(&team).unwrap().permissions().mode() & 0o7777,
        0o444
    );
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "{text:?}"
    );
    let keep = text
        .find("}, // keep\r\n")
        .unwrap_or_else(|| panic!("the comment ends its line: {text:?}"));
    assert!(keep < text.find("web: attach (xtask)").unwrap(), "{text}");
    assert!(
        text.starts_with(&user[..user.find("// keep").unwrap()]),
        "{text}"
    );

    // A link to a file outside the root: refused, that file untouched.
    let outside = tempfile::tempdir().unwrap();
    let theirs = outside.path().join("launch.json");
    std::fs::write(&theirs, "{}\n").unwrap();
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&theirs, &link).unwrap();
    fixture
        .xtask(["debug", "web", "--port", &port, "--wait"])
        .ok()
        .stderr_has("left .vscode/launch.json as it is (it leads outside the environment root")
        .stdout_has("\"name\": \"web: attach (xtask)\"");
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "{}\n");
    assert!(link.symlink_metadata().unwrap().is_symlink());

    // 200,000 levels deep: a clear message, no crash, the file as it was.
    std::fs::remove_file(&link).unwrap();
    let deep = format!("{{\"configurations\": {}", "[".repeat(200_000));
    fixture.env.write(".vscode/launch.json", &deep);
    let dry = fixture
        .xtask(["--dry-run", "debug", "web", "--port", &port])
        .ok();
    assert!(
        dry.stdout.contains(
            "# leave .vscode/launch.json as it is (line 1: nested deeper than 64 levels)"
        ),
        "{}",
        dry.describe()
    );
    fixture
        .xtask(["debug", "web", "--port", &port])
        .ok()
        .stderr_has("nested deeper than 64 levels");
    assert_eq!(fixture.env.read(".vscode/launch.json"), deep);
    fixture.xtask(["down"]).ok();
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
}

#[test]
fn an_xtask_folder_that_leads_outside_is_refused_before_anything_is_written() {
    let fixture = Fixture::new("debug", &[]);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), fixture.env.join(".xtask")).unwrap();
    let port = free_port().to_string();
    fixture
        .xtask(["debug", "web", "--port", &port])
        .fails_with(2)
        .stderr_has("leads outside the environment root")
        .stderr_has("nothing was changed");
    // (The harness points XDG_CACHE_HOME at .xtask/test-cache.)
    let written: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|name| name != "test-cache")
        .collect();
    assert!(written.is_empty(), "{written:?}");
    assert!(fixture.leftovers().is_empty(), "{:?}", fixture.leftovers());
    assert!(!fixture.env.join(".vscode").exists());
}
