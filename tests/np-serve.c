/*
 * np-serve - a TCP server that misbehaves on purpose, for testing clients.
 *
 * It plays the servers a client must cope with: one that echoes, one that
 * answers only after the client's EOF, one that answers a request head,
 * one that dribbles its reply, one that never answers, one that resets the
 * connection. It serves one
 * connection after another until SIGINT or SIGTERM, and prints the ready
 * line "listening on HOST:PORT" like every server of the course.
 */
#include "np-net.h"
#include "np-test.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX 64

static void usage(FILE *out)
{
	static const char *const lines[] = {
	        "usage: np-serve [-a ADDR] [-p PORT] MODE [TEXT]",
	        "MODE is what the server does with each connection:",
	        "  echo        send every byte back as it arrives, until EOF",
	        "  echo-log    the same, and copy them to stdout (its log)",
	        "  after-eof   read until EOF, then answer: received N bytes",
	        "  request     read to a blank line (an HTTP head), send TEXT",
	        "  dribble     send TEXT one byte at a time, 1 ms apart, close",
	        "  silent      read what comes, never answer, never close",
	        "  reset       send TEXT, then reset the connection (RST)",
	        "TEXT may hold the C escapes \\r \\n \\t \\\\ \\xHH.",
	};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		fprintf(out, "%s\n", lines[i]);
}

/*
 * Read what the client sends, passing each piece to echo_fd (or dropping
 * it when echo_fd is -1), and to stdout as well if log, until EOF.
 * Returns the byte count, or -1 on error or when asked to stop.
 */
static long long read_until_eof(int fd, int echo_fd, int log)
{
	char buf[65536];
	long long total = 0;

	for (;;) {
		ssize_t n;

		if (np_wait_readable(fd) != 1)
			return -1;
		n = recv(fd, buf, sizeof buf, 0);
		if (n == 0)
			return total;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (echo_fd >= 0 && nt_send_all(echo_fd, buf, (size_t)n) < 0)
			return -1;
		if (log && (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n ||
		            fflush(stdout) == EOF))
			return -1;
		total += n;
	}
}

/* Read until the client's bytes end with a blank line (an HTTP head). */
static int read_head(int fd)
{
	char buf[4096];
	size_t have = 0;

	while (have < 4 || memcmp(buf + have - 4, "\r\n\r\n", 4) != 0) {
		ssize_t n;

		if (have == sizeof buf || np_wait_readable(fd) != 1)
			return -1;
		n = recv(fd, buf + have, sizeof buf - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return 0;
}

static void dribble(int fd, const char *text, size_t len)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000L};
	size_t i;

	for (i = 0; i < len && !np_stop; i++) {
		if (nt_send_all(fd, text + i, 1) < 0)
			return;
		nanosleep(&ms, NULL);
	}
}

static void reset(int fd, const char *text, size_t len)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (nt_send_all(fd, text, len) < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
		np_warn("setsockopt SO_LINGER:");
}

/*
 * Serve one connection as MODE says, TEXT being LEN bytes (NUL included).
 * Returns 1 to keep fd open (silent).
 */
static int serve_one(int fd, const char *mode, const char *text, size_t len)
{
	char reply[64];
	long long n;

	if (strcmp(mode, "echo") == 0 || strcmp(mode, "echo-log") == 0) {
		read_until_eof(fd, fd, strcmp(mode, "echo-log") == 0);
	} else if (strcmp(mode, "after-eof") == 0) {
		n = read_until_eof(fd, -1, 0);
		if (n >= 0) {
			snprintf(reply, sizeof reply, "received %lld bytes\n",
			         n);
			nt_send_all(fd, reply, strlen(reply));
		}
	} else if (strcmp(mode, "request") == 0) {
		if (read_head(fd) == 0 && nt_send_all(fd, text, len) == 0 &&
		    shutdown(fd, SHUT_WR) == 0)
			read_until_eof(fd, -1, 0);
	} else if (strcmp(mode, "dribble") == 0) {
		dribble(fd, text, len);
		/* Our FIN first, then read to EOF: close() with unread bytes
		 * would reset the connection and could eat the reply. */
		if (shutdown(fd, SHUT_WR) == 0)
			read_until_eof(fd, -1, 0);
	} else if (strcmp(mode, "reset") == 0) {
		reset(fd, text, len);
	} else {
		read_until_eof(fd, -1, 0);
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1", *port = "0", *mode, *text = "";
	char *unescaped = NULL;
	size_t tlen = 0;
	static const char *const modes[] = {"echo",    "echo-log", "after-eof",
	                                    "request", "dribble",  "silent",
	                                    "reset"};
	int held[HELD_MAX], nheld = 0, opt, lfd, i, known = 0;
	uint16_t p;

	np_progname = "np-serve";
	while ((opt = getopt(argc, argv, "a:p:h")) != -1) {
		if (opt == 'a') {
			addr = optarg;
		} else if (opt == 'p' && np_parse_port(optarg, &p) == 0) {
			port = optarg;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[optind];
	for (i = 0; i < (int)(sizeof modes / sizeof modes[0]); i++)
		known |= strcmp(mode, modes[i]) == 0;
	if (!known) {
		usage(stderr);
		return 2;
	}
	if (optind + 1 < argc) {
		text = unescaped = nt_unescape(argv[optind + 1], &tlen);
	}

	if (np_catch_signals() < 0)
		np_die("sigaction:");
	lfd = np_listen(addr, port, SOCK_STREAM, SOMAXCONN);
	if (lfd < 0)
		np_die("listen on %s port %s:", addr, port);
	if (np_print_ready(lfd) < 0)
		np_die("writing the ready line:");
	while (np_wait_readable(lfd) == 1) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (serve_one(fd, mode, text, tlen) && nheld < HELD_MAX)
			held[nheld++] = fd;
		else
			close(fd);
	}
	for (i = 0; i < nheld; i++)
		close(held[i]);
	close(lfd);
	free(unescaped);
	return 0;
}
