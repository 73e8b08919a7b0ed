/*
 * sockserver-inet.c - lesson 05: TCPServer and UDPServer, BaseServer's
 * children on an Internet address (IPv4 or IPv6).
 *
 * TCPServer owns the socket code (bind, listen, accept, close); UDPServer
 * is its child, as in Python: a request is one datagram on the server's
 * own socket. The Unix classes reuse both (sockserver-unix.c). A request
 * comes here from BaseServer's loop (sockserver-loop.c) through
 * get_request, and leaves through shutdown_request and close_request.
 */
#include "sockserver-private.h"

#include "np-net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Called by ss_server_init() before anything is created. A class that
 * names one Internet family refuses an address of the other. */
int inet_address(struct ss_server *s, const char *host, const char *port)
{
	int family = s->ops->address_family;

	if (np_numeric_address(host, port, s->socktype, &s->address,
	                       &s->addrlen) < 0)
		return -1;
	s->family = s->address.ss_family;
	if (family != AF_UNSPEC && family != s->family) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return 0;
}

/*
 * TCPServer(BaseServer).
 */
int tcp_server_bind(struct ss_server *s)
{
	/* TODO(05.1): If s->allow_reuse_address, set SO_REUSEADDR on s->fd
	 * (a restarted server can bind while old connections linger in
	 * TIME_WAIT); check it. bind() s->fd to s->address (s->addrlen
	 * bytes). Then read the address back with getsockname() into
	 * s->address and s->addrlen: with port 0, the kernel chose the port
	 * and this is the only way to learn it. Return -1 on any failure. */
	/* BEGIN SOLUTION */
	int on = 1;

	if (s->allow_reuse_address &&
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
		return -1;
	if (bind(s->fd, (struct sockaddr *)&s->address, s->addrlen) < 0)
		return -1;
	s->addrlen = sizeof s->address;
	return getsockname(s->fd, (struct sockaddr *)&s->address, &s->addrlen);
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.1");
}

int tcp_server_activate(struct ss_server *s)
{
	/* TODO(05.1): Start accepting: listen() on s->fd with
	 * s->request_queue_size as the backlog. */
	/* BEGIN SOLUTION */
	return listen(s->fd, s->request_queue_size);
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.1");
}

/* accept(). EINTR, or ECONNABORTED (the client left before we took it),
 * fail this one request only: serve_forever() goes on. */
int tcp_get_request(struct ss_server *s, struct ss_request *req)
{
	req->clientlen = sizeof req->client;
	req->fd =
	        accept(s->fd, (struct sockaddr *)&req->client, &req->clientlen);
	if (req->fd < 0)
		req->clientlen = 0; /* no client to name in a report */
	return req->fd < 0 ? -1 : 0;
}

/* Send our FIN first, so the client reads EOF after the last byte. */
void tcp_shutdown_request(struct ss_server *s, struct ss_request *req)
{
	/* ENOTCONN when the client already left: nothing to do then. */
	(void)shutdown(req->fd, SHUT_WR);
	s->ops->close_request(s, req);
}

void tcp_close_request(struct ss_server *s, struct ss_request *req)
{
	(void)s;
	/* No retry on EINTR: Linux has closed the descriptor anyway. */
	close(req->fd);
	req->fd = -1;
}

/* Close the socket, then what BaseServer does (wait for the mix-ins). */
void tcp_server_close(struct ss_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	ss_base_server_ops.server_close(s); /* super() */
}

/*
 * UDPServer(TCPServer): a request is one datagram; the server's socket is
 * shared by every request, so it is never closed for one.
 */
int udp_get_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.5): malloc() a buffer of s->max_packet_size bytes (at
	 * least 1) for req->data, and receive one datagram into it, the
	 * sender's address into req->client and req->clientlen. A datagram
	 * longer than the buffer is never cut silently: the kernel would
	 * drop the rest, and say so only in recvmsg()'s msg_flags
	 * (MSG_TRUNC); fail with EMSGSIZE then, the sender kept in
	 * req->client for the report. On failure (EINTR included: the loop
	 * goes on) free the buffer, leave req->data NULL and return -1,
	 * errno kept. Else req->fd is the server's socket (handlers answer
	 * with sendto() on it) and req->len the datagram's length. */
	/* BEGIN SOLUTION */
	size_t size = s->max_packet_size > 0 ? s->max_packet_size : 1;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;
	int err;

	req->data = malloc(size);
	if (req->data == NULL)
		return -1;
	iov.iov_base = req->data;
	iov.iov_len = size;
	memset(&msg, 0, sizeof msg);
	msg.msg_name = &req->client;
	msg.msg_namelen = sizeof req->client;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	n = recvmsg(s->fd, &msg, 0);
	if (n >= 0)
		req->clientlen = msg.msg_namelen;
	if (n >= 0 && (msg.msg_flags & MSG_TRUNC)) {
		errno = EMSGSIZE;
		n = -1;
	}
	if (n < 0) {
		err = errno;
		free(req->data);
		req->data = NULL;
		errno = err;
		return -1;
	}
	req->fd = s->fd;
	req->len = (size_t)n;
	return 0;
	/* END SOLUTION */
	//: (void)s;
	//: (void)req;
	//: np_todo("05.5");
}

void udp_shutdown_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.5): A datagram has no connection to shut down: just
	 * s->ops->close_request(). */
	/* BEGIN SOLUTION */
	s->ops->close_request(s, req);
	/* END SOLUTION */
	//: (void)s;
	//: (void)req;
	//: np_todo("05.5");
}

void udp_close_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.5): Free the packet (req->data = NULL, req->len = 0).
	 * Never close req->fd: it is the server's own socket. */
	/* BEGIN SOLUTION */
	(void)s;
	free(req->data);
	req->data = NULL;
	req->len = 0;
	/* END SOLUTION */
	//: (void)s;
	//: (void)req;
	//: np_todo("05.5");
}

/*
 * The classes: Python's class attributes address_family and socket_type,
 * then the methods, each list its parent's with some replaced
 * (sockserver-private.h). AF_UNSPEC: IPv4 or IPv6, as the address says.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

const struct ss_server_ops ss_tcp_server_ops = {
        .name = "TCPServer",
        .address_family = AF_UNSPEC,
        .socket_type = SOCK_STREAM,
        TCP_SERVER_METHODS,
};

const struct ss_server_ops ss_udp_server_ops = {
        .name = "UDPServer",
        .address_family = AF_UNSPEC,
        .socket_type = SOCK_DGRAM,
        UDP_SERVER_METHODS,
};

#pragma GCC diagnostic pop
