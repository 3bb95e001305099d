#!/usr/bin/env bash
# Benchmark: `worktree add` on the shipped stack (issue 22's goal: a
# running second stack that answers on its URLs in <= 30 s when the images
# exist, each phase measured, while the original keeps running), then
# `worktree rm`, which must leave nothing behind.
#
# The stack: this repository's environment (the real repositories from
# local mirrors, the local bases, the demo data of `db rebuild --demo`),
# copied into a temp dir that is made a git repository, with its host ports
# in .env. The phases are what xtask reports ("Done PHASE (N s)"); the
# worktree's URLs are asked over 127.0.0.1 until they answer (at most 60 s,
# counted in the figure). Nothing outside the temp dir is changed; KEEP=1
# leaves both stacks up.
#   bench/worktree_shipped.sh MIRRORS
# MIRRORS as for offline/cold-start (OWNER/NAME.git or OWNER+NAME/repo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mirrors=$(cd "${1:?usage: bench/worktree_shipped.sh MIRRORS}" && pwd)
xtask=$(realpath "${XTASK_BIN:-$root/target/debug/xtask}")
[[ -x $xtask ]] || (cd "$root" && cargo build --quiet -p xtask)
parent=$(mktemp -d /tmp/xtaskbenchwtshipped.XXXXXX)
work=$parent/stack
mkdir -p "$work"
source "$root/bench/shipped_stack.sh"
copy_shipped_stack "$root" "$mirrors" "$work"
cd "$work"
project=wtbench$$
x() { "$xtask" "$@"; }
g() { git -c user.name=bench -c user.email=bench@example.com "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() {
  [[ ${KEEP:-} == 1 ]] && { echo "kept: $parent (projects $project, ${project}_bench)" >&2; return; }
  (cd "$work" && x --yes worktree rm bench >/dev/null 2>&1) || true
  x --yes down --volumes >/dev/null 2>&1 || true
  # When rm refused (the bench failed), its stack goes by its labels.
  local label="label=com.docker.compose.project=${project}_bench"
  docker ps -aq --filter "$label" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker volume ls -q --filter "$label" | xargs -r docker volume rm >/dev/null 2>&1 || true
  docker network ls -q --filter "$label" | xargs -r docker network rm >/dev/null 2>&1 || true
  rm -rf "$parent"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.2f}')"; }

# The original: its own host ports (as a team's .env has them), then up
# with demo data. The environment is a git repository, as `worktree add`
# needs; what update and the stack write is ignored.
sed -i -e "s#^ERPSERVER_PORT=.*#ERPSERVER_PORT=$(free_port)#" \
       -e "s#^PORTAL_PORT=.*#PORTAL_PORT=$(free_port)#" .env.example
printf '/shared/src/\n/.env\n/backups/\n/.vscode/\n/shared/docs/_build/\n/shared/docs/party\n/shared/config/erpserver/admin-password\n__pycache__/\n*.tmp\n' > .gitignore
g init -q -b main . && g add -A && g commit -qm "the environment"
start_shipped_stack "$xtask" "$project"
size=$(x db psql -- -At -c "select pg_size_pretty(pg_database_size(current_database()))")
repos=$(find "$work/shared/src" -mindepth 2 -maxdepth 3 -name .git | wc -l)
echo "shipped stack: $repos repos, database $size (demo data); the original up"

start=$(now)
out=$(x worktree add bench 2>&1) || { echo "$out"; exit 1; }
added=$(since "$start")
echo "$out" | grep -E '^ +Done ' | sed 's/^ *Done /  /'
printf '  %-52s %6s s\n' "worktree add, total" "$added"

folder=$parent/stack-wt-bench
urls=$(cd "$folder" && x urls --json)
mapfile -t addresses < <(python3 -c '
import json, sys
for entry in json.loads(sys.argv[1]):
    url = entry.get("url", "")
    if url.startswith("http://127.0.0.1:"):
        print(url)
' "$urls")
[[ ${#addresses[@]} -gt 0 ]] || { echo "the worktree shows no URL: $urls" >&2; exit 1; }
for url in "${addresses[@]}"; do
  answered=
  for _ in $(seq 120); do
    if curl -s -o /dev/null -m 2 "$url"; then answered=1; break; fi
    sleep 0.5
  done
  [[ -n $answered ]] || { echo "the worktree's $url did not answer in 60 s" >&2; exit 1; }
  echo "  worktree answers: $url"
done
ready=$(since "$start")
printf '  %-52s %6s s\n' "worktree add until its URLs answer (goal <= 30 s)" "$ready"
# The demo data are countries and currencies: the worktree has the
# original's rows, restored from its dump.
count="select count(*) from country_country"
theirs=$(cd "$folder" && x db psql -- -At -c "$count")
ours=$(x db psql -- -At -c "$count")
echo "  countries: original $ours, worktree $theirs"
[[ $ours -gt 0 && $ours == "$theirs" ]] || { echo "the worktree's database is not the original's" >&2; exit 1; }
# Any HTTP answer counts (the erpserver's JSON-RPC says 405 to a GET).
mapfile -t originals < <(x urls --json | python3 -c '
import json, sys
for entry in json.load(sys.stdin):
    if entry.get("url", "").startswith("http://127.0.0.1:"):
        print(entry["url"])
')
for url in "${originals[@]}"; do
  curl -s -o /dev/null -m 5 "$url" || { echo "the original's $url does not answer" >&2; exit 1; }
done
echo "  the original still answers on its URLs (${#originals[@]})"

start=$(now)
out=$(x --yes worktree rm bench 2>&1) || { echo "$out" >&2; exit 1; }
printf '  %-52s %6s s\n' "worktree rm" "$(since "$start")"
left=$(docker ps -aq --filter "label=com.docker.compose.project=${project}_bench"; docker volume ls -q --filter "label=com.docker.compose.project=${project}_bench"; docker network ls -q --filter "label=com.docker.compose.project=${project}_bench")
[[ -z $left && ! -e $folder ]] && echo "  nothing of the worktree is left" || { echo "left behind: $left" >&2; exit 1; }
