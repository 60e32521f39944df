// SPDX-License-Identifier: MIT
/* test_decoder.c - ring records to rows: names, UTF-8, steps, malformed. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "consume/decoder.h"
#include "common/utf8.h"
#include "wire.h"

static struct row_metric last_m;
static char last_name[512];
static struct row_span last_s;
static struct row_log last_l;
static char last_msg[1024];
static int nrows;

static int on_metric(void *ctx, const struct row_metric *r)
{
	(void)ctx;
	last_m = *r;
	memcpy(last_name, r->name, r->name_len);
	last_name[r->name_len] = 0;
	nrows++;
	return 0;
}

static int on_span(void *ctx, const struct row_span *r)
{
	(void)ctx;
	last_s = *r;
	memcpy(last_name, r->name, r->name_len);
	last_name[r->name_len] = 0;
	nrows++;
	return 0;
}

static int on_log(void *ctx, const struct row_log *r)
{
	(void)ctx;
	last_l = *r;
	memcpy(last_msg, r->msg, r->msg_len);
	last_msg[r->msg_len] = 0;
	nrows++;
	return -5;	/* a failing sink: counted, the stream goes on */
}

static const struct sink sinks[] = { {
	.name = "test", .metric = on_metric, .span = on_span, .log = on_log,
} };

static struct decoder *new_dec(void)
{
	struct decoder_opts o = { .sz = sizeof(o), .boot_to_utc_ns = 1000 };
	struct decoder *d = decoder__new(&o, sinks, 1);

	assert_non_null(d);
	nrows = 0;
	return d;
}

static void feed_name(struct decoder *d, uint32_t id, const char *s, int flags)
{
	struct mp_name_rec r = { .h = { .type = MP_REC_NAME, .flags = flags } };

	r.id = id;
	r.len = strlen(s);
	memcpy(r.name, s, r.len);
	assert_int_equal(decoder__feed(d, &r, sizeof(r)), 0);
}

static void test_metric_with_name(void **state)
{
	struct decoder *d = new_dec();
	struct mp_metric_rec m = { .h = { .type = MP_REC_METRIC, .pid = 7,
					  .tid = 8, .cpu = 1, .ts = 5 } };
	double v = -2.5;

	(void)state;
	feed_name(d, 3, "loss", 0);
	m.name_id = 3;
	m.step = 42;
	memcpy(&m.value, &v, sizeof(v));
	assert_int_equal(decoder__feed(d, &m, sizeof(m)), 0);
	assert_int_equal(nrows, 1);
	assert_string_equal(last_name, "loss");
	assert_int_equal(last_m.step, 42);
	assert_true(last_m.value == -2.5);
	assert_int_equal(last_m.ts, 1005);	/* boot -> UTC offset applied */
	assert_int_equal(last_m.pid, 7);
	assert_int_equal(last_m.tid, 8);
	assert_int_equal(decoder__stats(d)->rows[ROW_METRICS], 1);
	assert_int_equal(decoder__stats(d)->names, 1);
	decoder__free(d);
}

static void test_unknown_and_unreadable_names(void **state)
{
	struct decoder *d = new_dec();
	struct mp_metric_rec m = { .h = { .type = MP_REC_METRIC } };

	(void)state;
	m.name_id = 99;
	assert_int_equal(decoder__feed(d, &m, sizeof(m)), 0);
	assert_string_equal(last_name, "<id 99>");
	assert_int_equal(decoder__stats(d)->unknown_names, 1);
	m.name_id = MP_NAME_ID_UNREADABLE;
	assert_int_equal(decoder__feed(d, &m, sizeof(m)), 0);
	assert_string_equal(last_name, "<unreadable>");
	decoder__free(d);
}

/* Ids far apart, the highest one below the cap: each resolves, an id
 * between them stays unknown, and one past the cap is refused (malformed
 * input must not make the decoder allocate by the id). */
static void test_sparse_name_ids(void **state)
{
	struct decoder *d = new_dec();
	struct mp_metric_rec m = { .h = { .type = MP_REC_METRIC } };
	struct mp_name_rec r = { .h = { .type = MP_REC_NAME } };
	const uint32_t ids[] = { 1, 255, 256, 70000, (1u << 24) - 1 };
	char want[32];

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(want, sizeof(want), "n%u", ids[i]);
		feed_name(d, ids[i], want, 0);
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(want, sizeof(want), "n%u", ids[i]);
		m.name_id = ids[i];
		assert_int_equal(decoder__feed(d, &m, sizeof(m)), 0);
		assert_string_equal(last_name, want);
	}
	m.name_id = 70001;
	assert_int_equal(decoder__feed(d, &m, sizeof(m)), 0);
	assert_string_equal(last_name, "<id 70001>");
	r.id = 1u << 24;
	r.len = 1;
	r.name[0] = 'x';
	assert_int_equal(decoder__feed(d, &r, sizeof(r)), -EINVAL);
	assert_int_equal(decoder__stats(d)->names, 5);
	decoder__free(d);
}

static void test_truncated_name_marked(void **state)
{
	struct decoder *d = new_dec();
	struct mp_span_rec s = { .h = { .type = MP_REC_SPAN, .flags = MP_F_NO_STEP } };

	(void)state;
	/* "ab" + the first byte of a 2-byte character, cut by the probe. */
	feed_name(d, 1, "ab\xc3", MP_F_TRUNCATED);
	s.name_id = 1;
	s.depth = 2;
	s.dur_ns = 10;
	assert_int_equal(decoder__feed(d, &s, sizeof(s)), 0);
	assert_string_equal(last_name, "ab" UTF8_TRUNC_MARK);
	assert_false(last_s.has_step);
	assert_int_equal(last_s.depth, 2);
	decoder__free(d);
}

static void test_log_invalid_utf8_and_sink_error(void **state)
{
	struct decoder *d = new_dec();
	struct mp_log_rec l = { .h = { .type = MP_REC_LOG } };
	(void)state;
	memcpy(l.msg, "x\xffy", 3);
	l.len = 3;
	l.level = 2;
	l.step = 9;
	assert_int_equal(decoder__feed(d, &l, sizeof(l)), 0);
	assert_string_equal(last_msg, "x\xef\xbf\xbdy");
	assert_true(last_l.has_step);
	assert_int_equal(last_l.step, 9);
	assert_int_equal(decoder__stats(d)->sink_errors, 1);
	decoder__free(d);
}

static void test_malformed(void **state)
{
	struct decoder *d = new_dec();
	struct mp_metric_rec m = { .h = { .type = MP_REC_METRIC } };
	struct mp_hdr h = { .type = 77 };
	struct mp_name_rec bad = { .h = { .type = MP_REC_NAME }, .id = 0 };

	(void)state;
	assert_int_equal(decoder__feed(d, &m, sizeof(m) - 1), -EINVAL);
	assert_int_equal(decoder__feed(d, &h, sizeof(h)), -EINVAL);
	assert_int_equal(decoder__feed(d, &h, 3), -EINVAL);
	assert_int_equal(decoder__feed(d, &bad, sizeof(bad)), -EINVAL);
	assert_int_equal(decoder__stats(d)->malformed, 4);
	assert_int_equal(nrows, 0);
	decoder__free(d);
}

/* A batch: its records in order, as rows; a bad count, a short batch or a
 * nested record of another kind is malformed (records before it kept). */
static void test_batch(void **state)
{
	struct decoder *d = new_dec();
	struct mp_batch_rec b = { .h = { .type = MP_REC_BATCH, .pid = 7 } };
	struct mp_metric_rec m = { .h = { .type = MP_REC_METRIC, .pid = 7,
					  .tid = 9 } };
	struct mp_span_rec s = { .h = { .type = MP_REC_SPAN, .pid = 7 } };
	size_t hdr = offsetof(struct mp_batch_rec, recs), off = 0;

	(void)state;
	feed_name(d, 3, "loss", 0);
	feed_name(d, 4, "fwd", 0);
	m.name_id = 3;
	/* Records of their own sizes, back to back: metric, span, metrics. */
	for (int i = 0; i < 3; i++) {
		m.step = 100 + i;
		memcpy(b.recs + off, &m, sizeof(m));
		off += sizeof(m);
		if (i == 0) {
			s.name_id = 4;
			s.dur_ns = 42;
			s.t.wait_ns = 40;
			memcpy(b.recs + off, &s, sizeof(s));
			off += sizeof(s);
		}
	}
	b.n = 4;
	b.bytes = (uint32_t)off;
	assert_int_equal(off, 3 * 48 + 80);
	assert_int_equal(decoder__feed(d, &b, hdr + off), 0);
	assert_int_equal(nrows, 4);
	assert_int_equal(decoder__stats(d)->rows[ROW_METRICS], 3);
	assert_int_equal(decoder__stats(d)->rows[ROW_SPANS], 1);
	assert_int_equal(last_m.step, 102);
	assert_int_equal(last_m.tid, 9);
	assert_int_equal(last_s.dur_ns, 42);
	assert_int_equal(last_s.wait_ns, 40);
	assert_int_equal(last_s.cpu_ns, 2);
	assert_string_equal(last_name, "loss");
	assert_int_equal(decoder__stats(d)->batches, 1);

	/* Short by one byte, a count of 0, a count past the maximum, bytes
	 * that do not add up to the records. */
	assert_int_equal(decoder__feed(d, &b, hdr + off - 1), -EINVAL);
	b.n = 0;
	assert_int_equal(decoder__feed(d, &b, sizeof(b)), -EINVAL);
	b.n = MP_BATCH_MAX + 1;
	assert_int_equal(decoder__feed(d, &b, sizeof(b)), -EINVAL);
	assert_int_equal(decoder__feed(d, &b, hdr - 1), -EINVAL);
	b.n = 4;
	b.bytes = (uint32_t)off + 8;	/* the 4 records kept, the tail not */
	assert_int_equal(decoder__feed(d, &b, sizeof(b)), -EINVAL);
	/* A batch inside a batch, after one good record. */
	b.n = 2;
	b.bytes = (uint32_t)off;
	memcpy(b.recs + sizeof(m), &b.h, sizeof(b.h));
	assert_int_equal(decoder__feed(d, &b, sizeof(b)), -EINVAL);
	assert_int_equal(decoder__stats(d)->malformed, 6);
	assert_int_equal(nrows, 4 + 4 + 1);
	decoder__free(d);
}

static void test_utf8(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(utf8_sanitize(out, "héllo", 6, false), 6);
	assert_string_equal(out, "héllo");
	/* overlong, surrogate, and out-of-range sequences are invalid */
	utf8_sanitize(out, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80", 12, false);
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
				 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* a 4-byte character cut after 3 bytes, truncated: dropped + marked */
	utf8_sanitize(out, "a\xf0\x9f\x98", 4, true);
	assert_string_equal(out, "a" UTF8_TRUNC_MARK);
	/* the same bytes not truncated: replaced */
	utf8_sanitize(out, "a\xf0\x9f\x98", 4, false);
	assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(utf8_sanitize(out, "", 0, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric_with_name),
		cmocka_unit_test(test_unknown_and_unreadable_names),
		cmocka_unit_test(test_sparse_name_ids),
		cmocka_unit_test(test_truncated_name_marked),
		cmocka_unit_test(test_log_invalid_utf8_and_sink_error),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
