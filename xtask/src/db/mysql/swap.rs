//! The swap every MySQL-family replacement ends with (`db restore`, `db
//! snapshot`, `db snapshot restore`, `db copy`, and `db rebuild`, which
//! swaps in an empty database): the tables of a staging
//! database moved into the database they replace by one RENAME TABLE,
//! their views, triggers and routines brought along, the replaced ones
//! kept with the replaced tables. Shell run in the container, shared so
//! that a load and a copy end the same way.

use crate::db::mysql::{client, sql};
use crate::db::target::DbTarget;
use crate::plan::CommandStep;

/// The positional parameters every script that ends with [`SWAP_WHOLE`]
/// starts with (see [`SwapParts::call`]), named; the script's own follow.
const SWAP_ARGS: &str = "prelude=$1 client=$2 dumper=$3 db=$4 staging=$5 kept=$6 keep=$7 oddq=$8 dropq=$9 vstaging=${10} vdb=${11} swap=${12} dropafter=${13} existsq=${14} tidy=${15}; shift 15; ";

/// `sh` functions for the scripts that start with [`SWAP_ARGS`]: `sql
/// SCRIPT CONNECTION...` runs `$prelude` and SCRIPT in the client, `fail`
/// says why on stderr, `views_into DB VIEWS FILE CONNECTION...` appends
/// the SQL of DB's views (one name a line in VIEWS) to FILE, and
/// `swap_whole CONNECTION...` swaps `$staging` in for `$db` as one piece,
/// SIGTERM, SIGINT and SIGHUP ignored from its start (children inherit
/// that): names with a line break or backslash refused (`$oddq`: the
/// client reads lines); the SQL of the views,
/// triggers, routines and events of both databases read with the dump
/// tool (views listed by `$vstaging` and `$vdb`; `$existsq` says whether
/// `$db` exists), the triggers and views dropped (`$dropq`: they keep
/// RENAME TABLE from moving tables), the tables moved (`$swap`), the
/// replaced routines and events dropped (`$dropafter`), the staging
/// database's made in `$db`, the replaced triggers, views and routines
/// made in the kept database `$kept` (when `$keep` is 1); a failed move
/// makes the replaced triggers and views again. Then it tidies up
/// (`$tidy`) and exits 0; it returns 1 when nothing changed (the caller
/// drops the staging database), and exits 1 when the tables were swapped
/// but not all of their objects could be made (saying where their SQL is;
/// the replaced ones are still kept, and the staging database tidied).
const SWAP_WHOLE: &str = "sql() { s=$1; shift; printf '%s\\n%s\\n' \"$prelude\" \"$s\" | \"$client\" \"$@\" --batch --skip-column-names --binary-mode --raw; }; \
fail() { echo \"$1\" >&2; }; \
views_into() { vw_db=$1 vw_list=$2 vw_file=$3; shift 3; (IFS=$nl; [ -z \"$vw_list\" ] || \"$dumper\" \"$@\" --no-data --skip-comments --skip-opt --skip-triggers -- \"$vw_db\" $vw_list >> \"$vw_file\"); }; \
swap_whole() { \
if ! found=$(sql \"$oddq\" \"$@\"); then fail 'cannot list the names the swap moves'; return 1; fi; \
if [ -n \"$found\" ]; then fail \"$(echo $found)\"; return 1; fi; \
trap '' TERM INT HUP; set -f; nl=$(printf '\\nx'); nl=${nl%x}; \
new=$(mktemp) && old=$(mktemp) && oldr=$(mktemp) || return 1; \
objects='--no-data --no-create-info --skip-comments --skip-opt'; \
if ! vs=$(sql \"$vstaging\" \"$@\") || ! vd=$(sql \"$vdb\" \"$@\") || ! there=$(sql \"$existsq\" \"$@\"); then fail 'cannot list the views'; \
elif ! \"$dumper\" \"$@\" $objects --triggers --routines --events -- \"$staging\" > \"$new\" \
|| ! views_into \"$staging\" \"$vs\" \"$new\" \"$@\"; then fail 'cannot read the new views, triggers, routines and events'; \
elif [ \"$there\" = 1 ] && { ! \"$dumper\" \"$@\" $objects --triggers --skip-routines --skip-events -- \"$db\" > \"$old\" \
|| ! views_into \"$db\" \"$vd\" \"$old\" \"$@\" \
|| ! \"$dumper\" \"$@\" $objects --skip-triggers --routines --skip-events -- \"$db\" > \"$oldr\"; }; then fail 'cannot read the views, triggers and routines of the database replaced'; \
elif ! drops=$(sql \"$dropq\" \"$@\") || ! printf '%s\\n' \"$drops\" | \"$client\" \"$@\" --batch --binary-mode; then fail 'cannot set the triggers and views aside'; \
[ \"$there\" = 1 ] && \"$client\" \"$@\" --batch --binary-mode -- \"$db\" < \"$old\"; \
elif ! sql \"$swap\" \"$@\"; then fail 'the swap failed'; \
[ \"$there\" = 1 ] && \"$client\" \"$@\" --batch --binary-mode -- \"$db\" < \"$old\"; \
else \
{ after=$(sql \"$dropafter\" \"$@\") && printf '%s\\n' \"$after\" | \"$client\" \"$@\" --batch --binary-mode; } || fail 'the replaced routines or events could not all be dropped'; \
unmade=0; if ! \"$client\" \"$@\" --batch --binary-mode -- \"$db\" < \"$new\"; then fail \"the tables were swapped in, but not all of their views, triggers, routines and events were made: their SQL is $new in the container\"; unmade=1; fi; \
if [ \"$keep\" = 1 ] && [ \"$there\" = 1 ] && ! cat \"$old\" \"$oldr\" | \"$client\" \"$@\" --batch --binary-mode -- \"$kept\"; then fail \"the replaced views, triggers and routines could not all be kept in $kept\"; fi; \
rm -f \"$old\" \"$oldr\"; [ \"$unmade\" = 1 ] || rm -f \"$new\"; sql \"$tidy\" \"$@\" > /dev/null || fail \"$staging was left behind (the next replacement drops it)\"; exit \"$unmade\"; \
fi; \
rm -f \"$new\" \"$old\" \"$oldr\"; return 1; }; ";

/// What a swap works on: the values of [`SWAP_ARGS`].
pub struct SwapParts<'a> {
    /// The session variables every script reads (`@db`, `@staging`, ...).
    pub prelude: String,
    /// The database replaced (or made: a new snapshot or copy).
    pub db: &'a str,
    pub staging: &'a str,
    /// Where the replaced tables go, and whether they stay there.
    pub kept: &'a str,
    pub keep: bool,
    /// The SQL that moves the tables: [`sql::swap`] into a database that
    /// may exist, [`sql::move_into_new`] into a new snapshot.
    pub move_tables: String,
    /// Drop `db` once the swap moved its tables out of it (a rebuild sets
    /// the database aside for an empty staging database).
    pub drop_db_after: bool,
}

impl SwapParts<'_> {
    /// The `sh -c` call, in the tools service under the container's lock on
    /// the staging database, that runs `script` with the swap's functions
    /// defined: its parameters are [`SWAP_ARGS`], then `own` (named by
    /// `own_names`, which ends with its `shift`), then the connection;
    /// `secrets` are passed by name (see `DatabaseClient::tool_passing`).
    pub fn call(
        self,
        target: &DbTarget<'_>,
        (own_names, script): (&str, &str),
        own: Vec<String>,
        secrets: &[(String, String)],
    ) -> CommandStep {
        let engine = target.settings.engine.engine;
        let mut argv = vec![
            "sh".to_string(),
            "-c".into(),
            format!(
                "{SWAP_ARGS}{own_names}{}{SWAP_WHOLE}{script}",
                client::CONTAINER_LOCK
            ),
            "sh".into(),
            self.prelude,
            engine.client().into(),
            engine.dump_tool().into(),
            self.db.into(),
            self.staging.into(),
            self.kept.into(),
            u8::from(self.keep).to_string(),
            sql::odd_names(),
            sql::drops_before_swap(),
            sql::views_of("@staging"),
            sql::views_of("@db"),
            self.move_tables,
            sql::drops_after_swap(),
            sql::db_exists(),
            if self.drop_db_after {
                format!("{}{}", sql::tidy(), sql::drop_emptied())
            } else {
                sql::tidy()
            },
        ];
        argv.extend(own);
        argv.extend(client::connection(target.settings).into_iter().skip(1));
        target.client.tool_passing(argv, &[], false, secrets)
    }
}
