//! Reads a SQL file the way psql will, before psql does: quotes, dollar
//! quotes, comments, `COPY ... FROM stdin` data and the statement
//! boundaries psql draws (its `BEGIN ... END` heuristic included). A psql
//! meta-command (`\connect`, `\!`, `\o`, `\copy`, `\i`, `\g file`, ...) or
//! a psql variable outside them is refused at its first byte, so it never
//! reaches psql: everything before it is passed on, nothing after. At the
//! end it says whether the file is whole: pg_dump's completion line, an
//! end outside any string, comment or COPY data. pg_dump's own
//! `\restrict KEY` / `\unrestrict KEY` lines are judged and left out.

/// Why a file is refused while it is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlProblem {
    #[error("line {line}: the psql meta-command `\\{command}` is refused (a restored file may not run psql commands: they could reach other databases or files)")]
    MetaCommand { line: u64, command: String },
    #[error("line {line}: the psql variable `:{name}` is refused (psql would paste text into the SQL there)")]
    Variable { line: u64, name: String },
    #[error("line {line}: a `$` right after a number run into a name (psql versions read it differently)")]
    Versions { line: u64 },
    #[error("line {line}: a NUL byte (psql would drop the rest of the line unread)")]
    Nul { line: u64 },
    #[error("line {line}: a backslash after a non-ASCII byte inside E'...' reads two ways (client encodings such as SJIS make it part of a character)")]
    Encoding { line: u64 },
    #[error("line {line}: a string literal with a backslash before its closing quote reads two ways (standard_conforming_strings); write it as E'...' or with the backslash doubled")]
    Ambiguous { line: u64 },
}

/// How a file ended, as [`SqlScanner::end`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlEnd {
    /// Nothing but whitespace and comments.
    pub empty: bool,
    /// It starts as pg_dump's plain output does.
    pub dump: bool,
    /// pg_dump's `-- PostgreSQL database dump complete` comes after the
    /// last statement.
    pub complete: bool,
    /// Where it ends when not outside everything: "inside a string", ...
    pub open: Option<&'static str>,
    /// A last statement has no `;` (psql would still run it).
    pub unterminated: bool,
}

impl SqlEnd {
    /// Whether the file may be loaded and sealed: whole, or `partial_ok`.
    pub fn verdict(&self, partial_ok: bool) -> Result<(), SqlUnfinished> {
        if let Some(open) = self.open {
            return Err(SqlUnfinished::Cut { open });
        }
        if partial_ok || self.complete {
            return Ok(());
        }
        Err(if self.empty {
            SqlUnfinished::Empty
        } else if self.dump {
            SqlUnfinished::DumpCut
        } else {
            SqlUnfinished::NotShownWhole
        })
    }
}

/// Why a file that was read to its end may not be loaded as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlUnfinished {
    #[error("it ends {open}: it was cut (not even --partial-ok loads that)")]
    Cut { open: &'static str },
    #[error("it is empty (pass --partial-ok to replace the database with an empty one knowingly)")]
    Empty,
    #[error("it was cut: pg_dump's last line `-- PostgreSQL database dump complete` is missing (pass --partial-ok to load what there is knowingly)")]
    DumpCut,
    #[error("it does not end with pg_dump's `-- PostgreSQL database dump complete`, so nothing shows it is whole (pass --partial-ok to load it as it is)")]
    NotShownWhole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex {
    Top,
    BlockComment(u32),
    /// A '...' literal; `extended` for E'...' (backslash escapes), `ambiguous`
    /// when psql reads it by `standard_conforming_strings` (a plain one).
    Literal {
        extended: bool,
        ambiguous: bool,
    },
    /// A "..." identifier.
    Quoted,
    /// Inside `$tag$...$tag$`: the tag, dollars included.
    Dollar(Vec<u8>),
}

const DUMP_HEAD: &[u8] = b"--\n-- PostgreSQL database dump\n";
const DUMP_COMPLETE: &[u8] = b"-- PostgreSQL database dump complete";

/// How many bytes at the start of `data` (read from the start of a line
/// of COPY data) are whole lines that [`SqlScanner::copy_line`] would pass
/// as they are: none is `\.` (which may end the data) and none holds a
/// NUL. The bulk of a dump, passed without a look at each line.
fn copy_run(data: &[u8]) -> usize {
    let end_mark = if data.starts_with(b"\\.") {
        0
    } else {
        memchr::memmem::find(data, b"\n\\.").map_or(data.len(), |at| at + 1)
    };
    // A NUL only matters before the end mark: looked for up to it, not
    // through the rest of the chunk (the COPYs after this one).
    let stop = memchr::memchr(0, &data[..end_mark]).unwrap_or(end_mark);
    // Up to the end of the last whole line before the stop: the line the
    // stop is in is judged alone.
    memchr::memrchr(b'\n', &data[..stop]).map_or(0, |at| at + 1)
}

/// The scanner; feed it the file's bytes in order, then ask [`Self::end`].
/// It works a line at a time, as psql reads: a line reaches psql only once
/// it is judged whole.
#[derive(Debug)]
pub struct SqlScanner {
    lex: Lex,
    /// The line being collected.
    line: Vec<u8>,
    number: u64,
    paren_depth: u32,
    begin_depth: u32,
    identifier_count: u32,
    identifiers: [u8; 4],
    /// The first word of the current sub-statement (split at every `;`
    /// outside parentheses), lower case; and whether `FROM` came last.
    first_word: Option<String>,
    after_from: bool,
    /// `COPY ... FROM stdin` in the statement psql has not sent yet.
    copies_in_statement: u32,
    /// Their data: it starts at the next line, once psql sent them.
    copies_due: u32,
    /// Lines of COPY data are being read (`copies_due` of them left).
    in_copy: bool,
    /// SQL (not comments) since the last statement psql would send.
    statement_open: bool,
    any_content: bool,
    complete: bool,
    head: Vec<u8>,
    /// The line just judged is pg_dump's `\\restrict KEY` or
    /// `\\unrestrict KEY`: judged, not passed on.
    drop_line: bool,
}

impl Default for SqlScanner {
    fn default() -> Self {
        Self::new()
    }
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn ident_cont(b: u8) -> bool {
    ident_start(b) || b.is_ascii_digit() || b == b'$'
}

impl SqlScanner {
    pub fn new() -> Self {
        Self {
            lex: Lex::Top,
            line: Vec::new(),
            number: 0,
            paren_depth: 0,
            begin_depth: 0,
            identifier_count: 0,
            identifiers: [0; 4],
            first_word: None,
            after_from: false,
            copies_in_statement: 0,
            copies_due: 0,
            in_copy: false,
            statement_open: false,
            any_content: false,
            complete: false,
            head: Vec::new(),
            drop_line: false,
        }
    }

    /// Scans `input`, appending to `out` the lines that may reach psql:
    /// all whole lines, or those before the first refused byte (then the
    /// problem, and the bytes of its line before it). A line not yet ended
    /// is held back until it is.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SqlProblem> {
        if self.head.len() < DUMP_HEAD.len() {
            let take = (DUMP_HEAD.len() - self.head.len()).min(input.len());
            self.head.extend_from_slice(&input[..take]);
        }
        let mut rest = input;
        loop {
            if self.in_copy && self.line.is_empty() {
                let run = copy_run(rest);
                self.number += memchr::memchr_iter(b'\n', &rest[..run]).count() as u64;
                out.extend_from_slice(&rest[..run]);
                rest = &rest[run..];
            }
            let Some(at) = memchr::memchr(b'\n', rest) else {
                break;
            };
            self.line.extend_from_slice(&rest[..=at]);
            rest = &rest[at + 1..];
            self.judge_line(out)?;
        }
        self.line.extend_from_slice(rest);
        Ok(())
    }

    /// The last line (one without a newline) judged and passed to `out`,
    /// then how the file ended.
    pub fn end(&mut self, out: &mut Vec<u8>) -> Result<SqlEnd, SqlProblem> {
        if !self.line.is_empty() {
            self.judge_line(out)?;
        }
        let open = if self.in_copy || self.copies_due > 0 {
            Some("inside COPY data (no `\\.` line)")
        } else {
            match self.lex {
                Lex::Top => None,
                Lex::BlockComment(_) => Some("inside a /* comment */"),
                Lex::Literal { .. } => Some("inside a '...' string"),
                Lex::Quoted => Some("inside a \"...\" name"),
                Lex::Dollar(_) => Some("inside a $$...$$ string"),
            }
        };
        let unterminated = self.statement_open;
        Ok(SqlEnd {
            empty: !self.any_content,
            dump: self.head == DUMP_HEAD,
            complete: self.complete && !unterminated && open.is_none(),
            open: open.or(if unterminated && self.copies_in_statement > 0 {
                Some("in a COPY ... FROM stdin with no `;`")
            } else {
                None
            }),
            unterminated,
        })
    }

    fn judge_line(&mut self, out: &mut Vec<u8>) -> Result<(), SqlProblem> {
        self.number += 1;
        let mut line = std::mem::take(&mut self.line);
        let result = if self.in_copy {
            self.copy_line(&line)
        } else {
            self.sql_line(&line)
        };
        let passed = match result {
            Ok(()) => {
                if !std::mem::take(&mut self.drop_line) {
                    out.extend_from_slice(&line);
                }
                Ok(())
            }
            Err((at, problem)) => {
                out.extend_from_slice(&line[..at]);
                Err(problem)
            }
        };
        // The buffer kept for the next line: no allocation per line.
        line.clear();
        self.line = line;
        passed
    }

    /// A line of COPY data: only `\.` alone ends it (as psql reads).
    fn copy_line(&mut self, line: &[u8]) -> Result<(), (usize, SqlProblem)> {
        if line.contains(&0) {
            return Err((0, SqlProblem::Nul { line: self.number }));
        }
        if line == b"\\.\n" || line == b"\\.\r\n" || line == b"\\." {
            self.copies_due -= 1;
            self.in_copy = self.copies_due > 0;
        }
        Ok(())
    }

    fn sql_line(&mut self, line: &[u8]) -> Result<(), (usize, SqlProblem)> {
        // psql reads a line as a C string: what follows a NUL is dropped
        // by it, not by us. None of the line goes (its start is unread).
        if line.contains(&0) {
            return Err((0, SqlProblem::Nul { line: self.number }));
        }
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if self.lex == Lex::Top && !self.statement_open && trimmed == DUMP_COMPLETE {
            self.complete = true;
        }
        let mut i = 0;
        while i < line.len() {
            let b = line[i];
            let next = line.get(i + 1).copied();
            match &mut self.lex {
                Lex::BlockComment(depth) => {
                    if b == b'*' && next == Some(b'/') {
                        *depth -= 1;
                        if *depth == 0 {
                            self.lex = Lex::Top;
                        }
                        i += 2;
                        continue;
                    }
                    if b == b'/' && next == Some(b'*') {
                        *depth += 1;
                        i += 2;
                        continue;
                    }
                    i += 1;
                }
                Lex::Literal {
                    extended,
                    ambiguous,
                } => {
                    if b == b'\\' {
                        if *extended {
                            // In SJIS, BIG5, GBK, ... a byte 0x5c after a
                            // lead byte is part of a character, no escape.
                            if i > 0 && line[i - 1] >= 0x80 {
                                return Err((i, SqlProblem::Encoding { line: self.number }));
                            }
                            i += 2;
                            continue;
                        }
                        // A backslash escapes the quote after it only
                        // with standard_conforming_strings off, which a
                        // file can set: a quote there is read two ways.
                        let run = line[i..].iter().take_while(|&&c| c == b'\\').count();
                        if *ambiguous && run % 2 == 1 && line.get(i + run) == Some(&b'\'') {
                            return Err((i, SqlProblem::Ambiguous { line: self.number }));
                        }
                        i += run;
                        continue;
                    }
                    if b == b'\'' {
                        if next == Some(b'\'') {
                            i += 2;
                            continue;
                        }
                        self.lex = Lex::Top;
                    }
                    i += 1;
                }
                Lex::Quoted => {
                    if b == b'"' {
                        if next == Some(b'"') {
                            i += 2;
                            continue;
                        }
                        self.lex = Lex::Top;
                    }
                    i += 1;
                }
                Lex::Dollar(tag) => {
                    if line[i..].starts_with(tag) {
                        i += tag.len();
                        self.lex = Lex::Top;
                        continue;
                    }
                    i += 1;
                }
                Lex::Top => {
                    i = self.top(line, i)?;
                }
            }
        }
        if self.copies_due > 0 {
            self.in_copy = true;
        }
        Ok(())
    }

    /// One token at the top level, from `i`; returns where the next starts.
    fn top(&mut self, line: &[u8], i: usize) -> Result<usize, (usize, SqlProblem)> {
        let b = line[i];
        let next = line.get(i + 1).copied();
        // psql's and the server's whitespace: \v included.
        if b.is_ascii_whitespace() || b == 0x0b {
            return Ok(i + 1);
        }
        if b == b'-' && next == Some(b'-') {
            // To the end of the line.
            return Ok(line.len() - usize::from(line.ends_with(b"\n")));
        }
        if b == b'/' && next == Some(b'*') {
            self.lex = Lex::BlockComment(1);
            return Ok(i + 2);
        }
        if b == b'\\' {
            return self.meta_command(line, i);
        }
        self.statement_open = true;
        self.any_content = true;
        // pg_dump's completion line counts only after the last statement.
        self.complete = false;
        let word_start = ident_start(b);
        // Prefixed literals: E'..' (escapes), U&'..', B'..', X'..', N'..'.
        if word_start && matches!(b, b'e' | b'E') && next == Some(b'\'') {
            self.after_word(None);
            self.lex = Lex::Literal {
                extended: true,
                ambiguous: false,
            };
            return Ok(i + 2);
        }
        if matches!(b, b'u' | b'U') && next == Some(b'&') {
            match line.get(i + 2) {
                Some(b'\'') => {
                    self.after_word(None);
                    self.lex = Lex::Literal {
                        extended: false,
                        ambiguous: true,
                    };
                    return Ok(i + 3);
                }
                Some(b'"') => {
                    self.after_word(None);
                    self.lex = Lex::Quoted;
                    return Ok(i + 3);
                }
                _ => {}
            }
        }
        if word_start {
            let end = i + line[i..].iter().take_while(|&&c| ident_cont(c)).count();
            let word = String::from_utf8_lossy(&line[i..end]).to_ascii_lowercase();
            self.word(&word);
            return Ok(end);
        }
        match b {
            b'\'' => {
                self.after_word(None);
                self.lex = Lex::Literal {
                    extended: false,
                    ambiguous: true,
                };
                Ok(i + 1)
            }
            b'"' => {
                self.after_word(None);
                self.lex = Lex::Quoted;
                Ok(i + 1)
            }
            b'$' => Ok(self.dollar(line, i)),
            b'0'..=b'9' => self.numeral(line, i),
            b':' => self.colon(line, i),
            b'(' => {
                self.after_word(None);
                self.paren_depth += 1;
                Ok(i + 1)
            }
            b')' => {
                self.after_word(None);
                self.paren_depth = self.paren_depth.saturating_sub(1);
                Ok(i + 1)
            }
            b';' => {
                self.semicolon();
                Ok(i + 1)
            }
            _ => {
                self.after_word(None);
                Ok(i + 1)
            }
        }
    }

    /// A psql meta-command at `i`: a `\restrict` line psql would add is
    /// dropped, any other is refused.
    fn meta_command(&mut self, line: &[u8], i: usize) -> Result<usize, (usize, SqlProblem)> {
        let rest = &line[i..];
        let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
        if i == 0 && !self.statement_open && restrict_line(rest) {
            // Not passed on: the loader puts psql in restricted mode
            // itself where psql has it, and an older psql would stop
            // at a command it does not know.
            self.drop_line = true;
            return Ok(line.len());
        }
        Err((i, self.meta_problem(rest)))
    }

    /// A `$` at `i`: a dollar quote opens, or a parameter such as `$1`.
    fn dollar(&mut self, line: &[u8], i: usize) -> usize {
        self.after_word(None);
        // `$tag$` or `$$` opens a dollar quote; `$1` is a parameter.
        let tag_len = line[i + 1..]
            .iter()
            .enumerate()
            .take_while(|&(k, &c)| {
                if k == 0 {
                    ident_start(c)
                } else {
                    ident_start(c) || c.is_ascii_digit()
                }
            })
            .count();
        if line.get(i + 1 + tag_len) == Some(&b'$') {
            let tag = line[i..i + tag_len + 2].to_vec();
            let len = tag.len();
            self.lex = Lex::Dollar(tag);
            i + len
        } else {
            i + 1
        }
    }

    /// A number at `i`; one psql versions read differently is refused.
    fn numeral(&mut self, line: &[u8], i: usize) -> Result<usize, (usize, SqlProblem)> {
        self.after_word(None);
        // A number, with what psql reads as part of it (never `$`).
        let end = i + line[i..]
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c >= 0x80)
            .count();
        // `1a$b$`: psql 15 reads a number, then a dollar quote;
        // psql 14 a number, then the name `a$b$`.
        let junk = line[i..end]
            .iter()
            .any(|&c| c.is_ascii_alphabetic() || c == b'_' || c >= 0x80);
        if junk && line.get(end) == Some(&b'$') {
            return Err((end, SqlProblem::Versions { line: self.number }));
        }
        Ok(end)
    }

    /// A `:` at `i`: a cast or an assignment, or a psql variable (refused).
    fn colon(&mut self, line: &[u8], i: usize) -> Result<usize, (usize, SqlProblem)> {
        // `::` is a cast and `:=` an assignment; `:name`, `:'name'`,
        // `:"name"` and `:{?name}` are psql variables.
        match line.get(i + 1).copied() {
            Some(b':') => {
                self.after_word(None);
                Ok(i + 2)
            }
            Some(c) if ident_start(c) || matches!(c, b'\'' | b'"' | b'{') => {
                let name: String = line[i + 1..]
                    .iter()
                    .take_while(|&&c| !c.is_ascii_whitespace())
                    .take(40)
                    .map(|&c| c as char)
                    .collect();
                Err((
                    i,
                    SqlProblem::Variable {
                        line: self.number,
                        name: crate::ui::sanitize_for_terminal(&name).into_owned(),
                    },
                ))
            }
            _ => {
                self.after_word(None);
                Ok(i + 1)
            }
        }
    }

    /// A `;` at the top level: the (sub-)statement ends.
    fn semicolon(&mut self) {
        self.after_word(None);
        if self.paren_depth == 0 {
            // A sub-statement ends (psql may still send it with the
            // next ones, inside BEGIN ... END).
            self.first_word = None;
            if self.begin_depth == 0 {
                self.identifier_count = 0;
                self.statement_open = false;
                self.copies_due += self.copies_in_statement;
                self.copies_in_statement = 0;
            }
        }
    }

    /// A word at the top level: psql's BEGIN ... END heuristic (a `;`
    /// inside `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ... END`
    /// does not end the statement), and `COPY ... FROM stdin`.
    fn word(&mut self, word: &str) {
        if self.identifier_count == 0 {
            self.identifiers = [0; 4];
        }
        if matches!(word, "create" | "function" | "procedure" | "or" | "replace")
            && (self.identifier_count as usize) < self.identifiers.len()
        {
            self.identifiers[self.identifier_count as usize] = word.as_bytes()[0];
        }
        self.identifier_count += 1;
        let ids = self.identifiers;
        if ids[0] == b'c'
            && (ids[1] == b'f'
                || ids[1] == b'p'
                || (ids[1] == b'o' && ids[2] == b'r' && (ids[3] == b'f' || ids[3] == b'p')))
            && self.paren_depth == 0
        {
            match word {
                "begin" => self.begin_depth += 1,
                "case" if self.begin_depth >= 1 => self.begin_depth += 1,
                "end" => self.begin_depth = self.begin_depth.saturating_sub(1),
                _ => {}
            }
        }
        self.after_word(Some(word));
    }

    /// Tracks `COPY ... FROM stdin` over the tokens of a sub-statement
    /// (`word` is `None` for any other token).
    fn after_word(&mut self, word: Option<&str>) {
        if self.first_word.is_none() {
            self.first_word = Some(word.unwrap_or("").to_string());
        }
        if self.paren_depth > 0 {
            return;
        }
        if self.after_from && word == Some("stdin") && self.first_word.as_deref() == Some("copy") {
            self.copies_in_statement += 1;
        }
        self.after_from = word == Some("from");
    }

    fn meta_problem(&self, rest: &[u8]) -> SqlProblem {
        let body = &rest[1.min(rest.len())..];
        let command: String = match body.first() {
            Some(c) if c.is_ascii_alphabetic() => body
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .take(40)
                .map(|&c| c as char)
                .collect(),
            Some(&c) => {
                crate::ui::sanitize_for_terminal(&String::from_utf8_lossy(&[c])).into_owned()
            }
            None => String::new(),
        };
        SqlProblem::MetaCommand {
            line: self.number,
            command,
        }
    }
}

/// pg_dump's `\restrict KEY` or `\unrestrict KEY` line (pg_dump 15.14+,
/// 16.10+, 17.6+): they only narrow what psql accepts.
fn restrict_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line
        .strip_prefix(b"\\restrict ")
        .or_else(|| line.strip_prefix(b"\\unrestrict "));
    matches!(rest, Some(key) if !key.is_empty() && key.iter().all(u8::is_ascii_alphanumeric))
}

/// Runs the whole of `input` through a scanner: the bytes psql would get,
/// and the problem or the end.
#[cfg(test)]
fn scan(input: &[u8]) -> (Vec<u8>, Result<SqlEnd, SqlProblem>) {
    let mut scanner = SqlScanner::new();
    let mut out = Vec::new();
    // In small chunks, to cross every boundary.
    for chunk in input.chunks(7) {
        if let Err(problem) = scanner.feed(chunk, &mut out) {
            return (out, Err(problem));
        }
    }
    let end = scanner.end(&mut out);
    (out, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same bytes and verdict whatever the chunks the file arrives in.
    #[test]
    fn chunks_do_not_matter() {
        let samples: [&[u8]; 9] = [
            DUMP.as_bytes(),
            b"select 1;\n\\! id\n",
            b"copy t from stdin;\nx\n\\.\nselect $a$ \\! $a$;",
            b"select 'a\\' '\n",
            // COPY data read in bulk: lines that only start like its end,
            // a Windows end, a NUL, two COPYs in one line, a cut.
            b"copy t from stdin;\na\n\\.x\nb\\.\n\\.\r\nselect 1;\n\\! id\n",
            b"copy t from stdin;\na\nb\x00c\nd\n\\.\nselect 1;\n",
            b"copy t from stdin; copy u from stdin;\na\n\\.\nb\n\\.\nselect 2;\n",
            b"copy t from stdin;\na\nb",
            b"\\.\ncopy t from stdin;\n\\.\n",
        ];
        for sample in samples {
            let whole = {
                let mut scanner = SqlScanner::new();
                let mut out = Vec::new();
                let fed = scanner.feed(sample, &mut out);
                let end = fed.and_then(|()| scanner.end(&mut out));
                (out, end)
            };
            for size in [1, 2, 3, 5, 64] {
                let mut scanner = SqlScanner::new();
                let mut out = Vec::new();
                let mut result = Ok(());
                for chunk in sample.chunks(size) {
                    result = scanner.feed(chunk, &mut out);
                    if result.is_err() {
                        break;
                    }
                }
                let end = result.and_then(|()| scanner.end(&mut out));
                assert_eq!((out, end), whole, "chunks of {size}");
            }
        }
    }

    #[test]
    fn lines_of_copy_data_read_in_bulk_are_still_counted() {
        let mut data = b"select 1;\ncopy t from stdin;\n".to_vec();
        for row in 0..1000 {
            data.extend_from_slice(format!("{row}\tx\n").as_bytes());
        }
        data.extend_from_slice(b"bad\x00\n\\.\n");
        let (out, end) = scan(&data);
        // Line 1003 holds the NUL: nothing of it passes, all before it does.
        assert_eq!(end, Err(SqlProblem::Nul { line: 1003 }));
        assert_eq!(out, data[..data.len() - b"bad\x00\n\\.\n".len()]);
        let mut whole = SqlScanner::new();
        let mut passed = Vec::new();
        whole.feed(&data, &mut passed).expect_err("the NUL");
        assert_eq!(passed, out, "in one piece");
    }

    const DUMP: &str = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc123\n\nSET standard_conforming_strings = on;\nCREATE TABLE public.t (x integer, s text);\nCOMMENT ON TABLE public.t IS 'C:\\x';\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS $_$select '\\! no'$_$;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC\n SELECT 1;\n SELECT 2;\nEND;\nCOPY public.t (x, s) FROM stdin;\n1\ta\\\\b it's\n2\t\\N\n\\.\nSELECT pg_catalog.setval('s', 1::bigint, true);\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc123\n\n";

    #[test]
    fn a_whole_dump_passes_whole() {
        let (out, end) = scan(DUMP.as_bytes());
        // All of it but pg_dump's \restrict and \unrestrict lines.
        let without = DUMP
            .replace("\\restrict abc123\n", "")
            .replace("\\unrestrict abc123\n", "");
        assert_eq!(String::from_utf8(out).unwrap(), without);
        let end = end.expect("no problem");
        assert!(end.dump && end.complete && end.open.is_none(), "{end:?}");
        assert_eq!(end.verdict(false), Ok(()));
    }

    #[test]
    fn a_cut_dump_is_refused_unless_partial_ok() {
        let cut = &DUMP[..DUMP.find("SELECT pg_catalog").unwrap()];
        let (_, end) = scan(cut.as_bytes());
        let end = end.unwrap();
        assert!(end.dump && !end.complete, "{end:?}");
        assert!(end
            .verdict(false)
            .unwrap_err()
            .to_string()
            .contains("was cut"));
        assert_eq!(end.verdict(true), Ok(()));
        // Cut inside COPY data: not even with --partial-ok.
        let cut = &DUMP[..DUMP.find("2\t\\N").unwrap()];
        let (_, end) = scan(cut.as_bytes());
        let end = end.unwrap();
        assert!(end.open.is_some(), "{end:?}");
        assert!(end.verdict(true).is_err());
        let (_, end) = scan(b"");
        assert!(end
            .unwrap()
            .verdict(false)
            .unwrap_err()
            .to_string()
            .contains("empty"));
        // The completion line followed by more SQL (two files joined, cut
        // in the second) is not the end.
        let joined = format!("{DUMP}create table u (x int);\n");
        let (_, end) = scan(joined.as_bytes());
        assert!(!end.unwrap().complete);
        let (_, end) = scan(b"create table t (x int);\n");
        let end = end.unwrap();
        assert!(end
            .verdict(false)
            .unwrap_err()
            .to_string()
            .contains("--partial-ok"));
        assert_eq!(end.verdict(true), Ok(()));
    }

    #[test]
    fn meta_commands_are_refused_at_their_first_byte() {
        for (sql, command) in [
            (
                "create table a (x int);\n\\connect shop\ncreate table b (x int);\n",
                "connect",
            ),
            ("select 1;\n\\c shop\n", "c"),
            ("select 1; \\! touch /tmp/x\n", "!"),
            ("\\o /tmp/x\nselect 1;\n", "o"),
            ("select 1 \\g /tmp/y\n", "g"),
            ("\\copy t from program 'id'\n", "copy"),
            ("select 'a' \\gexec\n", "gexec"),
            ("\\setenv X 1\n", "setenv"),
            ("\\i /etc/passwd\n", "i"),
            ("select $$ x $$ \\; select 2;\n", ";"),
            ("\\restrict abc\n\\restrict abc x\n", "restrict"),
            // COPY data ends at `\.`; a meta-command after it is refused.
            ("copy t from stdin;\nx\\\\y\n\\.\n\\! id\n", "!"),
        ] {
            let (out, end) = scan(sql.as_bytes());
            match end {
                Err(SqlProblem::MetaCommand { command: c, .. }) => assert_eq!(c, command, "{sql}"),
                other => panic!("{sql}: {other:?}"),
            }
            let at = String::from_utf8(out).unwrap();
            assert!(
                !at.contains("\\!") && !at.contains("\\c") && !at.contains("\\o"),
                "{sql}: {at}"
            );
        }
        // Inside strings, comments, dollar quotes and COPY data they are text.
        for sql in [
            "select '\\! x';\n",
            "select E'\\' \\! x';\n",
            "-- \\! x\n/* \\! x /* nested */ \\c */ select 1;\n",
            "select $x$ \\! $y$ $x$;\n",
            "select \"a\\!\";\n",
            "copy t from stdin;\n\\! not a command here\n\\.\n",
            "copy t (a) from stdin; copy u from stdin;\n1\n\\.\n\\c 2\n\\.\n",
        ] {
            let (out, end) = scan(sql.as_bytes());
            assert!(end.is_ok(), "{sql}: {end:?}");
            assert_eq!(out, sql.as_bytes());
        }
    }

    #[test]
    fn what_reads_two_ways_or_pastes_variables_is_refused() {
        let (_, end) = scan(b"select 'a\\' ' \\! id '; \n");
        assert!(matches!(end, Err(SqlProblem::Ambiguous { .. })), "{end:?}");
        let (_, end) = scan(b"select :'DBNAME';\n");
        assert!(matches!(end, Err(SqlProblem::Variable { .. })), "{end:?}");
        let (_, end) = scan(b"select 1::int, a[1:2] from t;\n");
        assert!(end.is_ok(), "{end:?}");
        let (_, end) = scan(b"select 'a\\\\';\n");
        assert!(end.is_ok(), "{end:?}");
        // psql drops what follows a NUL on its line: the quote would open
        // a string for us only.
        let (out, end) = scan(b"select 1;\n\\! id --\0'\n\\! id\n';\n");
        assert!(matches!(end, Err(SqlProblem::Nul { .. })), "{end:?}");
        assert_eq!(out, b"select 1;\n");
        // In SJIS, 0x81 0x5c is one character: the quote after it closes.
        let (_, end) = scan(b"select E'\x81\\' \\! id ';\n");
        assert!(matches!(end, Err(SqlProblem::Encoding { .. })), "{end:?}");
        let (_, end) = scan(b"select 1a$b$ \\! id $b$;\n");
        assert!(matches!(end, Err(SqlProblem::Versions { .. })), "{end:?}");
        let (_, end) = scan(b"select 1.5e3, 1$a$ x $a$;\n");
        assert!(end.is_ok(), "{end:?}");
        // \v is whitespace to psql and the server: COPY is still first.
        let (_, end) = scan(b"\x0bcopy t from stdin;\nit's\n\\.\nselect 1;\n");
        assert!(end.is_ok(), "{end:?}");
    }
}
