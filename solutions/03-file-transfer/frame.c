/* frame.c - see frame.h. */
#include "frame.h"
#include "np.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int read_exact(int fd, void *buf, size_t len, long long deadline)
{
	/* TODO(03.1): read() returns what has arrived, possibly less than
	 * asked, so loop until len bytes are in buf. read() returning 0
	 * before that is the peer closing: FRAME_EOF. The whole of it must be
	 * in by the deadline, however the bytes dribble in: a client that
	 * sends a byte a second must not hold the server for ever (a limit
	 * per read would let it). Never wait past the deadline (FRAME_ERROR,
	 * errno ETIMEDOUT) or past a stop request, SIGINT or SIGTERM
	 * (FRAME_ERROR, errno ECANCELED); np.h has the wait that watches
	 * both. Retry EINTR; any other error is FRAME_ERROR (errno tells). */
	/* BEGIN SOLUTION */
	char *p = buf;

	while (len > 0) {
		ssize_t n;
		int ready = np_wait_fd(fd, POLLIN, deadline);

		if (ready == 0)
			errno = ECANCELED;
		if (ready <= 0)
			return FRAME_ERROR;
		n = read(fd, p, len);
		if (n == 0)
			return FRAME_EOF;
		/* The next np_wait_fd() sees a stop that came meanwhile. */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FRAME_ERROR;
		p += n;
		len -= (size_t)n;
	}
	return FRAME_OK;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)buf;
	//: (void)len;
	//: (void)deadline;
	//: np_todo("03.1");
}

int write_all(int fd, const void *buf, size_t len)
{
	/* TODO(03.2): write() may write less than asked: loop until all len
	 * bytes are out. Retry EINTR, but never past a stop request (np_stop):
	 * then return -1 with errno ECANCELED. On a socket with a time limit
	 * (SO_SNDTIMEO) a signal cuts a blocked write() short, with EINTR or
	 * with fewer bytes than asked; the next write() would block again,
	 * for the whole limit, so look at np_stop before each write(). Any
	 * other error: return -1. */
	/* BEGIN SOLUTION */
	const char *p = buf;

	while (len > 0) {
		ssize_t n;

		if (np_stop) {
			errno = ECANCELED;
			return -1;
		}
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)buf;
	//: (void)len;
	//: np_todo("03.2");
}

int send_frame(int fd, const char *json, size_t len)
{
	/* TODO(03.3): Put len into 4 bytes in network byte order (big-endian:
	 * htonl() on a uint32_t, then memcpy; never write a raw int, whose
	 * size and byte order depend on the machine) and send those 4 bytes
	 * and the JSON. One buffer and one write_all() is best: two small
	 * writes may leave as two packets. */
	/* BEGIN SOLUTION */
	char buf[4 + FRAME_MAX];
	uint32_t be;

	if (len == 0 || len > FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	be = htonl((uint32_t)len);
	memcpy(buf, &be, 4);
	memcpy(buf + 4, json, len);
	return write_all(fd, buf, 4 + len);
	/* END SOLUTION */
	//: (void)fd;
	//: (void)json;
	//: (void)len;
	//: np_todo("03.3");
}

int recv_frame(int fd, struct json_object *obj, long long deadline, char *err,
               size_t errlen)
{
	/* TODO(03.4): read_exact() the 4-byte length and turn it into a
	 * number with ntohl(). Check it before you trust it: 0 or more than
	 * FRAME_MAX is FRAME_BAD ("header length N is not in 1..65536").
	 * Then read_exact() that many bytes into a buffer and json_parse()
	 * them: a parse error is FRAME_BAD with json_parse's message. Pass
	 * FRAME_EOF and FRAME_ERROR from read_exact() on. The whole frame,
	 * length and JSON, must be in by the one deadline. */
	/* BEGIN SOLUTION */
	char buf[FRAME_MAX];
	uint32_t be, len;
	int rc;

	rc = read_exact(fd, &be, 4, deadline);
	if (rc != FRAME_OK)
		return rc;
	len = ntohl(be);
	if (len == 0 || len > FRAME_MAX) {
		snprintf(err, errlen, "header length %lu is not in 1..%d",
		         (unsigned long)len, FRAME_MAX);
		return FRAME_BAD;
	}
	rc = read_exact(fd, buf, len, deadline);
	if (rc != FRAME_OK)
		return rc;
	if (json_parse(buf, len, obj, err, errlen) < 0)
		return FRAME_BAD;
	return FRAME_OK;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)obj;
	//: (void)deadline;
	//: (void)err;
	//: (void)errlen;
	//: np_todo("03.4");
}

char *escape_text(char *out, size_t outlen, const char *s, size_t len)
{
	/* TODO(03.11): Text from a peer goes into log lines and onto
	 * terminals, where a control character does harm: a newline forges
	 * a log line of the peer's choosing, \r overwrites one, ESC drives
	 * the terminal. Escape s into out as frame.h promises, every clause
	 * of it: the tests send each kind of byte, and an out too small. */
	/* BEGIN SOLUTION */
	static const char named[] = "\\\n\r\t", names[] = "\\nrt";
	size_t i = 0, o = 0, n, step;
	char esc[5];

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		const char *p = c == '\0' ? NULL : strchr(named, c),
		           *piece = esc;

		step = json_utf8_char(s + i, len - i);
		if (p != NULL) {
			n = (size_t)snprintf(esc, sizeof esc, "\\%c",
			                     names[p - named]);
		} else if (step == 0 || c < 0x20 || c == 0x7f) {
			n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
			step = 1;
		} else {
			piece = s + i;
			n = step;
		}
		/* Whole, with room for the NUL after it, or not at all. */
		if (n >= outlen - o)
			break;
		memcpy(out + o, piece, n);
		o += n;
		i += step;
	}
	out[o] = '\0';
	return out;
	/* END SOLUTION */
	//: (void)out;
	//: (void)outlen;
	//: (void)s;
	//: (void)len;
	//: np_todo("03.11");
}

/* Send text (len bytes, malloc'ed; NULL: it could not be made) as one
 * frame and free it. Returns 0, or -1 (errno). */
static int send_text(int fd, char *text, size_t len)
{
	int rc;

	if (text == NULL)
		return -1;
	rc = send_frame(fd, text, len);
	free(text);
	return rc;
}

int send_object(int fd, struct json_writer *w)
{
	size_t len = 0;
	char *text = json_writer_finish(w, &len);

	return send_text(fd, text, len);
}

/*
 * Copy the first max bytes of s (len bytes) into out as valid UTF-8: each
 * byte that does not belong to a valid character becomes U+FFFD, and the
 * copy stops before a character that would cross max. out must hold 3 *
 * max bytes. Returns the length of the copy.
 */
static size_t clean_utf8(const char *s, size_t len, size_t max, char *out)
{
	size_t i = 0, o = 0, n;

	while (i < len) {
		n = json_utf8_char(s + i, len - i);
		if (i + (n == 0 ? 1 : n) > max)
			break;
		if (n == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3); /* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	return o;
}

char *reply_json(const char *message, const char *name, long long size,
                 size_t *len)
{
	const char *text = message != NULL ? message : name;
	char clean[3 * REPLY_TEXT_MAX];
	size_t n = clean_utf8(text, strlen(text), REPLY_TEXT_MAX, clean);
	struct json_writer w;

	/* At most 6 bytes (\u00XX) for each of REPLY_TEXT_MAX bytes, and a
	 * few dozen more for the rest: well within FRAME_MAX. */
	json_writer_init(&w);
	if (message != NULL) {
		json_add_string(&w, "status", "error", 5);
		json_add_string(&w, "message", clean, n);
	} else {
		json_add_string(&w, "status", "ok", 2);
		json_add_string(&w, "filename", clean, n);
		json_add_int(&w, "filesize", size);
	}
	return json_writer_finish(&w, len);
}

int send_reply(int fd, const char *message, const char *name, long long size)
{
	size_t len = 0;
	char *text = reply_json(message, name, size, &len);

	return send_text(fd, text, len);
}

int send_error(int fd, const char *message)
{
	return send_reply(fd, message, NULL, 0);
}
