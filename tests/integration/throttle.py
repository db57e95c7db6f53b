#!/usr/bin/python3
"""A rate-limiting TCP proxy: a slow but alive repository for the tests.

    throttle.py LISTEN_PORT TARGET_PORT BYTES_PER_SECOND

Listens on 127.0.0.1:LISTEN_PORT and relays every connection to 127.0.0.1:TARGET_PORT
untouched (TLS passes through: the client still talks to, and verifies, the server behind).
What the server sends is throttled to BYTES_PER_SECOND for all connections together, the
way a slow link would be; what the client sends (requests) is not. Standard library only.
"""
import socket
import sys
import threading
import time

CHUNK = 16 * 1024


class Limiter:
    """A shared clock of send slots: each chunk reserves len/rate seconds after the last one,
    so connections take turns and none waits longer than a chunk per other connection."""

    def __init__(self, rate):
        self.rate = float(rate)
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def wait(self, n):
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + n / self.rate
        if start > now:
            time.sleep(start - now)


def pipe(src, dst, limiter):
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            if limiter is not None:
                limiter.wait(len(data))
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, target_port, limiter):
    try:
        upstream = socket.create_connection(("127.0.0.1", target_port), timeout=10)
        upstream.settimeout(None)
    except OSError as e:
        print("upstream connection failed: %s" % e, flush=True)
        client.close()
        return
    threading.Thread(target=pipe, args=(client, upstream, None), daemon=True).start()
    pipe(upstream, client, limiter)
    client.close()
    upstream.close()


def main():
    listen_port, target_port, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    limiter = Limiter(rate)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(64)
    print("listening on 127.0.0.1:%d, relaying to 127.0.0.1:%d at %d bytes/s"
          % (listen_port, target_port, rate), flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client, target_port, limiter), daemon=True).start()


if __name__ == "__main__":
    main()
