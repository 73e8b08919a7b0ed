/*
 * lines.c - line framing (see lines.h) and the blocking echo loop that
 * single-server -e, thread-server and fork-server share.
 */
#include "lines.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_CAP_MIN 4096
#define LINE_CAP_MAX (LINE_MAX_LEN + 1)

ssize_t line_fill(struct linebuf *lb, int fd)
{
	ssize_t n;

	if (lb->start > 0) {
		memmove(lb->data, lb->data + lb->start, lb->end - lb->start);
		lb->end -= lb->start;
		lb->start = 0;
	}
	if (lb->end == lb->cap) {
		size_t cap = lb->cap == 0 ? LINE_CAP_MIN : lb->cap * 2;
		char *data;

		if (lb->cap == LINE_CAP_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
		if (cap > LINE_CAP_MAX)
			cap = LINE_CAP_MAX;
		data = realloc(lb->data, cap);
		if (data == NULL)
			return -1;
		lb->data = data;
		lb->cap = cap;
	}
	n = read(fd, lb->data + lb->end, lb->cap - lb->end);
	if (n > 0)
		lb->end += (size_t)n;
	return n;
}

enum line_result line_next(struct linebuf *lb, const char **line, size_t *len)
{
	/* TODO(04.1): Look for '\n' among the bytes not yet taken
	 * (lb->data from lb->start to lb->end; memchr() finds it). Found:
	 * point *line at the first of them, set *len to the line's length
	 * with its '\n', move lb->start past it, return LINE_READY. Not
	 * found: if LINE_MAX_LEN + 1 bytes are waiting, no line can fit any
	 * more (LINE_TOO_LONG); otherwise LINE_NEED_MORE. Never read past
	 * lb->end: the bytes there are not data. */
	/* BEGIN SOLUTION */
	size_t pending = lb->end - lb->start;
	const char *nl;

	if (pending == 0)
		return LINE_NEED_MORE;
	nl = memchr(lb->data + lb->start, '\n', pending);
	if (nl == NULL)
		return pending >= LINE_CAP_MAX ? LINE_TOO_LONG : LINE_NEED_MORE;
	*line = lb->data + lb->start;
	*len = (size_t)(nl - *line) + 1;
	lb->start += *len;
	return LINE_READY;
	/* END SOLUTION */
	//: (void)lb;
	//: (void)line;
	//: (void)len;
	//: np_todo("04.1");
}

void line_trim(struct linebuf *lb)
{
	if (lb->start == lb->end)
		line_free(lb);
}

void line_free(struct linebuf *lb)
{
	free(lb->data);
	lb->data = NULL;
	lb->cap = lb->start = lb->end = 0;
}

long long idle_deadline(int idle_ms)
{
	return idle_ms < 0 ? NP_NO_DEADLINE : np_now_ms() + idle_ms;
}

int send_all_or_stop(int fd, const char *buf, size_t len, int idle_ms)
{
	long long deadline = idle_deadline(idle_ms);

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_DONTWAIT);
		int ready;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			deadline = idle_deadline(idle_ms);
			continue;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* Full, or a signal: wait for room, a stop or the deadline
		 * (np_wait_fd() checks np_stop first, so an EINTR that a
		 * stop caused ends here too). */
		ready = np_wait_fd(fd, POLLOUT, deadline);
		if (ready == 0)
			errno = ECANCELED;
		if (ready <= 0)
			return -1;
	}
	return 0;
}

int echo_lines(int fd, int idle_ms)
{
	/* TODO(04.2): Echo every whole line that arrives on fd back to it,
	 * byte for byte, until the client's EOF or SIGINT/SIGTERM (both:
	 * return 0; a stop shows as np_wait_fd() returning 0 or
	 * send_all_or_stop() failing with ECANCELED), a client idle for
	 * idle_ms (-1 with errno ETIMEDOUT: no byte came from it and it took
	 * none for that long; idle_ms < 0, no limit; idle_deadline() gives
	 * the deadline), a line longer than LINE_MAX_LEN (-1 with errno
	 * EMSGSIZE), or another error (-1; EINTR is none: read again). Only
	 * the client's own doing counts as activity: each read that brings
	 * bytes, and each reply the socket takes (send_all_or_stop() bounds
	 * its own waits by idle_ms). Wait only in np_wait_fd() and
	 * send_all_or_stop(), so a stop is always seen. The lines one read
	 * brought lie side by side in the buffer: one send can carry them
	 * all. Free the buffer on every way out. */
	/* BEGIN SOLUTION */
	struct linebuf lb = LINEBUF_INIT;
	long long deadline = idle_deadline(idle_ms);
	int rc = -1;

	for (;;) {
		const char *line, *first = NULL;
		size_t len, total = 0;
		enum line_result res;
		ssize_t n;
		int ready = np_wait_fd(fd, POLLIN, deadline);

		if (ready <= 0) {
			rc = ready;
			break;
		}
		n = line_fill(&lb, fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		while ((res = line_next(&lb, &line, &len)) == LINE_READY) {
			if (first == NULL)
				first = line;
			total += len;
		}
		if (total > 0 &&
		    send_all_or_stop(fd, first, total, idle_ms) < 0) {
			if (errno == ECANCELED)
				rc = 0;
			break;
		}
		if (res == LINE_TOO_LONG) {
			errno = EMSGSIZE;
			break;
		}
		deadline = idle_deadline(idle_ms);
	}
	line_free(&lb);
	return rc;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)idle_ms;
	//: np_todo("04.2");
}
