//! The MySQL-family client in the tools service: `mariadb`/`mysql` with the
//! connection as `--host=`/`--user=` options, the password read from
//! `MYSQL_PWD` (passed by name, see [`crate::db::engine::Engine::password_variable`]),
//! scripts on stdin in batch mode.

use crate::db::error::Result;
use crate::db::mysql::sql;
use crate::db::scripts::ROLE_PASSWORD_VARIABLE;
use crate::db::settings::DbSettings;
use crate::db::target::{checked, DbTarget};
use crate::plan::{CommandStep, Input, Plan, Step};

/// The client and how it reaches the server: `mariadb --host=db --user=root`.
pub fn connection(settings: &DbSettings) -> Vec<String> {
    vec![
        settings.engine.engine.client().to_string(),
        format!("--host={}", settings.server),
        format!("--user={}", settings.user),
    ]
}

/// The client's options for scripts: values only, tab-separated, stop at
/// the first error (batch mode), no client commands in what it reads.
pub const BATCH: [&str; 3] = ["--batch", "--skip-column-names", "--binary-mode"];

/// The client running `script` (with `variables` as hex session variables
/// before it) from stdin.
pub fn script(target: &DbTarget<'_>, variables: &[(&str, &str)], script: &str) -> CommandStep {
    let mut argv = connection(target.settings);
    argv.extend(BATCH.map(String::from));
    target
        .client
        .tool(argv, &[], false)
        .stdin(Input::Text(format!(
            "{}{script}",
            sql::variables(variables)
        )))
}

/// The start of the `sh -c` scripts that replace a database, with
/// `$staging` set: a lock in the container on the staging database,
/// whose holder's pid is checked (one a `kill -9` of xtask left running
/// keeps it: xtask's own lock dies with xtask, the call in the container
/// runs on). Removed on exit.
pub const CONTAINER_LOCK: &str = "lock=/tmp/xtask-$(printf %s \"$staging\" | od -An -v -tx1 | tr -d ' \\n').lock; \
if ! mkdir \"$lock\" 2>/dev/null; then holder=$(cat \"$lock/pid\" 2>/dev/null); \
if [ -n \"$holder\" ] && kill -0 \"$holder\" 2>/dev/null; then \
echo \"a replacement of this database is still running in the container (pid $holder); nothing was changed\" >&2; exit 1; fi; \
rm -rf \"$lock\"; mkdir \"$lock\" || exit 1; fi; echo $$ > \"$lock/pid\"; trap 'rm -rf \"$lock\"' EXIT; ";

/// `sh -c` that puts `SET @role_password = X'..';` (the hex of
/// `$XTASK_ROLE_PASSWORD`, made in the container by builtins and `od` on a
/// pipe: on no command line) before the script on stdin, for the client
/// that follows.
const WITH_ROLE_PASSWORD: &str = "{ printf \"SET @role_password = X'%s';\\n\" \"$(printf %s \"$XTASK_ROLE_PASSWORD\" | od -An -v -tx1 | tr -d ' \\n')\"; cat; } | \"$@\"";

/// `[db] roles` as users: created when missing (with the password of
/// `[db] role_password_env` when set) and granted all on `database`;
/// `[db] extensions`, Postgres's, said to be left out.
pub fn users(target: &DbTarget<'_>, plan: &mut Plan, database: &str) -> Result<()> {
    if !target.settings.extensions.is_empty() {
        plan.push(Step::Note(format!(
            "[db] extensions is Postgres's: not created on {}",
            target.settings.engine.engine.name()
        )));
    }
    let roles = &target.settings.roles;
    if roles.is_empty() {
        return Ok(());
    }
    for role in roles {
        checked(role, "user")?;
    }
    let numbered = crate::db::scripts::numbered("role", roles);
    let mut variables = crate::db::scripts::as_variables(&numbered);
    variables.push(("name", database));
    let mut argv = connection(target.settings);
    argv.extend(BATCH.map(String::from));
    let mut text = sql::variables(&variables);
    let step = match &target.settings.role_password {
        Some((_, value)) => {
            let mut wrapped = vec![
                "sh".to_string(),
                "-c".into(),
                WITH_ROLE_PASSWORD.into(),
                "sh".into(),
            ];
            wrapped.extend(argv);
            let secrets = [(ROLE_PASSWORD_VARIABLE.to_string(), value.clone())];
            target.client.tool_passing(wrapped, &[], false, &secrets)
        }
        None => {
            if let Some(variable) = &target.settings.role_password_env {
                plan.push(Step::Note(format!(
                    "`{variable}` ([db] role_password_env) is not set: users created now get no password"
                )));
            }
            text.push_str("SET @role_password = NULL;\n");
            target.client.tool(argv, &[], false)
        }
    };
    text.push_str(&sql::users(roles.len()));
    plan.run(step.stdin(Input::Text(text)));
    Ok(())
}
