/* np-net.c - see np-net.h. */
#include "np-net.h"
#include "np.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

/* getaddrinfo()'s error code rc as an errno value (np-net.h's table);
 * notfound is the one for a name or address that does not resolve. */
static int gai_errno(int rc, int notfound)
{
	switch (rc) {
	case EAI_SYSTEM:
		return errno;
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_NONAME:
	case EAI_FAIL:
		return notfound;
	default:
		return EINVAL;
	}
}

/* Resolve host and port for socktype into *res (freeaddrinfo() it).
 * Returns 0, or -1 with errno set. */
static int resolve(const char *host, const char *port, int socktype, int flags,
                   int notfound, struct addrinfo **res)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags;
	rc = getaddrinfo(host, port, &hints, res);
	if (rc != 0) {
		errno = gai_errno(rc, notfound);
		return -1;
	}
	return 0;
}

/* Bind (and for a stream, listen on) a new socket for ai. Returns it, or
 * -1 with errno set and nothing left open. */
static int listen_one(const struct addrinfo *ai, int backlog)
{
	int fd, one = 1, err;

	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (ai->ai_socktype == SOCK_STREAM &&
	    (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	     bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	     listen(fd, backlog) < 0))
		goto fail;
	if (ai->ai_socktype != SOCK_STREAM &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Connect a new socket to ai. Returns it, or -1 with errno set. */
static int connect_one(const struct addrinfo *ai)
{
	int fd, err;

	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int np_listen(const char *addr, const char *port, int socktype, int backlog)
{
	const int flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	struct addrinfo *res, *ai;
	int fd = -1, err = EADDRNOTAVAIL;

	if (resolve(addr, port, socktype, flags, EADDRNOTAVAIL, &res) < 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		if ((fd = listen_one(ai, backlog)) < 0)
			err = errno;
	freeaddrinfo(res);
	if (fd < 0)
		errno = err;
	return fd;
}

int np_connect(const char *host, const char *port, int socktype)
{
	struct addrinfo *res, *ai;
	int fd = -1, err = ENXIO;

	if (resolve(host, port, socktype, 0, ENXIO, &res) < 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		if ((fd = connect_one(ai)) < 0)
			err = errno;
	freeaddrinfo(res);
	if (fd < 0)
		errno = err;
	return fd;
}

int np_numeric_address(const char *host, const char *port, int socktype,
                       struct sockaddr_storage *addr, socklen_t *addrlen)
{
	const int flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	struct addrinfo *res;

	if (resolve(host, port, socktype, flags, EADDRNOTAVAIL, &res) < 0)
		return -1;
	/* A numeric host has exactly one address: the first is it. */
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int np_accept(int listen_fd, struct sockaddr_storage *peer, socklen_t *peerlen)
{
	int ready = np_wait_readable(listen_fd), fd;

	if (ready == 0)
		errno = ECANCELED;
	if (ready <= 0)
		return -1;
	if (peerlen != NULL)
		*peerlen = sizeof *peer;
	fd = accept(listen_fd, (struct sockaddr *)peer, peerlen);
	if (fd < 0 && np_starved(errno)) {
		int saved = errno;

		np_sleep_ms(NP_ACCEPT_PAUSE_MS);
		errno = saved;
	}
	return fd;
}
