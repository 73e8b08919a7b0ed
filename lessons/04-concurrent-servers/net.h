/*
 * net.h - what lesson 04's programs need but the lesson is not about:
 * command lines, a listening socket, a connected socket. Given whole (the
 * same work was lesson 01's and 02's exercise).
 */
#ifndef NET_H
#define NET_H

#include <stdint.h>

#define DEFAULT_PORT 8888

/*
 * A server's start (after main set np_progname): parse "[-a ADDR] [-p PORT]"
 * (and -e when echo is not NULL: *echo becomes 1), catch SIGINT and SIGTERM
 * (np_catch_signals), open the listening socket and print the ready line.
 * -h prints usage (about: one line saying what the server does) and exits
 * 0; a bad command line exits 2; a socket that cannot listen exits 1.
 * Returns the listening socket.
 */
int server_start(int argc, char *argv[], const char *about, int *echo);

/*
 * Connect a TCP socket to host:port, trying every address getaddrinfo()
 * returns (IPv6 included) in order. Returns the socket, or -1 after
 * printing why.
 */
int net_connect(const char *host, const char *port);

/*
 * After accept() failed: say why, and when the process is out of
 * descriptors (EMFILE, ENFILE) pause 100 ms: the connection stays queued,
 * so an accept() at once would fail again, and the loop would spin.
 */
void accept_failed(void);

/* Monotonic time in nanoseconds. */
int64_t now_ns(void);

#endif
