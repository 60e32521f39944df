// SPDX-License-Identifier: MIT
/* termtext.c - recorded text made safe for a terminal (termtext.h). */
#include <stdio.h>
#include <string.h>
#include "termtext.h"

/* The length of the valid UTF-8 character at s (at most len bytes), or 0
 * when s does not start one; its code point in *cp. */
static size_t utf8_char(const unsigned char *s, size_t len, unsigned *cp)
{
	size_t k;
	unsigned c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (k > len)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return k;
}

int termtext__fmt(char *buf, size_t n, const char *s, size_t len, int w,
		  bool pad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t out = 0, i = 0;
	int cols = 0;

	if (!n)
		return 0;
	while (i < len) {
		char piece[8];
		size_t plen, k;
		unsigned cp = 0;
		int pcols;
		bool more;

		k = utf8_char(p + i, len - i, &cp);
		if (k == 1 && (cp < 0x20 || cp == 0x7f)) {
			plen = cp == '\n' ? (size_t)snprintf(piece, sizeof(piece), "\\n") :
			       cp == '\r' ? (size_t)snprintf(piece, sizeof(piece), "\\r") :
			       cp == '\t' ? (size_t)snprintf(piece, sizeof(piece), "\\t") :
			       (size_t)snprintf(piece, sizeof(piece), "\\x%02x", cp);
			pcols = (int)plen;
		} else if (k == 2 && cp < 0xa0) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\u%04x", cp);
			pcols = (int)plen;
		} else if (!k) {
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", p[i]);
			pcols = (int)plen;
			k = 1;
		} else {
			memcpy(piece, p + i, k);
			plen = k;
			pcols = 1;
		}
		/* Room for this piece, and for "…" when more text follows. */
		more = i + k < len;
		if ((w >= 0 && cols + pcols + more > w) ||
		    out + plen + (more ? 3 : 0) + 1 > n) {
			if ((w < 0 || cols + 1 <= w) && out + 4 <= n) {
				memcpy(buf + out, "\xe2\x80\xa6", 3);
				out += 3;
				cols++;
			}
			break;
		}
		memcpy(buf + out, piece, plen);
		out += plen;
		cols += pcols;
		i += k;
	}
	while (pad && w >= 0 && cols < w && out + 2 <= n) {
		buf[out++] = ' ';
		cols++;
	}
	buf[out] = 0;
	return cols;
}
