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

/* How a conversation ended: what the server does next. */
enum outcome {
	CLIENT_LEFT,     /* serve the next client */
	CLIENT_FAILED,   /* errno says why; serve the next client */
	OPERATOR_GONE,   /* stdin ended, or SIGINT/SIGTERM came: stop */
	OPERATOR_FAILED, /* reading stdin failed, errno says why: stop */
};

/* The operator, at the server's stdin. */
struct operator_input {
	struct linebuf in; /* lines typed ahead: they answer the next
	                    * questions, whichever client asks them */
	int gone;          /* no answer can come any more: stop serving */
	int failed;        /* ... because reading stdin failed (logged) */
};

/*
 * Wait for the operator's next line on stdin (buffered in op), prompting
 * on a terminal. Returns 1 with *line and *len (its '\n' included), 0 when
 * stdin ended or SIGINT/SIGTERM arrived, or -1 with errno set (EMSGSIZE: a
 * line longer than LINE_MAX_LEN).
 */
static int operator_line(struct linebuf *op, const char **line, size_t *len)
{
	enum line_result res;

	while ((res = line_next(op, line, len)) != LINE_READY) {
		ssize_t n;

		if (res == LINE_TOO_LONG) {
			errno = EMSGSIZE;
			return -1;
		}
		if (isatty(STDIN_FILENO)) {
			fputs("reply >>> ", stdout);
			fflush(stdout);
		}
		n = np_wait_readable(STDIN_FILENO);
		if (n == 1)
			n = line_fill(op, STDIN_FILENO);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
	}
	return 1;
}

/* Talk with the client on fd until it leaves, the operator is gone or
 * SIGINT/SIGTERM arrives; see enum outcome. */
static enum outcome converse(int fd, struct linebuf *op)
{
	/* TODO(04.3): Print each line the client sends as "received >>>
	 * LINE" on stdout (LINE without its '\n'), flushed at once, and
	 * send back the operator's next line (operator_line(), '\n'
	 * included) before reading more. Returns CLIENT_LEFT at the
	 * client's EOF; CLIENT_FAILED with errno set when a read or a send
	 * fails (EMSGSIZE: a line longer than LINE_MAX_LEN); OPERATOR_GONE
	 * when operator_line() says no answer can come, or on SIGINT or
	 * SIGTERM (np_wait_readable() returns 0; send_all_or_stop() fails
	 * with ECANCELED); OPERATOR_FAILED, errno set, when operator_line()
	 * fails. Lines come through a struct linebuf of your own: free it on
	 * every way out. */
	/* BEGIN SOLUTION */
	struct linebuf in = LINEBUF_INIT;
	enum outcome out = CLIENT_FAILED;

	for (;;) {
		const char *line, *reply;
		size_t len, rlen;
		enum line_result res;
		ssize_t n = np_wait_readable(fd);

		if (n == 1)
			n = line_fill(&in, fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				out = np_stop ? OPERATOR_GONE : CLIENT_LEFT;
			break;
		}
		while ((res = line_next(&in, &line, &len)) == LINE_READY) {
			printf("received >>> %.*s\n", (int)(len - 1), line);
			fflush(stdout);
			n = operator_line(op, &reply, &rlen);
			if (n <= 0) {
				out = n < 0 ? OPERATOR_FAILED : OPERATOR_GONE;
				goto done;
			}
			if (send_all_or_stop(fd, reply, rlen, -1) < 0) {
				if (errno == ECANCELED)
					out = OPERATOR_GONE;
				goto done;
			}
		}
		if (res == LINE_TOO_LONG) {
			errno = EMSGSIZE;
			break;
		}
	}
done:
	line_free(&in);
	return out;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)op;
	//: (void)operator_line;
	//: np_todo("04.3");
}

/* Accept the next client and serve it to its end; a failure is logged
 * (*starved: see accept_news()), and whether the operator is still there
 * lands in op. */
static void take_client(int listen_fd, int echo, struct operator_input *op,
                        int *starved)
{
	char who[NP_ADDRSTRLEN], news[128];
	enum outcome out;
	int fd = accept_client(listen_fd, who, sizeof who);

	if (accept_news(fd, starved, news, sizeof news))
		np_warn("%s", news);
	if (fd < 0)
		return;
	printf("client %s connected\n", who);
	fflush(stdout);
	if (echo)
		out = echo_lines(fd, -1) < 0 ? CLIENT_FAILED : CLIENT_LEFT;
	else
		out = converse(fd, &op->in);
	if (out == CLIENT_FAILED)
		np_warn("client %s:", who);
	if (out == OPERATOR_FAILED)
		np_warn("operator's input:");
	close(fd);
	op->gone = out == OPERATOR_GONE || out == OPERATOR_FAILED;
	op->failed = out == OPERATOR_FAILED;
	if (!op->gone && !np_stop) {
		printf("client %s left; waiting for the next one\n", who);
		fflush(stdout);
	}
}

int main(int argc, char *argv[])
{
	struct server_args args = {.about = "Serve one client at a time: the "
	                                    "operator answers each line (or "
	                                    "-e echoes it).",
	                           .takes_e = 1};
	struct operator_input op = {LINEBUF_INIT, 0, 0};
	enum server_cmd cmd;
	int listen_fd, ready = 0, starved = 0;

	np_progname = "single-server";
	if ((cmd = server_parse(argc, argv, &args)) != SERVER_RUN) {
		fputs(args.text, cmd == SERVER_HELP ? stdout : stderr);
		return cmd == SERVER_HELP ? 0 : 2;
	}
	if ((listen_fd = server_listen(&args)) < 0)
		np_die("listen on %s port %s:", args.addr, args.port);
	if (np_print_ready(listen_fd) < 0)
		np_die("ready line:");
	while (!op.gone && (ready = np_wait_readable(listen_fd)) == 1)
		take_client(listen_fd, args.echo, &op, &starved);
	if (ready < 0)
		np_warn("waiting for clients:");
	if (op.gone && !op.failed && !np_stop)
		printf("no more operator input; stopping\n");
	line_free(&op.in);
	close(listen_fd);
	return ready < 0 || op.failed;
}
