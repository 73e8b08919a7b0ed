/*
 * np-net.h - a socket in one call: listen on an address, connect to a host.
 *
 * Given to you from lesson 03 on. It is what you wrote yourself in lesson
 * 01 (open_listener) and lesson 02 (connect_any), once, with one error
 * contract, in the shape of TLPI's inetListen() and inetConnect() and
 * Redis's anetTcpServer() and anetTcpConnect(). Lessons 01 and 02 do not
 * link it: there, the getaddrinfo() loop is your exercise.
 *
 * np.h's contract: each function returns a descriptor (or 0), or -1 with
 * errno set, and prints nothing. getaddrinfo() reports its own error codes,
 * not errno values; they become these: EAI_SYSTEM its errno, EAI_MEMORY
 * ENOMEM, EAI_AGAIN EAGAIN, a host that does not resolve ENXIO ("No such
 * device or address"; np_connect) or an address that is not numeric
 * EADDRNOTAVAIL (np_listen, np_numeric_address), and any other EINVAL.
 * ENXIO because it is not among connect()'s errors (connect(2)), so an
 * EHOSTUNREACH, "No route to host", still means what lesson 02 says.
 */
#ifndef NP_NET_H
#define NP_NET_H

#include <sys/socket.h>

/*
 * A socket of type socktype (SOCK_STREAM, SOCK_DGRAM) bound to the numeric
 * address addr ("127.0.0.1", "::1"; NULL: every address) and the port
 * ("0": the kernel picks one; read it back with getsockname(), or print it
 * with np_print_ready()). A stream socket gets SO_REUSEADDR first (a
 * restarted server binds while old connections linger in TIME_WAIT) and
 * listens with the backlog (SOMAXCONN is the usual choice); a datagram
 * socket is only bound. Every address the pair resolves to is tried in
 * turn; errno is the last one's error when none works.
 */
int np_listen(const char *addr, const char *port, int socktype, int backlog);

/*
 * A socket of type socktype connected to host (a name or a numeric
 * address) and port, trying every address the host resolves to, IPv6 and
 * IPv4, in the order getaddrinfo() gives them. A SOCK_DGRAM socket is
 * "connected" in the datagram sense: send() goes to that peer, recv()
 * takes only its datagrams. errno is the last address's error when none
 * works (ECONNREFUSED: nothing listens there).
 */
int np_connect(const char *host, const char *port, int socktype);

/*
 * The socket address of the numeric host and port (no name lookup), for a
 * socket of type socktype, into *addr and *addrlen. Returns 0, or -1 with
 * errno set (EADDRNOTAVAIL: host is not a numeric address).
 */
int np_numeric_address(const char *host, const char *port, int socktype,
                       struct sockaddr_storage *addr, socklen_t *addrlen);

/*
 * Wait for the next connection on listen_fd (as np_wait_readable() does)
 * and accept it: what lessons 01 and 03 wrote in their serve loops. Returns
 * the connected socket, the peer's address in *peer and its size in
 * *peerlen (both may be NULL), or -1 with errno set: ECANCELED once a stop
 * was asked for (SIGINT, SIGTERM), else accept()'s or the wait's error.
 * When that error is np_starved(), it has already paused, so the caller
 * may call it again at once; log only the first failure of a run.
 */
int np_accept(int listen_fd, struct sockaddr_storage *peer, socklen_t *peerlen);

#endif
