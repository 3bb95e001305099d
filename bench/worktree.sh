#!/usr/bin/env bash
# Benchmark: `worktree add` on a small stack with demo data (issue 22,
# part 1), each phase as xtask reports it ("Done PHASE (N s)"), the total,
# and `worktree rm`. The stack: tests/e2e (busybox web, Postgres) with its
# host ports in .env variables, one repo under shared/src, `shop` holding
# ROWS rows (default 200000). The original stays up throughout.
#
# usage: bench/worktree.sh [ROWS]     (XTASK_BIN overrides the binary)
set -euo pipefail
rows=${1:-200000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
xtask=${XTASK_BIN:-$root/target/debug/xtask}
[[ -x $xtask ]] || (cd "$root" && cargo build --quiet -p xtask)
work=$(mktemp -d /tmp/xtaskbenchwt.XXXXXX)
env="$work/shop"
project=$(basename "$work" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_-')_shop
cleanup() {
  for p in "$project" "${project}_bench"; do
    docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f >/dev/null
    docker network ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker network rm >/dev/null
    docker volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker volume rm >/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
g() { git -c user.name=bench -c user.email=bench@example.com "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$env"
cp "$root/tests/e2e/"* "$env/"
sed -i 's/"127.0.0.1::8080"/"127.0.0.1:${WEB_PORT}:8080"/; s/"127.0.0.1::5432"/"127.0.0.1:${DB_PORT}:5432"/' "$env/docker-compose.yml"
printf '\n[db]\nname = "shop"\n' >> "$env/tasks.toml"
printf 'WEB_PORT=%s\nDB_PORT=%s\nCOMPOSE_PROJECT_NAME=%s\n' "$(free_port)" "$(free_port)" "$project" > "$env/.env.example"
g init -q -b main "$work/app.git" --bare
g init -q -b main "$work/app-work"
echo app > "$work/app-work/README"
g -C "$work/app-work" add -A && g -C "$work/app-work" commit -qm app && g -C "$work/app-work" push -q "$work/app.git" main
printf '[defaults]\nroot = "shared/src"\n\n[[repo]]\nname = "app"\nurl = "%s"\n\n[[copy]]\nfrom = ".env.example"\nto = ".env"\n' "$work/app.git" > "$env/repos.toml"
printf '.env\nshared/\nbackups/\n' > "$env/.gitignore"
g -C "$env" init -q -b main && g -C "$env" add -A && g -C "$env" commit -qm env
cd "$env"
"$xtask" update >/dev/null 2>&1
"$xtask" up --wait --wait-timeout 90 >/dev/null 2>&1
"$xtask" db create >/dev/null 2>&1
"$xtask" db psql -- -q -c "create table t as select g as x, md5(g::text) as label from generate_series(1, $rows) g" >/dev/null
size=$("$xtask" db psql -- -At -c "select pg_size_pretty(pg_database_size('shop'))")
echo "stack: tests/e2e (web, db), 1 repo, shop with $rows rows ($size); the original up"

start=$(date +%s.%N)
out=$("$xtask" worktree add bench 2>&1) || { echo "$out"; exit 1; }
end=$(date +%s.%N)
echo "$out" | grep -E '^ +Done ' | sed 's/^ *Done /  /'
printf '  %-44s %6.2f s\n' "worktree add, total" "$(echo "$end - $start" | bc)"
folder="$work/shop-wt-bench"
(cd "$folder" && "$xtask" urls | tail -n +2 | sed 's/^/  worktree: /')
count=$(cd "$folder" && "$xtask" db psql -- -At -c "select count(*) from t")
echo "  rows in the worktree's copy: $count"

start=$(date +%s.%N)
"$xtask" --yes worktree rm bench >/dev/null 2>&1
end=$(date +%s.%N)
printf '  %-44s %6.2f s\n' "worktree rm" "$(echo "$end - $start" | bc)"
