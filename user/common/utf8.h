/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - make probe strings safe for Parquet STRING columns, which readers
 * require to be valid UTF-8.
 */
#ifndef MLPROBE_UTF8_H
#define MLPROBE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The marker appended to a string cut at the probe's length limit. */
#define UTF8_TRUNC_MARK "\xe2\x80\xa6"	/* U+2026 HORIZONTAL ELLIPSIS */

/*
 * Copies src[0..len) to dst as valid UTF-8: each invalid byte becomes U+FFFD.
 * When truncated is set, a multi-byte sequence cut at the end is dropped and
 * UTF8_TRUNC_MARK is appended.  dst must hold utf8_sanitize_max(len) bytes;
 * the result is NUL-terminated.  Returns the result's length.
 */
size_t utf8_sanitize(char *dst, const char *src, size_t len, bool truncated);

static inline size_t utf8_sanitize_max(size_t len)
{
	return len * 3 + sizeof(UTF8_TRUNC_MARK);
}

#endif
