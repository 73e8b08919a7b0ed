/*
 * echo-server - lesson 05: an echo server on any of sockserver's four
 * transports, in any of its three modes.
 *
 *	echo-server -t tcp|udp|unix|unixgram [-a ADDR] [-p PORT] [-s PATH]
 *	            [-m sync|thread|fork] [-c CHILDREN]
 *
 * Streams are echoed back until EOF; each datagram is sent back to its
 * sender. This file is given: the exercise is the library, sockserver-*.c.
 */
#include "np.h"
#include "sockserver.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PORT "8091"
#define DEFAULT_PATH "./echo.sock"
#define IDLE_MS      (30 * 1000)

/*
 * Streams: the connection is non-blocking, and every wait goes through
 * np_wait_fd(), which also watches the program's stop. So SIGTERM ends a
 * handler at once, whatever its client does (idle, dribbling, not
 * reading), in the loop's thread, a thread of its own or a child: the
 * server can stop within a second. A connection idle for IDLE_MS (no byte
 * in, or none taken out) is closed.
 */
static int stream_setup(struct ss_request *req)
{
	return np_set_nonblocking(req->fd);
}

/* Wait until fd is ready for events, at most IDLE_MS. Returns 1 when it
 * is, 0 on a stop (SIGINT, SIGTERM), -1 with errno set (ETIMEDOUT). */
static int wait_idle(int fd, short events)
{
	return np_wait_fd(fd, events, np_now_ms() + IDLE_MS);
}

/* Send all len bytes of buf. Returns 1, 0 on a stop, or -1 (errno). */
static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t w;
	int ready;

	while (len > 0) {
		w = send(fd, buf, len, 0);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((ready = wait_idle(fd, POLLOUT)) <= 0)
				return ready;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue; /* send() does not block: the wait checks
			             np_stop */
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 1;
}

/* Streams: send back every byte until the client's EOF, or a stop. */
static int stream_handle(struct ss_request *req)
{
	char buf[65536];
	ssize_t n;
	int ready;

	for (;;) {
		if ((ready = wait_idle(req->fd, POLLIN)) <= 0)
			return ready;
		n = recv(req->fd, buf, sizeof buf, 0);
		if (n == 0)
			return 0;
		if (n < 0 &&
		    (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return -1;
		if ((ready = send_all(req->fd, buf, (size_t)n)) <= 0)
			return ready;
	}
}

/* Datagrams: one packet back to its sender, boundaries kept. Never wait
 * for room: a Unix datagram client that does not read its replies would
 * hold the server in sendto(). Its reply is dropped instead, as a network
 * may drop any datagram. */
static int datagram_handle(struct ss_request *req)
{
	ssize_t n = sendto(req->fd, req->data, req->len, MSG_DONTWAIT,
	                   (struct sockaddr *)&req->client, req->clientlen);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n < 0 ? -1 : 0;
}

static const struct ss_handler stream_echo = {stream_setup, stream_handle,
                                              NULL};
static const struct ss_handler datagram_echo = {NULL, datagram_handle, NULL};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s -t tcp|udp|unix|unixgram [-a ADDR] [-p PORT] "
	        "[-s PATH]\n"
	        "       [-m sync|thread|fork] [-c CHILDREN]\n",
	        np_progname);
	fprintf(out, "  -t    the transport (required)\n");
	fprintf(out,
	        "  -a    tcp/udp: address to listen on (default 127.0.0.1)\n");
	fprintf(out, "  -p    tcp/udp: port (default %s; 0: any free port)\n",
	        DEFAULT_PORT);
	fprintf(out, "  -s    unix/unixgram: socket path (default %s)\n",
	        DEFAULT_PATH);
	fprintf(out, "  -m    sync (default), thread or fork\n");
	fprintf(out,
	        "  -c    fork: at most this many children at once (default "
	        "40);\n        more clients wait in the listen queue\n");
}

/* The transport's class table for -t NAME, or NULL. */
static const struct ss_server_ops *transport(const char *name)
{
	static const struct {
		const char *name;
		const struct ss_server_ops *ops;
	} all[] = {
	        {"tcp", &ss_tcp_server_ops},
	        {"udp", &ss_udp_server_ops},
	        {"unix", &ss_unix_stream_server_ops},
	        {"unixgram", &ss_unix_datagram_server_ops},
	};
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(name, all[i].name) == 0)
			return all[i].ops;
	return NULL;
}

/* The mode for -m NAME into *mode. Returns 0, or -1 if there is none. */
static int mode_of(const char *name, enum ss_mode *mode)
{
	static const char *const names[] = {
	        [SS_SYNC] = "sync",
	        [SS_THREADING] = "thread",
	        [SS_FORKING] = "fork",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0) {
			*mode = (enum ss_mode)i;
			return 0;
		}
	return -1;
}

/* What the command line asks for. */
struct options {
	const struct ss_server_ops *ops; /* -t */
	const char *addr, *port, *path;  /* -a, -p, -s */
	enum ss_mode mode;               /* -m */
	long children;                   /* -c: 0, the library's default */
};

/* Parse the command line into o. Returns 0 to run, 1 for -h, or -1 for a
 * usage error, with its reason in why (empty when getopt() said it). */
static int parse_options(int argc, char *argv[], struct options *o, char *why,
                         size_t len)
{
	uint16_t port;
	int opt;

	*why = '\0';
	while ((opt = getopt(argc, argv, "t:a:p:s:m:c:h")) != -1) {
		switch (opt) {
		case 't':
			if ((o->ops = transport(optarg)) == NULL)
				snprintf(why, len, "unknown transport: %s",
				         optarg);
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0)
				snprintf(why, len, "bad port: %s", optarg);
			o->port = optarg;
			break;
		case 's':
			o->path = optarg;
			break;
		case 'm':
			if (mode_of(optarg, &o->mode) < 0)
				snprintf(why, len, "unknown mode: %s", optarg);
			break;
		case 'c':
			if (np_parse_long(optarg, 1, 100000, &o->children) < 0)
				snprintf(why, len, "bad number of children: %s",
				         optarg);
			break;
		case 'h':
			return 1;
		default:
			return -1; /* getopt() printed why */
		}
		if (why[0] != '\0')
			return -1;
	}
	if (o->ops == NULL)
		snprintf(why, len, "missing: -t");
	else if (optind != argc)
		snprintf(why, len, "unexpected argument: %s", argv[optind]);
	return why[0] != '\0' ? -1 : 0;
}

/* The ready line: "listening on HOST:PORT", or "listening on PATH".
 * Returns 0, or -1 with errno set. */
static int print_ready(const struct ss_server *s)
{
	if (s->family != AF_UNIX)
		return np_print_ready(s->fd);
	printf("listening on %s\n", s->path);
	return fflush(stdout) == EOF ? -1 : 0;
}

int main(int argc, char *argv[])
{
	struct options o = {.addr = "127.0.0.1",
	                    .port = DEFAULT_PORT,
	                    .path = DEFAULT_PATH,
	                    .mode = SS_SYNC};
	struct ss_server server;
	char why[128];
	const char *where, *failed = NULL;
	int is_unix, rc;

	np_progname = "echo-server";
	if ((rc = parse_options(argc, argv, &o, why, sizeof why)) != 0) {
		if (why[0] != '\0')
			np_warn("%s", why);
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	/* The class's attributes say what its address is and how to echo. */
	is_unix = o.ops->address_family == AF_UNIX;
	where = is_unix ? o.path : o.addr;
	if (ss_server_init(&server, o.ops, where, is_unix ? NULL : o.port,
	                   o.ops->socket_type == SOCK_STREAM ? &stream_echo
	                                                     : &datagram_echo,
	                   o.mode) < 0)
		np_die("%s on %s:", o.ops->name, where);
	if (o.children > 0)
		server.max_children = (unsigned)o.children;
	/* SIGINT and SIGTERM set np_stop, which every wait of the library
	 * and of the handlers watches; SIGPIPE is ignored, so a client that
	 * leaves is an EPIPE for its handler, not the end of the server. */
	if (np_catch_signals() < 0)
		failed = "sigaction";
	else if (print_ready(&server) < 0)
		failed = "writing the ready line";
	else if (ss_serve_forever(&server, 0.5) < 0)
		failed = "serve_forever";
	if (failed != NULL)
		np_warn("%s:", failed);
	ss_server_close(&server);
	return failed != NULL ? 1 : 0;
}
