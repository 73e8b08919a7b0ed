#!/usr/bin/env python3
"""tests/bench/threading_echo.py [-p PORT] - lesson 04's Python baseline:
the line-echo protocol of the lesson's servers on the standard library's
socketserver.ThreadingTCPServer (a thread per connection). It prints the
same ready line as they do, "listening on 127.0.0.1:PORT", and exits 0 on
SIGTERM or SIGINT. Lines end with '\\n' and hold at most 65536 bytes; a
longer one closes its connection."""

import argparse
import signal
import socketserver
import sys
import threading

LINE_MAX = 65536


class EchoHandler(socketserver.StreamRequestHandler):
    # wfile unbuffered: each write() goes out at once, no flush needed.
    wbufsize = 0

    def handle(self):
        while True:
            try:
                line = self.rfile.readline(LINE_MAX + 1)
            except OSError:
                return
            if not line:
                return
            if not line.endswith(b"\n"):
                return  # too long, or the client left mid-line
            try:
                self.wfile.write(line)
            except OSError:
                return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    # The default backlog of 5 leaves clients of a 100-connection burst
    # waiting for SYN retries; the C servers use SOMAXCONN.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a client that resets is not worth a traceback


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-p", "--port", type=int, default=8888,
                    help="port (0: any free port)")
    args = ap.parse_args()

    server = Server(("127.0.0.1", args.port), EchoHandler)
    # serve_forever() must run in a thread other than the one that calls
    # shutdown(), which waits for it. Block the stop signals first (every
    # thread started later inherits the mask), serve in a thread, and let
    # the main thread sleep in sigwait() until one of them arrives.
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    worker = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.1}, daemon=True)
    worker.start()
    host, port = server.server_address[:2]
    print(f"listening on {host}:{port}", flush=True)
    signal.sigwait(stop)
    server.shutdown()
    server.server_close()
    # Connection threads are daemons: they end with the process.
    return 0


if __name__ == "__main__":
    sys.exit(main())
