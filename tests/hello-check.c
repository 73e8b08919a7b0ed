/*
 * hello-check - lesson 01: what hello-server must do that no client can
 * make it show over a socket, checked by calling its functions directly.
 * Its functions are static, so this file includes hello-server.c (the
 * student's or the solution's: the include path of the build picks it),
 * with its main() renamed. Prints TAP and exits 0 only if every case
 * passed.
 *
 *	hello-check [BOUND_MS]
 *
 * 1. send_all() and a stop. A reply of 200 bytes never fills a socket's
 *    send buffer, so no client can make the server's send() wait. Here
 *    the buffer is full before send_all() starts; SIGTERM comes
 *    SIGNAL_MS later and interrupts the send() that waits (EINTR: the
 *    socket has a time limit, so SA_RESTART does not restart it), and
 *    send_all() must give up (-1) within BOUND_MS (default 1000) instead
 *    of waiting again, for the socket's time limit of SEND_LIMIT_S.
 */
int hello_server_main(int argc, char *argv[]);
#define main hello_server_main
#include "hello-server.c"
#undef main

#include <sys/wait.h>
#include <time.h>

#define SIGNAL_MS    300
#define SEND_LIMIT_S 5
#define RUN_LIMIT_S  60 /* the whole run, valgrind included */

/* A child that sends SIGTERM to its parent after ms milliseconds. */
static pid_t signal_later(int ms)
{
	pid_t child = fork();

	if (child == 0) {
		struct timespec ts = {.tv_sec = ms / 1000,
		                      .tv_nsec = (ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	return child;
}

/* Case 1; returns 0, or -1 with why filled in. */
static int check_send_stop(long bound_ms, char *why, size_t whylen)
{
	static char big[65536];
	long long start, took;
	int sv[2], rc, err;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		snprintf(why, whylen, "socketpair: %s", strerror(errno));
		return -1;
	}
	/* Fill the send buffer: the peer, sv[1], never reads. */
	while (send(sv[0], big, sizeof big, MSG_DONTWAIT) > 0)
		continue;
	if (np_set_timeouts(sv[0], SEND_LIMIT_S) < 0) {
		snprintf(why, whylen, "setsockopt: %s", strerror(errno));
		return -1;
	}
	start = np_now_ms();
	child = signal_later(SIGNAL_MS);
	if (child < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	rc = send_all(sv[0], big, sizeof big);
	err = errno;
	took = np_now_ms() - start;
	waitpid(child, NULL, 0);
	close(sv[0]);
	close(sv[1]);
	if (!np_stop) {
		snprintf(why, whylen,
		         "send_all() returned %d after %lld ms, before the "
		         "SIGTERM due at %d ms: it should still be waiting "
		         "(the peer reads nothing)",
		         rc, took, SIGNAL_MS);
		return -1;
	}
	if (rc != -1 || took > bound_ms) {
		snprintf(why, whylen,
		         "expected: -1 within %ld ms (SIGTERM came at %d ms); "
		         "received: %d (%s) after %lld ms%s",
		         bound_ms, SIGNAL_MS, rc,
		         rc < 0 ? strerror(err) : "no error", took,
		         took > bound_ms ? ": after EINTR it sent again, and "
		                           "waited out the socket's time limit"
		                         : "");
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	long bound_ms = 1000;
	char why[512];

	np_progname = "hello-check";
	if (argc > 2 ||
	    (argc == 2 && np_parse_long(argv[1], 1, 600000, &bound_ms) < 0)) {
		fprintf(stderr, "usage: hello-check [BOUND_MS]\n");
		return 2;
	}
	alarm(RUN_LIMIT_S);
	if (np_catch_signals() < 0)
		np_die("sigaction:");
	printf("1..1\n");
	if (check_send_stop(bound_ms, why, sizeof why) == 0) {
		printf("ok 1 - send_all() gives up when SIGTERM interrupts a "
		       "send() that waits\n");
		return 0;
	}
	printf("not ok 1 - send_all() gives up when SIGTERM interrupts a "
	       "send() that waits\n#   %s\n",
	       why);
	return 1;
}
