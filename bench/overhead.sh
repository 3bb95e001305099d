#!/usr/bin/env bash
# Benchmark: what xtask costs on top of Compose for the reads typed all
# day. Brings up a small busybox stack under its own project name (ports
# on 127.0.0.1 only, local images, nothing pulled), then times, side by
# side with the release build:
#   xtask ps --json   vs  docker compose -p P ps --format json
#   xtask urls        vs  docker compose -p P ps --format json (urls needs the same facts)
# plus `docker ps` with the project's label filter (what xtask asks the
# engine) as the floor. Prints medians and ratios (goal: <= 1.05x) and
# tears the stack down however the script ends. Uses hyperfine when
# installed (`apt-get install hyperfine`), else (or with
# BENCH_NO_HYPERFINE=1) a loop timed with `date +%s%N`.
#
# usage: bench/overhead.sh [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$here/out"
runs=${1:-30}
mkdir -p "$out"

(cd "$root" && cargo build --release --quiet -p xtask)
xtask="$root/target/release/xtask"

project="xtask-bench-overhead-$$"
env="$out/overhead-env-$$"
mkdir -p "$env"
compose=(docker compose -p "$project" -f "$env/docker-compose.yml")

teardown() {
  "${compose[@]}" down --volumes --remove-orphans --timeout 0 >/dev/null 2>&1 || true
  rm -rf "$env"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat > "$env/docker-compose.yml" <<'YAML'
services:
  web:
    image: xtask-test/busybox:1
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1::8080"]
    stop_signal: SIGKILL
  api:
    image: xtask-test/busybox:1
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8081 -h /www"]
    ports: ["127.0.0.1::8081"]
    stop_signal: SIGKILL
  worker:
    image: xtask-test/busybox:1
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
YAML
printf '[project]\nname = "%s"\ncompose_files = ["docker-compose.yml"]\n' "$project" > "$env/tasks.toml"

"${compose[@]}" up -d --quiet-pull >/dev/null 2>&1 || "${compose[@]}" up -d
# Every container answers before anything is timed.
[[ $("$xtask" -C "$env" ps --json | grep -o '"state": *"running"' | wc -l) -eq 3 ]] \
  || { echo "the stack did not start" >&2; "$xtask" -C "$env" ps >&2; exit 1; }

names=("xtask ps --json" "xtask urls" "docker compose ps --format json" "docker ps (label filter)")
commands=(
  "$xtask -C $env ps --json"
  "$xtask -C $env urls"
  "docker compose -p $project ps --format json"
  "docker ps --all --no-trunc --filter label=com.docker.compose.project=$project --format '{{json .}}'"
)

declare -A median
if command -v hyperfine >/dev/null && [[ -z ${BENCH_NO_HYPERFINE:-} ]]; then
  json="$out/overhead.json"
  args=()
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${commands[$i]}"); done
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$json" "${args[@]}" >/dev/null
  while IFS=$'\t' read -r name ms; do median[$name]=$ms; done < <(python3 - "$json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}\t{r['median'] * 1000:.2f}")
PY
)
  tool="hyperfine -N, $runs runs, 3 warm-up"
else
  for i in "${!names[@]}"; do
    # The command strings are shell words (hyperfine -N splits them the same way).
    for _ in 1 2 3; do eval "${commands[$i]}" >/dev/null; done
    samples=()
    for _ in $(seq 1 "$runs"); do
      start=$(date +%s%N)
      eval "${commands[$i]}" >/dev/null
      samples+=($(( $(date +%s%N) - start )))
    done
    median[${names[$i]}]=$(printf '%s\n' "${samples[@]}" | sort -n \
      | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m / 1e6}')
  done
  tool="date +%s%N loop, $runs runs, 3 warm-up"
fi

echo
echo "3 running containers, project $project; medians ($tool)"
echo
echo "| command | median (ms) |"
echo "|---|---|"
for name in "${names[@]}"; do echo "| $name | ${median[$name]} |"; done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
echo "| comparison | ratio | goal |"
echo "|---|---|---|"
echo "| xtask ps --json / docker compose ps --format json | $(ratio "${median[xtask ps --json]}" "${median[docker compose ps --format json]}") | <= 1.05x |"
echo "| xtask urls / docker compose ps --format json | $(ratio "${median[xtask urls]}" "${median[docker compose ps --format json]}") | <= 1.05x |"
echo "| xtask ps --json / docker ps (floor) | $(ratio "${median[xtask ps --json]}" "${median[docker ps (label filter)]}") | |"
