// SPDX-License-Identifier: MIT
/* Unit tests for the Thrift compact protocol encoder and decoder. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "thrift.h"

static void test_known_bytes(void **s)
{
	struct thrift_enc e;
	/* {1: i32 1, 2: bool true, 20: i64 -1, 21: string "ab"} */
	const uint8_t want[] = { 0x15, 0x02, 0x11, 0x06, 0x28, 0x01,
				 0x18, 0x02, 'a', 'b', 0x00 };

	(void)s;
	thrift_enc__init(&e);
	thrift_enc__struct_begin(&e);
	thrift_enc__field_i32(&e, 1, 1);
	thrift_enc__field_bool(&e, 2, true);
	thrift_enc__field_i64(&e, 20, -1);	/* delta 18: long form */
	thrift_enc__field_str(&e, 21, "ab");
	thrift_enc__struct_end(&e);
	assert_int_equal(e.err, 0);
	assert_int_equal(e.depth, 0);
	assert_int_equal(e.len, sizeof(want));
	assert_memory_equal(e.buf, want, sizeof(want));
	thrift_enc__free(&e);
}

static void test_roundtrip(void **s)
{
	struct thrift_enc e;
	struct thrift_dec d;
	int16_t last = 0, fid, ilast, ifid;
	uint8_t t, et, it;
	uint32_t n, blen;
	const uint8_t *bp;
	int32_t i32;
	int64_t i64;
	double dbl;
	int seen = 0;

	(void)s;
	thrift_enc__init(&e);
	thrift_enc__struct_begin(&e);
	thrift_enc__field_i32(&e, 1, INT32_MIN);
	thrift_enc__field_i64(&e, 2, INT64_MAX);
	thrift_enc__field_double(&e, 3, -2.5);
	thrift_enc__field_bin(&e, 4, "\0x\xff", 3);
	thrift_enc__field_list(&e, 5, THRIFT_I32, 20);	/* long list header */
	for (int i = 0; i < 20; i++)
		thrift_enc__i32(&e, i - 10);
	thrift_enc__field_struct(&e, 300);		/* big id jump */
	thrift_enc__field_bool(&e, 1, false);
	thrift_enc__field_i16(&e, 2, -300);
	thrift_enc__struct_end(&e);
	thrift_enc__field_i32(&e, 299, 7);		/* id goes down */
	thrift_enc__struct_end(&e);
	assert_int_equal(e.err, 0);

	thrift_dec__init(&d, e.buf, e.len);
	assert_int_equal(thrift_dec__struct_enter(&d), 0);
	while (thrift_dec__field(&d, &last, &fid, &t) > 0) {
		switch (fid) {
		case 1:
			assert_int_equal(t, THRIFT_I32);
			assert_int_equal(thrift_dec__i32(&d, &i32), 0);
			assert_int_equal(i32, INT32_MIN);
			break;
		case 2:
			assert_int_equal(thrift_dec__i64(&d, &i64), 0);
			assert_true(i64 == INT64_MAX);
			break;
		case 3:
			assert_int_equal(thrift_dec__double(&d, &dbl), 0);
			assert_true(dbl == -2.5);
			break;
		case 4:
			assert_int_equal(thrift_dec__bin(&d, &bp, &blen), 0);
			assert_int_equal(blen, 3);
			assert_memory_equal(bp, "\0x\xff", 3);
			break;
		case 5:
			assert_int_equal(thrift_dec__list(&d, &et, &n), 0);
			assert_int_equal(et, THRIFT_I32);
			assert_int_equal(n, 20);
			for (int i = 0; i < 20; i++) {
				assert_int_equal(thrift_dec__i32(&d, &i32), 0);
				assert_int_equal(i32, i - 10);
			}
			break;
		case 300:
			assert_int_equal(t, THRIFT_STRUCT);
			ilast = 0;
			assert_int_equal(thrift_dec__struct_enter(&d), 0);
			assert_int_equal(thrift_dec__field(&d, &ilast, &ifid,
							   &it), 1);
			assert_int_equal(ifid, 1);
			assert_int_equal(it, THRIFT_FALSE);
			assert_int_equal(thrift_dec__field(&d, &ilast, &ifid,
							   &it), 1);
			assert_int_equal(thrift_dec__i32(&d, &i32), 0);
			assert_int_equal(i32, -300);
			assert_int_equal(thrift_dec__field(&d, &ilast, &ifid,
							   &it), 0);
			thrift_dec__struct_leave(&d);
			break;
		case 299:
			assert_int_equal(thrift_dec__i32(&d, &i32), 0);
			assert_int_equal(i32, 7);
			break;
		default:
			fail_msg("unexpected field %d", fid);
		}
		seen++;
	}
	thrift_dec__struct_leave(&d);
	assert_int_equal(d.err, 0);
	assert_int_equal(seen, 7);
	assert_int_equal(thrift_dec__pos(&d), e.len);

	/* skip() walks the same bytes exactly */
	thrift_dec__init(&d, e.buf, e.len);
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), 0);
	assert_int_equal(thrift_dec__pos(&d), e.len);
	/* every truncation fails cleanly (ASan checks the bounds) */
	for (size_t cut = 0; cut < e.len; cut++) {
		uint8_t *b = malloc(cut ? cut : 1);

		memcpy(b, e.buf, cut);
		thrift_dec__init(&d, b, cut);
		assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
		free(b);
	}
	thrift_enc__free(&e);
}

static void test_hostile_input(void **s)
{
	struct thrift_dec d;
	uint8_t deep[200];
	/* list claiming 2^31 elements in 6 bytes */
	const uint8_t biglist[] = { 0x19, 0xf5, 0xff, 0xff, 0xff, 0x07 };
	/* varint longer than 10 bytes */
	const uint8_t longvar[] = { 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0x01, 0x00 };
	/* binary length past the end */
	const uint8_t longbin[] = { 0x18, 0x7f, 'a', 0x00 };
	/* bad type nibble 13 */
	const uint8_t badtype[] = { 0x1d, 0x00 };
	/* map with 1 entry, bad key type */
	const uint8_t badmap[] = { 0x1b, 0x01, 0xf5, 0x00 };
	/* i32 overflow in a 5-byte varint */
	const uint8_t bigi32[] = { 0xff, 0xff, 0xff, 0xff, 0x7f };
	int32_t v;

	(void)s;
	memset(deep, 0x1c, sizeof(deep));	/* struct in struct in ... */
	thrift_dec__init(&d, deep, sizeof(deep));
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
	assert_true(d.depth == 0);
	thrift_dec__init(&d, biglist, sizeof(biglist));
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
	thrift_dec__init(&d, longvar, sizeof(longvar));
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
	thrift_dec__init(&d, longbin, sizeof(longbin));
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
	thrift_dec__init(&d, badtype, sizeof(badtype));
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
	thrift_dec__init(&d, badmap, sizeof(badmap));
	assert_int_equal(thrift_dec__skip(&d, THRIFT_STRUCT), -EINVAL);
	thrift_dec__init(&d, bigi32, sizeof(bigi32));
	assert_int_equal(thrift_dec__i32(&d, &v), -EINVAL);
	/* errors stick */
	assert_int_equal(thrift_dec__i32(&d, &v), -EINVAL);

	/* random bytes never crash or run away */
	uint64_t x = 12345;
	uint8_t buf[64];

	for (int iter = 0; iter < 20000; iter++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = (uint8_t)(x >> 56);
		}
		thrift_dec__init(&d, buf, sizeof(buf));
		thrift_dec__skip(&d, THRIFT_STRUCT);
		assert_true(thrift_dec__pos(&d) <= sizeof(buf));
	}
}

static void test_encoder_misuse(void **s)
{
	struct thrift_enc e;

	(void)s;
	thrift_enc__init(&e);
	thrift_enc__field_i32(&e, 1, 1);	/* no struct begun */
	assert_int_equal(e.err, -EINVAL);
	thrift_enc__free(&e);
	thrift_enc__init(&e);
	for (int i = 0; i < THRIFT_MAX_DEPTH + 1; i++)
		thrift_enc__struct_begin(&e);
	assert_int_equal(e.err, -EINVAL);
	thrift_enc__free(&e);
	thrift_enc__init(&e);
	thrift_enc__struct_end(&e);		/* unbalanced */
	assert_int_equal(e.err, -EINVAL);
	thrift_enc__free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_encoder_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
