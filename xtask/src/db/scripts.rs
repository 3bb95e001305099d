//! The psql scripts behind the `db` commands. Names never appear in them:
//! they arrive as psql variables (`-v name=...`) and are quoted by psql
//! (`:"name"` an identifier, `:'name'` a literal), so no name can change
//! what a script does. Each runs with `ON_ERROR_STOP=1` from stdin.

/// Terminates the other sessions on `:name` (a database is dropped or
/// copied only without them).
const TERMINATE: &str = "\
SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
  WHERE datname = :'name' AND pid <> pg_backend_pid() \\gset
";

/// Creates `:name` unless it exists, saying which.
pub const CREATE: &str = "\
SELECT count(*) > 0 AS present FROM pg_database WHERE datname = :'name' \\gset
\\if :present
\\echo database :name exists already
\\else
CREATE DATABASE :\"name\";
\\echo created database :name
\\endif
";

/// What a test database template is marked with once made whole (created,
/// extensions, `[db] init` and `test`): one left unmarked by a run whose
/// init failed is made again, never copied.
pub const COMPLETE_TEMPLATE: &str = "xtask: test database template, complete";

/// Creates `:name` afresh: a database of that name already there (a
/// template a failed run left unmarked) is dropped first, saying so.
pub fn create_afresh() -> String {
    format!("{}{CREATE}", drop_if_present("name"))
}

/// Marks `:name` with `:marker`.
pub const MARK: &str = "COMMENT ON DATABASE :\"name\" IS :'marker';\n";

/// The variable, in the tools' environment only, that the roles' password
/// reaches psql through (as `PGPASSWORD` does): on no command line, in no script.
pub const ROLE_PASSWORD_VARIABLE: &str = "XTASK_ROLE_PASSWORD";

/// Creates the roles `:role_0` .. `:role_{count-1}` that are missing, with
/// LOGIN, and with `password` the password from [`ROLE_PASSWORD_VARIABLE`]
/// (read by psql itself: `\getenv`, or `printenv` before psql 15). Roles
/// that exist are left as they are.
pub fn roles(count: usize, password: bool) -> String {
    let mut script = String::new();
    if password {
        script.push_str(&format!(
            "SELECT :VERSION_NUM >= 150000 AS has_getenv \\gset
\\if :has_getenv
\\getenv role_password {ROLE_PASSWORD_VARIABLE}
\\else
\\set role_password `printenv {ROLE_PASSWORD_VARIABLE}`
\\endif
"
        ));
    }
    let with = if password {
        " PASSWORD :'role_password'"
    } else {
        ""
    };
    for i in 0..count {
        script.push_str(&format!(
            "SELECT count(*) > 0 AS present FROM pg_roles WHERE rolname = :'role_{i}' \\gset
\\if :present
\\echo role :role_{i} exists already
\\else
CREATE ROLE :\"role_{i}\" LOGIN{with};
\\echo created role :role_{i}
\\endif
"
        ));
    }
    script
}

/// `names` as the psql variables `PREFIX_0` .. `PREFIX_{n-1}` that the
/// numbered scripts ([`roles`], [`extensions`]) read.
pub fn numbered(prefix: &str, names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| (format!("{prefix}_{i}"), name.clone()))
        .collect()
}

/// The pairs of [`numbered`] as the `(&str, &str)` the script steps take.
pub fn as_variables(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect()
}

/// Creates the extensions `:extension_0` .. `:extension_{count-1}` in the
/// database psql is connected to, when missing.
pub fn extensions(count: usize) -> String {
    let mut script = String::from("SET client_min_messages = warning;\n");
    for i in 0..count {
        script.push_str(&format!(
            "CREATE EXTENSION IF NOT EXISTS :\"extension_{i}\";
\\echo extension :extension_{i} is in :DBNAME
"
        ));
    }
    script
}

/// Drops `:name` if it exists, other sessions terminated first.
pub fn drop() -> String {
    format!(
        "{TERMINATE}\
SELECT count(*) > 0 AS present FROM pg_database WHERE datname = :'name' \\gset
\\if :present
DROP DATABASE :\"name\";
\\echo dropped database :name
\\else
\\echo database :name does not exist
\\endif
"
    )
}

/// Stops the script with an error unless `:cond` is true (psql has no
/// `exit 1`: a `\\gset` of no rows is an error that ON_ERROR_STOP obeys).
fn require(condition: &str, message: &str) -> String {
    format!("\\if :{condition}\n\\else\n\\warn {message}\nSELECT WHERE false \\gset\n\\endif\n")
}

/// Copies `:source` to `:name` as a template (sessions on the source
/// terminated, as Postgres requires); `:strategy` as for snapshots.
pub fn copy() -> String {
    format!(
        "SELECT count(*) > 0 AS source_present FROM pg_database WHERE datname = :'source' \\gset
SELECT count(*) = 0 AS target_free FROM pg_database WHERE datname = :'name' \\gset
{}{}SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
  WHERE datname = :'source' AND pid <> pg_backend_pid() \\gset
{}\\echo copied database :source to :name
",
        require("source_present", "database :source does not exist"),
        require(
            "target_free",
            "database :name exists already: nothing was changed; pass --force to replace it"
        ),
        create_from_template("name", "source"),
    )
}

/// `CREATE DATABASE :"target" TEMPLATE :"template"`, with the FILE_COPY
/// strategy on Postgres 15+: one checkpoint and a copy of the files, where
/// 15's default WAL_LOG writes every block through the WAL, several times
/// slower for databases of some size.
fn create_from_template(target: &str, template: &str) -> String {
    format!(
        "SELECT :SERVER_VERSION_NUM >= 150000 AS has_strategy \\gset
\\if :has_strategy
CREATE DATABASE :\"{target}\" TEMPLATE :\"{template}\" STRATEGY FILE_COPY;
\\else
CREATE DATABASE :\"{target}\" TEMPLATE :\"{template}\";
\\endif
"
    )
}

/// The comment marking a snapshot of `:name`: `:'marker'`.
const FIND_SNAPSHOT: &str = "\
SELECT count(*) > 0 AS found FROM pg_database
  WHERE datname = :'snapshot' AND shobj_description(oid, 'pg_database') = :'marker' \\gset
";

/// The newest snapshot of `:name` into `:snapshot`, when `:latest` is true.
const PICK_LATEST: &str = "\
\\if :latest
SELECT count(*) > 0 AS any FROM pg_database WHERE shobj_description(oid, 'pg_database') = :'marker' \\gset
\\if :any
SELECT datname AS snapshot FROM pg_database
  WHERE shobj_description(oid, 'pg_database') = :'marker' ORDER BY oid DESC LIMIT 1 \\gset
\\endif
\\endif
";

/// Takes a snapshot of `:name` as `:snapshot`: a template database that
/// accepts no connections, marked with `:marker`.
pub fn snapshot() -> String {
    format!(
        "SELECT count(*) > 0 AS present FROM pg_database WHERE datname = :'name' \\gset
{}{FIND_SNAPSHOT}\\if :found
\\warn snapshot :snapshot exists already; name another with --name
SELECT WHERE false \\gset
\\endif
{TERMINATE}{}COMMENT ON DATABASE :\"snapshot\" IS :'marker';
ALTER DATABASE :\"snapshot\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false;
\\echo snapshot :snapshot taken of :name
",
        require("present", "database :name does not exist"),
        create_from_template("snapshot", "name"),
    )
}

/// Removes the snapshot `:snapshot` of `:name`.
pub fn snapshot_remove() -> String {
    format!(
        "{FIND_SNAPSHOT}{}ALTER DATABASE :\"snapshot\" WITH IS_TEMPLATE false;
DROP DATABASE :\"snapshot\";
\\echo removed snapshot :snapshot
",
        require(
            "found",
            "no snapshot :snapshot of :name; see: cargo xtask db snapshot list"
        ),
    )
}

/// The snapshots of `:name`, oldest first.
pub const SNAPSHOT_LIST: &str = "\
SELECT substr(datname, length(:'prefix') + 1) AS snapshot,
       pg_size_pretty(pg_database_size(oid)) AS size
  FROM pg_database WHERE shobj_description(oid, 'pg_database') = :'marker' ORDER BY oid;
";

/// Checks shared by [`set_aside`] and [`swap_in`]: sessions on `:name`
/// terminated; `:present` (it exists), `:keep` (a `:marker` is given: it is
/// kept as the snapshot `:snapshot`); stops, changing nothing, when that
/// snapshot exists already (two replacements in one second).
fn before_setting_aside() -> String {
    format!(
        "{TERMINATE}SELECT count(*) > 0 AS present FROM pg_database WHERE datname = :'name' \\gset
SELECT :'marker' <> '' AS keep \\gset
\\if :keep
SELECT count(*) = 0 AS free FROM pg_database WHERE datname = :'snapshot' \\gset
{}\\endif
",
        require(
            "free",
            "snapshot :snapshot exists already: nothing was changed; try again in a second"
        )
    )
}

/// The renames that keep `:name` as the snapshot `:snapshot` (marked with
/// `:marker`, closed to connections), inside the caller's transaction.
const KEEP_AS_SNAPSHOT: &str = "ALTER DATABASE :\"name\" RENAME TO :\"snapshot\";
COMMENT ON DATABASE :\"snapshot\" IS :'marker';
ALTER DATABASE :\"snapshot\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false;
";

/// Sets `:name` aside before a rebuild replaces it: with a `:marker`, kept
/// as the snapshot `:snapshot` (renamed in one transaction, then `:hint`
/// printed), else dropped. Renaming costs nothing, where copying it first
/// took as long as a `CREATE DATABASE` of it and the drop after it. All
/// output comes after the change: a psql stopped while printing (Ctrl-C, a
/// closed stdout) has done all of it or none.
pub fn set_aside() -> String {
    format!(
        "{}\\if :present
\\if :keep
BEGIN;
{KEEP_AS_SNAPSHOT}COMMIT;
\\echo snapshot :snapshot taken of :name
\\echo :hint
\\else
DROP DATABASE :\"name\";
\\echo dropped database :name
\\endif
\\else
\\echo no database :name yet: nothing to set aside
\\endif
",
        before_setting_aside()
    )
}

/// Replaces `:name` by `:loaded` (a database just restored into), in one
/// transaction: until it commits the database is as it was, after it the
/// restored one is in place, whenever psql is stopped. The database it
/// replaces goes to `:snapshot`: kept there with a `:marker` (`:hint`
/// printed), else dropped after the commit (a `:snapshot` left by an
/// earlier run stopped before that drop is dropped first).
pub fn swap_in() -> String {
    format!(
        "{SEALED}{}{}\\if :keep
\\else
SELECT count(*) > 0 AS leftover FROM pg_database WHERE datname = :'snapshot' \\gset
\\if :leftover
DROP DATABASE :\"snapshot\";
\\endif
\\endif
BEGIN;
COMMENT ON DATABASE :\"loaded\" IS NULL;
\\if :present
\\if :keep
{KEEP_AS_SNAPSHOT}\\else
ALTER DATABASE :\"name\" RENAME TO :\"snapshot\";
\\endif
\\endif
ALTER DATABASE :\"loaded\" RENAME TO :\"name\";
COMMIT;
\\if :present
\\if :keep
\\echo snapshot :snapshot taken of :name
\\echo :hint
\\else
DROP DATABASE :\"snapshot\";
\\echo dropped the database it replaced
\\endif
\\endif
\\echo :done
",
        require(
            "sealed",
            "the load did not reach the end of its input (no seal): nothing was changed"
        ),
        before_setting_aside()
    )
}

/// Whether `:loaded` carries the seal `:seal` (see [`SEAL`]): put there
/// only by what ran after the last byte of a load.
const SEALED: &str = "SELECT count(*) > 0 AS sealed FROM pg_database
  WHERE datname = :'loaded' AND :'seal' <> '' AND shobj_description(oid, 'pg_database') = :'seal' \\gset
";

/// Seals `:name` with `:seal`, once a load into it has ended well.
pub const SEAL: &str = "COMMENT ON DATABASE :\"name\" IS :'seal';\n";

/// Drops the staging database `:name` a failed load leaves (silent when
/// there is none).
pub fn drop_staging() -> String {
    drop_if_present("name")
}

/// Copies `:source` into the staging database `:loaded` (one a stopped
/// run left is dropped first), seals it, and swaps it in for `:name` as
/// [`swap_in`] does: the source checked first, the database it replaces
/// kept (or dropped) only once the copy is whole.
pub fn copy_replacing() -> String {
    format!(
        "SELECT count(*) > 0 AS source_present FROM pg_database WHERE datname = :'source' \\gset
{}{}SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
  WHERE datname = :'source' AND pid <> pg_backend_pid() \\gset
{}COMMENT ON DATABASE :\"loaded\" IS :'seal';
{}",
        require(
            "source_present",
            "database :source does not exist: nothing was changed"
        ),
        drop_if_present("loaded"),
        create_from_template("loaded", "source"),
        swap_in(),
    )
}

/// Replaces `:name` by a copy of the snapshot `:snapshot` (or the newest),
/// made beside it in `:loaded` and swapped in as [`swap_in`] does: the
/// replaced database kept as the snapshot `:aside` marked `:aside_marker`
/// (saying `:hint`), or, with no marker, renamed to `:aside` and dropped.
pub fn snapshot_restore_beside() -> String {
    format!(
        "{PICK_LATEST}{FIND_SNAPSHOT}{}{}{}COMMENT ON DATABASE :\"loaded\" IS :'seal';
\\set snapshot :aside
\\set marker :aside_marker
{}",
        require(
            "found",
            "no snapshot :snapshot of :name; see: cargo xtask db snapshot list"
        ),
        drop_if_present("loaded"),
        create_from_template("loaded", "snapshot"),
        swap_in(),
    )
}

/// `:marker`: what a complete spare copy of `:source` is marked with, read
/// from `:source` as it is now (empty when it does not exist): its oid (a
/// recreated template has another) and its count of rows written (inserted,
/// updated or deleted, catalogs included: a session that changed data or
/// schema moved it; ours never connect to it). Not its count of committed
/// transactions: autovacuum visits every database about once a minute,
/// each visit a transaction, and the spare would be stale by the next run.
const SPARE_MARKER: &str = "\
SELECT coalesce((SELECT format('xtask spare of %s (oid %s, rows written %s)', d.datname, d.oid,
    s.tup_inserted + s.tup_updated + s.tup_deleted)
  FROM pg_database d JOIN pg_stat_database s ON s.datid = d.oid
  WHERE d.datname = :'source'), '') AS marker \\gset
";

/// Drops `:{var}` if it exists, other sessions terminated first; says so
/// only when there was one.
/// Drops `:name` if it exists, other sessions terminated first, saying
/// nothing when it does not: for databases of our own making (a staging
/// database, a test copy), whose absence is the normal case.
pub fn drop_scratch() -> String {
    drop_if_present("name")
}

fn drop_if_present(var: &str) -> String {
    format!(
        "SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
  WHERE datname = :'{var}' AND pid <> pg_backend_pid() \\gset
SELECT count(*) > 0 AS present FROM pg_database WHERE datname = :'{var}' \\gset
\\if :present
DROP DATABASE :\"{var}\";
\\echo dropped database :{var}
\\endif
"
    )
}

/// Renames the spare `:spare` to `:name` when it is marked a complete copy
/// of `:source` as it is now and no session is on `:source` (whose changes
/// the count would not show yet), saying so; else does nothing and prints
/// nothing (the caller copies instead). The used `:name` is renamed to
/// `:used`, dropped later while the suites run: a drop takes 0.1 s.
pub fn swap_spare() -> String {
    format!(
        "{SPARE_MARKER}SELECT count(*) > 0 AS spare_ready FROM pg_database
  WHERE datname = :'spare' AND :'marker' <> ''
    AND shobj_description(oid, 'pg_database') = :'marker'
    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname IN (:'source', :'spare')) \\gset
\\if :spare_ready
{}SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
  WHERE datname = :'name' AND pid <> pg_backend_pid() \\gset
SELECT count(*) > 0 AS present FROM pg_database WHERE datname = :'name' \\gset
BEGIN;
\\if :present
ALTER DATABASE :\"name\" RENAME TO :\"used\";
\\endif
ALTER DATABASE :\"spare\" RENAME TO :\"name\";
COMMENT ON DATABASE :\"name\" IS NULL;
COMMIT;
\\echo swapped in the spare :spare as :name
\\endif
",
        drop_if_present("used"),
    )
}

/// Drops the spare `:spare` (unmarked, half-made or stale), `:used` and
/// `:name`, and copies `:source` to `:name`.
pub fn copy_dropping_spare() -> String {
    format!(
        "{}{}{}{}",
        drop_if_present("spare"),
        drop_if_present("used"),
        drop_if_present("name"),
        copy()
    )
}

/// Drops `:used` (the database the last swap replaced), then makes
/// `:spare` a copy of `:source` for the next run, marked complete
/// (with [`SPARE_MARKER`] read before the copy) only after the copy
/// returned: an interrupted one is never taken for a spare.
pub fn make_spare() -> String {
    format!(
        "{}{}{SPARE_MARKER}SELECT :'marker' <> '' AS source_present \\gset
{}{}COMMENT ON DATABASE :\"spare\" IS :'marker';
\\echo made the spare :spare of :source
",
        drop_if_present("used"),
        drop_if_present("spare"),
        require("source_present", "database :source does not exist"),
        create_from_template("spare", "source"),
    )
}

/// Drops the spare `:spare` (when its template is rebuilt), or a used one.
pub fn drop_spare() -> String {
    drop_if_present("spare")
}

/// Whether a database's COMMENT shows it a marked restore cache entry of
/// `:marker`'s database.
const IS_CACHE_ENTRY: &str =
    "starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), :'marker' || ' ')";

/// Drops (templates first made plain) the databases a query names.
fn drop_each(query: &str) -> String {
    format!(
        "SELECT format('ALTER DATABASE %I WITH IS_TEMPLATE false', datname),
       format('DROP DATABASE %I', datname)
  FROM ({query}) doomed \\gexec
"
    )
}

/// Copies the sealed staging database `:loaded` to `:name` (a restore
/// cache entry in the making: closed to connections, unmarked), one a
/// stopped run left dropped first.
pub fn cache_keep_loaded() -> String {
    format!(
        "{}{}ALTER DATABASE :\"name\" WITH ALLOW_CONNECTIONS false;
",
        drop_if_present("name"),
        create_from_template("name", "loaded"),
    )
}

/// Makes the copy `:pending` the entry `:prefix` + the first 12 digits
/// of `:digest`, marked last with `:marker`, the hash and `:fingerprint`
/// (an entry of that name dropped first); with no `:digest` (a stream not
/// read whole) it is not kept. Then drops every unmarked `:prefix` database
/// and the oldest marked ones beyond `:keep`.
pub fn cache_mark() -> String {
    format!(
        "SELECT :'digest' <> '' AS whole \\gset
SELECT count(*) > 0 AS pending_present FROM pg_database WHERE datname = :'pending' \\gset
\\if :whole
\\if :pending_present
SELECT :'prefix' || left(:'digest', 12) AS entry,
       format('%s sha256=%s file=%s', :'marker', :'digest', :'fingerprint') AS entry_comment \\gset
{}ALTER DATABASE :\"pending\" RENAME TO :\"entry\";
ALTER DATABASE :\"entry\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false;
COMMENT ON DATABASE :\"entry\" IS :'entry_comment';
\\echo kept the restored database as the cache entry :entry
\\endif
\\endif
{}{}",
        drop_each("SELECT datname FROM pg_database WHERE datname = :'entry'"),
        drop_each(&format!(
            "SELECT datname FROM pg_database WHERE starts_with(datname, :'prefix') AND NOT {IS_CACHE_ENTRY}"
        )),
        drop_each(&format!(
            "SELECT datname FROM pg_database WHERE {IS_CACHE_ENTRY} ORDER BY oid DESC OFFSET :keep"
        )),
    )
}

/// Replaces `:name` by a copy of the cache entry `:source`, which must
/// still carry the COMMENT `:entry_comment` it was looked up with, made in
/// `:loaded` and swapped in as [`copy_replacing`] does.
pub fn cache_hit() -> String {
    format!(
        "SELECT count(*) > 0 AS entry_whole FROM pg_database
  WHERE datname = :'source' AND shobj_description(oid, 'pg_database') = :'entry_comment' \\gset
{}{}",
        require(
            "entry_whole",
            "the cache entry :source changed since it was looked up: nothing was changed; run the restore again"
        ),
        copy_replacing(),
    )
}

/// The restore cache entries of `:marker`'s database, oldest first, with
/// their size on disk and the start of their dump's SHA-256.
pub const CACHE_LIST: &str = "\
SELECT datname AS entry, pg_size_pretty(pg_database_size(oid)) AS size,
       left(split_part(shobj_description(oid, 'pg_database'), 'sha256=', 2), 12) AS sha256
  FROM pg_database
  WHERE starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), :'marker' || ' ')
  ORDER BY oid;
";

/// [`CACHE_LIST`] as one JSON array (sizes in bytes, the full SHA-256).
pub const CACHE_LIST_JSON: &str = "\
SELECT coalesce(json_agg(json_build_object('entry', datname, 'size', pg_database_size(oid),
    'sha256', split_part(split_part(shobj_description(oid, 'pg_database'), 'sha256=', 2), ' ', 1))
    ORDER BY oid), '[]')
  FROM pg_database
  WHERE starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), :'marker' || ' ');
";

/// Drops every database named `:prefix`... (the restore cache's entries,
/// marked or half-made), saying how many.
pub fn cache_clear() -> String {
    format!(
        "SELECT count(*) AS entries FROM pg_database WHERE starts_with(datname, :'prefix') \\gset
{}\\echo dropped :entries restore cache entries
",
        drop_each("SELECT datname FROM pg_database WHERE starts_with(datname, :'prefix')")
    )
}

/// The databases (not templates or snapshots): name, size, owner.
pub const LIST: &str =
    "SELECT d.datname AS name, pg_size_pretty(pg_database_size(d.oid)) AS size, \
pg_get_userbyid(d.datdba) AS owner FROM pg_database d WHERE NOT d.datistemplate ORDER BY 1";

/// [`LIST`] as one JSON array (sizes in bytes).
pub const LIST_JSON: &str = "SELECT coalesce(json_agg(json_build_object('name', d.datname, \
'size', pg_database_size(d.oid), 'owner', pg_get_userbyid(d.datdba)) ORDER BY d.datname), '[]') \
FROM pg_database d WHERE NOT d.datistemplate";

#[cfg(test)]
mod tests {
    use super::*;

    fn at(script: &str, text: &str) -> usize {
        script
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} missing from:\n{script}"))
    }

    /// Ctrl-C, a kill or a closed stdout stops psql at its next line of
    /// output: every rename is inside one transaction, and nothing is
    /// printed inside it, so the database is never left without its name.
    #[test]
    fn renames_are_one_transaction_with_no_output_inside() {
        for script in [set_aside(), swap_in(), swap_spare()] {
            let lines: Vec<&str> = script.lines().collect();
            let begin = lines.iter().position(|l| *l == "BEGIN;").expect("BEGIN");
            let commit = lines.iter().position(|l| *l == "COMMIT;").expect("COMMIT");
            for (i, line) in lines.iter().enumerate() {
                if line.contains("RENAME TO") {
                    assert!(begin < i && i < commit, "{line} outside:\n{script}");
                }
                if line.starts_with("\\echo") {
                    assert!(
                        !(begin < i && i < commit),
                        "{line} printed inside the transaction:\n{script}"
                    );
                }
            }
            assert_eq!(script.matches("BEGIN;").count(), 1, "{script}");
        }
    }

    #[test]
    fn a_spare_is_marked_only_after_its_copy_and_with_the_template_as_it_was_before() {
        let script = make_spare();
        let dropped = at(&script, "DROP DATABASE :\"spare\";");
        let marker = at(&script, "AS marker \\gset");
        let created = at(&script, "CREATE DATABASE :\"spare\" TEMPLATE :\"source\"");
        let marked = at(&script, "COMMENT ON DATABASE :\"spare\" IS :'marker';");
        assert!(
            dropped < marker && marker < created && created < marked,
            "{script}"
        );
    }

    #[test]
    fn a_spare_is_renamed_in_only_when_marked_and_the_copy_drops_it_otherwise() {
        let script = swap_spare();
        let ready = at(&script, "\\if :spare_ready");
        assert!(at(&script, "shobj_description(oid, 'pg_database') = :'marker'") < ready);
        assert!(ready < at(&script, "ALTER DATABASE :\"spare\" RENAME TO :\"name\";"));
        assert!(ready < at(&script, "ALTER DATABASE :\"name\" RENAME TO :\"used\";"));
        let copy = copy_dropping_spare();
        assert!(
            at(&copy, "DROP DATABASE :\"spare\";")
                < at(&copy, "CREATE DATABASE :\"name\" TEMPLATE :\"source\"")
        );
    }

    #[test]
    fn a_cache_entry_is_marked_last_and_only_a_marked_one_is_copied() {
        let mark = cache_mark();
        let renamed = at(&mark, "ALTER DATABASE :\"pending\" RENAME TO :\"entry\";");
        let closed = at(
            &mark,
            "ALTER DATABASE :\"entry\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false;",
        );
        let marked = at(&mark, "COMMENT ON DATABASE :\"entry\" IS :'entry_comment';");
        assert!(at(&mark, "\\if :whole") < renamed, "{mark}");
        assert!(renamed < closed && closed < marked, "{mark}");
        assert!(!cache_keep_loaded().contains("COMMENT"));
        let hit = cache_hit();
        assert!(
            at(&hit, "\\if :entry_whole")
                < at(&hit, "CREATE DATABASE :\"loaded\" TEMPLATE :\"source\""),
            "{hit}"
        );
    }
}
