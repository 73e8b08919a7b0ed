/*
 * filecli - lesson 03: put a file into a fileserver's store, or get one.
 *
 *	filecli [-a HOST] [-p PORT] [-w SECONDS] put FILE [NAME]
 *	filecli [-a HOST] [-p PORT] [-w SECONDS] get NAME [OUT]
 *
 * Exit status 0 only after the server said ok (and, for get, every byte is
 * in OUT). A progress bar shows on stderr when stderr is a terminal.
 */
#include "frame.h"
#include "np-net.h"
#include "np.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PORT "8090"
#define DEFAULT_WAIT 10

/* The settings main() reads from the command line and the terminal. */
static int show_progress;
static int wait_ms = DEFAULT_WAIT * 1000; /* -w: the longest a stall */

/* Draw "NAME [#####     ]  42%  12.3 MiB" on stderr, when it changed. */
static void progress(const char *name, long long done, long long total)
{
	static int last = -1;
	int pct = total > 0 ? (int)(done * 100 / total) : 100, i;
	char bar[31];

	if (!show_progress || pct == last)
		return;
	last = pct;
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : ' ';
	bar[30] = '\0';
	fprintf(stderr, "\r%.30s [%s] %3d%% %8.1f MiB", name, bar, pct,
	        done / 1048576.0);
	if (done == total) {
		fputc('\n', stderr);
		last = -1;
	}
}

/* Send a request frame: {"action":ACTION,"filename":NAME[,"filesize":N]}. */
static int send_request(int sock, const char *action, const char *name,
                        long long size)
{
	struct json_writer w;

	json_writer_init(&w);
	json_add_string(&w, "action", action, strlen(action));
	json_add_string(&w, "filename", name, strlen(name));
	if (size >= 0)
		json_add_int(&w, "filesize", size);
	return send_object(sock, &w);
}

/*
 * Read the server's reply frame. Returns the "filesize" it names (0 if
 * none) when the status is ok, or -1 with the reason in why: the server's
 * own message, or what is wrong with its reply.
 */
static long long read_reply(int sock, char *why, size_t whylen)
{
	struct json_object reply = {0};
	const struct json_field *status, *msg, *size;
	char err[256], said[512];
	long long rc = -1;
	int r = recv_frame(sock, &reply, np_now_ms() + wait_ms, err,
	                   sizeof err);

	if (r != FRAME_OK) {
		snprintf(why, whylen, "no valid reply from the server: %s",
		         r == FRAME_BAD   ? err
		         : r == FRAME_EOF ? "it closed the connection"
		                          : strerror(errno));
		return -1;
	}
	status = json_get(&reply, "status");
	msg = json_get(&reply, "message");
	size = json_get(&reply, "filesize");
	if (status == NULL || status->type != JSON_STRING ||
	    strcmp(status->str, "ok") != 0)
		/* Escaped: the server's words must not drive our terminal. */
		snprintf(why, whylen, "the server says: %s",
		         msg != NULL && msg->type == JSON_STRING
		                 ? escape_text(said, sizeof said, msg->str,
		                               msg->len)
		                 : "(no message)");
	else if (size != NULL && (size->type != JSON_INT || size->num < 0))
		snprintf(why, whylen, "the server sent a bad \"filesize\"");
	else
		rc = size != NULL ? size->num : 0;
	json_free(&reply);
	return rc;
}

/*
 * Upload the file at path as name. Returns 0 once the server said ok, or
 * -1 with the reason in why.
 */
static int do_put(int sock, const char *path, const char *name, char *why,
                  size_t whylen)
{
	/* TODO(03.8): open() the file and fstat() it: it must be a regular
	 * file; its st_size is the filesize. send_request(sock, "put", name,
	 * size), then copy exactly size bytes from the file to the socket
	 * in CHUNK pieces (malloc the buffer), calling progress(name, done,
	 * size) as you go. Then read_reply(): 0 only if the server said ok.
	 * If sending fails (the server refused and closed early), still try
	 * read_reply(): its message says why. Every failure puts its reason
	 * in why (a local file's: its path and strerror(errno)). */
	/* BEGIN SOLUTION */
	struct stat st;
	char *buf = NULL;
	long long done = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		goto out;
	}
	buf = malloc(CHUNK);
	if (buf == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (send_request(sock, "put", name, (long long)st.st_size) < 0)
		goto reply;
	progress(name, 0, st.st_size);
	while (done < st.st_size) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "%s: %s", path,
			         n == 0 ? "shrank while sending"
			                : strerror(errno));
			goto out;
		}
		if (n > st.st_size - done)
			n = (ssize_t)(st.st_size - done);
		if (write_all(sock, buf, (size_t)n) < 0)
			goto reply;
		done += n;
		progress(name, done, st.st_size);
	}
reply:
	rc = read_reply(sock, why, whylen) < 0 ? -1 : 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
	/* END SOLUTION */
	//: (void)sock;
	//: (void)path;
	//: (void)name;
	//: (void)why;
	//: (void)whylen;
	//: (void)send_request; /* silences "unused": call them instead */
	//: (void)read_reply;
	//: np_todo("03.8");
}

/*
 * Copy exactly size bytes from the socket to out. Returns 0, or -1 with
 * the reason in why.
 */
static int copy_download(int sock, int out, const char *name, long long size,
                         char *why, size_t whylen)
{
	/* TODO(03.9): Loop until size bytes are copied: read() at most CHUNK
	 * bytes (never more than what is left: bytes after the file are not
	 * part of it), write_all() them to out, progress(name, done, size).
	 * read() returning 0 before the end means the server stopped early:
	 * say in why how many bytes came ("got N of M bytes") and return -1;
	 * any other failure: its reason in why, -1. That includes two more
	 * ends: the server sends nothing for wait_ms (-w) milliseconds, and
	 * a stop request (Ctrl-C or SIGTERM: np_stop), which must end the
	 * copy at once, whatever the server does (errno ECANCELED). */
	/* BEGIN SOLUTION */
	char *buf = malloc(CHUNK);
	long long done = 0;
	int rc = -1;

	if (buf == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	progress(name, 0, size);
	while (done < size) {
		size_t want =
		        size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		int ready = np_wait_fd(sock, POLLIN, np_now_ms() + wait_ms);
		ssize_t n = ready == 1 ? read(sock, buf, want) : -1;

		if (ready == 0)
			errno = ECANCELED;
		if (n < 0 && ready == 1 && errno == EINTR)
			continue; /* the next wait sees a stop request */
		if (n <= 0) {
			snprintf(why, whylen, "%s: got %lld of %lld bytes: %s",
			         name, done, size,
			         n == 0 ? "the server closed"
			                : strerror(errno));
			goto out;
		}
		if (write_all(out, buf, (size_t)n) < 0) {
			snprintf(why, whylen, "writing %s: %s", name,
			         strerror(errno));
			goto out;
		}
		done += n;
		progress(name, done, size);
	}
	rc = 0;
out:
	free(buf);
	return rc;
	/* END SOLUTION */
	//: (void)sock;
	//: (void)out;
	//: (void)name;
	//: (void)size;
	//: (void)why;
	//: (void)whylen;
	//: (void)progress; /* silences "unused": call it instead */
	//: np_todo("03.9");
}

/*
 * Download name into out_path ("-": stdout). A file is written under a
 * temporary name next to it and renamed when complete. Returns 0, or -1
 * with the reason in why.
 */
static int do_get(int sock, const char *name, const char *out_path, char *why,
                  size_t whylen)
{
	char temp[PATH_MAX];
	long long size;
	int fd;

	if (send_request(sock, "get", name, -1) < 0) {
		snprintf(why, whylen, "sending the request: %s",
		         strerror(errno));
		return -1;
	}
	size = read_reply(sock, why, whylen);
	if (size < 0)
		return -1;
	if (strcmp(out_path, "-") == 0)
		return copy_download(sock, STDOUT_FILENO, name, size, why,
		                     whylen);
	if (snprintf(temp, sizeof temp, "%s.partXXXXXX", out_path) >=
	    (int)sizeof temp) {
		snprintf(why, whylen, "%s: name too long", out_path);
		return -1;
	}
	fd = mkstemp(temp);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", temp, strerror(errno));
		return -1;
	}
	if (copy_download(sock, fd, name, size, why, whylen) < 0) {
		close(fd);
		unlink(temp);
		return -1;
	}
	if (close(fd) < 0 || rename(temp, out_path) < 0) {
		snprintf(why, whylen, "%s: %s", out_path, strerror(errno));
		unlink(temp);
		return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s [-a HOST] [-p PORT] [-w SECONDS] put FILE [NAME]\n"
	        "       %s [-a HOST] [-p PORT] [-w SECONDS] get NAME [OUT]\n",
	        np_progname, np_progname);
	fprintf(out, "  -a HOST     server (default localhost)\n");
	fprintf(out, "  -p PORT     port (default %s)\n", DEFAULT_PORT);
	fprintf(out,
	        "  -w SECONDS  give up when the server stalls that long "
	        "(default %d)\n",
	        DEFAULT_WAIT);
	fprintf(out, "  put stores FILE as NAME (default: FILE's base name);\n"
	             "  get writes NAME to OUT (default NAME; - for stdout)\n");
}

int main(int argc, char *argv[])
{
	const char *host = "localhost", *port = DEFAULT_PORT, *cmd, *a, *b;
	char why[PATH_MAX + 256] = ""; /* a path and what went wrong */
	int wait = DEFAULT_WAIT, opt, sock, rc;
	uint16_t p;

	np_progname = "filecli";
	while ((opt = getopt(argc, argv, "a:p:w:h")) != -1) {
		if (opt == 'a') {
			host = optarg;
		} else if (opt == 'p' && np_parse_port(optarg, &p) == 0 &&
		           p != 0) {
			port = optarg;
		} else if (opt == 'w' && np_parse_seconds(optarg, &wait) == 0) {
			wait_ms = wait * 1000;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 2 || argc > 3 ||
	    (strcmp(argv[0], "put") != 0 && strcmp(argv[0], "get") != 0)) {
		usage(stderr);
		return 2;
	}
	cmd = argv[0];
	a = argv[1];
	b = argc == 3 ? argv[2] : NULL;
	if (b == NULL && strcmp(cmd, "put") == 0)
		b = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
	else if (b == NULL)
		b = a;

	/* Ctrl-C and SIGTERM set np_stop: a get then removes its partial
	 * file before it exits. */
	if (np_catch_signals() < 0)
		np_die("sigaction:");
	show_progress = isatty(STDERR_FILENO);
	sock = np_connect(host, port, SOCK_STREAM);
	if (sock < 0)
		np_die("connect to %s port %s:", host, port);
	if (np_set_timeouts(sock, wait) < 0)
		np_die("setsockopt:");
	if (strcmp(cmd, "put") == 0)
		rc = do_put(sock, a, b, why, sizeof why);
	else
		rc = do_get(sock, a, b, why, sizeof why);
	if (rc < 0)
		np_warn("%s%s", np_stop ? "interrupted: " : "", why);
	close(sock);
	return rc == 0 ? 0 : 1;
}
