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

/* What a server's command line asks for. */
enum server_cmd {
	SERVER_RUN,       /* serve on args->addr, args->port */
	SERVER_HELP,      /* -h: print args->text on stdout, exit 0 */
	SERVER_BAD_USAGE, /* print args->text on stderr, exit 2 */
};

struct server_args {
	const char *about; /* set by main: one line, what the server does */
	int takes_e;       /* set by main: the server has a -e option */
	const char *addr;  /* -a ADDR: 127.0.0.1 unless given */
	const char *port;  /* -p PORT: DEFAULT_PORT unless given */
	int echo;          /* -e was given */
	char text[1024];   /* the usage; after a bad command line, what was
	                    * wrong ("PROGRAM: bad port: 99999", the argument
	                    * cut at 200 bytes) before it */
};

/*
 * Parse a server's command line, "[-a ADDR] [-p PORT]", and "[-e]" when
 * args->takes_e, into args. Returns SERVER_RUN, or what main must do
 * instead of serving (see enum server_cmd). getopt() says itself what was
 * wrong with an unknown option or a missing argument.
 */
enum server_cmd server_parse(int argc, char *argv[], struct server_args *args);

/*
 * Catch SIGINT and SIGTERM (np_catch_signals()), then listen on args->addr
 * and args->port (np_listen(), SOCK_STREAM, SOMAXCONN). Returns the
 * listening socket, or -1 with errno set.
 */
int server_listen(const struct server_args *args);

/*
 * accept() a client on listen_fd and write its address ("HOST:PORT") into
 * who (NP_ADDRSTRLEN bytes are enough). Returns the connected socket, or
 * -1 with errno set. Out of descriptors (EMFILE, ENFILE), it pauses 100 ms
 * before it returns: the client stays queued, so a loop that tried again
 * at once would fail again, for ever, burning a core.
 */
int accept_client(int listen_fd, char *who, size_t wholen);

#endif
