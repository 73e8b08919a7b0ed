/*
 * chat-client - lesson 04: the note's interactive client, done right. Each
 * line typed on stdin goes to the server; the reply is read as a whole line
 * (however many reads that takes) and printed as "server >>> REPLY".
 * "exit" or the end of stdin ends it. See README.md beside this file.
 */
#include "lines.h"
#include "net.h"
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
	        "  -p PORT     port (default %d)\n"
	        "  -w SECONDS  how long to wait for a reply (default %d)\n",
	        np_progname, DEFAULT_PORT, DEFAULT_WAIT);
}

/*
 * Read the user's next line from stdin: *line and *len (without its '\n').
 * Returns 1, 0 at the end of stdin, or -1 after saying what went wrong
 * (a read error, a line too long).
 */
static int user_line(struct linebuf *in, const char **line, size_t *len)
{
	enum line_result res;

	while ((res = line_next(in, line, len)) != LINE_READY) {
		ssize_t n;

		if (res == LINE_TOO_LONG) {
			np_warn("a line longer than %d bytes", LINE_MAX_LEN);
			return -1;
		}
		if (isatty(STDIN_FILENO)) {
			fputs("send >>> ", stdout);
			fflush(stdout);
		}
		n = line_fill(in, STDIN_FILENO);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			np_warn("stdin:");
			return -1;
		}
		if (n == 0)
			return 0;
	}
	(*len)--;
	return 1;
}

/*
 * Send each of the user's lines to the server on fd and print its reply,
 * until "exit" or the end of stdin. Returns 0, or 1 after printing why
 * the conversation broke.
 */
static int chat(int fd, int wait)
{
	/* TODO(04.11): Loop: user_line() gives the next line (0: done,
	 * return 0; -1: it said why, return 1); the line "exit" ends it
	 * too, and is not sent. Send the
	 * line with its '\n' (send_all; the line and "\n" may go in two
	 * calls). Then read the reply with a struct linebuf on fd:
	 * line_fill() until line_next() gives a whole line. 0 from
	 * line_fill() means the server closed; -1 with EAGAIN means no
	 * reply within the -w time (np_set_timeouts was called): say which
	 * with np_warn() and return 1. Print "server >>> REPLY\n" (REPLY
	 * without its '\n') and fflush(stdout). line_free() both buffers. */
	/* BEGIN SOLUTION */
	struct linebuf in = LINEBUF_INIT, rx = LINEBUF_INIT;
	const char *line, *reply;
	size_t len, rlen;
	int rc = 0, got;

	while ((got = user_line(&in, &line, &len)) > 0) {
		enum line_result res;

		if (len == 4 && memcmp(line, "exit", 4) == 0)
			break;
		if (send_all(fd, line, len + 1) < 0) {
			np_warn("send:");
			rc = 1;
			break;
		}
		while ((res = line_next(&rx, &reply, &rlen)) != LINE_READY) {
			ssize_t n;

			if (res == LINE_TOO_LONG) {
				np_warn("a reply longer than %d bytes",
				        LINE_MAX_LEN);
				rc = 1;
				goto done;
			}
			n = line_fill(&rx, fd);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				np_warn("the server closed the connection");
			else if (n < 0 &&
			         (errno == EAGAIN || errno == EWOULDBLOCK))
				np_warn("no reply within %d s", wait);
			else if (n < 0)
				np_warn("recv:");
			if (n <= 0) {
				rc = 1;
				goto done;
			}
		}
		printf("server >>> %.*s\n", (int)(rlen - 1), reply);
		fflush(stdout);
	}
	if (got < 0)
		rc = 1;
done:
	line_free(&in);
	line_free(&rx);
	return rc;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)wait;
	//: (void)user_line;
	//: np_todo("04.11");
}

int main(int argc, char *argv[])
{
	const char *host = "localhost", *port = "8888";
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
	fd = net_connect(host, port);
	if (fd < 0)
		return 1;
	if (np_set_timeouts(fd, wait) < 0)
		np_die("setsockopt:");
	rc = chat(fd, wait);
	close(fd);
	return rc;
}
