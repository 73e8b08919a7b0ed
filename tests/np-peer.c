/*
 * np-peer - a scriptable client (TCP, UDP, Unix sockets) that misbehaves
 * on purpose.
 *
 * The tests use it to play the peers a shell cannot: one that dribbles its
 * request a byte at a time, stops half-way, half-closes, resets, or stalls.
 * It prints every byte of the reply on stdout. Students can run it too: each
 * failing test prints the np-peer command line that reproduces it.
 */
#include "np-net.h"
#include "np-test.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX (16 * 1024 * 1024)

struct options {
	const char *host;
	const char *port;
	const char *path;    /* -U: a Unix socket instead of host and port */
	int datagram;        /* -u: one datagram out, one back */
	const char *message; /* NULL: read it from stdin */
	size_t chunk;        /* 0: everything in one send() */
	int delay_ms;
	int half_close;
	int reset;
	int stall_ms;
	int wait_s;
	int slow; /* -b: a receive buffer this small, read while sending */
};

static void usage(FILE *out)
{
	static const char *const lines[] = {
	        "usage: np-peer [-a HOST] -p PORT | -U PATH [-u] [-m MESSAGE]",
	        "               [-c BYTES] [-d MS] [-H | -R] [-S MS] [-w "
	        "SECONDS] [-b BYTES]",
	        "Send MESSAGE (C escapes: \\r \\n \\t \\\\ \\xHH; default: "
	        "stdin),",
	        "then print the reply until the server closes.",
	        "  -U PATH     a Unix socket instead of HOST and PORT",
	        "  -u          datagrams: send MESSAGE as one, print the one "
	        "back",
	        "  -c BYTES    send at most BYTES per send() (default: all)",
	        "  -d MS       pause MS milliseconds between those pieces",
	        "  -H          half-close (shutdown SHUT_WR) after sending",
	        "  -R          after sending, reset the connection (RST), exit",
	        "  -S MS       stall MS milliseconds after sending",
	        "  -w SECONDS  give up when the reply stalls that long (10)",
	        "  -b BYTES    a slow reader: SO_RCVBUF BYTES, read (at most",
	        "              BYTES, 1 ms apart) while still sending; HOST",
	        "              must be a numeric address",
	        "exit: 0 reply read to EOF, 1 error or reset, 2 usage, 3 "
	        "timeout",
	};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		fprintf(out, "%s\n", lines[i]);
}

/*
 * All of stdin, at most MSG_MAX bytes, in a new buffer (free it); *len gets
 * its size. Returns NULL with errno set (EFBIG: more than MSG_MAX).
 */
static char *read_stdin(size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *more;
	ssize_t r;

	if (buf == NULL)
		return NULL;
	while ((r = read(0, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		n += (size_t)r;
		if (n < cap)
			continue;
		errno = EFBIG;
		if (cap >= MSG_MAX || (more = realloc(buf, cap * 2)) == NULL)
			goto fail;
		buf = more;
		cap *= 2;
	}
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* Close fd after a call on it failed, keeping that errno. Returns -1. */
static int close_failed(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

/* A socket connected to the Unix socket at path. -1 with errno set. */
static int connect_unix(const char *path, int type)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	sa_family_t family = AF_UNIX;
	int fd;

	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return -1;
	/* A datagram client needs an address of its own for the reply:
	 * Linux's autobind gives it an abstract one, and no file. */
	if (type == SOCK_DGRAM &&
	    bind(fd, (struct sockaddr *)&family, sizeof family) < 0)
		return close_failed(fd);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		return close_failed(fd);
	return fd;
}

/*
 * The slow reader's connection (-b). SO_RCVBUF must be set before
 * connect(), as tcp(7) says: the handshake fixes the window scale, and a
 * server that saw the default window there keeps segments larger than a
 * small buffer's window, which then move only on its 200 ms persist timer
 * (about 40 KB/s, not backpressure). np_connect() sets no option before
 * connecting, so this connects by hand, to a numeric address
 * (EADDRNOTAVAIL if it is not one). Returns the socket, or -1 (errno).
 */
static int connect_slow(const struct options *o, int type)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;

	if (np_numeric_address(o->host, o->port, type, &addr, &len) < 0)
		return -1;
	fd = socket(addr.ss_family, type, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->slow, sizeof o->slow))
		return close_failed(fd);
	if (connect(fd, (struct sockaddr *)&addr, len) < 0)
		return close_failed(fd);
	return fd;
}

/* Connect as the options say. Returns the socket, or -1 with errno set. */
static int connect_to(const struct options *o)
{
	int type = o->datagram ? SOCK_DGRAM : SOCK_STREAM;

	if (o->path != NULL)
		return connect_unix(o->path, type);
	if (o->slow > 0)
		return connect_slow(o, type);
	return np_connect(o->host, o->port, type);
}

/* Datagrams: wait for one reply and print it. Returns the exit status. */
static int print_datagram(int fd, int wait_s)
{
	static char buf[65536];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, wait_s * 1000) <= 0) {
		np_warn("no datagram back for %d s: timed out", wait_s);
		return 3;
	}
	n = recv(fd, buf, sizeof buf, 0);
	if (n < 0) {
		np_warn("recv:");
		return 1;
	}
	if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n ||
	    fflush(stdout) == EOF)
		np_die("writing stdout:");
	return 0;
}

/*
 * Read once (at most `slow` bytes with -b) and copy it to stdout. Returns
 * the bytes read, 0 at EOF, -1 on error.
 */
static ssize_t copy_some(int fd, const struct options *o)
{
	static char buf[65536];
	size_t want = o->slow > 0 && (size_t)o->slow < sizeof buf
	                      ? (size_t)o->slow
	                      : sizeof buf;
	ssize_t n = recv(fd, buf, want, 0);

	if (n > 0 && (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n ||
	              fflush(stdout) == EOF))
		np_die("writing stdout:");
	if (n > 0 && o->slow > 0)
		nt_pause_ms(1);
	return n;
}

/* Send msg as the options say. Returns 0, or -1 if the server went away. */
static int send_message(int fd, const char *msg, size_t len,
                        const struct options *o)
{
	size_t sent = 0;

	while (sent < len) {
		size_t piece = o->chunk && o->chunk < len - sent ? o->chunk
		                                                 : len - sent;
		ssize_t n;

		if (o->slow > 0) {
			/* A slow reader reads what came back so far first:
			 * a server blocked on us must not block us. */
			struct pollfd p = {.fd = fd,
			                   .events = POLLIN | POLLOUT};

			if (poll(&p, 1, o->wait_s * 1000) <= 0) {
				errno = EAGAIN;
				np_warn("stalled after %zu of %zu bytes", sent,
				        len);
				return -1;
			}
			if ((p.revents & POLLIN) && copy_some(fd, o) <= 0) {
				np_warn("the server closed after %zu of %zu "
				        "bytes",
				        sent, len);
				return -1;
			}
			if (!(p.revents & POLLOUT))
				continue;
		}
		n = send(fd, msg + sent, piece, o->slow > 0 ? MSG_DONTWAIT : 0);
		if (n < 0 && o->slow > 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			np_warn("send (after %zu of %zu bytes):", sent, len);
			return -1;
		}
		sent += (size_t)n;
		if (o->delay_ms > 0 && sent < len)
			nt_pause_ms(o->delay_ms);
	}
	return 0;
}

/* Copy the reply to stdout until EOF. Returns the exit status. */
static int print_reply(int fd, const struct options *o)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int wait_s = o->wait_s;

	for (;;) {
		int ready = poll(&p, 1, wait_s * 1000);
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			np_die("poll:");
		if (ready == 0) {
			np_warn("no reply for %d s: timed out", wait_s);
			return 3;
		}
		n = copy_some(fd, o);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			np_warn("recv:");
			return 1;
		}
	}
}

static void parse_options(int argc, char *argv[], struct options *o)
{
	uint16_t port;
	int opt;

	while ((opt = getopt(argc, argv, "a:p:U:um:c:d:HRS:w:b:h")) != -1) {
		switch (opt) {
		case 'U':
			o->path = optarg;
			break;
		case 'u':
			o->datagram = 1;
			break;
		case 'a':
			o->host = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &port) < 0)
				goto bad;
			o->port = optarg;
			break;
		case 'm':
			o->message = optarg;
			break;
		case 'c':
			o->chunk = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o->delay_ms = atoi(optarg);
			break;
		case 'H':
			o->half_close = 1;
			break;
		case 'R':
			o->reset = 1;
			break;
		case 'S':
			o->stall_ms = atoi(optarg);
			break;
		case 'w':
			if (np_parse_seconds(optarg, &o->wait_s) < 0)
				goto bad;
			break;
		case 'b':
			o->slow = atoi(optarg);
			if (o->slow <= 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if ((o->port != NULL) != (o->path != NULL) && optind == argc &&
	    !(o->half_close && o->reset))
		return;
bad:
	usage(stderr);
	exit(2);
}

int main(int argc, char *argv[])
{
	struct options o = {.host = "127.0.0.1", .wait_s = 10};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	size_t len;
	char *msg;
	int fd, status = 1;

	np_progname = "np-peer";
	parse_options(argc, argv, &o);
	msg = o.message ? nt_unescape(o.message, &len) : read_stdin(&len);
	if (msg == NULL)
		np_die("reading stdin (at most %d bytes):", MSG_MAX);
	if (np_ignore_sigpipe() < 0)
		np_die("sigaction:");
	fd = connect_to(&o);
	if (fd < 0) {
		free(msg); /* np_die() exits: leave the sanitizers no leak */
		if (o.path != NULL)
			np_die("connect to %s:", o.path);
		np_die("connect to %s port %s:", o.host, o.port);
	}
	/* A server that never reads must not block send() forever. */
	if (np_set_timeouts(fd, o.wait_s) < 0)
		np_die("setsockopt:");
	if (o.datagram) {
		if (send(fd, msg, len, 0) < 0)
			np_die("send:");
		status = print_datagram(fd, o.wait_s);
		goto out;
	}
	if (send_message(fd, msg, len, &o) < 0) {
		/* The server may have answered before it stopped reading. */
		status = errno == EAGAIN || errno == EWOULDBLOCK
		                 ? 3
		                 : print_reply(fd, &o);
		goto out;
	}
	if (o.half_close && shutdown(fd, SHUT_WR) < 0)
		np_warn("shutdown:");
	if (o.stall_ms > 0)
		nt_pause_ms(o.stall_ms);
	if (o.reset) {
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
			np_die("setsockopt SO_LINGER:");
		status = 0;
		goto out;
	}
	status = print_reply(fd, &o);
out:
	close(fd);
	free(msg);
	return status;
}
