#!/usr/bin/env python3
"""Serves git:// on 127.0.0.1 for the benchmark, cheaply: it accepts with a
deep backlog, reads the request line itself and runs `git upload-pack` on
the socket, as `git daemon` does after its fork. `git daemon` itself listens
with a backlog of 5 (a burst of parallel connections loses SYNs and waits
out the kernel's 1 s retransmit), and every process the server spawns runs
on the same 2 cores as the clients being measured: both would measure the
fixture rather than the clients.

usage: git_inetd.py PORT BASE_PATH
"""
import os
import socketserver
import subprocess
import sys


def read_pkt_line(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    length = int(head, 16)
    body = b""
    while len(body) < length - 4:
        chunk = sock.recv(length - 4 - len(body))
        if not chunk:
            return None
        body += chunk
    return body


class GitHandler(socketserver.BaseRequestHandler):
    def handle(self):
        request = read_pkt_line(self.request)
        if not request:
            return
        # "git-upload-pack /r00.git\0host=...\0\0version=2\0"
        command, _, rest = request.partition(b" ")
        path, _, params = rest.partition(b"\0")
        if command != b"git-upload-pack":
            return
        repo = os.path.normpath(os.path.join(BASE, path.decode().lstrip("/")))
        if not repo.startswith(BASE):
            return
        env = dict(os.environ)
        extra = [p.decode() for p in params.split(b"\0\0", 1)[-1].split(b"\0") if p] if b"\0\0" in params else []
        if extra:
            env["GIT_PROTOCOL"] = ":".join(extra)
        fd = self.request.fileno()
        subprocess.run(["git", "upload-pack", "--strict", repo], stdin=fd, stdout=fd,
                       stderr=subprocess.DEVNULL, env=env, check=False)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


if __name__ == "__main__":
    port, BASE = int(sys.argv[1]), os.path.abspath(sys.argv[2])
    with Server(("127.0.0.1", port), GitHandler) as server:
        print("ready", flush=True)
        server.serve_forever()
