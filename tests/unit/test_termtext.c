// SPDX-License-Identifier: MIT
/* Unit tests for termtext: recorded text made safe for a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/termtext.h"

static const char *fmt(const char *s, size_t len, int w, bool pad, int *cols)
{
	static char buf[512];
	int c = termtext__fmt(buf, sizeof(buf), s, len, w, pad);

	if (cols)
		*cols = c;
	return buf;
}

static void test_plain_text_unchanged(void **st)
{
	int cols;

	(void)st;
	assert_string_equal(fmt("loss", 4, -1, false, &cols), "loss");
	assert_int_equal(cols, 4);
	assert_string_equal(fmt("é漢字🙂", strlen("é漢字🙂"), -1, false, &cols),
			    "é漢字🙂");
	assert_int_equal(cols, 4);
}

/* Every C0 byte, DEL and the C1 controls come out as visible escapes: no
 * byte below 0x20, no 0x7f, no U+0080..U+009F is left. */
static void test_controls_escaped(void **st)
{
	char in[64], *out;
	size_t n = 0;

	(void)st;
	for (int c = 1; c < 0x20; c++)
		in[n++] = (char)c;
	in[n++] = 0x7f;
	in[n++] = (char)0xc2;	/* U+009B, CSI */
	in[n++] = (char)0x9b;
	out = (char *)fmt(in, n, -1, false, NULL);
	for (char *p = out; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	assert_null(strstr(out, "\xc2\x9b"));
	assert_non_null(strstr(out, "\\x1b"));
	assert_non_null(strstr(out, "\\n"));
	assert_non_null(strstr(out, "\\t"));
	assert_non_null(strstr(out, "\\r"));
	assert_non_null(strstr(out, "\\x7f"));
	assert_non_null(strstr(out, "\\u009b"));
	assert_string_equal(fmt("a\x1b[2Jb", 6, -1, false, NULL), "a\\x1b[2Jb");
	/* a NUL inside the text too */
	assert_string_equal(fmt("a\0b", 3, -1, false, NULL), "a\\x00b");
	/* bytes that are not UTF-8 */
	assert_string_equal(fmt("a\xff\xc3", 3, -1, false, NULL), "a\\xff\\xc3");
}

/* Cut to a width: never inside an escape or a character, "…" at the
 * end, and padding to the width. */
static void test_width_and_cut(void **st)
{
	int cols;

	(void)st;
	assert_string_equal(fmt("abcde", 5, 5, true, &cols), "abcde");
	assert_string_equal(fmt("abcdef", 6, 5, true, &cols), "abcd…");
	assert_int_equal(cols, 5);
	/* the escape \x1b (4 columns) does not fit after "ab": cut before */
	assert_string_equal(fmt("ab\x1bxyz", 6, 6, true, &cols), "ab…   ");
	assert_int_equal(cols, 6);
	assert_string_equal(fmt("ab\x1bxyz", 6, 8, true, &cols), "ab\\x1bx…");
	assert_string_equal(fmt("é漢字🙂xyz", strlen("é漢字🙂xyz"), 4, false,
				&cols), "é漢字…");
	assert_int_equal(cols, 4);
	assert_string_equal(fmt("ab", 2, 6, true, &cols), "ab    ");
	assert_int_equal(cols, 6);
	assert_string_equal(fmt("ab", 2, 0, true, &cols), "");
}

/* A buffer too small cuts the same way and stays terminated. */
static void test_small_buffer(void **st)
{
	char buf[8];

	(void)st;
	termtext__fmt(buf, sizeof(buf), "abcdefghijk", 11, -1, false);
	assert_string_equal(buf, "abcd…");
	termtext__fmt(buf, sizeof(buf), "\n\n\n\n", 4, -1, false);
	assert_string_equal(buf, "\\n\\n…");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_width_and_cut),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
