/*
 * 03-frame-json.c - fuzz lesson 03's frame and JSON path.
 *
 * One input is used three ways, each checked against the promises of
 * frame.h and json.h (frame.c from solutions/03-file-transfer/, json.c
 * given in lessons/03-file-transfer/):
 *
 *  1. As the bytes a client sends (a 4-byte length, then JSON): written to
 *     a socket pair and read with recv_frame(), as fileserver reads a
 *     request. Every input gives FRAME_OK, FRAME_EOF (fewer bytes than the
 *     header promised) or FRAME_BAD with a reason, as the header says.
 *  2. As the JSON of a frame whose header the harness writes right, so the
 *     fuzzer need not guess lengths to reach the JSON reader.
 *  3. As arbitrary bytes handed to the writer (a key, then a value).
 *
 * For a frame it takes (FRAME_OK), every field is checked (keys and
 * strings valid UTF-8, no duplicate key), written back with the writer and
 * parsed again: same fields, and the text is valid UTF-8 with no raw
 * control byte. Every reply fileserver sends is built by reply_json():
 * the replies to a frame it takes are built from each of its strings, the
 * reply to a frame it refuses (send_error() with the reason, in a buffer
 * as big as fileserver's) is read off a socket, and the input itself is
 * given as a name and as a message. Each must be one object of valid
 * UTF-8 JSON of the promised shape, the text kept whole when it was valid
 * UTF-8 of at most REPLY_TEXT_MAX bytes. UTF-8 is checked by
 * fuzz_utf8_valid() (fuzz.c), written apart from json.c's own check.
 */
#include "fuzz.h"

#include "frame.h"
#include "json.h"
#include "np.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The reason buffer fileserver's handle_client() gives recv_frame(). */
#define SERVER_WHY_LEN 256
/* An input as a frame: the header, the JSON and a little payload after. */
#define INPUT_MAX (4 + FRAME_MAX + 64)

/* The input's bytes shown printable (\xHH otherwise), cut, for a report. */
static const char *show(const char *s, size_t len)
{
	static char out[4 * 200 + 4];
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < sizeof out; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= ' ' && c < 127 && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, sizeof out - o,
			                      "\\x%02x", c);
	}
	snprintf(out + o, sizeof out - o, "%s", i < len ? "..." : "");
	return out;
}

/*
 * A connected pair of Unix stream sockets holding len bytes from buf to
 * read at fd[0], then end of file. Returns 0, or -1 (the harness's own
 * trouble, not the lesson's: the input is skipped).
 */
static int socket_holding(int fd[2], const void *buf, size_t len)
{
	ssize_t n = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
		return -1;
	if (len > 0)
		n = send(fd[1], buf, len, MSG_DONTWAIT);
	if (n < 0 || (size_t)n != len || shutdown(fd[1], SHUT_WR) < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	return 0;
}

/* A JSON text the writer made: valid UTF-8, no raw control byte. */
static void check_text(const char *text, size_t len, const char *what)
{
	size_t i, bad, from;

	FUZZ_CHECK(text[len] == '\0', "%s: not NUL-terminated", what);
	if (!fuzz_utf8_valid(text, len, &bad)) {
		from = bad > 40 ? bad - 40 : 0;
		fuzz_fail("%s is not valid UTF-8 at byte %zu of %zu: "
		          "%s%s (from byte %zu)",
		          what, bad, len, from > 0 ? "..." : "",
		          show(text + from, len - from), from);
	}
	for (i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)text[i] >= 0x20,
		           "%s holds the raw control byte 0x%02x at byte %zu: "
		           "%s",
		           what, (unsigned char)text[i], i, show(text, len));
}

/* What json.h promises of an object json_parse() returned. */
static void check_object(const struct json_object *obj)
{
	size_t i, j, bad;

	for (i = 0; i < obj->n; i++) {
		const struct json_field *f = &obj->fields[i];

		FUZZ_CHECK(fuzz_utf8_valid(f->key, strlen(f->key), &bad),
		           "key %zu is not valid UTF-8: %s", i,
		           show(f->key, strlen(f->key)));
		FUZZ_CHECK(json_get(obj, f->key) == f,
		           "json_get() does not find key %zu", i);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(obj->fields[j].key, f->key) != 0,
			           "duplicate key taken: %s",
			           show(f->key, strlen(f->key)));
		FUZZ_CHECK(f->type == JSON_STRING || f->type == JSON_INT,
		           "field %zu has type %d", i, (int)f->type);
		if (f->type != JSON_STRING)
			continue;
		FUZZ_CHECK(f->str[f->len] == '\0',
		           "string %zu is not NUL-terminated", i);
		FUZZ_CHECK(fuzz_utf8_valid(f->str, f->len, &bad),
		           "string %zu is not valid UTF-8 at byte %zu: %s", i,
		           bad, show(f->str, f->len));
	}
}

/* Do two objects hold the same fields, in the same order? */
static int same_fields(const struct json_object *a, const struct json_object *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct json_field *f = &a->fields[i], *g = &b->fields[i];

		if (strcmp(f->key, g->key) != 0 || f->type != g->type)
			return 0;
		if (f->type == JSON_INT && f->num != g->num)
			return 0;
		if (f->type == JSON_STRING &&
		    (f->len != g->len || memcmp(f->str, g->str, f->len) != 0))
			return 0;
	}
	return 1;
}

/* Write obj with the writer, parse it back: the same fields. */
static void check_round_trip(const struct json_object *obj)
{
	struct json_writer w;
	struct json_object again;
	char err[256];
	size_t i, len;
	char *text;

	json_writer_init(&w);
	for (i = 0; i < obj->n; i++) {
		const struct json_field *f = &obj->fields[i];

		if (f->type == JSON_STRING)
			json_add_string(&w, f->key, f->str, f->len);
		else
			json_add_int(&w, f->key, f->num);
	}
	text = json_writer_finish(&w, &len);
	if (text == NULL)
		return; /* out of memory: json.h allows it */
	check_text(text, len, "the writer's copy of a parsed object");
	FUZZ_CHECK(json_parse(text, len, &again, err, sizeof err) == 0,
	           "the writer's copy of a parsed object does not parse (%s): "
	           "%s",
	           err, show(text, len));
	FUZZ_CHECK(same_fields(obj, &again),
	           "the writer's copy of a parsed object parses into other "
	           "fields: %s",
	           show(text, len));
	json_free(&again);
	free(text);
}

/*
 * Check one reply frame as a client reads it: buf (len bytes) holds its
 * 4-byte length and the JSON, nothing else. Returns the JSON parsed, for
 * the caller's own checks (json_free() it).
 */
static struct json_object check_reply(const char *buf, size_t len,
                                      const char *what)
{
	struct json_object reply;
	char err[256], *json;
	uint32_t be;

	FUZZ_CHECK(len >= 4, "%s: %zu bytes, no frame", what, len);
	memcpy(&be, buf, 4);
	FUZZ_CHECK(ntohl(be) >= 1 && ntohl(be) <= FRAME_MAX &&
	                   ntohl(be) == len - 4,
	           "%s: header length %lu, then %zu bytes", what,
	           (unsigned long)ntohl(be), len - 4);
	json = malloc(len - 4 + 1);
	FUZZ_CHECK(json != NULL, "out of memory");
	memcpy(json, buf + 4, len - 4);
	json[len - 4] = '\0';
	check_text(json, len - 4, what);
	FUZZ_CHECK(json_parse(json, len - 4, &reply, err, sizeof err) == 0,
	           "%s does not parse (%s): %s", what, err,
	           show(json, len - 4));
	free(json);
	return reply;
}

/*
 * What reply_json() promises of the text field it was given (text, any
 * bytes up to a NUL): kept as it is when it is valid UTF-8 of at most
 * REPLY_TEXT_MAX bytes; cut before a character to at most REPLY_TEXT_MAX
 * bytes when it is longer; valid UTF-8 whatever it was (check_text()).
 */
static void check_kept(const struct json_field *f, const char *text,
                       const char *what)
{
	size_t len = strlen(text), bad;

	if (!fuzz_utf8_valid(text, len, &bad))
		return;
	if (len <= REPLY_TEXT_MAX)
		FUZZ_CHECK(f->len == len && memcmp(f->str, text, len) == 0,
		           "%s: the text \"%s\" came back as \"%s\"", what,
		           show(text, len), show(f->str, f->len));
	else
		FUZZ_CHECK(f->len <= REPLY_TEXT_MAX &&
		                   f->len + 4 > REPLY_TEXT_MAX &&
		                   memcmp(f->str, text, f->len) == 0,
		           "%s: %zu bytes of valid UTF-8 came back as %zu "
		           "bytes, not their first %d or a few fewer",
		           what, len, f->len, REPLY_TEXT_MAX);
}

/*
 * A reply as a client reads it: valid UTF-8 JSON of the shape reply_json()
 * promises, {"status":"error","message":MESSAGE} or {"status":"ok",
 * "filename":NAME,"filesize":SIZE}.
 */
static void check_reply_object(const struct json_object *reply,
                               const char *message, const char *name,
                               long long size, const char *what)
{
	const struct json_field *status = json_get(reply, "status");
	const struct json_field *text =
	        json_get(reply, message != NULL ? "message" : "filename");
	const struct json_field *filesize = json_get(reply, "filesize");
	const char *want = message != NULL ? "error" : "ok";

	FUZZ_CHECK(status != NULL && status->type == JSON_STRING &&
	                   strcmp(status->str, want) == 0,
	           "%s: no \"status\":\"%s\"", what, want);
	FUZZ_CHECK(text != NULL && text->type == JSON_STRING,
	           "%s: no \"%s\" string", what,
	           message != NULL ? "message" : "filename");
	if (message != NULL)
		FUZZ_CHECK(reply->n == 2, "%s: %zu fields, not 2", what,
		           reply->n);
	else
		FUZZ_CHECK(reply->n == 3 && filesize != NULL &&
		                   filesize->type == JSON_INT &&
		                   filesize->num == size,
		           "%s: not 3 fields with \"filesize\":%lld", what,
		           size);
	check_kept(text, message != NULL ? message : name, what);
}

/* reply_json()'s text for (message, name, size), checked as above. */
static void check_reply_json(const char *message, const char *name,
                             long long size, const char *what)
{
	struct json_object reply;
	char err[256], *text;
	size_t len;

	text = reply_json(message, name, size, &len);
	if (text == NULL)
		return; /* out of memory: frame.h allows it */
	FUZZ_CHECK(len <= FRAME_MAX, "%s: %zu bytes, over FRAME_MAX", what,
	           len);
	check_text(text, len, what);
	FUZZ_CHECK(json_parse(text, len, &reply, err, sizeof err) == 0,
	           "%s does not parse (%s): %s", what, err, show(text, len));
	check_reply_object(&reply, message, name, size, what);
	json_free(&reply);
	free(text);
}

/*
 * The error reply fileserver sends when recv_frame() refused a request:
 * send_error(fd, why). Sent on a socket pair and read back as a client.
 */
static void check_error_reply(const char *why)
{
	static char buf[4 + FRAME_MAX + 1];
	struct json_object reply;
	size_t len = 0;
	ssize_t n;
	int fd[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
		return;
	FUZZ_CHECK(send_error(fd[1], why) == 0, "send_error() failed: %s",
	           strerror(errno));
	close(fd[1]);
	while ((n = read(fd[0], buf + len, sizeof buf - len)) > 0)
		len += (size_t)n;
	close(fd[0]);
	reply = check_reply(buf, len, "the error reply to a refused frame");
	check_reply_object(&reply, why, NULL, 0,
	                   "the error reply to a refused frame");
	json_free(&reply);
}

/*
 * Every reply fileserver sends is built by reply_json() (frame.h): built
 * here from each string of a request it took, as a file's name and as a
 * message quoting it.
 */
static void check_server_replies(const struct json_object *req)
{
	size_t i;

	for (i = 0; i < req->n; i++) {
		const struct json_field *f = &req->fields[i];

		if (f->type != JSON_STRING)
			continue;
		check_reply_json(NULL, f->str, (long long)f->len,
		                 "the reply naming a requested file");
		check_reply_json(f->str, NULL, 0,
		                 "the error reply quoting a request");
	}
}

/*
 * Send wire (len bytes) as a client would, receive it as fileserver does,
 * and check the outcome against what the header says.
 */
static void check_frame(const char *wire, size_t len)
{
	struct json_object obj, direct;
	char why[SERVER_WHY_LEN], err[SERVER_WHY_LEN], *copy;
	uint32_t be, hlen = 0;
	int fd[2], rc, parsed;

	if (socket_holding(fd, wire, len) < 0)
		return;
	strcpy(why, "(unset)");
	rc = recv_frame(fd[0], &obj, NP_NO_DEADLINE, why, sizeof why);
	close(fd[0]);
	close(fd[1]);
	if (len >= 4) {
		memcpy(&be, wire, 4);
		hlen = ntohl(be);
	}
	if (len < 4 || (hlen >= 1 && hlen <= FRAME_MAX && len - 4 < hlen)) {
		FUZZ_CHECK(rc == FRAME_EOF,
		           "recv_frame() returned %d, not FRAME_EOF, for %zu "
		           "bytes under a header of %lu",
		           rc, len, (unsigned long)hlen);
		return;
	}
	if (hlen == 0 || hlen > FRAME_MAX) {
		FUZZ_CHECK(
		        rc == FRAME_BAD && why[0] != '\0' &&
		                strcmp(why, "(unset)") != 0,
		        "recv_frame() returned %d for the header length %lu, "
		        "not FRAME_BAD with a reason",
		        rc, (unsigned long)hlen);
		check_error_reply(why);
		return;
	}
	/* A whole frame: recv_frame() says what json_parse() says. */
	FUZZ_CHECK(rc == FRAME_OK || rc == FRAME_BAD,
	           "recv_frame() returned %d for a whole frame", rc);
	/* A copy of exactly its size: ASan sees a read past its end. */
	copy = malloc(hlen);
	FUZZ_CHECK(copy != NULL, "out of memory");
	memcpy(copy, wire + 4, hlen);
	parsed = json_parse(copy, hlen, &direct, err, sizeof err) == 0;
	free(copy);
	FUZZ_CHECK(parsed == (rc == FRAME_OK),
	           "recv_frame() returned %d, json_parse() of the same bytes "
	           "disagrees: %s",
	           rc, show(wire + 4, hlen));
	if (rc == FRAME_BAD) {
		FUZZ_CHECK(strcmp(why, err) == 0,
		           "recv_frame()'s reason \"%s\" is not json_parse()'s "
		           "\"%s\"",
		           why, err);
		check_error_reply(why);
		return;
	}
	FUZZ_CHECK(same_fields(&obj, &direct),
	           "recv_frame() and json_parse() give other fields for %s",
	           show(wire + 4, hlen));
	json_free(&direct);
	check_object(&obj);
	check_round_trip(&obj);
	check_server_replies(&obj);
	json_free(&obj);
}

/*
 * The writer handed arbitrary bytes: a key (up to the first NUL: keys are
 * C strings) and a value (the rest, NULs included). json.h asks for valid
 * UTF-8 and copies bytes of 0x80 and above as they are. So: from valid
 * UTF-8, valid UTF-8 JSON that parses back into the same key and value;
 * from anything else, a text the reader refuses cleanly, never one that
 * parses into other bytes.
 */
static void check_writer(const char *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t klen = nul != NULL ? (size_t)(nul - data) : size, bad, len;
	const char *value = nul != NULL ? nul + 1 : data + size;
	size_t vlen = (size_t)(data + size - value);
	struct json_object obj;
	struct json_writer w;
	char *key, *text, err[256];
	int valid;

	key = malloc(klen + 1);
	FUZZ_CHECK(key != NULL, "out of memory");
	memcpy(key, data, klen);
	key[klen] = '\0';
	json_writer_init(&w);
	json_add_string(&w, key, value, vlen);
	text = json_writer_finish(&w, &len);
	if (text == NULL) {
		free(key);
		return;
	}
	valid = fuzz_utf8_valid(key, klen, &bad) &&
	        fuzz_utf8_valid(value, vlen, &bad);
	if (valid) {
		check_text(text, len, "the writer's object from valid UTF-8");
		FUZZ_CHECK(json_parse(text, len, &obj, err, sizeof err) == 0,
		           "the writer's object from valid UTF-8 does not "
		           "parse (%s): %s",
		           err, show(text, len));
		FUZZ_CHECK(obj.n == 1 && strcmp(obj.fields[0].key, key) == 0 &&
		                   obj.fields[0].type == JSON_STRING &&
		                   obj.fields[0].len == vlen &&
		                   memcmp(obj.fields[0].str, value, vlen) == 0,
		           "the writer's object parses into another key or "
		           "value: %s",
		           show(text, len));
		json_free(&obj);
	} else {
		FUZZ_CHECK(json_parse(text, len, &obj, err, sizeof err) < 0,
		           "the writer's object from bytes that are not UTF-8 "
		           "parses: %s",
		           show(text, len));
		FUZZ_CHECK(strstr(err, "UTF-8") != NULL,
		           "the writer's object from bytes that are not UTF-8 "
		           "is refused, not for its UTF-8 (%s): %s",
		           err, show(text, len));
	}
	free(text);
	free(key);
}

/* reply_json() given the input's bytes (up to a NUL) as a message. */
static void check_any_reply(const char *data, size_t size)
{
	char *text = malloc(size + 1);

	FUZZ_CHECK(text != NULL, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	check_reply_json(text, NULL, 0, "the error reply quoting any bytes");
	check_reply_json(NULL, text, 7, "the reply naming any bytes");
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char framed[4 + FRAME_MAX];
	uint32_t be;

	if (size > INPUT_MAX)
		return 0;
	check_frame((const char *)data, size);
	if (size >= 1 && size <= FRAME_MAX) {
		be = htonl((uint32_t)size);
		memcpy(framed, &be, 4);
		memcpy(framed + 4, data, size);
		check_frame(framed, 4 + size);
	}
	check_writer((const char *)data, size);
	check_any_reply((const char *)data, size);
	return 0;
}
