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
	(void)fd;
	(void)buf;
	(void)len;
	np_todo("03.1");
}

int write_all(int fd, const void *buf, size_t len)
{
	/* TODO(03.2): write() may write less than asked: loop until all len
	 * bytes are out. Retry EINTR; any other error: return -1. */
	(void)fd;
	(void)buf;
	(void)len;
	np_todo("03.2");
}

int send_frame(int fd, const char *json, size_t len)
{
	/* TODO(03.3): Put len into 4 bytes in network byte order (big-endian:
	 * htonl() on a uint32_t, then memcpy; never write a raw int, whose
	 * size and byte order depend on the machine) and send those 4 bytes
	 * and the JSON. One buffer and one write_all() is best: two small
	 * writes may leave as two packets. */
	(void)fd;
	(void)json;
	(void)len;
	np_todo("03.3");
}

int recv_frame(int fd, struct json_object *obj, char *err, size_t errlen)
{
	/* TODO(03.4): read_exact() the 4-byte length and turn it into a
	 * number with ntohl(). Check it before you trust it: 0 or more than
	 * FRAME_MAX is FRAME_BAD ("header length N is not in 1..65536").
	 * Then read_exact() that many bytes into a buffer and json_parse()
	 * them: a parse error is FRAME_BAD with json_parse's message. Pass
	 * FRAME_EOF and FRAME_ERROR from read_exact() on. */
	(void)fd;
	(void)obj;
	(void)err;
	(void)errlen;
	np_todo("03.4");
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
