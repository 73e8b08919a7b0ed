/*
 * chat-client - lesson 04: the note's interactive client, done right. Each
 * line typed on stdin goes to the server; the reply is read as a whole line
 * (however many reads that takes) and printed as "server >>> REPLY".
 * "exit" or the end of stdin ends it. See README.md beside this file.
 */
#include "lines.h"
#include "net.h"
#include "np-net.h"
#include "np.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_WAIT 10

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s [-a HOST] [-p PORT] [-w SECONDS]\n"
	        "Send each line of stdin to a line server and print its "
	        "reply; \"exit\" ends.\n"
	        "  -a HOST     server (default localhost)\n"
	        "  -p PORT     port (default %s)\n"
	        "  -w SECONDS  how long to wait for a reply (default %d)\n",
	        np_progname, DEFAULT_PORT, DEFAULT_WAIT);
}

/*
 * Read the user's next line from stdin: *line and *len (without its '\n').
 * Returns 1, 0 at the end of stdin, or -1 with why (whylen bytes) saying
 * what went wrong (a read error, a line too long).
 */
static int user_line(struct linebuf *in, const char **line, size_t *len,
                     char *why, size_t whylen)
{
	enum line_result res;

	while ((res = line_next(in, line, len)) != LINE_READY) {
		ssize_t n;

		if (res == LINE_TOO_LONG) {
			snprintf(why, whylen, "a line longer than %d bytes",
			         LINE_MAX_LEN);
			return -1;
		}
		if (isatty(STDIN_FILENO)) {
			fputs("send >>> ", stdout);
			fflush(stdout);
		}
		n = line_fill(in, STDIN_FILENO);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			snprintf(why, whylen, "stdin: %s", strerror(errno));
		if (n <= 0)
			return (int)n;
	}
	(*len)--;
	return 1;
}

/*
 * Send each of the user's lines to the server on fd and print its reply,
 * until "exit" or the end of stdin. Returns 0, or -1 with why (whylen
 * bytes) saying what broke the conversation, for main to report.
 */
static int chat(int fd, int wait, char *why, size_t whylen)
{
	/* TODO(04.11): For each line user_line() gives, send it with its
	 * '\n' (send_all_or_stop(), giving up after wait seconds without
	 * progress, as for a reply), read the server's reply as one whole
	 * line, however many reads that takes, and print it as "server >>>
	 * REPLY" on stdout (REPLY without its '\n'), flushed. The line
	 * "exit" (not sent) or the end of stdin ends it: return 0. Anything
	 * else that ends it returns -1 with why saying what (user_line()
	 * fills it itself; otherwise snprintf() one of "send: REASON", "the
	 * server closed the connection", "no reply within N s" (the socket
	 * has a receive timeout of -w seconds: a read fails with EAGAIN), "a
	 * reply longer than 65536 bytes", "recv: REASON"; REASON:
	 * strerror(errno)). Free both line buffers on every way out. */
	/* BEGIN SOLUTION */
	struct linebuf in = LINEBUF_INIT, rx = LINEBUF_INIT;
	const char *line, *reply;
	size_t len, rlen;
	int got;

	while ((got = user_line(&in, &line, &len, why, whylen)) > 0) {
		enum line_result res = LINE_NEED_MORE;
		ssize_t n = 1;

		if (len == 4 && memcmp(line, "exit", 4) == 0)
			break;
		if (send_all_or_stop(fd, line, len + 1, wait * 1000) < 0) {
			snprintf(why, whylen, "send: %s", strerror(errno));
			got = -1;
			break;
		}
		while (n > 0 &&
		       (res = line_next(&rx, &reply, &rlen)) == LINE_NEED_MORE)
			if ((n = line_fill(&rx, fd)) < 0 && errno == EINTR)
				n = 1;
		if (res == LINE_READY) {
			printf("server >>> %.*s\n", (int)(rlen - 1), reply);
			fflush(stdout);
			continue;
		}
		if (res == LINE_TOO_LONG)
			snprintf(why, whylen, "a reply longer than %d bytes",
			         LINE_MAX_LEN);
		else if (n == 0)
			snprintf(why, whylen,
			         "the server closed the connection");
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			snprintf(why, whylen, "no reply within %d s", wait);
		else
			snprintf(why, whylen, "recv: %s", strerror(errno));
		got = -1;
		break;
	}
	line_free(&in);
	line_free(&rx);
	return got < 0 ? -1 : 0;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)wait;
	//: (void)why;
	//: (void)whylen;
	//: (void)user_line;
	//: np_todo("04.11");
}

int main(int argc, char *argv[])
{
	const char *host = "localhost", *port = DEFAULT_PORT;
	char why[256];
	int opt, fd, wait = DEFAULT_WAIT, rc;
	uint16_t p;

	np_progname = "chat-client";
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
				np_warn("bad time: %s", optarg);
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
	if (optind != argc) {
		np_warn("unexpected argument: %s", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (np_ignore_sigpipe() < 0)
		np_die("sigaction:");
	fd = np_connect(host, port, SOCK_STREAM);
	if (fd < 0)
		np_die("connect to %s port %s:", host, port);
	if (np_set_timeouts(fd, wait) < 0)
		np_die("setsockopt:");
	if ((rc = chat(fd, wait, why, sizeof why)) < 0)
		np_warn("%s", why);
	close(fd);
	return rc < 0;
}
