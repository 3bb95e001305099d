#!/usr/bin/env python3
"""A loopback TCP proxy that delays every chunk by a fixed time in each
direction, preserving order: a stand-in for network latency on a kernel
without netem. Listens on 127.0.0.1 only and forwards to 127.0.0.1 only.

usage: delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS
"""
import asyncio
import sys
import time


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, chunk = await queue.get()
            if chunk is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.create_task(sender())
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            queue.put_nowait((time.monotonic() + delay, chunk))
    except (ConnectionResetError, BrokenPipeError):
        pass
    queue.put_nowait((0, None))
    try:
        await task
    except (ConnectionResetError, BrokenPipeError):
        pass


async def handle(client_reader, client_writer, target_port, delay):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(
        pump(client_reader, server_writer, delay),
        pump(server_reader, client_writer, delay),
    )
    for w in (client_writer, server_writer):
        try:
            w.close()
        except OSError:
            pass


async def main():
    listen_port, target_port, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, target_port, delay_ms / 1000.0), "127.0.0.1", listen_port
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
