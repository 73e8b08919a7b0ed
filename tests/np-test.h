/*
 * np-test.h - what the C test helpers share (np-peer, np-serve, ss-check).
 * Not in lessons/common/np.h on purpose: complete sends are an exercise of
 * the lessons, and np.h is given to students.
 */
#ifndef NP_TEST_H
#define NP_TEST_H

#include <stddef.h>

/* Send all len bytes on fd, retrying on EINTR. Returns 0, or -1 (errno). */
int nt_send_all(int fd, const void *buf, size_t len);

/*
 * Decode the C escapes \r \n \t \0 \\ and \xHH of s into a new buffer
 * (free it), NUL-terminated; *len gets its size, NUL bytes included. Dies
 * on a bad \x.
 */
char *nt_unescape(const char *s, size_t *len);

/* Sleep ms milliseconds, whatever signals arrive. */
void nt_pause_ms(int ms);

#endif
