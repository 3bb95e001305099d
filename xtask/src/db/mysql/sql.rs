//! The SQL behind the MySQL-family `db` commands. Names never appear in it
//! as text: each arrives as a hex literal in a session variable
//! (`SET @name = X'73686f70';`: any bytes, nothing for the parser to
//! misread), and the server quotes it itself, `QUOTE()` for a literal and
//! backticks doubled for an identifier, into a statement it runs with
//! PREPARE/EXECUTE. Each script is fed on stdin to a client in batch mode,
//! which stops at the first error.

/// `value` as a hex literal (`X'..'`).
pub fn hex(value: &str) -> String {
    let digits: String = value.bytes().map(|b| format!("{b:02x}")).collect();
    format!("X'{digits}'")
}

/// `SET @key = X'..';` for each pair: the names a script reads.
pub fn variables(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("SET @{key} = {};\n", hex(value)))
        .collect()
}

/// The identifier the SQL expression `expr` holds, quoted by the server:
/// backticks doubled, in backticks.
fn ident(expr: &str) -> String {
    format!("CONCAT('`', REPLACE({expr}, '`', '``'), '`')")
}

/// Runs the statement that the SQL expression `statement` builds.
fn execute(statement: &str) -> String {
    format!(
        "SET @xtask_sql = {statement};\n\
         PREPARE xtask_statement FROM @xtask_sql;\n\
         EXECUTE xtask_statement;\n\
         DEALLOCATE PREPARE xtask_statement;\n"
    )
}

/// What follows `CREATE DATABASE name` in the SQL that makes a snapshot:
/// the schema comment `xtask-snapshot <UTC time>` (sortable), which
/// `snapshot restore --latest` orders by. An executable comment: MariaDB
/// 10.5 and later keep it, MySQL (no schema comments) skips it.
fn snapshot_comment() -> &'static str {
    "' /*M!100500 COMMENT ', QUOTE(CONCAT('xtask-snapshot ', DATE_FORMAT(UTC_TIMESTAMP(6), '%Y%m%dT%H%i%s%fZ'))), ' */'"
}

/// The snapshot of `@prefix...` whose comment names the latest time
/// (nothing when none has one).
pub fn latest_snapshot() -> String {
    "SELECT schema_name FROM information_schema.schemata WHERE LEFT(schema_name, LENGTH(@prefix)) = @prefix AND schema_comment LIKE 'xtask-snapshot %' ORDER BY schema_comment DESC LIMIT 1;\n"
        .into()
}

/// Creates `@name` unless it exists, saying which.
pub fn create() -> String {
    format!(
        "SET @present = (SELECT count(*) FROM information_schema.schemata WHERE schema_name = @name);\n{}\
         SELECT IF(@present > 0, CONCAT('database ', @name, ' exists already'), CONCAT('created database ', @name));\n",
        execute(&format!(
            "IF(@present > 0, 'DO 0', CONCAT('CREATE DATABASE ', {}))",
            ident("@name")
        ))
    )
}

/// Drops `@name` if it exists, saying which.
pub fn drop() -> String {
    format!(
        "SET @present = (SELECT count(*) FROM information_schema.schemata WHERE schema_name = @name);\n{}\
         SELECT IF(@present > 0, CONCAT('dropped database ', @name), CONCAT('database ', @name, ' does not exist'));\n",
        execute(&format!(
            "IF(@present > 0, CONCAT('DROP DATABASE ', {}), 'DO 0')",
            ident("@name")
        ))
    )
}

/// Creates the users `@role_0` .. `@role_{count-1}` that are missing (host
/// `%`, with the password `@role_password` unless it is NULL) and grants
/// each all privileges on `@name`. Users that exist keep their password.
pub fn users(count: usize) -> String {
    let mut script = String::new();
    for i in 0..count {
        let role = format!("@role_{i}");
        script.push_str(&format!(
            "SET @present = (SELECT count(*) FROM mysql.user WHERE user = {role});\n"
        ));
        script.push_str(&execute(&format!(
            "IF(@present > 0, 'DO 0', CONCAT('CREATE USER ', QUOTE({role}), '@''%''', \
             IFNULL(CONCAT(' IDENTIFIED BY ', QUOTE(@role_password)), '')))"
        )));
        script.push_str(&execute(&format!(
            "CONCAT('GRANT ALL PRIVILEGES ON ', {}, '.* TO ', QUOTE({role}), '@''%''')",
            ident("@name")
        )));
        script.push_str(&format!(
            "SELECT CONCAT(IF(@present > 0, 'user ', 'created user '), {role}, \
             IF(@present > 0, ' exists already', ''), '; granted all on ', @name);\n"
        ));
    }
    script
}

/// The databases with their size and tables, the server's own schemas and
/// the snapshots (`db snapshot list`) left out.
const DATABASES: &str = "SELECT s.schema_name AS name, \
COALESCE(SUM(t.data_length + t.index_length), 0) AS size_bytes, COUNT(t.table_name) AS tables \
FROM information_schema.schemata s LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name \
WHERE s.schema_name NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys') \
AND LOCATE('__snap_', s.schema_name) = 0 \
GROUP BY s.schema_name";

/// `db list`: a table of [`DATABASES`].
pub fn list() -> String {
    format!("{DATABASES} ORDER BY name;\n")
}

/// `db list --json`: [`DATABASES`] as one JSON array.
pub fn list_json() -> String {
    format!(
        "SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT('name', d.name, 'size_bytes', d.size_bytes, 'tables', d.tables)), '[]') \
         FROM ({DATABASES}) d;\n"
    )
}

/// Makes the staging database `@staging` afresh (one a killed load left is
/// dropped), and drops `@kept` when it is no snapshot (`@keep` 0): a name
/// only a swap that was cut short can have left.
pub fn prepare_staging() -> String {
    [
        execute(&format!(
            "CONCAT('DROP DATABASE IF EXISTS ', {})",
            ident("@staging")
        )),
        execute(&format!(
            "IF(@keep, 'DO 0', CONCAT('DROP DATABASE IF EXISTS ', {}))",
            ident("@kept")
        )),
        execute(&format!(
            "CONCAT('CREATE DATABASE ', {})",
            ident("@staging")
        )),
    ]
    .concat()
}

/// The table a load's seal is written to, last, by what xtask sends after
/// the file's last byte.
pub const SEAL_TABLE: &str = "xtask_load_seal";

/// The statements sent after the file's last byte: they seal `@staging`
/// (the load's default database) with `seal`. A file cut mid-statement
/// makes them a syntax error, so they never run after a partial statement.
pub fn sealing(seal: &str) -> String {
    format!(
        "\nCREATE TABLE {SEAL_TABLE} (seal varchar(64) NOT NULL);\nINSERT INTO {SEAL_TABLE} VALUES ('{seal}');\n"
    )
}

/// Prints the seal `@staging` carries (`NULL` when it has none).
pub fn seal_of_staging() -> String {
    format!(
        "SET @sealed = (SELECT count(*) FROM information_schema.tables WHERE table_schema = @staging AND table_name = '{SEAL_TABLE}');\n{}",
        execute(&format!(
            "IF(@sealed > 0, CONCAT('SELECT seal FROM ', {}, '.{SEAL_TABLE}'), 'SELECT NULL')",
            ident("@staging")
        ))
    )
}

/// Swaps the tables of `@staging` into `@db` in one RENAME TABLE (atomic:
/// a cut leaves `@db` as it was or as restored), the tables `@db` held
/// moved into `@kept` in the same statement ([`tidy`] drops it unless
/// `@keep`). Says `@done`, and `@hint` when it kept something.
pub fn swap() -> String {
    let moves = |from: &str, to: &str, into: &str| {
        format!(
            "SELECT GROUP_CONCAT(CONCAT({}, '.', {t}, ' TO ', {}, '.', {t}) SEPARATOR ', ') INTO {into} \
             FROM information_schema.tables WHERE table_schema = {from};\n",
            ident(from),
            ident(to),
            t = ident("table_name"),
        )
    };
    [
        "SET SESSION group_concat_max_len = 1073741824;\n".to_string(),
        execute(&format!(
            "CONCAT('DROP TABLE IF EXISTS ', {}, '.{SEAL_TABLE}')",
            ident("@staging")
        )),
        "SET @exists = (SELECT count(*) FROM information_schema.schemata WHERE schema_name = @db);\n"
            .into(),
        execute(&format!(
            "CONCAT('CREATE DATABASE ', IF(@exists > 0, CONCAT({}, {}), {}))",
            ident("@kept"),
            snapshot_comment(),
            ident("@db")
        )),
        moves("@db", "@kept", "@aside"),
        moves("@staging", "@db", "@in"),
        "SET @moves = CONCAT_WS(', ', @aside, @in);\n".into(),
        execute("IF(IFNULL(@moves, '') = '', 'DO 0', CONCAT('RENAME TABLE ', @moves))"),
        "SELECT @done;\nSELECT @hint FROM DUAL WHERE @exists > 0 AND @keep AND @hint <> '';\n".into(),
    ]
    .concat()
}

/// After a swap or move: drops the emptied `@staging`, and `@kept` unless
/// it is kept (`@keep`). Run apart from the swap, so that a failure here
/// is never taken for a failed swap.
pub fn tidy() -> String {
    [
        drop_staging(),
        execute(&format!(
            "IF(IFNULL(@keep, 1), 'DO 0', CONCAT('DROP DATABASE IF EXISTS ', {}))",
            ident("@kept")
        )),
    ]
    .concat()
}

/// Drops `@staging` (a load that failed or was not sealed).
pub fn drop_staging() -> String {
    execute(&format!(
        "CONCAT('DROP DATABASE IF EXISTS ', {})",
        ident("@staging")
    ))
}

/// Drops `@db`, which a set-aside left without tables (rebuild).
pub fn drop_emptied() -> String {
    execute(&format!(
        "CONCAT('DROP DATABASE IF EXISTS ', {})",
        ident("@db")
    ))
}

/// `name` as the server names its folder in the data directory (the
/// filename encoding: letters, digits and `_` as they are, anything else
/// `@` and four hex digits).
pub fn folder_of(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("@{:04x}", u32::from(c))
            }
        })
        .collect()
}

/// One line per reason not to copy `@src`'s tables: an event of `@src`
/// or of `@db`, which it replaces (copied into a snapshot or a copy, an
/// event would run there; the swap keeps none aside), a table whose name
/// holds a line break or backslash (the copying client reads lines), a
/// missing `@src`, and, with `@must_be_new` set, an existing `@db`.
pub fn copy_refusals() -> String {
    "SELECT CONCAT('event ', event_schema, '.', event_name, ' (copied, an event would run in the copy: take a db backup and db restore it)') \
FROM information_schema.events WHERE event_schema IN (@src, @db) \
UNION ALL SELECT CONCAT('a table with a line break or backslash in its name in ', table_schema) FROM information_schema.tables \
WHERE table_schema = @src AND (LOCATE(CHAR(10), table_name) > 0 OR LOCATE(CHAR(13), table_name) > 0 OR LOCATE(CHAR(92), table_name) > 0) \
UNION ALL SELECT CONCAT('no database ', @src) FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = @src) \
UNION ALL SELECT CONCAT('database ', @db, ' exists') FROM DUAL WHERE @must_be_new AND EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = @db);\n"
        .into()
}

/// Prints the client script that copies the tables of `@src` into the
/// same (empty) tables of `@staging` as files: transportable tablespaces.
/// `FLUSH TABLES .. FOR EXPORT` holds them read-only while the client
/// copies their `.ibd` and `.cfg` files into `@staging_dir` of the data
/// directory (`\!`: a shell in the server's container), then each is
/// imported and the copied `.cfg` files removed (a folder holding files
/// the server does not know cannot be dropped). Paths come from the server (`INNODB_SYS_TABLESPACES`), in its
/// filename encoding: letters, digits, `_`, `@`, `/`.
pub fn tablespace_copy() -> String {
    let tables =
        "FROM information_schema.tables WHERE table_schema = @src AND table_type = 'BASE TABLE'";
    let each = |what: &str| {
        format!(
            "SELECT CONCAT('ALTER TABLE ', {}, '.', {}, ' {what};') AS l {tables}",
            ident("@staging"),
            ident("table_name")
        )
    };
    format!(
        "SELECT line FROM (\
SELECT 0 AS k, 'SET SESSION foreign_key_checks = 0;' AS line \
UNION ALL SELECT 1, l FROM ({discard}) d1 \
UNION ALL SELECT 2, CONCAT('FLUSH TABLES ', GROUP_CONCAT(CONCAT({src}, '.', {t}) SEPARATOR ', '), ' FOR EXPORT;') {tables} HAVING count(*) > 0 \
UNION ALL SELECT 3, CONCAT(CHAR(92), '! cp -- ''', f, ''' ''', LEFT(f, LENGTH(f) - 4), '.cfg'' ''', @@datadir, @staging_dir, '/''') \
FROM (SELECT CONCAT(@@datadir, SUBSTRING(filename, 3)) AS f FROM information_schema.INNODB_SYS_TABLESPACES \
WHERE LEFT(name, LENGTH(@src_dir) + 1) = CONCAT(@src_dir, '/')) files \
UNION ALL SELECT 4, CONCAT(CHAR(92), '! chown -R mysql:mysql -- ''', @@datadir, @staging_dir, '''') \
UNION ALL SELECT 5, 'UNLOCK TABLES;' \
UNION ALL SELECT 6, l FROM ({import}) d2 \
UNION ALL SELECT 7, CONCAT(CHAR(92), '! rm -f -- ''', @@datadir, @staging_dir, '''/*.cfg') \
) x ORDER BY k;\n",
        discard = each("DISCARD TABLESPACE"),
        import = each("IMPORT TABLESPACE"),
        src = ident("@src"),
        t = ident("table_name"),
    )
}

/// Moves every table of `@staging` into the new database `@db` (CREATE
/// DATABASE fails when it exists) in one RENAME TABLE and says `@done`: a
/// snapshot appears whole or not at all ([`tidy`] drops `@staging`).
pub fn move_into_new() -> String {
    [
        "SET SESSION group_concat_max_len = 1073741824;\n".to_string(),
        execute(&format!(
            "CONCAT('CREATE DATABASE ', {}, {})",
            ident("@db"),
            snapshot_comment()
        )),
        format!(
            "SELECT GROUP_CONCAT(CONCAT({s}, '.', {t}, ' TO ', {d}, '.', {t}) SEPARATOR ', ') INTO @in \
             FROM information_schema.tables WHERE table_schema = @staging;\n",
            s = ident("@staging"),
            d = ident("@db"),
            t = ident("table_name"),
        ),
        execute("IF(IFNULL(@in, '') = '', 'DO 0', CONCAT('RENAME TABLE ', @in))"),
        "SELECT @done;\n".into(),
    ]
    .concat()
}

/// The snapshots of a database (the databases named `@prefix...`): name,
/// size and tables; oldest first as the time in their comment says on
/// MariaDB (the last is what `--latest` takes; those without one first),
/// by name on MySQL, which skips the executable comment.
pub fn snapshot_list() -> String {
    "SELECT SUBSTRING(s.schema_name, LENGTH(@prefix) + 1) AS snapshot, \
COALESCE(SUM(t.data_length + t.index_length), 0) AS size_bytes, COUNT(t.table_name) AS tables \
FROM information_schema.schemata s LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name \
WHERE LEFT(s.schema_name, LENGTH(@prefix)) = @prefix GROUP BY s.schema_name \
ORDER BY /*M!100500 MAX(s.schema_comment), */ s.schema_name;\n"
        .into()
}

/// One line per name in `@db` or `@staging` that holds a line break or
/// backslash: the swap hands names to a client that reads lines.
pub fn odd_names() -> String {
    let odd = |column: &str| {
        format!(
            "(LOCATE(CHAR(10), {column}) > 0 OR LOCATE(CHAR(13), {column}) > 0 OR LOCATE(CHAR(92), {column}) > 0)"
        )
    };
    format!(
        "SELECT CONCAT('a name with a line break or backslash in ', s) FROM (\
SELECT table_schema AS s, table_name AS n FROM information_schema.tables WHERE table_schema IN (@db, @staging) AND {} \
UNION ALL SELECT trigger_schema, trigger_name FROM information_schema.triggers WHERE trigger_schema IN (@db, @staging) AND {} \
UNION ALL SELECT routine_schema, routine_name FROM information_schema.routines WHERE routine_schema IN (@db, @staging) AND {} \
UNION ALL SELECT event_schema, event_name FROM information_schema.events WHERE event_schema IN (@db, @staging) AND {}\
) o;\n",
        odd("table_name"),
        odd("trigger_name"),
        odd("routine_name"),
        odd("event_name")
    )
}

/// The views of the database the variable `var` names, one a line.
pub fn views_of(var: &str) -> String {
    format!("SELECT table_name FROM information_schema.views WHERE table_schema = {var} ORDER BY table_name;\n")
}

/// Prints `1` when `@db` exists, else `0`.
pub fn db_exists() -> String {
    "SELECT count(*) FROM information_schema.schemata WHERE schema_name = @db;\n".into()
}

/// Prints the statements that drop the triggers and views of `@db` and
/// `@staging`: what keeps RENAME TABLE from moving their tables (their SQL
/// was read first, to be made again where they belong).
pub fn drops_before_swap() -> String {
    format!(
        "SELECT CONCAT('DROP TRIGGER ', {ts}, '.', {tn}, ';') FROM information_schema.triggers WHERE trigger_schema IN (@db, @staging) \
UNION ALL SELECT CONCAT('DROP VIEW ', {vs}, '.', {vn}, ';') FROM information_schema.views WHERE table_schema IN (@db, @staging);\n",
        ts = ident("trigger_schema"),
        tn = ident("trigger_name"),
        vs = ident("table_schema"),
        vn = ident("table_name"),
    )
}

/// Prints the statements that drop the routines and events `@db` still
/// has after its tables were swapped (the replaced state's; the restored
/// ones are made next).
pub fn drops_after_swap() -> String {
    format!(
        "SELECT CONCAT('DROP ', routine_type, ' ', {rs}, '.', {rn}, ';') FROM information_schema.routines WHERE routine_schema = @db \
UNION ALL SELECT CONCAT('DROP EVENT ', {es}, '.', {en}, ';') FROM information_schema.events WHERE event_schema = @db;\n",
        rs = ident("routine_schema"),
        rn = ident("routine_name"),
        es = ident("event_schema"),
        en = ident("event_name"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reach_the_server_as_hex_only() {
        let hostile = "a`b'c\"$(touch x)-";
        let vars = variables(&[("name", hostile)]);
        assert_eq!(vars, "SET @name = X'6160622763222428746f7563682078292d';\n");
        assert!(!create().contains("shop"));
        assert_eq!(hex(""), "X''");
    }
}
