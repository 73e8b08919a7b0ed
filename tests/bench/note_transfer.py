#!/usr/bin/env python3
"""The note's file transfer, corrected: the baseline lesson 03's benchmark
runs where python3 exists. Same frame as the course (4-byte big-endian
length, JSON, payload); CHUNK is the size of every send and recv.

    note_transfer.py recv FILE CHUNK        listen on 127.0.0.1 (port 0),
                                            print the ready line, receive
                                            one put into FILE, exit
    note_transfer.py send FILE PORT CHUNK   put FILE to 127.0.0.1:PORT
"""
import json
import os
import socket
import struct
import sys


def recv_exact(conn, n):
    parts = []
    while n > 0:
        part = conn.recv(n)
        if not part:
            raise EOFError("connection closed early")
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def receive(path, chunk):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    print("listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
    conn, _ = srv.accept()
    (hlen,) = struct.unpack("!I", recv_exact(conn, 4))
    header = json.loads(recv_exact(conn, hlen).decode("utf-8"))
    left = header["filesize"]
    with open(path, "wb") as f:
        while left > 0:
            data = conn.recv(min(chunk, left))
            if not data:
                raise EOFError("connection closed early")
            f.write(data)
            left -= len(data)
        f.flush()
        os.fsync(f.fileno())
    conn.close()
    srv.close()


def send(path, port, chunk):
    size = os.path.getsize(path)
    header = json.dumps({"action": "put", "filename": os.path.basename(path),
                         "filesize": size}).encode("utf-8")
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(struct.pack("!I", len(header)) + header)
    with open(path, "rb") as f:
        while True:
            data = f.read(chunk)
            if not data:
                break
            sock.sendall(data)
    sock.close()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "recv":
        receive(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
