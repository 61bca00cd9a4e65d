#!/usr/bin/env python3
"""Tiny HTTP server for the mtuscope lab (samples/lab/run-lab.sh).

GET  /blob            -> BYTES bytes of incompressible data (download test)
PUT  /upload (or POST)-> reads the body, discards it, answers with the count
                         (upload test); the running byte count is written to
                         --progress after every chunk, so a stalled upload
                         still reports how much arrived.

Listens on [::] with IPv6-only off, so one server answers IPv4 and IPv6.
Only the standard library; meant to run inside a network namespace.
"""
import argparse
import http.server
import os
import socket
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    blob = b""
    progress = None

    def log_message(self, fmt, *args):  # keep stderr short and timestamped
        sys.stderr.write("labhttp: %s %s\n" % (self.address_string(), fmt % args))
        sys.stderr.flush()

    def do_GET(self):
        if self.path.split("?")[0] != "/blob":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(self.blob)))
        self.end_headers()
        view = memoryview(self.blob)
        try:
            for off in range(0, len(view), 65536):
                self.wfile.write(view[off:off + 65536])
        except OSError as e:
            self.log_message("download aborted: %s", e)
        self.close_connection = True

    def _record(self, n):
        if self.progress:
            with open(self.progress + ".tmp", "w") as f:
                f.write("%d\n" % n)
            os.replace(self.progress + ".tmp", self.progress)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length", "0"))
        got = 0
        self._record(0)
        try:
            while got < length:
                chunk = self.rfile.read1(min(65536, length - got))
                if not chunk:
                    break
                got += len(chunk)
                self._record(got)
        except OSError as e:
            self.log_message("upload aborted after %d bytes: %s", got, e)
            return
        body = ("received %d bytes\n" % got).encode()
        self.send_response(200 if got == length else 400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    do_POST = do_PUT


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--bytes", type=int, default=2 * 1024 * 1024)
    ap.add_argument("--progress", default=None)
    a = ap.parse_args()
    Handler.blob = os.urandom(a.bytes)
    Handler.progress = a.progress
    srv = Server(("::", a.port), Handler)
    sys.stderr.write("labhttp: listening on [::]:%d, blob %d bytes\n" % (a.port, a.bytes))
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
