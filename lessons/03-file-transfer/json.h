/*
 * json.h - a small JSON reader and writer for flat objects.
 *
 * Given to you, complete and tested: lesson 03 is about sockets, not about
 * parsing. It reads and writes exactly what the file-transfer protocol
 * needs: one object whose values are strings or integers, e.g.
 *
 *	{"action":"put","filename":"notes.txt","filesize":1234}
 *
 * Strings may use every JSON escape (\" \\ \/ \b \f \n \r \t and \uXXXX,
 * surrogate pairs included) and must be valid UTF-8. Integers are
 * -?(0|[1-9][0-9]*) and must fit in a long long. Anything else (nested
 * objects, arrays, fractions, exponents, true/false/null, duplicate keys,
 * trailing bytes) is refused with a message that says what and where.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

enum json_type { JSON_STRING, JSON_INT };

struct json_field {
	char *key; /* NUL-terminated; keys may not contain NUL */
	enum json_type type;
	char *str;     /* JSON_STRING: the decoded bytes, NUL-terminated */
	size_t len;    /* JSON_STRING: their length (a \u0000 counts) */
	long long num; /* JSON_INT */
};

struct json_object {
	struct json_field *fields;
	size_t n;
};

/*
 * Parse text (len bytes, need not be NUL-terminated) as one flat object
 * into *obj. Returns 0, or -1 with a message such as "byte 12: expected
 * ':'" written into err (errlen bytes) and nothing to free.
 */
int json_parse(const char *text, size_t len, struct json_object *obj, char *err,
               size_t errlen);

/* Free what json_parse() allocated. */
void json_free(struct json_object *obj);

/*
 * The length (1 to 4) of the valid UTF-8 character that s starts (len
 * bytes, not NUL-terminated), or 0 when it starts none: a byte that cannot
 * begin a character, an overlong form, a surrogate, a code point above
 * U+10FFFF, or a sequence that len cuts short. The rules json_parse()
 * holds strings to (RFC 3629), for code that must write text a JSON
 * reader accepts. An ASCII byte, a control byte included, is 1.
 */
size_t json_utf8_char(const char *s, size_t len);

/* The field named key, or NULL. */
const struct json_field *json_get(const struct json_object *obj,
                                  const char *key);

/*
 * A writer builds an object into a growing buffer:
 *	struct json_writer w;
 *	json_writer_init(&w);
 *	json_add_string(&w, "status", "ok", 2);
 *	json_add_int(&w, "filesize", 1234);
 *	text = json_writer_finish(&w, &len);   // malloc'ed, NUL-terminated
 * Strings are escaped as needed (control bytes as \u00XX; other bytes are
 * copied, so pass valid UTF-8). After a failed allocation every call does
 * nothing and json_writer_finish() returns NULL with errno ENOMEM.
 */
struct json_writer {
	char *buf;
	size_t len, cap;
	int failed;
};

void json_writer_init(struct json_writer *w);
void json_add_string(struct json_writer *w, const char *key, const char *s,
                     size_t len);
void json_add_int(struct json_writer *w, const char *key, long long v);
char *json_writer_finish(struct json_writer *w, size_t *len);

#endif
