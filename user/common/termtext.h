/* SPDX-License-Identifier: MIT */
/*
 * termtext - recorded text (names, messages: whatever a trainer passed)
 * made safe to show on a terminal, and fitted to a column.  Control bytes
 * would move the cursor, end a row or start an escape sequence: C0 bytes
 * and DEL become \n, \r, \t or \xNN, the C1 controls U+0080..U+009F (which
 * terminals may act on too) \u0080..\u009f, and a byte that is not part of
 * valid UTF-8 \xNN.  Text that needs none of this is copied as it is.
 */
#ifndef MLPROBE_TERMTEXT_H
#define MLPROBE_TERMTEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes s[0..len) to buf (n bytes, NUL-terminated) escaped as above, in
 * at most w display columns (w < 0: no limit; a character counts one
 * column, an escape its length).  Text that does not fit is cut before a
 * character or an escape, never inside one, and ends in "…".  With pad,
 * spaces fill it to w columns.  A buf too small cuts the text the same
 * way.  Returns the columns written.
 */
int termtext__fmt(char *buf, size_t n, const char *s, size_t len, int w,
		  bool pad);

/* Worst-case bytes of termtext__fmt's result for len bytes of text and a
 * column of w (w < 0: none), with the NUL. */
static inline size_t termtext__max(size_t len, int w)
{
	return len * 6 + (w > 0 ? (size_t)w : 0) + 4;
}

#endif
