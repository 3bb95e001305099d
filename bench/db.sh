#!/usr/bin/env bash
# Benchmark: the database workflows against the seed's ways, side by side
# in one run on the test stack's Postgres (tests/e2e, image xtask-test/debian:1),
# ratios printed. The data is SIZE_MB of text-heavy rows (random words,
# four indexes), not pgbench's, which compresses 60:1.
#
#   backup:   `docker compose exec -T db pg_dump ... | gzip > f`  vs `xtask db backup`
#   restore:  `gunzip -c f | docker compose exec -T db psql ...`   vs `xtask db restore`
#             (into a new database, as the seed does; xtask replaces `bench`,
#             keeping the old one as its snapshot, and with --no-backup drops it)
#   snapshot: `xtask db restore` (a dump)                           vs `xtask db snapshot restore`
#   cache:    `xtask db restore --no-cache` (the load alone)        vs the first restore (a
#             miss that keeps the cache entry) and the second (a hit: a template copy)
#   floor:    `pg_restore --jobs=4` of the dump already inside the server's container,
#             run there with xtask's session settings: the server's own work, which no
#             client can go below; its ratio to the seed is the most any tool can reach
#             on this machine (xtask pays the dump's trip into the container on top)
#
# Goals (issue 10): backup >= 1.5x, restore >= 1.2x, snapshot restore >= 2.5x;
# (issue 23) the second restore of the same file >= 5x gunzip | psql, the
# first no slower than --no-cache, a .sql.zst restore no slower than
# gunzip | psql (both restores keep the database they replace, as by
# default; the --no-backup row drops it).
#
# Restores are timed ROUNDS times (default 3), the tools alternating, and
# the medians compared.
#
# usage: bench/db.sh [SIZE_MB] [ROUNDS]     (default 560 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
size_mb=${1:-560}
rounds=${2:-3}
# The release build: a restore streams the file through xtask (decompressed,
# read as the client will, and on MySQL rewritten), work a debug build does
# several times slower. XTASK_BIN overrides.
if [[ -z ${XTASK_BIN:-} ]]; then (cd "$root" && cargo build --release --quiet -p xtask); fi
xtask=${XTASK_BIN:-$root/target/release/xtask}

work=$(mktemp -d /tmp/xtaskbenchdb.XXXXXX)
cp "$root"/tests/e2e/* "$work"/
# The restore cache is off by default; on here (two entries) for its rows.
printf '\n[db]\nname = "bench"\nrestore_cache = 2\n' >> "$work/tasks.toml"
# Parallel index builds need more than Docker's default 64 MB of /dev/shm.
sed -i 's/^  db:$/  db:\n    shm_size: "1g"/' "$work/docker-compose.yml"
x() { "$xtask" -C "$work" "$@"; }
project=$(x env --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"])')
dc() { docker compose -p "$project" -f "$work/docker-compose.yml" "$@"; }
cleanup() { dc down --volumes --remove-orphans >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
sql() { dc exec -T db psql -X -q -v ON_ERROR_STOP=1 -h db -U postgres "$@"; }
now() { date +%s.%N; }
timed() { local start; start=$(now); "$@" >/dev/null; python3 -c "print(f'{$(now) - $start:.2f}')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "starting Postgres (project $project)" >&2
dc up -d --wait db >/dev/null 2>&1
x db create >/dev/null
rows=$((size_mb * 1700))
echo "loading about ${size_mb} MB ($rows rows, 4 indexes)" >&2
sql -d bench <<SQL
CREATE TABLE doc (id bigserial PRIMARY KEY, title text, body text, author text, created timestamptz, score int);
-- Words drawn from a vocabulary of 5000, so that the text compresses about
-- as prose does (a few to one), not as md5 hex (2:1) or repeated rows (60:1).
WITH vocabulary AS (
  SELECT array_agg(substr(md5(i::text), 1, 3 + i % 7)) AS w FROM generate_series(1, 5000) i
)
INSERT INTO doc (title, body, author, created, score)
SELECT array_to_string(ARRAY(SELECT v.w[1 + ((g * 7 + k * 131 + (random() * 4999)::int) % 5000)] FROM generate_series(1, 5) k), ' '),
       array_to_string(ARRAY(SELECT v.w[1 + ((g * 13 + k * 71 + (random() * 4999)::int) % 5000)] FROM generate_series(1, 40) k), ' '),
       'author' || (random() * 1000)::int,
       now() - random() * interval '3 years',
       (random() * 100000)::int
FROM generate_series(1, $rows) g, vocabulary v;
CREATE INDEX ON doc (author);
CREATE INDEX ON doc (created);
CREATE INDEX ON doc (title);
VACUUM ANALYZE doc;
SQL
size=$(sql -d bench -At -c "select pg_size_pretty(pg_database_size('bench'))")
echo "database: $size" >&2

out="$work/out"
mkdir -p "$out"
seed_backup=$(timed sh -c "docker compose -p '$project' -f '$work/docker-compose.yml' exec -T db pg_dump -h db -U postgres bench | gzip > '$out/seed.sql.gz'")
xtask_backup=$(timed x db backup -o "$out/x.dump")
xtask_backup_zst=$(timed x db backup --format sql-zst -o "$out/x.sql.zst")
# Every timed restore starts on a quiet server: the databases the last one
# left (the seed's copy, the snapshots xtask keeps) dropped and a CHECKPOINT
# run, untimed. Without it each run paid for the dirty pages and the WAL of
# the one before (a restore of this size writes about 1 GB of WAL, and the
# checkpoint it triggers runs on into the next run), so a ratio depended on
# the order of the rows more than on the tools.
quiet() {
  local name
  for name in $(sql -d postgres -At -c "SELECT datname FROM pg_database WHERE datname IN ('seed_restored', 'floor_restored') OR datname LIKE 'bench\_\_snap\_restore-%'"); do
    sql -d postgres -c "ALTER DATABASE \"$name\" IS_TEMPLATE false" -c "DROP DATABASE \"$name\""
  done
  sql -d postgres -c CHECKPOINT
}
seed_runs=() default_runs=() nocache_runs=() second_runs=() nobackup_runs=() zst_runs=() floor_runs=()
# The floor's copy of the dump, inside the server's container (untimed).
dc cp "$out/x.dump" db:/tmp/floor.dump >/dev/null 2>&1 || { echo "could not copy the dump into the db container" >&2; exit 1; }
for round in $(seq "$rounds"); do
  echo "restores, round $round of $rounds" >&2
  quiet
  sql -d postgres -c "CREATE DATABASE seed_restored"
  seed_runs+=("$(timed sh -c "gunzip -c '$out/seed.sql.gz' | docker compose -p '$project' -f '$work/docker-compose.yml' exec -T db psql -X -q -h db -U postgres -d seed_restored")")
  x --yes db cache clear bench >/dev/null
  quiet
  default_runs+=("$(timed x --yes db restore "$out/x.dump" bench)")
  quiet
  second_runs+=("$(timed x --yes db restore "$out/x.dump" bench)")
  quiet
  nocache_runs+=("$(timed x --yes db restore --no-cache "$out/x.dump" bench)")
  quiet
  nobackup_runs+=("$(timed x --yes db restore --no-cache --no-backup "$out/x.dump" bench)")
  quiet
  zst_runs+=("$(timed x --yes db restore --no-cache "$out/x.sql.zst" bench)")
  quiet
  sql -d postgres -c "CREATE DATABASE floor_restored"
  floor_runs+=("$(timed dc exec -T -e 'PGOPTIONS=-c maintenance_work_mem=512MB -c synchronous_commit=off' db pg_restore -h db -U postgres --no-owner --exit-on-error --jobs=4 -d floor_restored /tmp/floor.dump)")
done
quiet
seed_restore=$(median "${seed_runs[@]}")
xtask_restore=$(median "${default_runs[@]}")
xtask_restore_nocache=$(median "${nocache_runs[@]}")
xtask_restore_second=$(median "${second_runs[@]}")
xtask_restore_nobackup=$(median "${nobackup_runs[@]}")
xtask_restore_zst=$(median "${zst_runs[@]}")
floor_restore=$(median "${floor_runs[@]}")
x db snapshot --name bench >/dev/null 2>&1
snapshot_restore=$(timed x --yes db snapshot restore bench)

printf '\n%-44s %8s %8s\n' "postgres $size" "seconds" "size"
printf '%-44s %8s %8s\n' "seed: pg_dump | gzip" "$seed_backup" "$(du -h "$out/seed.sql.gz" | cut -f1)"
printf '%-44s %8s %8s\n' "xtask db backup (custom, -Z1)" "$xtask_backup" "$(du -h "$out/x.dump" | cut -f1)"
printf '%-44s %8s\n' "seed: gunzip | psql (median of $rounds)" "$seed_restore"
printf '%-44s %8s %8s\n' "xtask db backup --format sql-zst" "$xtask_backup_zst" "$(du -h "$out/x.sql.zst" | cut -f1)"
printf '%-44s %8s\n' "xtask db restore (first: cache entry kept)" "$xtask_restore"
printf '%-44s %8s\n' "xtask db restore --no-cache" "$xtask_restore_nocache"
printf '%-44s %8s\n' "second restore of the same file (cache hit)" "$xtask_restore_second"
printf '%-44s %8s\n' "xtask db restore --no-backup" "$xtask_restore_nobackup"
printf '%-44s %8s\n' "xtask db restore --no-cache (.sql.zst)" "$xtask_restore_zst"
printf '%-44s %8s\n' "xtask db snapshot restore" "$snapshot_restore"
printf '%-44s %8s\n' "floor: pg_restore inside, the dump there" "$floor_restore"
echo
# Every run, so that a median's spread shows.
printf 'runs (s): seed %s | first %s | hit %s | --no-cache %s | --no-backup %s | .sql.zst %s | floor %s\n' \
  "${seed_runs[*]}" "${default_runs[*]}" "${second_runs[*]}" "${nocache_runs[*]}" "${nobackup_runs[*]}" "${zst_runs[*]}" "${floor_runs[*]}"
echo
echo "backup:           $(ratio "$seed_backup" "$xtask_backup")x faster than pg_dump | gzip (goal 1.5x)"
echo "restore:          $(ratio "$seed_restore" "$xtask_restore_nocache")x faster than gunzip | psql (goal 1.2x; --no-cache, what the default restore_cache = 0 does)"
echo "  floor:            $(ratio "$seed_restore" "$floor_restore")x (the server's work alone: no tool can do better here; xtask takes $(ratio "$xtask_restore_nocache" "$floor_restore")x its time)"
echo "  first restore keeping its cache entry: $(ratio "$seed_restore" "$xtask_restore")x ($(ratio "$xtask_restore_nocache" "$xtask_restore")x the load alone; goal: no slower)"
echo "  --no-backup:      $(ratio "$seed_restore" "$xtask_restore_nobackup")x"
echo "second restore:   $(ratio "$seed_restore" "$xtask_restore_second")x faster than gunzip | psql (goal 5x)"
echo "backup sql-zst:   $(ratio "$seed_backup" "$xtask_backup_zst")x faster than pg_dump | gzip"
echo "restore sql.zst:  $(ratio "$seed_restore" "$xtask_restore_zst")x faster than gunzip | psql (goal: no slower)"
echo "snapshot restore: $(ratio "$xtask_restore" "$snapshot_restore")x faster than restoring the dump (goal 2.5x)"
