/*
 * 01-request-line.c - fuzz lesson 01's request-line parser.
 *
 * hello-server.c keeps parse_request_line() static, so this file includes
 * the whole program (the reference, solutions/01-hello-server/) with its
 * main() renamed, and calls the parser as handle_client() does: on a head
 * that read_head() accepted, at most HEAD_MAX bytes that hold "\r\n\r\n"
 * (and maybe bytes after it). An input without the blank line in its first
 * HEAD_MAX bytes gets one appended, so every input reaches the parser. The
 * head is copied into a buffer of exactly its size, with no NUL after it,
 * so that ASan sees a read past its end.
 *
 * Beyond "no crash", the status and method must be what the parser's
 * contract (its comment in hello-server.c) says. fz_expected_status() works
 * them out again from that contract alone, reading no byte past the head.
 */
#include "fuzz.h"

#define main hello_server_main
int hello_server_main(int argc, char *argv[]);
#include "hello-server.c"
#undef main

/* A token character of a method: a letter, a digit or one of tchars. */
static int fz_is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static int fz_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The contract, checked against the n bytes of h: "METHOD SP TARGET SP
 * HTTP/D.D CRLF", METHOD one or more token characters, TARGET one or more
 * bytes 33..126; any major version but 1 is ST_BAD_VERSION.
 */
static enum status fz_expected_status(const char *h, size_t n, enum method *m)
{
	const unsigned char *u = (const unsigned char *)h;
	size_t i = 0, mlen, target, v;

	while (i < n && fz_is_tchar(u[i]))
		i++;
	mlen = i;
	if (mlen == 0 || i == n || u[i] != ' ')
		return ST_BAD_REQUEST;
	target = ++i;
	while (i < n && u[i] >= 33 && u[i] <= 126)
		i++;
	if (i == target || i == n || u[i] != ' ')
		return ST_BAD_REQUEST;
	v = ++i;
	if (n - v < 10 || memcmp(h + v, "HTTP/", 5) != 0 ||
	    !fz_is_digit(u[v + 5]) || u[v + 6] != '.' ||
	    !fz_is_digit(u[v + 7]) || u[v + 8] != '\r' || u[v + 9] != '\n')
		return ST_BAD_REQUEST;
	if (u[v + 5] != '1')
		return ST_BAD_VERSION;
	if (mlen == 3 && memcmp(h, "GET", 3) == 0)
		*m = M_GET;
	else if (mlen == 4 && memcmp(h, "HEAD", 4) == 0)
		*m = M_HEAD;
	else
		*m = M_OTHER;
	return ST_OK;
}

/* Where "\r\n\r\n" starts in the n bytes of h, or -1. */
static long fz_find_blank_line(const char *h, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (memcmp(h + i, "\r\n\r\n", 4) == 0)
			return (long)i;
	return -1;
}

/* The request line, printable (\xHH for other bytes), for a report. */
static void fz_show_line(const char *h, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && h[i] != '\n' && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c >= ' ' && c < 127 && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* The HTTP code of st, or -1 if st is not a status at all. */
static int fz_code_of(enum status st)
{
	return st <= ST_BAD_VERSION ? statuses[st].code : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < HEAD_MAX ? size : HEAD_MAX;
	int add = fz_find_blank_line((const char *)data, n) < 0;
	enum method got = M_OTHER, want = M_OTHER;
	enum status st, expected;
	char *head, line[4 * 120];

	if (add && n > HEAD_MAX - 4)
		n = HEAD_MAX - 4;
	/* One byte more, a NUL after the head: libFuzzer's strncmp() hook
	 * reads all n bytes of both strings, where strncmp() itself stops at
	 * the first difference (inside the head, for the reference). */
	head = malloc((add ? n + 4 : n) + 1);
	if (head == NULL)
		return 0;
	memcpy(head, data, n);
	if (add) {
		memcpy(head + n, "\r\n\r\n", 4);
		n += 4;
	}
	head[n] = '\0';

	st = parse_request_line(head, &got);
	expected = fz_expected_status(head, n, &want);
	fz_show_line(head, n, line, sizeof line);
	FUZZ_CHECK(st == expected,
	           "parse_request_line() returned status %d, its contract "
	           "says %d, for the request line \"%s\"",
	           fz_code_of(st), fz_code_of(expected), line);
	FUZZ_CHECK(st != ST_OK || got == want,
	           "parse_request_line() set method %d, its contract says %d, "
	           "for the request line \"%s\"",
	           (int)got, (int)want, line);
	free(head);
	return 0;
}
