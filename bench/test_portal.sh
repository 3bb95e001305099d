#!/usr/bin/env bash
# Benchmark: `xtask test portal` on a fresh testing project (the run starts
# it, runs the portal's suite and tears it down), with the shipped compose
# files against the same stack as it was before its stop signals were set:
# the Python servers at PID 1 (`init: false`, SIGTERM, which they ignore
# until docker's 10 s timeout) and Postgres stopped by SIGTERM. Both sides
# run the same xtask; only the stop signals differ. Prints the medians of
# alternating rounds, the ratio, and the median of each side's phases.
#
# usage: bench/test_portal.sh ROOT [RUNS]
#   ROOT  an environment of the shipped stack with its repos cloned and its
#         images built (`cargo xtask start`, or `KEEP=1 offline/cold-start
#         MIRRORS WORKDIR`, then WORKDIR/stack). It is not changed: the
#         baseline runs in a copy beside it, removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
root=$(cd "${1:?usage: bench/test_portal.sh ROOT [RUNS]}" && pwd)
runs=${2:-3}

(cd "$repo" && cargo build --release --quiet -p xtask)
xtask="$repo/target/release/xtask"

before=$(mktemp -d "${TMPDIR:-/tmp}/test-portal-before.XXXXXX")
cleanup() {
  (cd "$before" && "$xtask" --env testing --yes down --volumes >/dev/null 2>&1) || true
  rm -rf "$before"
}
trap cleanup EXIT
cp -a "$root/." "$before/"
rm -rf "$before/.xtask"
project=$(sed -n 's/^COMPOSE_PROJECT_NAME=//p' "$root/.env")
sed -i "s/^COMPOSE_PROJECT_NAME=.*/COMPOSE_PROJECT_NAME=${project}before/" "$before/.env"
# The stack before: no init, SIGTERM everywhere.
sed -i -e '/^    init: true$/d' -e 's/^    stop_signal: SIGINT$/    stop_signal: SIGTERM/' \
  "$before/docker-compose.yml"
if grep -q 'init: true\|stop_signal: SIGINT' "$before/docker-compose.yml"; then
  echo "bench/test_portal.sh: could not make the baseline's compose file" >&2
  exit 1
fi

seconds() {  # runs "$@" in dir $1, prints its wall time; fails loudly
  local dir=$1 start; shift
  start=$EPOCHREALTIME
  if ! (cd "$dir" && "$@" >"$log" 2>&1 </dev/null); then
    echo "bench/test_portal.sh: \`$*\` failed in $dir:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  echo "$EPOCHREALTIME - $start" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
log=$(mktemp)

ours=() theirs=()
for _ in $(seq 1 "$runs"); do
  theirs+=("$(seconds "$before" "$xtask" test portal)")
  ours+=("$(seconds "$root" "$xtask" test portal)")
done
rm -f "$log"
o=$(median "${ours[@]}")
t=$(median "${theirs[@]}")
printf '%-34s %10s\n' case "median (s)"
printf '%-34s %10.2f\n' "before (PID 1, SIGTERM)" "$t"
printf '%-34s %10.2f\n' "xtask test portal (as shipped)" "$o"
printf 'ratio: %.2fx faster (runs: before %s; after %s)\n' "$(echo "$t / $o" | bc -l)" \
  "${theirs[*]}" "${ours[*]}"
