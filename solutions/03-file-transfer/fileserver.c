/*
 * fileserver - lesson 03: store and serve files, nothing lost, nothing
 * trusted.
 *
 * One request per connection, framed as frame.h describes: put stores
 * exactly "filesize" bytes under a plain file name, get sends a stored file
 * back. An upload goes to a temporary file in the store and is renamed into
 * place only once every byte arrived, so a broken upload never leaves a
 * half-written file behind and never spoils an older file of that name.
 * See README.md beside this file.
 */
#include "frame.h"
#include "np-net.h"
#include "np.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PORT    8090
#define DEFAULT_TIMEOUT 10
#define TEMP_PREFIX     ".upload-"
#define WHY_MAX         512 /* a reason: room for a 255-byte name and more */

/* A request that passed check_request(). */
struct request {
	int put;          /* 1: put, 0: get */
	const char *name; /* points into the parsed header */
	long long size;   /* put only */
};

/* The settings main() reads from the command line. */
static const char *store = "./storage";
static int timeout_s = DEFAULT_TIMEOUT; /* -t: a header deadline, a stall */

/*
 * Check a request header and fill in *req. Returns 0, or -1 with the
 * reason (sent back to the client) in why.
 */
static int check_request(const struct json_object *hdr, struct request *req,
                         char *why, size_t whylen)
{
	/* TODO(03.5): Trust nothing the client sent. "action" must be the
	 * string "put" or "get". "filename" must be a string of 1 to 255
	 * bytes that is a plain name: no '/', no NUL byte (a \u0000 in the
	 * JSON makes one: compare strlen() with len), not "." or "..", and
	 * not starting with TEMP_PREFIX (our temporary files). For put,
	 * "filesize" must be an integer >= 0. Say what is wrong in why,
	 * e.g. "missing field \"filesize\"", "\"filesize\" must be an
	 * integer", "bad file name". */
	/* BEGIN SOLUTION */
	const struct json_field *action = json_get(hdr, "action");
	const struct json_field *name = json_get(hdr, "filename");
	const struct json_field *size = json_get(hdr, "filesize");

	if (action == NULL || action->type != JSON_STRING ||
	    (strcmp(action->str, "put") != 0 &&
	     strcmp(action->str, "get") != 0)) {
		snprintf(why, whylen, "\"action\" must be \"put\" or \"get\"");
		return -1;
	}
	req->put = strcmp(action->str, "put") == 0;
	if (name == NULL || name->type != JSON_STRING) {
		snprintf(why, whylen, "\"filename\" must be a string");
		return -1;
	}
	if (name->len == 0 || name->len > 255 ||
	    strlen(name->str) != name->len || strchr(name->str, '/') ||
	    strcmp(name->str, ".") == 0 || strcmp(name->str, "..") == 0 ||
	    strncmp(name->str, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0) {
		snprintf(why, whylen,
		         "bad file name: 1 to 255 bytes, no '/' or NUL, "
		         "not . or .., not " TEMP_PREFIX "*");
		return -1;
	}
	req->name = name->str;
	if (!req->put)
		return 0;
	if (size == NULL || size->type != JSON_INT || size->num < 0) {
		snprintf(why, whylen,
		         "\"filesize\" must be an integer of 0 or more");
		return -1;
	}
	req->size = size->num;
	return 0;
	/* END SOLUTION */
	//: (void)hdr;
	//: (void)req;
	//: (void)why;
	//: (void)whylen;
	//: np_todo("03.5");
}

/* Build "STORE/NAME" into path. Returns 0, or -1 if it is too long. */
static int store_path(char *path, size_t len, const char *name)
{
	int n = snprintf(path, len, "%s/%s", store, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Copy exactly size bytes from the socket to the file out, in pieces of
 * CHUNK bytes. A payload may be any size, so no deadline bounds it all;
 * what bounds it is idleness: a client that sends nothing for timeout_s
 * seconds is dropped. Returns 0, or -1 with the reason in why.
 */
static int copy_upload(int sock, int out, long long size, char *why,
                       size_t whylen)
{
	char *buf = malloc(CHUNK);
	long long done = 0;
	int rc = -1;

	if (buf == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (done < size) {
		size_t want =
		        size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		int ready = np_wait_fd(sock, POLLIN,
		                       np_now_ms() + timeout_s * 1000LL);
		ssize_t n = ready == 1 ? read(sock, buf, want) : -1;

		if (n < 0 && ready == 1 && errno == EINTR)
			continue; /* the next wait sees a stop request */
		if (n <= 0) {
			snprintf(why, whylen,
			         "upload broken after %lld of %lld bytes: %s",
			         done, size,
			         n == 0       ? "connection closed"
			         : ready == 0 ? "the server is stopping"
			                      : strerror(errno));
			goto out;
		}
		if (write_all(out, buf, (size_t)n) < 0) {
			snprintf(why, whylen, "cannot store the file: %s",
			         strerror(errno));
			goto out;
		}
		done += n;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/*
 * Receive a put's payload into the store under req->name, atomically.
 * Returns 0 once the file is in place, or -1 with the reason in why; then
 * nothing of the upload is left in the store.
 */
static int receive_upload(int sock, const struct request *req, char *why,
                          size_t whylen)
{
	/* TODO(03.6): Never write the final name directly: create a
	 * temporary file in the store with mkstemp() (template
	 * "STORE/" TEMP_PREFIX "XXXXXX"), copy_upload() the payload into it,
	 * fsync() and close() it (both can report a full disk; after
	 * close() the descriptor is gone even if it failed), and only
	 * then rename() it to "STORE/NAME" (store_path()): rename() replaces
	 * an older file in one step, so readers see the old file or the new
	 * one, never half of it. On any failure unlink() the temporary file
	 * and say why. */
	/* BEGIN SOLUTION */
	char temp[PATH_MAX], path[PATH_MAX];
	int fd, rc;

	if (store_path(path, sizeof path, req->name) < 0 ||
	    store_path(temp, sizeof temp, TEMP_PREFIX "XXXXXX") < 0) {
		snprintf(why, whylen, "file name too long for this store");
		return -1;
	}
	fd = mkstemp(temp);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create a file: %s",
		         strerror(errno));
		return -1;
	}
	if (copy_upload(sock, fd, req->size, why, whylen) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		snprintf(why, whylen, "cannot store the file: %s",
		         strerror(errno));
		goto fail;
	}
	rc = close(fd);
	fd = -1; /* gone, whatever close() returned */
	if (rc < 0) {
		snprintf(why, whylen, "cannot store the file: %s",
		         strerror(errno));
		goto fail;
	}
	if (rename(temp, path) < 0) {
		snprintf(why, whylen, "cannot store the file: %s",
		         strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(temp);
	return -1;
	/* END SOLUTION */
	//: (void)sock;
	//: (void)req;
	//: (void)why;
	//: (void)whylen;
	//: (void)copy_upload; /* silences "unused": call it instead */
	//: np_todo("03.6");
}

/* Send {"status":"ok","filename":NAME,"filesize":SIZE}. 0, or -1 (errno). */
static int send_ok(int fd, const char *name, long long size)
{
	return send_reply(fd, NULL, name, size);
}

/*
 * Open the stored file name for reading. Returns its descriptor, reading
 * in blocking mode, with its fstat() in *st; or -1 with the reason (for
 * the client) in why.
 */
static int open_stored(const char *name, struct stat *st, char *why,
                       size_t whylen)
{
	/* TODO(03.10): The store may hold what another program put there:
	 * a symbolic link (it may lead out of the store: never follow one),
	 * a folder, a FIFO or a device. Serve regular files only, and never
	 * block while finding out what it is: open() of a FIFO waits for a
	 * writer, for ever (no -t, no SIGTERM ends it), and opening a
	 * device may wait too. Errors, in why: a missing file "no such
	 * file: NAME", one that is not regular "not a regular file: NAME",
	 * any other failure (a link: ELOOP) "cannot open NAME: REASON". The
	 * descriptor returned reads in blocking mode, as usual. */
	/* BEGIN SOLUTION */
	char path[PATH_MAX];
	int fd, flags;

	if (store_path(path, sizeof path, name) < 0) {
		snprintf(why, whylen, "file name too long for this store");
		return -1;
	}
	/* O_NONBLOCK: open() returns at once, whatever the file is. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen,
		         errno == ENOENT ? "no such file: %s"
		                         : "cannot open %s: %s",
		         name, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || (flags = fcntl(fd, F_GETFL)) < 0)
		snprintf(why, whylen, "cannot open %s: %s", name,
		         strerror(errno));
	else if (!S_ISREG(st->st_mode))
		snprintf(why, whylen, "not a regular file: %s", name);
	else if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		snprintf(why, whylen, "cannot open %s: %s", name,
		         strerror(errno));
	else
		return fd;
	close(fd);
	return -1;
	/* END SOLUTION */
	//: (void)name;
	//: (void)st;
	//: (void)why;
	//: (void)whylen;
	//: np_todo("03.10");
}

/*
 * Answer a get: the ok reply, then the file's bytes; or an error reply.
 * Returns 0, or -1 with the reason in why (already sent when possible).
 */
static int send_file(int sock, const struct request *req, char *why,
                     size_t whylen)
{
	/* TODO(03.7): open_stored() the file. If that fails, or no CHUNK
	 * buffer can be had, send_error() the reason and return -1. Else
	 * send_ok() with its st_size, then copy exactly that many bytes from
	 * the file to the socket in CHUNK pieces (read() may return less;
	 * write_all() the piece). A file that got shorter meanwhile, or a
	 * write that fails (the client went away, or stopped reading for
	 * -t seconds, or a stop request came): stop and return -1 (the
	 * client sees the connection end early). */
	/* BEGIN SOLUTION */
	char *buf = NULL;
	struct stat st;
	long long left;
	int fd, rc = -1;

	fd = open_stored(req->name, &st, why, whylen);
	if (fd >= 0 && (buf = malloc(CHUNK)) == NULL)
		snprintf(why, whylen, "out of memory");
	if (fd < 0 || buf == NULL) {
		send_error(sock, why);
		goto out;
	}
	if (send_ok(sock, req->name, (long long)st.st_size) < 0)
		goto out;
	for (left = st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < CHUNK ? (size_t)left : CHUNK);

		if (n < 0 && errno == EINTR && !np_stop)
			continue;
		if (n <= 0 || write_all(sock, buf, (size_t)n) < 0) {
			snprintf(why, whylen, "sending %s broke off: %s",
			         req->name,
			         n == 0 ? "the file shrank" : strerror(errno));
			goto out;
		}
		left -= n;
	}
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
	/* END SOLUTION */
	//: (void)sock;
	//: (void)req;
	//: (void)why;
	//: (void)whylen;
	//: (void)send_ok; /* silences "unused": call them instead */
	//: (void)open_stored;
	//: np_todo("03.7");
}

/*
 * Log one line per request: who, what, and how it ended. what and outcome
 * may quote the client's file name, so they are escaped: no name can end
 * the line and forge another. (np_warn() keeps 1 KiB of a line: all this
 * fits.)
 */
static void log_request(const struct sockaddr *peer, const char *what,
                        const char *outcome)
{
	char who[NP_ADDRSTRLEN], w[400], o[500];

	np_warn("%s %s: %s", np_format_addr(peer, who, sizeof who),
	        escape_text(w, sizeof w, what, strlen(what)),
	        escape_text(o, sizeof o, outcome, strlen(outcome)));
}

/* Serve one connection: one request, one reply, then close. */
static void handle_client(int fd, const struct sockaddr *peer)
{
	struct json_object hdr = {0};
	struct request req = {0};
	char why[WHY_MAX] = "", what[300] = "(no request)";
	/* The whole header must be in by then, however it dribbles in. */
	long long deadline = np_now_ms() + timeout_s * 1000LL;
	int rc = recv_frame(fd, &hdr, deadline, why, sizeof why);

	if (rc == FRAME_OK && check_request(&hdr, &req, why, sizeof why) == 0) {
		snprintf(what, sizeof what, "%s %.255s",
		         req.put ? "put" : "get", req.name);
		if (!req.put)
			rc = send_file(fd, &req, why, sizeof why);
		else if ((rc = receive_upload(fd, &req, why, sizeof why)) == 0)
			send_ok(fd, req.name, req.size);
		else
			send_error(fd, why);
	} else if (rc == FRAME_OK || rc == FRAME_BAD) {
		send_error(fd, why);
		rc = -1;
	} else if (rc == FRAME_ERROR && errno == ETIMEDOUT) {
		snprintf(why, sizeof why, "no whole request header within %d s",
		         timeout_s);
		send_error(fd, why);
	} else {
		snprintf(why, sizeof why, "%s",
		         rc == FRAME_EOF      ? "closed before a whole header"
		         : errno == ECANCELED ? "the server is stopping"
		                              : strerror(errno));
	}
	log_request(peer, what, rc == 0 ? "ok" : why);
	json_free(&hdr);
	np_close_gently(fd);
}

/*
 * Remove temporary files a crash may have left: they were never renamed,
 * so they hold no complete upload. Returns 0, or -1 with errno set if the
 * store cannot be read.
 */
static int remove_stale_uploads(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(store);

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0 &&
		    store_path(path, sizeof path, e->d_name) == 0)
			unlink(path);
	closedir(d);
	return 0;
}

/*
 * Accept and serve connections, one at a time, until SIGINT or SIGTERM.
 * Out of descriptors, np_accept() pauses before it tries again, and the
 * client waits in the backlog: the first failure of a run is logged, not
 * each one.
 */
static void serve(int listen_fd)
{
	int failures = 0;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen;
		int fd = np_accept(listen_fd, &peer, &peerlen);

		if (fd < 0 && errno == ECANCELED)
			return;
		if (fd < 0) {
			if (failures++ == 0)
				np_warn("accept (retrying; said once):");
			continue;
		}
		if (failures > 0)
			np_warn("accept works again, after %d failures",
			        failures);
		failures = 0;
		/* Reads wait in np_wait_fd(), against a deadline or an idle
		 * bound; SO_SNDTIMEO bounds a write to a client that stopped
		 * reading. */
		if (np_set_timeouts(fd, timeout_s) < 0) {
			np_warn("setsockopt:");
			close(fd);
			continue;
		}
		handle_client(fd, (struct sockaddr *)&peer);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: %s [-a ADDR] [-p PORT] [-d DIR] [-t SECONDS]\n",
	        np_progname);
	fprintf(out,
	        "  -a ADDR     address to listen on (default 127.0.0.1)\n");
	fprintf(out, "  -p PORT     port (default %d; 0: any free port)\n",
	        DEFAULT_PORT);
	fprintf(out, "  -d DIR      the store (default ./storage, created if "
	             "missing)\n");
	fprintf(out,
	        "  -t SECONDS  time a client has to send its request header,\n"
	        "              and may stall a transfer (default %d)\n",
	        DEFAULT_TIMEOUT);
	fprintf(out, "  -h          show this help\n");
}

/*
 * A write past the file size limit (RLIMIT_FSIZE) sends SIGXFSZ, which
 * kills by default; ignored, it is one more EFBIG for that upload.
 * Returns 0, or -1 with errno set.
 */
static int ignore_file_size_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGXFSZ, &sa, NULL);
}

/* Say what is wrong on the command line, then the usage, on stderr. */
static void bad_usage(const char *what, const char *arg)
{
	np_warn("%s: %s", what, arg);
	usage(stderr);
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	char port[6];
	uint16_t p = DEFAULT_PORT;
	int opt, fd;

	np_progname = "fileserver";
	while ((opt = getopt(argc, argv, "a:p:d:t:h")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			if (np_parse_port(optarg, &p) == 0)
				break;
			bad_usage("bad port", optarg);
			return 2;
		case 'd':
			store = optarg;
			if (*optarg != '\0')
				break;
			bad_usage("bad store", optarg);
			return 2;
		case 't':
			if (np_parse_seconds(optarg, &timeout_s) == 0)
				break;
			bad_usage("bad timeout", optarg);
			return 2;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		bad_usage("unexpected argument", argv[optind]);
		return 2;
	}

	if (np_catch_signals() < 0 || ignore_file_size_signal() < 0)
		np_die("sigaction:");
	if (mkdir(store, 0777) < 0 && errno != EEXIST)
		np_die("create the store %s:", store);
	if (remove_stale_uploads() < 0)
		np_die("open the store %s:", store);
	snprintf(port, sizeof port, "%u", (unsigned)p);
	fd = np_listen(addr, port, SOCK_STREAM, SOMAXCONN);
	if (fd < 0)
		np_die("listen on %s port %s:", addr, port);
	if (np_print_ready(fd) < 0)
		np_die("writing the ready line:");
	serve(fd);
	close(fd);
	return 0;
}
