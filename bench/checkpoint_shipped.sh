#!/usr/bin/env bash
# Benchmark: `checkpoint save` and `restore` on the shipped stack (the real
# repositories from local mirrors, the local bases, the demo data of
# `db rebuild --demo`) against the by-hand equivalent:
#
#   save:    `git rev-parse` of branch and HEAD per repo + `db backup`           vs `checkpoint save`
#   restore: `git checkout` per repo + `db restore` of that dump   vs `checkpoint restore`
#            (from trytond on 6.2 and a table added, back to 6.0)
#
# Goal (issue 22): restore of the shipped stack <= 3 s. ROUNDS (default 3)
# alternating rounds, medians. Nothing outside a temp dir is changed;
# KEEP=1 leaves the stack up.
#   bench/checkpoint_shipped.sh MIRRORS [ROUNDS]
# MIRRORS as for offline/cold-start (OWNER/NAME.git or OWNER+NAME/repo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mirrors=$(cd "${1:?usage: bench/checkpoint_shipped.sh MIRRORS [ROUNDS]}" && pwd)
rounds=${2:-3}
xtask=${XTASK_BIN:-$root/target/debug/xtask}
[[ -x $xtask ]] || (cd "$root" && cargo build --quiet -p xtask)
work=$(mktemp -d /tmp/xtaskbenchshipped.XXXXXX)
source "$root/bench/shipped_stack.sh"
copy_shipped_stack "$root" "$mirrors" "$work"
cd "$work"
project=ckptbench$$
x() { "$xtask" "$@"; }
cleanup() {
  [[ ${KEEP:-} == 1 ]] && { echo "kept: $work (project $project)" >&2; return; }
  x --yes down --volumes >/dev/null 2>&1 || true; rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
timed() { local start; start=$(now); "$@" >/dev/null 2>&1; python3 -c "print(f'{$(now) - $start:.2f}')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

start_shipped_stack "$xtask" "$project" 's#^\([A-Z]*_PORT\)=.*#\1=#'
size=$(x db psql -- -At -c "select pg_size_pretty(pg_database_size(current_database()))")
trytond=$work/shared/src/trytond
GIT_CONFIG_GLOBAL=$work/.xtask/gitconfig git -C "$trytond" fetch -q origin 6.2:refs/remotes/origin/6.2
mapfile -t repo_dirs < <(find "$work/shared/src" -mindepth 2 -maxdepth 3 -name .git -printf '%h\n' | sort)
echo "database: $size; ${#repo_dirs[@]} repos" >&2

move_on() {
  git -C "$trytond" switch -q -C 6.2 origin/6.2
  x db psql -- -q -c "create table if not exists bench_later (x int); insert into bench_later values (1)" >/dev/null 2>&1
}
by_hand_save() {
  for d in "${repo_dirs[@]}"; do echo "$d $(git -C "$d" rev-parse --abbrev-ref HEAD) $(git -C "$d" rev-parse HEAD)"; done > "$work/commits"
  x db backup -o "$work/by-hand.dump" --force
}
by_hand_restore() {
  while read -r d branch _; do git -C "$d" checkout -q "$branch"; done < "$work/commits"
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
  [[ $(git -C "$trytond" branch --show-current) == 6.0 ]] || { echo "by hand did not go back to 6.0" >&2; exit 1; }
  move_on
  restore_x+=("$(timed x --yes checkpoint restore "round$round")")
  [[ $(git -C "$trytond" branch --show-current) == 6.0 ]] || { echo "restore did not go back to 6.0" >&2; exit 1; }
done

m_save_hand=$(median "${save_hand[@]}")
m_save_x=$(median "${save_x[@]}")
m_snapshot=$(median "${snapshot_runs[@]}")
m_restore_hand=$(median "${restore_hand[@]}")
m_restore_x=$(median "${restore_x[@]}")
printf '\n%-62s %8s\n' "shipped stack, demo data ($size), ${#repo_dirs[@]} repos (medians of $rounds)" "seconds"
printf '%-62s %8s\n' "by hand: git rev-parse per repo + db backup" "$m_save_hand"
printf '%-62s %8s\n' "checkpoint save" "$m_save_x"
printf '%-62s %8s\n' "  the database snapshot alone (db snapshot)" "$m_snapshot"
printf '%-62s %8s\n' "by hand: git checkout per repo + db restore of the dump" "$m_restore_hand"
printf '%-62s %8s\n' "checkpoint restore (trytond 6.2 -> 6.0, the database back)" "$m_restore_x"
echo
echo "save:    $(ratio "$m_save_hand" "$m_save_x")x faster than by hand; $(python3 -c "print(f'{$m_save_x - $m_snapshot:.2f}')") s beyond the snapshot (goal <= 1 s)"
echo "restore: $(ratio "$m_restore_hand" "$m_restore_x")x faster than by hand (goal <= 3 s: $m_restore_x s)"
