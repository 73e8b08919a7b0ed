/*
 * sockserver.h - Python's socketserver module, rebuilt in C.
 *
 * Given to you whole; the bodies are the exercise, in one file per branch
 * of the class tree: sockserver-base.c and sockserver-loop.c (BaseServer
 * and its loop), sockserver-inet.c (TCPServer, UDPServer),
 * sockserver-unix.c (the Unix classes) and sockserver-mixins.c (the
 * mix-ins).
 *
 * Python's classes become operation tables, as the Linux kernel's
 * file_operations do: a server is a struct ss_server whose ops point at
 * one table of methods. The tables mirror the class tree of the note:
 *
 *	BaseServer -> TCPServer -> UDPServer
 *	              TCPServer -> UnixStreamServer
 *	              UDPServer -> UnixDatagramServer
 *
 * A table also holds Python's class attributes address_family and
 * socket_type: they, not the class's name, give a server its socket.
 * To override a method, copy a table, replace the slot, and point ops at
 * your copy (it keeps the attributes, and every other method, of the
 * class it copies); to call "super", call the parent table's slot
 * yourself:
 *
 *	static int my_verify(struct ss_server *s, struct ss_request *r)
 *	{
 *		if (!allowed(r))
 *			return 0;
 *		return ss_tcp_server_ops.verify_request(s, r);  // super()
 *	}
 *	static struct ss_server_ops my_ops;    // in main(), before init:
 *	my_ops = ss_tcp_server_ops;            // a copy of the class...
 *	my_ops.verify_request = my_verify;     // ...with one method replaced
 *
 * The mix-ins ThreadingMixIn and ForkingMixIn are a mode (enum ss_mode)
 * that process_request follows.
 *
 * Stopping. ss_shutdown() and ss_request_shutdown() stop serve_forever(),
 * as Python's shutdown() does. The program's stop (np.h: np_stop, set by
 * SIGINT or SIGTERM once np_catch_signals() ran) ends every wait of the
 * library at once: serve_forever() and ss_handle_request() return. A
 * handler that waits with np_wait_fd() ends at once too, in a thread or a
 * forked child (it shares the stop pipe): server_close then has nothing
 * long to wait for.
 *
 * Unless a comment says otherwise, functions returning int return 0 on
 * success and -1 with errno set on failure, and print nothing.
 */
#ifndef SOCKSERVER_H
#define SOCKSERVER_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

struct ss_server;

/*
 * One request: Python's (request, client_address), plus the packet. A
 * datagram longer than max_packet_size is not cut to fit: it is dropped
 * and reported (handle_error, errno EMSGSIZE). The default, 65535 bytes,
 * holds any UDP datagram (65,507 bytes over IPv4, 65,527 over IPv6); a
 * Unix datagram may be longer.
 */
struct ss_request {
	struct ss_server *server;
	int fd; /* stream: the connection; datagram: the server's socket */
	struct sockaddr_storage client; /* the client's address */
	socklen_t clientlen;
	char *data; /* datagram: the packet received (NULL for streams) */
	size_t len; /* its length */
	void *user; /* for the handler, from setup to finish */
};

/*
 * BaseRequestHandler. setup() runs first; if it fails (-1), nothing else
 * of the handler runs. Then handle(); finish() runs after it whether
 * handle() failed or not. A failure of setup() or handle() is reported
 * to the server's handle_error(). setup and finish may be NULL.
 */
struct ss_handler {
	int (*setup)(struct ss_request *req);
	int (*handle)(struct ss_request *req);
	void (*finish)(struct ss_request *req);
};

/* The methods of a server class. */
struct ss_server_ops {
	const char *name; /* "TCPServer", ...: for messages only */
	/*
	 * Python's class attributes: the socket a server of this class gets.
	 * address_family: AF_UNIX (host is a path), or AF_UNSPEC for IPv4 or
	 * IPv6 as the numeric address says (AF_INET or AF_INET6: only that
	 * family, EAFNOSUPPORT otherwise). socket_type: SOCK_STREAM,
	 * SOCK_DGRAM, or 0 for no socket at all (BaseServer).
	 */
	int address_family;
	int socket_type;
	/* Bind s->fd to s->address; then s->address is the real address. */
	int (*server_bind)(struct ss_server *s);
	/* Start accepting: listen() for streams, nothing for datagrams. */
	int (*server_activate)(struct ss_server *s);
	/* Take the next request into req (accept() or recvfrom()). */
	int (*get_request)(struct ss_server *s, struct ss_request *req);
	/* Return 1 to serve req, 0 to refuse it (it is then just closed). */
	int (*verify_request)(struct ss_server *s, struct ss_request *req);
	/* Serve req: in this process (SS_SYNC), a thread or a child. */
	void (*process_request)(struct ss_server *s, struct ss_request *req);
	/* Run the handler on req: setup, handle, finish. */
	void (*finish_request)(struct ss_server *s, struct ss_request *req);
	/* End req: shutdown(SHUT_WR) a connection, then close_request(). */
	void (*shutdown_request)(struct ss_server *s, struct ss_request *req);
	/* Release req: close a connection; free a packet. */
	void (*close_request)(struct ss_server *s, struct ss_request *req);
	/* A request failed: log it on stderr; the server goes on. */
	void (*handle_error)(struct ss_server *s, struct ss_request *req);
	/* handle_request() waited s->timeout seconds for nothing. */
	void (*handle_timeout)(struct ss_server *s);
	/* Called once per loop of serve_forever() (forking: reap children). */
	void (*service_actions)(struct ss_server *s);
	/* Close the socket, wait for threads/children, unlink a Unix path. */
	void (*server_close)(struct ss_server *s);
};

/* BaseServer has no transport: its bind and get_request fail (ENOTSUP). */
extern const struct ss_server_ops ss_base_server_ops;
extern const struct ss_server_ops ss_tcp_server_ops;
extern const struct ss_server_ops ss_udp_server_ops;
extern const struct ss_server_ops ss_unix_stream_server_ops;
extern const struct ss_server_ops ss_unix_datagram_server_ops;

/* The mix-ins: how process_request serves a request. */
enum ss_mode {
	SS_SYNC,      /* in the server's own thread, one at a time */
	SS_THREADING, /* ThreadingMixIn: a thread per request */
	SS_FORKING,   /* ForkingMixIn: a child process per request */
};

struct ss_server {
	/* Set by ss_server_init(); change the tunables before serving. */
	const struct ss_server_ops *ops;
	const struct ss_handler *handler;
	enum ss_mode mode;
	void *user; /* yours */
	int fd;     /* the server's socket */
	int family, socktype;
	struct sockaddr_storage address; /* server_address (real port) */
	socklen_t addrlen;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* Unix */
	int allow_reuse_address; /* TCP: 1 (SO_REUSEADDR), others 0 */
	int request_queue_size;  /* listen() backlog: SOMAXCONN */
	double timeout;          /* handle_request()'s wait; < 0: forever */
	size_t max_packet_size;  /* datagrams: 65535, see below */
	int daemon_threads;      /* threading: 0, threads are joined */
	int block_on_close;      /* wait for threads/children: 1 */
	unsigned max_children;   /* forking: 40 at once; 0: no limit */

	/* Private to the library. */
	volatile sig_atomic_t shutdown_request;
	int wake[2]; /* self-pipe: wakes serve_forever */
	pthread_mutex_t lock;
	pthread_cond_t stopped; /* serve_forever() returned */
	int serving;
	pthread_t *threads; /* non-daemon request threads */
	size_t nthreads, capthreads;
	pid_t *children; /* forking: live children */
	size_t nchildren;
	long long paused_until; /* get_request starved: no request till then */
	long long starved_last; /* its last such failure, for the log (ms) */
};

/*
 * Create a server of class ops (a transport table or your copy of one)
 * and, as Python's constructor does, bind and activate it: on return it
 * accepts requests. Its socket is of ops->address_family and
 * ops->socket_type. For TCP and UDP, host and port give a numeric address
 * ("127.0.0.1", "::1"; anything else fails with EADDRNOTAVAIL) and a port
 * ("0": the kernel picks one; see s->address). For Unix servers, host is
 * the socket's path and port is NULL; a path that does not fit sun_path
 * fails with ENAMETOOLONG. A socket file there that nobody serves (left
 * by a server that died) is replaced; a live server's, or a file that is
 * not a socket, fails with EADDRINUSE and is left alone. No ops, no
 * handler->handle, or a Unix server without a path: EINVAL. On failure
 * nothing is left open.
 */
int ss_server_init(struct ss_server *s, const struct ss_server_ops *ops,
                   const char *host, const char *port,
                   const struct ss_handler *handler, enum ss_mode mode);

/*
 * Handle requests until ss_shutdown() or the program's stop (np_stop):
 * wait for one at most poll_interval seconds, handle it, call
 * service_actions(), and check for a shutdown request in between. No
 * request is taken while max_children children run (forking), nor for
 * NP_ACCEPT_PAUSE_MS after get_request() ran out of descriptors or
 * memory (np_starved(); reported once a run): clients wait in the
 * socket's queue meanwhile. Returns 0 once shut down, -1 on error.
 */
int ss_serve_forever(struct ss_server *s, double poll_interval);

/*
 * Ask serve_forever() to stop and wait until it has. Call it from another
 * thread, never from the thread in serve_forever() (it would wait for
 * itself).
 */
void ss_shutdown(struct ss_server *s);

/*
 * Ask serve_forever() to stop, without waiting: async-signal-safe, for a
 * SIGTERM handler.
 */
void ss_request_shutdown(struct ss_server *s);

/*
 * Handle one request, waiting at most s->timeout seconds (< 0: forever);
 * if none came, call handle_timeout(). The program's stop (np_stop) ends
 * the wait at once, with neither. Returns 0, -1 on error.
 */
int ss_handle_request(struct ss_server *s);

/* Clean up: ops->server_close(), then free what the server holds. */
void ss_server_close(struct ss_server *s);

/* The peer's address as "HOST:PORT" (or the Unix path) into buf. */
char *ss_format_client(const struct ss_request *req, char *buf, size_t len);

#endif
