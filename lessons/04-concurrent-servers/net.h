/*
 * net.h - what lesson 04's four servers share but the lesson is not about:
 * their command line, their listening socket, accepting a client. Given
 * whole (the socket itself comes from np-net.h). np.h's contract holds:
 * nothing here prints or exits; each server's main() reports and decides.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>

#define DEFAULT_PORT "8888"

/*
 * -i: a client that sends nothing and takes nothing for this long is
 * closed. Generous, not off: a peer that vanished without a FIN (a laptop
 * shut, a NAT that forgot the connection, a host that crashed) never sends
 * again, and without a bound it would hold its thread, process or slot
 * until the server restarts. Five minutes is longer than anyone pauses in
 * a chat.
 */
#define DEFAULT_IDLE_S 300

/* What a server's command line asks for. */
enum server_cmd {
	SERVER_RUN,       /* serve on args->addr, args->port */
	SERVER_HELP,      /* -h: print args->text on stdout, exit 0 */
	SERVER_BAD_USAGE, /* print args->text on stderr, exit 2 */
};

struct server_args {
	const char *about; /* set by main: one line, what the server does */
	int takes_e;       /* set by main: the server has a -e option */
	long max_clients;  /* set by main: > 0, the server has -i and -m and
	                    * this is -m's default; then -m's value */
	const char *addr;  /* -a ADDR: 127.0.0.1 unless given */
	const char *port;  /* -p PORT: DEFAULT_PORT unless given */
	int echo;          /* -e was given */
	int idle_s;        /* -i SECONDS: DEFAULT_IDLE_S unless given */
	char text[2048];   /* the usage; after a bad command line, what was
	                    * wrong ("PROGRAM: bad port: 99999", the argument
	                    * cut at 200 bytes) before it */
};

/*
 * Parse a server's command line, "[-a ADDR] [-p PORT]", "[-e]" when
 * args->takes_e, and "[-i SECONDS] [-m N]" when args->max_clients > 0,
 * into args. Returns SERVER_RUN, or what main must do instead of serving
 * (see enum server_cmd). getopt() says itself what was wrong with an
 * unknown option or a missing argument.
 */
enum server_cmd server_parse(int argc, char *argv[], struct server_args *args);

/*
 * Catch SIGINT and SIGTERM (np_catch_signals()), then listen on args->addr
 * and args->port (np_listen(), SOCK_STREAM, SOMAXCONN). The listening
 * socket is non-blocking: a client that resets while it waits in the
 * backlog leaves accept() nothing to take, and a blocking accept() would
 * then sleep until the next client came, deaf to a stop. Returns the
 * listening socket, or -1 with errno set.
 */
int server_listen(const struct server_args *args);

/*
 * Accept the next client on listen_fd with np_accept(), which waits for
 * one first (and for a stop) and, out of descriptors or memory, pauses
 * NP_ACCEPT_PAUSE_MS before it returns the error: the client stays in the
 * backlog, so a loop that tried again at once would fail again, for ever,
 * burning a core. Writes the client's address ("HOST:PORT") into who
 * (NP_ADDRSTRLEN bytes are enough). Returns the connected socket, or -1
 * with errno set: ECANCELED once SIGINT or SIGTERM arrived; EAGAIN when
 * there was nobody to take after all (the client reset while it waited);
 * else accept()'s error, np_starved() for want of descriptors or memory.
 */
int accept_client(int listen_fd, char *who, size_t wholen);

/*
 * What an accept loop should log after accept_client() returned fd (errno
 * set when fd < 0), so that the log does not flood: out of descriptors or
 * memory, accept() fails again every NP_ACCEPT_PAUSE_MS for as long as
 * that lasts, and only the first failure of such a run is worth a line,
 * and then its end. *starved (0 at the start) remembers whether a run is
 * on. Returns 1 with the line to log in news (newslen bytes; 128 are
 * enough), or 0 when there is nothing to say (a success, a stop, EAGAIN,
 * a failure of a run already logged). errno is left as it was.
 */
int accept_news(int fd, int *starved, char *news, size_t newslen);

#endif
