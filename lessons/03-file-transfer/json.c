/*
 * json.c - see json.h.
 *
 * The parser reads the input left to right with an explicit position and
 * no recursion: a flat object needs no stack, and anything that would need
 * one (a nested object or an array) is refused as soon as its first byte
 * is seen. Every read is checked against the input length, so the text
 * need not be NUL-terminated. Byte offsets in messages count from 0: "byte
 * 0" is the first byte of the input.
 */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The one-letter escapes and the bytes they stand for, in the same order;
 * the reader maps names to bytes, the writer bytes to names.
 */
static const char escape_names[] = "\"\\bfnrt";
static const char escape_bytes[] = "\"\\\b\f\n\r\t";

/* Room for the longest escape the writer makes, "\u001f", and a NUL. */
#define ESCAPE_MAX 8

struct parser {
	const char *text;
	size_t len;
	size_t pos; /* the next byte to read */
	size_t cap; /* how many fields obj->fields has room for */
	char *err;  /* the caller's message buffer */
	size_t errlen;
};

static int fail(struct parser *ps, size_t at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Write "byte AT: MESSAGE" into the caller's buffer. Returns -1. */
static int fail(struct parser *ps, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err != NULL && ps->errlen > 0) {
		n = snprintf(ps->err, ps->errlen, "byte %zu: ", at);
		if (n >= 0 && (size_t)n < ps->errlen) {
			va_start(ap, fmt);
			vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	errno = EINVAL;
	return -1;
}

/* No offset here: where we were says nothing about why malloc failed. */
static int fail_oom(struct parser *ps)
{
	if (ps->err != NULL && ps->errlen > 0)
		snprintf(ps->err, ps->errlen, "out of memory");
	errno = ENOMEM;
	return -1;
}

/* Say what was expected and show what was found instead. */
static int fail_expected(struct parser *ps, const char *what)
{
	unsigned char c;

	if (ps->pos == ps->len)
		return fail(ps, ps->pos, "expected %s, found end of input",
		            what);
	c = (unsigned char)ps->text[ps->pos];
	if (c >= ' ' && c < 0x7f)
		return fail(ps, ps->pos, "expected %s, found '%c'", what, c);
	return fail(ps, ps->pos, "expected %s, found byte 0x%02x", what, c);
}

/* The next byte, or -1 at the end of the input. */
static int peek(const struct parser *ps)
{
	if (ps->pos == ps->len)
		return -1;
	return (unsigned char)ps->text[ps->pos];
}

static void skip_space(struct parser *ps)
{
	int c;

	while ((c = peek(ps)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		ps->pos++;
}

/* After optional space, consume c if it is next. Returns 1 if it was. */
static int accept_byte(struct parser *ps, int c)
{
	skip_space(ps);
	if (peek(ps) != c)
		return 0;
	ps->pos++;
	return 1;
}

/* After optional space, consume c, or fail saying what was expected. */
static int expect(struct parser *ps, int c, const char *what)
{
	return accept_byte(ps, c) ? 0 : fail_expected(ps, what);
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Find the quote that closes the string starting at ps->pos, skipping
 * escaped bytes, so that decoding knows its bound (and an upper bound on
 * the decoded size) before it starts.
 */
static int find_string_end(struct parser *ps, size_t *end)
{
	size_t i = ps->pos + 1;

	while (i < ps->len && ps->text[i] != '"')
		i += ps->text[i] == '\\' ? 2 : 1;
	*end = i;
	if (i >= ps->len)
		return fail(ps, ps->pos, "unterminated string");
	return 0;
}

/* The value of the \uXXXX at index at, or -1 if there is none there. */
static long u_escape_at(const struct parser *ps, size_t at, size_t end)
{
	long unit = 0;
	int i, h;

	if (end - at < 6 || ps->text[at] != '\\' || ps->text[at + 1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		h = hex_value(ps->text[at + i]);
		if (h < 0)
			return -1;
		unit = unit << 4 | h;
	}
	return unit;
}

/* Encode code point cp (at most U+10FFFF, not a surrogate) as UTF-8. */
static size_t utf8_encode(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Decode \uXXXX, or a surrogate pair \uD8xx\uDCxx, as UTF-8. UTF-16 puts
 * code points above U+FFFF in two units, high (D800-DBFF) then low
 * (DC00-DFFF); either one alone is not a character.
 */
static int decode_u_escape(struct parser *ps, size_t end, char *out, size_t *n)
{
	size_t at = ps->pos;
	long hi = u_escape_at(ps, at, end), lo;
	unsigned long cp;

	if (hi < 0)
		return fail(ps, at, "\\u must be followed by four hex digits");
	ps->pos += 6;
	cp = (unsigned long)hi;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return fail(ps, at, "low surrogate \\u%04lX without a high one",
		            hi);
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		lo = u_escape_at(ps, ps->pos, end);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return fail(ps, at,
			            "high surrogate \\u%04lX is not followed "
			            "by a low surrogate",
			            hi);
		ps->pos += 6;
		cp = 0x10000 + ((unsigned long)(hi - 0xD800) << 10) +
		     (unsigned long)(lo - 0xDC00);
	}
	*n += utf8_encode(cp, out + *n);
	return 0;
}

/* Decode the escape sequence at ps->pos (a backslash). */
static int decode_escape(struct parser *ps, size_t end, char *out, size_t *n)
{
	/* find_string_end() skipped the escaped byte, so it is before end. */
	char c = ps->text[ps->pos + 1];
	const char *p = c == '\0' ? NULL : strchr(escape_names, c);

	if (c == 'u')
		return decode_u_escape(ps, end, out, n);
	/* \/ exists so that "</script>" can be written; it is just '/'. */
	if (c == '/')
		out[(*n)++] = '/';
	else if (p != NULL)
		out[(*n)++] = escape_bytes[p - escape_names];
	else
		return fail(ps, ps->pos,
		            "invalid escape: a backslash must be "
		            "followed by one of \"\\/bfnrtu");
	ps->pos += 2;
	return 0;
}

/*
 * The length of the UTF-8 sequence that lead byte c starts (0: c cannot
 * start one) and the range its second byte must lie in. The narrowed
 * ranges (RFC 3629, section 4) shut out overlong forms (E0 80..9F, F0
 * 80..8F), UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF
 * (F4 90..BF); C0, C1 and F5..FF never start a valid sequence.
 */
static size_t utf8_length(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF) {
		*lo = c == 0xE0 ? 0xA0 : 0x80;
		*hi = c == 0xED ? 0x9F : 0xBF;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		*lo = c == 0xF0 ? 0x90 : 0x80;
		*hi = c == 0xF4 ? 0x8F : 0xBF;
		return 4;
	}
	return 0;
}

/* Check the UTF-8 sequence at ps->pos and copy it to out. */
static int copy_utf8(struct parser *ps, size_t end, char *out, size_t *n)
{
	const unsigned char *s = (const unsigned char *)ps->text + ps->pos;
	unsigned char lo, hi;
	size_t i, need = utf8_length(s[0], &lo, &hi);

	if (need == 0)
		return fail(ps, ps->pos, "invalid UTF-8: byte 0x%02x", s[0]);
	for (i = 1; i < need; i++) {
		if (ps->pos + i >= end)
			return fail(ps, ps->pos, "truncated UTF-8 sequence");
		if (s[i] < lo || s[i] > hi)
			return fail(ps, ps->pos + i,
			            "invalid UTF-8: byte 0x%02x after 0x%02x",
			            s[i], s[i - 1]);
		lo = 0x80;
		hi = 0xBF;
	}
	memcpy(out + *n, s, need);
	*n += need;
	ps->pos += need;
	return 0;
}

size_t json_utf8_char(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo, hi;
	size_t i, need;

	if (len == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	need = utf8_length(u[0], &lo, &hi);
	if (need == 0 || need > len)
		return 0;
	for (i = 1; i < need; i++) {
		if (u[i] < lo || u[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return need;
}

/* Decode one character of a string body at ps->pos. */
static int decode_char(struct parser *ps, size_t end, char *out, size_t *n)
{
	unsigned char c = (unsigned char)ps->text[ps->pos];

	if (c == '\\')
		return decode_escape(ps, end, out, n);
	if (c < 0x20)
		return fail(ps, ps->pos,
		            "control byte 0x%02x in a string must be escaped",
		            c);
	if (c >= 0x80)
		return copy_utf8(ps, end, out, n);
	out[(*n)++] = (char)c;
	ps->pos++;
	return 0;
}

/*
 * Parse the string at ps->pos (its opening quote) into *out, malloc'ed and
 * NUL-terminated, with its length in *outlen.
 */
static int parse_string(struct parser *ps, char **out, size_t *outlen)
{
	size_t end, n = 0;
	char *s;

	if (find_string_end(ps, &end) < 0)
		return -1;
	/*
	 * Every escape decodes to fewer bytes than it takes and every other
	 * byte is copied as is, so the body's size (end - pos - 1) plus a
	 * NUL is always enough.
	 */
	s = malloc(end - ps->pos);
	if (s == NULL)
		return fail_oom(ps);
	ps->pos++;
	while (ps->pos < end) {
		if (decode_char(ps, end, s, &n) < 0) {
			free(s);
			return -1;
		}
	}
	ps->pos++;
	s[n] = '\0';
	*out = s;
	*outlen = n;
	return 0;
}

/* Parse -?(0|[1-9][0-9]*) into *num, refusing anything out of range. */
static int parse_int(struct parser *ps, long long *num)
{
	size_t start = ps->pos;
	int neg = peek(ps) == '-';
	/* -LLONG_MIN does not fit in a long long, so count in unsigned. */
	unsigned long long mag = 0, d, limit = LLONG_MAX;

	if (neg) {
		ps->pos++;
		limit = (unsigned long long)LLONG_MAX + 1;
	}
	if (!is_digit(peek(ps)))
		return fail_expected(ps, "a digit after '-'");
	if (peek(ps) == '0' && ps->pos + 1 < ps->len &&
	    is_digit(ps->text[ps->pos + 1]))
		return fail(ps, start, "leading zeros are not allowed");
	while (is_digit(peek(ps))) {
		d = (unsigned long long)(ps->text[ps->pos++] - '0');
		if (mag > (limit - d) / 10)
			return fail(ps, start,
			            "integer does not fit in a long long");
		mag = mag * 10 + d;
	}
	if (peek(ps) == '.' || peek(ps) == 'e' || peek(ps) == 'E')
		return fail(ps, ps->pos,
		            "fractions and exponents are not allowed");
	if (!neg)
		*num = (long long)mag;
	else
		*num = mag == limit ? LLONG_MIN : -(long long)mag;
	return 0;
}

/* Does the input continue with word at ps->pos? */
static int looking_at(const struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	return ps->len - ps->pos >= n &&
	       memcmp(ps->text + ps->pos, word, n) == 0;
}

/* Parse a value (a string or an integer) into f. */
static int parse_value(struct parser *ps, struct json_field *f)
{
	int c;

	skip_space(ps);
	c = peek(ps);
	if (c == '"') {
		f->type = JSON_STRING;
		return parse_string(ps, &f->str, &f->len);
	}
	if (c == '-' || is_digit(c)) {
		f->type = JSON_INT;
		return parse_int(ps, &f->num);
	}
	if (c == '{')
		return fail(ps, ps->pos, "nested objects are not supported");
	if (c == '[')
		return fail(ps, ps->pos, "arrays are not supported");
	if (looking_at(ps, "true") || looking_at(ps, "false") ||
	    looking_at(ps, "null"))
		return fail(ps, ps->pos,
		            "true, false and null are not supported");
	return fail_expected(ps, "a string or an integer");
}

/* Parse a key into f->key, refusing NUL and keys already in obj. */
static int parse_key(struct parser *ps, const struct json_object *obj,
                     struct json_field *f)
{
	size_t at, len;

	skip_space(ps);
	at = ps->pos;
	if (peek(ps) != '"')
		return fail_expected(ps, "a string key");
	if (parse_string(ps, &f->key, &len) < 0)
		return -1;
	/* A NUL would hide the rest of the key from strcmp() and json_get. */
	if (memchr(f->key, '\0', len) != NULL)
		return fail(ps, at, "keys may not contain NUL (\\u0000)");
	if (json_get(obj, f->key) != NULL)
		return fail(ps, at, "duplicate key \"%s\"", f->key);
	return 0;
}

/* Append f to obj->fields, which then owns its strings. */
static int push_field(struct parser *ps, struct json_object *obj,
                      const struct json_field *f)
{
	struct json_field *grown;
	size_t cap;

	if (obj->n == ps->cap) {
		cap = ps->cap == 0 ? 8 : 2 * ps->cap;
		if (cap > SIZE_MAX / sizeof *grown)
			return fail_oom(ps);
		grown = realloc(obj->fields, cap * sizeof *grown);
		if (grown == NULL)
			return fail_oom(ps);
		obj->fields = grown;
		ps->cap = cap;
	}
	obj->fields[obj->n++] = *f;
	return 0;
}

/* Parse "key": value into obj. On failure nothing of it is kept. */
static int parse_member(struct parser *ps, struct json_object *obj)
{
	struct json_field f = {0};

	if (parse_key(ps, obj, &f) < 0 || expect(ps, ':', "':'") < 0 ||
	    parse_value(ps, &f) < 0 || push_field(ps, obj, &f) < 0) {
		free(f.key);
		free(f.str);
		return -1;
	}
	return 0;
}

/* { } or { member (, member)* }, then nothing but space. */
static int parse_object(struct parser *ps, struct json_object *obj)
{
	skip_space(ps);
	if (ps->pos == ps->len)
		return fail(ps, ps->pos, "empty input");
	if (expect(ps, '{', "'{'") < 0)
		return -1;
	if (!accept_byte(ps, '}')) {
		do {
			if (parse_member(ps, obj) < 0)
				return -1;
		} while (accept_byte(ps, ','));
		if (expect(ps, '}', "',' or '}'") < 0)
			return -1;
	}
	skip_space(ps);
	if (ps->pos != ps->len)
		return fail(ps, ps->pos, "unexpected data after the object");
	return 0;
}

/*
 * Parse text as one flat object. Returns 0, or -1 with a message in err
 * and errno EINVAL (bad input) or ENOMEM (out of memory); on failure obj
 * is left empty, so there is nothing to free.
 */
int json_parse(const char *text, size_t len, struct json_object *obj, char *err,
               size_t errlen)
{
	struct parser ps = {
	        .text = text, .len = len, .err = err, .errlen = errlen};
	int saved;

	obj->fields = NULL;
	obj->n = 0;
	if (parse_object(&ps, obj) < 0) {
		saved = errno;
		json_free(obj);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Free every field and leave obj empty, so a second call is harmless. */
void json_free(struct json_object *obj)
{
	size_t i;

	for (i = 0; i < obj->n; i++) {
		free(obj->fields[i].key);
		free(obj->fields[i].str);
	}
	free(obj->fields);
	obj->fields = NULL;
	obj->n = 0;
}

/* A linear search: the protocol's objects have a handful of fields. */
const struct json_field *json_get(const struct json_object *obj,
                                  const char *key)
{
	size_t i;

	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->fields[i].key, key) == 0)
			return &obj->fields[i];
	return NULL;
}

void json_writer_init(struct json_writer *w)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
	w->failed = 0;
}

/*
 * Append n bytes. There is always room for one more byte, which holds a
 * NUL, so json_writer_finish() never has to grow the buffer.
 */
static void put(struct json_writer *w, const char *s, size_t n)
{
	size_t cap = w->cap == 0 ? 64 : w->cap;
	char *grown;

	if (w->failed || n == 0)
		return;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = 1;
		return;
	}
	while (cap < w->len + n + 1)
		cap *= 2;
	if (cap != w->cap) {
		grown = realloc(w->buf, cap);
		if (grown == NULL) {
			w->failed = 1;
			return;
		}
		w->buf = grown;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/*
 * Write the escape for byte c into esc (ESCAPE_MAX bytes). Returns 0 if c
 * may appear in a string as it is.
 */
static int escape_byte(unsigned char c, char *esc)
{
	const char *p = c == '\0' ? NULL : strchr(escape_bytes, c);

	if (p != NULL)
		snprintf(esc, ESCAPE_MAX, "\\%c",
		         escape_names[p - escape_bytes]);
	else if (c < 0x20)
		snprintf(esc, ESCAPE_MAX, "\\u%04x", c);
	else
		return 0;
	return 1;
}

/* Append s (n bytes) as a quoted JSON string. */
static void put_string(struct json_writer *w, const char *s, size_t n)
{
	char esc[ESCAPE_MAX];
	size_t i, run = 0; /* s[run..i) is waiting to be copied as is */

	put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		if (!escape_byte((unsigned char)s[i], esc))
			continue;
		put(w, s + run, i - run);
		put(w, esc, strlen(esc));
		run = i + 1;
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

/* Append the separator ('{' first, ',' then) and "key":. */
static void put_key(struct json_writer *w, const char *key)
{
	put(w, w->len == 0 ? "{" : ",", 1);
	put_string(w, key, strlen(key));
	put(w, ":", 1);
}

void json_add_string(struct json_writer *w, const char *key, const char *s,
                     size_t len)
{
	put_key(w, key);
	put_string(w, s, len);
}

void json_add_int(struct json_writer *w, const char *key, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", v);

	put_key(w, key);
	put(w, num, (size_t)n);
}

/*
 * Close the object and hand over its text (the caller frees it), with its
 * length in *len; the writer is reset for reuse. Returns NULL with errno
 * ENOMEM if any allocation failed on the way.
 */
char *json_writer_finish(struct json_writer *w, size_t *len)
{
	char *text;

	put(w, w->len == 0 ? "{}" : "}", w->len == 0 ? 2 : 1);
	if (w->failed) {
		free(w->buf);
		json_writer_init(w);
		errno = ENOMEM;
		return NULL;
	}
	text = w->buf;
	if (len != NULL)
		*len = w->len;
	json_writer_init(w);
	return text;
}
