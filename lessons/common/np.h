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
 * Wait until fd is readable (for a listening socket: a connection is ready
 * to accept). Returns 1 when it is, 0 once SIGINT or SIGTERM has arrived,
 * -1 with errno set on error. Use it after np_catch_signals().
 */
int np_wait_readable(int fd);

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
 * peer still sends, at most NP_DRAIN_MAX bytes and each read bounded by
 * the socket's timeout, until its FIN; then close(fd).
 */
#define NP_DRAIN_MAX (1024 * 1024)
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
