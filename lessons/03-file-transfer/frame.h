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
 * It frames bytes on a connection and nothing else: the programs get their
 * sockets from np-net.h (np_listen(), np_connect()). Like every helper it
 * prints nothing: it returns -1 (or a FRAME_ code) with errno set, or
 * FRAME_BAD with the reason in err, for the peer to be told.
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
 * Read exactly len bytes into buf, however many reads it takes. Returns
 * FRAME_OK, FRAME_EOF if the peer closed first, or FRAME_ERROR (errno).
 */
int read_exact(int fd, void *buf, size_t len);

/* Write all len bytes of buf. Returns 0, or -1 with errno set. */
int write_all(int fd, const void *buf, size_t len);

/* Send one frame holding json (len bytes). Returns 0, or -1 (errno). */
int send_frame(int fd, const char *json, size_t len);

/*
 * Receive one frame into *obj (json_free() it after FRAME_OK). Returns
 * FRAME_OK, FRAME_EOF, FRAME_ERROR, or FRAME_BAD with the reason in err.
 */
int recv_frame(int fd, struct json_object *obj, char *err, size_t errlen);

/*
 * Finish the object built in w (json.h) and send it as one frame; the
 * text is freed either way. Returns 0, or -1 (errno).
 */
int send_object(int fd, struct json_writer *w);

/*
 * Build and send a reply frame: {"status":"error","message":MESSAGE}.
 * Returns 0, or -1 (errno).
 */
int send_error(int fd, const char *message);

#endif
