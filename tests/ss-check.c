/*
 * ss-check - lesson 05: what libsockserver does that echo-server cannot
 * show (overrides, the handler's rules, shutdown, timeouts, the mix-ins,
 * each transport), checked through its interface. Prints TAP and exits 0
 * only if every case passed.
 *
 *	ss-check DIR [CASE...]
 *
 * DIR is an existing directory for the Unix sockets; keep its path short
 * (a socket path must fit sun_path, 108 bytes). CASE numbers run only
 * those cases. Internet servers use 127.0.0.1 port 0. Every wait is
 * bounded: by poll(), and by an alarm for the whole run.
 */
#include "np-test.h"
#include "np.h"
#include "sockserver.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS   10000 /* how long anything that must happen may take */
#define QUIET_MS  400   /* how long we watch something that must not */
#define RUN_LIMIT 600   /* seconds for the whole run (valgrind is slow) */
#define TICK      0.05  /* serve_forever's poll interval in most cases */
/* How long a loop that should sleep is watched; a sleeping loop uses next
 * to no CPU meanwhile, a busy loop more than BUSY_S even on a loaded
 * machine. */
#define WATCH_MS 500
#define BUSY_S   0.1

static const char *dir;
static char why[1024]; /* why the current case failed */

/* Record why the case failed; returns -1 for `return fail(...)`. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return -1;
}

/* Put what before the reason already in why; returns -1. */
static int fail_again(const char *what)
{
	char reason[sizeof why];

	snprintf(reason, sizeof reason, "%s", why);
	return fail("%s; %s", what, reason);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the handlers and the overridden methods saw, from any thread. */
static struct {
	pthread_mutex_t lock;
	int setup, handle, finish, error, timeout, verify;
	int error_errno; /* errno at the last handle_error */
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void bump(int *n)
{
	pthread_mutex_lock(&seen.lock);
	(*n)++;
	pthread_mutex_unlock(&seen.lock);
}

static int peek(const int *n)
{
	int v;

	pthread_mutex_lock(&seen.lock);
	v = *n;
	pthread_mutex_unlock(&seen.lock);
	return v;
}

static void reset_seen(void)
{
	pthread_mutex_lock(&seen.lock);
	seen.setup = seen.handle = seen.finish = 0;
	seen.error = seen.timeout = seen.verify = 0;
	seen.error_errno = 0;
	pthread_mutex_unlock(&seen.lock);
}

/* Wait until fd is readable. Returns 1, 0 after ms, or -1. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	double deadline = now() + ms / 1000.0;
	int ready;

	do {
		ms = (int)((deadline - now()) * 1000.0);
		ready = poll(&p, 1, ms > 0 ? ms : 0);
	} while (ready < 0 && errno == EINTR);
	return ready;
}

/* Read until EOF, at most cap bytes, within WAIT_MS in all. Returns the
 * length, or -1 (errno ETIMEDOUT when the peer never closed). */
static ssize_t read_to_eof(int fd, char *buf, size_t cap)
{
	double deadline = now() + WAIT_MS / 1000.0;
	size_t got = 0;
	ssize_t n;
	int ready;

	for (;;) {
		ready = wait_readable(fd, (int)((deadline - now()) * 1000.0));
		if (ready == 0)
			errno = ETIMEDOUT;
		if (ready <= 0)
			return -1;
		n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || (got += (size_t)n) == cap)
			return (ssize_t)got;
	}
}

/* A client socket of type for the server s: connected to it, and for a
 * Unix datagram bound to path first (the server answers to that name). */
static int client_for(const struct ss_server *s, int type, const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(s->family, type, 0);

	if (fd < 0)
		return -1;
	if (path != NULL) {
		snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
		unlink(path);
		if (bind(fd, (struct sockaddr *)&un, sizeof un) < 0)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&s->address, s->addrlen) == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Connect to the stream server s, send msg, half-close, and expect msg
 * back then EOF. Returns 0, or -1 with why set.
 */
static int expect_echo(const struct ss_server *s, const char *msg)
{
	char reply[256];
	ssize_t n;
	int fd = client_for(s, SOCK_STREAM, NULL);

	if (fd < 0)
		return fail("connect: expected a connection, got %s",
		            strerror(errno));
	if (nt_send_all(fd, msg, strlen(msg)) < 0 ||
	    shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return fail("sending '%s': %s", msg, strerror(errno));
	}
	n = read_to_eof(fd, reply, sizeof reply);
	close(fd);
	if (n < 0)
		return fail(
		        "sent '%s' and half-closed: expected '%s' then EOF, "
		        "got %s",
		        msg, msg, strerror(errno));
	if ((size_t)n != strlen(msg) || memcmp(reply, msg, (size_t)n) != 0)
		return fail("sent '%s': expected '%s' back, got '%.*s'", msg,
		            msg, (int)n, reply);
	return 0;
}

/*
 * The handler: an echo. setup() fails when the server's user says so;
 * handle() echoes a stream to EOF (and then fails if it began with
 * "fail") or sends a datagram back to its sender.
 */
struct behaviour {
	const struct ss_server_ops *parent; /* for the overrides' super() */
	int fail_setup;
};

static int t_setup(struct ss_request *req)
{
	const struct behaviour *b = req->server->user;

	bump(&seen.setup);
	if (b->fail_setup) {
		errno = EACCES;
		return -1;
	}
	if (req->data == NULL)
		return np_set_timeouts(req->fd, WAIT_MS / 1000);
	return 0;
}

static int echo_stream(struct ss_request *req)
{
	char buf[4096], head[4] = "";
	size_t total = 0;
	ssize_t n;

	for (;;) {
		n = recv(req->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (total < sizeof head)
			memcpy(head + total, buf,
			       sizeof head - total < (size_t)n
			               ? sizeof head - total
			               : (size_t)n);
		total += (size_t)n;
		if (nt_send_all(req->fd, buf, (size_t)n) < 0)
			return -1;
	}
	if (n < 0)
		return -1;
	if (total >= sizeof head && memcmp(head, "fail", sizeof head) == 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int t_handle(struct ss_request *req)
{
	ssize_t n;

	bump(&seen.handle);
	if (req->data == NULL)
		return echo_stream(req);
	do
		n = sendto(req->fd, req->data, req->len, 0,
		           (struct sockaddr *)&req->client, req->clientlen);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

static void t_finish(struct ss_request *req)
{
	(void)req;
	bump(&seen.finish);
}

static const struct ss_handler echo = {t_setup, t_handle, t_finish};

/* Overrides every test server has: count, then call the parent's. */
static void t_handle_error(struct ss_server *s, struct ss_request *req)
{
	const struct behaviour *b = s->user;
	int err = errno;

	pthread_mutex_lock(&seen.lock);
	seen.error++;
	seen.error_errno = err;
	pthread_mutex_unlock(&seen.lock);
	errno = err;
	b->parent->handle_error(s, req);
}

static void t_handle_timeout(struct ss_server *s)
{
	const struct behaviour *b = s->user;

	bump(&seen.timeout);
	b->parent->handle_timeout(s);
}

static int t_refuse(struct ss_server *s, struct ss_request *req)
{
	(void)s;
	(void)req;
	bump(&seen.verify);
	return 0;
}

/* The header's example: an override that calls super(). */
static int t_verify_super(struct ss_server *s, struct ss_request *req)
{
	bump(&seen.verify);
	return ss_tcp_server_ops.verify_request(s, req);
}

/* A server under test, and the thread that runs serve_forever(). */
struct fixture {
	struct ss_server s;
	struct ss_server_ops ops; /* the parent's, with the overrides */
	struct behaviour b;
	pthread_t tid;
	int running; /* the thread exists (join it) */
	int done;    /* serve_forever returned (under seen.lock) */
	int rc;      /* what it returned */
	double interval;
};

/* Make fx a server of class parent (plus the overrides) on host:port. */
static int fx_init(struct fixture *fx, const struct ss_server_ops *parent,
                   const char *host, const char *port, enum ss_mode mode)
{
	memset(fx, 0, sizeof *fx);
	reset_seen();
	/* A class of our own: a copy keeps the parent's address_family and
	 * socket_type; the name is only for messages. */
	fx->ops = *parent;
	fx->ops.name = "TestServer";
	fx->ops.handle_error = t_handle_error;
	fx->ops.handle_timeout = t_handle_timeout;
	fx->b.parent = parent;
	if (ss_server_init(&fx->s, &fx->ops, host, port, &echo, mode) < 0)
		return fail("ss_server_init(%s, %s): expected 0, got -1 (%s)",
		            parent->name, host, strerror(errno));
	fx->s.user = &fx->b;
	return 0;
}

static void *serve_thread(void *arg)
{
	struct fixture *fx = arg;
	int rc = ss_serve_forever(&fx->s, fx->interval);

	pthread_mutex_lock(&seen.lock);
	fx->rc = rc;
	fx->done = 1;
	pthread_mutex_unlock(&seen.lock);
	return NULL;
}

static int fx_serve(struct fixture *fx, double interval)
{
	int err;

	fx->interval = interval;
	fx->done = 0;
	err = pthread_create(&fx->tid, NULL, serve_thread, fx);
	if (err != 0)
		return fail("pthread_create: %s", strerror(err));
	fx->running = 1;
	return 0;
}

/* Poll a flag (under seen.lock) for at most ms. Returns its value. */
static int wait_flag(const int *flag, int ms)
{
	double deadline = now() + ms / 1000.0;
	struct timespec tick = {0, 5000000};

	while (!peek(flag) && now() < deadline)
		nanosleep(&tick, NULL);
	return peek(flag);
}

/* ss_shutdown() and join. Returns serve_forever's result. */
static int fx_stop(struct fixture *fx)
{
	if (!fx->running)
		return 0;
	ss_shutdown(&fx->s);
	pthread_join(fx->tid, NULL);
	fx->running = 0;
	return fx->rc;
}

static void fx_close(struct fixture *fx)
{
	fx_stop(fx);
	ss_server_close(&fx->s);
}

/* A path for a Unix socket in DIR. */
static const char *sock_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	unlink(buf);
	return buf;
}

/* Check that the handler counters are what the case expects. */
static int expect_seen(const char *what, int setup, int handle, int finish,
                       int error)
{
	int s = peek(&seen.setup), h = peek(&seen.handle);
	int f = peek(&seen.finish), e = peek(&seen.error);

	if (s == setup && h == handle && f == finish && e == error)
		return 0;
	return fail("%s: expected setup/handle/finish/handle_error called "
	            "%d/%d/%d/%d times, got %d/%d/%d/%d",
	            what, setup, handle, finish, error, s, h, f, e);
}

/* ---- The cases. Each returns 0, or -1 with why set. ---- */

/* The port of an Internet address, IPv4 or IPv6. */
static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* A TCP server on host port 0: the kernel's port in s->address, the
 * socket listening, SO_REUSEADDR set. */
static int expect_port0(const char *host)
{
	struct fixture fx;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss, optlen = sizeof(int);
	int port, real, reuse = 0, listening = 0, rc = 0;

	if (fx_init(&fx, &ss_tcp_server_ops, host, "0", SS_SYNC) < 0)
		return -1;
	port = port_of(&fx.s.address);
	getsockname(fx.s.fd, (struct sockaddr *)&ss, &len);
	real = port_of(&ss);
	getsockopt(fx.s.fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &optlen);
	optlen = sizeof(int);
	getsockopt(fx.s.fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen);
	if (port == 0 || port != real)
		rc = fail("%s port 0: expected the kernel's port %d in "
		          "s->address, got %d",
		          host, real, port);
	else if (!reuse || !listening)
		rc = fail("expected SO_REUSEADDR set and the socket listening, "
		          "got SO_REUSEADDR %d, SO_ACCEPTCONN %d",
		          reuse, listening);
	fx_close(&fx);
	return rc;
}

static int case_port0(void)
{
	return expect_port0("127.0.0.1");
}

/* Can this machine bind ::1 at all? */
static int have_ipv6_loopback(void)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
	                           .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&in6, sizeof in6) == 0;
	close(fd);
	return ok;
}

/* An IPv6 address takes 28 bytes: a bind() told 16, an IPv4 address's
 * length, instead of s->addrlen works on 127.0.0.1 and fails here. */
static int case_port0_ipv6(void)
{
	struct ss_server s;

	if (have_ipv6_loopback())
		return expect_port0("::1");
	/* No IPv6 on this machine: then a clean failure. */
	if (ss_server_init(&s, &ss_tcp_server_ops, "::1", "0", &echo,
	                   SS_SYNC) == 0) {
		ss_server_close(&s);
		return fail("no IPv6 on this machine: expected "
		            "ss_server_init(::1) to fail, it succeeded");
	}
	return 0;
}

static int case_echo(void)
{
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = expect_echo(&fx.s, "hello, sockserver");
	if (rc == 0)
		rc = expect_seen("one client", 1, 1, 1, 0);
	fx_close(&fx);
	return rc;
}

static int case_refuse(void)
{
	struct fixture fx;
	char buf[64];
	ssize_t n = -1;
	int fd, rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.ops.verify_request = t_refuse;
	rc = fx_serve(&fx, TICK);
	fd = rc == 0 ? client_for(&fx.s, SOCK_STREAM, NULL) : -1;
	if (fd >= 0) {
		n = read_to_eof(fd, buf, sizeof buf);
		close(fd);
	}
	if (rc == 0 && n != 0)
		rc = fail("connected, sent nothing: expected EOF at once, got "
		          "%s",
		          n < 0 ? strerror(errno) : "bytes");
	if (rc == 0 && peek(&seen.verify) != 1)
		rc = fail("expected verify_request called once, got %d",
		          peek(&seen.verify));
	if (rc == 0)
		rc = expect_seen("refused client", 0, 0, 0, 0);
	fx_close(&fx);
	return rc;
}

static int case_super(void)
{
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.ops.verify_request = t_verify_super;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = expect_echo(&fx.s, "super");
	if (rc == 0 && peek(&seen.verify) != 1)
		rc = fail("expected the override called once, got %d",
		          peek(&seen.verify));
	if (rc == 0)
		rc = expect_seen("served through super()", 1, 1, 1, 0);
	fx_close(&fx);
	return rc;
}

static int case_handle_fails(void)
{
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = expect_echo(&fx.s, "fail"); /* echoed, then handle fails */
	if (rc == 0)
		rc = expect_seen("handle() failed", 1, 1, 1, 1);
	if (rc == 0)
		rc = expect_echo(&fx.s, "next client");
	if (rc == 0)
		rc = expect_seen("then a good client", 2, 2, 2, 1);
	fx_close(&fx);
	return rc;
}

static int case_setup_fails(void)
{
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.b.fail_setup = 1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = expect_echo(&fx.s, ""); /* just EOF */
	if (rc == 0)
		rc = expect_seen("setup() failed", 1, 0, 0, 1);
	fx_close(&fx);
	return rc;
}

/* ss_shutdown() and the time it took; fails unless fast and rc 0. */
static int timed_stop(struct fixture *fx, const char *when)
{
	double t0 = now(), dt;
	int rc = fx_stop(fx);

	dt = now() - t0;
	if (dt > fx->interval / 4)
		return fail("%s, poll interval %.1f s: expected ss_shutdown() "
		            "to return within %.2f s, took %.2f s",
		            when, fx->interval, fx->interval / 4, dt);
	if (rc != 0)
		return fail("%s: expected serve_forever() to return 0, got %d",
		            when, rc);
	return 0;
}

static int case_shutdown(void)
{
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, 2.0);
	if (rc == 0)
		rc = expect_echo(&fx.s, "before shutdown");
	if (rc == 0)
		rc = timed_stop(&fx, "while idle");
	/* The flag was reset: serve_forever() can run again. */
	if (rc == 0)
		rc = fx_serve(&fx, 2.0);
	if (rc == 0)
		rc = expect_echo(&fx.s, "served again after a shutdown");
	if (rc == 0)
		rc = timed_stop(&fx, "the second time");
	fx_close(&fx);
	return rc;
}

/* The CPU time thread tid has used, in seconds, or -1. */
static double cpu_seconds(pthread_t tid)
{
	struct timespec ts;
	clockid_t clock;

	if (pthread_getcpuclockid(tid, &clock) != 0 ||
	    clock_gettime(clock, &ts) < 0)
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A wake-up byte left in the pipe would make every later poll() return
 * at once: serve_forever(), run again after a shutdown, would spin
 * instead of sleeping. Watch its thread while nobody connects. */
static int case_idle_again(void)
{
	struct timespec idle = {0, 500000000};
	struct fixture fx;
	double cpu;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, 2.0);
	if (rc == 0)
		rc = timed_stop(&fx, "while idle");
	if (rc == 0)
		rc = fx_serve(&fx, 2.0);
	if (rc == 0) {
		cpu = cpu_seconds(fx.tid);
		nanosleep(&idle, NULL);
		cpu = cpu_seconds(fx.tid) - cpu;
		if (cpu > 0.25)
			rc = fail(
			        "serve_forever() again after a shutdown, "
			        "idle, poll interval 2 s: expected its thread "
			        "asleep in poll(), it used %.2f s of CPU in "
			        "0.5 s (the wake-up byte still in the pipe?)",
			        cpu);
	}
	fx_close(&fx);
	return rc;
}

static struct ss_server *signalled;

static void on_usr1(int sig)
{
	(void)sig;
	ss_request_shutdown(signalled);
}

static int case_request_shutdown(void)
{
	struct sigaction sa, old;
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	signalled = &fx.s;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, &old);
	rc = fx_serve(&fx, 2.0);
	if (rc == 0)
		rc = expect_echo(&fx.s, "before the signal");
	if (rc == 0) {
		pthread_kill(fx.tid, SIGUSR1);
		if (!wait_flag(&fx.done, 1000))
			rc = fail("SIGUSR1 whose handler calls "
			          "ss_request_shutdown(), poll interval 2 s: "
			          "expected serve_forever() to return within "
			          "1 s, still running");
	}
	if (rc == 0 && fx_stop(&fx) != 0)
		rc = fail("expected serve_forever() to return 0, got %d",
		          fx.rc);
	fx_close(&fx);
	sigaction(SIGUSR1, &old, NULL);
	return rc;
}

static int case_timeout(void)
{
	struct fixture fx;
	double t0, dt;
	int rc = 0, r;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.s.timeout = 0.2;
	t0 = now();
	r = ss_handle_request(&fx.s);
	dt = now() - t0;
	if (r != 0 || peek(&seen.timeout) != 1)
		rc = fail("timeout 0.2 s, no client: expected 0 and "
		          "handle_timeout called once, got %d and %d calls",
		          r, peek(&seen.timeout));
	else if (dt < 0.2 || dt > WAIT_MS / 1000.0)
		rc = fail("timeout 0.2 s: expected handle_timeout after 0.2 s, "
		          "got it after %.3f s",
		          dt);
	fx_close(&fx);
	return rc;
}

static void on_usr2(int sig)
{
	(void)sig;
}

/* Send SIGUSR2 to the thread *arg after SIGNAL_AT seconds. */
#define SIGNAL_AT 0.75
static void *signal_later(void *arg)
{
	struct timespec at = {0, (long)(SIGNAL_AT * 1e9)};

	nanosleep(&at, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

/* A signal in the middle of the wait interrupts poll() (EINTR): the wait
 * goes on for what is left of the timeout, neither less nor all of it
 * again. Were the signal late, the case would only be weaker. */
static int case_timeout_signal(void)
{
	struct sigaction sa, old;
	pthread_t self = pthread_self(), tid;
	struct fixture fx;
	double t0, dt;
	int rc = 0, r;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.s.timeout = 1.0;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr2; /* poll() is never restarted anyway */
	sigaction(SIGUSR2, &sa, &old);
	pthread_create(&tid, NULL, signal_later, &self);
	t0 = now();
	r = ss_handle_request(&fx.s);
	dt = now() - t0;
	pthread_join(tid, NULL);
	sigaction(SIGUSR2, &old, NULL);
	if (r != 0 || peek(&seen.timeout) != 1)
		rc = fail("timeout 1 s, a signal after %.2f s, no client: "
		          "expected 0 and handle_timeout called once, got %d "
		          "and %d calls",
		          SIGNAL_AT, r, peek(&seen.timeout));
	else if (dt < 1.0 || dt > 1.4)
		rc = fail("timeout 1 s, a signal after %.2f s: expected "
		          "handle_timeout after 1 s (after EINTR, what is left "
		          "of it), got it after %.3f s",
		          SIGNAL_AT, dt);
	fx_close(&fx);
	return rc;
}

static int case_handle_one(void)
{
	struct fixture fx;
	char buf[64];
	ssize_t n = -1;
	int fd, rc = 0, r = -1;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.s.timeout = WAIT_MS / 1000.0;
	fd = client_for(&fx.s, SOCK_STREAM, NULL);
	if (fd >= 0 && nt_send_all(fd, "one", 3) == 0 &&
	    shutdown(fd, SHUT_WR) == 0) {
		r = ss_handle_request(&fx.s);
		n = read_to_eof(fd, buf, sizeof buf);
	}
	if (fd >= 0)
		close(fd);
	if (r != 0 || n != 3 || memcmp(buf, "one", 3) != 0)
		rc = fail("a client waiting with 'one': expected "
		          "ss_handle_request() 0 and 'one' back, got %d and "
		          "%zd bytes",
		          r, n);
	else if (peek(&seen.timeout) != 0)
		rc = fail("expected no handle_timeout, got %d calls",
		          peek(&seen.timeout));
	fx_close(&fx);
	return rc;
}

static int case_threading(void)
{
	struct fixture fx;
	int idle, rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_THREADING) <
	    0)
		return -1;
	rc = fx_serve(&fx, TICK);
	idle = rc == 0 ? client_for(&fx.s, SOCK_STREAM, NULL) : -1;
	if (rc == 0 && idle < 0)
		rc = fail("connect: %s", strerror(errno));
	if (rc == 0 && expect_echo(&fx.s, "second client") < 0)
		rc = fail("a first client connected and idles; the second: "
		          "%s",
		          why);
	if (idle >= 0)
		close(idle);
	fx_close(&fx);
	return rc;
}

/* The number of threads the server still lists (a private field). */
static size_t listed_threads(struct ss_server *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nthreads;
	pthread_mutex_unlock(&s->lock);
	return n;
}

struct closer {
	struct fixture *fx;
	int done; /* under seen.lock */
};

static void *close_thread(void *arg)
{
	struct closer *c = arg;

	ss_server_close(&c->fx->s);
	bump(&c->done);
	return NULL;
}

/* Serve 20 clients, then check that the list of threads emptied itself. */
static int serve_many(struct fixture *fx)
{
	double deadline;
	struct timespec tick = {0, 5000000};
	int i;

	for (i = 0; i < 20; i++)
		if (expect_echo(&fx->s, "many") < 0)
			return -1;
	deadline = now() + WAIT_MS / 1000.0;
	while (listed_threads(&fx->s) > 0 && now() < deadline)
		nanosleep(&tick, NULL);
	if (listed_threads(&fx->s) > 0)
		return fail("20 clients served and gone: expected s->threads "
		            "empty, got %zu still listed",
		            listed_threads(&fx->s));
	return 0;
}

/* A client whose handler is still running: ss_server_close must wait. */
static int close_waits(struct fixture *fx, int fd)
{
	struct closer c = {fx, 0};
	char buf[64];
	pthread_t tid;

	if (nt_send_all(fd, "busy", 4) < 0 || wait_readable(fd, WAIT_MS) <= 0)
		return fail("sent 'busy': expected it echoed, got nothing");
	fx_stop(fx);
	pthread_create(&tid, NULL, close_thread, &c);
	if (wait_flag(&c.done, QUIET_MS)) {
		pthread_join(tid, NULL);
		return fail("a handler still running: expected "
		            "ss_server_close() to wait for its thread, it "
		            "returned");
	}
	shutdown(fd, SHUT_WR);
	read_to_eof(fd, buf, sizeof buf);
	if (!wait_flag(&c.done, WAIT_MS))
		return fail("the last client gone: expected ss_server_close() "
		            "to return, it still waits");
	pthread_join(tid, NULL);
	if (peek(&seen.finish) != 21)
		return fail("after ss_server_close(): expected finish called "
		            "21 times, got %d",
		            peek(&seen.finish));
	return 0;
}

static int case_thread_close(void)
{
	struct fixture fx;
	int fd = -1, rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_THREADING) <
	    0)
		return -1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = serve_many(&fx);
	if (rc == 0)
		fd = client_for(&fx.s, SOCK_STREAM, NULL);
	if (rc == 0 && fd < 0)
		rc = fail("connect: %s", strerror(errno));
	if (rc == 0) {
		rc = close_waits(&fx, fd); /* it closes the server */
		close(fd);
		return rc;
	}
	if (fd >= 0)
		close(fd);
	fx_close(&fx);
	return rc;
}

/* Connect, send msg (no half-close) and wait until it is echoed. */
static int busy_client(const struct ss_server *s, const char *msg)
{
	char buf[64];
	int fd = client_for(s, SOCK_STREAM, NULL);

	if (fd < 0)
		return fail("connect: %s", strerror(errno));
	if (nt_send_all(fd, msg, strlen(msg)) < 0 ||
	    wait_readable(fd, WAIT_MS) <= 0 ||
	    recv(fd, buf, sizeof buf, 0) <= 0) {
		close(fd);
		return fail("sent '%s': expected it echoed, got nothing", msg);
	}
	return fd;
}

/*
 * A thread that is not waited for: with daemon_threads 1, or
 * block_on_close 0, ss_server_close() returns while a handler still
 * serves. That thread goes on using the server's class after the close,
 * as a program's would: fx must outlive it, and is never used again.
 */
static int close_does_not_wait(struct fixture *fx, int daemon,
                               int block_on_close)
{
	struct closer c = {fx, 0};
	char buf[64];
	pthread_t tid;
	int fd = -1, rc;

	if (fx_init(fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_THREADING) < 0)
		return -1;
	fx->s.daemon_threads = daemon;
	fx->s.block_on_close = block_on_close;
	rc = fx_serve(fx, TICK);
	if (rc == 0 && (fd = busy_client(&fx->s, "not waited for")) < 0)
		rc = -1;
	if (rc < 0) {
		fx_close(fx);
		return -1;
	}
	fx_stop(fx);
	pthread_create(&tid, NULL, close_thread, &c);
	if (!wait_flag(&c.done, WAIT_MS))
		rc = fail("daemon_threads %d, block_on_close %d, a handler "
		          "still running: expected ss_server_close() to "
		          "return without waiting for its thread, it waits",
		          daemon, block_on_close);
	/* The client leaves: the handler, and its thread, end. */
	shutdown(fd, SHUT_WR);
	read_to_eof(fd, buf, sizeof buf);
	close(fd);
	pthread_join(tid, NULL);
	if (!wait_flag(&seen.finish, WAIT_MS) && rc == 0)
		rc = fail("its client gone: expected the handler to finish");
	return rc;
}

static int case_daemon_threads(void)
{
	static struct fixture daemon, unblocked;

	if (close_does_not_wait(&daemon, 1, 1) < 0)
		return -1;
	return close_does_not_wait(&unblocked, 0, 0);
}

static int fork_limit(struct fixture *fx)
{
	char buf[64];
	ssize_t n;
	int first, second, quiet;

	first = busy_client(&fx->s, "first");
	if (first < 0)
		return -1;
	second = client_for(&fx->s, SOCK_STREAM, NULL);
	if (second < 0 || nt_send_all(second, "second", 6) < 0 ||
	    shutdown(second, SHUT_WR) < 0) {
		close(first);
		return fail("second client: %s", strerror(errno));
	}
	quiet = wait_readable(second, QUIET_MS) == 0;
	shutdown(first, SHUT_WR);
	read_to_eof(first, buf, sizeof buf);
	n = read_to_eof(second, buf, sizeof buf);
	close(first);
	close(second);
	if (!quiet)
		return fail("max_children 1, the first child busy: expected "
		            "no reply to the second client yet, got one");
	if (n != 6 || memcmp(buf, "second", 6) != 0)
		return fail("the first client done: expected 'second' back, "
		            "got %zd bytes",
		            n);
	return 0;
}

static int case_fork_limit(void)
{
	struct fixture fx;
	int rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_FORKING) < 0)
		return -1;
	fx.s.max_children = 1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = fork_limit(&fx);
	fx_close(&fx);
	return rc;
}

/* How many of our children there are (zombies_only: in state Z), from
 * /proc/PID/stat ("PID (COMM) STATE PPID ...", COMM may hold anything). */
static int count_children(int zombies_only)
{
	char path[300], line[512], *p, state;
	struct dirent *e;
	int n = 0, ppid;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
		fclose(f);
		if (p != NULL && sscanf(p, ") %c %d", &state, &ppid) == 2 &&
		    (state == 'Z' || !zombies_only) && ppid == getpid())
			n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static int case_fork_zombies(void)
{
	struct timespec tick = {0, 10000000};
	struct fixture fx;
	double deadline;
	int rc, i;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_FORKING) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	for (i = 0; rc == 0 && i < 3; i++)
		rc = expect_echo(&fx.s, "forked");
	/* Until every child is gone: "no zombie now" alone would pass while
	 * the last child still runs, and it may turn zombie a moment later. */
	deadline = now() + WAIT_MS / 1000.0;
	while (rc == 0 && count_children(0) > 0 && now() < deadline)
		nanosleep(&tick, NULL);
	if (rc == 0 && count_children(0) > 0)
		rc = fail(
		        "3 clients served while serving: expected their "
		        "children reaped, got %d zombies (%d children in all)",
		        count_children(1), count_children(0));
	fx_close(&fx);
	if (rc == 0 && (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD))
		rc = fail("after ss_server_close(): expected no child left "
		          "(ECHILD), got one");
	return rc;
}

/* Send each datagram in turn and expect it back whole, one for one. */
static int expect_datagrams(int fd, const size_t *sizes, int count)
{
	static char out[65536], in[65536];
	ssize_t n;
	int i;

	for (i = 0; i < count; i++) {
		memset(out, 'a' + i, sizes[i]);
		if (send(fd, out, sizes[i], 0) < 0)
			return fail("send %zu bytes: %s", sizes[i],
			            strerror(errno));
	}
	for (i = 0; i < count; i++) {
		memset(out, 'a' + i, sizes[i]);
		n = wait_readable(fd, WAIT_MS) > 0 ? recv(fd, in, sizeof in, 0)
		                                   : -1;
		if (n != (ssize_t)sizes[i] || memcmp(in, out, sizes[i]) != 0)
			return fail("sent datagram %d of %zu bytes: expected "
			            "it back whole, got %zd bytes",
			            i + 1, sizes[i], n);
	}
	return 0;
}

static int datagram_echo(const struct ss_server_ops *ops, const char *host,
                         const char *port, const char *client,
                         const size_t *sizes, int count)
{
	struct fixture fx;
	int fd, rc;

	if (fx_init(&fx, ops, host, port, SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	fd = rc == 0 ? client_for(&fx.s, SOCK_DGRAM, client) : -1;
	if (rc == 0 && fd < 0)
		rc = fail("datagram client: %s", strerror(errno));
	if (rc == 0)
		rc = expect_datagrams(fd, sizes, count);
	if (fd >= 0)
		close(fd);
	if (client != NULL)
		unlink(client);
	fx_close(&fx);
	if (rc == 0)
		rc = expect_seen("datagrams", count, count, count, 0);
	return rc;
}

static int case_udp_big(void)
{
	static const size_t sizes[] = {8192};

	return datagram_echo(&ss_udp_server_ops, "127.0.0.1", "0", NULL, sizes,
	                     1);
}

static int case_udp_boundary(void)
{
	static const size_t sizes[] = {100, 50};

	return datagram_echo(&ss_udp_server_ops, "127.0.0.1", "0", NULL, sizes,
	                     2);
}

static int case_unix_stream(void)
{
	struct fixture fx;
	char path[256];
	int rc;

	sock_path(path, sizeof path, "us");
	if (fx_init(&fx, &ss_unix_stream_server_ops, path, NULL, SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = expect_echo(&fx.s, "over a Unix stream");
	fx_close(&fx);
	return rc;
}

static int case_unix_dgram(void)
{
	static const size_t sizes[] = {13, 7};
	char path[256], client[256];

	sock_path(path, sizeof path, "ud");
	sock_path(client, sizeof client, "uc");
	return datagram_echo(&ss_unix_datagram_server_ops, path, NULL, client,
	                     sizes, 2);
}

/* The lowest free descriptor: it changes if one was leaked. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static int case_unix_toolong(void)
{
	char path[300], prefix[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct fixture fx;
	struct stat st;
	int before = lowest_free_fd(), after;

	snprintf(path, sizeof path, "%s/%0200d", dir, 0);
	memcpy(prefix, path, sizeof prefix - 1); /* what would be bound */
	prefix[sizeof prefix - 1] = '\0';
	if (fx_init(&fx, &ss_unix_stream_server_ops, path, NULL, SS_SYNC) ==
	    0) {
		ss_server_close(&fx.s);
		return fail("a %zu-byte path: expected ss_server_init() to "
		            "fail, it succeeded",
		            strlen(path));
	}
	if (errno != ENAMETOOLONG)
		return fail("a %zu-byte path: expected ENAMETOOLONG, got %s",
		            strlen(path), strerror(errno));
	after = lowest_free_fd();
	if (after != before)
		return fail("expected no descriptor left open, the lowest "
		            "free went from %d to %d",
		            before, after);
	if (stat(prefix, &st) == 0 || stat(path, &st) == 0)
		return fail("expected no file created, found one (truncated "
		            "path?)");
	return 0;
}

/* Python's address_family: a class that names one family refuses the
 * other's address, before anything is created. */
static int case_family(void)
{
	struct ss_server_ops v6only = ss_tcp_server_ops;
	struct ss_server s;
	int before = lowest_free_fd(), after;

	v6only.address_family = AF_INET6;
	if (ss_server_init(&s, &v6only, "127.0.0.1", "0", &echo, SS_SYNC) ==
	    0) {
		ss_server_close(&s);
		return fail("a class of address_family AF_INET6 on 127.0.0.1: "
		            "expected ss_server_init() to fail, it succeeded");
	}
	if (errno != EAFNOSUPPORT)
		return fail("a class of address_family AF_INET6 on 127.0.0.1: "
		            "expected EAFNOSUPPORT, got %s",
		            strerror(errno));
	after = lowest_free_fd();
	if (after != before)
		return fail("expected no descriptor left open, the lowest "
		            "free went from %d to %d",
		            before, after);
	return 0;
}

static int case_unix_unlink(void)
{
	struct fixture fx, other;
	char path[256];
	struct stat st;
	int rc = 0;

	sock_path(path, sizeof path, "uu");
	if (fx_init(&fx, &ss_unix_stream_server_ops, path, NULL, SS_SYNC) < 0)
		return -1;
	if (fx_init(&other, &ss_unix_stream_server_ops, path, NULL, SS_SYNC) ==
	    0) {
		ss_server_close(&other.s);
		rc = fail("a second server on %s: expected EADDRINUSE, it "
		          "succeeded",
		          path);
	} else if (errno != EADDRINUSE) {
		rc = fail("a second server on %s: expected EADDRINUSE, got %s",
		          path, strerror(errno));
	} else if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		rc = fail("the failed second server: expected the first's "
		          "socket file kept, it is gone");
	}
	ss_server_close(&fx.s);
	if (rc == 0 && stat(path, &st) == 0)
		rc = fail("after ss_server_close(): expected %s removed, it "
		          "is still there",
		          path);
	return rc;
}

/* ---- Limits: the largest datagrams, stale socket files, max_children,
 * descriptors running out, the program's stop. ---- */

static int case_udp_largest(void)
{
	static const size_t sizes[] = {65507};

	return datagram_echo(&ss_udp_server_ops, "127.0.0.1", "0", NULL, sizes,
	                     1);
}

#define LONG_DGRAM 70000 /* longer than max_packet_size, 65535 */

/* The next datagram on fd, whole (Linux: MSG_TRUNC gives its real
 * length), within WAIT_MS. Returns its length, or -1. */
static ssize_t next_datagram(int fd, char *buf, size_t cap)
{
	if (wait_readable(fd, WAIT_MS) <= 0)
		return -1;
	return recv(fd, buf, cap, MSG_TRUNC);
}

/* Send 65,507, 65,535 and LONG_DGRAM bytes, then 5: the first two come
 * back whole; the long one whole, or not at all and reported (EMSGSIZE);
 * never cut. The last shows that the loop went on. */
static int long_datagrams(struct fixture *fx, int fd)
{
	static const size_t sizes[] = {65507, 65535, LONG_DGRAM, 5};
	static char out[LONG_DGRAM], in[LONG_DGRAM + 1];
	ssize_t n;
	int i;

	for (i = 0; i < 4; i++) {
		memset(out, 'a' + i, sizes[i]);
		if (send(fd, out, sizes[i], 0) < 0)
			return fail("send %zu bytes: %s", sizes[i],
			            strerror(errno));
	}
	for (i = 0; i < 4; i++) {
		n = next_datagram(fd, in, sizeof in);
		if (i == 2 && n == (ssize_t)sizes[3])
			i = 3; /* the long one did not come back */
		memset(out, 'a' + i, sizes[i]);
		if (n == (ssize_t)sizes[i] && memcmp(in, out, sizes[i]) == 0)
			continue;
		if (i == 2)
			return fail("sent %d bytes, more than max_packet_size "
			            "(%zu): expected them back whole, or not "
			            "at all and reported; got %zd bytes back%s",
			            LONG_DGRAM, fx->s.max_packet_size, n,
			            n == LONG_DGRAM
			                    ? ", not the bytes sent (read "
			                      "past the packet?)"
			                    : " (cut)");
		return fail("sent datagrams of 65507, 65535, %d and 5 "
		            "bytes: expected the one of %zu bytes back "
		            "whole, got %zd bytes",
		            LONG_DGRAM, sizes[i], n);
	}
	return 0;
}

static int case_unix_dgram_largest(void)
{
	struct fixture fx;
	char path[256], client[256];
	int fd, rc, errors, err;

	sock_path(path, sizeof path, "ul");
	sock_path(client, sizeof client, "uk");
	if (fx_init(&fx, &ss_unix_datagram_server_ops, path, NULL, SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	fd = rc == 0 ? client_for(&fx.s, SOCK_DGRAM, client) : -1;
	if (rc == 0 && fd < 0)
		rc = fail("datagram client: %s", strerror(errno));
	if (rc == 0)
		rc = long_datagrams(&fx, fd);
	if (fd >= 0)
		close(fd);
	unlink(client);
	fx_close(&fx);
	pthread_mutex_lock(&seen.lock);
	errors = seen.error;
	err = seen.error_errno;
	pthread_mutex_unlock(&seen.lock);
	if (rc == 0 && peek(&seen.handle) == 3 &&
	    (errors != 1 || err != EMSGSIZE))
		rc = fail("a datagram of %d bytes, longer than "
		          "max_packet_size, was not echoed: expected it "
		          "reported, handle_error once with EMSGSIZE, got %d "
		          "calls (errno %s)",
		          LONG_DGRAM, errors, err ? strerror(err) : "0");
	return rc;
}

/* Leave a socket file at path that nobody serves, as a server killed
 * before its server_close() does. Returns 0, or -1 with errno set. */
static int make_stale(const char *path, int type)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type, 0), rc = -1;

	snprintf(un.sun_path, sizeof un.sun_path, "%.107s", path);
	unlink(path);
	if (fd >= 0)
		rc = bind(fd, (struct sockaddr *)&un, sizeof un);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int stale_stream(const char *path)
{
	struct fixture fx;
	int rc;

	if (make_stale(path, SOCK_STREAM) < 0)
		return fail("making a stale socket file: %s", strerror(errno));
	if (fx_init(&fx, &ss_unix_stream_server_ops, path, NULL, SS_SYNC) < 0)
		return fail_again("a stale socket file at the path (its server "
		                  "closed it and left): expected "
		                  "ss_server_init() to replace it");
	rc = fx_serve(&fx, TICK);
	if (rc == 0)
		rc = expect_echo(&fx.s, "on a stale path");
	fx_close(&fx);
	if (rc == 0 && access(path, F_OK) == 0)
		rc = fail("after ss_server_close(): expected %s removed, it "
		          "is still there",
		          path);
	return rc;
}

static int case_unix_stale(void)
{
	static const size_t sizes[] = {9};
	char path[256], client[256];

	sock_path(path, sizeof path, "st");
	sock_path(client, sizeof client, "sc");
	if (stale_stream(path) < 0)
		return -1;
	if (make_stale(path, SOCK_DGRAM) < 0)
		return fail("making a stale socket file: %s", strerror(errno));
	if (datagram_echo(&ss_unix_datagram_server_ops, path, NULL, client,
	                  sizes, 1) < 0)
		return fail_again("a stale datagram socket file at the path: "
		                  "expected it replaced and served");
	return 0;
}

/* ss_server_init() of ops on path must fail with EADDRINUSE. */
static int expect_in_use(const struct ss_server_ops *ops, const char *path,
                         const char *what)
{
	struct ss_server s;

	if (ss_server_init(&s, ops, path, NULL, &echo, SS_SYNC) == 0) {
		ss_server_close(&s);
		return fail("%s at the path: expected a %s to fail "
		            "(EADDRINUSE), it took the path",
		            what, ops->name);
	}
	if (errno != EADDRINUSE)
		return fail("%s at the path: expected EADDRINUSE, got %s", what,
		            strerror(errno));
	return 0;
}

/* A live socket of type at path (listening, backlog 0, for a stream).
 * Returns it, or -1 with errno set. */
static int live_socket(const char *path, int type)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type, 0);

	snprintf(un.sun_path, sizeof un.sun_path, "%.107s", path);
	unlink(path);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&un, sizeof un) == 0 &&
	    (type != SOCK_STREAM || listen(fd, 0) == 0))
		return fd;
	close(fd);
	return -1;
}

/* The datagram socket live still owns path: a datagram sent there
 * arrives on it. */
static int still_owns(int live, const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0), ok = 0;
	char c;

	snprintf(un.sun_path, sizeof un.sun_path, "%.107s", path);
	if (fd >= 0 &&
	    sendto(fd, "x", 1, 0, (struct sockaddr *)&un, sizeof un) == 1)
		ok = wait_readable(live, WAIT_MS) > 0 &&
		     recv(live, &c, 1, 0) == 1;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A live stream socket whose queue is full: a blocking connect() to it
 * waits, for as long as the queue stays full. */
static int full_queue(const char *path, int *pending)
{
	int live = live_socket(path, SOCK_STREAM);
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	snprintf(un.sun_path, sizeof un.sun_path, "%.107s", path);
	*pending = socket(AF_UNIX, SOCK_STREAM, 0);
	if (live < 0 || *pending < 0 || np_set_nonblocking(*pending) < 0 ||
	    connect(*pending, (struct sockaddr *)&un, sizeof un) < 0) {
		if (live >= 0)
			close(live);
		return -1;
	}
	return live;
}

static int not_stale(const char *path)
{
	int live, pending = -1, fd, rc;

	live = live_socket(path, SOCK_DGRAM);
	if (live < 0)
		return fail("a live datagram socket: %s", strerror(errno));
	rc = expect_in_use(&ss_unix_stream_server_ops, path,
	                   "a live Unix datagram socket");
	if (rc == 0 && !still_owns(live, path))
		rc = fail("a stream server refused on the path of a live "
		          "datagram socket: expected that socket still "
		          "reachable at the path, it is not (file removed?)");
	close(live);
	if (rc < 0)
		return -1;
	live = full_queue(path, &pending);
	if (live < 0)
		return fail("a listening socket with a full queue: %s",
		            strerror(errno));
	rc = expect_in_use(&ss_unix_stream_server_ops, path,
	                   "a live stream socket, its queue full");
	close(pending);
	close(live);
	unlink(path);
	fd = rc == 0 ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
	if (rc == 0 && (fd < 0 || write(fd, "keep", 4) != 4))
		rc = fail("writing a regular file: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = expect_in_use(&ss_unix_datagram_server_ops, path,
		                   "a regular file (not a socket)");
	return rc;
}

/* Run fn in a child process, bounded by ms: a wait that never ends fails
 * the case instead of hanging the run. fn gets the write end of a pipe:
 * a NUL byte there asks the parent for SIGTERM (QUIET_MS / 4 later); why
 * comes back through it when fn fails. Returns 0 if fn returned 0 in
 * time, else -1 with why set. */
static int in_child(int (*fn)(int report), int ms)
{
	struct timespec pause = {0, QUIET_MS / 4 * 1000000L};
	char buf[sizeof why];
	int p[2], status = 0, eof = 0;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	if (pipe(p) < 0)
		return fail("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		if (fn(p[1]) == 0)
			_exit(0);
		if (write(p[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(1);
	}
	close(p[1]);
	while (!eof && n < sizeof buf - 1 && wait_readable(p[0], ms) > 0) {
		got = read(p[0], buf + n, sizeof buf - 1 - n);
		eof = got <= 0;
		if (got > 0 && buf[n] == '\0') { /* SIGTERM, please */
			nanosleep(&pause, NULL);
			kill(pid, SIGTERM);
			memmove(buf + n, buf + n + 1, (size_t)--got);
		}
		n += got > 0 ? (size_t)got : 0;
	}
	buf[n] = '\0';
	close(p[0]);
	if (!eof)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!eof)
		return fail("the case did not end within %d ms: %s", ms,
		            n > 0 ? buf : "(no report)");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return fail("%s", n > 0 ? buf : "the child failed");
}

static int not_stale_child(int report)
{
	char path[256];

	(void)report;
	sock_path(path, sizeof path, "ns");
	return not_stale(path);
}

static int case_unix_not_stale(void)
{
	return in_child(not_stale_child, WAIT_MS);
}

/* ss_shutdown() from a thread of its own, so that a hang can be seen. */
static void *shutdown_thread(void *arg)
{
	struct closer *c = arg;

	ss_shutdown(&c->fx->s);
	bump(&c->done);
	return NULL;
}

/* At max_children, a client queued: the loop sleeps, and stops at once. */
static int at_child_limit(struct fixture *fx, int first)
{
	struct timespec quiet = {0, WATCH_MS * 1000000L};
	struct closer c = {fx, 0};
	char buf[64];
	pthread_t tid;
	double cpu;
	int second, rc = 0, stopped;

	second = client_for(&fx->s, SOCK_STREAM, NULL);
	if (second < 0 || nt_send_all(second, "second", 6) < 0)
		return fail("second client: %s", strerror(errno));
	cpu = cpu_seconds(fx->tid);
	nanosleep(&quiet, NULL);
	cpu = cpu_seconds(fx->tid) - cpu;
	if (cpu > BUSY_S)
		rc = fail("max_children 1 reached, a second client queued: "
		          "expected serve_forever() asleep, it used %.2f s of "
		          "CPU in %.2f s (polling a socket it takes nothing "
		          "from?)",
		          cpu, WATCH_MS / 1000.0);
	pthread_create(&tid, NULL, shutdown_thread, &c);
	stopped = wait_flag(&c.done, 1000);
	if (!stopped && rc == 0)
		rc = fail("max_children 1 reached, a second client queued: "
		          "expected ss_shutdown() to return within 1 s, it "
		          "still waits (serve_forever() waiting for a child?)");
	/* The first client leaves: a loop that waited for its child goes
	 * on, sees the shutdown, and the thread can be joined. */
	shutdown(first, SHUT_WR);
	read_to_eof(first, buf, sizeof buf);
	pthread_join(tid, NULL);
	close(second);
	return rc;
}

static int case_fork_limit_stop(void)
{
	struct fixture fx;
	int first = -1, rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_FORKING) < 0)
		return -1;
	fx.s.max_children = 1;
	rc = fx_serve(&fx, TICK);
	if (rc == 0 && (first = busy_client(&fx.s, "first")) < 0)
		rc = -1;
	if (rc == 0)
		rc = at_child_limit(&fx, first);
	if (first >= 0)
		close(first);
	fx_close(&fx);
	return rc;
}

/*
 * Descriptors run out: this process's soft limit on them lowered to the
 * lowest free one, from outside, with prlimit(1) (util-linux), as the
 * harness's np_limit_fds does: under valgrind, setrlimit() changes only
 * valgrind's idea of the limit, which then accepts a connection itself and
 * closes it. One helper, started while descriptors are still free, lowers
 * the limit, says so, and restores it when its stdin closes.
 */
struct drought {
	pid_t pid;
	int to, from; /* the helper's stdin, stdout */
};

static int drought_start(struct drought *d)
{
	char cmd[256];
	int in[2], out[2];
	struct rlimit old;

	if (getrlimit(RLIMIT_NOFILE, &old) < 0 || pipe(in) < 0)
		return fail("getrlimit, pipe: %s", strerror(errno));
	if (pipe(out) < 0) {
		close(in[0]);
		close(in[1]);
		return fail("pipe: %s", strerror(errno));
	}
	d->to = in[1];
	d->from = out[0];
	/* The lowest free descriptor once the child's ends are closed. */
	snprintf(cmd, sizeof cmd,
	         "prlimit --pid %ld --nofile=%d: && echo lowered && read x; "
	         "prlimit --pid %ld --nofile=%llu:",
	         (long)getpid(), out[1] < in[0] ? out[1] : in[0],
	         (long)getpid(), (unsigned long long)old.rlim_cur);
	fflush(stdout);
	d->pid = fork();
	if (d->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]); /* else its stdin never ends */
		close(out[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (d->pid < 0)
		return fail("fork: %s", strerror(errno));
	return 0;
}

/* Wait until the helper lowered the limit. Returns 0, or -1 (why). */
static int drought_started(struct drought *d)
{
	char buf[16];

	if (wait_readable(d->from, WAIT_MS) <= 0 ||
	    read(d->from, buf, sizeof buf) < 7)
		return fail("prlimit --pid %ld --nofile=N failed: util-linux's "
		            "prlimit is needed",
		            (long)getpid());
	return 0;
}

/* The limit restored, the helper gone. */
static void drought_end(struct drought *d)
{
	if (d->to >= 0)
		close(d->to);
	if (d->pid > 0)
		waitpid(d->pid, NULL, 0);
	if (d->from >= 0)
		close(d->from);
}

/* With the descriptors exhausted (EMFILE), watch the loop for a while. */
static int starved(struct fixture *fx, int fd)
{
	struct timespec watch = {0, WATCH_MS * 1000000L};
	struct drought d = {-1, -1, -1};
	int errors, err, rc;
	double cpu;

	rc = drought_start(&d);
	if (rc == 0)
		rc = drought_started(&d);
	/* The client's socket exists already: connecting needs none. */
	if (rc == 0 &&
	    (connect(fd, (const struct sockaddr *)&fx->s.address,
	             fx->s.addrlen) < 0 ||
	     nt_send_all(fd, "drought", 7) < 0 || shutdown(fd, SHUT_WR) < 0))
		rc = fail("client: %s", strerror(errno));
	cpu = cpu_seconds(fx->tid);
	nanosleep(&watch, NULL);
	cpu = cpu_seconds(fx->tid) - cpu;
	pthread_mutex_lock(&seen.lock);
	errors = seen.error;
	err = seen.error_errno;
	pthread_mutex_unlock(&seen.lock);
	drought_end(&d);
	if (rc == 0 && cpu > BUSY_S)
		rc = fail("accept() failing with EMFILE, a client queued: "
		          "expected the loop to pause, it used %.2f s of CPU "
		          "in %.2f s (a busy loop)",
		          cpu, WATCH_MS / 1000.0);
	if (rc == 0 && (errors != 1 || err != EMFILE))
		rc = fail("accept() failing with EMFILE for %.2f s: expected "
		          "handle_error called once (the first failure of a "
		          "run), with EMFILE, got %d calls (errno %s)",
		          WATCH_MS / 1000.0, errors, err ? strerror(err) : "0");
	return rc;
}

static int case_starved(void)
{
	struct fixture fx;
	char buf[64];
	ssize_t n;
	int fd, rc;

	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	rc = fx_serve(&fx, TICK);
	fd = rc == 0 ? socket(fx.s.family, SOCK_STREAM, 0) : -1;
	if (rc == 0 && fd < 0)
		rc = fail("socket: %s", strerror(errno));
	if (rc == 0)
		rc = starved(&fx, fd);
	if (rc == 0) {
		n = read_to_eof(fd, buf, sizeof buf);
		if (n != 7 || memcmp(buf, "drought", 7) != 0)
			rc = fail("descriptors free again: expected the "
			          "queued client served, 'drought' back, got "
			          "%s",
			          n < 0 ? strerror(errno) : "other bytes");
	}
	if (fd >= 0)
		close(fd);
	fx_close(&fx);
	return rc;
}

/* In a child: the program's stop (np_catch_signals(), then SIGTERM from
 * the parent once the child says it waits) ends ss_handle_request(), which
 * would wait for ever, and serve_forever() returns at once after it. */
static int stop_child(int report)
{
	struct fixture fx;
	double t0, dt;
	int rc = 0, r;

	if (np_catch_signals() < 0)
		return fail("np_catch_signals: %s", strerror(errno));
	if (fx_init(&fx, &ss_tcp_server_ops, "127.0.0.1", "0", SS_SYNC) < 0)
		return -1;
	fx.s.timeout = -1;
	t0 = now();
	if (write(report, "", 1) != 1) /* the parent sends SIGTERM */
		rc = fail("pipe: %s", strerror(errno));
	r = rc == 0 ? ss_handle_request(&fx.s) : 0;
	dt = now() - t0;
	if (rc == 0 && (r != 0 || peek(&seen.timeout) != 0 || dt > 1.0))
		rc = fail("SIGTERM (np_catch_signals) during "
		          "ss_handle_request(), timeout -1: expected 0 within "
		          "1 s, no handle_timeout; got %d after %.2f s, %d "
		          "calls",
		          r, dt, peek(&seen.timeout));
	t0 = now();
	if (rc == 0 && ss_serve_forever(&fx.s, 5.0) != 0)
		rc = fail("serve_forever() after the stop: expected 0, got -1");
	if (rc == 0 && now() - t0 > 1.0)
		rc = fail("serve_forever(5.0) once np_stop is set: expected it "
		          "to return at once, it took %.2f s",
		          now() - t0);
	ss_server_close(&fx.s);
	return rc;
}

/* in_child(), the parent's side: SIGTERM once the child is waiting. */
static int case_stop(void)
{
	return in_child(stop_child, WAIT_MS);
}

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
        {"05.1 port 0 becomes the real port in s->address; the socket "
         "listens, SO_REUSEADDR set",
         case_port0},
        {"05.1 the same on ::1 (IPv6): the whole address bound, its real "
         "port in s->address",
         case_port0_ipv6},
        {"05.1 a class of address_family AF_INET6 refuses an IPv4 address "
         "(EAFNOSUPPORT), nothing left open",
         case_family},
        {"05.2 05.3 05.4 TCP echo through a handler: setup, handle, finish "
         "each once",
         case_echo},
        {"05.3 verify_request returning 0: the client reads EOF, no handler "
         "runs",
         case_refuse},
        {"05.3 an override of verify_request calling the parent's (super) "
         "serves the client",
         case_super},
        {"05.2 05.3 accept() out of descriptors (EMFILE): no busy loop, "
         "reported once, the queued client served once they are free",
         case_starved},
        {"05.4 a failing handle: handle_error called, finish still called, "
         "the next client served",
         case_handle_fails},
        {"05.4 a failing setup: handle and finish skipped, handle_error "
         "called",
         case_setup_fails},
        {"05.2 05.10 ss_shutdown from another thread returns at once, "
         "serve_forever returns 0 and can serve again",
         case_shutdown},
        {"05.2 05.10 serving again after a shutdown, idle: asleep in poll(), "
         "the wake-up consumed",
         case_idle_again},
        {"05.10 ss_request_shutdown in a signal handler stops serve_forever",
         case_request_shutdown},
        {"05.9 ss_handle_request, timeout 0.2 s, no client: handle_timeout "
         "once, after >= 0.2 s",
         case_timeout},
        {"05.9 ss_handle_request, timeout 1 s, a signal during the wait: "
         "handle_timeout still after 1 s, not sooner, not later",
         case_timeout_signal},
        {"05.9 ss_handle_request serves the client that is waiting",
         case_handle_one},
        {"05.2 05.9 the program's stop (np_stop, SIGTERM) ends "
         "ss_handle_request's endless wait; serve_forever returns at once",
         case_stop},
        {"05.7 threading: a second client is served while the first idles",
         case_threading},
        {"05.7 threading: finished threads leave the list; ss_server_close "
         "waits for a running one",
         case_thread_close},
        {"05.7 threading: daemon_threads, or block_on_close 0: "
         "ss_server_close does not wait for the thread",
         case_daemon_threads},
        {"05.8 forking, max_children 1: the second client is served only "
         "after the first finished",
         case_fork_limit},
        {"05.8 forking: children reaped while serving, none left after "
         "ss_server_close",
         case_fork_zombies},
        {"05.8 forking at max_children 1, a client queued: no busy loop, "
         "and ss_shutdown returns at once (no wait for a child)",
         case_fork_limit_stop},
        {"05.5 UDP: an 8192-byte datagram comes back intact", case_udp_big},
        {"05.5 UDP: datagrams of 100 and 50 bytes come back as two",
         case_udp_boundary},
        {"05.5 UDP: a datagram of 65,507 bytes, the largest over IPv4, "
         "comes back whole",
         case_udp_largest},
        {"05.5 Unix datagrams of 65,507 and 65,535 bytes come back whole; "
         "one of 70,000 whole, or reported (EMSGSIZE), never cut",
         case_unix_dgram_largest},
        {"05.6 Unix stream echo", case_unix_stream},
        {"05.6 Unix datagram echo", case_unix_dgram},
        {"05.6 a Unix path longer than sun_path: ENAMETOOLONG, nothing "
         "created",
         case_unix_toolong},
        {"05.6 ss_server_close removes the path; a path in use fails "
         "(EADDRINUSE) and is kept",
         case_unix_unlink},
        {"05.6 05.11 a stale socket file (its server gone, the file left) "
         "is replaced, stream and datagram",
         case_unix_stale},
        {"05.6 05.11 never replaced (EADDRINUSE): a live socket of the other "
         "type, a live one with a full queue (the probe never blocks), a "
         "regular file",
         case_unix_not_stale},
};

#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* Does the case name start with the TODO id (e.g. "05.1", not "05.10")? */
static int names_todo(const char *name, const char *id)
{
	size_t len = strlen(id);

	while (*name >= '0' && *name <= '9') {
		if (strncmp(name, id, len) == 0 && name[len] == ' ')
			return 1;
		name = strchr(name, ' ');
		if (name == NULL)
			return 0;
		name++;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	int selected[NCASES], i, j, n, count = 0, failed = 0;

	np_progname = "ss-check";
	if (argc < 2) {
		fprintf(stderr, "usage: ss-check DIR [CASE|TODO-ID...]\n");
		return 2;
	}
	dir = argv[1];
	for (i = 0; i < NCASES; i++)
		selected[i] = argc == 2;
	for (i = 2; i < argc; i++) {
		if (strchr(argv[i], '.') != NULL) {
			for (j = 0; j < NCASES; j++)
				selected[j] |=
				        names_todo(cases[j].name, argv[i]);
			continue;
		}
		n = atoi(argv[i]);
		if (n < 1 || n > NCASES) {
			fprintf(stderr, "ss-check: no case %s (1..%d)\n",
			        argv[i], NCASES);
			return 2;
		}
		selected[n - 1] = 1;
	}
	for (i = 0; i < NCASES; i++)
		count += selected[i];
	if (np_ignore_sigpipe() < 0)
		np_die("sigaction:");
	alarm(RUN_LIMIT);
	printf("1..%d\n", count);
	fflush(stdout);
	for (i = 0, n = 0; i < NCASES; i++) {
		if (!selected[i])
			continue;
		why[0] = '\0';
		if (cases[i].run() == 0) {
			printf("ok %d - %s\n", ++n, cases[i].name);
		} else {
			printf("not ok %d - %s: %s\n", ++n, cases[i].name, why);
			failed++;
		}
		fflush(stdout);
	}
	return failed == 0 ? 0 : 1;
}
