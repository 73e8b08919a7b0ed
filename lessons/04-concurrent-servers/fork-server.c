/*
 * fork-server - lesson 04: one process per connection. The parent only
 * accepts and forks; each child echoes one client's lines and exits. The
 * parent reaps every child that ends (a child nobody waits for stays a
 * zombie) and, on SIGTERM, stops the children and waits for them.
 * See README.md beside this file.
 */
#include "lines.h"
#include "net.h"
#include "np.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The children still running (so SIGTERM can be passed on to them). */
static pid_t *children;
static size_t nchildren, children_cap;

/* SIGCHLD wakes the accept loop through a pipe of its own. */
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

static void catch_sigchld(void)
{
	struct sigaction sa;
	int i;

	if (pipe(chld_pipe) < 0)
		np_die("pipe:");
	for (i = 0; i < 2; i++)
		if (np_set_nonblocking(chld_pipe[i]) < 0 ||
		    fcntl(chld_pipe[i], F_SETFD, FD_CLOEXEC) < 0)
			np_die("fcntl:");
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sa.sa_handler = on_sigchld;
	if (sigaction(SIGCHLD, &sa, NULL) < 0)
		np_die("sigaction:");
}

static void forget_child(pid_t pid)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i] == pid) {
			children[i] = children[--nchildren];
			return;
		}
}

static int remember_child(pid_t pid)
{
	if (nchildren == children_cap) {
		size_t cap = children_cap ? children_cap * 2 : 64;
		pid_t *p = realloc(children, cap * sizeof *p);

		if (p == NULL)
			return -1;
		children = p;
		children_cap = cap;
	}
	children[nchildren++] = pid;
	return 0;
}

/* Wait until a client connects (1), SIGCHLD arrived (2) or SIGTERM (0). */
static int wait_event(int listen_fd)
{
	struct pollfd p[3] = {{.fd = listen_fd, .events = POLLIN},
	                      {.fd = np_stop_fd(), .events = POLLIN},
	                      {.fd = chld_pipe[0], .events = POLLIN}};
	char drain[64];

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
		if (p[0].revents != 0)
			return 1;
	}
}

/*
 * Reap every child that has ended, without blocking (block: wait for all
 * of them). A child that did not exit 0 is reported.
 */
static void reap_children(int block)
{
	/* TODO(04.7): Call waitpid(-1, &status, block ? 0 : WNOHANG) until
	 * it returns 0 (children still run, none ended) or -1 (ECHILD: no
	 * children at all; EINTR: call again). For each pid it returns,
	 * forget_child(pid), and if the child did not exit with status 0,
	 * np_warn("child PID killed by signal N") (WIFSIGNALED, WTERMSIG)
	 * or np_warn("child PID exited with status N") (WIFEXITED,
	 * WEXITSTATUS): the tests look for these lines. One SIGCHLD may
	 * stand for several ended children: that is why it loops. */
	(void)block;
	(void)forget_child;
	np_todo("04.7");
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

/* In the child: serve the client on fd, then exit. Never returns. */
static _Noreturn void child(int listen_fd, int fd, const char *who)
{
	struct sigaction sa;
	sigset_t none;
	int rc;

	close(listen_fd);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	free(children);
	/* A stop pipe of our own, then the signals held since fork(). */
	if (np_catch_signals() < 0)
		np_die("sigaction:");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	rc = echo_lines(fd);
	if (rc < 0)
		np_warn("client %s:", who);
	close(fd);
	exit(0);
}

/* Serve the client on fd in a new child process. Returns 0, or -1. */
static int start_child(int listen_fd, int fd, const char *who)
{
	/* TODO(04.6): fflush(NULL) first: a child inherits a copy of the
	 * unwritten stdio buffers and would print them a second time.
	 * fork() between block_stop_signals() and restore_signals(&old):
	 * until the child has its own stop pipe, a SIGTERM meant for it
	 * must wait. In the child (fork returned 0): child(listen_fd, fd,
	 * who), which never returns (it unblocks them itself). In the
	 * parent: remember_child(pid) (if that fails, kill the child with
	 * SIGTERM: it could not be stopped later), and close(fd): the child
	 * has its own copy; if the parent kept it, the client would see no
	 * EOF when the child closes, and the parent would run out of
	 * descriptors. fork() failing: return -1 (the caller closes fd). */
	(void)listen_fd;
	(void)fd;
	(void)who;
	(void)child;
	(void)remember_child;
	(void)block_stop_signals;
	(void)restore_signals;
	np_todo("04.6");
}

int main(int argc, char *argv[])
{
	int listen_fd, ev;
	size_t i;

	np_progname = "fork-server";
	listen_fd = server_start(argc, argv,
	                         "Echo lines to many clients at once: a "
	                         "process per connection.",
	                         NULL);
	catch_sigchld();
	while ((ev = wait_event(listen_fd)) > 0) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof peer;
		char who[NP_ADDRSTRLEN];
		int fd;

		reap_children(0);
		if (ev != 1)
			continue;
		fd = accept(listen_fd, (struct sockaddr *)&peer, &peerlen);
		if (fd < 0) {
			accept_failed();
			continue;
		}
		np_format_addr((struct sockaddr *)&peer, who, sizeof who);
		if (start_child(listen_fd, fd, who) < 0) {
			np_warn("client %s: fork:", who);
			close(fd);
		}
	}
	if (ev < 0)
		np_warn("waiting for clients:");
	close(listen_fd);
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	reap_children(1);
	free(children);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	return ev < 0;
}
