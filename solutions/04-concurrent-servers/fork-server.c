/*
 * fork-server - lesson 04: one process per connection. The parent only
 * accepts and forks; each child echoes one client's lines and exits. The
 * parent reaps every child that ends (a child nobody waits for stays a
 * zombie) and, on SIGTERM, stops the children and waits for them. At most
 * -m children run: the next clients wait in the listen backlog until one
 * ends. See README.md beside this file.
 */
#include "lines.h"
#include "net.h"
#include "np.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The parent's bookkeeping: the children still running, so that SIGTERM
 * can be passed on to them, and no more than max of them. */
struct children {
	pid_t *pids;
	size_t n, cap;
	size_t max; /* -m */
};

/* A client, and in a child the connection it serves. */
struct client {
	int fd; /* -1: none */
	char who[NP_ADDRSTRLEN];
};

/*
 * SIGCHLD wakes the accept loop through a pipe of its own. It stays at
 * file scope because on_sigchld() must reach it, and a signal handler gets
 * no argument but the signal's number. Nothing else lives here.
 */
static int chld_pipe[2] = {-1, -1};

static void on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(chld_pipe[1], "", 1) < 0) {
		/* Full pipe: a wake-up is already waiting. */
	}
	errno = saved;
}

/* Make SIGCHLD write to chld_pipe. Returns 0, or -1 with errno set. */
static int catch_sigchld(void)
{
	struct sigaction sa;

	if (np_pipe(chld_pipe) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sa.sa_handler = on_sigchld;
	return sigaction(SIGCHLD, &sa, NULL);
}

static void forget_child(struct children *ch, pid_t pid)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (ch->pids[i] == pid) {
			ch->pids[i] = ch->pids[--ch->n];
			return;
		}
}

static int remember_child(struct children *ch, pid_t pid)
{
	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 64;
		pid_t *p = realloc(ch->pids, cap * sizeof *p);

		if (p == NULL)
			return -1;
		ch->pids = p;
		ch->cap = cap;
	}
	ch->pids[ch->n++] = pid;
	return 0;
}

/*
 * Wait until a client connects (1), SIGCHLD arrived (2) or SIGTERM (0).
 * Returns -1 with errno set if poll() fails. With ch->max children
 * running, the listening socket is not watched: new clients wait in the
 * backlog, and the wait goes on until a child ends or a stop comes. Never
 * a blocking waitpid() here: it would sleep through SIGTERM (SA_RESTART
 * restarts it) for as long as every child's client likes.
 */
static int wait_event(const struct children *ch, int listen_fd)
{
	struct pollfd p[3] = {{.fd = listen_fd},
	                      {.fd = np_stop_fd(), .events = POLLIN},
	                      {.fd = chld_pipe[0], .events = POLLIN}};
	char drain[64];

	p[0].events = ch->n < ch->max ? POLLIN : 0;
	for (;;) {
		if (np_stop)
			return 0;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents != 0)
			return 0;
		if (p[2].revents != 0) {
			while (read(chld_pipe[0], drain, sizeof drain) > 0)
				continue;
			return 2;
		}
		if (p[0].revents & POLLIN)
			return 1;
	}
}

/*
 * Reap every child that has ended, without blocking (block: wait for all
 * of them), and forget it. A child that did not exit 0 is reported.
 */
static void reap_children(struct children *ch, int block)
{
	/* TODO(04.7): Collect the exit status of every child that has
	 * ended (waitpid()), and only those unless block is set: then wait
	 * until no child is left (ECHILD). One SIGCHLD may stand for
	 * several children: reap until none is left to reap now. Each pid
	 * reaped leaves ch (forget_child()). A child that did not exit with
	 * status 0 is reported on stderr, as "child PID killed by signal N"
	 * or "child PID exited with status N" (np_warn(); the tests look for
	 * these lines). EINTR is no reason to stop. */
	/* BEGIN SOLUTION */
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		forget_child(ch, pid);
		if (WIFSIGNALED(status))
			np_warn("child %ld killed by signal %d", (long)pid,
			        WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			np_warn("child %ld exited with status %d", (long)pid,
			        WEXITSTATUS(status));
	}
	/* END SOLUTION */
	//: (void)ch;
	//: (void)block;
	//: (void)forget_child;
	//: np_todo("04.7");
}

/* Hold SIGINT and SIGTERM (pending, not lost); *old gets the mask before. */
static void block_stop_signals(sigset_t *old)
{
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, old);
}

static void restore_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/*
 * Fork a child to serve the connection fd. Returns, like fork(), the
 * child's pid in the parent, or 0 in the child, where SIGINT and SIGTERM
 * stay blocked until become_child() gives it a stop pipe of its own.
 * Returns -1 with errno set if no child serves fd.
 */
static pid_t start_child(struct children *ch, int fd)
{
	/* TODO(04.6): Fork a child process to serve fd. Returns as fork()
	 * does: 0 in the child (its caller then serves fd there), the
	 * child's pid in the parent, where by then the child is in ch
	 * (remember_child()) and the parent's copy of fd is closed (kept,
	 * the client would see no EOF when the child closes, and the parent
	 * would run out of descriptors). If fork() or remember_child()
	 * fails: -1 with errno set, fd still open for the caller, and no
	 * child left running (one not in ch could never be stopped: SIGTERM
	 * it). Limits: no stdio output may be waiting at fork() (it would
	 * be printed twice); SIGINT and SIGTERM stay blocked
	 * (block_stop_signals()) from before fork() until the child has its
	 * own stop pipe, and the parent restores its mask at once. */
	/* BEGIN SOLUTION */
	sigset_t old;
	pid_t pid;

	fflush(NULL);
	block_stop_signals(&old);
	pid = fork();
	if (pid == 0)
		return 0;
	restore_signals(&old);
	if (pid < 0)
		return -1;
	if (remember_child(ch, pid) < 0) {
		kill(pid, SIGTERM);
		return -1;
	}
	close(fd);
	return pid;
	/* END SOLUTION */
	//: (void)ch;
	//: (void)fd;
	//: (void)remember_child;
	//: (void)block_stop_signals;
	//: (void)restore_signals;
	//: np_todo("04.6");
}

/*
 * In a new child: drop what belongs to the parent (the listening socket,
 * the SIGCHLD pipe and handler, the list of children), take a stop pipe of
 * its own, then let SIGINT and SIGTERM in. Returns 0, or -1 with errno set.
 */
static int become_child(struct children *ch, int listen_fd)
{
	struct sigaction sa;
	sigset_t none;

	close(listen_fd);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	free(ch->pids);
	*ch = (struct children){NULL, 0, 0, 0};
	if (np_catch_signals() < 0)
		return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In a child: echo the client's lines until it leaves, idles idle_ms or a
 * stop comes (a failure is logged), then close the connection. */
static void serve_client(struct client *c, int idle_ms)
{
	if (echo_lines(c->fd, idle_ms) < 0) {
		if (errno == ETIMEDOUT)
			np_warn("client %s: idle for %d s; closing", c->who,
			        idle_ms / 1000);
		else
			np_warn("client %s:", c->who);
	}
	close(c->fd);
}

/*
 * Accept the next client and fork a child to serve it (a failure is
 * logged, and only that client is turned away; *starved: see
 * accept_news()). In the child it returns with c->fd the connection to
 * serve; in the parent c->fd is -1.
 */
static void take_client(struct children *ch, int listen_fd, struct client *c,
                        int *starved)
{
	char news[128];
	pid_t pid;

	c->fd = accept_client(listen_fd, c->who, sizeof c->who);
	if (accept_news(c->fd, starved, news, sizeof news))
		np_warn("%s", news);
	if (c->fd < 0)
		return;
	pid = start_child(ch, c->fd);
	if (pid < 0) {
		np_warn("client %s: fork:", c->who);
		close(c->fd);
	}
	if (pid != 0)
		c->fd = -1;
}

/*
 * The parent's loop: reap the children that ended, accept each client and
 * fork a child for it. Returns 0 once SIGINT or SIGTERM arrived, -1 with
 * errno set if waiting failed; and in a new child, 0 with c->fd the
 * connection it must serve.
 */
static int accept_loop(struct children *ch, int listen_fd, struct client *c)
{
	int ev = 0, starved = 0;

	while (c->fd < 0 && (ev = wait_event(ch, listen_fd)) > 0) {
		reap_children(ch, 0);
		if (ev == 1)
			take_client(ch, listen_fd, c, &starved);
	}
	return ev < 0 ? -1 : 0;
}

/* SIGTERM every child still running and wait until each has ended. */
static void stop_children(struct children *ch)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		kill(ch->pids[i], SIGTERM);
	reap_children(ch, 1);
	free(ch->pids);
}

int main(int argc, char *argv[])
{
	struct server_args args = {.about = "Echo lines to many clients at "
	                                    "once: a process per connection.",
	                           .max_clients = 1024};
	struct children ch = {NULL, 0, 0, 0};
	struct client c = {.fd = -1};
	enum server_cmd cmd;
	int listen_fd, rc;

	np_progname = "fork-server";
	if ((cmd = server_parse(argc, argv, &args)) != SERVER_RUN) {
		fputs(args.text, cmd == SERVER_HELP ? stdout : stderr);
		return cmd == SERVER_HELP ? 0 : 2;
	}
	ch.max = (size_t)args.max_clients;
	if (catch_sigchld() < 0)
		np_die("SIGCHLD:");
	if ((listen_fd = server_listen(&args)) < 0)
		np_die("listen on %s port %s:", args.addr, args.port);
	if (np_print_ready(listen_fd) < 0)
		np_die("ready line:");
	rc = accept_loop(&ch, listen_fd, &c);
	/* A child comes back here and ends by returning from main(), not by
	 * _exit() in a helper: so valgrind and LeakSanitizer, which check at
	 * exit, check every child too. (fflush(NULL) before fork() left no
	 * output for exit() to print twice, and nothing uses atexit().) */
	if (c.fd >= 0) {
		if (become_child(&ch, listen_fd) < 0)
			np_die("client %s: child set-up:", c.who);
		serve_client(&c, args.idle_s * 1000);
		return 0;
	}
	if (rc < 0)
		np_warn("waiting for clients:");
	close(listen_fd);
	stop_children(&ch);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	return rc < 0;
}
