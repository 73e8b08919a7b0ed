/*
 * hello-server - lesson 01: a small, correct HTTP/1.1 server.
 *
 * It serves one connection at a time: read the request head up to the blank
 * line, answer GET and HEAD with a tiny HTML page and anything else with the
 * right error, then close. See README.md beside this file.
 */
#include "np.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT    8089
#define DEFAULT_TIMEOUT 5
#define HEAD_MAX        8192

enum status {
	ST_OK,
	ST_BAD_REQUEST,
	ST_NOT_ALLOWED,
	ST_TIMEOUT,
	ST_TOO_LARGE,
	ST_BAD_VERSION,
};

/* Each status's code, reason phrase and body, indexed by enum status. */
static const struct {
	int code;
	const char *reason;
	const char *body;
} statuses[] = {
        [ST_OK] = {200, "OK", "<h1>Hello,World</h1>"},
        [ST_BAD_REQUEST] = {400, "Bad Request", "<h1>400 Bad Request</h1>\n"},
        [ST_NOT_ALLOWED] = {405, "Method Not Allowed",
                            "<h1>405 Method Not Allowed</h1>\n"},
        [ST_TIMEOUT] = {408, "Request Timeout",
                        "<h1>408 Request Timeout</h1>\n"},
        [ST_TOO_LARGE] = {431, "Request Header Fields Too Large",
                          "<h1>431 Request Header Fields Too Large</h1>\n"},
        [ST_BAD_VERSION] = {505, "HTTP Version Not Supported",
                            "<h1>505 HTTP Version Not Supported</h1>\n"},
};

enum method { M_GET, M_HEAD, M_OTHER };

enum head_result {
	HEAD_DONE,
	HEAD_EOF,
	HEAD_TOO_BIG,
	HEAD_TIMEOUT,
	HEAD_STOPPED,
	HEAD_ERROR
};

/*
 * getaddrinfo() reports a failure in codes of its own (EAI_NONAME, ...),
 * not in errno: turn one into the errno value that np_listen() (np-net.h,
 * from lesson 03 on) gives it, so that open_listener() keeps the errno
 * contract.
 */
static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_SYSTEM:
		return errno; /* a system call failed: errno says which way */
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_NONAME:
		return EADDRNOTAVAIL; /* not a numeric address */
	default:
		return EINVAL;
	}
}

/*
 * Open a TCP socket listening on addr:port; addr is a numeric IPv4 or IPv6
 * address. Returns the socket, or -1 with errno set; prints nothing.
 */
static int open_listener(const char *addr, uint16_t port)
{
	/* TODO(01.1): Return a TCP socket listening on addr and port, for
	 * any address family: the first address getaddrinfo() gives for
	 * them (numeric only: no name lookup, the port a decimal string)
	 * that takes SO_REUSEADDR, bind() and listen() with a SOMAXCONN
	 * backlog. Leave nothing behind: close every socket that failed a
	 * step and free the list on every path. On failure return -1 with
	 * errno set: the last address's error, or gai_errno() of what
	 * getaddrinfo() returned. Print nothing: main() reports. */
	/* BEGIN SOLUTION */
	struct addrinfo hints, *res, *ai;
	char service[6];
	int fd = -1, one = 1, rc, err = EADDRNOTAVAIL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", (unsigned)port);
	rc = getaddrinfo(addr, service, &hints, &res);
	if (rc != 0) {
		errno = gai_errno(rc);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		               sizeof one) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = err;
	return fd;
	/* END SOLUTION */
	//: (void)addr;
	//: (void)port;
	//: (void)gai_errno; /* silences "unused": call it instead */
	//: np_todo("01.1");
}

/*
 * Read the request head into buf (cap bytes) until it holds the blank line
 * "\r\n\r\n", by the deadline (a time of np_now_ms()). *len is set to the
 * number of bytes read in every case.
 */
static enum head_result read_head(int fd, char *buf, size_t cap,
                                  long long deadline, size_t *len)
{
	/* TODO(01.3): Return HEAD_DONE once the bytes read so far contain
	 * "\r\n\r\n". One recv() may return any piece of the request, a
	 * single byte or several lines, and the blank line may straddle two.
	 * The deadline bounds the whole head, however slowly its bytes
	 * come: never wait for a piece past it, and return HEAD_TIMEOUT once
	 * it has passed. Never block in recv(): wait in np_wait_fd(), and
	 * only when nothing is there to read (under load the bytes have
	 * come already). A stop (SIGINT, SIGTERM) ends any wait at once:
	 * HEAD_STOPPED. EOF before the blank line: HEAD_EOF. A full buffer
	 * without it: HEAD_TOO_BIG. EINTR is no error; any other error is
	 * HEAD_ERROR (errno set). */
	/* BEGIN SOLUTION */
	size_t n = 0, from = 0;

	for (;;) {
		ssize_t r;
		int ready;

		for (; from + 4 <= n; from++)
			if (memcmp(buf + from, "\r\n\r\n", 4) == 0) {
				*len = n;
				return HEAD_DONE;
			}
		*len = n;
		if (n == cap)
			return HEAD_TOO_BIG;
		r = recv(fd, buf + n, cap - n, MSG_DONTWAIT);
		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		if (r == 0)
			return HEAD_EOF;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return HEAD_ERROR;
		ready = np_wait_fd(fd, POLLIN, deadline);
		if (ready == 0)
			return HEAD_STOPPED;
		if (ready < 0)
			return errno == ETIMEDOUT ? HEAD_TIMEOUT : HEAD_ERROR;
	}
	/* END SOLUTION */
	//: (void)fd;
	//: (void)buf;
	//: (void)cap;
	//: (void)deadline;
	//: (void)len;
	//: np_todo("01.3");
}

/*
 * Check the request line at the start of head ("METHOD SP TARGET SP
 * HTTP/x.y CRLF"; head holds a blank line, so the CRLF is there) and tell
 * its method. Returns ST_OK, ST_BAD_REQUEST for a malformed line, or
 * ST_BAD_VERSION for an HTTP major version other than 1; sets *method in
 * every case.
 */
static enum status parse_request_line(const char *head, enum method *method)
{
	/* TODO(01.4): Split the line at its two single spaces. The method is
	 * one or more token characters (letters, digits, "!#$%&'*+-.^_`|~");
	 * the target is one or more visible characters (33..126); the
	 * version is exactly "HTTP/" DIGIT "." DIGIT, followed by "\r\n".
	 * Methods are case-sensitive: "GET" is M_GET, "HEAD" is M_HEAD, any
	 * other token (or none) M_OTHER. Set *method from the method token
	 * whatever follows it, before any return: the reply to a HEAD
	 * request has no body, an error reply (400, 505) included. */
	/* BEGIN SOLUTION */
	static const char tchars[] = "!#$%&'*+-.^_`|~";
	const char *p = head, *target, *version;
	size_t mlen;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || (*p != '\0' && strchr(tchars, *p)))
		p++;
	mlen = (size_t)(p - head);
	if (mlen == 3 && memcmp(head, "GET", 3) == 0)
		*method = M_GET;
	else if (mlen == 4 && memcmp(head, "HEAD", 4) == 0)
		*method = M_HEAD;
	else
		*method = M_OTHER;
	if (mlen == 0 || *p != ' ')
		return ST_BAD_REQUEST;
	target = ++p;
	while (*p > ' ' && *p < 127)
		p++;
	if (p == target || *p != ' ')
		return ST_BAD_REQUEST;
	version = ++p;
	if (strncmp(version, "HTTP/", 5) != 0 || version[5] < '0' ||
	    version[5] > '9' || version[6] != '.' || version[7] < '0' ||
	    version[7] > '9' || strncmp(version + 8, "\r\n", 2) != 0)
		return ST_BAD_REQUEST;
	return version[5] == '1' ? ST_OK : ST_BAD_VERSION;
	/* END SOLUTION */
	//: (void)head;
	//: (void)method;
	//: np_todo("01.4");
}

/*
 * Send all len bytes of buf on the connected socket fd by the deadline (a
 * time of np_now_ms()), however many send() calls it takes. Returns 0, or
 * -1 with errno set: ETIMEDOUT when the deadline passed, EINTR when the
 * server is stopping.
 */
static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	/* TODO(01.5): send() may take fewer bytes than asked (a short
	 * write): send the rest until all len bytes are gone. Never block
	 * in send(): a client that stops reading fills the socket's buffer,
	 * and then wait for room in np_wait_fd(), by the deadline. A stop
	 * ends the wait: the server owes this client nothing more (-1,
	 * EINTR). The deadline passed: -1, ETIMEDOUT. EINTR from send() is
	 * no error; any other error: -1. */
	/* BEGIN SOLUTION */
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_DONTWAIT);
		int ready;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		ready = np_wait_fd(fd, POLLOUT, deadline);
		if (ready == 0) {
			errno = EINTR;
			return -1;
		}
		if (ready < 0)
			return -1;
	}
	return 0;
	/* END SOLUTION */
	//: (void)fd;
	//: (void)buf;
	//: (void)len;
	//: (void)deadline;
	//: np_todo("01.5");
}

/*
 * Write the response head for status st into buf (cap bytes): the status
 * line, the headers and the blank line. Returns its length, or -1 if it
 * does not fit.
 */
static int format_head(char *buf, size_t cap, enum status st)
{
	/* TODO(01.6): Format the head into buf with snprintf():
	 *   "HTTP/1.1 CODE REASON\r\n"
	 *   "Content-Type: text/html; charset=utf-8\r\n"
	 *   "Content-Length: N\r\n"        (N: the body's size in bytes)
	 *   "Allow: GET, HEAD\r\n"         (only for ST_NOT_ALLOWED)
	 *   "Connection: close\r\n"
	 *   "\r\n"
	 * CODE, REASON and the body are in statuses[st]. snprintf() returns
	 * the length it wanted: check that it fitted. */
	/* BEGIN SOLUTION */
	int n = snprintf(buf, cap,
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Type: text/html; charset=utf-8\r\n"
	                 "Content-Length: %zu\r\n"
	                 "%s"
	                 "Connection: close\r\n"
	                 "\r\n",
	                 statuses[st].code, statuses[st].reason,
	                 strlen(statuses[st].body),
	                 st == ST_NOT_ALLOWED ? "Allow: GET, HEAD\r\n" : "");

	return n < 0 || (size_t)n >= cap ? -1 : n;
	/* END SOLUTION */
	//: (void)buf;
	//: (void)cap;
	//: (void)st;
	//: np_todo("01.6");
}

/*
 * Send the response for status st, by the deadline: the head and, unless
 * head_only, the body, together in one buffer, so that one send() does
 * (and one TCP segment carries) both. Returns 0, or -1 with errno set.
 */
static int send_response(int fd, enum status st, int head_only,
                         long long deadline)
{
	const char *body = head_only ? "" : statuses[st].body;
	size_t body_len = strlen(body);
	char reply[512];
	int n = format_head(reply, sizeof reply, st);

	if (n < 0 || (size_t)n + body_len > sizeof reply) {
		errno = EOVERFLOW;
		return -1;
	}
	memcpy(reply + n, body, body_len);
	return send_all(fd, reply, (size_t)n + body_len, deadline);
}

/*
 * Log one line per connection on stderr: who, the request line (bytes that
 * are not printable shown as \xHH, long lines cut) and the outcome.
 */
static void log_request(const struct sockaddr *peer, const char *head,
                        size_t len, const char *outcome)
{
	char who[NP_ADDRSTRLEN], line[4 * 80 + 4], *o = line;
	size_t i;

	for (i = 0; i < len && i < 80 && head[i] != '\r' && head[i] != '\n';
	     i++) {
		unsigned char c = (unsigned char)head[i];

		if (c >= ' ' && c < 127 && c != '\\' && c != '"')
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	strcpy(o, i < len && head[i] != '\r' && head[i] != '\n' ? "..." : "");
	np_warn("%s \"%s\" %s", np_format_addr(peer, who, sizeof who), line,
	        outcome);
}

/*
 * The status to answer a head that read_head() could not complete with,
 * and its method: a head cut short that starts "HEAD " still asked for no
 * body.
 */
static enum status status_of_partial(enum head_result got, const char *head,
                                     size_t len, enum method *method)
{
	if (len >= 5 && memcmp(head, "HEAD ", 5) == 0)
		*method = M_HEAD;
	if (got == HEAD_EOF)
		return ST_BAD_REQUEST;
	return got == HEAD_TOO_BIG ? ST_TOO_LARGE : ST_TIMEOUT;
}

/*
 * Whether the head (the len bytes read) names a header, e.g.
 * "Content-Length": a name at the start of a line, any case, then ':'.
 */
static int has_header(const char *head, size_t len, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i + 2 + n < len; i++)
		if (head[i] == '\n' &&
		    strncasecmp(head + i + 1, name, n) == 0 &&
		    head[i + 1 + n] == ':')
			return 1;
	return 0;
}

/*
 * Whether the client may still send bytes we will not read, so that a
 * plain close() could reset the connection and destroy the reply: unless
 * it was a request we answered 200 whose head ended at the last byte read
 * and that announces no body (nginx's lingering-close rule, in short).
 */
static int may_send_more(const char *head, size_t len, enum status st)
{
	if (st != ST_OK || len < 4 ||
	    memcmp(head + len - 4, "\r\n\r\n", 4) != 0)
		return 1;
	for (size_t i = 0; i + 4 < len; i++)
		if (memcmp(head + i, "\r\n\r\n", 4) == 0)
			return 1; /* a second request, pipelined */
	return has_header(head, len, "Content-Length") ||
	       has_header(head, len, "Transfer-Encoding");
}

/*
 * Serve one connection: read the request (it has timeout seconds from now
 * to come in whole), answer it (timeout seconds more), close.
 */
static void handle_client(int fd, const struct sockaddr *peer, int timeout)
{
	char head[HEAD_MAX];
	size_t len = 0;
	enum method method = M_OTHER;
	enum head_result got;
	enum status st;
	char outcome[64];

	got = read_head(fd, head, sizeof head, np_now_ms() + timeout * 1000LL,
	                &len);
	if (got == HEAD_ERROR || got == HEAD_STOPPED) {
		/* No answer: the connection failed, or the server is
		 * stopping (a stop owes the client none). */
		log_request(peer, head, len,
		            got == HEAD_STOPPED ? "not answered: stopping"
		                                : strerror(errno));
		close(fd);
		return;
	}
	if (got == HEAD_DONE) {
		st = parse_request_line(head, &method);
		if (st == ST_OK && method == M_OTHER)
			st = ST_NOT_ALLOWED;
	} else {
		st = status_of_partial(got, head, len, &method);
	}
	if (send_response(fd, st, method == M_HEAD,
	                  np_now_ms() + timeout * 1000LL) < 0)
		snprintf(outcome, sizeof outcome, "%d, send failed: %s",
		         statuses[st].code, strerror(errno));
	else
		snprintf(outcome, sizeof outcome, "%d", statuses[st].code);
	log_request(peer, head, len, outcome);
	if (may_send_more(head, len, st))
		np_close_gently(fd);
	else
		close(fd);
}

/* Accept and serve connections, one at a time, until SIGINT or SIGTERM. */
static void serve(int listen_fd, int timeout)
{
	/* TODO(01.2): Until SIGINT or SIGTERM (np_stop), accept each
	 * connection, keeping the peer's address, and pass it to
	 * handle_client(), which closes it. listen_fd is non-blocking:
	 * accept() never waits, and fails with EAGAIN when no client is
	 * queued; only then wait, in np_wait_readable() (0: a stop). Under
	 * load a client is always queued, and a stop must still end the
	 * loop. Nothing one client does may stop the server: log a failed
	 * accept() (np_warn()) and go on. Out of descriptors or memory
	 * (np_starved()), the client stays queued and a retry at once would
	 * spin: pause NP_ACCEPT_PAUSE_MS (np_sleep_ms(); a stop cuts it
	 * short) before the next try, and log only the first failure of
	 * such a run, not every try. Accept again as soon as it works. */
	/* BEGIN SOLUTION */
	int starved = 0;

	while (!np_stop) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		int fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);

		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		               errno == EINTR)) {
			if (np_wait_readable(listen_fd) < 0) {
				np_warn("waiting for clients:");
				return;
			}
			continue;
		}
		if (fd < 0 && np_starved(errno)) {
			if (!starved)
				np_warn("accept, retrying every %d ms:",
				        NP_ACCEPT_PAUSE_MS);
			starved = 1;
			np_sleep_ms(NP_ACCEPT_PAUSE_MS);
			continue;
		}
		if (fd < 0) {
			np_warn("accept:");
			continue;
		}
		if (starved)
			np_warn("accept works again");
		starved = 0;
		handle_client(fd, (struct sockaddr *)&peer, timeout);
	}
	/* END SOLUTION */
	//: (void)listen_fd;
	//: (void)timeout;
	//: (void)handle_client; /* silences "unused": call it instead */
	//: np_todo("01.2");
}

static void usage(FILE *out)
{
	fprintf(out, "usage: %s [-a ADDR] [-p PORT] [-t SECONDS]\n",
	        np_progname);
	fprintf(out, "  -a ADDR     address to listen on (default 127.0.0.1; "
	             "::1 for IPv6)\n");
	fprintf(out, "  -p PORT     port (default %d; 0: any free port)\n",
	        DEFAULT_PORT);
	fprintf(out,
	        "  -t SECONDS  time a client has to send its whole request "
	        "head (default %d)\n",
	        DEFAULT_TIMEOUT);
	fprintf(out, "  -h          show this help\n");
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	uint16_t port = DEFAULT_PORT;
	int timeout = DEFAULT_TIMEOUT, opt, fd;

	np_progname = "hello-server";
	while ((opt = getopt(argc, argv, "a:p:t:h")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0) {
				np_warn("bad port: %s", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 't':
			if (np_parse_seconds(optarg, &timeout) < 0) {
				np_warn("bad timeout: %s", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		np_warn("unexpected argument: %s", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (np_catch_signals() < 0)
		np_die("sigaction:");
	fd = open_listener(addr, port);
	if (fd < 0)
		np_die("listen on %s port %u:", addr, (unsigned)port);
	/* serve() waits in np_wait_readable(), where a stop wakes it, and
	 * never in accept(). */
	if (np_set_nonblocking(fd) < 0)
		np_die("fcntl:");
	if (np_print_ready(fd) < 0)
		np_die("writing the ready line:");
	serve(fd, timeout);
	close(fd);
	return 0;
}
