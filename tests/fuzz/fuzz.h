/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * Each harness defines LLVMFuzzerTestOneInput(), feeds one input to the
 * code of a lesson (the reference solutions, built by `make fuzz`), and
 * checks more than "no crash": the promises that code's comments make. A
 * broken promise is reported with fuzz_fail(), which aborts, so libFuzzer
 * saves the input as a crash like any sanitizer report.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Say which promise broke (printf-style) on stderr, then abort(). */
_Noreturn void fuzz_fail(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

/* fuzz_fail() unless cond holds. */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__VA_ARGS__);                                \
	} while (0)

/*
 * Is s (len bytes) valid UTF-8 as RFC 3629 defines it: no overlong form,
 * no UTF-16 surrogate, nothing above U+10FFFF, no sequence cut short?
 * Returns 1 or 0, and the offset of the first bad byte in *bad.
 */
int fuzz_utf8_valid(const char *s, size_t len, size_t *bad);

#endif
