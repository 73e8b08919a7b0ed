/*
 * 04-lines.c - fuzz lesson 04's line framing: line_fill(), line_next() and
 * line_trim() of lines.c (the reference, solutions/04-concurrent-servers/).
 *
 * The input is a script of records, each [op][n][n bytes]: the n bytes,
 * (op >> 1) * 4 + 1 times over (a long line needs no long input), are
 * written to a pipe as fast as it takes them. Each time, the reader takes
 * what the pipe holds as poll-server does: line_fill() until the pipe is
 * empty, each time followed by line_next() until no whole line is left,
 * and line_trim() once the buffer is empty if op's low bit is set. So the
 * reads split the bytes where the records and the buffer's room say. At
 * the end the pipe is closed and read to end of file. A line longer than
 * LINE_MAX_LEN ends the script, as it ends a connection.
 *
 * Checked all along, against a copy of every byte written: each line
 * ends in its one '\n'; the lines, then the bytes still pending, are
 * exactly the bytes written, in order, none lost, none twice; the results
 * are what lines.h says (LINE_NEED_MORE: no '\n' pending; LINE_TOO_LONG:
 * LINE_MAX_LEN + 1 bytes pending without one); lines taken one after the
 * other lie side by side; the buffer never holds more than LINE_MAX_LEN + 1
 * bytes, and line_trim() frees it when it is empty.
 */
#include "fuzz.h"

#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How many bytes a script may write in all: keeps each run quick. */
#define STREAM_MAX (256 * 1024)

struct run {
	struct linebuf lb;
	int rfd, wfd;
	char *stream;  /* every byte written, in order */
	size_t cap;    /* bytes allocated at stream */
	size_t sent;   /* bytes written to the pipe */
	size_t filled; /* bytes line_fill() said it read */
	size_t taken;  /* bytes taken as lines */
	int too_long;  /* LINE_TOO_LONG seen: the connection would end */
};

/*
 * The buffer's shape, and that it holds as many bytes as were read and not
 * taken. With all, also that they are those bytes (a copy may have lost or
 * mixed some); elsewhere each byte is compared once, as it arrives and when
 * a line takes it, so that a run costs time in proportion to its bytes.
 */
static void check_buffer(const struct run *r, int all)
{
	const struct linebuf *lb = &r->lb;
	size_t pending = lb->end - lb->start;

	FUZZ_CHECK(lb->start <= lb->end && lb->end <= lb->cap &&
	                   lb->cap <= LINE_MAX_LEN + 1,
	           "buffer out of shape: start %zu, end %zu, cap %zu",
	           lb->start, lb->end, lb->cap);
	FUZZ_CHECK((lb->cap == 0) == (lb->data == NULL),
	           "buffer of %zu bytes at %p", lb->cap, (void *)lb->data);
	FUZZ_CHECK(pending == r->filled - r->taken,
	           "%zu bytes pending, but %zu read and %zu taken as lines",
	           pending, r->filled, r->taken);
	FUZZ_CHECK(!all || pending == 0 ||
	                   memcmp(lb->data + lb->start, r->stream + r->taken,
	                          pending) == 0,
	           "the pending bytes are not the ones sent after byte %zu",
	           r->taken);
}

/* Take every whole line, checking each; stop at LINE_TOO_LONG. */
static void take_lines(struct run *r)
{
	const char *line, *next = NULL;
	size_t len, pending;
	enum line_result res;

	while ((res = line_next(&r->lb, &line, &len)) == LINE_READY) {
		FUZZ_CHECK(len >= 1 && len <= r->filled - r->taken,
		           "a line of %zu bytes with %zu pending", len,
		           r->filled - r->taken);
		FUZZ_CHECK(line[len - 1] == '\n' &&
		                   memchr(line, '\n', len - 1) == NULL,
		           "a line of %zu bytes that is not one line", len);
		FUZZ_CHECK(memcmp(line, r->stream + r->taken, len) == 0,
		           "the line at byte %zu is not the bytes sent",
		           r->taken);
		FUZZ_CHECK(next == NULL || line == next,
		           "two lines taken one after the other are apart");
		next = line + len;
		r->taken += len;
		check_buffer(r, 0);
	}
	pending = r->lb.end - r->lb.start;
	FUZZ_CHECK(pending == 0 || memchr(r->lb.data + r->lb.start, '\n',
	                                  pending) == NULL,
	           "line_next() returned %d with a '\\n' pending", (int)res);
	FUZZ_CHECK(res == (pending >= LINE_MAX_LEN + 1 ? LINE_TOO_LONG
	                                               : LINE_NEED_MORE),
	           "line_next() returned %d with %zu bytes pending", (int)res,
	           pending);
	if (res == LINE_TOO_LONG) {
		r->too_long = 1;
		check_buffer(r, 1);
	}
}

/*
 * Read what the pipe holds, as poll-server does on POLLIN. Returns 0 at
 * end of file, else 1.
 */
static int drain(struct run *r, int trim)
{
	ssize_t n = 1;

	while (!r->too_long) {
		/* Moving or growing the buffer copies the pending bytes. */
		int copied = r->lb.start > 0 || r->lb.end == r->lb.cap;

		n = line_fill(&r->lb, r->rfd);
		if (n < 0 && errno == EAGAIN)
			break;
		FUZZ_CHECK(n >= 0 || errno == EMSGSIZE,
		           "line_fill() failed: %s", strerror(errno));
		if (n < 0) {
			/* Only a full buffer without '\n' may refuse. */
			FUZZ_CHECK(r->lb.end - r->lb.start == LINE_MAX_LEN + 1,
			           "line_fill() said EMSGSIZE with %zu bytes "
			           "pending",
			           r->lb.end - r->lb.start);
			take_lines(r);
			FUZZ_CHECK(r->too_long, "EMSGSIZE, yet a line fits");
			return 1;
		}
		r->filled += (size_t)n;
		FUZZ_CHECK(r->filled <= r->sent,
		           "line_fill() read %zu bytes of %zu sent", r->filled,
		           r->sent);
		check_buffer(r, copied);
		if (n == 0)
			break;
		FUZZ_CHECK(memcmp(r->lb.data + r->lb.end - n,
		                  r->stream + r->filled - n, (size_t)n) == 0,
		           "line_fill() stored other bytes than the %zd read",
		           n);
		take_lines(r);
		if (trim && r->lb.start == r->lb.end) {
			line_trim(&r->lb);
			FUZZ_CHECK(r->lb.data == NULL && r->lb.cap == 0,
			           "line_trim() kept an empty buffer");
		}
	}
	return n != 0;
}

/*
 * Send piece (n bytes) rep times: copy them after the stream, then write
 * them to the pipe as fast as it takes them, draining it each time.
 */
static void send_piece(struct run *r, const uint8_t *piece, size_t n,
                       size_t rep, int trim)
{
	size_t end = r->sent + n * rep, k;
	ssize_t w;
	char *grown;

	if (n == 0 || end > STREAM_MAX)
		return;
	if (end > r->cap) {
		grown = realloc(r->stream, end);
		FUZZ_CHECK(grown != NULL, "out of memory");
		r->stream = grown;
		r->cap = end;
	}
	for (k = 0; k < rep; k++)
		memcpy(r->stream + r->sent + k * n, piece, n);
	while (r->sent < end && !r->too_long) {
		w = write(r->wfd, r->stream + r->sent, end - r->sent);
		FUZZ_CHECK(w > 0 || errno == EAGAIN, "write: %s",
		           strerror(errno));
		if (w > 0)
			r->sent += (size_t)w;
		drain(r, trim);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = {.lb = LINEBUF_INIT};
	size_t i = 0, n, rep;
	int fds[2], more;

	if (pipe(fds) < 0)
		return 0;
	r.rfd = fds[0];
	r.wfd = fds[1];
	if (fcntl(r.rfd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(r.wfd, F_SETFL, O_NONBLOCK) < 0)
		fuzz_fail("fcntl: %s", strerror(errno));
	while (i + 2 <= size && !r.too_long) {
		n = data[i + 1] < size - i - 2 ? data[i + 1] : size - i - 2;
		rep = (size_t)(data[i] >> 1) * 4 + 1;
		send_piece(&r, data + i + 2, n, rep, data[i] & 1);
		i += 2 + n;
	}
	/* The client closes: what is left is pending, not a line. */
	close(r.wfd);
	more = r.too_long ? 0 : drain(&r, 0);
	if (!r.too_long) {
		FUZZ_CHECK(!more, "no end of file after the pipe was closed");
		FUZZ_CHECK(r.filled == r.sent,
		           "%zu bytes sent, %zu read by the end of file",
		           r.sent, r.filled);
		check_buffer(&r, 1);
	}
	close(r.rfd);
	line_free(&r.lb);
	FUZZ_CHECK(r.lb.data == NULL && r.lb.cap == 0 && r.lb.end == 0,
	           "line_free() left a buffer");
	free(r.stream);
	return 0;
}
