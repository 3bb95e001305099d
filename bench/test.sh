#!/usr/bin/env bash
# Benchmark: `xtask test` on the test fixture (tests/fixtures/testing: a
# pytest suite on xtask-test/pydev:1 using a Postgres test database on
# xtask-test/debian:1), ratios printed. Medians of RUNS runs.
#
#   (1) cold `test web --keep` (images built, no container, no volume: up,
#       template made, fresh copy, suite) vs the second `test web --keep`
#       (exec into the kept stack).                      goal: >= 3x faster
#   (2) `test web --keep` against a kept stack vs a plain
#       `docker compose exec -T web pytest ...`.         goal: <= 1.1x
#       xtask also copies the test database fresh and reads the JUnit XML;
#       (2b) is the same for `api`, whose suite has no database: what the
#       wrapper itself costs. (2c) is (2) with a suite of one second
#       (SUITE_SECONDS=1): the same fixed costs against a suite's length.
# xtask only spawns docker compose here, so the debug build is as good as
# the release one (XTASK_BIN overrides).
#
# usage: bench/test.sh [RUNS]     (default 7)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-7}
xtask=${XTASK_BIN:-$root/target/debug/xtask}
[[ -x $xtask ]] || (cd "$root" && cargo build --quiet -p xtask)

work=$(mktemp -d /tmp/xtaskbenchtest.XXXXXX)
cp -r "$root"/tests/fixtures/testing/. "$work"/
x() { "$xtask" -C "$work" "$@"; }
project=$(x --env testing env --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"])')
dc() { docker compose -p "$project" -f "$work/docker-compose.yml" "$@"; }
cleanup() { dc down --volumes --remove-orphans >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
timed() { local start; start=$(now); "$@" >/dev/null 2>&1; python3 -c "print(f'{$(now) - $start:.3f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
plain() {
  dc exec -T -e ENVIRONMENT=testing -e PGHOST=db -e PGUSER=postgres -e PGDATABASE=web_test \
    -e SUITE_SECONDS="${SUITE_SECONDS:-0}" "$1" python3 -m pytest -p no:cacheprovider tests
}

echo "project $project, $runs runs each" >&2
cold=() warm=()
for _ in $(seq "$runs"); do
  x test --down >/dev/null 2>&1
  cold+=("$(timed x test web --keep)")
  warm+=("$(timed x test web --keep)")
done
kept_web=() plain_web=() kept_api=() plain_api=() kept_long=() plain_long=()
x test web api --keep >/dev/null 2>&1
for _ in $(seq "$runs"); do
  kept_web+=("$(timed x test web --keep)")
  plain_web+=("$(timed plain web)")
  kept_api+=("$(timed x test api --keep)")
  plain_api+=("$(timed plain api)")
  kept_long+=("$(SUITE_SECONDS=1 timed x test web --keep)")
  plain_long+=("$(SUITE_SECONDS=1 timed plain web)")
done
cold=$(median "${cold[@]}") warm=$(median "${warm[@]}")
kept_web=$(median "${kept_web[@]}") plain_web=$(median "${plain_web[@]}")
kept_api=$(median "${kept_api[@]}") plain_api=$(median "${plain_api[@]}")
kept_long=$(median "${kept_long[@]}") plain_long=$(median "${plain_long[@]}")

printf '\n%-58s %8s\n' "median of $runs" "seconds"
printf '%-58s %8s\n' "(1) first test web --keep (cold stack, template made)" "$cold"
printf '%-58s %8s\n' "    second test web --keep (kept stack)" "$warm"
printf '%-58s %8s\n' "    speed-up (goal >= 3x)" "$(ratio "$cold" "$warm")x"
printf '%-58s %8s\n' "(2) plain docker compose exec -T web pytest" "$plain_web"
printf '%-58s %8s\n' "    test web --keep (fresh test database, JUnit read)" "$kept_web"
printf '%-58s %8s\n' "    ratio (goal <= 1.1x)" "$(ratio "$kept_web" "$plain_web")x"
printf '%-58s %8s\n' "(2b) plain docker compose exec -T api pytest" "$plain_api"
printf '%-58s %8s\n' "    test api --keep (no database)" "$kept_api"
printf '%-58s %8s\n' "    ratio (goal <= 1.1x)" "$(ratio "$kept_api" "$plain_api")x"
printf '%-58s %8s\n' "(2c) plain docker compose exec -T web pytest, 1 s suite" "$plain_long"
printf '%-58s %8s\n' "    test web --keep, 1 s suite" "$kept_long"
printf '%-58s %8s\n' "    ratio" "$(ratio "$kept_long" "$plain_long")x"
