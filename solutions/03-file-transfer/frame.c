/* frame.c - see frame.h. */
#include "frame.h"
#include "np.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int read_exact(int fd, void *buf, size_t len)
{
	/* TODO(03.1): read() returns what has arrived, possibly less than
	 * asked, so loop until len bytes are in buf. read() returning 0
	 * before that is the peer closing: FRAME_EOF. Retry EINTR; any other
	 * error is FRAME_ERROR (errno tells). */
	/* BEGIN SOLUTION */
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n == 0)
			return FRAME_EOF;
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
	//: np_todo("03.1");
}

int write_all(int fd, const void *buf, size_t len)
{
	/* TODO(03.2): write() may write less than asked: loop until all len
	 * bytes are out. Retry EINTR; any other error: return -1. */
	/* BEGIN SOLUTION */
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

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

int recv_frame(int fd, struct json_object *obj, char *err, size_t errlen)
{
	/* TODO(03.4): read_exact() the 4-byte length and turn it into a
	 * number with ntohl(). Check it before you trust it: 0 or more than
	 * FRAME_MAX is FRAME_BAD ("header length N is not in 1..65536").
	 * Then read_exact() that many bytes into a buffer and json_parse()
	 * them: a parse error is FRAME_BAD with json_parse's message. Pass
	 * FRAME_EOF and FRAME_ERROR from read_exact() on. */
	/* BEGIN SOLUTION */
	char buf[FRAME_MAX];
	uint32_t be, len;
	int rc;

	rc = read_exact(fd, &be, 4);
	if (rc != FRAME_OK)
		return rc;
	len = ntohl(be);
	if (len == 0 || len > FRAME_MAX) {
		snprintf(err, errlen, "header length %lu is not in 1..%d",
		         (unsigned long)len, FRAME_MAX);
		return FRAME_BAD;
	}
	rc = read_exact(fd, buf, len);
	if (rc != FRAME_OK)
		return rc;
	if (json_parse(buf, len, obj, err, errlen) < 0)
		return FRAME_BAD;
	return FRAME_OK;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)obj;
	//: (void)err;
	//: (void)errlen;
	//: np_todo("03.4");
}

int send_object(int fd, struct json_writer *w)
{
	size_t len;
	char *text = json_writer_finish(w, &len);
	int rc;

	if (text == NULL)
		return -1;
	rc = send_frame(fd, text, len);
	free(text);
	return rc;
}

int send_error(int fd, const char *message)
{
	struct json_writer w;

	json_writer_init(&w);
	json_add_string(&w, "status", "error", 5);
	json_add_string(&w, "message", message, strlen(message));
	return send_object(fd, &w);
}
