#!/usr/bin/env bash
# Benchmark: startup of a command typed all day. `xtask --list` on a
# tasks.toml with 200 tasks and a no-op task, against `just --list` and a
# no-op recipe on the equivalent justfile, and the no-op against `make -s`
# on a one-rule Makefile, side by side; plus what the cargo alias (`cargo
# xtask`) adds on top of the binary. Targets: the no-op at most 1.25x
# `make -s`, `--list` at most `just --list`. Needs hyperfine and make (apt,
# installed when missing) and installs just from crates.io into bench/out
# (the benchmark's cache folder, ignored by git) for the benchmark only.
#
# usage: bench/startup.sh [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$here/out"
runs=${1:-50}
mkdir -p "$out"

for tool in hyperfine make; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
if [[ ! -x $out/just/bin/just ]]; then
  echo "installing just into bench/out/just (benchmark only)" >&2
  cargo install --quiet --locked just --root "$out/just"
fi
just="$out/just/bin/just"
(cd "$root" && cargo build --release --quiet -p xtask)
xtask="$root/target/release/xtask"

env="$out/startup-env"
rm -rf "$env" && mkdir -p "$env"
{
  for i in $(seq 1 200); do
    printf '[tasks.task%03d]\ndescription = "Task number %d"\nrun = "true"\n\n' "$i" "$i"
  done
  printf '[tasks.noop]\ndescription = "Does nothing"\nrun = ["true"]\n'
} > "$env/tasks.toml"
{
  for i in $(seq 1 200); do
    printf '# Task number %d\ntask%03d:\n    true\n\n' "$i" "$i"
  done
  printf '# Does nothing\nnoop:\n    true\n'
} > "$env/justfile"
printf 'noop:\n\t@true\n' > "$env/Makefile"

json="$out/startup.json"
# From the repository root, so that `cargo xtask` (the alias) resolves.
cd "$root"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$json" \
  -n "xtask --list" "$xtask -C $env --list" \
  -n "just --list" "$just --justfile $env/justfile --list" \
  -n "xtask noop" "$xtask -C $env noop" \
  -n "just noop" "$just --justfile $env/justfile noop" \
  -n "make -s noop" "make -s -C $env noop" \
  -n "cargo xtask --list" "cargo xtask -C $env --list" >/dev/null

python3 - "$json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda name: results[name]["median"] * 1000
print("\n| command | median (ms) | min (ms) |")
print("|---|---|---|")
for name, r in results.items():
    print(f"| {name} | {r['median']*1000:.2f} | {r['min']*1000:.2f} |")
print("\n| comparison | ratio (xtask / other) | target |")
print("|---|---|---|")
print(f"| --list, 200 tasks | {ms('xtask --list') / ms('just --list'):.2f}x | <= 1.0x |")
print(f"| no-op task | {ms('xtask noop') / ms('just noop'):.2f}x | |")
print(f"| no-op task vs make -s | {ms('xtask noop') / ms('make -s noop'):.2f}x | <= 1.25x |")
if "cargo xtask --list" in results:
    print(f"\n`cargo xtask --list` adds {ms('cargo xtask --list') - ms('xtask --list'):.1f} ms on top of the binary (cargo's own startup and freshness check).")
PY
