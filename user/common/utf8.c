// SPDX-License-Identifier: MIT
/* utf8.c - UTF-8 validation per RFC 3629 (no overlongs, no surrogates). */
#include <string.h>
#include "utf8.h"

/* Length of the valid sequence at s (at most n bytes), or 0 if invalid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* True when s[0..n) is a valid prefix of some multi-byte sequence. */
static bool is_cut_prefix(const unsigned char *s, size_t n)
{
	unsigned char buf[4] = { 0 };

	if (n == 0 || n > 3 || s[0] < 0xc2 || s[0] > 0xf4)
		return false;
	memcpy(buf, s, n);
	/* Complete it with the smallest continuation bytes that fit. */
	for (size_t i = n; i < 4; i++)
		buf[i] = 0x80;
	if (buf[0] == 0xe0 && n < 2)
		buf[1] = 0xa0;
	if (buf[0] == 0xf0 && n < 2)
		buf[1] = 0x90;
	return seq_len(buf, 4) > n;
}

size_t utf8_sanitize(char *dst, const char *src, size_t len, bool truncated)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	while (i < len) {
		size_t k = seq_len(s + i, len - i);

		if (k) {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (truncated && is_cut_prefix(s + i, len - i))
			break;
		memcpy(dst + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
		o += 3;
		i++;
	}
	if (truncated) {
		memcpy(dst + o, UTF8_TRUNC_MARK, sizeof(UTF8_TRUNC_MARK) - 1);
		o += sizeof(UTF8_TRUNC_MARK) - 1;
	}
	dst[o] = 0;
	return o;
}
