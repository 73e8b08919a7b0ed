/*
 * sockserver-loop.c - lesson 05: BaseServer's loop: serve_forever(),
 * handle_request(), and the two ways to stop it. See sockserver.h.
 *
 * serve_forever() waits for a request, and handle_request_noblock() takes
 * it along its path, every step a method of the server's class:
 * get_request() takes it (its transport's: sockserver-inet.c),
 * verify_request() may refuse it, process_request() serves it, in the
 * loop's thread, a thread of its own or a child (sockserver-base.c,
 * sockserver-mixins.c), and shutdown_request() ends it (sockserver-inet.c
 * again). ss_shutdown() and ss_request_shutdown() ask the loop to return;
 * ss_server_close() ends it all (sockserver-base.c).
 *
 * Signals: this library installs no handler and changes no disposition. A
 * program that serves streams must ignore SIGPIPE (np_ignore_sigpipe()):
 * otherwise one client that leaves while its handler writes kills the whole
 * server. A call interrupted by a signal (EINTR) is retried, or, for
 * accept() and recvfrom(), counts as "no request this time".
 */
#include "sockserver-private.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

static void handle_request_noblock(struct ss_server *s);

/* Seconds as a poll() timeout in ms: < 0 is forever; rounded up, so that a
 * wait is never shorter than asked. */
static int to_ms(double seconds)
{
	double ms = seconds * 1000.0;
	int whole;

	if (seconds < 0)
		return -1;
	if (ms >= INT_MAX)
		return INT_MAX;
	whole = (int)ms;
	return whole < ms ? whole + 1 : whole;
}

/* Now, in seconds, on a clock that never jumps. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The poll() timeout that ends at deadline (0 once it has passed). */
static int ms_left(double deadline)
{
	double left = deadline - now();

	return left > 0 ? to_ms(left) : 0;
}

/*
 * serve_forever() and ss_shutdown() share the flag and the "serving" state
 * under the lock; the self-pipe wakes the poll().
 */
static int shutdown_requested(struct ss_server *s)
{
	int requested;

	pthread_mutex_lock(&s->lock);
	requested = s->shutdown_request;
	pthread_mutex_unlock(&s->lock);
	return requested;
}

/* Empty the (non-blocking) wake pipe, so that the next poll() waits. */
static void drain_wake(struct ss_server *s)
{
	char buf[64];
	ssize_t n;

	do
		n = read(s->wake[0], buf, sizeof buf);
	while (n > 0 || (n < 0 && errno == EINTR));
}

/* Mark serve_forever() running or not. Leaving resets the flag, as
 * Python does, and wakes ss_shutdown(), which waits for exactly that. */
static void set_serving(struct ss_server *s, int serving)
{
	pthread_mutex_lock(&s->lock);
	s->serving = serving;
	if (!serving) {
		s->shutdown_request = 0;
		pthread_cond_broadcast(&s->stopped);
	}
	pthread_mutex_unlock(&s->lock);
}

int ss_serve_forever(struct ss_server *s, double poll_interval)
{
	/* TODO(05.2): Python's serve_forever(). Until a shutdown is
	 * requested (shutdown_requested()): wait at most poll_interval
	 * seconds (to_ms()) for a request on s->fd or a wake-up byte on
	 * s->wake[0], which is then consumed (drain_wake()); serve a ready
	 * request (handle_request_noblock()); and call
	 * s->ops->service_actions(s) every round, a request or not. A
	 * shutdown requested while a client waits wins over the client. A
	 * signal (EINTR) is no error; another failure of the wait returns
	 * -1, else 0. From entry to return, whatever the way out, the
	 * server is marked serving (set_serving(): leaving resets the flag
	 * and wakes ss_shutdown()), errno kept. */
	/* BEGIN SOLUTION */
	struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
	                      {.fd = s->wake[0], .events = POLLIN}};
	int ready, rc = 0, saved;

	set_serving(s, 1);
	while (!shutdown_requested(s)) {
		ready = poll(p, 2, to_ms(poll_interval));
		if (ready < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (ready > 0 && p[1].revents != 0)
			drain_wake(s);
		if (shutdown_requested(s))
			break;
		if (ready > 0 && p[0].revents != 0)
			handle_request_noblock(s);
		s->ops->service_actions(s);
	}
	saved = errno;
	set_serving(s, 0);
	errno = saved;
	return rc;
	/* END SOLUTION */
	//: (void)s;
	//: (void)poll_interval;
	//: (void)shutdown_requested;
	//: (void)drain_wake;
	//: (void)set_serving;
	//: (void)handle_request_noblock;
	//: np_todo("05.2");
}

int ss_handle_request(struct ss_server *s)
{
	/* TODO(05.9): Wait at most s->timeout seconds (< 0: forever) for a
	 * request on s->fd; serve it (handle_request_noblock()) or, if none
	 * came in time, call s->ops->handle_timeout(s). A signal (EINTR)
	 * neither ends the wait nor lengthens it: the deadline stays now()
	 * + s->timeout (ms_left() is what is left of it). Returns 0, or -1
	 * if the wait failed. */
	/* BEGIN SOLUTION */
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	double deadline = now() + s->timeout;
	int ready;

	do
		ready = poll(&p, 1, s->timeout < 0 ? -1 : ms_left(deadline));
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return -1;
	if (ready == 0)
		s->ops->handle_timeout(s);
	else
		handle_request_noblock(s);
	return 0;
	/* END SOLUTION */
	//: (void)s;
	//: (void)ms_left;
	//: (void)handle_request_noblock;
	//: np_todo("05.9");
}

/*
 * Python's _handle_request_noblock(): one request, the socket known to be
 * ready, along its path through the class's methods.
 */
static void handle_request_noblock(struct ss_server *s)
{
	/* TODO(05.3): Take one request into a struct ss_request that starts
	 * zeroed, with .server = s and .fd = -1: s->ops->get_request(). If
	 * that fails, return (nothing to close; the loop goes on). If
	 * s->ops->verify_request() says 1, s->ops->process_request() serves
	 * it (and ends it itself); if 0, s->ops->shutdown_request() ends it
	 * at once: the client reads EOF and no handler runs. */
	/* BEGIN SOLUTION */
	struct ss_request req = {.server = s, .fd = -1};

	if (s->ops->get_request(s, &req) < 0)
		return;
	if (s->ops->verify_request(s, &req))
		s->ops->process_request(s, &req);
	else
		s->ops->shutdown_request(s, &req);
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.3");
}

/*
 * Stopping: ask serve_forever() to return.
 */

/* The flag, and a byte in the wake pipe. */
static void wake_up(struct ss_server *s)
{
	s->shutdown_request = 1;
	/* The pipe is non-blocking: when it is full, a wake-up is waiting. */
	while (write(s->wake[1], "", 1) < 0 && errno == EINTR)
		continue;
}

void ss_shutdown(struct ss_server *s)
{
	/* TODO(05.10): Ask serve_forever() to stop with wake_up(s) (the
	 * flag, and a byte that makes its poll() return at once), then
	 * return only once it has returned: on its way out it clears
	 * s->serving and broadcasts s->stopped. The flag and s->serving are
	 * shared with the loop under s->lock. When serve_forever() is not
	 * running, return at once: the flag stays set, and the next
	 * serve_forever() stops straight away, as Python's does. */
	/* BEGIN SOLUTION */
	pthread_mutex_lock(&s->lock);
	wake_up(s);
	while (s->serving)
		pthread_cond_wait(&s->stopped, &s->lock);
	pthread_mutex_unlock(&s->lock);
	/* END SOLUTION */
	//: (void)s;
	//: (void)wake_up;
	//: np_todo("05.10");
}

void ss_request_shutdown(struct ss_server *s)
{
	/* TODO(05.10): From a signal handler: only async-signal-safe calls,
	 * so no lock. wake_up(s), keeping errno as it was (the handler
	 * interrupted code that may be about to read it). */
	/* BEGIN SOLUTION */
	int saved = errno;

	wake_up(s);
	errno = saved;
	/* END SOLUTION */
	//: (void)s;
	//: (void)wake_up;
	//: np_todo("05.10");
}
