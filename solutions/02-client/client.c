/*
 * client - lesson 02: a small netcat.
 *
 * Connect to HOST:PORT (trying every address the name has), send a message
 * or everything on stdin, tell the server we are done (half-close), and
 * copy every byte it sends to stdout until it closes. Sending and receiving
 * go on at the same time, so a server that answers while we still send
 * (an echo server) cannot deadlock us. See README.md beside this file.
 */
#include "np.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PORT "8089"
#define DEFAULT_WAIT 10
#define CHUNK        65536

/* The state of one conversation with the server. */
struct conn {
	int sock;
	char peer[NP_ADDRSTRLEN]; /* "HOST:PORT" of the server, for messages */
	int in;                   /* stdin while we copy it, else -1 */
	const char *pending;      /* bytes to send, not sent yet */
	size_t npending;
	int shut;          /* 1 once we half-closed */
	char inbuf[CHUNK]; /* what pending points into for stdin */
};

/*
 * Connect to host:port, trying each address the name resolves to in turn.
 * On success, writes the address it reached into peer. Returns the
 * connected socket, or -1 after printing why each address failed.
 */
static int connect_any(const char *host, const char *port, char *peer,
                       size_t peerlen)
{
	/* TODO(02.1): getaddrinfo(host, port) with hints AF_UNSPEC and
	 * SOCK_STREAM: a name such as localhost may have an IPv6 and an IPv4
	 * address. For each result: socket(), connect(). If connect() fails,
	 * report it naming the address (np_format_addr() gives "[::1]:8089"),
	 * e.g. np_warn("connect to %s:", addr), close the socket and try the
	 * next one. Keep the first socket that connects and copy its address
	 * into peer. freeaddrinfo() on every path; getaddrinfo() errors go
	 * through gai_strerror(). */
	/* BEGIN SOLUTION */
	struct addrinfo hints, *res, *ai;
	char addr[NP_ADDRSTRLEN];
	int fd = -1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		np_warn("%s port %s: %s", host, port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		np_format_addr(ai->ai_addr, addr, sizeof addr);
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			np_warn("socket for %s:", addr);
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			snprintf(peer, peerlen, "%s", addr);
			break;
		}
		np_warn("connect to %s:", addr);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
	/* END SOLUTION */
	//: (void)host;
	//: (void)port;
	//: (void)peer;
	//: (void)peerlen;
	//: np_todo("02.1");
}

/*
 * Send as much of c->pending as the socket takes now, without blocking.
 * Returns 0, or -1 after printing the error.
 */
static int send_pending(struct conn *c)
{
	/* TODO(02.2): The socket is non-blocking: send() takes what fits in
	 * the kernel's buffer and returns how much that was (maybe less
	 * than asked: a short write), or fails with EAGAIN/EWOULDBLOCK when
	 * nothing fits now (not an error: poll() says when to try again).
	 * Retry on EINTR. Move c->pending and c->npending past what was
	 * sent. Any other error (EPIPE: the server closed; ECONNRESET):
	 * np_warn() naming c->peer and return -1. */
	/* BEGIN SOLUTION */
	while (c->npending > 0) {
		ssize_t n = send(c->sock, c->pending, c->npending, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			np_warn("send to %s:", c->peer);
			return -1;
		}
		c->pending += n;
		c->npending -= (size_t)n;
	}
	return 0;
	/* END SOLUTION */
	//: (void)c;
	//: np_todo("02.2");
}

/*
 * Tell the server we have nothing more to send, once everything is sent:
 * the server then reads EOF, while we can still read its answer.
 * Returns 0, or -1 after printing the error.
 */
static int maybe_half_close(struct conn *c)
{
	/* TODO(02.3): When nothing is pending, the input is finished
	 * (c->in < 0) and we have not done it yet (c->shut), call
	 * shutdown(c->sock, SHUT_WR) and set c->shut. Not close(): that
	 * would also stop us reading the reply. */
	/* BEGIN SOLUTION */
	if (c->shut || c->npending > 0 || c->in >= 0)
		return 0;
	if (shutdown(c->sock, SHUT_WR) < 0) {
		np_warn("shutdown to %s:", c->peer);
		return -1;
	}
	c->shut = 1;
	return 0;
	/* END SOLUTION */
	//: (void)c;
	//: np_todo("02.3");
}

/* Write all len bytes to fd (stdout). Returns 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copy what the server sent to stdout. Returns 1 to go on, 0 once the
 * server closed (EOF), or -1 after printing the error.
 */
static int copy_received(struct conn *c)
{
	/* TODO(02.4): recv() once into a buffer. It returns 0 when the
	 * server closed: that is the end (return 0). EAGAIN/EWOULDBLOCK or
	 * EINTR: nothing now, return 1. Other errors (ECONNRESET: the server
	 * reset the connection): np_warn() naming c->peer, return -1. Bytes:
	 * write every one of them to stdout with write_all() (a failure
	 * there is an error too), return 1. */
	/* BEGIN SOLUTION */
	char buf[CHUNK];
	ssize_t n = recv(c->sock, buf, sizeof buf, 0);

	if (n == 0)
		return 0;
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 1;
	if (n < 0) {
		np_warn("receive from %s:", c->peer);
		return -1;
	}
	if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
		np_warn("writing stdout:");
		return -1;
	}
	return 1;
	/* END SOLUTION */
	//: (void)c;
	//: (void)write_all; /* silences "unused": call it instead */
	//: np_todo("02.4");
}

/* Read the next piece of stdin to send. Returns 0, or -1 on error. */
static int fill_pending(struct conn *c)
{
	ssize_t n;

	do
		n = read(c->in, c->inbuf, sizeof c->inbuf);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		np_warn("reading stdin:");
		return -1;
	}
	if (n == 0)
		c->in = -1; /* end of input: time to half-close */
	c->pending = c->inbuf;
	c->npending = (size_t)n;
	return 0;
}

/*
 * Wait until the socket or stdin has something for us: fill in p[0] (the
 * socket) and p[1] (stdin) and poll() them. Returns 0 when something is
 * ready, or -1 after printing the error (or that the server stayed silent
 * for wait seconds).
 */
static int wait_for_events(struct conn *c, struct pollfd p[2], int wait)
{
	/* TODO(02.5): p[0] is the socket: events POLLIN always, and POLLOUT
	 * while bytes are pending. p[1] is stdin: fd c->in while nothing is
	 * pending and c->in >= 0, else fd -1 (poll() skips it); events
	 * POLLIN. If we only wait for stdin (nothing pending, c->in >= 0),
	 * wait without limit (timeout -1): the user may take their time.
	 * Otherwise wait at most wait seconds: poll() returning 0 means the
	 * server said nothing for that long: np_warn("%s: no data for %d s",
	 * c->peer, wait) and return -1. Retry poll() on EINTR. */
	/* BEGIN SOLUTION */
	int waiting_for_user = c->npending == 0 && c->in >= 0;
	int ready;

	p[0].fd = c->sock;
	p[0].events = c->npending > 0 ? POLLIN | POLLOUT : POLLIN;
	p[1].fd = waiting_for_user ? c->in : -1;
	p[1].events = POLLIN;
	do
		ready = poll(p, 2, waiting_for_user ? -1 : wait * 1000);
	while (ready < 0 && errno == EINTR);
	if (ready < 0) {
		np_warn("poll:");
		return -1;
	}
	if (ready == 0) {
		np_warn("%s: no data for %d s", c->peer, wait);
		return -1;
	}
	return 0;
	/* END SOLUTION */
	//: (void)c;
	//: (void)p;
	//: (void)wait;
	//: np_todo("02.5");
}

/*
 * Send and receive at the same time until the server closes. Returns 0, or
 * -1 after an error.
 */
static int converse(struct conn *c, int wait)
{
	struct pollfd p[2];
	int rc;

	for (;;) {
		if (maybe_half_close(c) < 0 || wait_for_events(c, p, wait) < 0)
			return -1;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = copy_received(c);
			if (rc <= 0)
				return rc;
		}
		if ((p[0].revents & POLLOUT) && send_pending(c) < 0)
			return -1;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    fill_pending(c) < 0)
			return -1;
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: %s [-a HOST] [-p PORT] [-w SECONDS] [MESSAGE]\n",
	        np_progname);
	fprintf(out,
	        "  -a HOST     server name or address (default localhost)\n");
	fprintf(out, "  -p PORT     server port (default %s)\n", DEFAULT_PORT);
	fprintf(out,
	        "  -w SECONDS  give up when the server is silent that long "
	        "(default %d)\n",
	        DEFAULT_WAIT);
	fprintf(out,
	        "  MESSAGE     what to send (default hello); - sends stdin\n");
	fprintf(out, "  -h          show this help\n");
}

int main(int argc, char *argv[])
{
	const char *host = "localhost", *port = DEFAULT_PORT;
	const char *message = "hello";
	struct conn *c;
	int wait = DEFAULT_WAIT, opt, rc;
	uint16_t p;

	np_progname = "client";
	while ((opt = getopt(argc, argv, "a:p:w:h")) != -1) {
		switch (opt) {
		case 'a':
			host = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &p) < 0 || p == 0) {
				np_warn("bad port: %s", optarg);
				usage(stderr);
				return 2;
			}
			port = optarg;
			break;
		case 'w':
			if (np_parse_seconds(optarg, &wait) < 0) {
				np_warn("bad wait: %s", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		np_warn("one MESSAGE at most (quote it)");
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		message = argv[optind];

	if (np_ignore_sigpipe() < 0)
		np_die("sigaction:");
	c = calloc(1, sizeof *c);
	if (c == NULL)
		np_die("calloc:");
	c->in = -1;
	if (strcmp(message, "-") == 0) {
		c->in = STDIN_FILENO;
	} else {
		c->pending = message;
		c->npending = strlen(message);
	}
	c->sock = connect_any(host, port, c->peer, sizeof c->peer);
	if (c->sock < 0) {
		np_warn("could not connect to %s port %s", host, port);
		free(c);
		return 1;
	}
	if (np_set_nonblocking(c->sock) < 0)
		np_die("fcntl:");
	rc = converse(c, wait);
	close(c->sock);
	free(c);
	return rc == 0 ? 0 : 1;
}
