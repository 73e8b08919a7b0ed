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
struct threads {
	pthread_mutex_t lock;
	pthread_cond_t all_done; /* signalled when running drops to 0 */
	int running;             /* guarded by lock */
};

/* What a connection's thread gets: its own, freed by the thread. */
struct client {
	int fd;
	char who[NP_ADDRSTRLEN];
	struct threads *threads;
};

/* A connection's thread: echo until the client leaves, then clean up. */
static void *serve_client(void *arg)
{
	struct client *c = arg;
	struct threads *th = c->threads;

	if (echo_lines(c->fd) < 0)
		np_warn("client %s:", c->who);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&th->lock);
	if (--th->running == 0)
		pthread_cond_signal(&th->all_done);
	pthread_mutex_unlock(&th->lock);
	return NULL;
}

/* Start a detached thread running serve_client(c), counted in c->threads.
 * Returns 0, or -1 with errno set (nothing started, c is the caller's). */
static int start_thread(struct client *c)
{
	/* TODO(04.4): Start a detached thread (nobody joins it; its
	 * resources go back when it ends) running serve_client(c), and
	 * count it in th->running (th: c->threads), under th->lock, before
	 * it can run: it may finish before pthread_create() returns. If it
	 * cannot start, the count is as it was, errno says why
	 * (pthread_create() returns the error number and does not set
	 * errno), and -1 goes back. */
	(void)c;
	(void)serve_client;
	np_todo("04.4");
}

/* After SIGTERM: every thread sees the stop and returns; wait for that. */
static void wait_for_threads(struct threads *th)
{
	/* TODO(04.5): Return once th->running is 0, without spinning: the
	 * last thread to finish signals th->all_done (under th->lock), and
	 * a wait on a condition variable may also wake for no reason.
	 * Returning earlier would let main() exit under threads still in
	 * the middle of a reply, leaking what they hold. */
	(void)th;
	np_todo("04.5");
}

/* Accept the next client and give it a thread (a failure is logged, and
 * only that client is turned away). */
static void take_client(struct threads *th, int listen_fd)
{
	struct client *c;
	char who[NP_ADDRSTRLEN];
	int fd = accept_client(listen_fd, who, sizeof who);

	if (fd < 0) {
		np_warn("accept:");
		return;
	}
	c = malloc(sizeof *c);
	if (c == NULL) {
		np_warn("client %s: out of memory", who);
		close(fd);
		return;
	}
	c->fd = fd;
	memcpy(c->who, who, sizeof who);
	c->threads = th;
	if (start_thread(c) < 0) {
		np_warn("client %s: pthread_create:", who);
		close(fd);
		free(c);
	}
}

int main(int argc, char *argv[])
{
	struct server_args args = {.about = "Echo lines to many clients at "
	                                    "once: a thread per connection."};
	struct threads th = {PTHREAD_MUTEX_INITIALIZER,
	                     PTHREAD_COND_INITIALIZER, 0};
	enum server_cmd cmd;
	int listen_fd, ready;

	np_progname = "thread-server";
	if ((cmd = server_parse(argc, argv, &args)) != SERVER_RUN) {
		fputs(args.text, cmd == SERVER_HELP ? stdout : stderr);
		return cmd == SERVER_HELP ? 0 : 2;
	}
	if ((listen_fd = server_listen(&args)) < 0)
		np_die("listen on %s port %s:", args.addr, args.port);
	if (np_print_ready(listen_fd) < 0)
		np_die("ready line:");
	while ((ready = np_wait_readable(listen_fd)) == 1)
		take_client(&th, listen_fd);
	if (ready < 0)
		np_warn("waiting for clients:");
	close(listen_fd);
	wait_for_threads(&th);
	return ready < 0;
}
