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
 * server. A call interrupted by a signal (EINTR) is retried, unless the
 * program is stopping (np_stop), or, for accept() and recvfrom(), counts
 * as "no request this time". The program's stop (np_catch_signals())
 * wakes every wait here through its pipe, np_stop_fd().
 */
#include "sockserver-private.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

/* At max_children, how often the loop looks for a child that ended: no
 * SIGCHLD tells a library (it installs no handler). */
#define LIMIT_POLL_MS 50
/* Failures of get_request() for want of descriptors or memory that come
 * closer together than this are one run, reported once. */
#define STARVED_RUN_MS 1000

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

/* Is the loop to stop? ss_shutdown() asked, or the program is stopping. */
static int stopping(struct ss_server *s)
{
	return np_stop || shutdown_requested(s);
}

/* Forking, with max_children children running. */
static int at_limit(const struct ss_server *s)
{
	return s->mode == SS_FORKING && s->max_children > 0 &&
	       s->nchildren >= s->max_children;
}

/*
 * May the loop take a request now? Not at max_children, nor during a pause
 * after get_request() was starved (get_request_failed()). Then the loop
 * does not watch s->fd at all: it stays readable while a client waits in
 * its queue, and a poll() that watched it would return at once, again and
 * again, a busy loop. The client waits in the kernel's queue instead.
 */
static int accepting(const struct ss_server *s)
{
	return !at_limit(s) && np_now_ms() >= s->paused_until;
}

/* How long the next poll() may sleep: ms (< 0: no limit), but not past the
 * end of a pause, nor longer than LIMIT_POLL_MS at max_children (then
 * service_actions() reaps, and a slot may be free). */
static int wait_ms(const struct ss_server *s, int ms)
{
	long long left = s->paused_until - np_now_ms();
	int cap = at_limit(s) ? LIMIT_POLL_MS : -1;

	if (left > 0 && (cap < 0 || left < cap))
		cap = (int)left;
	return cap >= 0 && (ms < 0 || cap < ms) ? cap : ms;
}

int ss_serve_forever(struct ss_server *s, double poll_interval)
{
	/* TODO(05.2): Python's serve_forever(). Until stopping() (a
	 * shutdown requested, or the program's stop): wait for a request on
	 * s->fd, a wake-up byte on s->wake[0], which is then consumed
	 * (drain_wake()), or the program's stop (np_stop_fd()), at most
	 * poll_interval seconds (to_ms()), cut short as wait_ms() says;
	 * serve a ready request (handle_request_noblock()); and call
	 * s->ops->service_actions(s) every round, a request or not. Watch
	 * s->fd only while accepting() says a request may be taken: at
	 * max_children, or paused after a starved get_request(), a client
	 * waits in the socket's queue, and the loop must not spin on it. A
	 * stop requested while a client waits wins over the client. A signal
	 * (EINTR) is no error; another failure of the wait returns -1, else
	 * 0. From entry to return, whatever the way out, the server is
	 * marked serving (set_serving(): leaving resets the flag and wakes
	 * ss_shutdown()), errno kept. */
	/* BEGIN SOLUTION */
	struct pollfd p[3] = {{.fd = s->fd, .events = POLLIN},
	                      {.fd = s->wake[0], .events = POLLIN},
	                      {.fd = np_stop_fd(), .events = POLLIN}};
	int ready, rc = 0, saved;

	set_serving(s, 1);
	while (!stopping(s)) {
		p[0].fd = accepting(s) ? s->fd : -1;
		ready = poll(p, 3, wait_ms(s, to_ms(poll_interval)));
		if (ready < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (ready > 0 && p[1].revents != 0)
			drain_wake(s);
		if (stopping(s) || (ready > 0 && p[2].revents != 0))
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
	//: (void)stopping;
	//: (void)accepting;
	//: (void)wait_ms;
	//: (void)drain_wake;
	//: (void)set_serving;
	//: (void)handle_request_noblock;
	//: np_todo("05.2");
}

int ss_handle_request(struct ss_server *s)
{
	/* TODO(05.9): Wait at most s->timeout seconds (< 0: forever) for a
	 * request on s->fd; serve it (handle_request_noblock()) or, if none
	 * came in time, call s->ops->handle_timeout(s). The same rules as
	 * serve_forever(): watch s->fd only while accepting(), sleep no
	 * longer than wait_ms() allows (then service_actions(), and wait
	 * again for the rest), and the program's stop (np_stop_fd(), np_stop)
	 * ends the wait at once: return 0 without serving or timing out. A
	 * signal (EINTR) neither ends the wait nor lengthens it: the deadline
	 * stays now() + s->timeout (ms_left() is what is left of it).
	 * Returns 0, or -1 if the wait failed. */
	/* BEGIN SOLUTION */
	struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
	                      {.fd = np_stop_fd(), .events = POLLIN}};
	double deadline = now() + s->timeout;
	int ready;

	for (;;) {
		p[0].fd = accepting(s) ? s->fd : -1;
		ready = poll(
		        p, 2,
		        wait_ms(s, s->timeout < 0 ? -1 : ms_left(deadline)));
		if (np_stop || (ready > 0 && p[1].revents != 0))
			return 0;
		if (ready < 0 && errno != EINTR)
			return -1;
		if (ready > 0 && p[0].revents != 0) {
			handle_request_noblock(s);
			return 0;
		}
		if (s->timeout >= 0 && ms_left(deadline) == 0) {
			s->ops->handle_timeout(s);
			return 0;
		}
		s->ops->service_actions(s);
	}
	/* END SOLUTION */
	//: (void)s;
	//: (void)ms_left;
	//: (void)accepting;
	//: (void)wait_ms;
	//: (void)handle_request_noblock;
	//: np_todo("05.9");
}

/*
 * get_request() failed, errno says why; req holds the client if it is
 * known. A client that left before we took it (ECONNABORTED), a signal
 * (EINTR) or nothing there after all (EAGAIN) is no failure: the loop goes
 * on. Out of descriptors or memory (np_starved()), the client stays in the
 * queue and the socket stays readable: taking it again at once would spin
 * and fail again. So the loop takes no request for NP_ACCEPT_PAUSE_MS
 * (accepting()), and the failure is reported only when it starts a run,
 * not once every pause. Anything else is reported to handle_error(): a
 * datagram too long for the buffer (EMSGSIZE) among them.
 */
static void get_request_failed(struct ss_server *s, struct ss_request *req)
{
	long long now = np_now_ms();
	int err = errno;

	if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK ||
	    err == ECONNABORTED)
		return;
	if (np_starved(err)) {
		int new_run = s->starved_last == 0 ||
		              now - s->starved_last >= STARVED_RUN_MS;

		s->paused_until = now + NP_ACCEPT_PAUSE_MS;
		s->starved_last = now;
		if (!new_run)
			return;
	}
	errno = err;
	s->ops->handle_error(s, req);
}

/*
 * Python's _handle_request_noblock(): one request, the socket known to be
 * ready, along its path through the class's methods.
 */
static void handle_request_noblock(struct ss_server *s)
{
	/* TODO(05.3): Take one request into a struct ss_request that starts
	 * zeroed, with .server = s and .fd = -1: s->ops->get_request(). If
	 * that fails, hand it to get_request_failed() and return (nothing to
	 * close; the loop goes on). If
	 * s->ops->verify_request() says 1, s->ops->process_request() serves
	 * it (and ends it itself); if 0, s->ops->shutdown_request() ends it
	 * at once: the client reads EOF and no handler runs. */
	/* BEGIN SOLUTION */
	struct ss_request req = {.server = s, .fd = -1};

	if (s->ops->get_request(s, &req) < 0) {
		get_request_failed(s, &req);
		return;
	}
	if (s->ops->verify_request(s, &req))
		s->ops->process_request(s, &req);
	else
		s->ops->shutdown_request(s, &req);
	/* END SOLUTION */
	//: (void)s;
	//: (void)get_request_failed;
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
