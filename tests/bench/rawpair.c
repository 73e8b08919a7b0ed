/*
 * rawpair - the baseline of lesson 03's benchmark: the same file reads and
 * writes as filecli and fileserver, with no protocol at all.
 *
 *	rawpair recv FILE         listen on 127.0.0.1 (port 0), print the ready
 *	                          line, accept one connection, write all it
 *	                          sends to FILE, exit
 *	rawpair send FILE PORT    send FILE to 127.0.0.1:PORT, then close
 *
 * Both copy through one CHUNK-sized buffer, as the lesson's programs do.
 */
#include "frame.h"
#include "np-net.h"
#include "np.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Copy from in to out until EOF. Returns 0, or -1 with errno set. */
static int copy(int in, int out)
{
	char *buf = malloc(CHUNK);
	ssize_t n;
	int rc = -1;

	if (buf == NULL)
		return -1;
	while ((n = read(in, buf, CHUNK)) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			goto out;
	rc = n == 0 ? 0 : -1;
out:
	free(buf);
	return rc;
}

static int receive(const char *path)
{
	int lfd = np_listen("127.0.0.1", "0", SOCK_STREAM, SOMAXCONN), fd, out;

	if (lfd < 0)
		np_die("listen on 127.0.0.1:");
	if (np_print_ready(lfd) < 0)
		np_die("ready line:");
	fd = accept(lfd, NULL, NULL);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || out < 0)
		np_die("accept or open %s:", path);
	if (copy(fd, out) < 0 || fsync(out) < 0 || close(out) < 0)
		np_die("receiving:");
	close(fd);
	close(lfd);
	return 0;
}

static int send_file(const char *path, const char *port)
{
	int fd = np_connect("127.0.0.1", port, SOCK_STREAM);
	int in = open(path, O_RDONLY);

	if (fd < 0 || in < 0)
		np_die("connect or open %s:", path);
	if (copy(in, fd) < 0)
		np_die("sending:");
	close(in);
	close(fd);
	return 0;
}

int main(int argc, char *argv[])
{
	np_progname = "rawpair";
	if (argc == 3 && strcmp(argv[1], "recv") == 0)
		return receive(argv[2]);
	if (argc == 4 && strcmp(argv[1], "send") == 0)
		return send_file(argv[2], argv[3]);
	fprintf(stderr, "usage: rawpair recv FILE | rawpair send FILE PORT\n");
	return 2;
}
