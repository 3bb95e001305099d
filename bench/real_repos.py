#!/usr/bin/env python3
"""Benchmark: `xtask update` on real histories against `git clone`.

Uses local bare mirrors of public repositories as remotes (tryton/trytond,
20 release branches and ~530 tags; Pylons/webob, ~360 pull refs), served
both as file:// and over git:// on 127.0.0.1 (bench/git_inetd.py), and
measures side by side, medians of --runs:
  (r1) cold clone of trytond pinned to branch 6.0
  (r2) cold clone of webob pinned to tag 1.8.7
  (r3) both at once (xargs -P8 git clone)
  (r4) a pin change of trytond from 6.0 to 6.4 after (r1)
Mirrors are looked for under $XTASK_BENCH_MIRRORS (default /work/.mirror,
as OWNER+NAME/repo); when absent the script says so and exits 0: it is a
tool for developers, never part of CI.

usage: bench/real_repos.py [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repos import GIT_ENV, HERE, OUT, ROOT, Daemon, sh, timed  # noqa: E402

MIRRORS = Path(os.environ.get("XTASK_BENCH_MIRRORS", "/work/.mirror"))
TRYTOND = "tryton+trytond/repo"
WEBOB = "Pylons+webob/repo"


def xtask(env, *args):
    return [str(ROOT / "target" / "release" / "xtask"), "-C", str(env), "-q", "update", *args]


def write_env(env, repos):
    """An environment whose repos.toml holds `repos`: (name, url, pin line)."""
    shutil.rmtree(env, ignore_errors=True)
    env.mkdir(parents=True)
    (env / "tasks.toml").write_text("")
    (env / "repos.toml").write_text('[defaults]\nroot = "src"\n\n' + "".join(
        f'[[repo]]\nname = "{name}"\nurl = "{url}"\n{pin}\n\n' for name, url, pin in repos))


def median_of(runs, prepare, command):
    times = []
    for _ in range(runs):
        prepare()
        times.append(timed(command()))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    missing = [m for m in (TRYTOND, WEBOB) if not (MIRRORS / m).is_dir()]
    if missing:
        print(f"real_repos: no mirror of {', '.join(missing)} under {MIRRORS}; nothing measured "
              "(make one with `git clone --mirror`, or set XTASK_BENCH_MIRRORS)")
        return
    print("building xtask (release)...", file=sys.stderr)
    sh(["cargo", "build", "--release", "--quiet", "-p", "xtask"], cwd=ROOT, env=os.environ)
    work = OUT / "real"
    daemon = Daemon(MIRRORS)
    results = {}
    try:
        for transport, base in [("file://", f"file://{MIRRORS}/"), ("git://", f"git://127.0.0.1:{daemon.port}/")]:
            trytond, webob = base + TRYTOND, base + WEBOB
            row = {}
            git_dir, env = work / "git", work / "env"

            def fresh():
                shutil.rmtree(git_dir, ignore_errors=True)
                git_dir.mkdir(parents=True)

            row["r1 git"] = median_of(args.runs, fresh, lambda: ["git", "clone", "-q", "--branch", "6.0", trytond, str(git_dir / "trytond")])
            row["r1 xtask"] = median_of(args.runs, lambda: write_env(env, [("trytond", trytond, 'branch = "6.0"')]), lambda: xtask(env))
            row["r2 git"] = median_of(args.runs, fresh, lambda: ["sh", "-c", f"git clone -q {webob} {git_dir}/webob && git -C {git_dir}/webob checkout -q 1.8.7"])
            row["r2 xtask"] = median_of(args.runs, lambda: write_env(env, [("webob", webob, 'tag = "1.8.7"')]), lambda: xtask(env))
            both = f"printf '%s\\n' '{trytond} trytond 6.0' '{webob} webob main' | xargs -P8 -L1 sh -c 'git clone -q --branch $2 $0 {git_dir}/$1'"
            row["r3 git"] = median_of(args.runs, fresh, lambda: ["sh", "-c", both])
            row["r3 xtask"] = median_of(args.runs, lambda: write_env(env, [("trytond", trytond, 'branch = "6.0"'), ("webob", webob, "")]), lambda: xtask(env))

            def git_at_60():
                fresh()
                sh(["git", "clone", "-q", "--branch", "6.0", trytond, str(git_dir / "trytond")])

            row["r4 git"] = median_of(args.runs, git_at_60, lambda: ["git", "-C", str(git_dir / "trytond"), "switch", "-q", "6.4"])

            def xtask_at_60():
                write_env(env, [("trytond", trytond, 'branch = "6.0"')])
                sh(xtask(env))
                write_env_keep = (env / "repos.toml").read_text().replace('branch = "6.0"', 'branch = "6.4"')
                (env / "repos.toml").write_text(write_env_keep)

            row["r4 xtask"] = median_of(args.runs, xtask_at_60, lambda: xtask(env))
            results[transport] = row
    finally:
        daemon.stop()

    print(f"\nMedians of {args.runs} runs, seconds; git: "
          f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}; cores: {os.cpu_count()}\n")
    cases = [("r1", "trytond 6.0, cold clone"), ("r2", "webob tag 1.8.7, cold clone"),
             ("r3", "both at once (git: xargs -P8)"), ("r4", "trytond pin 6.0 -> 6.4")]
    print("| case | remote | git | xtask | git / xtask |")
    print("|---|---|---|---|---|")
    for transport, row in results.items():
        for key, label in cases:
            g, x = row[f"{key} git"], row[f"{key} xtask"]
            print(f"| {label} | {transport} | {g:.3f} | {x:.3f} | {g / x:.2f}x |")


if __name__ == "__main__":
    main()
