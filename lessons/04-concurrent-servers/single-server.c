/*
 * single-server - lesson 04: an iterative server. It talks with one client
 * at a time; the next waits in the listen backlog until this one leaves.
 *
 * Without -e the operator answers: each line from the client is printed as
 * "received >>> LINE" and the reply is the next line typed on stdin. With
 * -e each line is sent back as it is. See README.md beside this file.
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

enum outcome { CLIENT_LEFT, OPERATOR_GONE };

/*
 * Wait for the operator's next line on stdin (buffered in op). Returns
 * LINE_READY with the line, or LINE_NEED_MORE when stdin ended, failed or
 * SIGTERM arrived.
 */
static enum line_result operator_line(struct linebuf *op, const char **line,
                                      size_t *len)
{
	enum line_result res;

	while ((res = line_next(op, line, len)) != LINE_READY) {
		ssize_t n;

		if (res == LINE_TOO_LONG) {
			np_warn("operator line longer than %d bytes",
			        LINE_MAX_LEN);
			return LINE_NEED_MORE;
		}
		if (isatty(STDIN_FILENO)) {
			fputs("reply >>> ", stdout);
			fflush(stdout);
		}
		if (np_wait_readable(STDIN_FILENO) != 1)
			return LINE_NEED_MORE;
		n = line_fill(op, STDIN_FILENO);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return LINE_NEED_MORE;
	}
	return LINE_READY;
}

/*
 * Talk with the client on fd until it leaves: print each line it sends,
 * answer with the operator's next line. Returns OPERATOR_GONE when stdin
 * ended (nobody is left to answer) or SIGTERM arrived.
 */
static enum outcome converse(int fd, struct linebuf *op)
{
	/* TODO(04.3): Read the client's lines with a struct linebuf of
	 * your own: np_wait_readable(fd) (0: return OPERATOR_GONE),
	 * line_fill() (0 or an error: the client left), then for each line
	 * from line_next(): print "received >>> LINE" (LINE without its
	 * '\n') on stdout and fflush it, get the reply from
	 * operator_line() (LINE_NEED_MORE: return OPERATOR_GONE) and
	 * send_all() it, '\n' included. A line that is too long: say so
	 * with np_warn() and treat the client as gone. line_free() your
	 * buffer on the way out. */
	(void)fd;
	(void)op;
	(void)operator_line;
	np_todo("04.3");
}

int main(int argc, char *argv[])
{
	struct linebuf op = LINEBUF_INIT;
	int echo = 0, listen_fd, ready;

	np_progname = "single-server";
	listen_fd = server_start(argc, argv,
	                         "Serve one client at a time: the operator "
	                         "answers each line (or -e echoes it).",
	                         &echo);
	while ((ready = np_wait_readable(listen_fd)) == 1) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		char who[NP_ADDRSTRLEN];
		enum outcome out = CLIENT_LEFT;
		int fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);

		if (fd < 0) {
			accept_failed();
			continue;
		}
		np_format_addr((struct sockaddr *)&peer, who, sizeof who);
		printf("client %s connected\n", who);
		fflush(stdout);
		if (echo) {
			if (echo_lines(fd) < 0)
				np_warn("client %s:", who);
		} else {
			out = converse(fd, &op);
		}
		close(fd);
		if (out == OPERATOR_GONE || np_stop)
			break;
		printf("client %s left; waiting for the next one\n", who);
		fflush(stdout);
	}
	if (ready < 0)
		np_warn("waiting for clients:");
	if (!np_stop && ready >= 0)
		printf("no more operator input; stopping\n");
	line_free(&op);
	close(listen_fd);
	return ready < 0;
}
