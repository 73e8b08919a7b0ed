/*
 * frame.h - the file-transfer protocol's framing, shared by fileserver
 * and filecli.
 *
 * Every message on the wire is one frame: a 4-byte big-endian length, then
 * that many bytes of UTF-8 JSON (a flat object), then, for a put request
 * and a successful get reply, exactly "filesize" bytes of payload.
 *
 *	+----------------+----------------------------+-------------------+
 *	| uint32 len, BE | len bytes: UTF-8 JSON obj  | payload (if any)  |
 *	+----------------+----------------------------+-------------------+
 *
 * It frames bytes on a connection, builds the server's replies, and makes
 * a peer's text safe to print; it opens no connection: the programs get
 * their sockets from np-net.h (np_listen(), np_connect()). Like every
 * helper it prints nothing: it returns -1 (or a FRAME_ code) with errno
 * set, or FRAME_BAD with the reason in err, for the peer to be told.
 */
#ifndef FRAME_H
#define FRAME_H

#include "json.h"

#include <stddef.h>
#include <sys/types.h>

#define FRAME_MAX 65536        /* the largest JSON part we accept */
#define CHUNK     (256 * 1024) /* payload is copied in pieces this big */

/* What read_exact() and recv_frame() report besides success. */
enum {
	FRAME_OK = 0,
	FRAME_EOF = -1,   /* the peer closed before the whole thing came */
	FRAME_ERROR = -2, /* an I/O error; errno says which */
	FRAME_BAD = -3,   /* a length or JSON the protocol does not allow */
};

/*
 * Read exactly len bytes into buf, however many reads it takes, by the
 * deadline (a time on np_now_ms()'s clock; NP_NO_DEADLINE: none): bytes
 * that dribble in never stretch it. Returns FRAME_OK, FRAME_EOF if the
 * peer closed first, or FRAME_ERROR with errno set: ETIMEDOUT once the
 * deadline passed, ECANCELED once a stop was asked for (np_stop: SIGINT,
 * SIGTERM), or read()'s error.
 */
int read_exact(int fd, void *buf, size_t len, long long deadline);

/*
 * Write all len bytes of buf. Returns 0, or -1 with errno set: ECANCELED
 * once a stop was asked for (np_stop), or write()'s error (EAGAIN when a
 * socket's SO_SNDTIMEO passed with no byte taken).
 */
int write_all(int fd, const void *buf, size_t len);

/* Send one frame holding json (len bytes). Returns 0, or -1 (errno). */
int send_frame(int fd, const char *json, size_t len);

/*
 * Receive one frame into *obj (json_free() it after FRAME_OK), all of it
 * by the deadline (as read_exact()). Returns FRAME_OK, FRAME_EOF,
 * FRAME_ERROR (errno), or FRAME_BAD with the reason in err.
 */
int recv_frame(int fd, struct json_object *obj, long long deadline, char *err,
               size_t errlen);

/*
 * Write s (len bytes, any bytes, NUL included) into out (outlen > 0
 * bytes) as text that is safe in a log line or on a terminal: no control
 * character, valid UTF-8. Each control byte (0x00-0x1f and 0x7f) becomes
 * a visible escape, \n, \r and \t for those three and \xHH (lower-case
 * hex) for the others; each backslash becomes \\, so that a backslash in
 * out always starts an escape; a byte that does not start a valid UTF-8
 * character (json_utf8_char()) becomes \xHH too; a valid character is
 * copied whole. When out is too small, it ends before the first escape or
 * character that does not fit whole, never inside one. Returns out,
 * always NUL-terminated.
 */
char *escape_text(char *out, size_t outlen, const char *s, size_t len);

/*
 * Finish the object built in w (json.h) and send it as one frame; the
 * text is freed either way. Returns 0, or -1 (errno).
 */
int send_object(int fd, struct json_writer *w);

/* The most bytes of a reply's message or file name that reply_json() keeps. */
#define REPLY_TEXT_MAX 1024

/*
 * The JSON text of a reply of fileserver: every reply it sends is built
 * here. With message NULL, {"status":"ok","filename":NAME,"filesize":SIZE};
 * otherwise {"status":"error","message":MESSAGE} (name, then, may be NULL;
 * size is unused).
 * name and message may hold any bytes (a message quotes what a client
 * sent, and may have been cut anywhere): the text is always one object
 * that json_parse() accepts, valid UTF-8, at most FRAME_MAX bytes. A byte
 * that does not belong to a valid UTF-8 character becomes U+FFFD,
 * control bytes are escaped, and only the first REPLY_TEXT_MAX bytes of
 * name or message are kept, cut before a character, never inside one.
 * Returns the text (malloc'ed, NUL-terminated: free() it) with its length
 * in *len, or NULL with errno ENOMEM.
 */
char *reply_json(const char *message, const char *name, long long size,
                 size_t *len);

/*
 * Build a reply with reply_json() and send it as one frame. Returns 0, or
 * -1 (errno).
 */
int send_reply(int fd, const char *message, const char *name, long long size);

/*
 * The error reply {"status":"error","message":MESSAGE}: send_reply(fd,
 * message, NULL, 0). Returns 0, or -1 (errno).
 */
int send_error(int fd, const char *message);

#endif
