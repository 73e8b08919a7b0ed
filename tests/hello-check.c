/*
 * hello-check - lesson 01: what hello-server's send_all() must do that no
 * client can make it show over a socket (a reply of 200 bytes always fits
 * in a socket's buffer, so the server's send() never has to wait),
 * checked by calling it directly. Its functions are static, so this file
 * includes hello-server.c (the student's or the solution's: the include
 * path of the build picks it), with its main() renamed. Prints TAP and
 * exits 0 only if every case passed.
 *
 *	hello-check [BOUND_MS [CASE]]
 *
 * Each case runs on a socketpair whose send buffer is small. A blocking
 * send() there would wait in the kernel, where neither a deadline nor a
 * stop reaches it: the socket gets a time limit of BLOCK_LIMIT_S, so such
 * a send() fails after that instead of hanging the check, and the report
 * says why it took so long.
 *
 * 1. Short writes: 1 MiB sent to a child that reads it slowly, in small
 *    pieces; every byte must arrive, in order, and send_all() return 0.
 * 2. The deadline: the peer reads nothing, the deadline is DEADLINE_MS
 *    away: -1 with ETIMEDOUT, not before it and within BOUND_MS
 *    (default 1000) of it.
 * 3. A stop: the peer reads nothing, the deadline is far; SIGTERM comes
 *    SIGNAL_MS later: -1 with EINTR within BOUND_MS of the signal.
 *
 * A case that has not returned after 5 s plus BOUND_MS/100 s fails.
 */
int hello_server_main(int argc, char *argv[]);
#define main hello_server_main
#include "hello-server.c"
#undef main

#include <sys/wait.h>
#include <time.h>

#define BIG           (1024 * 1024)
#define DEADLINE_MS   300
#define SIGNAL_MS     300
#define FAR_MS        20000
#define BLOCK_LIMIT_S 5

/* The case running, for the report of one that never returns. */
static const char *running = "";

/* SIGALRM: a case still running at its limit fails, with a report. */
static void on_alarm(int sig)
{
	static const char msg[] = "#   send_all() had not returned after "
	                          "the case's time limit: it waits with no "
	                          "bound, or spins (a wait's 0 or -1 taken "
	                          "for room)\n";

	(void)sig;
	if (write(STDOUT_FILENO, "not ok - ", 9) < 0 ||
	    write(STDOUT_FILENO, running, strlen(running)) < 0 ||
	    write(STDOUT_FILENO, "\n", 1) < 0 ||
	    write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more to do: exit anyway */
	}
	_exit(1);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

static void pause_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A child that sends SIGTERM to its parent after ms milliseconds. */
static pid_t signal_later(int ms)
{
	pid_t child = fork();

	if (child == 0) {
		pause_ms(ms);
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	return child;
}

/*
 * A child that reads fd slowly, 1000 bytes at a time, until EOF, and exits
 * 0 only if it read exactly BIG bytes of pattern(); 1 otherwise, after
 * saying on stderr where the stream went wrong.
 */
static pid_t read_slowly(int fd, int other)
{
	pid_t child = fork();

	if (child == 0) {
		close(other); /* or the parent's close() would not be EOF */
		static unsigned char buf[1000];
		size_t got = 0;
		ssize_t n, i;

		while ((n = read(fd, buf, sizeof buf)) > 0) {
			for (i = 0; i < n; i++, got++)
				if (got >= BIG || buf[i] != pattern(got)) {
					fprintf(stderr,
					        "#   byte %zu: received %d, "
					        "expected %s\n",
					        got, buf[i],
					        got >= BIG ? "none (only 1 MiB "
					                     "was sent)"
					                   : "another");
					_exit(1);
				}
			if (got % 65536 < sizeof buf)
				pause_ms(1);
		}
		if (got != BIG) {
			fprintf(stderr, "#   received %zu bytes of %d\n", got,
			        BIG);
			_exit(1);
		}
		_exit(0);
	}
	return child;
}

/*
 * A socketpair with a small send buffer on sv[0], filled up when fill is
 * set. Returns 0, or -1 with why filled in.
 */
static int small_pair(int sv[2], int fill, char *why, size_t whylen)
{
	static char junk[4096];
	int size = 4096;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0 ||
	    np_set_timeouts(sv[0], BLOCK_LIMIT_S) < 0) {
		snprintf(why, whylen, "a socketpair with a small buffer: %s",
		         strerror(errno));
		return -1;
	}
	while (fill && send(sv[0], junk, sizeof junk, MSG_DONTWAIT) > 0)
		continue;
	return 0;
}

/* What a case that took too long probably did. */
static const char *why_slow(long long took)
{
	return took >= BLOCK_LIMIT_S * 1000 - 100
	               ? ": it blocked in send() (no MSG_DONTWAIT?) until "
	                 "the socket's own time limit; wait in np_wait_fd() "
	                 "instead"
	               : "";
}

/* Case 1; returns 0, or -1 with why filled in. */
static int check_short_writes(long bound_ms, char *why, size_t whylen)
{
	static char big[BIG];
	long long start, took;
	int sv[2], rc, err, status;
	pid_t child;
	size_t i;

	for (i = 0; i < BIG; i++)
		big[i] = (char)pattern(i);
	if (small_pair(sv, 0, why, whylen) < 0)
		return -1;
	child = read_slowly(sv[1], sv[0]);
	close(sv[1]);
	start = np_now_ms();
	rc = send_all(sv[0], big, BIG, start + FAR_MS);
	err = errno;
	took = np_now_ms() - start;
	close(sv[0]);
	waitpid(child, &status, 0);
	if (rc != 0) {
		snprintf(why, whylen,
		         "send_all() of 1 MiB to a slow reader: expected 0; "
		         "received %d (%s) after %lld ms%s",
		         rc, strerror(err), took, why_slow(took));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(
		        why, whylen,
		        "send_all() of 1 MiB returned 0, but the reader did "
		        "not receive those bytes in order (see above): after a "
		        "short write, send the rest, from where it stopped");
		return -1;
	}
	(void)bound_ms;
	return 0;
}

/* Case 2; returns 0, or -1 with why filled in. */
static int check_deadline(long bound_ms, char *why, size_t whylen)
{
	static char buf[65536];
	long long start, took;
	int sv[2], rc, err;

	if (small_pair(sv, 1, why, whylen) < 0)
		return -1;
	start = np_now_ms();
	rc = send_all(sv[0], buf, sizeof buf, start + DEADLINE_MS);
	err = errno;
	took = np_now_ms() - start;
	close(sv[0]);
	close(sv[1]);
	if (rc != -1 || err != ETIMEDOUT || took < DEADLINE_MS - 20 ||
	    took > DEADLINE_MS + bound_ms) {
		snprintf(why, whylen,
		         "the peer reads nothing, the deadline %d ms away: "
		         "expected -1 with ETIMEDOUT after %d to %ld ms; "
		         "received %d (%s) after %lld ms%s",
		         DEADLINE_MS, DEADLINE_MS, DEADLINE_MS + bound_ms, rc,
		         rc < 0 ? strerror(err) : "no error", took,
		         why_slow(took));
		return -1;
	}
	return 0;
}

/* Case 3; returns 0, or -1 with why filled in. */
static int check_stop(long bound_ms, char *why, size_t whylen)
{
	static char buf[65536];
	long long start, took;
	int sv[2], rc, err;
	pid_t child;

	if (small_pair(sv, 1, why, whylen) < 0)
		return -1;
	start = np_now_ms();
	child = signal_later(SIGNAL_MS);
	if (child < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	rc = send_all(sv[0], buf, sizeof buf, start + FAR_MS);
	err = errno;
	took = np_now_ms() - start;
	waitpid(child, NULL, 0);
	close(sv[0]);
	close(sv[1]);
	if (!np_stop) {
		snprintf(
		        why, whylen,
		        "send_all() returned %d (%s) after %lld ms, before the "
		        "SIGTERM due at %d ms: it should still be waiting "
		        "(the peer reads nothing, the deadline is %d ms away)",
		        rc, rc < 0 ? strerror(err) : "no error", took,
		        SIGNAL_MS, FAR_MS);
		return -1;
	}
	if (rc != -1 || err != EINTR || took > SIGNAL_MS + bound_ms) {
		snprintf(why, whylen,
		         "SIGTERM at %d ms while the peer reads nothing: "
		         "expected -1 with EINTR within %ld ms; received %d "
		         "(%s) after %lld ms%s",
		         SIGNAL_MS, SIGNAL_MS + bound_ms, rc,
		         rc < 0 ? strerror(err) : "no error", took,
		         took > SIGNAL_MS + bound_ms
		                 ? (*why_slow(took) ? why_slow(took)
		                                    : ": a stop must end the "
		                                      "wait for room")
		                 : "");
		return -1;
	}
	return 0;
}

static const struct {
	int (*run)(long, char *, size_t);
	const char *name;
} cases[] = {
        {check_short_writes, "send_all() sends every byte of 1 MiB to a "
                             "slow reader, in order"},
        {check_deadline, "send_all() gives up at its deadline when the "
                         "peer reads nothing (ETIMEDOUT)"},
        {check_stop, "send_all() gives up when SIGTERM comes while it "
                     "waits for room (EINTR)"},
};

int main(int argc, char *argv[])
{
	long bound_ms = 1000, only = 0;
	char why[512];
	size_t i, n = sizeof cases / sizeof cases[0];
	int failed = 0;

	np_progname = "hello-check";
	if (argc > 3 ||
	    (argc >= 2 && np_parse_long(argv[1], 1, 600000, &bound_ms) < 0) ||
	    (argc == 3 && np_parse_long(argv[2], 1, (long)n, &only) < 0)) {
		fprintf(stderr, "usage: hello-check [BOUND_MS [CASE]]\n");
		return 2;
	}
	if (np_catch_signals() < 0 || signal(SIGALRM, on_alarm) == SIG_ERR)
		np_die("sigaction:");
	printf("1..%zu\n", only ? 1 : n);
	for (i = 0; i < n; i++) {
		if (only && i + 1 != (size_t)only)
			continue;
		fflush(stdout);
		running = cases[i].name;
		/* Each case ends well within FAR_MS, valgrind included. */
		alarm((unsigned)(5 + bound_ms / 100));
		if (cases[i].run(bound_ms, why, sizeof why) == 0) {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
			continue;
		}
		printf("not ok %zu - %s\n#   %s\n", i + 1, cases[i].name, why);
		failed = 1;
	}
	return failed;
}
