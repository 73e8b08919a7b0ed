/*
 * thread-server - lesson 04: one thread per connection. The main thread
 * only accepts; each client gets a thread that echoes its lines, so a
 * client that idles blocks nobody but its own thread.
 * See README.md beside this file.
 */
#include "lines.h"
#include "net.h"
#include "np.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The threads still running, so main can wait for them before it exits. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int running;

struct client {
	int fd;
	char who[NP_ADDRSTRLEN];
};

/* A connection's thread: echo until the client leaves, then clean up. */
static void *serve_client(void *arg)
{
	struct client *c = arg;

	if (echo_lines(c->fd) < 0)
		np_warn("client %s:", c->who);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&lock);
	if (--running == 0)
		pthread_cond_signal(&all_done);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Start a detached thread running serve_client(c). Returns 0, or -1. */
static int start_thread(struct client *c)
{
	/* TODO(04.4): Count the thread in `running` (under `lock`) before
	 * it starts: it may finish before pthread_create() returns. Create
	 * it with a detached attribute (pthread_attr_setdetachstate), so
	 * nobody has to join it and its resources go back when it ends.
	 * If pthread_create() fails (it returns the error number, it does
	 * not set errno), take the count back and return -1; the caller
	 * then closes the connection. */
	/* BEGIN SOLUTION */
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	pthread_mutex_lock(&lock);
	running++;
	pthread_mutex_unlock(&lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, serve_client, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_lock(&lock);
		running--;
		pthread_mutex_unlock(&lock);
		errno = rc;
		return -1;
	}
	return 0;
	/* END SOLUTION */
	//: (void)c;
	//: (void)serve_client;
	//: np_todo("04.4");
}

/* After SIGTERM: every thread sees the stop and returns; wait for that. */
static void wait_for_threads(void)
{
	/* TODO(04.5): The threads' np_wait_readable() calls return 0 once
	 * SIGTERM arrived, so they are on their way out. Wait until
	 * `running` is 0: lock, pthread_cond_wait() on all_done while it is
	 * not (a wait can wake for no reason: check again), unlock. Exiting
	 * without waiting would cut them off in the middle of a reply and
	 * leak what they hold. */
	/* BEGIN SOLUTION */
	pthread_mutex_lock(&lock);
	while (running > 0)
		pthread_cond_wait(&all_done, &lock);
	pthread_mutex_unlock(&lock);
	/* END SOLUTION */
	//: np_todo("04.5");
}

int main(int argc, char *argv[])
{
	int listen_fd, ready;

	np_progname = "thread-server";
	listen_fd = server_start(argc, argv,
	                         "Echo lines to many clients at once: a "
	                         "thread per connection.",
	                         NULL);
	while ((ready = np_wait_readable(listen_fd)) == 1) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		struct client *c;
		int fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);

		if (fd < 0) {
			accept_failed();
			continue;
		}
		c = malloc(sizeof *c);
		if (c == NULL) {
			np_warn("out of memory");
			close(fd);
			continue;
		}
		c->fd = fd;
		np_format_addr((struct sockaddr *)&peer, c->who, sizeof c->who);
		if (start_thread(c) < 0) {
			np_warn("client %s: pthread_create:", c->who);
			close(fd);
			free(c);
		}
	}
	if (ready < 0)
		np_warn("waiting for clients:");
	close(listen_fd);
	wait_for_threads();
	return ready < 0;
}
