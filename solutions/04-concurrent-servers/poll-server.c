/*
 * poll-server - lesson 04: one thread, every connection at once. Sockets
 * are non-blocking; poll(2) says which ones can make progress; each
 * connection keeps its own input buffer (bytes of an unfinished line) and
 * output buffer (replies the client has not taken yet), both bounded. No
 * call ever blocks, so no client can stall the others; poll()'s timeout
 * is the nearest deadline (a client idle for -i, the end of an accept
 * pause). See README.md beside this file.
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

/*
 * The most replies a connection ever holds: one read that starts just
 * under OUT_HIGH may queue one input buffer's worth of lines more. So a
 * connection holds at most LINE_MAX_LEN + 1 bytes of input and OUT_MAX of
 * output, about 384 KiB, and an idle one neither (README: C10K memory).
 */
#define OUT_MAX (OUT_HIGH + LINE_MAX_LEN + 1)

struct conn {
	int fd;
	int eof;           /* the client sent its FIN: flush, then close */
	int drop;          /* close at once: error, reset, oversize line */
	long long idle_at; /* closed once the clock reaches it: -i after
	                    * the client last sent a byte or took one */
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
	size_t n, cap;       /* slots in use, slots allocated */
	size_t max_conns;    /* -m: at most this many connections */
	int idle_ms;         /* -i, in milliseconds (1 s or more) */
	long long paused;    /* accept() ran out of descriptors or memory:
	                      * not before this time, or until a client
	                      * leaves (NP_NO_DEADLINE: accepting) */
	long long next_idle; /* the earliest idle_at of all connections
	                      * (NP_NO_DEADLINE: none), set by
	                      * expire_idle() */
	int starved;         /* for accept_news(): that failure was logged */
};

/* The set with the listening socket and the stop pipe. Returns 0, or -1
 * with errno set. */
static int pollset_init(struct pollset *ps, int listen_fd, size_t max_conns,
                        int idle_ms)
{
	ps->cap = 64;
	ps->pfds = calloc(ps->cap, sizeof *ps->pfds);
	ps->conns = calloc(ps->cap, sizeof *ps->conns);
	if (ps->pfds == NULL || ps->conns == NULL)
		return -1;
	ps->pfds[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	ps->pfds[1] = (struct pollfd){.fd = np_stop_fd(), .events = POLLIN};
	ps->n = 2;
	ps->max_conns = max_conns;
	ps->idle_ms = idle_ms;
	ps->paused = NP_NO_DEADLINE;
	ps->next_idle = NP_NO_DEADLINE;
	ps->starved = 0;
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
	c->idle_at = idle_deadline(ps->idle_ms);
	snprintf(c->who, sizeof c->who, "%s", who);
	ps->pfds[ps->n] = (struct pollfd){.fd = fd, .events = POLLIN};
	ps->conns[ps->n++] = c;
	return 0;
}

/* Close connection i; the last one takes its place. A descriptor is free
 * again: accept() may work now, whatever pause it was in. */
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
	ps->paused = NP_NO_DEADLINE;
}

/*
 * accept() failed for want of descriptors or memory (np_starved()): the
 * client stays in the backlog and the listening socket stays readable, so
 * poll() must stop watching it, or it would return at once, for ever.
 * Until a client leaves (drop_conn()), or NP_ACCEPT_PAUSE_MS from now:
 * ENFILE, the whole system's table full, is freed by other programs, and
 * EMFILE by whoever raises our limit, not only by our own clients.
 */
static void pause_accepting(struct pollset *ps)
{
	ps->paused = np_now_ms() + NP_ACCEPT_PAUSE_MS;
}

/*
 * Watch the listening socket, or not: not with max_conns connections (the
 * next clients wait in the backlog until one leaves), not during an
 * accept pause. Returns how long poll() may sleep before the pause ends
 * (-1: no pause).
 */
static int watch_listener(struct pollset *ps)
{
	int left = -1;

	if (ps->paused != NP_NO_DEADLINE &&
	    (left = np_ms_left(ps->paused)) == 0) {
		ps->paused = NP_NO_DEADLINE;
		left = -1;
	}
	if (ps->n - 2 < ps->max_conns && ps->paused == NP_NO_DEADLINE)
		ps->pfds[0].events = POLLIN;
	else
		ps->pfds[0].events = 0;
	return left;
}

/* Close every connection and free the set. */
static void pollset_free(struct pollset *ps)
{
	while (ps->n > 2)
		drop_conn(ps, ps->n - 1);
	free(ps->pfds);
	free(ps->conns);
}

/* Append len bytes to c's output buffer, which never holds more than
 * OUT_MAX. Returns 0, or -1 with errno set (ENOBUFS: past OUT_MAX). */
static int queue_output(struct conn *c, const char *data, size_t len)
{
	size_t pending = c->out_end - c->out_start;

	if (pending + len > OUT_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	if (c->out_start > 0 && pending == 0)
		c->out_start = c->out_end = 0;
	if (c->out_cap - c->out_end < len) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *out;

		while (cap < pending + len)
			cap *= 2;
		if (cap > OUT_MAX)
			cap = OUT_MAX;
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
 * blocking, up to the cap; a failure is logged. */
static void accept_clients(struct pollset *ps)
{
	/* TODO(04.8): Add every client waiting on the listening socket
	 * (ps->pfds[0].fd, non-blocking) to ps, non-blocking itself
	 * (np_set_nonblocking()) and named by its address (np_format_addr(),
	 * add_conn()), and return once none waits (EAGAIN/EWOULDBLOCK), ps
	 * holds ps->max_conns connections (the others wait in the backlog)
	 * or a stop was asked for (np_stop). A client that cannot be added
	 * is closed and logged (np_warn()); one that reset while it waited
	 * (ECONNABORTED), or EINTR, is no reason to stop. Out of descriptors
	 * or memory (np_starved()): pause accepting (pause_accepting()),
	 * since poll() would report the listening socket readable again at
	 * once, for ever. Log what accept_news() says after each accept()
	 * (np_warn("%s", news)): every failure but the repeats of such a
	 * run, and its end. */
	/* BEGIN SOLUTION */
	int listen_fd = ps->pfds[0].fd;

	while (!np_stop && ps->n - 2 < ps->max_conns) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		char who[NP_ADDRSTRLEN], news[128];
		int fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (accept_news(fd, &ps->starved, news, sizeof news))
			np_warn("%s", news);
		if (fd < 0) {
			if (np_starved(errno))
				pause_accepting(ps);
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
	//: (void)pause_accepting;
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

/*
 * Close every connection whose idle time is up at now, and set
 * ps->next_idle: when the next one will be.
 */
static void expire_idle(struct pollset *ps, long long now)
{
	/* TODO(04.12): Close every connection whose c->idle_at has come
	 * (now or before), logging it as "client WHO: idle for N s;
	 * closing" (np_warn(); N: -i, ps->idle_ms in seconds), and set
	 * ps->next_idle to the earliest c->idle_at of those left
	 * (NP_NO_DEADLINE when none is left). serve() calls it before each
	 * poll() and sleeps no longer than until ps->next_idle: nothing else
	 * wakes the loop when every client is silent, and a deadline poll()
	 * sleeps through is a client held past its time. Remember that
	 * drop_conn() moves the last connection into the slot it frees. */
	/* BEGIN SOLUTION */
	long long next = NP_NO_DEADLINE;
	size_t i;

	for (i = ps->n; i-- > 2;) {
		struct conn *c = ps->conns[i];

		if (c->idle_at <= now) {
			np_warn("client %s: idle for %d s; closing", c->who,
			        ps->idle_ms / 1000);
			drop_conn(ps, i);
		} else if (next == NP_NO_DEADLINE || c->idle_at < next) {
			next = c->idle_at;
		}
	}
	ps->next_idle = next;
	/* END SOLUTION */
	//: (void)ps;
	//: (void)now;
	//: np_todo("04.12");
}

/* poll()'s timeout for two deadlines: the sooner (-1: none). */
static int sooner(int a, int b)
{
	if (a < 0)
		return b;
	return b >= 0 && b < a ? b : a;
}

/* Serve connection i, which poll() reported at now: read, send, decide
 * what to watch next; a connection that needs nothing more is closed. */
static void serve_conn(struct pollset *ps, size_t i, long long now)
{
	struct conn *c = ps->conns[i];
	struct pollfd *p = &ps->pfds[i];

	if (p->revents == 0)
		return;
	if (p->revents & (POLLIN | POLLHUP | POLLERR) && p->events & POLLIN)
		on_readable(c);
	if (c->out_end > c->out_start && !c->drop)
		flush_output(c);
	if (p->revents & POLLNVAL)
		c->drop = 1;
	/* TODO(04.12): The client's own doing restarts its idle time (-i,
	 * ps->idle_ms from now): a byte it sent (POLLIN) or took (POLLOUT:
	 * its socket had room again). Nothing else counts: not poll()
	 * returning for another client. */
	/* BEGIN SOLUTION */
	if (p->revents & (POLLIN | POLLOUT))
		c->idle_at = now + ps->idle_ms;
	/* END SOLUTION */
	//: (void)now;
	line_trim(&c->in);
	p->events = next_events(c);
	if (p->events == 0)
		drop_conn(ps, i);
}

/* Serve every connection until SIGINT or SIGTERM arrives (returns 0), or
 * poll() fails (returns -1 with errno set). */
static int serve(struct pollset *ps)
{
	while (!np_stop) {
		long long now;
		size_t i;

		expire_idle(ps, np_now_ms());
		if (poll(ps->pfds, ps->n,
		         sooner(np_ms_left(ps->next_idle),
		                watch_listener(ps))) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (ps->pfds[1].revents != 0)
			return 0;
		now = np_now_ms();
		/* Backwards: drop_conn() moves the last one into slot i. */
		for (i = ps->n; i-- > 2;)
			serve_conn(ps, i, now);
		if (ps->pfds[0].revents & POLLIN)
			accept_clients(ps);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct server_args args = {.about = "Echo lines to many clients at "
	                                    "once: one thread, poll(2), "
	                                    "non-blocking sockets.",
	                           .max_clients = 10000};
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
	if (pollset_init(&ps, listen_fd, (size_t)args.max_clients,
	                 args.idle_s * 1000) < 0)
		np_die("out of memory");
	if (np_print_ready(listen_fd) < 0)
		np_die("ready line:");
	if ((rc = serve(&ps)) < 0)
		np_warn("poll:");
	pollset_free(&ps);
	close(listen_fd);
	return rc < 0;
}
