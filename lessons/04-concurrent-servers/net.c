/*
 * net.c - see net.h.
 */
#include "lines.h"
#include "net.h"
#include "np-net.h"
#include "np.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The largest -m: far beyond what one process may hold open by default. */
#define MAX_CLIENTS_LIMIT 1000000

/* The usage into args->text, after the len bytes already there. */
static void format_usage(struct server_args *args, size_t len)
{
	int limits = args->max_clients > 0;

	snprintf(args->text + len, sizeof args->text - len,
	         "usage: %s [-a ADDR] [-p PORT]%s%s\n%s\n"
	         "  -a ADDR     address to listen on (default 127.0.0.1; ::1 "
	         "for IPv6)\n"
	         "  -p PORT     port (default %s; 0: any free port)\n"
	         "%s",
	         np_progname, args->takes_e ? " [-e]" : "",
	         limits ? " [-i SECONDS] [-m N]" : "", args->about,
	         DEFAULT_PORT,
	         args->takes_e ? "  -e          echo each line instead of "
	                         "asking the operator\n"
	                       : "");
	len = strnlen(args->text, sizeof args->text);
	if (limits)
		snprintf(args->text + len, sizeof args->text - len,
		         "  -i SECONDS  close a client that sends nothing and "
		         "takes nothing\n"
		         "              for that long (1..3600; default %d: "
		         "generous, not off, since\n"
		         "              a peer that vanished without a word "
		         "never speaks again)\n"
		         "  -m N        serve at most N clients at once; the "
		         "next ones wait in the\n"
		         "              listen backlog, unanswered, until one "
		         "leaves (default %ld)\n",
		         DEFAULT_IDLE_S, args->max_clients);
	len = strnlen(args->text, sizeof args->text);
	snprintf(args->text + len, sizeof args->text - len,
	         "Lines end with \\n and hold at most %d bytes; a longer one "
	         "closes its connection.\n",
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
	const char *opts = args->max_clients > 0 ? "a:p:i:m:h" : "a:p:h";
	uint16_t port;
	int opt;

	if (args->takes_e)
		opts = args->max_clients > 0 ? "a:p:i:m:eh" : "a:p:eh";
	args->addr = "127.0.0.1";
	args->port = DEFAULT_PORT;
	args->echo = 0;
	args->idle_s = DEFAULT_IDLE_S;
	while ((opt = getopt(argc, argv, opts)) != -1) {
		switch (opt) {
		case 'a':
			args->addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0)
				return bad_usage(args, "bad port", optarg);
			args->port = optarg;
			break;
		case 'i':
			if (np_parse_seconds(optarg, &args->idle_s) < 0)
				return bad_usage(args, "bad idle time", optarg);
			break;
		case 'm':
			if (np_parse_long(optarg, 1, MAX_CLIENTS_LIMIT,
			                  &args->max_clients) < 0)
				return bad_usage(args, "bad number of clients",
				                 optarg);
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
	int fd, err;

	if (np_catch_signals() < 0)
		return -1;
	fd = np_listen(args->addr, args->port, SOCK_STREAM, SOMAXCONN);
	if (fd >= 0 && np_set_nonblocking(fd) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int accept_client(int listen_fd, char *who, size_t wholen)
{
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd = np_accept(listen_fd, &peer, &peerlen);

	if (fd >= 0)
		np_format_addr((struct sockaddr *)&peer, who, wholen);
	else if (errno == EWOULDBLOCK || errno == ECONNABORTED ||
	         errno == EPROTO || errno == EINTR)
		errno = EAGAIN;
	return fd;
}

int accept_news(int fd, int *starved, char *news, size_t newslen)
{
	int err = errno, was = *starved;

	if (fd >= 0) {
		*starved = 0;
		if (was)
			snprintf(news, newslen, "accepting clients again");
		return was;
	}
	if (err == ECANCELED || err == EAGAIN || (was && np_starved(err)))
		return 0;
	*starved = np_starved(err);
	if (*starved)
		snprintf(news, newslen,
		         "accept: %s (retried every %d ms; said once)",
		         strerror(err), NP_ACCEPT_PAUSE_MS);
	else
		snprintf(news, newslen, "accept: %s", strerror(err));
	errno = err;
	return 1;
}
