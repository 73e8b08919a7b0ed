/*
 * np.h - small helpers shared by every lesson of netprog.
 *
 * These are given to you: read them, use them, do not edit them. They hold
 * what every program needs but no lesson is about (parsing a number,
 * signals, reporting errors, the ready line), so each lesson's exercise
 * stays about sockets. From lesson 03 on, np-net.h adds the socket set-up
 * you wrote yourself in lessons 01 and 02.
 *
 * One error contract holds in every C file of the lessons and their
 * solutions, as in Redis's anet.c and TLPI's inet_sockets.c:
 *
 *  1. A helper reports a failure to its caller and does nothing else: it
 *     returns -1 (or NULL) with errno set, or a value of its own that
 *     names the failure (an end of file, a timeout). Where errno cannot
 *     say it, words for the peer or from it (a JSON error reply, a frame
 *     the protocol refuses, the message a server sent back), it fills a
 *     reason buffer its caller passes instead, and its comment says so.
 *     It never prints and never exits: the caller decides what the
 *     failure means.
 *  2. The code that decides reports: main, and the loops that serve a
 *     connection or run a session (they return nothing: they log the
 *     failure, close that connection and go on). A function that returns
 *     a result never prints.
 *  3. Only main ends the program (a return, or np_die()). The functions
 *     in the START-UP section below are the only ones here that print or
 *     exit, and they are for main and those loops.
 *
 * The course's CI checks these rules on every C file of the lessons and
 * their solutions (tools/check-errors, in the instructors' copy).
 */
#ifndef NP_H
#define NP_H

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * Becomes non-zero once SIGINT or SIGTERM arrived (see np_catch_signals).
 * Atomic, not only volatile: threads read it while a signal handler, in
 * another thread, may be writing it.
 */
extern volatile _Atomic sig_atomic_t np_stop;

/*
 * Parse a decimal number min..max: digits only (no sign, no spaces).
 * Returns 0 with *out set, or -1 with errno EINVAL if s is not one.
 */
int np_parse_long(const char *s, long min, long max, long *out);

/* Parse a decimal port 0..65535. Returns 0, or -1 (EINVAL). */
int np_parse_port(const char *s, uint16_t *port);

/* Parse a decimal number of seconds 1..3600. Returns 0, or -1 (EINVAL). */
int np_parse_seconds(const char *s, int *seconds);

/*
 * Make SIGINT and SIGTERM set np_stop and wake np_wait_readable() (the
 * self-pipe trick: the handler writes a byte to a pipe that the wait also
 * watches). Checking np_stop and then blocking in accept() has a gap: a
 * signal that lands between the two would be noticed only when the next
 * client comes; the byte in the pipe closes that gap. Handlers use
 * SA_RESTART; a recv() or send() with a timeout may still fail with EINTR.
 * SIGPIPE is ignored: a peer that went away must be an EPIPE error on one
 * connection, not the death of the whole server. A forked child that calls
 * it again gets a pipe of its own, so its signals do not wake the parent.
 * Returns 0, or -1 with errno set.
 */
int np_catch_signals(void);

/*
 * The self-pipe's read end: it becomes readable, and stays readable, once
 * SIGINT or SIGTERM arrived. Put it in your own poll() set to be woken.
 */
int np_stop_fd(void);

/*
 * Deadlines. A timeout on each read (SO_RCVTIMEO) bounds one wait, not a
 * request: a client that sends a byte just before each timeout holds the
 * server for ever (slowloris). A deadline bounds the whole: fix the time
 * by which the request must be in, once, and wait before each read only
 * for what is left of it. Times are milliseconds on CLOCK_MONOTONIC, a
 * clock that never jumps when the system time is set.
 */
#define NP_NO_DEADLINE (-1LL)

/* Now, in milliseconds on the monotonic clock; add a wait to it for a
 * deadline. */
long long np_now_ms(void);

/* What is left until deadline, as poll()'s timeout: 0 once it has
 * passed, -1 (wait for ever) for NP_NO_DEADLINE. */
int np_ms_left(long long deadline);

/*
 * Wait until fd is ready for events (POLLIN, POLLOUT; an error or hang-up
 * on fd counts as ready: the next call on fd reports it), the deadline
 * passes, or SIGINT or SIGTERM arrives. Returns 1 when fd is ready, 0
 * once a stop was asked for (np_stop), -1 with errno ETIMEDOUT when the
 * deadline passed first, or -1 with poll()'s errno. A signal that is not
 * a stop does not end the wait, nor lengthen it.
 */
int np_wait_fd(int fd, short events, long long deadline);

/*
 * np_wait_fd(fd, POLLIN, NP_NO_DEADLINE): wait until fd is readable (for a
 * listening socket: a connection is ready to accept). Returns 1 when it
 * is, 0 once SIGINT or SIGTERM has arrived, -1 with errno set on error.
 * Use it after np_catch_signals().
 */
int np_wait_readable(int fd);

/*
 * Pause ms milliseconds, or less if SIGINT or SIGTERM arrives. Returns 1
 * after the whole pause, 0 once a stop was asked for.
 */
int np_sleep_ms(int ms);

/*
 * accept() failed with err for want of a resource that comes back when
 * clients leave: descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS,
 * ENOMEM). The client stays queued in the backlog, so the listening socket
 * stays readable: a loop that retries at once spins at 100% CPU and logs
 * without end. Pause NP_ACCEPT_PAUSE_MS (np_sleep_ms()) before the next
 * try, and log the first failure of a run, not each one. Returns 1 if so.
 */
#define NP_ACCEPT_PAUSE_MS 100
int np_starved(int err);

/*
 * Ignore SIGPIPE (for clients): writing to a closed peer returns EPIPE.
 * Returns 0, or -1 with errno set.
 */
int np_ignore_sigpipe(void);

/* Make fd non-blocking (O_NONBLOCK). Returns 0, or -1 with errno set. */
int np_set_nonblocking(int fd);

/*
 * A pipe for the self-pipe trick: both ends non-blocking (a signal handler
 * that writes to a full pipe must not block; the reader drains it without
 * blocking) and closed on exec. Returns 0, or -1 with errno set and
 * nothing left open (fds[0] = fds[1] = -1).
 */
int np_pipe(int fds[2]);

/*
 * Format a socket address as "HOST:PORT" or "[HOST]:PORT" (IPv6) into buf.
 * Returns buf. NP_ADDRSTRLEN is enough for any of them.
 */
#define NP_ADDRSTRLEN 64
char *np_format_addr(const struct sockaddr *sa, char *buf, size_t len);

/*
 * Give every blocking recv() and send() on fd a time limit, so a peer that
 * stalls cannot hold this program forever. Returns 0, or -1 with errno set.
 */
int np_set_timeouts(int fd, int seconds);

/*
 * Close a connection without losing what we sent. close() while bytes the
 * peer sent are still unread makes the kernel send RST instead of FIN, and
 * a peer that gets RST may drop data it has not read yet (our response).
 * So: send our FIN first (shutdown SHUT_WR), read and discard what the
 * peer still sends until its FIN, then close(fd). The drain has bounds of
 * its own, so that a peer that never stops sending cannot hold us: at
 * most NP_DRAIN_MAX bytes, NP_DRAIN_MS milliseconds in all, and not past
 * a stop (SIGINT, SIGTERM).
 */
#define NP_DRAIN_MAX (1024 * 1024)
#define NP_DRAIN_MS  1000
void np_close_gently(int fd);

/*
 * ==== START-UP: for main (and the loops that decide, rule 2) ====
 *
 * The only functions of the course's helpers that print or end the
 * program. np_die() and np_todo() exit; np_warn() and np_print_ready()
 * print and return.
 */

/* Set by main before anything else: the name used in every diagnostic. */
extern const char *np_progname;

/*
 * Print "PROGRAM: MESSAGE" on stderr and exit(1). When the formatted
 * message ends with ':', ": strerror(errno)" is appended, as suckless does.
 */
_Noreturn void np_die(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

/* The same as np_die, but return instead of exiting. errno is preserved. */
void np_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Announce an unfinished exercise block and exit(1). Every stub in a
 * skeleton calls it, so a failing test points at the TODO to write.
 */
_Noreturn void np_todo(const char *id);

/*
 * Print the ready line "listening on HOST:PORT" for the bound socket fd,
 * with the port the kernel really chose, and flush it: tests and scripts
 * wait for this line before they connect. Returns 0, or -1 with errno set.
 */
int np_print_ready(int fd);

/* ==== END START-UP ==== */

#endif
