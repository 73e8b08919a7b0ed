/*
 * sockserver.c - lesson 05: Python's socketserver, rebuilt in C.
 *
 * The life cycle is BaseServer's: serve_forever() waits for a request,
 * get_request() takes it, verify_request() may refuse it, process_request()
 * serves it (here, in a thread or in a child: the mix-ins), finish_request()
 * runs the handler, shutdown_request() ends it. Each transport overrides a
 * few of these methods; the tables at the end of the file inherit the way
 * Python's classes do. See sockserver.h for the interface.
 *
 * Signals: this library installs no handler and changes no disposition. A
 * program that serves streams must ignore SIGPIPE (np_ignore_sigpipe()):
 * otherwise one client that leaves while its handler writes kills the whole
 * server. A call interrupted by a signal (EINTR) is retried, or, for
 * accept() and recvfrom(), counts as "no request this time".
 */
#include "sockserver.h"

#include "np.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Enough for "HOST:PORT" and for any Unix socket path. */
#define CLIENTSTRLEN (NP_ADDRSTRLEN + sizeof(struct sockaddr_un))

static void handle_request_noblock(struct ss_server *s);

/* Seconds as a poll() timeout in ms: < 0 is forever; rounded up, so that a
 * wait is never shorter than asked. */
static int to_ms(double seconds)
{
	double ms = seconds * 1000.0;
	int whole;

	if (seconds < 0)
		return -1;
	if (ms >= INT_MAX)
		return INT_MAX;
	whole = (int)ms;
	return whole < ms ? whole + 1 : whole;
}

/* Now, in seconds, on a clock that never jumps. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The poll() timeout that ends at deadline (0 once it has passed). */
static int ms_left(double deadline)
{
	double left = deadline - now();

	return left > 0 ? to_ms(left) : 0;
}

char *ss_format_client(const struct ss_request *req, char *buf, size_t len)
{
	const struct sockaddr *sa = (const struct sockaddr *)&req->client;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&req->client;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	int n;

	if (req->clientlen < sizeof sa->sa_family) {
		snprintf(buf, len, "(unknown)");
	} else if (sa->sa_family == AF_UNIX) {
		/* A client that did not bind has no name: a length of just
		 * the family. The path need not end with a NUL. */
		n = req->clientlen > off ? (int)(req->clientlen - off) : 0;
		if (n == 0 || un->sun_path[0] == '\0')
			snprintf(buf, len, "(unnamed)");
		else
			snprintf(buf, len, "%.*s", n, un->sun_path);
	} else {
		np_format_addr(sa, buf, len);
	}
	return buf;
}

/*
 * BaseServer: the life cycle, but no socket of its own; a transport
 * overrides bind and get_request.
 */
static int base_server_bind(struct ss_server *s)
{
	(void)s;
	errno = ENOTSUP;
	return -1;
}

static int base_server_activate(struct ss_server *s)
{
	(void)s;
	return 0;
}

static int base_get_request(struct ss_server *s, struct ss_request *req)
{
	(void)s;
	(void)req;
	errno = ENOTSUP;
	return -1;
}

static int base_verify_request(struct ss_server *s, struct ss_request *req)
{
	(void)s;
	(void)req;
	return 1;
}

static void base_shutdown_request(struct ss_server *s, struct ss_request *req)
{
	s->ops->close_request(s, req);
}

static void base_close_request(struct ss_server *s, struct ss_request *req)
{
	(void)s;
	(void)req;
}

/* Python prints the traceback; we print whom it was for and errno. */
static void base_handle_error(struct ss_server *s, struct ss_request *req)
{
	char client[CLIENTSTRLEN];
	int err = errno;

	(void)s;
	ss_format_client(req, client, sizeof client);
	if (err != 0)
		fprintf(stderr,
		        "sockserver: error handling request from %s: %s\n",
		        client, strerror(err));
	else
		fprintf(stderr, "sockserver: error handling request from %s\n",
		        client);
}

/*
 * TCPServer.
 */
static int tcp_server_bind(struct ss_server *s)
{
	/* TODO(05.1): If s->allow_reuse_address, set SO_REUSEADDR on s->fd
	 * (a restarted server can bind while old connections linger in
	 * TIME_WAIT); check it. bind() s->fd to s->address (s->addrlen
	 * bytes). Then read the address back with getsockname() into
	 * s->address and s->addrlen: with port 0, the kernel chose the port
	 * and this is the only way to learn it. Return -1 on any failure. */
	(void)s;
	np_todo("05.1");
}

static int tcp_server_activate(struct ss_server *s)
{
	/* TODO(05.1): Start accepting: listen() on s->fd with
	 * s->request_queue_size as the backlog. */
	(void)s;
	np_todo("05.1");
}

/* accept(). EINTR, or ECONNABORTED (the client left before we took it),
 * fail this one request only: serve_forever() goes on. */
static int tcp_get_request(struct ss_server *s, struct ss_request *req)
{
	req->clientlen = sizeof req->client;
	req->fd =
	        accept(s->fd, (struct sockaddr *)&req->client, &req->clientlen);
	return req->fd < 0 ? -1 : 0;
}

/* Send our FIN first, so the client reads EOF after the last byte. */
static void tcp_shutdown_request(struct ss_server *s, struct ss_request *req)
{
	/* ENOTCONN when the client already left: nothing to do then. */
	(void)shutdown(req->fd, SHUT_WR);
	s->ops->close_request(s, req);
}

static void tcp_close_request(struct ss_server *s, struct ss_request *req)
{
	(void)s;
	/* No retry on EINTR: Linux has closed the descriptor anyway. */
	close(req->fd);
	req->fd = -1;
}

/* Close the socket, then what BaseServer does (wait for the mix-ins). */
static void tcp_server_close(struct ss_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	ss_base_server_ops.server_close(s); /* super() */
}

/*
 * serve_forever() and ss_shutdown() share the flag and the "serving" state
 * under the lock; the self-pipe wakes the poll().
 */
static int shutdown_requested(struct ss_server *s)
{
	int requested;

	pthread_mutex_lock(&s->lock);
	requested = s->shutdown_request;
	pthread_mutex_unlock(&s->lock);
	return requested;
}

/* Empty the (non-blocking) wake pipe, so that the next poll() waits. */
static void drain_wake(struct ss_server *s)
{
	char buf[64];
	ssize_t n;

	do
		n = read(s->wake[0], buf, sizeof buf);
	while (n > 0 || (n < 0 && errno == EINTR));
}

/* Mark serve_forever() running or not. Leaving resets the flag, as
 * Python does, and wakes ss_shutdown(), which waits for exactly that. */
static void set_serving(struct ss_server *s, int serving)
{
	pthread_mutex_lock(&s->lock);
	s->serving = serving;
	if (!serving) {
		s->shutdown_request = 0;
		pthread_cond_broadcast(&s->stopped);
	}
	pthread_mutex_unlock(&s->lock);
}

int ss_serve_forever(struct ss_server *s, double poll_interval)
{
	/* TODO(05.2): Python's loop. set_serving(s, 1). Then, while no
	 * shutdown is requested (shutdown_requested()): poll() s->fd and
	 * s->wake[0] for POLLIN, at most poll_interval seconds (to_ms());
	 * EINTR is no error, go round again; another failure ends the loop
	 * with -1. If the pipe woke you, drain_wake(). Check the flag again:
	 * a shutdown wins over a waiting client. If s->fd is readable,
	 * handle_request_noblock(). Then s->ops->service_actions(s). On the
	 * way out, error or not, set_serving(s, 0) (keep errno): it resets
	 * the flag and wakes ss_shutdown(). */
	(void)s;
	(void)poll_interval;
	(void)shutdown_requested;
	(void)drain_wake;
	(void)set_serving;
	(void)handle_request_noblock;
	np_todo("05.2");
}

/* Python's _handle_request_noblock(): the socket is known to be ready. */
static void handle_request_noblock(struct ss_server *s)
{
	/* TODO(05.3): Take one request into a struct ss_request that starts
	 * zeroed, with .server = s and .fd = -1: s->ops->get_request(). If
	 * that fails, return (nothing to close; the loop goes on). If
	 * s->ops->verify_request() says 1, s->ops->process_request() serves
	 * it (and ends it itself); if 0, s->ops->shutdown_request() ends it
	 * at once: the client reads EOF and no handler runs. */
	(void)s;
	np_todo("05.3");
}

/* BaseServer.finish_request(): BaseRequestHandler's setup/handle/finish. */
static void base_finish_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.4): Run s->handler on req. setup (it may be NULL): if it
	 * fails, call s->ops->handle_error() and stop: neither handle nor
	 * finish runs. Otherwise handle(), then finish (may be NULL) whether
	 * handle failed or not; if handle failed, s->ops->handle_error()
	 * after finish, with the errno handle left (set errno to 0 before
	 * each handler call, so a stale errno is never reported). */
	(void)s;
	(void)req;
	np_todo("05.4");
}

/*
 * UDPServer(TCPServer): a request is one datagram; the server's socket is
 * shared by every request, so it is never closed for one.
 */
static int udp_get_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.5): malloc() a buffer of s->max_packet_size bytes (at
	 * least 1) for req->data, and recvfrom() one datagram into it, the
	 * sender's address into req->client and req->clientlen (set it to
	 * sizeof req->client first). On failure (EINTR included: the loop
	 * goes on) free the buffer, leave req->data NULL and return -1,
	 * errno kept. Else req->fd is the server's socket (handlers answer
	 * with sendto() on it) and req->len the datagram's length. */
	(void)s;
	(void)req;
	np_todo("05.5");
}

static void udp_shutdown_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.5): A datagram has no connection to shut down: just
	 * s->ops->close_request(). */
	(void)s;
	(void)req;
	np_todo("05.5");
}

static void udp_close_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.5): Free the packet (req->data = NULL, req->len = 0).
	 * Never close req->fd: it is the server's own socket. */
	(void)s;
	(void)req;
	np_todo("05.5");
}

/*
 * UnixStreamServer(TCPServer) and UnixDatagramServer(UDPServer): the
 * methods of their parents, but the address is a path in the file system.
 */

/* Called by ss_server_init() before anything is created. */
static int unix_address(struct ss_server *s, const char *path)
{
	/* TODO(05.6): Fill s->address as a struct sockaddr_un for path, and
	 * s->addrlen (offsetof(struct sockaddr_un, sun_path) + length + 1).
	 * A path that does not fit sun_path with its NUL fails with
	 * ENAMETOOLONG: never truncate, or you would bind another file. An
	 * empty path fails with EINVAL. */
	(void)s;
	(void)path;
	np_todo("05.6");
}

static int unix_server_bind(struct ss_server *s)
{
	/* TODO(05.6): Bind as the parent does: call
	 * ss_tcp_server_ops.server_bind(s) (super). Only once that worked is
	 * the file ours: then copy its path (the sun_path of s->address)
	 * into s->path, which server_close removes. A failed bind (e.g.
	 * EADDRINUSE: another server's socket) leaves s->path empty, so
	 * that we never delete a file we did not create. */
	(void)s;
	np_todo("05.6");
}

/* Python leaves the socket file behind; a stale file makes the next bind()
 * fail with EADDRINUSE, so we remove it. */
static void unix_server_close(struct ss_server *s)
{
	/* TODO(05.6): Close as the parent does (ss_tcp_server_ops: it is
	 * UDPServer's close too), then unlink() s->path if it is set, and
	 * empty it. */
	(void)s;
	np_todo("05.6");
}

/*
 * ThreadingMixIn: a thread per request. Every request thread is detached;
 * the tracked ones (not daemon_threads, block_on_close) are listed in
 * s->threads while they run and remove themselves when done, so the list
 * holds only running threads and never grows without bound. server_close
 * waits until it is empty. Daemon threads are not waited for: the server
 * and its handler must outlive them, as in Python.
 */
struct request_job {
	struct ss_request req; /* a copy: the loop's own is reused */
	int tracked;           /* listed in s->threads */
};

/* Make room for one more thread in s->threads. Call with the lock held.
 * Returns 0, or an error number. */
static int grow_threads(struct ss_server *s)
{
	size_t cap = s->capthreads > 0 ? 2 * s->capthreads : 8;
	pthread_t *threads;

	if (s->nthreads < s->capthreads)
		return 0;
	threads = realloc(s->threads, cap * sizeof *threads);
	if (threads == NULL)
		return ENOMEM;
	s->threads = threads;
	s->capthreads = cap;
	return 0;
}

/* Take the calling thread off s->threads and wake server_close. */
static void forget_thread(struct ss_server *s)
{
	pthread_t self = pthread_self();
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nthreads; i++)
		if (pthread_equal(s->threads[i], self)) {
			s->threads[i] = s->threads[--s->nthreads];
			break;
		}
	pthread_cond_broadcast(&s->stopped);
	pthread_mutex_unlock(&s->lock);
}

/* The body of a request thread: ThreadingMixIn.process_request_thread. */
static void *request_thread(void *arg)
{
	/* TODO(05.7): arg is a struct request_job. Serve its request as
	 * SS_SYNC does (finish_request, then shutdown_request, through
	 * s->ops), free the job, and if it was tracked, forget_thread().
	 * Keep what you need from the job before you free it. */
	(void)arg;
	(void)forget_thread;
	np_todo("05.7");
}

/* Start a detached request_thread(job). A tracked one is listed under the
 * lock, before it can run far enough to forget itself. Returns 0, or an
 * error number. */
static int start_thread(struct ss_server *s, struct request_job *job)
{
	int tracked = job->tracked, err;
	pthread_t tid, *slot = &tid;
	pthread_attr_t attr;

	err = pthread_attr_init(&attr);
	if (err != 0)
		return err;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&s->lock);
	err = tracked ? grow_threads(s) : 0;
	if (err == 0 && tracked)
		slot = &s->threads[s->nthreads];
	if (err == 0)
		err = pthread_create(slot, &attr, request_thread, job);
	if (err == 0 && tracked)
		s->nthreads++;
	pthread_mutex_unlock(&s->lock);
	pthread_attr_destroy(&attr);
	return err;
}

static void process_threading(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.7): malloc() a struct request_job and copy *req into it:
	 * the loop reuses its own. tracked = !s->daemon_threads &&
	 * s->block_on_close. start_thread(). If either failed, nothing will
	 * serve the request: free the job, set errno, then
	 * s->ops->handle_error() and s->ops->shutdown_request() here. */
	(void)s;
	(void)req;
	(void)start_thread;
	np_todo("05.7");
}

/* server_close's part: wait until every tracked thread has finished. */
static void wait_for_threads(struct ss_server *s)
{
	/* TODO(05.7): Under s->lock, pthread_cond_wait() on s->stopped while
	 * s->nthreads > 0 (each finishing thread broadcasts it). */
	(void)s;
	np_todo("05.7");
}

/*
 * ForkingMixIn: a child process per request; s->children lists the live
 * ones. Only the serving thread touches it.
 */
static void forget_child(struct ss_server *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->nchildren; i++)
		if (s->children[i] == pid) {
			s->children[i] = s->children[--s->nchildren];
			return;
		}
}

/* ForkingMixIn.collect_children(): reap the children that have exited;
 * with blocking, wait for all of them. */
static void collect_children(struct ss_server *s, int blocking)
{
	/* TODO(05.8): First, while s->nchildren >= s->max_children (and is
	 * not 0): waitpid(-1, NULL, 0) waits for any child, one call per
	 * exit. It may reap a child that is not ours: forget_child() ignores
	 * those. EINTR: again; ECHILD: none left at all, nchildren = 0;
	 * another error: stop waiting. Then, for each of our children,
	 * waitpid(pid, NULL, blocking ? 0 : WNOHANG): drop it from the list
	 * when it was reaped (or ECHILD: someone else reaped it); keep it
	 * when it still runs (0) or on another error. */
	(void)s;
	(void)blocking;
	(void)forget_child;
	np_todo("05.8");
}

static void process_forking(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.8): collect_children(s, 0) first: at max_children it waits
	 * until one exits. Make room for one more pid in s->children
	 * (realloc) before fork(), so a child is never lost. fork(): in the
	 * child, s->ops->finish_request(), s->ops->shutdown_request() and
	 * _exit(0) (never return into the server's loop, never exit(): the
	 * parent's atexit handlers and stdio buffers are not the child's).
	 * In the parent, record the pid and s->ops->close_request(): the
	 * child has its own copy of the connection. If realloc or fork
	 * fails: s->ops->handle_error() and s->ops->shutdown_request(). */
	(void)s;
	(void)req;
	np_todo("05.8");
}

/* BaseServer.process_request(), and the mix-ins' versions of it. */
static void base_process_request(struct ss_server *s, struct ss_request *req)
{
	switch (s->mode) {
	case SS_THREADING:
		process_threading(s, req);
		break;
	case SS_FORKING:
		process_forking(s, req);
		break;
	default:
		s->ops->finish_request(s, req);
		s->ops->shutdown_request(s, req);
		break;
	}
}

/* ForkingMixIn reaps its children whenever the server has time. */
static void base_handle_timeout(struct ss_server *s)
{
	if (s->mode == SS_FORKING)
		collect_children(s, 0);
}

static void base_service_actions(struct ss_server *s)
{
	if (s->mode == SS_FORKING)
		collect_children(s, 0);
}

/* The mix-ins' server_close: wait for the threads or children. */
static void base_server_close(struct ss_server *s)
{
	if (s->mode == SS_THREADING)
		wait_for_threads(s);
	if (s->mode == SS_FORKING)
		collect_children(s, s->block_on_close);
}

/* Ask serve_forever() to stop: the flag, and a byte in the wake pipe. */
static void wake_up(struct ss_server *s)
{
	s->shutdown_request = 1;
	/* The pipe is non-blocking: when it is full, a wake-up is waiting. */
	while (write(s->wake[1], "", 1) < 0 && errno == EINTR)
		continue;
}

int ss_handle_request(struct ss_server *s)
{
	/* TODO(05.9): poll() s->fd for POLLIN until the deadline now() +
	 * s->timeout (s->timeout < 0: no deadline, timeout -1). On EINTR,
	 * poll again for what is left of the time (ms_left()), not the
	 * whole timeout again. Failure: -1. Nothing came: call
	 * s->ops->handle_timeout(s). Something came:
	 * handle_request_noblock(). Return 0. */
	(void)s;
	(void)ms_left;
	(void)handle_request_noblock;
	np_todo("05.9");
}

void ss_shutdown(struct ss_server *s)
{
	/* TODO(05.10): Under s->lock: wake_up(s) (the flag and a byte in the
	 * pipe, so the poll() returns at once), then pthread_cond_wait() on
	 * s->stopped while s->serving. When serve_forever() is not running,
	 * return at once: the flag stays set, and the next serve_forever()
	 * stops straight away, as Python's does. */
	(void)s;
	(void)wake_up;
	np_todo("05.10");
}

void ss_request_shutdown(struct ss_server *s)
{
	/* TODO(05.10): From a signal handler: only async-signal-safe calls,
	 * so no lock. wake_up(s), keeping errno as it was (the handler
	 * interrupted code that may be about to read it). */
	(void)s;
	(void)wake_up;
	np_todo("05.10");
}

/*
 * The classes. A table starts from its parent's list of methods and
 * overrides some: in an initializer, C lets a later designator replace an
 * earlier one for the same member (C17 6.7.9), which is inheritance.
 * -Woverride-init warns about exactly that, so it is off for the tables.
 */
#define BASE_SERVER_METHODS                                                    \
	.server_bind = base_server_bind,                                       \
	.server_activate = base_server_activate,                               \
	.get_request = base_get_request,                                       \
	.verify_request = base_verify_request,                                 \
	.process_request = base_process_request,                               \
	.finish_request = base_finish_request,                                 \
	.shutdown_request = base_shutdown_request,                             \
	.close_request = base_close_request,                                   \
	.handle_error = base_handle_error,                                     \
	.handle_timeout = base_handle_timeout,                                 \
	.service_actions = base_service_actions,                               \
	.server_close = base_server_close

#define TCP_SERVER_METHODS                                                     \
	BASE_SERVER_METHODS, .server_bind = tcp_server_bind,                   \
	                     .server_activate = tcp_server_activate,           \
	                     .get_request = tcp_get_request,                   \
	                     .shutdown_request = tcp_shutdown_request,         \
	                     .close_request = tcp_close_request,               \
	                     .server_close = tcp_server_close

#define UDP_SERVER_METHODS                                                     \
	TCP_SERVER_METHODS, .server_activate = base_server_activate,           \
	                    .get_request = udp_get_request,                    \
	                    .shutdown_request = udp_shutdown_request,          \
	                    .close_request = udp_close_request

#define UNIX_SERVER_METHODS                                                    \
	.server_bind = unix_server_bind, .server_close = unix_server_close

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

const struct ss_server_ops ss_base_server_ops = {
        .name = "BaseServer",
        BASE_SERVER_METHODS,
};

const struct ss_server_ops ss_tcp_server_ops = {
        .name = "TCPServer",
        TCP_SERVER_METHODS,
};

const struct ss_server_ops ss_udp_server_ops = {
        .name = "UDPServer",
        UDP_SERVER_METHODS,
};

const struct ss_server_ops ss_unix_stream_server_ops = {
        .name = "UnixStreamServer",
        TCP_SERVER_METHODS,
        UNIX_SERVER_METHODS,
};

const struct ss_server_ops ss_unix_datagram_server_ops = {
        .name = "UnixDatagramServer",
        UDP_SERVER_METHODS,
        UNIX_SERVER_METHODS,
};

#pragma GCC diagnostic pop

/*
 * Python's class attributes address_family and socket_type. A copy of a
 * table keeps its parent's name, so the name finds the transport. An
 * Internet family comes from the address itself (IPv4 or IPv6).
 */
static const struct transport {
	const char *name;
	int family, socktype;
} transports[] = {
        {"BaseServer", AF_UNSPEC, 0},
        {"TCPServer", AF_UNSPEC, SOCK_STREAM},
        {"UDPServer", AF_UNSPEC, SOCK_DGRAM},
        {"UnixStreamServer", AF_UNIX, SOCK_STREAM},
        {"UnixDatagramServer", AF_UNIX, SOCK_DGRAM},
};

static const struct transport *transport_of(const struct ss_server_ops *ops)
{
	size_t i;

	if (ops == NULL || ops->name == NULL)
		return NULL;
	for (i = 0; i < sizeof transports / sizeof transports[0]; i++)
		if (strcmp(ops->name, transports[i].name) == 0)
			return &transports[i];
	return NULL;
}

/* The numeric host and port into s->address; s->family from it. */
static int inet_address(struct ss_server *s, const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = s->socktype;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_MEMORY)
		errno = ENOMEM;
	else if (rc != 0 && rc != EAI_SYSTEM)
		errno = EINVAL; /* EAI_NONAME: not a numeric address or port */
	if (rc != 0)
		return -1;
	/* A numeric host has exactly one address: the first is it. */
	memcpy(&s->address, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	s->family = res->ai_family;
	freeaddrinfo(res);
	return 0;
}

/* The lock and the condition. Returns 0, or -1 with nothing left. */
static int init_lock(struct ss_server *s)
{
	int err = pthread_mutex_init(&s->lock, NULL);

	if (err == 0) {
		err = pthread_cond_init(&s->stopped, NULL);
		if (err != 0)
			pthread_mutex_destroy(&s->lock);
	}
	errno = err;
	return err == 0 ? 0 : -1;
}

/* The wake pipe, non-blocking: the signal-safe waker must never block. */
static int open_wake_pipe(struct ss_server *s)
{
	int i;

	if (pipe(s->wake) < 0) {
		s->wake[0] = s->wake[1] = -1;
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (np_set_nonblocking(s->wake[i]) < 0 ||
		    fcntl(s->wake[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1; /* the caller closes it */
	return 0;
}

/* The server's socket, for the family and type init found. */
static int open_socket(struct ss_server *s)
{
	if (s->socktype == 0)
		return 0; /* BaseServer: no socket of its own */
	s->fd = socket(s->family, s->socktype, 0);
	if (s->fd < 0)
		return -1;
	return fcntl(s->fd, F_SETFD, FD_CLOEXEC);
}

static void set_defaults(struct ss_server *s, const struct ss_server_ops *ops,
                         const struct ss_handler *handler, enum ss_mode mode)
{
	memset(s, 0, sizeof *s);
	s->ops = ops;
	s->handler = handler;
	s->mode = mode;
	s->fd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->request_queue_size = SOMAXCONN;
	s->timeout = -1;
	s->max_packet_size = 8192;
	s->block_on_close = 1;
	s->max_children = 40;
}

int ss_server_init(struct ss_server *s, const struct ss_server_ops *ops,
                   const char *host, const char *port,
                   const struct ss_handler *handler, enum ss_mode mode)
{
	const struct transport *t = transport_of(ops);
	int rc = 0, saved;

	set_defaults(s, ops, handler, mode);
	if (t == NULL || handler == NULL || handler->handle == NULL ||
	    (t->family == AF_UNIX && host == NULL)) {
		errno = EINVAL;
		return -1;
	}
	s->family = t->family;
	s->socktype = t->socktype;
	s->allow_reuse_address =
	        t->family != AF_UNIX && t->socktype == SOCK_STREAM;
	/* The address first: a bad one fails before anything exists. */
	if (t->family == AF_UNIX)
		rc = unix_address(s, host);
	else if (t->socktype != 0)
		rc = inet_address(s, host, port);
	if (rc < 0 || init_lock(s) < 0)
		return -1;
	/* As Python's constructor: bind and activate, or close it all. */
	if (open_wake_pipe(s) < 0 || open_socket(s) < 0 ||
	    ops->server_bind(s) < 0 || ops->server_activate(s) < 0) {
		saved = errno;
		ss_server_close(s);
		errno = saved;
		return -1;
	}
	return 0;
}

void ss_server_close(struct ss_server *s)
{
	s->ops->server_close(s);
	free(s->threads);
	free(s->children);
	s->threads = NULL;
	s->children = NULL;
	s->nthreads = s->capthreads = s->nchildren = 0;
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	s->wake[0] = s->wake[1] = -1;
	pthread_cond_destroy(&s->stopped);
	pthread_mutex_destroy(&s->lock);
}
