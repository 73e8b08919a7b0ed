/*
 * sockserver-unix.c - lesson 05: UnixStreamServer(TCPServer) and
 * UnixDatagramServer(UDPServer).
 *
 * The methods of their parents (sockserver-inet.c), but the address is a
 * path in the file system: only the address, the bind and the close
 * differ. A bound path is a file, which server_close removes; one that a
 * server which died left behind is replaced, and a live one never.
 */
#include "sockserver-private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Called by ss_server_init() before anything is created. */
int unix_address(struct ss_server *s, const char *path)
{
	/* TODO(05.6): Fill s->address as a struct sockaddr_un for path, and
	 * s->addrlen (offsetof(struct sockaddr_un, sun_path) + length + 1).
	 * A path that does not fit sun_path with its NUL fails with
	 * ENAMETOOLONG: never truncate, or you would bind another file. An
	 * empty path fails with EINVAL. */
	/* BEGIN SOLUTION */
	struct sockaddr_un *un = (struct sockaddr_un *)&s->address;
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof un->sun_path) {
		errno = len == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	memset(un, 0, sizeof *un);
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len + 1);
	s->addrlen =
	        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
	/* END SOLUTION */
	//: (void)s;
	//: (void)path;
	//: np_todo("05.6");
}

/*
 * Is the file at s->address a socket that nobody serves any more, left by
 * a server that died before its server_close()? Returns 1 if so, 0 if not
 * (a live server, or a file that is not a socket), -1 with errno set if it
 * cannot tell.
 */
static int unix_socket_stale(const struct ss_server *s)
{
	/* TODO(05.11): 1 only for a socket file (lstat(): S_ISSOCK; connect()
	 * refuses a regular file with ECONNREFUSED too, and that file is
	 * someone's) that refuses a connection, ECONNREFUSED, from a socket
	 * of the server's own family and type. Anything else is 0: the
	 * connection works or the server's queue is full (EAGAIN): a server
	 * listens there; EPROTOTYPE: it is a live socket of the other type.
	 * The probe never blocks (a live server with a full queue would hold
	 * a blocking connect()) and leaves nothing open. -1 (errno) if the
	 * probe socket cannot be made. */
	/* BEGIN SOLUTION */
	const struct sockaddr_un *un = (const struct sockaddr_un *)&s->address;
	struct stat st;
	int fd, rc, err;

	if (lstat(un->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	fd = socket(AF_UNIX, s->socktype, 0);
	if (fd < 0)
		return -1;
	if (np_set_nonblocking(fd) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)&s->address, s->addrlen);
	err = errno;
	close(fd);
	return rc < 0 && err == ECONNREFUSED;
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.11");
}

static int unix_server_bind(struct ss_server *s)
{
	/* TODO(05.6): Bind as the parent does: call
	 * ss_tcp_server_ops.server_bind(s) (super). If the path is taken
	 * (EADDRINUSE) by a stale socket (unix_socket_stale() says 1), remove
	 * that file and bind once more; otherwise fail with EADDRINUSE:
	 * never remove a file before asking, nor one that a live server or
	 * anyone else owns. Only once a bind worked is the file ours: then
	 * copy its path (the sun_path of s->address) into s->path, which
	 * server_close removes. A failed bind leaves s->path empty, so that
	 * we never delete a file we did not create. */
	/* BEGIN SOLUTION */
	const struct sockaddr_un *un = (const struct sockaddr_un *)&s->address;
	int rc = ss_tcp_server_ops.server_bind(s);

	if (rc < 0 && errno == EADDRINUSE) {
		if (unix_socket_stale(s) == 1 && unlink(un->sun_path) == 0)
			rc = ss_tcp_server_ops.server_bind(s);
		else
			errno = EADDRINUSE;
	}
	if (rc < 0)
		return -1;
	memcpy(s->path, un->sun_path, sizeof s->path);
	s->path[sizeof s->path - 1] = '\0';
	return 0;
	/* END SOLUTION */
	//: (void)s;
	//: (void)unix_socket_stale;
	//: np_todo("05.6");
}

/* Python leaves the socket file behind; a stale file makes the next bind()
 * fail with EADDRINUSE (until unix_socket_stale() finds it), so we remove
 * it. */
static void unix_server_close(struct ss_server *s)
{
	/* TODO(05.6): Close as the parent does (ss_tcp_server_ops: it is
	 * UDPServer's close too), then unlink() s->path if it is set, and
	 * empty it. */
	/* BEGIN SOLUTION */
	ss_tcp_server_ops.server_close(s); /* super() */
	if (s->path[0] != '\0')
		unlink(s->path);
	s->path[0] = '\0';
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.6");
}

/*
 * The classes: family AF_UNIX, the parent's methods with a Unix bind and
 * close (sockserver-private.h tells how a list inherits).
 */
#define UNIX_SERVER_METHODS                                                    \
	.server_bind = unix_server_bind, .server_close = unix_server_close

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

const struct ss_server_ops ss_unix_stream_server_ops = {
        .name = "UnixStreamServer",
        .address_family = AF_UNIX,
        .socket_type = SOCK_STREAM,
        TCP_SERVER_METHODS,
        UNIX_SERVER_METHODS,
};

const struct ss_server_ops ss_unix_datagram_server_ops = {
        .name = "UnixDatagramServer",
        .address_family = AF_UNIX,
        .socket_type = SOCK_DGRAM,
        UDP_SERVER_METHODS,
        UNIX_SERVER_METHODS,
};

#pragma GCC diagnostic pop
