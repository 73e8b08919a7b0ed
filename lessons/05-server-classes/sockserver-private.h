/*
 * sockserver-private.h - what the files of libsockserver share.
 *
 * Given, like sockserver.h, but not part of the library's interface: a
 * program includes sockserver.h only. The library is split along the
 * class tree that sockserver.h draws, one file per branch:
 *
 *	sockserver-base.c    BaseServer: ss_server_init(), its methods (the
 *	                     path of a request), ss_server_close()
 *	sockserver-loop.c    BaseServer's loop: serve_forever(),
 *	                     handle_request(), shutdown
 *	sockserver-inet.c    TCPServer and UDPServer
 *	sockserver-unix.c    UnixStreamServer and UnixDatagramServer
 *	sockserver-mixins.c  ThreadingMixIn and ForkingMixIn (the modes)
 *
 * A class's table is built at compile time from its parent's methods (the
 * *_SERVER_METHODS lists below), so the methods a child inherits are
 * declared here, named CLASS_METHOD after Python's CLASS.METHOD. Each does
 * what its slot of struct ss_server_ops says in sockserver.h.
 */
#ifndef SOCKSERVER_PRIVATE_H
#define SOCKSERVER_PRIVATE_H

#include "np.h" /* the course's helpers; np_todo() for the stubs */
#include "sockserver.h"

/* BaseServer (sockserver-base.c). */
int base_server_bind(struct ss_server *s);
int base_server_activate(struct ss_server *s);
int base_get_request(struct ss_server *s, struct ss_request *req);
int base_verify_request(struct ss_server *s, struct ss_request *req);
void base_process_request(struct ss_server *s, struct ss_request *req);
void base_finish_request(struct ss_server *s, struct ss_request *req);
void base_shutdown_request(struct ss_server *s, struct ss_request *req);
void base_close_request(struct ss_server *s, struct ss_request *req);
void base_handle_error(struct ss_server *s, struct ss_request *req);
void base_handle_timeout(struct ss_server *s);
void base_service_actions(struct ss_server *s);
void base_server_close(struct ss_server *s);

/* TCPServer and UDPServer (sockserver-inet.c). */
int tcp_server_bind(struct ss_server *s);
int tcp_server_activate(struct ss_server *s);
int tcp_get_request(struct ss_server *s, struct ss_request *req);
void tcp_shutdown_request(struct ss_server *s, struct ss_request *req);
void tcp_close_request(struct ss_server *s, struct ss_request *req);
void tcp_server_close(struct ss_server *s);
int udp_get_request(struct ss_server *s, struct ss_request *req);
void udp_shutdown_request(struct ss_server *s, struct ss_request *req);
void udp_close_request(struct ss_server *s, struct ss_request *req);

/*
 * The address of a server, for ss_server_init() before anything is
 * created. inet_address: the numeric host and port into s->address, and
 * its family into s->family. unix_address: the path. Each returns 0, or
 * -1 with errno set.
 */
int inet_address(struct ss_server *s, const char *host, const char *port);
int unix_address(struct ss_server *s, const char *path);

/*
 * The mix-ins (sockserver-mixins.c), called by BaseServer's methods as
 * s->mode says: a request served in a thread or in a child; at close,
 * wait for the threads; reap the children (blocking: wait for all).
 */
void threading_process_request(struct ss_server *s, struct ss_request *req);
void threading_server_close(struct ss_server *s);
void forking_process_request(struct ss_server *s, struct ss_request *req);
void forking_collect_children(struct ss_server *s, int blocking);

/*
 * The classes' methods, each list starting from its parent's. In an
 * initializer, a later designator for a member replaces an earlier one
 * (C17 6.7.9): that is inheritance, checked by the compiler. GCC's
 * -Woverride-init warns about exactly that, so a file that builds a
 * child's table turns it off around the table.
 */
#define BASE_SERVER_METHODS                                                    \
	.server_bind = base_server_bind,                                       \
	.server_activate = base_server_activate,                               \
	.get_request = base_get_request,                                       \
	.verify_request = base_verify_request,                                 \
	.process_request = base_process_request,                               \
	.finish_request = base_finish_request,                                 \
	.shutdown_request = base_shutdown_request,                             \
	.close_request = base_close_request,                                   \
	.handle_error = base_handle_error,                                     \
	.handle_timeout = base_handle_timeout,                                 \
	.service_actions = base_service_actions,                               \
	.server_close = base_server_close

#define TCP_SERVER_METHODS                                                     \
	BASE_SERVER_METHODS, .server_bind = tcp_server_bind,                   \
	                     .server_activate = tcp_server_activate,           \
	                     .get_request = tcp_get_request,                   \
	                     .shutdown_request = tcp_shutdown_request,         \
	                     .close_request = tcp_close_request,               \
	                     .server_close = tcp_server_close

#define UDP_SERVER_METHODS                                                     \
	TCP_SERVER_METHODS, .server_activate = base_server_activate,           \
	                    .get_request = udp_get_request,                    \
	                    .shutdown_request = udp_shutdown_request,          \
	                    .close_request = udp_close_request

#endif
