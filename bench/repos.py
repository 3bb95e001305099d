#!/usr/bin/env python3
"""Benchmark: `xtask update` against how people sync many repos today.

Builds N bare repositories (default 50, ~200 commits and ~300 small files
each) served by `git daemon` on 127.0.0.1, and measures, side by side in one
run, medians of:
  (a) a cold clone of all repos
  (b) a no-op update
  (c) an update after 5 new commits in every remote
  (d) a no-op update through a loopback proxy that delays every chunk 25 ms
      each way (50 ms round trip; this kernel has no netem)
for: a sequential loop of git clone / git pull --ff-only, the same loop
through xargs -P8, vcstool (2 and 8 workers), and xtask (default jobs, and
--jobs 32). Durability is the same for all: git runs with core.fsync=none
(libgit2 does not fsync by default). The git:// server is git_inetd.py,
not `git daemon` itself, whose accept backlog of 5 drops bursts of SYNs.

usage: bench/repos.py [--repos N] [--runs N] [--cold-runs N] [--quick]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

GIT_ENV = dict(
    os.environ,
    GIT_CONFIG_COUNT="1",
    GIT_CONFIG_KEY_0="core.fsync",
    GIT_CONFIG_VALUE_0="none",
    GIT_TERMINAL_PROMPT="0",
    GIT_AUTHOR_NAME="Bench",
    GIT_AUTHOR_EMAIL="bench@example.com",
    GIT_COMMITTER_NAME="Bench",
    GIT_COMMITTER_EMAIL="bench@example.com",
)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, env=kw.pop("env", GIT_ENV), **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fast_import_stream(commits, files, start_mark=0, parent=None, seed=0):
    """A git fast-import stream: the first commit adds `files` files, each
    later one changes two of them."""
    out = []
    t = 1_700_000_000 + seed
    for i in range(commits):
        mark = start_mark + i + 1
        out.append(f"commit refs/heads/main\nmark :{mark}\n")
        out.append(f"committer Bench <bench@example.com> {t + i} +0000\n")
        msg = f"commit {mark}\n"
        out.append(f"data {len(msg)}\n{msg}")
        if i == 0 and parent:
            out.append(f"from {parent}\n")
        if i == 0 and not parent:
            for f in range(files):
                body = f"file {f} version 0\n" + "x" * 200 + "\n"
                out.append(f"M 644 inline src/dir{f % 20}/file{f}.txt\ndata {len(body)}\n{body}")
        else:
            for f in ((mark * 7) % files, (mark * 13 + 1) % files):
                body = f"file {f} version {mark}\n" + "y" * 200 + "\n"
                out.append(f"M 644 inline src/dir{f % 20}/file{f}.txt\ndata {len(body)}\n{body}")
        out.append("\n")
    return "".join(out)


def build_fixtures(n, commits, files):
    base = OUT / f"remotes-{n}x{commits}x{files}"
    if (base / ".complete").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    for r in range(n):
        repo = base / f"r{r:02}.git"
        sh(["git", "init", "-q", "--bare", "-b", "main", str(repo)])
        stream = fast_import_stream(commits, files, seed=r)
        sh(["git", "-C", str(repo), "fast-import", "--quiet"], input=stream.encode())
        sh(["git", "-C", str(repo), "gc", "-q", "--aggressive"])
    (base / ".complete").write_text("ok\n")
    return base


def add_commits(base, n, count, round_no):
    for r in range(n):
        repo = base / f"r{r:02}.git"
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True, check=True).stdout.strip()
        stream = fast_import_stream(count, 300, start_mark=1000 * (round_no + 1), parent=head, seed=r)
        sh(["git", "-C", str(repo), "fast-import", "--quiet"], input=stream.encode())


class Server:
    """A helper server on 127.0.0.1 that prints "ready" once it listens."""

    def __init__(self, *args):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, *map(str, args[:1]), str(self.port), *map(str, args[1:])],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.proc.stdout.readline()
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def Daemon(base):
    """git:// through git_inetd.py (upload-pack per connection, deep backlog)."""
    return Server(HERE / "git_inetd.py", base)


def Proxy(target, delay_ms):
    """The delaying proxy in front of `target`."""
    return Server(HERE / "delay_proxy.py", target, delay_ms)


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def timed(cmd, **kw):
    """Seconds the command took; a failed run is reported and counts as infinite."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=GIT_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(f"FAILED ({done.returncode}): {' '.join(map(str, cmd))[:200]}\n{done.stderr[-2000:]}", file=sys.stderr)
        return float("inf")
    return elapsed


# Each tool: clone(urls, dest) and update(dest) as shell commands.
def seq_clone(urls, dest):
    lines = "\n".join(f"git clone -q {u} {dest}/{Path(u).stem}" for u in urls)
    return ["sh", "-c", f"set -e\n{lines}"]


def seq_update(urls, dest):
    lines = "\n".join(f"git -C {dest}/{Path(u).stem} pull -q --ff-only" for u in urls)
    return ["sh", "-c", f"set -e\n{lines}"]


def xargs_clone(urls, dest):
    listing = " ".join(urls)
    return ["sh", "-c", f"printf '%s\\n' {listing} | xargs -P8 -I{{}} sh -c 'git clone -q {{}} {dest}/$(basename {{}} .git)'"]


def xargs_update(urls, dest):
    listing = " ".join(f"{dest}/{Path(u).stem}" for u in urls)
    return ["sh", "-c", f"printf '%s\\n' {listing} | xargs -P8 -I{{}} git -C {{}} pull -q --ff-only"]


def vcs_bin():
    venv = OUT / "venv"
    vcs = venv / "bin" / "vcs"
    if not vcs.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
        sh([str(venv / "bin" / "pip"), "install", "-q", "vcstool"])
    return str(vcs)


def vcs_clone(workers):
    def clone(urls, dest):
        repos = {"repositories": {Path(u).stem: {"type": "git", "url": u, "version": "main"} for u in urls}}
        spec = OUT / "vcs-repos.json"
        spec.write_text(json.dumps(repos))
        return ["sh", "-c", f"{vcs_bin()} import --workers {workers} --input {spec} {dest} >/dev/null"]
    return clone


def vcs_update(workers):
    return lambda urls, dest: [vcs_bin(), "pull", "--workers", str(workers), dest]


def xtask_env(dest, urls):
    env = Path(str(dest) + "-env")
    env.mkdir(parents=True, exist_ok=True)
    (env / "tasks.toml").write_text("")
    body = f'[defaults]\nroot = "{dest}"\n\n'
    # root must be relative: put the clones under the env folder itself.
    body = '[defaults]\nroot = "src"\n\n' + "".join(
        f'[[repo]]\nname = "{Path(u).stem}"\nurl = "{u}"\nbranch = "main"\n\n' for u in urls)
    (env / "repos.toml").write_text(body)
    return env


def xtask_tool(extra):
    binary = str(ROOT / "target" / "release" / "xtask")

    def run(urls, dest):
        env = xtask_env(dest, urls)
        return [binary, "-C", str(env), "-q", "update", *extra]
    return run


def median(xs):
    return statistics.median(xs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10 repos, 2 runs: a smoke test of the script")
    args = parser.parse_args()
    if args.quick:
        args.repos, args.runs, args.cold_runs = 10, 2, 1

    print("building xtask (release)...", file=sys.stderr)
    sh(["cargo", "build", "--release", "--quiet", "-p", "xtask"], cwd=ROOT, env=os.environ)
    OUT.mkdir(exist_ok=True)
    base = build_fixtures(args.repos, args.commits, args.files)
    vcs_bin()
    daemon = Daemon(base)
    proxy = Proxy(daemon.port, 25)
    names = [f"r{r:02}.git" for r in range(args.repos)]
    direct = [f"git://127.0.0.1:{daemon.port}/{n}" for n in names]
    delayed = [f"git://127.0.0.1:{proxy.port}/{n}" for n in names]

    tools = {
        "sequential git": (seq_clone, seq_update),
        "xargs -P8 git": (xargs_clone, xargs_update),
        "vcstool (2 workers)": (vcs_clone(2), vcs_update(2)),
        "vcstool (8 workers)": (vcs_clone(8), vcs_update(8)),
        "xtask": (xtask_tool([]), xtask_tool([])),
        "xtask --jobs 32": (xtask_tool(["--jobs", "32"]), xtask_tool(["--jobs", "32"])),
        "xtask (cli transport)": (xtask_tool(["--transport", "cli"]), xtask_tool(["--transport", "cli"])),
    }
    work = OUT / "work"
    results = {tool: {} for tool in tools}
    try:
        print(f"(a) cold clone of {args.repos} repos", file=sys.stderr)
        for tool, (clone, _) in tools.items():
            times = []
            for _ in range(args.cold_runs):
                dest = work / tool.replace(" ", "_").replace("(", "").replace(")", "")
                for d in (dest, Path(str(dest) + "-env")):
                    shutil.rmtree(d, ignore_errors=True)
                dest.mkdir(parents=True)
                if tool.startswith("xtask"):
                    dest = Path(str(dest))
                    cmd = clone(direct, dest)
                    shutil.rmtree(dest, ignore_errors=True)
                else:
                    cmd = clone(direct, dest)
                times.append(timed(cmd))
            results[tool]["a"] = median(times)

        def dest_of(tool):
            d = work / tool.replace(" ", "_").replace("(", "").replace(")", "")
            return Path(str(d) + "-env") / "src" if tool.startswith("xtask") else d

        print("(b) no-op update", file=sys.stderr)
        for tool, (_, update) in tools.items():
            d = work / tool.replace(" ", "_").replace("(", "").replace(")", "")
            results[tool]["b"] = median([timed(update(direct, d)) for _ in range(args.runs)])

        print("(c) update after 5 new commits in every remote", file=sys.stderr)
        times = {tool: [] for tool in tools}
        for round_no in range(args.runs):
            add_commits(base, args.repos, 5, round_no)
            for tool, (_, update) in tools.items():
                d = work / tool.replace(" ", "_").replace("(", "").replace(")", "")
                times[tool].append(timed(update(direct, d)))
        for tool in tools:
            results[tool]["c"] = median(times[tool])

        print("(d) no-op update over a 50 ms round trip", file=sys.stderr)
        for tool, (_, update) in tools.items():
            d = work / tool.replace(" ", "_").replace("(", "").replace(")", "")
            # Everyone's clones point at the proxy now (xtask leaves a changed
            # origin alone unless --reset, so it is moved the same way).
            clones = dest_of(tool)
            for n, u in zip(names, delayed):
                sh(["git", "-C", str(clones / Path(n).stem), "remote", "set-url", "origin", u])
            results[tool]["d"] = median([timed(update(delayed, d)) for _ in range(args.runs)])
    finally:
        proxy.stop()
        daemon.stop()

    cases = [("a", "(a) cold clone"), ("b", "(b) no-op update"), ("c", "(c) +5 commits each"), ("d", "(d) no-op, 50 ms RTT")]
    print(f"\nxtask: {subprocess.run([str(ROOT / 'target/release/xtask'), '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"git: {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}; cores: {os.cpu_count()}")
    print(f"\nMedians in seconds ({args.repos} repos, {args.commits} commits x {args.files} files; "
          f"{args.cold_runs} runs for (a), {args.runs} for the others; git with core.fsync=none):\n")
    header = "| tool | " + " | ".join(c[1] for c in cases) + " |"
    print(header)
    print("|" + "---|" * (len(cases) + 1))
    for tool in tools:
        print(f"| {tool} | " + " | ".join(f"{results[tool][c]:.3f}" for c, _ in cases) + " |")
    peers = [t for t in tools if not t.startswith("xtask")]
    print("\nRatios (peer time / xtask time; > 1 means xtask is faster):\n")
    print("| xtask variant | case | vs xargs -P8 | vs best peer (which) |")
    print("|---|---|---|---|")
    for variant in [t for t in tools if t.startswith("xtask")]:
        for c, label in cases:
            best = min(peers, key=lambda t: results[t][c])
            ours = results[variant][c]
            print(f"| {variant} | {label} | {results['xargs -P8 git'][c] / ours:.2f}x | "
                  f"{results[best][c] / ours:.2f}x ({best}) |")


if __name__ == "__main__":
    main()
