/*
 * doc-check - check the JSON and JUnit XML reports of the grading tool and
 * print what a query selects, for the bats tests. `doc-check -h` tells how.
 *
 * The whole file is checked first (UTF-8, then the grammar); a query runs
 * only on a valid document. A JSON query runs twice, the first time without
 * printing, so that one that finds nothing prints nothing on stdout.
 */
#include "np.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 1000 /* refused, rather than overflowing the stack */
#define NOT_FOUND SIZE_MAX

struct buf {
	char *s;
	size_t len, cap;
};

struct span {
	size_t off, len;
};

static const char *path, *query, *q_name, *q_attr;
static struct buf file;    /* the whole file, not NUL-terminated */
static struct buf keys;    /* the decoded keys of the JSON objects open */
static struct buf scratch; /* one decoded string */
static struct span *spans; /* in keys, or (XML attribute names) in file */
static size_t nspans, spans_cap;
static int printing; /* 0 while a query runs only to check */
static enum { Q_NONE, Q_COUNT, Q_ATTR, Q_TEXT, Q_BAD } q_mode;
static struct buf *collect; /* where XML text goes while it is gathered */
static unsigned long found;

__attribute__((noreturn)) static void finish(int status)
{
	if (fflush(stdout) != 0 && status == 0) {
		np_warn("stdout:");
		status = 2;
	}
	free(file.s);
	free(keys.s);
	free(scratch.s);
	free(spans);
	exit(status);
}

/* Unless ok, report what is wrong at byte pos as FILE:LINE:COL, exit 1. */
__attribute__((format(printf, 3, 4))) static void expect(int ok, size_t pos,
                                                         const char *fmt, ...)
{
	size_t line = 1, col = 1, i;
	va_list ap;

	if (ok)
		return;
	for (i = 0; i < pos && i < file.len; i++) {
		if (file.s[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)file.s[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	fprintf(stderr, "%s:%zu:%zu: %s", path, line, col,
	        pos >= file.len ? "unexpected end of file: " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	finish(1);
}

static void *grow(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (q == NULL) {
		np_warn("out of memory");
		finish(2);
	}
	return q;
}

/* Append to b; a NULL b is a parse that decodes nothing. */
static void add(struct buf *b, const char *s, size_t n)
{
	if (b == NULL)
		return;
	while (b->cap - b->len <= n) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->s = grow(b->s, b->cap);
	}
	if (n > 0)
		memcpy(b->s + b->len, s, n);
	b->len += n;
}

static void put_utf8(struct buf *b, uint32_t c)
{
	static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
	size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4, k;
	char u[4];

	u[0] = (char)(lead[n] | c >> 6 * (n - 1));
	for (k = 1; k < n; k++)
		u[k] = (char)(0x80 | (c >> 6 * (n - 1 - k) & 0x3f));
	add(b, u, n);
}

static void emit(const struct buf *b)
{
	if (b->len > 0)
		fwrite(b->s, 1, b->len, stdout);
	putchar('\n');
}

/* The byte at i, or -1 past the end: there is no NUL to stop at. */
static int at(size_t i)
{
	return i < file.len ? (unsigned char)file.s[i] : -1;
}

static int starts(size_t i, const char *s)
{
	size_t n = strlen(s);

	return i <= file.len && file.len - i >= n &&
	       memcmp(file.s + i, s, n) == 0;
}

static size_t find(size_t i, const char *s)
{
	for (; i < file.len; i++)
		if (starts(i, s))
			return i;
	return NOT_FOUND;
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t ws(size_t i)
{
	while (is_ws(at(i)))
		i++;
	return i;
}

static int digit_val(int c, int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Record a key or attribute name, refusing one seen since spans[from]. */
static void unique(const char *base, size_t from, struct span sp, size_t pos,
                   const char *what)
{
	size_t k;

	for (k = from; k < nspans; k++)
		expect(!same(base + spans[k].off, spans[k].len, base + sp.off,
		             sp.len),
		       pos, "duplicate %s '%.*s'", what, (int)sp.len,
		       base + sp.off);
	if (nspans == spans_cap) {
		spans_cap = spans_cap ? spans_cap * 2 : 16;
		spans = grow(spans, spans_cap * sizeof *spans);
	}
	spans[nspans++] = sp;
}

static int xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

static void check_utf8(int xml)
{
	size_t i, n, k;
	uint32_t c;

	for (i = 0; i < file.len; i += n) {
		c = (unsigned char)file.s[i];
		n = c < 0x80   ? 1
		    : c < 0xc2 ? 0
		    : c < 0xe0 ? 2
		    : c < 0xf0 ? 3
		               : 4;
		expect(n > 0 && c <= 0xf4, i, "invalid UTF-8 byte 0x%02X",
		       (unsigned)c);
		c &= n > 1 ? 0x7fu >> n : 0x7f;
		for (k = 1; k < n; k++) {
			expect((at(i + k) & 0xc0) == 0x80, i,
			       "truncated UTF-8 sequence");
			c = c << 6 | (file.s[i + k] & 0x3f);
		}
		expect(!(n == 3 && c < 0x800) && !(n == 4 && c < 0x10000), i,
		       "overlong UTF-8 sequence");
		expect(c <= 0x10ffff && (c < 0xd800 || c > 0xdfff), i,
		       "UTF-8 for U+%04X, which is no character", (unsigned)c);
		expect(!xml || xml_char(c), i,
		       "character U+%04X not allowed in XML", (unsigned)c);
	}
}

static long hex4(size_t i)
{
	long v = 0;
	int k, d;

	for (k = 0; k < 4; k++) {
		if ((d = digit_val(at(i + k), 16)) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Check the string at i, decoding it into out; returns where it ends. */
static size_t json_string(size_t i, struct buf *out)
{
	static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	size_t start = i++, k;
	long cp, lo;
	int c;

	while ((c = at(i)) != '"') {
		expect(c >= 0, start, "unterminated string");
		expect(c >= 0x20, i, "raw control character U+%04X in a string",
		       c);
		if (c != '\\') {
			add(out, file.s + i++, 1);
			continue;
		}
		for (k = 0; esc[k] != '\0' && esc[k] != at(i + 1); k += 2)
			;
		if (esc[k] != '\0') {
			add(out, &esc[k + 1], 1);
			i += 2;
			continue;
		}
		expect(at(i + 1) == 'u', i, "invalid escape");
		cp = hex4(i + 2);
		expect(cp >= 0, i, "\\u needs four hex digits");
		expect(cp < 0xdc00 || cp > 0xdfff, i, "lone low surrogate");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			lo = at(i + 6) == '\\' && at(i + 7) == 'u' ? hex4(i + 8)
			                                           : -1;
			expect(lo >= 0xdc00 && lo <= 0xdfff, i,
			       "high surrogate without a low one");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		put_utf8(out, (uint32_t)cp);
		i += 6;
	}
	return i + 1;
}

static size_t digits(size_t i)
{
	expect(digit_val(at(i), 10) >= 0, i, "digit expected in a number");
	while (digit_val(at(i), 10) >= 0)
		i++;
	return i;
}

static size_t json_number(size_t i)
{
	i += at(i) == '-';
	expect(at(i) != '0' || digit_val(at(i + 1), 10) < 0, i,
	       "leading zero in a number");
	i = digits(i);
	if (at(i) == '.')
		i = digits(i + 1);
	if ((at(i) | 0x20) == 'e') {
		i++;
		i = digits(i + (at(i) == '+' || at(i) == '-'));
	}
	return i;
}

static size_t json_value(size_t i, int depth);

static size_t json_container(size_t i, int depth)
{
	int close = at(i) == '{' ? '}' : ']';
	size_t base = nspans, keys_len = keys.len, end;
	struct span sp;

	for (i = ws(i + 1); at(i) != close;) {
		if (close == '}') {
			expect(at(i) == '"', i, "expected a string key or '}'");
			sp.off = keys.len;
			end = ws(json_string(i, &keys));
			sp.len = keys.len - sp.off;
			unique(keys.s, base, sp, i, "key");
			expect(at(end) == ':', end, "expected ':' after a key");
			i = ws(end + 1);
		}
		i = ws(json_value(i, depth + 1));
		if (at(i) == ',') {
			end = ws(i + 1);
			expect(at(end) != close, i, "trailing comma");
			i = end;
		} else {
			expect(at(i) == close, i, "expected ',' or '%c'",
			       close);
		}
	}
	nspans = base;
	keys.len = keys_len;
	return i + 1;
}

static size_t json_value(size_t i, int depth)
{
	static const char *const words[] = {"true", "false", "null"};
	int c = at(i);
	size_t k;

	expect(depth < MAX_DEPTH, i, "nested deeper than %d", MAX_DEPTH);
	if (c == '{' || c == '[')
		return json_container(i, depth);
	if (c == '"')
		return json_string(i, NULL);
	if (c == '-' || digit_val(c, 10) >= 0)
		return json_number(i);
	for (k = 0; k < 3; k++)
		if (starts(i, words[k]))
			return i + strlen(words[k]);
	expect(0, i, "expected a value");
	return 0;
}

__attribute__((noreturn)) static void no_value(void)
{
	np_warn("%s: no value at %s", path, query);
	finish(3);
}

/* In a valid document: skip the value at i and the comma after it. */
static size_t next_member(size_t i)
{
	i = ws(json_value(i, 0));
	return at(i) == ',' ? ws(i + 1) : i;
}

static size_t member_value(size_t key)
{
	return ws(ws(json_string(key, NULL)) + 1);
}

static void json_print(size_t i)
{
	int c = at(i);

	if (c == '{' || c == '[') {
		puts(c == '{' ? "object" : "array");
	} else if (c == '"') {
		scratch.len = 0;
		json_string(i, &scratch);
		emit(&scratch);
	} else {
		fwrite(file.s + i, 1, json_value(i, 0) - i, stdout);
		putchar('\n');
	}
}

static void json_select(size_t i, const char *q)
{
	int c = at(i), close = c == '{' ? '}' : ']', all = 0;
	unsigned long long want = 0;
	size_t n = 0, len;

	q += *q == '.';
	if (*q == '\0') {
		if (printing)
			json_print(i);
	} else if (*q == '#') {
		if (c != '{' && c != '[')
			no_value();
		for (i = ws(i + 1); at(i) != close; n++)
			i = next_member(c == '{' ? member_value(i) : i);
		if (printing)
			printf("%zu\n", n);
	} else if (*q == '[') {
		if (c != '[')
			no_value();
		if (!(all = q[1] == '*'))
			want = strtoull(q + 1, NULL, 10);
		q = strchr(q, ']') + 1;
		for (i = ws(i + 1); at(i) != ']'; i = next_member(i), n++)
			if (all || n == want) {
				json_select(i, q);
				if (!all)
					return;
			}
		if (!all)
			no_value();
	} else {
		len = strcspn(q, ".[#");
		if (c != '{')
			no_value();
		for (i = ws(i + 1); at(i) != '}';
		     i = next_member(member_value(i))) {
			scratch.len = 0;
			json_string(i, &scratch);
			if (same(scratch.s, scratch.len, q, len)) {
				json_select(member_value(i), q + len);
				return;
			}
		}
		no_value();
	}
}

/* [KEY] { .KEY | [N] | [*] } [#] */
static int query_ok(const char *q)
{
	size_t n;

	for (q += strcspn(q, ".[]#");;) {
		if (*q == '.' && (n = strcspn(q + 1, ".[]#")) > 0) {
			q += 1 + n;
		} else if (strncmp(q, "[*]", 3) == 0) {
			q += 3;
		} else if (*q == '[' && digit_val(q[1], 10) >= 0) {
			q += 1 + strspn(q + 1, "0123456789");
			if (*q++ != ']')
				return 0;
		} else {
			return *q == '\0' || strcmp(q, "#") == 0;
		}
	}
}

/* Non-ASCII name characters are taken on trust: our names are ASCII. */
static int name_char(int c, int first)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
	       c == ':' || c >= 0x80 ||
	       (!first && (digit_val(c, 10) >= 0 || c == '-' || c == '.'));
}

static size_t xml_name(size_t i, const char *what)
{
	expect(name_char(at(i), 1), i, "expected %s", what);
	while (name_char(at(i), 0))
		i++;
	return i;
}

static size_t xml_ref(size_t i, struct buf *out)
{
	static const char *const ents[] = {"&amp;&", "&lt;<", "&gt;>",
	                                   "&quot;\"", "&apos;'"};
	size_t k, j, n;
	uint32_t cp = 0;
	int base = at(i + 2) == 'x' ? 16 : 10, d;

	for (k = 0; k < 5; k++) {
		n = strlen(ents[k]) - 1;
		if (file.len - i >= n && memcmp(file.s + i, ents[k], n) == 0) {
			add(out, ents[k] + n, 1);
			return i + n;
		}
	}
	expect(at(i + 1) == '#', i,
	       name_char(at(i + 1), 1)
	               ? "undefined entity (only &amp; &lt; &gt; &quot; "
	                 "&apos; are)"
	               : "'&' not starting a reference (write &amp;)");
	for (k = j = i + (base == 16 ? 3 : 2);
	     (d = digit_val(at(k), base)) >= 0; k++)
		cp = cp > 0x10ffff ? cp : cp * (uint32_t)base + (uint32_t)d;
	expect(k > j && at(k) == ';', i, "malformed character reference");
	expect(xml_char(cp), i, "reference to a character XML does not allow");
	put_utf8(out, cp);
	return k + 1;
}

/*
 * One byte of text, with line ends (and in attributes, white space)
 * normalized as an XML processor must.
 */
static size_t xml_raw(size_t i, struct buf *out, int attr)
{
	char c = file.s[i];

	if (c == '\r') {
		c = '\n';
		i += at(i + 1) == '\n';
	}
	if (attr && (c == '\n' || c == '\t'))
		c = ' ';
	add(out, &c, 1);
	return i + 1;
}

static size_t xml_content(size_t i, int depth, struct span name);

static size_t xml_element(size_t i, int depth)
{
	struct span name = {i + 1, 0}, sp;
	struct buf *out, b = {0};
	int match;
	size_t s;

	expect(depth <= MAX_DEPTH, i, "nested deeper than %d", MAX_DEPTH);
	i = xml_name(name.off, "an element name");
	name.len = i - name.off;
	match = printing &&
	        same(file.s + name.off, name.len, q_name, strlen(q_name));
	found += match && q_mode == Q_COUNT;
	for (nspans = 0;;) {
		i = ws(s = i);
		if (at(i) == '>' || starts(i, "/>"))
			break;
		expect(i > s, i, "expected white space, '>' or '/>'");
		i = xml_name(sp.off = i, "an attribute name");
		sp.len = i - sp.off;
		unique(file.s, 0, sp, sp.off, "attribute");
		i = ws(i);
		expect(at(i) == '=', i, "expected '=' after a name");
		i = ws(i + 1);
		expect(at(i) == '"' || at(i) == '\'', i,
		       "attribute value without quotes");
		out = match && q_mode == Q_ATTR &&
		                      same(file.s + sp.off, sp.len, q_attr,
		                           strlen(q_attr))
		              ? &scratch
		              : NULL;
		scratch.len = 0;
		for (s = i++; at(i) != at(s);) {
			expect(at(i) >= 0, s, "unterminated attribute value");
			expect(at(i) != '<', i, "'<' in an attribute value");
			i = at(i) == '&' ? xml_ref(i, out) : xml_raw(i, out, 1);
		}
		i++;
		if (out != NULL) {
			emit(out);
			found++;
		}
	}
	if (match && q_mode == Q_TEXT && collect == NULL) {
		/* Gathered first, so nested matches print in document order. */
		collect = &b;
		if (at(i) == '>')
			xml_content(i + 1, depth, name);
		collect = NULL;
		emit(&b);
		puts("--");
		free(b.s);
		found++;
	}
	return at(i) == '/' ? i + 2 : xml_content(i + 1, depth, name);
}

static size_t xml_misc(size_t i, int depth)
{
	size_t j, end;

	if (starts(i, "<!--")) {
		end = find(i + 4, "--");
		expect(end != NOT_FOUND, i, "unterminated comment");
		expect(at(end + 2) == '>', end, "'--' inside a comment");
		return end + 3;
	}
	if (starts(i, "<![CDATA[") && depth > 0) {
		end = find(i + 9, "]]>");
		expect(end != NOT_FOUND, i, "unterminated CDATA section");
		for (j = i + 9; j < end;)
			j = xml_raw(j, collect, 0);
		return end + 3;
	}
	expect(!starts(i, "<!DOCTYPE"), i, "DOCTYPE not supported");
	expect(at(i + 1) != '!', i, "'<!' starting no comment or CDATA here");
	expect(at(i + 1) != '/', i, "end tag without a start tag");
	if (at(i + 1) == '?') {
		j = xml_name(i + 2, "a processing instruction target");
		expect(j - i != 5 || strncasecmp(file.s + i + 2, "xml", 3), i,
		       "'<?xml' allowed only at the start of the file");
		end = find(j, "?>");
		expect(end != NOT_FOUND, i,
		       "unterminated processing instruction");
		expect(end == j || is_ws(at(j)), j, "expected white space");
		return end + 2;
	}
	expect(name_char(at(i + 1), 1), i, "'<' starting no markup (use &lt;)");
	return xml_element(i, depth + 1);
}

static size_t xml_content(size_t i, int depth, struct span name)
{
	size_t j;
	int c;

	while (!starts(i, "</")) {
		c = at(i);
		expect(c >= 0, name.off - 1, "<%.*s> never closed",
		       (int)name.len, file.s + name.off);
		expect(!starts(i, "]]>"), i, "']]>' in text");
		if (c == '<')
			i = xml_misc(i, depth);
		else if (c == '&')
			i = xml_ref(i, collect);
		else
			i = xml_raw(i, collect, 0);
	}
	j = xml_name(i + 2, "an element name");
	expect(same(file.s + i + 2, j - i - 2, file.s + name.off, name.len), i,
	       "</%.*s> does not match <%.*s>", (int)(j - i - 2),
	       file.s + i + 2, (int)name.len, file.s + name.off);
	j = ws(j);
	expect(at(j) == '>', j, "expected '>'");
	return j + 1;
}

static void xml_document(void)
{
	size_t i = starts(0, "\xef\xbb\xbf") ? 3 : 0, end;
	int roots = 0;

	if (starts(i, "<?xml") && !name_char(at(i + 5), 0)) {
		expect(starts(ws(i + 5), "version"), i, "no version in <?xml");
		end = find(i, "?>");
		expect(end != NOT_FOUND, i, "unterminated XML declaration");
		i = end + 2;
	}
	for (i = ws(i); at(i) >= 0; i = ws(i)) {
		expect(at(i) == '<', i, "text outside the root element");
		expect(!name_char(at(i + 1), 1) || roots++ == 0, i,
		       "a second root element");
		i = xml_misc(i, 0);
	}
	expect(roots > 0, i, "no root element");
}

static void usage(FILE *out)
{
	fputs("usage: doc-check json FILE [QUERY]\n"
	      "       doc-check xml FILE [count NAME | attr NAME ATTR | "
	      "text NAME]\n"
	      "Check that FILE is valid JSON or well-formed XML, then print:\n"
	      "  QUERY           the values at a path of keys and indexes "
	      "(tests[3].name);\n"
	      "                  [*] is every element (tests[*].score), a "
	      "trailing #\n"
	      "                  the length (tests#)\n"
	      "  count NAME      how many NAME elements there are\n"
	      "  attr NAME ATTR  the attribute ATTR of each NAME element\n"
	      "  text NAME       the text of each NAME element, then a line "
	      "--\n"
	      "exit: 0 ok, 1 invalid (FILE:LINE:COL: why), 2 usage or "
	      "unreadable file,\n"
	      "      3 the query found nothing\n",
	      out);
}

int main(int argc, char *argv[])
{
	static const char *const ops[] = {"", "count", "attr", "text"};
	static const int op_argc[] = {3, 5, 6, 5};
	const char *op = argc > 3 ? argv[3] : "";
	int json = argc >= 3 && strcmp(argv[1], "json") == 0;
	char chunk[65536];
	size_t n;
	FILE *f;

	np_progname = "doc-check";
	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (json) {
		query = argc == 4 ? argv[3] : NULL;
		if (argc > 4 || (query != NULL && !query_ok(query)))
			q_mode = Q_BAD;
	} else if (argc >= 3 && strcmp(argv[1], "xml") == 0) {
		while (q_mode < Q_BAD && strcmp(op, ops[q_mode]) != 0)
			q_mode++;
		if (q_mode < Q_BAD && argc != op_argc[q_mode])
			q_mode = Q_BAD;
		q_name = argc > 4 ? argv[4] : "";
		q_attr = argc > 5 ? argv[5] : "";
	} else {
		q_mode = Q_BAD;
	}
	if (q_mode == Q_BAD) {
		usage(stderr);
		return 2;
	}
	path = argv[2];
	if ((f = fopen(path, "rb")) == NULL) {
		np_warn("%s:", path);
		return 2;
	}
	/* So that no pointer is NULL when base + offset is computed. */
	add(&file, "", 0);
	add(&keys, "", 0);
	add(&scratch, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		add(&file, chunk, n);
	if (ferror(f)) {
		np_warn("%s:", path);
		fclose(f);
		finish(2);
	}
	fclose(f);
	check_utf8(!json);
	if (json) {
		n = ws(json_value(ws(0), 0));
		expect(n == file.len, n, "more after the top-level value");
		if (query != NULL) {
			json_select(ws(0), query);
			printing = 1;
			json_select(ws(0), query);
		}
		finish(0);
	}
	xml_document();
	if (q_mode != Q_NONE) {
		printing = 1;
		xml_document();
	}
	if (q_mode == Q_COUNT) {
		printf("%lu\n", found);
	} else if (q_mode != Q_NONE && found == 0) {
		np_warn("%s: no <%s> element%s%s", path, q_name,
		        q_mode == Q_ATTR ? " with attribute " : "",
		        q_mode == Q_ATTR ? q_attr : "");
		finish(3);
	}
	finish(0);
}
