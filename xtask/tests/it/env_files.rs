//! Env files read as compose reads them: compose is the oracle. Each form
//! of the table goes into one `.env`; a service's `environment` shows each
//! variable as compose interpolates it, and a host task prints what xtask
//! gives it. Compose v2 must agree on every row; Compose v1
//! (`docker-compose`, python-dotenv) gives the values of the v1 column,
//! which differ on the rows marked so (v1 has no `$V`, `${V-d}`, `${V:+x}`,
//! `KEY: VALUE`, `$$` or `\$` in env files, and `${V:-d}` keeps an empty
//! V), and a host task run with v1 as the Compose CLI gets those.

use std::collections::BTreeMap;
use std::process::Command;

use saphyr::{LoadableYamlNode, YamlOwned};

use crate::harness::Env;

/// One line of the env file: the variable, the line, what compose v2 (and
/// xtask) make of it, and what compose v1 makes of it.
struct Form {
    key: &'static str,
    line: &'static str,
    value: &'static str,
    v1: V1,
}

enum V1 {
    Same,
    /// v1 reads it differently (the value v1 gives).
    Differs(&'static str),
}

use V1::{Differs, Same};

const FORMS: &[Form] = &[
    Form {
        key: "V1",
        line: "V1=one",
        value: "one",
        v1: Same,
    },
    Form {
        key: "V2",
        line: r"V2='single $V1 \n x'",
        value: r"single $V1 \n x",
        v1: Same,
    },
    Form {
        key: "V3",
        line: r#"V3="double \n ${V1} \t \" \\ \$V1 $$V1""#,
        value: "double \n one \t \" \\ $V1 $V1",
        v1: Differs("double \n one \t \" \\ \\$V1 $$V1"),
    },
    Form {
        key: "V4",
        line: "V4=unq ${V1} # comment",
        value: "unq one",
        v1: Same,
    },
    Form {
        key: "V5",
        line: r#"V5="double ${V1}""#,
        value: "double one",
        v1: Same,
    },
    Form {
        key: "V6",
        line: "export V6=exported",
        value: "exported",
        v1: Same,
    },
    Form {
        key: "V7",
        line: "V7=\"multi\nline ${V1}\"",
        value: "multi\nline one",
        v1: Same,
    },
    Form {
        key: "V8",
        line: "V8=unq#nocomment",
        value: "unq#nocomment",
        v1: Same,
    },
    Form {
        key: "V9",
        line: "V9=${V1:+alt}",
        value: "alt",
        v1: Differs("${V1:+alt}"),
    },
    Form {
        key: "V10",
        line: "V10=${LATER-dash}",
        value: "dash",
        v1: Differs(""),
    },
    Form {
        key: "EMPTY",
        line: "EMPTY=",
        value: "",
        v1: Same,
    },
    Form {
        key: "V11",
        line: "V11=${EMPTY:-colon}",
        value: "colon",
        v1: Differs(""),
    },
    Form {
        key: "V12",
        line: "V12=${UNSET_X:-dflt}",
        value: "dflt",
        v1: Same,
    },
    Form {
        key: "V13",
        line: "V13=${EMPTY-dash}",
        value: "",
        v1: Same,
    },
    Form {
        key: "V14",
        line: "V14=$V1$V1",
        value: "oneone",
        v1: Differs("$V1$V1"),
    },
    Form {
        key: "V15",
        line: "V15=  spaced  ",
        value: "spaced",
        v1: Same,
    },
    Form {
        key: "V16",
        line: "V16 = around",
        value: "around",
        v1: Same,
    },
    Form {
        key: "V17",
        line: "V17: yamlish",
        value: "yamlish",
        v1: Differs(""),
    },
    Form {
        key: "V18",
        line: "V18='multi\nsingle'",
        value: "multi\nsingle",
        v1: Same,
    },
    Form {
        key: "V19",
        line: "V19=${V1}x${UNSET_Y}",
        value: "onex",
        v1: Same,
    },
    Form {
        key: "V20",
        line: r"V20=a\nb",
        value: r"a\nb",
        v1: Same,
    },
    Form {
        key: "V21",
        line: r"V21='a\'b'",
        value: "a'b",
        v1: Same,
    },
    Form {
        key: "V22",
        line: "V22=$$V1",
        value: "$V1",
        v1: Differs("$$V1"),
    },
    Form {
        key: "V23",
        line: "V23=${FROM_SHELL}",
        value: "shell",
        v1: Same,
    },
    Form {
        key: "V24",
        line: "V24=${V1:-${V9}}",
        value: "one",
        v1: Differs("one}"),
    },
    Form {
        key: "V25",
        line: "V25=${SHADOWED}",
        value: "shell wins",
        v1: Same,
    },
    Form {
        key: "SHADOWED",
        line: "SHADOWED=file",
        value: "shell wins",
        v1: Same,
    },
    Form {
        key: "PW_BASE",
        line: "PW_BASE=pw-base-9",
        value: "pw-base-9",
        v1: Same,
    },
    Form {
        key: "POSTGRES_PASSWORD",
        line: "POSTGRES_PASSWORD=${PW_BASE}",
        value: "pw-base-9",
        v1: Same,
    },
    Form {
        key: "V26",
        line: r#"V26="octal \0101 \c""#,
        value: r"octal A \c",
        v1: Differs(r"octal \0101 \c"),
    },
    Form {
        key: "V27",
        line: "V27=cost $5",
        value: "cost $5",
        v1: Same,
    },
    Form {
        key: "V28",
        line: "V28=\"x\" # after the quote",
        value: "x",
        v1: Same,
    },
    Form {
        key: "LATER",
        line: "LATER=later",
        value: "later",
        v1: Same,
    },
];

fn env_file() -> String {
    FORMS.iter().map(|f| format!("{}\n", f.line)).collect()
}

fn compose_file() -> String {
    let mut text = String::from("services:\n  s:\n    image: xtask-test/none\n    environment:\n");
    for form in FORMS {
        text.push_str(&format!("      {key}: \"${{{key}}}\"\n", key = form.key));
    }
    text
}

/// What `docker compose config` (v2, JSON) or `docker-compose config` (v1,
/// YAML) says the service's environment is; `$$` in its output is a `$`.
fn compose_says(env: &Env, v1: bool) -> BTreeMap<String, String> {
    let mut command = if v1 {
        let mut c = Command::new("docker-compose");
        c.arg("config");
        c
    } else {
        let mut c = Command::new("docker");
        c.args(["compose", "config", "--format", "json"]);
        c
    };
    let out = command
        .current_dir(env.path())
        .env("FROM_SHELL", "shell")
        .env("SHADOWED", "shell wins")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .expect("run compose");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "compose config failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut values = BTreeMap::new();
    if v1 {
        let docs = YamlOwned::load_from_str(&text).expect("v1 prints YAML");
        let environment = &docs[0]["services"]["s"]["environment"];
        for form in FORMS {
            let value = environment[form.key]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| panic!("v1 shows no {}: {text}", form.key));
            values.insert(form.key.to_string(), value.replace("$$", "$"));
        }
    } else {
        let json: serde_json::Value = serde_json::from_str(&text).expect("v2 prints JSON");
        let environment = &json["services"]["s"]["environment"];
        for form in FORMS {
            let value = environment[form.key]
                .as_str()
                .unwrap_or_else(|| panic!("v2 shows no {}: {text}", form.key));
            values.insert(form.key.to_string(), value.replace("$$", "$"));
        }
    }
    values
}

/// What a host task run by xtask gets, with `compose` as the Compose CLI.
fn host_task_gets(env: &Env, compose: &str) -> BTreeMap<String, String> {
    let out = env
        .xtask(["show"])
        .env("XTASK_COMPOSE", compose)
        .env("FROM_SHELL", "shell")
        .env("SHADOWED", "shell wins")
        .ok();
    out.stdout
        .split('\0')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn fixture() -> Env {
    let env = Env::new();
    env.write(".env", &env_file())
        .write("compose.yaml", &compose_file())
        .tasks_toml("[tasks.show]\nrun = [\"env\", \"-0\"]\n");
    env
}

#[test]
fn env_file_forms_read_as_compose_reads_them() {
    let env = fixture();
    let v2 = compose_says(&env, false);
    let ours = host_task_gets(&env, "docker compose");
    let v1 = compose_says(&env, true);
    let ours_v1 = host_task_gets(&env, "docker-compose");
    let mut wrong = Vec::new();
    for form in FORMS {
        let line = form.line.escape_debug();
        if v2[form.key] != form.value {
            wrong.push(format!(
                "{line}: compose v2 gives {:?}, the table says {:?}",
                v2[form.key], form.value
            ));
        }
        if ours.get(form.key).map(String::as_str) != Some(form.value) {
            wrong.push(format!(
                "{line}: the host task gets {:?}, compose v2 gives {:?}",
                ours.get(form.key),
                form.value
            ));
        }
        let v1_value = match form.v1 {
            Same => form.value,
            Differs(value) => value,
        };
        if v1[form.key] != v1_value {
            wrong.push(format!(
                "{line}: compose v1 gives {:?}, the table says {v1_value:?}",
                v1[form.key]
            ));
        }
        // A line v1 cannot read sets nothing: compose shows it empty.
        let with_v1 = ours_v1.get(form.key).map_or("", String::as_str);
        if with_v1 != v1_value {
            wrong.push(format!(
                "{line}: with compose v1 the host task gets {with_v1:?}, compose v1 gives {v1_value:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn an_env_file_compose_refuses_is_refused_with_its_line() {
    let env = Env::new();
    env.write(".env", "A=1\nB=\"never closed\nC=3\n")
        .tasks_toml("[tasks.show]\nrun = [\"env\"]\n");
    env.xtask(["show"])
        .fails_with(2)
        .stderr_has(".env:2")
        .stderr_has("unterminated");
    env.write(".env", "A=1\nB=${NEEDED:?set NEEDED first}\n");
    env.xtask(["show"])
        .fails_with(2)
        .stderr_has("NEEDED")
        .stderr_has("set NEEDED first");
    env.xtask(["show"]).env("NEEDED", "here").ok();
}

/// `POSTGRES_PASSWORD=${PW_BASE}`: the `db` commands get the password the
/// server got, not the text `${PW_BASE}`.
#[test]
fn db_commands_get_the_interpolated_password_the_server_got() {
    let stack = crate::engine::Stack::fixture();
    stack.env.write(
        ".env",
        "PW_BASE=\"pw-base-9\"\nPOSTGRES_PASSWORD=${PW_BASE}\n",
    );
    let compose = std::fs::read_to_string(stack.env.join("docker-compose.yml")).unwrap();
    stack.env.write(
        "docker-compose.yml",
        &compose.replacen(
            "    command: [\"pg-start\"]\n",
            "    command: [\"pg-start\"]\n    environment:\n      POSTGRES_PASSWORD: \"${POSTGRES_PASSWORD}\"\n",
            1,
        ),
    );
    let tasks = std::fs::read_to_string(stack.env.join("tasks.toml")).unwrap();
    stack.env.write(
        "tasks.toml",
        &format!(
            "{tasks}\n[db]\nname = \"shop\"\npassword_env = \"POSTGRES_PASSWORD\"\n\
             init = [\"sh\", \"-c\", \"echo password=$PGPASSWORD\"]\n"
        ),
    );
    stack
        .xtask(["up", "--wait", "--wait-timeout", "90", "db"])
        .ok();
    let server = Command::new("docker")
        .args(["compose", "-p", &stack.project, "-f", "docker-compose.yml"])
        .args(["exec", "-T", "db", "printenv", "POSTGRES_PASSWORD"])
        .current_dir(stack.env.path())
        .output()
        .expect("docker compose exec");
    assert_eq!(String::from_utf8_lossy(&server.stdout).trim(), "pw-base-9");
    stack
        .xtask(["db", "setup"])
        .ok()
        .stdout_has("password=pw-base-9");
}

/// Generated env files: xtask's reading agrees with compose v2's on every
/// one (values, and whether the file is refused), the shell's `K3` over
/// the file's as compose has it. Bounded: 40 files, a fixed seed.
#[test]
fn generated_env_files_read_as_compose_reads_them() {
    generated_env_files_agree_with(false, 40);
}

/// The same with Compose v1 (slower to start: 16 files).
#[test]
fn generated_env_files_read_as_compose_v1_reads_them() {
    generated_env_files_agree_with(true, 16);
}

fn generated_env_files_agree_with(v1: bool, cases: u32) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    use xtask::env_file::{parse_as, Flavour};

    fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(items).prop_map(str::to_string)
    }
    let unquoted = proptest::collection::vec(
        pick(&[
            "plain",
            "a b",
            "x#y",
            "v #c",
            "$K0",
            "${K1}",
            "${NOPE:-d f}",
            "${K2-dash}",
            "${K0:+alt}",
            "$$K0",
            "$5",
            "${K3:-${K0}}",
            "=eq",
            "  pad  ",
            "tab\tx",
            "\\n",
        ]),
        1..4,
    )
    .prop_map(|parts| parts.concat());
    let double = proptest::collection::vec(
        pick(&[
            "plain", "\\n", "\\t", "\\\"", "\\\\", "\\$K0", "$K1", "${K0:-z}", "'", " #h", "\n",
            "\\x", "$$",
        ]),
        0..4,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()));
    let single = proptest::collection::vec(
        pick(&["plain", "$K0", "\\n", "\\'", "\"", "\n", " #", "${K1}"]),
        0..4,
    )
    .prop_map(|parts| format!("'{}'", parts.concat()));
    let line = (
        pick(&["", "export "]),
        pick(&["K0", "K1", "K2", "K3"]),
        pick(&["=", " = ", ": "]),
        prop_oneof![unquoted, double, single],
        pick(&["", " # trailing", "  "]),
    )
        .prop_map(|(export, key, separator, value, tail)| {
            // A comment after a quoted value; an unquoted one takes ` #` itself.
            format!("{export}{key}{separator}{value}{tail}")
        });
    let file = proptest::collection::vec(
        prop_oneof![4 => line, 1 => pick(&["# a comment", "", "   "])],
        1..7,
    )
    .prop_map(|lines| lines.join("\n") + "\n");

    let shell: BTreeMap<String, String> = [("K3".to_string(), "shell".to_string())].into();
    let mut compose_file =
        String::from("services:\n  s:\n    image: xtask-test/none\n    environment:\n");
    for key in ["K0", "K1", "K2", "K3"] {
        compose_file.push_str(&format!("      {key}: \"${{{key}}}\"\n"));
    }
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[18; 32]));
    let result = runner.run(&file, |text| {
        let env = Env::new();
        env.write(".env", &text)
            .write("compose.yaml", &compose_file);
        let mut command = if v1 {
            let mut c = Command::new("docker-compose");
            c.arg("config");
            c
        } else {
            let mut c = Command::new("docker");
            c.args(["compose", "config", "--format", "json"]);
            c
        };
        command.current_dir(env.path()).env_clear().envs(&shell);
        for keep in ["PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG"] {
            if let Ok(value) = std::env::var(keep) {
                command.env(keep, value);
            }
        }
        let out = command.output().expect("docker compose config");
        let lookup = |name: &str| shell.get(name).cloned();
        let mut ours = BTreeMap::new();
        let flavour = if v1 { Flavour::V1 } else { Flavour::V2 };
        let parsed = parse_as(flavour, &text, &lookup, &mut ours);
        prop_assert_eq!(
            out.status.success(),
            parsed.is_ok(),
            "compose {} it, xtask {:?}:\n{}\n{}",
            if out.status.success() {
                "reads"
            } else {
                "refuses"
            },
            parsed,
            text,
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            return Ok(());
        }
        let printed = String::from_utf8_lossy(&out.stdout);
        let theirs_of = |key: &str| -> String {
            let value = if v1 {
                let docs = YamlOwned::load_from_str(&printed).expect("v1 prints YAML");
                docs[0]["services"]["s"]["environment"][key]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            } else {
                let json: serde_json::Value =
                    serde_json::from_str(&printed).expect("compose prints JSON");
                json["services"]["s"]["environment"][key]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            };
            value.replace("$$", "$")
        };
        for key in ["K0", "K1", "K2", "K3"] {
            let theirs = theirs_of(key);
            let mine = shell
                .get(key)
                .or_else(|| ours.get(key))
                .cloned()
                .unwrap_or_default();
            prop_assert_eq!(&mine, &theirs, "{} in\n{}", key, text);
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
