#!/usr/bin/env python3
"""tests/bench/hello_server.py [-p PORT] [-t SECONDS] - lesson 01's Python
baseline: the note's one-at-a-time server, corrected the way the lesson
corrects it, in the plain style a Python programmer would write. It reads
the request head up to the blank line (bounded in size and, per read, in
time), answers with the same bytes as hello-server (head and body in one
sendall), logs one line on stderr, and closes. It prints the same ready
line, "listening on 127.0.0.1:PORT", and exits 0 on SIGTERM or SIGINT."""

import argparse
import signal
import socket
import sys

HEAD_MAX = 8192
BODY = b"<h1>Hello,World</h1>"
OK = (b"HTTP/1.1 200 OK\r\n"
      b"Content-Type: text/html; charset=utf-8\r\n"
      b"Content-Length: %d\r\n"
      b"Connection: close\r\n"
      b"\r\n" % len(BODY)) + BODY


def read_head(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        if len(head) >= HEAD_MAX:
            return None
        piece = conn.recv(HEAD_MAX - len(head))
        if not piece:
            return None
        head += piece
    return head


def serve(sock, timeout):
    while True:
        conn, addr = sock.accept()
        with conn:
            conn.settimeout(timeout)
            try:
                head = read_head(conn)
                if head is None:
                    continue
                conn.sendall(OK)
            except OSError as e:
                print(f"{addr[0]}:{addr[1]} {e}", file=sys.stderr)
                continue
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            print(f'{addr[0]}:{addr[1]} "{line}" 200', file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-p", "--port", type=int, default=8089)
    ap.add_argument("-t", "--timeout", type=float, default=5)
    args = ap.parse_args()

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(socket.SOMAXCONN)
    host, port = sock.getsockname()[:2]
    print(f"listening on {host}:{port}", flush=True)
    serve(sock, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
