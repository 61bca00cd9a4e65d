#!/usr/bin/env python3
"""SSH-like interactive flow for the mtuscope lab: small request/response
messages over one TCP connection (keystrokes and short replies).

  echo.py server PORT
  echo.py client HOST PORT COUNT INTERVAL

The client sends COUNT messages of 36..200 bytes, INTERVAL seconds apart,
and waits (5 s at most) for each echo.  It prints "echo ok N/COUNT" and exits
0 only when every message came back.
"""
import socket
import sys
import threading
import time


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(8)
    sys.stderr.write("echo: listening on [::]:%d\n" % port)
    sys.stderr.flush()

    def one(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            while True:
                data = c.recv(4096)
                if not data:
                    return
                c.sendall(data)

    while True:
        c, _ = s.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def client(host, port, count, interval):
    ok = 0
    t0 = time.monotonic()
    try:
        c = socket.create_connection((host, port), timeout=5)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(count):
            msg = (b"%04d " % i) + b"k" * (31 + (i * 37) % 165)
            c.sendall(msg)
            got = b""
            while len(got) < len(msg):
                part = c.recv(4096)
                if not part:
                    raise OSError("connection closed")
                got += part
            if got == msg:
                ok += 1
            time.sleep(interval)
        c.close()
    except OSError as e:
        sys.stderr.write("echo: %s\n" % e)
    print("echo ok %d/%d in %.1fs" % (ok, count, time.monotonic() - t0))
    return 0 if ok == count else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 6 and sys.argv[1] == "client":
        sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])))
    else:
        sys.exit(__doc__)
