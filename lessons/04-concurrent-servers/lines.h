/*
 * lines.h - line framing on a byte stream, shared by lesson 04's programs.
 *
 * TCP delivers bytes, not messages: one read may return half a line, or
 * three lines and the start of a fourth (粘包). A struct linebuf keeps what
 * was read until it holds a whole line. Its memory grows only as far as the
 * longest line needs (at most LINE_MAX_LEN + 1 bytes) and can be given back
 * while the buffer is empty (line_trim; poll-server does, echo_lines keeps
 * its buffer for the life of the connection).
 */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>
#include <sys/types.h>

/* The longest line a program accepts, not counting its '\n'. */
#define LINE_MAX_LEN 65536

struct linebuf {
	char *data;   /* NULL until the first read */
	size_t cap;   /* bytes allocated at data */
	size_t start; /* the first byte not yet taken by line_next() */
	size_t end;   /* one past the last byte read */
};

/* clang-format off */
#define LINEBUF_INIT {NULL, 0, 0, 0}
/* clang-format on */

enum line_result {
	LINE_READY,     /* *line and *len hold the next line */
	LINE_NEED_MORE, /* no whole line yet: read more */
	LINE_TOO_LONG,  /* LINE_MAX_LEN + 1 bytes and still no '\n' */
};

/*
 * Read once from fd (a socket, a pipe or a terminal) into lb, after making
 * room: the bytes not yet taken move to the front, and the buffer grows up
 * to LINE_MAX_LEN + 1 bytes. Returns the bytes read, 0 at end of file, or
 * -1 with errno set (EAGAIN: a non-blocking fd has nothing; EMSGSIZE: the
 * buffer is full, line_next() says LINE_TOO_LONG).
 */
ssize_t line_fill(struct linebuf *lb, int fd);

/*
 * Take the next whole line from lb: on LINE_READY, *line points at it
 * inside lb and *len counts its bytes including the '\n'. The pointer stays
 * valid until the next line_fill(); lines taken one after the other lie
 * one after the other in memory.
 */
enum line_result line_next(struct linebuf *lb, const char **line, size_t *len);

/* Free lb's memory if it holds nothing that is pending; lb stays usable. */
void line_trim(struct linebuf *lb);

/* Free lb's memory, pending bytes included. */
void line_free(struct linebuf *lb);

/*
 * The deadline of a connection that is idle from now on: np_now_ms() +
 * idle_ms, or NP_NO_DEADLINE when idle_ms < 0 (no limit). Give it to
 * np_wait_fd(), and take a new one each time the client does something.
 */
long long idle_deadline(int idle_ms);

/*
 * Send all len bytes of buf on the socket fd, however many calls it takes,
 * or stop: while the peer does not read, it waits, and gives up when
 * SIGINT or SIGTERM arrives (errno ECANCELED), so a server can always
 * stop, or when the socket has taken no byte for idle_ms milliseconds
 * (errno ETIMEDOUT; idle_ms < 0: no limit), so a peer that never reads
 * cannot hold it for ever. (Lesson 01's send_all() never gives up: hence
 * another name.) Returns 0, or -1 with errno set.
 */
int send_all_or_stop(int fd, const char *buf, size_t len, int idle_ms);

/*
 * Echo every line that arrives on the connected socket fd back to it until
 * the client closes (returns 0), SIGINT or SIGTERM arrives (returns 0),
 * the client is idle for idle_ms milliseconds, sending nothing and taking
 * nothing (-1 with errno ETIMEDOUT; idle_ms < 0: no limit), or something
 * fails (returns -1 with errno set; EMSGSIZE: a line longer than
 * LINE_MAX_LEN). A last piece without '\n' at EOF is not a line and is not
 * echoed. It does not close fd.
 */
int echo_lines(int fd, int idle_ms);

#endif
