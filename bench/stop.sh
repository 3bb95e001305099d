#!/usr/bin/env bash
# Benchmark: how long a stop takes, service by service, on the shipped stack
# while it runs. Ours: `xtask restart SERVICE` with the compose files as
# shipped (Postgres stopped by SIGINT, the Python servers under the
# engine's init). Baseline: the same services as they were before, the
# server at PID 1 (`init: false`, SIGTERM), restarted by `docker compose
# restart`. Prints each median and the ratio.
#
# usage: bench/stop.sh ROOT [RUNS]
#   ROOT  an environment of the shipped stack, up (`cargo xtask start`, or
#         `KEEP=1 offline/cold-start MIRRORS WORKDIR`, then WORKDIR/stack)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
root=$(cd "${1:?usage: bench/stop.sh ROOT [RUNS]}" && pwd)
runs=${2:-3}
services=(portal erpserver db)

(cd "$repo" && cargo build --release --quiet -p xtask)
xtask="$repo/target/release/xtask"
cd "$root"

baseline=$(mktemp --suffix=.yml)
trap 'rm -f "$baseline"' EXIT
{
  echo "services:"
  for service in "${services[@]}"; do
    printf '  %s:\n    init: false\n    stop_signal: SIGTERM\n' "$service"
  done
} >"$baseline"
compose=(docker compose -f docker-compose.yml)

seconds() { local start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; echo "$EPOCHREALTIME - $start" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
healthy() {  # waits, bounded, for every service to be up again
  for _ in $(seq 1 240); do
    [[ -z $("${compose[@]}" ps --format '{{.Health}}' "${services[@]}" | grep -v '^healthy$') ]] && return
    sleep 0.5
  done
  echo "bench/stop.sh: the stack did not come back healthy in 120 s" >&2
  exit 1
}

declare -A ours theirs
for service in "${services[@]}"; do
  # Alternating rounds: the same load on both sides.
  o=() t=()
  for _ in $(seq 1 "$runs"); do
    "${compose[@]}" -f "$baseline" up -d --wait "${services[@]}" >/dev/null 2>&1; healthy
    t+=("$(seconds "${compose[@]}" -f "$baseline" restart "$service")"); healthy
    "${compose[@]}" up -d --wait "${services[@]}" >/dev/null 2>&1; healthy
    o+=("$(seconds "$xtask" restart "$service")"); healthy
  done
  ours[$service]=$(median "${o[@]}")
  theirs[$service]=$(median "${t[@]}")
done

printf '%-10s %12s %12s %8s\n' service baseline xtask ratio
for service in "${services[@]}"; do
  printf '%-10s %10.2f s %10.2f s %7.1fx\n' "$service" "${theirs[$service]}" "${ours[$service]}" \
    "$(echo "${theirs[$service]} / ${ours[$service]}" | bc -l)"
done
