/*
 * net.c - see net.h.
 */
#include "lines.h"
#include "net.h"
#include "np-net.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* The usage into args->text, after the len bytes already there. */
static void format_usage(struct server_args *args, size_t len)
{
	snprintf(args->text + len, sizeof args->text - len,
	         "usage: %s [-a ADDR] [-p PORT]%s\n%s\n"
	         "  -a ADDR  address to listen on (default 127.0.0.1; ::1 "
	         "for IPv6)\n"
	         "  -p PORT  port (default %s; 0: any free port)\n"
	         "%s"
	         "Lines end with \\n and hold at most %d bytes; a longer one "
	         "closes its connection.\n",
	         np_progname, args->takes_e ? " [-e]" : "", args->about,
	         DEFAULT_PORT,
	         args->takes_e ? "  -e       echo each line instead of "
	                         "asking the operator\n"
	                       : "",
	         LINE_MAX_LEN);
}

/* A bad command line: why (one line) and the usage into args->text. The
 * argument is quoted up to 200 bytes, so the usage always fits after it. */
static enum server_cmd bad_usage(struct server_args *args, const char *what,
                                 const char *arg)
{
	int n = 0;

	if (what != NULL)
		n = snprintf(args->text, sizeof args->text, "%s: %s: %.200s\n",
		             np_progname, what, arg);
	format_usage(args, n > 0 ? (size_t)n : 0);
	return SERVER_BAD_USAGE;
}

enum server_cmd server_parse(int argc, char *argv[], struct server_args *args)
{
	uint16_t port;
	int opt;

	args->addr = "127.0.0.1";
	args->port = DEFAULT_PORT;
	args->echo = 0;
	while ((opt = getopt(argc, argv, args->takes_e ? "a:p:eh" : "a:p:h")) !=
	       -1) {
		switch (opt) {
		case 'a':
			args->addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0)
				return bad_usage(args, "bad port", optarg);
			args->port = optarg;
			break;
		case 'e':
			args->echo = 1;
			break;
		case 'h':
			format_usage(args, 0);
			return SERVER_HELP;
		default:
			return bad_usage(args, NULL, NULL);
		}
	}
	if (optind != argc)
		return bad_usage(args, "unexpected argument", argv[optind]);
	return SERVER_RUN;
}

int server_listen(const struct server_args *args)
{
	if (np_catch_signals() < 0)
		return -1;
	return np_listen(args->addr, args->port, SOCK_STREAM, SOMAXCONN);
}

int accept_client(int listen_fd, char *who, size_t wholen)
{
	struct sockaddr_storage peer;
	socklen_t peerlen = sizeof peer;
	int fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);

	if (fd >= 0) {
		np_format_addr((struct sockaddr *)&peer, who, wholen);
	} else if (errno == EMFILE || errno == ENFILE) {
		int err = errno;

		poll(NULL, 0, 100);
		errno = err;
	}
	return fd;
}
