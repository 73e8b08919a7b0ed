/*
 * thread-server - lesson 04: one thread per connection. The main thread
 * only accepts; each client gets a thread that echoes its lines, so a
 * client that idles blocks nobody but its own thread, and only until -i.
 * At most -m threads run: the next clients wait in the listen backlog.
 * See README.md beside this file.
 */
#include "lines.h"
#include "net.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The threads still running, so main can wait for them before it exits,
 * and take no more clients than -m allows. */
struct threads {
	pthread_mutex_t lock;
	pthread_cond_t all_done; /* signalled when running drops to 0 */
	int running;             /* guarded by lock */
	int max;                 /* -m: at most this many run at once */
	int idle_ms;             /* -i, in milliseconds */
	int wake[2];             /* a thread that ends writes a byte to
	                          * wake[1], under lock: a slot is free */
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

	if (echo_lines(c->fd, th->idle_ms) < 0) {
		if (errno == ETIMEDOUT)
			np_warn("client %s: idle for %d s; closing", c->who,
			        th->idle_ms / 1000);
		else
			np_warn("client %s:", c->who);
	}
	close(c->fd);
	free(c);
	pthread_mutex_lock(&th->lock);
	if (--th->running == 0)
		pthread_cond_signal(&th->all_done);
	/* Under the lock: main closes the pipe only once it has seen
	 * running at 0, under this lock, so after this write. */
	if (write(th->wake[1], "", 1) < 0) {
		/* Full pipe: a wake-up is already waiting. */
	}
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
	/* BEGIN SOLUTION */
	struct threads *th = c->threads;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	pthread_mutex_lock(&th->lock);
	th->running++;
	pthread_mutex_unlock(&th->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, serve_client, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_lock(&th->lock);
		th->running--;
		pthread_mutex_unlock(&th->lock);
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
static void wait_for_threads(struct threads *th)
{
	/* TODO(04.5): Return once th->running is 0, without spinning: the
	 * last thread to finish signals th->all_done (under th->lock), and
	 * a wait on a condition variable may also wake for no reason.
	 * Returning earlier would let main() exit under threads still in
	 * the middle of a reply, leaking what they hold. */
	/* BEGIN SOLUTION */
	pthread_mutex_lock(&th->lock);
	while (th->running > 0)
		pthread_cond_wait(&th->all_done, &th->lock);
	pthread_mutex_unlock(&th->lock);
	/* END SOLUTION */
	//: (void)th;
	//: np_todo("04.5");
}

/*
 * Wait until a client can be taken: one is waiting on listen_fd, and fewer
 * than th->max threads run. Returns 1 then, 0 once SIGINT or SIGTERM has
 * arrived, or -1 with errno set if waiting failed.
 */
static int wait_for_client(struct threads *th, int listen_fd)
{
	/* TODO(04.13): Wait until a client waits on listen_fd while fewer
	 * than th->max threads run (th->running, read under th->lock):
	 * return 1. Return 0 once a stop was asked for (np_stop; the stop
	 * pipe, np_stop_fd(), becomes readable), -1 with errno set if the
	 * wait fails (EINTR is no failure). At the cap, new clients stay in
	 * the listen backlog: do not watch listen_fd, and sleep until a
	 * thread ends (each writes a byte to th->wake[1] as its count drops:
	 * th->wake[0] becomes readable) or a stop comes. No busy waiting,
	 * and no wake-up lost: a thread may end between your look at
	 * th->running and your sleep, and any thread's end frees a slot,
	 * not only the last one's. */
	/* BEGIN SOLUTION */
	struct pollfd p[3] = {{.fd = listen_fd},
	                      {.fd = np_stop_fd(), .events = POLLIN},
	                      {.fd = th->wake[0], .events = POLLIN}};
	char drain[64];

	for (;;) {
		if (np_stop)
			return 0;
		pthread_mutex_lock(&th->lock);
		p[0].events = th->running < th->max ? POLLIN : 0;
		pthread_mutex_unlock(&th->lock);
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents != 0)
			return 0;
		if (p[2].revents != 0)
			while (read(th->wake[0], drain, sizeof drain) > 0)
				continue;
		if (p[0].revents != 0 && p[0].events != 0)
			return 1;
	}
	/* END SOLUTION */
	//: (void)th;
	//: (void)listen_fd;
	//: np_todo("04.13");
}

/* Accept the next client and give it a thread (a failure is logged, and
 * only that client is turned away; *starved: see accept_news()). */
static void take_client(struct threads *th, int listen_fd, int *starved)
{
	struct client *c;
	char who[NP_ADDRSTRLEN], news[128];
	int fd = accept_client(listen_fd, who, sizeof who);

	if (accept_news(fd, starved, news, sizeof news))
		np_warn("%s", news);
	if (fd < 0)
		return;
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
	                                    "once: a thread per connection.",
	                           .max_clients = 1024};
	struct threads th = {.lock = PTHREAD_MUTEX_INITIALIZER,
	                     .all_done = PTHREAD_COND_INITIALIZER,
	                     .wake = {-1, -1}};
	enum server_cmd cmd;
	int listen_fd, ready, starved = 0;

	np_progname = "thread-server";
	if ((cmd = server_parse(argc, argv, &args)) != SERVER_RUN) {
		fputs(args.text, cmd == SERVER_HELP ? stdout : stderr);
		return cmd == SERVER_HELP ? 0 : 2;
	}
	th.max = (int)args.max_clients;
	th.idle_ms = args.idle_s * 1000;
	if (np_pipe(th.wake) < 0)
		np_die("pipe:");
	if ((listen_fd = server_listen(&args)) < 0)
		np_die("listen on %s port %s:", args.addr, args.port);
	if (np_print_ready(listen_fd) < 0)
		np_die("ready line:");
	while ((ready = wait_for_client(&th, listen_fd)) == 1)
		take_client(&th, listen_fd, &starved);
	if (ready < 0)
		np_warn("waiting for clients:");
	close(listen_fd);
	wait_for_threads(&th);
	close(th.wake[0]);
	close(th.wake[1]);
	return ready < 0;
}
