/*
 * sockserver-mixins.c - lesson 05: ThreadingMixIn and ForkingMixIn, the
 * modes SS_THREADING and SS_FORKING.
 *
 * BaseServer's process_request, service_actions, handle_timeout and
 * server_close (sockserver-base.c) call these as s->mode says. They are
 * lesson 04's thread-server and fork-server again, inside a library: a
 * thread or a child per request, each with its own copy of the request,
 * and everything waited for, reaped and freed at the end.
 */
#include "sockserver-private.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * ThreadingMixIn: a thread per request. Every request thread is detached;
 * the tracked ones (not daemon_threads, block_on_close) are listed in
 * s->threads while they run and remove themselves when done, so the list
 * holds only running threads and never grows without bound. server_close
 * waits until it is empty. Daemon threads are not waited for: the server
 * and its handler must outlive them, as in Python.
 */
struct request_job {
	struct ss_request req; /* a copy: the loop's own is reused */
	int tracked;           /* listed in s->threads */
};

/* Make room for one more thread in s->threads. Call with the lock held.
 * Returns 0, or an error number. */
static int grow_threads(struct ss_server *s)
{
	size_t cap = s->capthreads > 0 ? 2 * s->capthreads : 8;
	pthread_t *threads;

	if (s->nthreads < s->capthreads)
		return 0;
	threads = realloc(s->threads, cap * sizeof *threads);
	if (threads == NULL)
		return ENOMEM;
	s->threads = threads;
	s->capthreads = cap;
	return 0;
}

/* Take the calling thread off s->threads and wake server_close. */
static void forget_thread(struct ss_server *s)
{
	pthread_t self = pthread_self();
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nthreads; i++)
		if (pthread_equal(s->threads[i], self)) {
			s->threads[i] = s->threads[--s->nthreads];
			break;
		}
	pthread_cond_broadcast(&s->stopped);
	pthread_mutex_unlock(&s->lock);
}

/* The body of a request thread: ThreadingMixIn.process_request_thread. */
static void *request_thread(void *arg)
{
	/* TODO(05.7): arg is a struct request_job. Serve its request as
	 * SS_SYNC does (finish_request, then shutdown_request, through
	 * s->ops), free the job, and if it was tracked, forget_thread().
	 * Keep what you need from the job before you free it. */
	/* BEGIN SOLUTION */
	struct request_job *job = arg;
	struct ss_server *s = job->req.server;
	int tracked = job->tracked;

	s->ops->finish_request(s, &job->req);
	s->ops->shutdown_request(s, &job->req);
	free(job);
	if (tracked)
		forget_thread(s);
	return NULL;
	/* END SOLUTION */
	//: (void)arg;
	//: (void)forget_thread;
	//: np_todo("05.7");
}

/* Start a detached request_thread(job). A tracked one is listed under the
 * lock, before it can run far enough to forget itself. Returns 0, or an
 * error number. */
static int start_thread(struct ss_server *s, struct request_job *job)
{
	int tracked = job->tracked, err;
	pthread_t tid, *slot = &tid;
	pthread_attr_t attr;

	err = pthread_attr_init(&attr);
	if (err != 0)
		return err;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&s->lock);
	err = tracked ? grow_threads(s) : 0;
	if (err == 0 && tracked)
		slot = &s->threads[s->nthreads];
	if (err == 0)
		err = pthread_create(slot, &attr, request_thread, job);
	if (err == 0 && tracked)
		s->nthreads++;
	pthread_mutex_unlock(&s->lock);
	pthread_attr_destroy(&attr);
	return err;
}

/* ThreadingMixIn.process_request(): the request, served in a new thread. */
void threading_process_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.7): malloc() a struct request_job and copy *req into it:
	 * the loop reuses its own. tracked = !s->daemon_threads &&
	 * s->block_on_close. start_thread(). If either failed, nothing will
	 * serve the request: free the job, set errno, then
	 * s->ops->handle_error() and s->ops->shutdown_request() here. */
	/* BEGIN SOLUTION */
	struct request_job *job = malloc(sizeof *job);
	int err = ENOMEM;

	if (job != NULL) {
		job->req = *req;
		job->tracked = !s->daemon_threads && s->block_on_close;
		err = start_thread(s, job);
	}
	if (err != 0) {
		free(job);
		errno = err;
		s->ops->handle_error(s, req);
		s->ops->shutdown_request(s, req);
	}
	/* END SOLUTION */
	//: (void)s;
	//: (void)req;
	//: (void)start_thread;
	//: np_todo("05.7");
}

/* ThreadingMixIn.server_close(): wait until every tracked thread has
 * finished (BaseServer's server_close calls it). */
void threading_server_close(struct ss_server *s)
{
	/* TODO(05.7): Return once no tracked thread is left (s->nthreads is
	 * 0; it is shared under s->lock): each takes itself off s->threads
	 * as it finishes, and broadcasts s->stopped. */
	/* BEGIN SOLUTION */
	pthread_mutex_lock(&s->lock);
	while (s->nthreads > 0)
		pthread_cond_wait(&s->stopped, &s->lock);
	pthread_mutex_unlock(&s->lock);
	/* END SOLUTION */
	//: (void)s;
	//: np_todo("05.7");
}

/*
 * ForkingMixIn: a child process per request; s->children lists the live
 * ones. Only the serving thread touches it. At max_children the loops take
 * no request (sockserver-loop.c): the next client waits in the socket's
 * queue, and nothing here ever blocks while the server serves. (Python's
 * collect_children() blocks in waitpid() at the limit instead: deaf to
 * shutdown() and signals for as long as its children run.)
 */

/* ForkingMixIn.collect_children(): reap the children that have exited;
 * with blocking, wait for all of them. */
void forking_collect_children(struct ss_server *s, int blocking)
{
	/* TODO(05.8): For each of our children, waitpid(pid, NULL, blocking
	 * ? 0 : WNOHANG): drop it from the list when it was reaped (or
	 * ECHILD: someone else reaped it); keep it when it still runs (0) or
	 * on another error; EINTR: that child again. Without blocking, never
	 * wait, not even at max_children: the loop is deaf while it waits.
	 * (blocking is for server_close, once the children have been told to
	 * stop: a stop ends their waits too, see sockserver.h.) */
	/* BEGIN SOLUTION */
	size_t i = 0;
	pid_t pid;

	while (i < s->nchildren) {
		pid = waitpid(s->children[i], NULL, blocking ? 0 : WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid == 0 || (pid < 0 && errno != ECHILD))
			i++;
		else
			s->children[i] = s->children[--s->nchildren];
	}
	/* END SOLUTION */
	//: (void)s;
	//: (void)blocking;
	//: np_todo("05.8");
}

/* ForkingMixIn.process_request(): the request, served in a child. */
void forking_process_request(struct ss_server *s, struct ss_request *req)
{
	/* TODO(05.8): forking_collect_children(s, 0) first (the loops call
	 * us only below max_children). Make room for one more pid in
	 * s->children (realloc) before fork(), so a child is never lost.
	 * fork(): in the child, s->ops->finish_request(),
	 * s->ops->shutdown_request() and _exit(0) (never return into the
	 * server's loop, never exit(): the parent's atexit handlers and stdio
	 * buffers are not the child's). In the parent, record the pid and
	 * s->ops->close_request(): the child has its own copy of the
	 * connection. If realloc or fork fails: s->ops->handle_error() and
	 * s->ops->shutdown_request(). */
	/* BEGIN SOLUTION */
	pid_t *children, pid = -1;

	forking_collect_children(s, 0);
	children = realloc(s->children, (s->nchildren + 1) * sizeof *children);
	if (children != NULL) {
		s->children = children;
		pid = fork();
	}
	if (pid < 0) {
		s->ops->handle_error(s, req);
		s->ops->shutdown_request(s, req);
		return;
	}
	if (pid == 0) {
		s->ops->finish_request(s, req);
		s->ops->shutdown_request(s, req);
		_exit(0);
	}
	s->children[s->nchildren++] = pid;
	s->ops->close_request(s, req);
	/* END SOLUTION */
	//: (void)s;
	//: (void)req;
	//: np_todo("05.8");
}
