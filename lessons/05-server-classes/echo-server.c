/*
 * echo-server - lesson 05: an echo server on any of sockserver's four
 * transports, in any of its three modes.
 *
 *	echo-server -t tcp|udp|unix|unixgram [-a ADDR] [-p PORT] [-s PATH]
 *	            [-m sync|thread|fork]
 *
 * Streams are echoed back until EOF; each datagram is sent back to its
 * sender. This file is given: the exercise is sockserver.c.
 */
#include "np.h"
#include "sockserver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PORT "8091"
#define DEFAULT_PATH "./echo.sock"
#define IDLE_TIMEOUT 30

static struct ss_server server;

/* Streams: a connection may stay idle this long, then it is closed. */
static int stream_setup(struct ss_request *req)
{
	return np_set_timeouts(req->fd, IDLE_TIMEOUT);
}

/* Streams: send back every byte until the client's EOF. */
static int stream_handle(struct ss_request *req)
{
	char buf[65536];
	ssize_t n;
	size_t off;

	for (;;) {
		n = recv(req->fd, buf, sizeof buf, 0);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (off = 0; off < (size_t)n;) {
			ssize_t w =
			        send(req->fd, buf + off, (size_t)n - off, 0);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			off += (size_t)w;
		}
	}
}

/* Datagrams: one packet back to its sender, boundaries kept. */
static int datagram_handle(struct ss_request *req)
{
	ssize_t n = sendto(req->fd, req->data, req->len, 0,
	                   (struct sockaddr *)&req->client, req->clientlen);

	return n < 0 ? -1 : 0;
}

static const struct ss_handler stream_echo = {stream_setup, stream_handle,
                                              NULL};
static const struct ss_handler datagram_echo = {NULL, datagram_handle, NULL};

static void on_stop(int sig)
{
	(void)sig;
	ss_request_shutdown(&server);
}

static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		np_die("sigaction:");
	if (np_ignore_sigpipe() < 0)
		np_die("sigaction:");
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s -t tcp|udp|unix|unixgram [-a ADDR] [-p PORT] "
	        "[-s PATH]\n"
	        "       [-m sync|thread|fork]\n",
	        np_progname);
	fprintf(out, "  -t    the transport (required)\n");
	fprintf(out,
	        "  -a    tcp/udp: address to listen on (default 127.0.0.1)\n");
	fprintf(out, "  -p    tcp/udp: port (default %s; 0: any free port)\n",
	        DEFAULT_PORT);
	fprintf(out, "  -s    unix/unixgram: socket path (default %s)\n",
	        DEFAULT_PATH);
	fprintf(out, "  -m    sync (default), thread or fork\n");
}

static int bad_usage(const char *what, const char *arg)
{
	np_warn("%s: %s", what, arg);
	usage(stderr);
	return 2;
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

/* Print the ready line: "listening on HOST:PORT" or "listening on PATH". */
static void print_ready(void)
{
	char addr[NP_ADDRSTRLEN];

	if (server.family == AF_UNIX)
		printf("listening on %s\n", server.path);
	else
		printf("listening on %s\n",
		       np_format_addr((struct sockaddr *)&server.address, addr,
		                      sizeof addr));
	if (fflush(stdout) == EOF)
		np_die("writing the ready line:");
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1", *port = DEFAULT_PORT;
	const char *path = DEFAULT_PATH;
	const struct ss_server_ops *ops = NULL;
	enum ss_mode mode = SS_SYNC;
	uint16_t p;
	int opt, rc, is_unix, is_stream;

	np_progname = "echo-server";
	while ((opt = getopt(argc, argv, "t:a:p:s:m:h")) != -1) {
		switch (opt) {
		case 't':
			if ((ops = transport(optarg)) == NULL)
				return bad_usage("unknown transport", optarg);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &p) < 0)
				return bad_usage("bad port", optarg);
			port = optarg;
			break;
		case 's':
			path = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "sync") == 0)
				mode = SS_SYNC;
			else if (strcmp(optarg, "thread") == 0)
				mode = SS_THREADING;
			else if (strcmp(optarg, "fork") == 0)
				mode = SS_FORKING;
			else
				return bad_usage("unknown mode", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (ops == NULL)
		return bad_usage("missing", "-t");
	if (optind != argc)
		return bad_usage("unexpected argument", argv[optind]);

	is_unix = ops == &ss_unix_stream_server_ops ||
	          ops == &ss_unix_datagram_server_ops;
	is_stream =
	        ops == &ss_tcp_server_ops || ops == &ss_unix_stream_server_ops;
	if (ss_server_init(&server, ops, is_unix ? path : addr,
	                   is_unix ? NULL : port,
	                   is_stream ? &stream_echo : &datagram_echo, mode) < 0)
		np_die("%s on %s:", ops->name, is_unix ? path : addr);
	/* Only now: the handler writes to the server's wake pipe. */
	catch_stop_signals();
	print_ready();
	rc = ss_serve_forever(&server, 0.5);
	ss_server_close(&server);
	return rc < 0 ? 1 : 0;
}
