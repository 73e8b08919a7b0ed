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
	int sock;                 /* the connected socket, -1 if none */
	char peer[NP_ADDRSTRLEN]; /* "HOST:PORT" of the server, for messages */
	int in;                   /* stdin while we copy it, else -1 */
	const char *pending;      /* bytes to send, not sent yet */
	size_t npending;
	int shut;          /* 1 once we half-closed */
	char inbuf[CHUNK]; /* what pending points into for stdin */
};

/*
 * How a step of the conversation went: go on, the server closed (the one
 * good end), or the step that failed, with errno saying why.
 */
enum outcome {
	GO_ON,
	SERVER_CLOSED,
	SHUTDOWN_FAILED,
	WAIT_FAILED, /* ETIMEDOUT: the server was silent for -w seconds */
	RECV_FAILED,
	STDOUT_FAILED,
	SEND_FAILED,
	STDIN_FAILED,
};

/*
 * Connect c->sock to host:port, trying each address the name resolves to
 * in turn, and write the address it reached into c->peer. It reports on
 * stderr each address that failed, and a name that does not resolve: the
 * user sees why it went on to the next one. c->sock stays -1 if none works.
 */
static void connect_any(struct conn *c, const char *host, const char *port)
{
	/* TODO(02.1): Resolve host and port with getaddrinfo(), any family
	 * (a name such as localhost may have an IPv6 and an IPv4 address),
	 * TCP. Connect to each address in turn, a new socket for each,
	 * until one connects: it becomes c->sock, and its address as
	 * np_format_addr() writes it ("[::1]:8089") goes into c->peer.
	 * Report each address that fails with np_warn(), naming it, and a
	 * name that does not resolve (gai_strerror(): getaddrinfo() does not
	 * set errno). None connects: c->sock stays -1. Close every socket
	 * that failed; free the list on every path. */
	/* BEGIN SOLUTION */
	struct addrinfo hints, *res, *ai;
	char addr[NP_ADDRSTRLEN];
	int fd, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		np_warn("%s port %s: %s", host, port, gai_strerror(rc));
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		np_format_addr(ai->ai_addr, addr, sizeof addr);
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			np_warn("socket for %s:", addr);
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			c->sock = fd;
			snprintf(c->peer, sizeof c->peer, "%s", addr);
			break;
		}
		np_warn("connect to %s:", addr);
		close(fd);
	}
	freeaddrinfo(res);
	/* END SOLUTION */
	//: (void)c;
	//: (void)host;
	//: (void)port;
	//: np_todo("02.1");
}

/*
 * Send as much of c->pending as the socket takes now, without blocking.
 * Returns 0, or -1 with errno set.
 */
static int send_pending(struct conn *c)
{
	/* TODO(02.2): The socket is non-blocking: send() takes what fits in
	 * the kernel's buffer and returns how much that was (maybe less
	 * than asked: a short write), or fails with EAGAIN/EWOULDBLOCK when
	 * nothing fits now (not an error: poll() says when to try again).
	 * Retry on EINTR. Move c->pending and c->npending past what was
	 * sent. Any other error (EPIPE: the server closed; ECONNRESET):
	 * return -1, errno as send() set it. */
	/* BEGIN SOLUTION */
	while (c->npending > 0) {
		ssize_t n = send(c->sock, c->pending, c->npending, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -1;
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
 * Returns 0, or -1 with errno set.
 */
static int maybe_half_close(struct conn *c)
{
	/* TODO(02.3): When nothing is pending, the input is finished
	 * (c->in < 0) and we have not done it yet (c->shut), call
	 * shutdown(c->sock, SHUT_WR) and set c->shut. Not close(): that
	 * would also stop us reading the reply. A server that has already
	 * reset the connection makes it fail with ENOTCONN: not this
	 * step's failure, the next receive says what happened. */
	/* BEGIN SOLUTION */
	if (c->shut || c->npending > 0 || c->in >= 0)
		return 0;
	if (shutdown(c->sock, SHUT_WR) < 0 && errno != ENOTCONN)
		return -1;
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
 * Copy what the server sent to stdout. Returns GO_ON, SERVER_CLOSED once
 * it closed (EOF), or RECV_FAILED or STDOUT_FAILED with errno set.
 */
static enum outcome copy_received(struct conn *c)
{
	/* TODO(02.4): recv() once into a buffer. It returns 0 when the
	 * server closed: that is the end (SERVER_CLOSED). EAGAIN/EWOULDBLOCK
	 * or EINTR: nothing now, GO_ON. Other errors (ECONNRESET: the server
	 * reset the connection): RECV_FAILED. Bytes: write every one of them
	 * to stdout with write_all() (if that fails: STDOUT_FAILED), then
	 * GO_ON. errno stays as the failed call set it. */
	/* BEGIN SOLUTION */
	char buf[CHUNK];
	ssize_t n = recv(c->sock, buf, sizeof buf, 0);

	if (n == 0)
		return SERVER_CLOSED;
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return GO_ON;
	if (n < 0)
		return RECV_FAILED;
	if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
		return STDOUT_FAILED;
	return GO_ON;
	/* END SOLUTION */
	//: (void)c;
	//: (void)write_all; /* silences "unused": call it instead */
	//: np_todo("02.4");
}

/* Read the next piece of stdin to send. Returns 0, or -1 with errno set. */
static int fill_pending(struct conn *c)
{
	ssize_t n;

	do
		n = read(c->in, c->inbuf, sizeof c->inbuf);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		c->in = -1; /* end of input: time to half-close */
	c->pending = c->inbuf;
	c->npending = (size_t)n;
	return 0;
}

/*
 * Wait until the socket or stdin has something for us: fill in p[0] (the
 * socket) and p[1] (stdin) and poll() them. Returns 0 when something is
 * ready, or -1 with errno set: ETIMEDOUT when the server stayed silent for
 * wait seconds.
 */
static int wait_for_events(struct conn *c, struct pollfd p[2], int wait)
{
	/* TODO(02.5): p[0] is the socket: events POLLIN always, and POLLOUT
	 * while bytes are pending. p[1] is stdin: fd c->in while nothing is
	 * pending and c->in >= 0, else fd -1 (poll() skips it); events
	 * POLLIN. If we only wait for stdin (nothing pending, c->in >= 0),
	 * wait without limit (timeout -1): the user may take their time.
	 * Otherwise wait at most wait seconds: poll() returning 0 means the
	 * server said nothing for that long: return -1 with errno ETIMEDOUT.
	 * Retry poll() on EINTR. */
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
	if (ready < 0)
		return -1;
	if (ready == 0) {
		errno = ETIMEDOUT;
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
 * Send and receive at the same time until the server closes. Returns
 * SERVER_CLOSED, or the step that failed (errno set).
 */
static enum outcome converse(struct conn *c, int wait)
{
	struct pollfd p[2];
	enum outcome got;

	for (;;) {
		if (maybe_half_close(c) < 0)
			return SHUTDOWN_FAILED;
		if (wait_for_events(c, p, wait) < 0)
			return WAIT_FAILED;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (got = copy_received(c)) != GO_ON)
			return got;
		if ((p[0].revents & POLLOUT) && send_pending(c) < 0)
			return SEND_FAILED;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    fill_pending(c) < 0)
			return STDIN_FAILED;
	}
}

/* Say on stderr which step of the conversation failed, and why (errno). */
static void report(const struct conn *c, enum outcome how, int wait)
{
	switch (how) {
	case SHUTDOWN_FAILED:
		np_warn("shutdown to %s:", c->peer);
		break;
	case WAIT_FAILED:
		if (errno == ETIMEDOUT)
			np_warn("%s: no data for %d s", c->peer, wait);
		else
			np_warn("poll:");
		break;
	case RECV_FAILED:
		np_warn("receive from %s:", c->peer);
		break;
	case STDOUT_FAILED:
		np_warn("writing stdout:");
		break;
	case SEND_FAILED:
		np_warn("send to %s:", c->peer);
		break;
	case STDIN_FAILED:
		np_warn("reading stdin:");
		break;
	default:
		break;
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

/* What the command line asks for. */
struct options {
	const char *host, *port, *message;
	int wait;
};

/*
 * Parse the command line into o. Returns 0 to run, 1 for -h, or -1 when
 * it is wrong, with the reason in why (empty when getopt() said it).
 */
static int parse_options(int argc, char *argv[], struct options *o, char *why,
                         size_t whylen)
{
	uint16_t p;
	int opt;

	*why = '\0';
	while ((opt = getopt(argc, argv, "a:p:w:h")) != -1) {
		switch (opt) {
		case 'a':
			o->host = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &p) < 0 || p == 0) {
				snprintf(why, whylen, "bad port: %s", optarg);
				return -1;
			}
			o->port = optarg;
			break;
		case 'w':
			if (np_parse_seconds(optarg, &o->wait) < 0) {
				snprintf(why, whylen, "bad wait: %s", optarg);
				return -1;
			}
			break;
		case 'h':
			return 1;
		default:
			return -1; /* getopt() said what was wrong */
		}
	}
	if (argc - optind > 1) {
		snprintf(why, whylen, "one MESSAGE at most (quote it)");
		return -1;
	}
	if (optind < argc)
		o->message = argv[optind];
	return 0;
}

/* A conversation that will send message ("-": stdin). NULL: no memory. */
static struct conn *new_conn(const char *message)
{
	struct conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->sock = -1;
	c->in = -1;
	if (strcmp(message, "-") == 0) {
		c->in = STDIN_FILENO;
	} else {
		c->pending = message;
		c->npending = strlen(message);
	}
	return c;
}

int main(int argc, char *argv[])
{
	struct options o = {"localhost", DEFAULT_PORT, "hello", DEFAULT_WAIT};
	char why[128];
	struct conn *c;
	enum outcome end;
	int rc;

	np_progname = "client";
	if ((rc = parse_options(argc, argv, &o, why, sizeof why)) != 0) {
		if (why[0] != '\0')
			np_warn("%s", why);
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (np_ignore_sigpipe() < 0)
		np_die("sigaction:");
	if ((c = new_conn(o.message)) == NULL)
		np_die("calloc:");
	connect_any(c, o.host, o.port);
	if (c->sock < 0) {
		np_warn("could not connect to %s port %s", o.host, o.port);
		free(c);
		return 1;
	}
	if (np_set_nonblocking(c->sock) < 0)
		np_die("fcntl:");
	end = converse(c, o.wait);
	if (end != SERVER_CLOSED)
		report(c, end, o.wait);
	close(c->sock);
	free(c);
	return end == SERVER_CLOSED ? 0 : 1;
}
