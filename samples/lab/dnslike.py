#!/usr/bin/env python3
"""DNS-like UDP exchange for the mtuscope lab matrix: small queries, answers
of the size the query asks for (large EDNS-style answers get fragmented by the
answering kernel itself when they exceed its interface MTU).

  dnslike.py server PORT
  dnslike.py client HOST PORT SIZES GAP

SIZES is a comma-separated list of answer sizes (UDP payload bytes).  The
client sends one query per size, GAP seconds apart; a query without an answer
within 1 s is repeated, at most twice (as a stub resolver does).  It prints
"dns ok N/M" (answers received / queries) and exits 0 only when all came.
"""
import socket
import sys
import time


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    sys.stderr.write("dnslike: listening on [::]:%d\n" % port)
    sys.stderr.flush()
    while True:
        data, peer = s.recvfrom(512)
        try:
            qid, size = data.decode().split()[:2]
            size = max(16, min(int(size), 65000))
        except ValueError:
            continue
        head = ("A %s %d " % (qid, size)).encode()
        s.sendto(head + b"x" * (size - len(head)), peer)


def client(host, port, sizes, gap):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    ok = 0
    for i, size in enumerate(sizes):
        q = ("%d %d" % (i, size)).encode()
        for _ in range(3):
            s.sendto(q, (host, port))
            deadline = time.time() + 1.0
            got = False
            while time.time() < deadline:
                try:
                    data, _ = s.recvfrom(65535)
                except socket.timeout:
                    break
                if data.startswith(("A %d " % i).encode()):
                    got = True
                    break
            if got:
                ok += 1
                break
        time.sleep(gap)
    print("dns ok %d/%d" % (ok, len(sizes)))
    return 0 if ok == len(sizes) else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 6 and sys.argv[1] == "client":
        sys.exit(client(sys.argv[2], int(sys.argv[3]),
                        [int(x) for x in sys.argv[4].split(",") if x], float(sys.argv[5])))
    else:
        sys.exit(__doc__)
