#!/usr/bin/env bash
# Benchmark: the database workflows on MariaDB (the local base,
# tests/mariadb, image xtask-local/mariadb:10.11) against the seed's ways,
# side by side in one run, ratios printed: the MariaDB column of bench/db.sh.
# The data is SIZE_MB of rows with repeated words (two indexes).
#
#   backup:   `docker compose exec -T db mariadb-dump ... | gzip > f`  vs `xtask db backup`
#   restore:  `gunzip -c f | docker compose exec -T db mariadb ...`   vs `xtask db restore`
#             (the seed into a new database; xtask replaces `bench`, --no-backup)
#   snapshot: `xtask db restore` (a dump)                             vs `xtask db snapshot restore`
#
# Goals (issue 21): backup >= 1.5x, restore >= 1.2x, snapshot restore >= 2.5x.
# Restores are timed ROUNDS times (default 1), the tools alternating, and
# the medians compared.
#
# usage: bench/db-mariadb.sh [SIZE_MB] [ROUNDS]     (default 400 1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
size_mb=${1:-400}
rounds=${2:-1}
# The release build: a restore streams the file through xtask (decompressed,
# read as the client will, and on MySQL rewritten), work a debug build does
# several times slower. XTASK_BIN overrides.
if [[ -z ${XTASK_BIN:-} ]]; then (cd "$root" && cargo build --release --quiet -p xtask); fi
xtask=${XTASK_BIN:-$root/target/release/xtask}

work=$(mktemp -d /tmp/xtaskbenchmaria.XXXXXX)
cp -r "$root"/tests/mariadb/. "$work"/
printf '[project]\ncompose_files = ["docker-compose.yml"]\n\n[db]\nname = "bench"\npassword_env = "DB_ROOT_PASSWORD"\n' > "$work/tasks.toml"
x() { "$xtask" -C "$work" "$@"; }
project=$(x env --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"])')
dc() { docker compose -p "$project" --project-directory "$work" -f "$work/docker-compose.yml" "$@"; }
cleanup() { dc down --volumes --remove-orphans >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# The seed's commands read the password from the environment (MYSQL_PWD by name).
MYSQL_PWD=$(sed -n 's/^DB_ROOT_PASSWORD=//p' "$work/.env")
export MYSQL_PWD
now() { date +%s.%N; }
timed() { local start; start=$(now); "$@" >/dev/null 2>&1; python3 -c "print(f'{$(now) - $start:.2f}')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "starting MariaDB (project $project)" >&2
dc up -d --wait db >/dev/null 2>&1
x db create >/dev/null
rows=$((size_mb * 3900))
echo "loading about ${size_mb} MB ($rows rows, 2 indexes)" >&2
x db shell -- --execute="CREATE TABLE doc (id bigint PRIMARY KEY, title varchar(100), body text, score int, KEY (score), KEY (title));
INSERT INTO doc SELECT seq, CONCAT('title ', seq % 5000), REPEAT(CONCAT(SUBSTR(MD5(seq % 5000), 1, 7), ' word ', seq % 97, ' '), 8), seq % 1000 FROM seq_1_to_$rows;"
x db list >&2

seed_backup() { dc exec -T -e MYSQL_PWD db mariadb-dump -uroot -hdb --single-transaction --routines --triggers --events bench | gzip > "$work/seed.sql.gz"; }
echo "backup" >&2
t_seed_backup=$(timed seed_backup)
t_backup=$(timed x db backup -o "$work/bench.sql.zst" --force)
seed_restore() {
  dc exec -T -e MYSQL_PWD db mariadb -uroot -hdb -e 'DROP DATABASE IF EXISTS bench_seed; CREATE DATABASE bench_seed'
  gunzip -c "$work/seed.sql.gz" | dc exec -T -e MYSQL_PWD db mariadb -uroot -hdb bench_seed
}
x db snapshot --name bench >/dev/null
seed=() restore=() snap=()
for round in $(seq "$rounds"); do
  echo "restore round $round" >&2
  seed+=("$(timed seed_restore)")
  restore+=("$(timed x --yes db restore "$work/bench.sql.zst" --no-backup)")
  snap+=("$(timed x --yes db snapshot restore bench --no-backup)")
done
t_seed=$(median "${seed[@]}") t_restore=$(median "${restore[@]}") t_snap=$(median "${snap[@]}")
printf '%-10s %-36s %8s %-34s %8s %6s\n' "" "seed" "s" "xtask" "s" "ratio"
printf '%-10s %-36s %8s %-34s %8s %6s\n' backup "exec mariadb-dump | gzip" "$t_seed_backup" "db backup (.sql.zst)" "$t_backup" "$(ratio "$t_seed_backup" "$t_backup")"
printf '%-10s %-36s %8s %-34s %8s %6s\n' restore "gunzip | exec mariadb" "$t_seed" "db restore" "$t_restore" "$(ratio "$t_seed" "$t_restore")"
printf '%-10s %-36s %8s %-34s %8s %6s\n' snapshot "db restore" "$t_restore" "db snapshot restore" "$t_snap" "$(ratio "$t_restore" "$t_snap")"
