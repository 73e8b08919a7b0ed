/*
 * json-check - the unit tests of lessons/03-file-transfer/json.c, in TAP.
 *
 * Three kinds of test: parse cases (an input and the fields it must give,
 * or a piece of the message it must be refused with), round trips (fields
 * written by the writer, its exact text, then parsed back), and a few
 * checks of the API's promises. Every input is copied into a buffer of
 * exactly its length, without a NUL, so that under valgrind or ASan a read
 * past the end of the input is an error. Exit status 0 means all passed.
 *
 * The lesson's tests also use it to judge what the programs wrote:
 *	json-check --frame FILE   the frame at the start of FILE (a 4-byte
 *	                          big-endian length, then that much JSON) is
 *	                          one that json_parse() accepts: valid JSON,
 *	                          valid UTF-8
 *	json-check --utf8 FILE    all of FILE is valid UTF-8
 * Each exits 0 if so, else 1 with the reason on stderr; 2 if FILE cannot
 * be read.
 */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FIELDS   8

/* One field a test expects; the list ends at the first NULL key. */
struct want {
	const char *key;
	enum json_type type;
	const char *str;
	size_t len;
	long long num;
};

/*
 * sizeof, not strlen, so that a "\0" inside a literal counts. (clang-format
 * would spread each of these one-line initializers over five lines.)
 */
/* clang-format off */
#define S(k, v) {k, JSON_STRING, v, sizeof(v) - 1, 0}
#define I(k, v) {k, JSON_INT, NULL, 0, v}
#define NONE    {NULL, JSON_INT, NULL, 0, 0}
/* clang-format on */

struct parse_case {
	const char *name;
	const char *text;
	size_t len;
	const char *error; /* NULL: must parse into want */
	struct want want[MAX_FIELDS];
};

/*
 * OK: an input and the fields it must give, in order. ERR: an input and a
 * piece of the message it must be refused with (offset included).
 */
/* clang-format off */
#define OK(name, text, ...) {name, text, sizeof(text) - 1, NULL, {__VA_ARGS__}}
#define ERR(name, text, msg) {name, text, sizeof(text) - 1, msg, {NONE}}
/* clang-format on */

static const struct parse_case parse_cases[] = {
        /* Structure and whitespace. */
        OK("parses the empty object", "{}", NONE),
        OK("allows space inside the empty object", "{ \n }", NONE),
        OK("parses the protocol's put request",
           "{\"action\":\"put\",\"filename\":\"notes.txt\",\"filesize\":1234}",
           S("action", "put"), S("filename", "notes.txt"), I("filesize", 1234)),
        OK("allows space, tab, CR and LF around every token",
           " \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n\"x\" \t\r\n, \t\r\n\"b\"\t:"
           "\n-7\r}\n\t ",
           S("a", "x"), I("b", -7)),
        OK("keeps braces, brackets, colons and commas inside strings",
           "{\"s\":\"{[:,]}\"}", S("s", "{[:,]}")),
        OK("keeps strings that look like other values as strings",
           "{\"t\":\"true\",\"f\":\"1.5\"}", S("t", "true"), S("f", "1.5")),
        OK("allows an empty key and an empty value", "{\"\":\"\"}", S("", "")),
        OK("treats keys that differ only in case as distinct",
           "{\"a\":1,\"A\":2}", I("a", 1), I("A", 2)),
        /* Escapes. */
        OK("decodes \\\" to a quote", "{\"s\":\"\\\"\"}", S("s", "\"")),
        OK("decodes \\\\ to a backslash", "{\"s\":\"\\\\\"}", S("s", "\\")),
        OK("decodes \\/ to a slash", "{\"s\":\"\\/\"}", S("s", "/")),
        OK("decodes \\b to 0x08", "{\"s\":\"\\b\"}", S("s", "\b")),
        OK("decodes \\f to 0x0c", "{\"s\":\"\\f\"}", S("s", "\f")),
        OK("decodes \\n to 0x0a", "{\"s\":\"\\n\"}", S("s", "\n")),
        OK("decodes \\r to 0x0d", "{\"s\":\"\\r\"}", S("s", "\r")),
        OK("decodes \\t to 0x09", "{\"s\":\"\\t\"}", S("s", "\t")),
        OK("decodes every escape in one string between other bytes",
           "{\"s\":\"x\\\"\\\\\\/\\b\\f\\n\\r\\ty\"}",
           S("s", "x\"\\/\b\f\n\r\ty")),
        OK("decodes \\u0041 to A", "{\"s\":\"\\u0041\"}", S("s", "A")),
        OK("decodes \\u00e9 and \\u00E9 to C3 A9 (hex in either case)",
           "{\"s\":\"\\u00e9\\u00E9\"}", S("s", "\xc3\xa9\xc3\xa9")),
        OK("decodes \\u20AC to E2 82 AC", "{\"s\":\"\\u20AC\"}",
           S("s", "\xe2\x82\xac")),
        OK("decodes \\u007f \\u0080 \\u07ff \\u0800 \\uffff (UTF-8 "
           "length edges)",
           "{\"s\":\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"}",
           S("s", "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf")),
        OK("decodes the pair \\ud83d\\ude00 to U+1F600, F0 9F 98 80",
           "{\"s\":\"\\ud83d\\ude00\"}", S("s", "\xf0\x9f\x98\x80")),
        OK("decodes the pair \\uD800\\uDC00 to U+10000, F0 90 80 80",
           "{\"s\":\"\\uD800\\uDC00\"}", S("s", "\xf0\x90\x80\x80")),
        OK("decodes the pair \\uDBFF\\uDFFF to U+10FFFF, F4 8F BF BF",
           "{\"s\":\"\\uDBFF\\uDFFF\"}", S("s", "\xf4\x8f\xbf\xbf")),
        OK("keeps \\u0000 in a value and counts it in len",
           "{\"s\":\"a\\u0000b\"}", S("s", "a\0b")),
        OK("decodes escapes in keys", "{\"\\u0061\\n\":1}", I("a\n", 1)),
        /* Raw UTF-8. */
        OK("copies raw UTF-8 of 2, 3 and 4 bytes",
           "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
           S("s", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")),
        OK("accepts raw U+0080 U+07FF U+0800 U+D7FF U+E000 U+FFFF U+10000 "
           "U+10FFFF",
           "{\"s\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
           "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}",
           S("s", "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
                  "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf")),
        OK("accepts a raw DEL (0x7f)", "{\"s\":\"\x7f\"}", S("s", "\x7f")),
        /* Integers. */
        OK("parses 0 and -0 as 0", "{\"a\":0,\"b\":-0}", I("a", 0), I("b", 0)),
        OK("parses LLONG_MAX", "{\"n\":9223372036854775807}",
           I("n", LLONG_MAX)),
        OK("parses LLONG_MIN", "{\"n\":-9223372036854775808}",
           I("n", LLONG_MIN)),

        /* Errors: structure. */
        ERR("refuses empty input", "", "byte 0: empty input"),
        ERR("refuses input that is only whitespace", " \n\t",
            "byte 3: empty input"),
        ERR("refuses a top-level array", "[]",
            "byte 0: expected '{', found '['"),
        ERR("refuses a top-level string", "\"a\"",
            "byte 0: expected '{', found '\"'"),
        ERR("refuses a UTF-8 byte order mark", "\xef\xbb\xbf{}",
            "byte 0: expected '{', found byte 0xef"),
        ERR("refuses a form feed as whitespace", "{\f}",
            "byte 1: expected a string key, found byte 0x0c"),
        ERR("refuses a missing colon", "{\"a\" 1}",
            "byte 5: expected ':', found '1'"),
        ERR("refuses a missing comma", "{\"a\":1 \"b\":2}",
            "byte 7: expected ',' or '}', found '\"'"),
        ERR("refuses a missing closing brace", "{\"a\":1",
            "byte 6: expected ',' or '}', found end of input"),
        ERR("refuses a missing value", "{\"a\":}",
            "byte 5: expected a string or an integer, found '}'"),
        ERR("refuses a trailing comma", "{\"a\":1,}",
            "byte 7: expected a string key, found '}'"),
        ERR("refuses a leading comma", "{,\"a\":1}",
            "byte 1: expected a string key, found ','"),
        ERR("refuses an unquoted key", "{a:1}",
            "byte 1: expected a string key, found 'a'"),
        ERR("refuses a number as a key", "{1:1}",
            "byte 1: expected a string key, found '1'"),
        ERR("refuses single quotes", "{'a':1}",
            "byte 1: expected a string key, found '''"),
        ERR("refuses a nested object", "{\"a\":1,\"b\":{}}",
            "byte 11: nested objects are not supported"),
        ERR("refuses an array value", "{\"a\":[1]}",
            "byte 5: arrays are not supported"),
        ERR("refuses true", "{\"a\":true}",
            "byte 5: true, false and null are not supported"),
        ERR("refuses false", "{\"a\":false}",
            "byte 5: true, false and null are not supported"),
        ERR("refuses null", "{\"a\":null}",
            "byte 5: true, false and null are not supported"),
        ERR("refuses a duplicate key", "{\"a\":1,\"a\":2}",
            "byte 7: duplicate key \"a\""),
        ERR("refuses a duplicate key spelled with an escape",
            "{\"a\":1,\"\\u0061\":\"x\"}", "byte 7: duplicate key \"a\""),
        ERR("refuses a key containing \\u0000", "{\"a\\u0000b\":1}",
            "byte 1: keys may not contain NUL"),
        ERR("refuses data after the object", "{\"a\":1} x",
            "byte 8: unexpected data after the object"),
        ERR("refuses a second object", "{}{}",
            "byte 2: unexpected data after the object"),
        ERR("refuses an extra closing brace", "{\"a\":1}}",
            "byte 7: unexpected data after the object"),
        ERR("refuses a NUL byte after the object", "{}\0",
            "byte 2: unexpected data after the object"),
        ERR("frees the fields parsed before an error",
            "{\"a\":\"x\",\"b\":\"y\",\"c\":1,\"d\":[]}",
            "byte 27: arrays are not supported"),

        /* Errors: strings. */
        ERR("refuses an unterminated string", "{\"a\":\"abc",
            "byte 5: unterminated string"),
        ERR("refuses a string whose last quote is escaped", "{\"a\":\"abc\\\"}",
            "byte 5: unterminated string"),
        ERR("refuses an unterminated key", "{\"ab",
            "byte 1: unterminated string"),
        ERR("refuses the unknown escape \\x", "{\"s\":\"\\x41\"}",
            "byte 6: invalid escape"),
        ERR("refuses the escape \\' (JavaScript, not JSON)", "{\"s\":\"\\'\"}",
            "byte 6: invalid escape"),
        ERR("refuses \\U0041 (the u must be lower case)", "{\"s\":\"\\U0041\"}",
            "byte 6: invalid escape"),
        ERR("refuses \\u with a non-hex digit", "{\"s\":\"\\u12G4\"}",
            "byte 6: \\u must be followed by four hex digits"),
        ERR("refuses \\u with three digits before the quote",
            "{\"s\":\"\\u123\"}",
            "byte 6: \\u must be followed by four hex digits"),
        ERR("refuses a lone high surrogate", "{\"s\":\"\\ud83d\"}",
            "byte 6: high surrogate \\uD83D is not followed by a low"),
        ERR("refuses a high surrogate followed by another escape",
            "{\"s\":\"\\ud83d\\n\"}",
            "byte 6: high surrogate \\uD83D is not followed by a low"),
        ERR("refuses a high surrogate followed by \\u0041",
            "{\"s\":\"\\ud83d\\u0041\"}",
            "byte 6: high surrogate \\uD83D is not followed by a low"),
        ERR("refuses two high surrogates", "{\"s\":\"\\ud83d\\ud83d\"}",
            "byte 6: high surrogate \\uD83D is not followed by a low"),
        ERR("refuses a lone low surrogate", "{\"s\":\"\\ude00\"}",
            "byte 6: low surrogate \\uDE00 without a high one"),
        ERR("refuses a reversed pair \\ude00\\ud83d",
            "{\"s\":\"\\ude00\\ud83d\"}",
            "byte 6: low surrogate \\uDE00 without a high one"),
        ERR("refuses a raw newline in a string", "{\"s\":\"a\nb\"}",
            "byte 7: control byte 0x0a in a string must be escaped"),
        ERR("refuses a raw tab in a string", "{\"s\":\"\t\"}",
            "byte 6: control byte 0x09"),
        ERR("refuses a raw 0x1f in a string", "{\"s\":\"\x1f\"}",
            "byte 6: control byte 0x1f"),
        ERR("refuses a raw NUL in a string", "{\"s\":\"a\0b\"}",
            "byte 7: control byte 0x00"),

        /* Errors: bad UTF-8. */
        ERR("refuses a lone continuation byte 80", "{\"s\":\"\x80\"}",
            "byte 6: invalid UTF-8: byte 0x80"),
        ERR("refuses the overlong C0 AF", "{\"s\":\"\xc0\xaf\"}",
            "byte 6: invalid UTF-8: byte 0xc0"),
        ERR("refuses the overlong C1 BF", "{\"s\":\"\xc1\xbf\"}",
            "byte 6: invalid UTF-8: byte 0xc1"),
        ERR("refuses the overlong E0 80 AF", "{\"s\":\"\xe0\x80\xaf\"}",
            "byte 7: invalid UTF-8: byte 0x80 after 0xe0"),
        ERR("refuses the overlong E0 9F BF", "{\"s\":\"\xe0\x9f\xbf\"}",
            "byte 7: invalid UTF-8: byte 0x9f after 0xe0"),
        ERR("refuses the overlong F0 8F BF BF", "{\"s\":\"\xf0\x8f\xbf\xbf\"}",
            "byte 7: invalid UTF-8: byte 0x8f after 0xf0"),
        ERR("refuses the encoded surrogate ED A0 80 (U+D800)",
            "{\"s\":\"\xed\xa0\x80\"}",
            "byte 7: invalid UTF-8: byte 0xa0 after 0xed"),
        ERR("refuses the encoded surrogate ED BF BF (U+DFFF)",
            "{\"s\":\"\xed\xbf\xbf\"}",
            "byte 7: invalid UTF-8: byte 0xbf after 0xed"),
        ERR("refuses F4 90 80 80 (above U+10FFFF)",
            "{\"s\":\"\xf4\x90\x80\x80\"}",
            "byte 7: invalid UTF-8: byte 0x90 after 0xf4"),
        ERR("refuses the lead byte F5", "{\"s\":\"\xf5\x80\x80\x80\"}",
            "byte 6: invalid UTF-8: byte 0xf5"),
        ERR("refuses the byte FF", "{\"s\":\"\xff\"}",
            "byte 6: invalid UTF-8: byte 0xff"),
        ERR("refuses E2 82 cut short by the closing quote",
            "{\"s\":\"\xe2\x82\"}", "byte 6: truncated UTF-8 sequence"),
        ERR("refuses F0 9F 98 cut short by the closing quote",
            "{\"s\":\"\xf0\x9f\x98\"}", "byte 6: truncated UTF-8 sequence"),
        ERR("refuses C3 followed by ASCII", "{\"s\":\"\xc3(\"}",
            "byte 7: invalid UTF-8: byte 0x28 after 0xc3"),
        ERR("refuses E2 82 followed by ASCII", "{\"s\":\"\xe2\x82(\"}",
            "byte 8: invalid UTF-8: byte 0x28 after 0x82"),
        ERR("refuses bad UTF-8 in a key", "{\"\xff\":1}",
            "byte 2: invalid UTF-8: byte 0xff"),

        /* Errors: integers. */
        ERR("refuses LLONG_MAX + 1", "{\"n\":9223372036854775808}",
            "byte 5: integer does not fit in a long long"),
        ERR("refuses LLONG_MIN - 1", "{\"n\":-9223372036854775809}",
            "byte 5: integer does not fit in a long long"),
        ERR("refuses a 30-digit integer",
            "{\"n\":123456789012345678901234567890}",
            "byte 5: integer does not fit in a long long"),
        ERR("refuses a leading zero", "{\"n\":01}",
            "byte 5: leading zeros are not allowed"),
        ERR("refuses a leading zero after '-'", "{\"n\":-01}",
            "byte 5: leading zeros are not allowed"),
        ERR("refuses 00", "{\"n\":00}", "byte 5: leading zeros are not"),
        ERR("refuses a lone '-'", "{\"n\":-}",
            "byte 6: expected a digit after '-', found '}'"),
        ERR("refuses '-' then a space", "{\"n\":- 1}",
            "byte 6: expected a digit after '-', found ' '"),
        ERR("refuses a '+' sign", "{\"n\":+1}",
            "byte 5: expected a string or an integer, found '+'"),
        ERR("refuses the fraction 1.5", "{\"n\":1.5}",
            "byte 6: fractions and exponents are not allowed"),
        ERR("refuses the fraction 0.5", "{\"n\":0.5}",
            "byte 6: fractions and exponents are not allowed"),
        ERR("refuses the exponent 1e3", "{\"n\":1e3}",
            "byte 6: fractions and exponents are not allowed"),
        ERR("refuses the exponent 1E3", "{\"n\":1E3}",
            "byte 6: fractions and exponents are not allowed"),
        ERR("refuses -1.0e-5", "{\"n\":-1.0e-5}",
            "byte 7: fractions and exponents are not allowed"),
        ERR("refuses .5", "{\"n\":.5}",
            "byte 5: expected a string or an integer, found '.'"),
        ERR("refuses hex 0x10", "{\"n\":0x10}",
            "byte 6: expected ',' or '}', found 'x'"),
        ERR("refuses Infinity", "{\"n\":Infinity}",
            "byte 5: expected a string or an integer, found 'I'"),
};

/* Round trips: fields written, the exact text expected, parsed back. */
struct round_trip {
	const char *name;
	const char *text;
	struct want want[MAX_FIELDS];
};

static const struct round_trip round_trips[] = {
        {"writes the protocol reply compactly",
         "{\"status\":\"ok\",\"filesize\":1234}",
         {S("status", "ok"), I("filesize", 1234)}},
        {"writes an empty object as {}", "{}", {NONE}},
        {"escapes \" and \\, short-escapes \\b\\f\\n\\r\\t, leaves / as is",
         "{\"s\":\"\\\"\\\\/\\b\\f\\n\\r\\t\"}",
         {S("s", "\"\\/\b\f\n\r\t")}},
        {"writes NUL and other control bytes as \\u00xx, DEL as is",
         "{\"s\":\"a\\u0000b\\u0001\\u001f\x7f\"}",
         {S("s", "a\0b\x01\x1f\x7f")}},
        {"copies multi-byte UTF-8 as is",
         "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}",
         {S("s", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf")}},
        {"writes LLONG_MIN, LLONG_MAX, 0 and -1",
         "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
         "\"zero\":0,\"neg\":-1}",
         {I("min", LLONG_MIN), I("max", LLONG_MAX), I("zero", 0),
          I("neg", -1)}},
        {"escapes keys too", "{\"a\\\"b\\n\":1}", {I("a\"b\n", 1)}},
        {"writes an empty key and an empty value", "{\"\":\"\"}", {S("", "")}},
};

static int test_count, test_failures;

/* What went wrong in one test; empty means it passed. */
struct result {
	char text[4096];
	size_t len;
};

static void say(struct result *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Append to r, silently cutting what does not fit. */
static void say(struct result *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len + 1 >= sizeof r->text)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n;
	if (r->len >= sizeof r->text)
		r->len = sizeof r->text - 1;
}

/* Append bytes as a quoted C string, so that any byte shows. */
static void say_bytes(struct result *r, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	say(r, "\"");
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			say(r, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			say(r, "%c", c);
		else
			say(r, "\\x%02x", c);
	}
	say(r, "\"");
}

/* Print one TAP line. */
static void report(const char *name, const struct result *r)
{
	test_count++;
	if (r->len == 0) {
		printf("ok %d - %s\n", test_count, name);
		return;
	}
	test_failures++;
	printf("not ok %d - %s: %s\n", test_count, name, r->text);
}

/* Parse a copy of text that ends exactly at len, with no NUL after it. */
static int parse_exact(const char *text, size_t len, struct json_object *obj,
                       char *err, size_t errlen)
{
	char *copy = malloc(len);
	int rc;

	if (copy == NULL && len > 0) {
		perror("json-check: malloc");
		exit(2);
	}
	if (len > 0)
		memcpy(copy, text, len);
	rc = json_parse(copy, len, obj, err, errlen);
	free(copy);
	return rc;
}

static size_t count_wanted(const struct want *want)
{
	size_t n = 0;

	while (n < MAX_FIELDS && want[n].key != NULL)
		n++;
	return n;
}

/* Compare one parsed field with what was wanted. */
static void check_field(const struct json_object *obj,
                        const struct json_field *f, const struct want *w,
                        struct result *r)
{
	if (strcmp(f->key, w->key) != 0) {
		say(r, "expected key \"%s\", got \"%s\"", w->key, f->key);
	} else if (json_get(obj, w->key) != f) {
		say(r, "json_get(\"%s\") did not return its field", w->key);
	} else if (f->type != w->type) {
		say(r, "field \"%s\": expected type %d, got %d", w->key,
		    (int)w->type, (int)f->type);
	} else if (w->type == JSON_INT && f->num != w->num) {
		say(r, "field \"%s\": expected %lld, got %lld", w->key, w->num,
		    f->num);
	} else if (w->type == JSON_STRING &&
	           (f->len != w->len || memcmp(f->str, w->str, w->len) != 0 ||
	            f->str[f->len] != '\0')) {
		say(r, "field \"%s\": expected ", w->key);
		say_bytes(r, w->str, w->len);
		say(r, " (%zu bytes), got ", w->len);
		say_bytes(r, f->str, f->len);
		say(r, " (%zu bytes%s)", f->len,
		    f->str[f->len] == '\0' ? "" : ", no NUL after them");
	}
}

/* Compare every parsed field, in order, with what was wanted. */
static void check_fields(const struct json_object *obj, const struct want *want,
                         struct result *r)
{
	size_t i, n = count_wanted(want);

	if (obj->n != n) {
		say(r, "expected %zu fields, got %zu", n, obj->n);
		return;
	}
	for (i = 0; i < n && r->len == 0; i++)
		check_field(obj, &obj->fields[i], &want[i], r);
}

static void run_parse_case(const struct parse_case *c)
{
	struct result r = {{0}, 0};
	struct json_object obj;
	char err[256] = "";
	int rc;

	/* Garbage, so the test sees whether json_parse() sets every field. */
	memset(&obj, 0xa5, sizeof obj);
	rc = parse_exact(c->text, c->len, &obj, err, sizeof err);
	if (c->error == NULL && rc != 0)
		say(&r, "expected success, got \"%s\"", err);
	else if (c->error == NULL)
		check_fields(&obj, c->want, &r);
	else if (rc == 0)
		say(&r, "expected error \"%s\", got success", c->error);
	else if (strstr(err, c->error) == NULL)
		say(&r, "expected error \"%s\", got \"%s\"", c->error, err);
	else if (obj.n != 0 || obj.fields != NULL)
		say(&r, "the object is not empty after an error");
	if (r.len > 0) {
		say(&r, "; input ");
		say_bytes(&r, c->text, c->len);
	}
	report(c->name, &r);
	if (rc == 0)
		json_free(&obj);
}

/* Write want with a fresh writer; the text is malloc'ed, or NULL. */
static char *write_fields(const struct want *want, size_t *len)
{
	struct json_writer w;
	size_t i, n = count_wanted(want);

	json_writer_init(&w);
	for (i = 0; i < n; i++) {
		if (want[i].type == JSON_STRING)
			json_add_string(&w, want[i].key, want[i].str,
			                want[i].len);
		else
			json_add_int(&w, want[i].key, want[i].num);
	}
	return json_writer_finish(&w, len);
}

/* Parse text back and compare it with want. */
static void check_parse_back(const char *text, size_t len,
                             const struct want *want, struct result *r)
{
	struct json_object obj;
	char err[256] = "";

	if (parse_exact(text, len, &obj, err, sizeof err) != 0) {
		say(r, "parsing the writer's text failed: %s", err);
		return;
	}
	check_fields(&obj, want, r);
	json_free(&obj);
}

static void run_round_trip(const struct round_trip *t)
{
	struct result r = {{0}, 0};
	size_t len = 0;
	char *text = write_fields(t->want, &len);

	if (text == NULL)
		say(&r, "json_writer_finish() returned NULL");
	else if (len != strlen(text))
		say(&r, "len is %zu, strlen is %zu", len, strlen(text));
	else if (strcmp(text, t->text) != 0) {
		say(&r, "expected ");
		say_bytes(&r, t->text, strlen(t->text));
		say(&r, ", got ");
		say_bytes(&r, text, len);
	} else
		check_parse_back(text, len, t->want, &r);
	report(t->name, &r);
	free(text);
}

/* Write want, parse it back and compare. */
static void write_and_parse_back(const struct want *want, struct result *r)
{
	size_t len;
	char *text = write_fields(want, &len);

	if (text == NULL)
		say(r, "json_writer_finish() returned NULL");
	else
		check_parse_back(text, len, want, r);
	free(text);
}

static void test_every_ascii_byte(struct result *r)
{
	char s[128];
	struct want want[] = {{"s", JSON_STRING, s, sizeof s, 0}, NONE};
	size_t i;

	for (i = 0; i < sizeof s; i++)
		s[i] = (char)i;
	write_and_parse_back(want, r);
}

static void test_long_string(struct result *r)
{
	/* An escape every few bytes, and é, whose two bytes stay together. */
	static const char pattern[] = "ab\"\\\n\x01\xc3\xa9";
	size_t i, n = 100000;
	char *s = malloc(n);
	struct want want[] = {{"s", JSON_STRING, s, n, 0}, NONE};

	if (s == NULL) {
		say(r, "malloc failed");
		return;
	}
	for (i = 0; i < n; i++)
		s[i] = pattern[i % (sizeof pattern - 1)];
	write_and_parse_back(want, r);
	free(s);
}

/* Write n integer fields k0, k1, ... with the value i * i - 500. */
static char *write_many(size_t n, size_t *len)
{
	struct json_writer w;
	char key[32];
	size_t i;

	json_writer_init(&w);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		json_add_int(&w, key, (long long)(i * i) - 500);
	}
	return json_writer_finish(&w, len);
}

static void test_many_fields(struct result *r)
{
	struct json_object obj;
	const struct json_field *f;
	char err[256] = "", key[32];
	size_t i, n = 1000, len;
	char *text = write_many(n, &len);

	if (text == NULL || parse_exact(text, len, &obj, err, sizeof err)) {
		say(r, "writing or parsing failed: %s", err);
		free(text);
		return;
	}
	if (obj.n != n)
		say(r, "expected %zu fields, got %zu", n, obj.n);
	for (i = 0; i < n && r->len == 0; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		f = json_get(&obj, key);
		if (f == NULL || f->num != (long long)(i * i) - 500)
			say(r, "json_get(\"%s\") is wrong", key);
	}
	json_free(&obj);
	free(text);
}

static void test_get_missing(struct result *r)
{
	static const char text[] = "{\"filename\":\"x\"}";
	static const char *const absent[] = {"fil", "filenames", "", "x"};
	struct json_object obj;
	char err[256] = "";
	size_t i;

	if (parse_exact(text, sizeof text - 1, &obj, err, sizeof err) != 0) {
		say(r, "parse failed: %s", err);
		return;
	}
	if (json_get(&obj, "filename") == NULL)
		say(r, "json_get(\"filename\") returned NULL");
	for (i = 0; i < ARRAY_LEN(absent); i++)
		if (json_get(&obj, absent[i]) != NULL)
			say(r, "json_get(\"%s\") found a field", absent[i]);
	json_free(&obj);
}

static void test_free_twice(struct result *r)
{
	struct json_object obj = {NULL, 0};
	char err[256] = "";

	json_free(&obj);
	if (parse_exact("{\"a\":\"b\"}", 9, &obj, err, sizeof err) != 0) {
		say(r, "parse failed: %s", err);
		return;
	}
	json_free(&obj);
	json_free(&obj);
	if (obj.fields != NULL || obj.n != 0)
		say(r, "json_free() did not leave the object empty");
}

static void test_writer_failure(struct result *r)
{
	struct json_writer w;
	size_t len = 42;
	char *text;

	json_writer_init(&w);
	json_add_string(&w, "a", "b", 1);
	w.failed = 1; /* what a failed realloc() leaves behind */
	json_add_int(&w, "c", 1);
	errno = 0;
	text = json_writer_finish(&w, &len);
	if (text != NULL || errno != ENOMEM)
		say(r, "expected NULL and ENOMEM, got %s and errno %d",
		    text == NULL ? "NULL" : text, errno);
	else if (w.buf != NULL || w.len != 0 || w.failed != 0)
		say(r, "the writer was not reset");
	free(text);
}

static void test_writer_reuse(struct result *r)
{
	struct json_writer w;
	char *first, *second;
	size_t len;

	json_writer_init(&w);
	json_add_int(&w, "a", 1);
	first = json_writer_finish(&w, &len);
	json_add_int(&w, "b", 2);
	second = json_writer_finish(&w, &len);
	if (first == NULL || strcmp(first, "{\"a\":1}") != 0 ||
	    second == NULL || strcmp(second, "{\"b\":2}") != 0)
		say(r, "expected {\"a\":1} then {\"b\":2}, got %s then %s",
		    first ? first : "NULL", second ? second : "NULL");
	free(first);
	free(second);
}

static void test_reads_only_len(struct result *r)
{
	static const char text[] = "{\"a\":1}garbage";
	const char *want = "byte 6: expected ',' or '}', found end of input";
	struct json_object obj;
	char err[256] = "";

	if (parse_exact(text, 7, &obj, err, sizeof err) != 0)
		say(r, "the first 7 bytes were refused: %s", err);
	else if (obj.n != 1 || obj.fields[0].num != 1)
		say(r, "the first 7 bytes did not give a=1");
	else
		json_free(&obj);
	if (r->len == 0 && (parse_exact(text, 6, &obj, err, sizeof err) == 0 ||
	                    strcmp(err, want) != 0))
		say(r, "the first 6 bytes: expected \"%s\", got \"%s\"", want,
		    err);
}

static void test_err_buffer(struct result *r)
{
	static const char text[] = "{\"n\":01}";
	struct json_object obj;
	char err[10];
	int rc;

	memset(err, 'x', sizeof err);
	errno = 0;
	rc = json_parse(text, sizeof text - 1, &obj, err, sizeof err);
	if (rc != -1 || errno != EINVAL)
		say(r, "expected -1 and EINVAL, got %d and errno %d", rc,
		    errno);
	else if (memcmp(err, "byte 5: l", 10) != 0)
		say(r, "expected the message cut to \"byte 5: l\"");
	else if (json_parse(text, sizeof text - 1, &obj, NULL, 0) != -1)
		say(r, "with err NULL: expected -1");
	if (rc == 0)
		json_free(&obj);
}

/* A single raw byte in a string: only printable ASCII but " and \ is. */
static void test_every_raw_byte(struct result *r)
{
	char text[] = "{\"s\":\"?\"}", err[256];
	struct json_object obj;
	int b, rc, valid;

	for (b = 0; b < 256 && r->len == 0; b++) {
		text[6] = (char)b;
		valid = b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
		rc = parse_exact(text, sizeof text - 1, &obj, err, sizeof err);
		if (rc == 0 && !valid)
			say(r, "byte 0x%02x was accepted", b);
		else if (rc != 0 && valid)
			say(r, "byte 0x%02x was refused: %s", b, err);
		else if (rc == 0 && (obj.fields[0].len != 1 ||
		                     obj.fields[0].str[0] != (char)b))
			say(r, "byte 0x%02x was not kept", b);
		if (rc == 0)
			json_free(&obj);
	}
}

/* json_utf8_char() on the edges of RFC 3629, section 4. */
static void test_utf8_char(struct result *r)
{
	static const struct {
		const char *s;
		size_t len, want;
	} cases[] = {
	        {"a", 1, 1},
	        {"\x01", 1, 1},
	        {"\x7f", 1, 1},
	        {"", 0, 0},
	        {"\xc3\xa9x", 3, 2},
	        {"\xc3\xa9", 1, 0},
	        {"\xe2\x82\xac", 3, 3},
	        {"\xe2\x82\xac", 2, 0},
	        {"\xf0\x9f\x98\x80", 4, 4},
	        {"\xf0\x9f\x98\x80", 3, 0},
	        {"\x80", 1, 0},
	        {"\xbf\x80", 2, 0},
	        {"\xc0\x80", 2, 0},
	        {"\xc1\xbf", 2, 0},
	        {"\xc2\x80", 2, 2},
	        {"\xc3\x28", 2, 0},
	        {"\xe0\x80\x80", 3, 0},
	        {"\xe0\xa0\x80", 3, 3},
	        {"\xed\x9f\xbf", 3, 3},
	        {"\xed\xa0\x80", 3, 0},
	        {"\xef\xbf\xbd", 3, 3},
	        {"\xf0\x80\x80\x80", 4, 0},
	        {"\xf0\x90\x80\x80", 4, 4},
	        {"\xf4\x8f\xbf\xbf", 4, 4},
	        {"\xf4\x90\x80\x80", 4, 0},
	        {"\xf5\x80\x80\x80", 4, 0},
	        {"\xff", 1, 0},
	};
	size_t i, got;
	char *s;

	for (i = 0; i < ARRAY_LEN(cases) && r->len == 0; i++) {
		/* Exactly len bytes, so that a read past them is caught. */
		s = malloc(cases[i].len + 1);
		if (s == NULL) {
			say(r, "malloc failed");
			return;
		}
		memcpy(s, cases[i].s, cases[i].len);
		got = json_utf8_char(s, cases[i].len);
		if (got != cases[i].want)
			say(r, "case %zu (%zu bytes): expected %zu, got %zu", i,
			    cases[i].len, cases[i].want, got);
		free(s);
	}
}

static const struct {
	const char *name;
	void (*run)(struct result *r);
} api_tests[] = {
        {"every ASCII byte, NUL included, round-trips", test_every_ascii_byte},
        {"a 100000-byte string full of escapes round-trips", test_long_string},
        {"1000 fields round-trip and json_get() finds each", test_many_fields},
        {"json_get() returns NULL for a missing key or a prefix of one",
         test_get_missing},
        {"json_free() is safe on a zeroed object and when called twice",
         test_free_twice},
        {"after a failed allocation the writer returns NULL with ENOMEM",
         test_writer_failure},
        {"json_writer_finish() resets the writer for the next object",
         test_writer_reuse},
        {"json_parse() reads only len bytes", test_reads_only_len},
        {"a short err buffer gets a cut, NUL-terminated message; NULL works",
         test_err_buffer},
        {"each raw byte in a string is accepted or refused as JSON says",
         test_every_raw_byte},
        {"json_utf8_char() knows each valid UTF-8 character and no other",
         test_utf8_char},
};

/* Read all of path into a new buffer. Returns it (*len bytes), or NULL. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL)
		return NULL;
	do {
		if (*len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			grown = realloc(buf, cap);
			if (grown == NULL)
				break;
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	if (ferror(f) || *len == cap) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* json-check --frame FILE / --utf8 FILE: see the top of this file. */
static int check_file(const char *what, const char *path)
{
	struct json_object obj;
	char err[256];
	size_t len, i = 0, n;
	unsigned long flen;
	char *buf = read_file(path, &len);
	int rc = 1;

	if (buf == NULL) {
		fprintf(stderr, "json-check: cannot read %s\n", path);
		return 2;
	}
	if (strcmp(what, "--utf8") == 0) {
		while (i < len && (n = json_utf8_char(buf + i, len - i)) > 0)
			i += n;
		if (i < len)
			fprintf(stderr,
			        "json-check: %s: not UTF-8 at byte %zu\n", path,
			        i);
		rc = i < len;
	} else if (len < 4 ||
	           (flen = (unsigned long)(unsigned char)buf[0] << 24 |
	                   (unsigned long)(unsigned char)buf[1] << 16 |
	                   (unsigned long)(unsigned char)buf[2] << 8 |
	                   (unsigned char)buf[3]) > len - 4) {
		fprintf(stderr, "json-check: %s: no whole frame\n", path);
	} else if (json_parse(buf + 4, flen, &obj, err, sizeof err) < 0) {
		fprintf(stderr, "json-check: %s: %s\n", path, err);
	} else {
		json_free(&obj);
		rc = 0;
	}
	free(buf);
	return rc;
}

int main(int argc, char *argv[])
{
	struct result r;
	size_t i;

	if (argc == 3 &&
	    (strcmp(argv[1], "--frame") == 0 || strcmp(argv[1], "--utf8") == 0))
		return check_file(argv[1], argv[2]);

	/* Line by line, so a crash still shows the last test that ran. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", ARRAY_LEN(parse_cases) + ARRAY_LEN(round_trips) +
	                           ARRAY_LEN(api_tests));
	for (i = 0; i < ARRAY_LEN(parse_cases); i++)
		run_parse_case(&parse_cases[i]);
	for (i = 0; i < ARRAY_LEN(round_trips); i++)
		run_round_trip(&round_trips[i]);
	for (i = 0; i < ARRAY_LEN(api_tests); i++) {
		r.len = 0;
		r.text[0] = '\0';
		api_tests[i].run(&r);
		report(api_tests[i].name, &r);
	}
	return test_failures == 0 ? 0 : 1;
}
