/*
 * sockserver-unix.c - lesson 05: UnixStreamServer(TCPServer) and
 * UnixDatagramServer(UDPServer).
 *
 * The methods of their parents (sockserver-inet.c), but the address is a
 * path in the file system: only the address, the bind and the close
 * differ. A bound path is a file, which server_close removes.
 */
#include "sockserver-private.h"

#include <errno.h>
#include <string.h>
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

static int unix_server_bind(struct ss_server *s)
{
	/* TODO(05.6): Bind as the parent does: call
	 * ss_tcp_server_ops.server_bind(s) (super). Only once that worked is
	 * the file ours: then copy its path (the sun_path of s->address)
	 * into s->path, which server_close removes. A failed bind (e.g.
	 * EADDRINUSE: another server's socket) leaves s->path empty, so
	 * that we never delete a file we did not create. */
	/* BEGIN SOLUTION */
	const struct sockaddr_un *un = (const struct sockaddr_un *)&s->address;

	if (ss_tcp_server_ops.server_bind(s) < 0)
		return -1;
	memcpy(s->path, un->sun_path, sizeof s->path);
	s->path[sizeof s->path - 1] = '\0';
	return 0;
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.6");
}

/* Python leaves the socket file behind; a stale file makes the next bind()
 * fail with EADDRINUSE, so we remove it. */
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
