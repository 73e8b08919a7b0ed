/*
 * poll-server - lesson 04: one thread, every connection at once. Sockets
 * are non-blocking; poll(2) says which ones can make progress; each
 * connection keeps its own input buffer (bytes of an unfinished line) and
 * output buffer (replies the client has not taken yet). No call ever
 * blocks, so no client can stall the others. See README.md beside this
 * file.
 */
#include "lines.h"
#include "net.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * A client that sends but does not read its replies: once this much waits
 * for it, stop reading from it until it catches up, or it could make the
 * server buffer without end.
 */
#define OUT_HIGH (256 * 1024)

struct conn {
	int fd;
	int eof;  /* the client sent its FIN: flush, then close */
	int drop; /* close at once: error, reset, oversize line */
	struct linebuf in;
	char *out; /* replies not sent yet: out[out_start..out_end) */
	size_t out_start, out_end, out_cap;
	char who[NP_ADDRSTRLEN];
};

/*
 * Everything the server watches, passed to each function that needs it
 * (as Beej's pollserver.c passes its array): pfds[0] is the listening
 * socket, pfds[1] the stop pipe, pfds[i] for i >= 2 the connection
 * conns[i].
 */
struct pollset {
	struct pollfd *pfds;
	struct conn **conns;
	size_t n, cap;     /* slots in use, slots allocated */
	int accept_paused; /* out of descriptors: pfds[0] is not watched */
};

/* The set with the listening socket and the stop pipe. Returns 0, or -1
 * with errno set. */
static int pollset_init(struct pollset *ps, int listen_fd)
{
	ps->cap = 64;
	ps->pfds = calloc(ps->cap, sizeof *ps->pfds);
	ps->conns = calloc(ps->cap, sizeof *ps->conns);
	if (ps->pfds == NULL || ps->conns == NULL)
		return -1;
	ps->pfds[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	ps->pfds[1] = (struct pollfd){.fd = np_stop_fd(), .events = POLLIN};
	ps->n = 2;
	ps->accept_paused = 0;
	return 0;
}

/* Add the connection fd to the set. Returns 0, or -1 with errno set. */
static int add_conn(struct pollset *ps, int fd, const char *who)
{
	struct conn *c;

	if (ps->n == ps->cap) {
		size_t cap = ps->cap * 2;
		struct pollfd *p = realloc(ps->pfds, cap * sizeof *p);
		struct conn **cs;

		if (p == NULL)
			return -1;
		ps->pfds = p;
		cs = realloc(ps->conns, cap * sizeof *cs);
		if (cs == NULL)
			return -1;
		ps->conns = cs;
		ps->cap = cap;
	}
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return -1;
	c->fd = fd;
	snprintf(c->who, sizeof c->who, "%s", who);
	ps->pfds[ps->n] = (struct pollfd){.fd = fd, .events = POLLIN};
	ps->conns[ps->n++] = c;
	return 0;
}

/* Close connection i; the last one takes its place. */
static void drop_conn(struct pollset *ps, size_t i)
{
	struct conn *c = ps->conns[i];

	close(c->fd);
	line_free(&c->in);
	free(c->out);
	free(c);
	ps->n--;
	ps->pfds[i] = ps->pfds[ps->n];
	ps->conns[i] = ps->conns[ps->n];
	if (ps->accept_paused) {
		ps->accept_paused = 0;
		ps->pfds[0].events = POLLIN;
	}
}

/* Close every connection and free the set. */
static void pollset_free(struct pollset *ps)
{
	while (ps->n > 2)
		drop_conn(ps, ps->n - 1);
	free(ps->pfds);
	free(ps->conns);
}

/* Append len bytes to c's output buffer. Returns 0, or -1. */
static int queue_output(struct conn *c, const char *data, size_t len)
{
	if (c->out_start > 0 && c->out_start == c->out_end)
		c->out_start = c->out_end = 0;
	if (c->out_cap - c->out_end < len) {
		size_t pending = c->out_end - c->out_start;
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *out;

		while (cap < pending + len)
			cap *= 2;
		out = malloc(cap);
		if (out == NULL)
			return -1;
		if (pending > 0)
			memcpy(out, c->out + c->out_start, pending);
		free(c->out);
		c->out = out;
		c->out_cap = cap;
		c->out_start = 0;
		c->out_end = pending;
	}
	memcpy(c->out + c->out_end, data, len);
	c->out_end += len;
	return 0;
}

/* Accept every connection that is waiting on ps->pfds[0], without
 * blocking; a failure is logged. */
static void accept_clients(struct pollset *ps)
{
	/* TODO(04.8): Add every client waiting on the listening socket
	 * (ps->pfds[0].fd, non-blocking) to ps, non-blocking itself
	 * (np_set_nonblocking()) and named by its address (np_format_addr(),
	 * add_conn()), and return once none waits (EAGAIN/EWOULDBLOCK). A
	 * client that cannot be added is closed and logged (np_warn()); one
	 * that reset while it waited (ECONNABORTED), or EINTR, is no reason
	 * to stop. Another accept() error is logged; out of descriptors
	 * (EMFILE, ENFILE), stop watching the listening socket
	 * (ps->pfds[0].events = 0, ps->accept_paused = 1) until drop_conn()
	 * frees one: poll() would report it readable again at once, for
	 * ever. */
	/* BEGIN SOLUTION */
	int listen_fd = ps->pfds[0].fd;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		char who[NP_ADDRSTRLEN];
		int fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			np_warn("accept:");
			if (errno == EMFILE || errno == ENFILE) {
				ps->pfds[0].events = 0;
				ps->accept_paused = 1;
			}
			return;
		}
		np_format_addr((struct sockaddr *)&peer, who, sizeof who);
		if (np_set_nonblocking(fd) < 0 || add_conn(ps, fd, who) < 0) {
			np_warn("client %s:", who);
			close(fd);
		}
	}
	/* END SOLUTION */
	//: (void)ps;
	//: (void)add_conn;
	//: np_todo("04.8");
}

/* The client can be read: take what it sent, queue a reply per line. */
static void on_readable(struct conn *c)
{
	/* TODO(04.9): Take what the client sent, in one read at most (a
	 * client that never pauses must not starve the others; EAGAIN and
	 * EINTR mean nothing now), and queue each whole line, '\n' included,
	 * as its reply (queue_output()). Its EOF sets c->eof: what is queued
	 * still goes out before it closes. A read error, a reply that cannot
	 * be queued or a line longer than LINE_MAX_LEN sets c->drop, and the
	 * last is logged: np_warn("client WHO: a line longer than 65536
	 * bytes; closing") (WHO: c->who; the tests look for "longer than
	 * 65536"). Nothing is sent or closed here: serve() does that, and
	 * closes this client only. */
	/* BEGIN SOLUTION */
	const char *line;
	size_t len;
	enum line_result res;
	ssize_t n = line_fill(&c->in, c->fd);

	if (n == 0) {
		c->eof = 1;
	} else if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->drop = 1;
		return;
	}
	while ((res = line_next(&c->in, &line, &len)) == LINE_READY)
		if (queue_output(c, line, len) < 0) {
			c->drop = 1;
			return;
		}
	if (res == LINE_TOO_LONG) {
		np_warn("client %s: a line longer than %d bytes; closing",
		        c->who, LINE_MAX_LEN);
		c->drop = 1;
	}
	/* END SOLUTION */
	//: (void)c;
	//: (void)queue_output;
	//: np_todo("04.9");
}

/* Send what c's output buffer holds, as far as the socket takes it now. */
static void flush_output(struct conn *c)
{
	/* TODO(04.10): Send as much of c's pending replies
	 * (c->out[out_start..out_end)) as the socket takes now, without
	 * ever waiting: it may take part, or nothing (EAGAIN); what it does
	 * not take stays pending, out_start past what went, for poll()'s
	 * next POLLOUT. EINTR is no reason to stop; any other error (EPIPE,
	 * ECONNRESET) sets c->drop. Once nothing is pending, c holds no
	 * buffer (out NULL; out_cap, out_start, out_end 0): an idle client
	 * should cost none. */
	/* BEGIN SOLUTION */
	while (c->out_start < c->out_end) {
		ssize_t n = send(c->fd, c->out + c->out_start,
		                 c->out_end - c->out_start, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->drop = 1;
			return;
		}
		c->out_start += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_cap = c->out_start = c->out_end = 0;
	/* END SOLUTION */
	//: (void)c;
	//: np_todo("04.10");
}

/* What to wait for on c next: 0 when it is finished and must be closed. */
static short next_events(const struct conn *c)
{
	size_t pending = c->out_end - c->out_start;
	short ev = 0;

	if (c->drop || (c->eof && pending == 0))
		return 0;
	if (!c->eof && pending < OUT_HIGH)
		ev |= POLLIN;
	if (pending > 0)
		ev |= POLLOUT;
	return ev;
}

/* Serve every connection until SIGINT or SIGTERM arrives (returns 0), or
 * poll() fails (returns -1 with errno set). */
static int serve(struct pollset *ps)
{
	size_t i;

	while (!np_stop) {
		if (poll(ps->pfds, ps->n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (ps->pfds[1].revents != 0)
			return 0;
		/* Backwards: drop_conn() moves the last one into slot i. */
		for (i = ps->n; i-- > 2;) {
			struct conn *c = ps->conns[i];
			struct pollfd *p = &ps->pfds[i];

			if (p->revents == 0)
				continue;
			if (p->revents & (POLLIN | POLLHUP | POLLERR) &&
			    p->events & POLLIN)
				on_readable(c);
			if (c->out_end > c->out_start && !c->drop)
				flush_output(c);
			if (p->revents & POLLNVAL)
				c->drop = 1;
			line_trim(&c->in);
			p->events = next_events(c);
			if (p->events == 0)
				drop_conn(ps, i);
		}
		if (ps->pfds[0].revents & POLLIN)
			accept_clients(ps);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct server_args args = {.about = "Echo lines to many clients at "
	                                    "once: one thread, poll(2), "
	                                    "non-blocking sockets."};
	struct pollset ps;
	enum server_cmd cmd;
	int listen_fd, rc;

	np_progname = "poll-server";
	if ((cmd = server_parse(argc, argv, &args)) != SERVER_RUN) {
		fputs(args.text, cmd == SERVER_HELP ? stdout : stderr);
		return cmd == SERVER_HELP ? 0 : 2;
	}
	if ((listen_fd = server_listen(&args)) < 0)
		np_die("listen on %s port %s:", args.addr, args.port);
	if (np_set_nonblocking(listen_fd) < 0)
		np_die("fcntl:");
	if (pollset_init(&ps, listen_fd) < 0)
		np_die("out of memory");
	if (np_print_ready(listen_fd) < 0)
		np_die("ready line:");
	if ((rc = serve(&ps)) < 0)
		np_warn("poll:");
	pollset_free(&ps);
	close(listen_fd);
	return rc < 0;
}
