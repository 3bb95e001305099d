#!/usr/bin/env bash
# Benchmark: how the configuration scales (issue 18, class 12). Generated
# files, each timed once; every line should stay well under a second and
# grow linearly (twice the tasks, about twice the time).
#
#   --list with 10,000 and 20,000 tasks        (was 3.3 s and 13.9 s: quadratic)
#   check with 4,000 environments in chains of 50, and one chain of 4,000
#   (refused at once: more than 64 deep)       (was 46 s for the chain)
#
# usage: bench/config_scale.sh     (XTASK_BIN overrides the binary)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
xtask=${XTASK_BIN:-$root/target/debug/xtask}
[[ -x $xtask ]] || (cd "$root" && cargo build --quiet -p xtask)
work=$(mktemp -d /tmp/xtaskbenchscale.XXXXXX)
trap 'rm -rf "$work"' EXIT

timed() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  printf '%-48s %6.3f s\n' "$label" "$(echo "$end - $start" | bc)"
}

for n in 10000 20000; do
  python3 -c "
import sys
for i in range($n):
    print(f'[tasks.t{i}]\nrun = \"echo {i}\"\ndescription = \"task {i}\"')
" > "$work/tasks.toml"
  timed "--list, $n tasks" "$xtask" -C "$work" --list
done

python3 -c "
print('[project]\ndefault_environment = \"e0\"\n')
for i in range(4000):
    print(f'[environments.e{i}]')
    if (i + 1) % 50: print(f'inherits = \"e{i + 1}\"')
" > "$work/tasks.toml"
timed "check, 4000 environments in chains of 50" "$xtask" -C "$work" check

python3 -c "
print('[project]\ndefault_environment = \"e0\"\n')
for i in range(4000):
    print(f'[environments.e{i}]')
    if i + 1 < 4000: print(f'inherits = \"e{i + 1}\"')
" > "$work/tasks.toml"
timed "check, one chain of 4000 (refused)" "$xtask" -C "$work" check
