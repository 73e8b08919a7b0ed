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

/* pfds[0] is the listening socket, pfds[1] the stop pipe, pfds[i] for
 * i >= 2 the connection conns[i]. */
static struct pollfd *pfds;
static struct conn **conns;
static size_t nfds, fds_cap;
static int accept_paused;

static int add_conn(int fd, const char *who)
{
	struct conn *c;

	if (nfds == fds_cap) {
		size_t cap = fds_cap ? fds_cap * 2 : 64;
		struct pollfd *p = realloc(pfds, cap * sizeof *p);
		struct conn **cs;

		if (p == NULL)
			return -1;
		pfds = p;
		cs = realloc(conns, cap * sizeof *cs);
		if (cs == NULL)
			return -1;
		conns = cs;
		fds_cap = cap;
	}
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return -1;
	c->fd = fd;
	snprintf(c->who, sizeof c->who, "%s", who);
	pfds[nfds] = (struct pollfd){.fd = fd, .events = POLLIN};
	conns[nfds++] = c;
	return 0;
}

/* Close connection i; the last one takes its place. */
static void drop_conn(size_t i)
{
	struct conn *c = conns[i];

	close(c->fd);
	line_free(&c->in);
	free(c->out);
	free(c);
	nfds--;
	pfds[i] = pfds[nfds];
	conns[i] = conns[nfds];
	if (accept_paused) {
		accept_paused = 0;
		pfds[0].events = POLLIN;
	}
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

/* Accept every connection that is waiting, without blocking. */
static void accept_clients(int listen_fd)
{
	/* TODO(04.8): accept() until it fails with EAGAIN/EWOULDBLOCK (the
	 * listening socket is non-blocking: nobody else is waiting). Make
	 * each new socket non-blocking (np_set_nonblocking) and add_conn()
	 * it with its address (np_format_addr); if either fails, close it.
	 * EINTR and ECONNABORTED: try the next. EMFILE or ENFILE (out of
	 * descriptors): np_warn(), then stop watching the listening socket
	 * (pfds[0].events = 0, accept_paused = 1) until drop_conn() frees a
	 * descriptor; otherwise poll() would report it readable again at
	 * once, for ever. */
	/* BEGIN SOLUTION */
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
				pfds[0].events = 0;
				accept_paused = 1;
			}
			return;
		}
		np_format_addr((struct sockaddr *)&peer, who, sizeof who);
		if (np_set_nonblocking(fd) < 0 || add_conn(fd, who) < 0) {
			np_warn("client %s:", who);
			close(fd);
		}
	}
	/* END SOLUTION */
	//: (void)listen_fd;
	//: (void)add_conn;
	//: np_todo("04.8");
}

/* The client can be read: take what it sent, queue a reply per line. */
static void on_readable(struct conn *c)
{
	/* TODO(04.9): One line_fill() (the socket is non-blocking: EAGAIN
	 * and EINTR mean "nothing now", not an error). 0 is EOF: set c->eof
	 * (its replies still go out, then it is closed). Another error: set
	 * c->drop. Then queue_output() every whole line line_next() gives
	 * (failure: c->drop). LINE_TOO_LONG: np_warn("client WHO: a line
	 * longer than 65536 bytes; closing") (WHO: c->who; the tests look
	 * for "longer than 65536"), and c->drop: only this client closes. */
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
	/* TODO(04.10): send(..., MSG_DONTWAIT) from c->out + c->out_start
	 * while bytes are pending. The socket may take only part (a short
	 * write): advance out_start by what it took and try again; EAGAIN
	 * means its buffer is full: stop, poll() will say when it has room
	 * (POLLOUT). EINTR: try again. Any other error (EPIPE, ECONNRESET):
	 * c->drop. Once nothing is pending, free(c->out) and zero out_cap,
	 * out_start and out_end: an idle client should cost no buffer. */
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

/* Returns 0 once SIGINT or SIGTERM arrived, -1 if poll() failed. */
static int serve(int listen_fd)
{
	size_t i;

	while (!np_stop) {
		if (poll(pfds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			np_warn("poll:");
			return -1;
		}
		if (pfds[1].revents != 0)
			return 0;
		/* Backwards: drop_conn() moves the last one into slot i. */
		for (i = nfds; i-- > 2;) {
			struct conn *c = conns[i];
			short rev = pfds[i].revents;

			if (rev == 0)
				continue;
			if (rev & (POLLIN | POLLHUP | POLLERR) &&
			    pfds[i].events & POLLIN)
				on_readable(c);
			if (c->out_end > c->out_start && !c->drop)
				flush_output(c);
			if (rev & POLLNVAL)
				c->drop = 1;
			line_trim(&c->in);
			pfds[i].events = next_events(c);
			if (pfds[i].events == 0)
				drop_conn(i);
		}
		if (pfds[0].revents & POLLIN)
			accept_clients(listen_fd);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	int listen_fd, rc;

	np_progname = "poll-server";
	listen_fd = server_start(argc, argv,
	                         "Echo lines to many clients at once: one "
	                         "thread, poll(2), non-blocking sockets.",
	                         NULL);
	if (np_set_nonblocking(listen_fd) < 0)
		np_die("fcntl:");
	pfds = calloc(64, sizeof *pfds);
	conns = calloc(64, sizeof *conns);
	if (pfds == NULL || conns == NULL)
		np_die("out of memory");
	fds_cap = 64;
	pfds[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	pfds[1] = (struct pollfd){.fd = np_stop_fd(), .events = POLLIN};
	nfds = 2;
	rc = serve(listen_fd);
	while (nfds > 2)
		drop_conn(nfds - 1);
	free(pfds);
	free(conns);
	close(listen_fd);
	return rc < 0;
}
