#!/usr/bin/env bash
# Benchmark: `checkpoint save` and `checkpoint restore` against the by-hand
# equivalent, side by side in one run on the test stack's Postgres
# (tests/e2e, image xtask-test/debian:1) with REPOS local repositories of
# FILES files each (a branch `feature` changes a fifth of them) and a
# `[[copy]]` .env. The database is SIZE_MB of text rows with an index.
#
#   save:    `git rev-parse HEAD` per repo + `db backup`           vs `checkpoint save`
#   restore: `git checkout` per repo + `db restore` of that dump   vs `checkpoint restore`
#            (from every repo on `feature` and rows added, back to `main`)
#
# Goals (issue 22): save <= 1 s plus the snapshot's own time; restore <= 3 s.
# Timed ROUNDS times (default 3), the ways alternating; medians compared.
#
# usage: bench/checkpoint.sh [SIZE_MB] [ROUNDS] [REPOS] [FILES]   (default 100 3 5 400)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
size_mb=${1:-100}
rounds=${2:-3}
repos=${3:-5}
files=${4:-400}
xtask=${XTASK_BIN:-$root/target/debug/xtask}
[[ -x $xtask ]] || (cd "$root" && cargo build --quiet -p xtask)

work=$(mktemp -d /tmp/xtaskbenchckpt.XXXXXX)
remotes=$(mktemp -d /tmp/xtaskbenchremotes.XXXXXX)
cp "$root"/tests/e2e/* "$work"/
printf '\n[db]\nname = "bench"\n' >> "$work/tasks.toml"
x() { "$xtask" -C "$work" "$@"; }
project=$(x env --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"])')
dc() { docker compose -p "$project" -f "$work/docker-compose.yml" "$@"; }
cleanup() { dc down --volumes --remove-orphans >/dev/null 2>&1 || true; rm -rf "$work" "$remotes"; }
trap cleanup EXIT
sql() { dc exec -T db psql -X -q -v ON_ERROR_STOP=1 -h db -U postgres "$@"; }
now() { date +%s.%N; }
timed() { local start; start=$(now); "$@" >/dev/null 2>&1; python3 -c "print(f'{$(now) - $start:.2f}')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
g() { git -c user.name=bench -c user.email=bench@example.com "$@"; }

echo "making $repos repositories of $files files" >&2
: > "$work/repos.toml"
for r in $(seq "$repos"); do
  src="$remotes/r$r-work"
  g init -q -b main "$src"
  for f in $(seq "$files"); do printf 'file %s of repo %s\n' "$f" "$r" > "$src/f$f.txt"; done
  g -C "$src" add -A && g -C "$src" commit -q -m main
  g -C "$src" switch -q -c feature
  for f in $(seq 1 5 "$files"); do printf 'changed on feature\n' >> "$src/f$f.txt"; done
  g -C "$src" commit -q -am feature && g -C "$src" switch -q main
  g clone -q --bare "$src" "$remotes/r$r.git"
  printf '[[repo]]\nname = "r%s"\nurl = "%s"\n\n' "$r" "$remotes/r$r.git" >> "$work/repos.toml"
done
printf 'MODE=example\n' > "$work/env.example"
printf '[[copy]]\nfrom = "env.example"\nto = ".env"\n' >> "$work/repos.toml"
x update >/dev/null 2>&1

echo "starting Postgres (project $project)" >&2
dc up -d --wait db >/dev/null 2>&1
x db create >/dev/null
rows=$((size_mb * 1700))
echo "loading about ${size_mb} MB ($rows rows, 1 index)" >&2
sql -d bench <<SQL
CREATE TABLE doc (id bigserial PRIMARY KEY, body text, score int);
INSERT INTO doc (body, score)
SELECT repeat(md5(g::text), 4) || ' ' || md5((g * 7)::text), (random() * 100000)::int
FROM generate_series(1, $rows) g;
VACUUM ANALYZE doc;
SQL
size=$(sql -d bench -At -c "select pg_size_pretty(pg_database_size('bench'))")
echo "database: $size" >&2

repo_dirs() { for r in $(seq "$repos"); do echo "$work/shared/src/r$r"; done; }
# The state a restore starts from: every repo on feature, rows added, .env edited.
move_on() {
  for d in $(repo_dirs); do git -C "$d" switch -q feature; done
  sql -d bench -c "INSERT INTO doc (body, score) SELECT 'later', 0 FROM generate_series(1, 1000)"
  printf 'MODE=later\n' > "$work/.env"
}
by_hand_save() {
  for d in $(repo_dirs); do git -C "$d" rev-parse HEAD; done > "$work/commits"
  x db backup -o "$work/by-hand.dump" --force
}
by_hand_restore() {
  for d in $(repo_dirs); do git -C "$d" checkout -q main; done
  x --yes db restore --no-cache "$work/by-hand.dump"
}

save_hand=() save_x=() restore_hand=() restore_x=() snapshot_runs=()
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  save_hand+=("$(timed by_hand_save)")
  save_x+=("$(timed x checkpoint save "round$round")")
  snapshot_runs+=("$(timed x db snapshot --name "alone$round")")
  move_on
  restore_hand+=("$(timed by_hand_restore)")
  move_on
  restore_x+=("$(timed x --yes checkpoint restore "round$round")")
  [[ $(git -C "$work/shared/src/r1" branch --show-current) == main ]] || { echo "restore did not move r1" >&2; exit 1; }
done
snapshot_only=$(median "${snapshot_runs[@]}")

m_save_hand=$(median "${save_hand[@]}")
m_save_x=$(median "${save_x[@]}")
m_restore_hand=$(median "${restore_hand[@]}")
m_restore_x=$(median "${restore_x[@]}")
printf '\n%-62s %8s\n' "postgres $size, $repos repos of $files files (medians of $rounds)" "seconds"
printf '%-62s %8s\n' "by hand: git rev-parse per repo + db backup" "$m_save_hand"
printf '%-62s %8s\n' "checkpoint save" "$m_save_x"
printf '%-62s %8s\n' "  of which the database snapshot alone (db snapshot)" "$snapshot_only"
printf '%-62s %8s\n' "by hand: git checkout per repo + db restore of the dump" "$m_restore_hand"
printf '%-62s %8s\n' "checkpoint restore" "$m_restore_x"
echo
echo "save:    $(ratio "$m_save_hand" "$m_save_x")x faster than by hand; $(python3 -c "print(f'{$m_save_x - $snapshot_only:.2f}')") s beyond the snapshot (goal <= 1 s)"
echo "restore: $(ratio "$m_restore_hand" "$m_restore_x")x faster than by hand (goal <= 3 s: $m_restore_x s)"
