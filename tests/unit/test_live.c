// SPDX-License-Identifier: MIT
/* test_live.c - the quantile histogram against exact quantiles, the live
 * state fed through its sink, and the Prometheus text made from it. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sinks/live.h"
#include "sinks/prom.h"
#include "sinks/qhist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_buckets(void **state)
{
	uint64_t lo, hi;

	(void)state;
	/* Every value falls in its bucket, buckets tile the range in order. */
	for (int b = 0; b < QHIST_BUCKETS - 1; b++) {
		uint64_t lo2, hi2;

		qhist_bounds(b, &lo, &hi);
		qhist_bounds(b + 1, &lo2, &hi2);
		assert_true(lo <= hi);
		assert_true(hi + 1 == lo2);
		assert_int_equal(qhist_bucket(lo), b);
		assert_int_equal(qhist_bucket(hi), b);
		/* relative width at most 1/16 past the exact range */
		if (lo >= 16)
			assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 16 + 1e-12);
	}
	qhist_bounds(QHIST_BUCKETS - 1, &lo, &hi);
	assert_true(hi == UINT64_MAX);
	assert_int_equal(qhist_bucket(UINT64_MAX), QHIST_BUCKETS - 1);
}

/* Against the exact nearest-rank quantile of the same data, for several
 * shapes: every answer within 1/32 of the true value. */
static void test_quantiles(void **state)
{
	static const double qs[] = { 0.01, 0.1, 0.5, 0.9, 0.99, 0.999 };
	enum { N = 20000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct qhist *h = calloc(1, sizeof(*h));

	(void)state;
	for (int shape = 0; shape < 4; shape++) {
		memset(h, 0, sizeof(*h));
		for (int i = 0; i < N; i++) {
			uint64_t x;

			switch (shape) {
			case 0: x = 1000000 + next() % 1000; break;	/* narrow */
			case 1: x = next() % 10000000000ull; break;	/* uniform */
			case 2: x = (uint64_t)exp((double)(next() % 30000) / 1000); break;
			default: x = next() % 10; break;		/* exact range */
			}
			v[i] = x;
			qhist_add(h, x);
		}
		qsort(v, N, sizeof(*v), cmp_u64);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			size_t rank = (size_t)ceil(qs[k] * N);
			double want = (double)v[rank - 1];
			double got = (double)qhist_quantile(h, qs[k]);

			if (fabs(got - want) > want / 32 + 1e-9)
				fail_msg("shape %d q %g: got %.0f want %.0f", shape,
					 qs[k], got, want);
		}
		assert_true(qhist_quantile(h, 0) == v[0]);
		assert_true(qhist_quantile(h, 1) == v[N - 1]);
	}
	memset(h, 0, sizeof(*h));
	assert_true(qhist_quantile(h, 0.5) == 0);
	qhist_add(h, 12345);
	assert_true(qhist_quantile(h, 0.5) == 12345);	/* clamped to min/max */
	free(v);
	free(h);
}

static void test_live_and_prom(void **state)
{
	struct live *l = live__new("h\"1");
	struct sink s = live__sink(l);
	struct row_proc p0 = { .ppid = -1, .rank = 0, .local_rank = -1, .world_size = 2 };
	struct row_proc pn = { .ppid = -1, .rank = -1, .local_rank = -1, .world_size = -1 };
	struct live_snap snap = { 0 };
	uint64_t ev[ROW_TABLES] = { 7, 8, 9 }, dr[ROW_TABLES] = { 1, 2, 3 };
	char *text, name[32];
	size_t len;

	(void)state;
	assert_non_null(l);
	for (int i = 0; i < 100; i++) {
		struct row_metric m = { .step = i, .name = "loss", .name_len = 4,
					.value = i == 50 ? NAN : 100 - i, .proc = &p0 };
		struct row_span sp = { .dur_ns = (i + 1) * 1000000, .name = "fwd",
				       .name_len = 3, .proc = &p0,
				       .cpu_ns = (i + 1) * 250000,
				       .runq_ns = i == 7 ? 1000 : 0,
				       .wait_ns = (i + 1) * 750000 - (i == 7 ? 1000 : 0) };

		s.metric(s.ctx, &m);
		m.proc = &pn;
		m.value = i;
		s.metric(s.ctx, &m);	/* same name, no rank: another series */
		s.span(s.ctx, &sp);
	}
	/* Past the bound: counted, not kept. */
	for (int i = 0; i < LIVE_MAX_METRICS + 10; i++) {
		struct row_metric m = { .name = name, .proc = &pn };

		m.name_len = (size_t)snprintf(name, sizeof(name), "m%d", i);
		s.metric(s.ctx, &m);
	}
	live__counters(l, ev, dr, 42);
	live__alert(l, "nan(loss)", "loss = nan");
	live__alert(l, "nan(loss)", "loss = nan");
	assert_int_equal(live__snapshot(l, &snap), 0);
	assert_int_equal(snap.nmetrics, LIVE_MAX_METRICS);
	assert_true(snap.untracked_metrics == 12);
	assert_string_equal(snap.metrics[0].name, "loss");
	assert_int_equal(snap.metrics[0].rank, 0);
	assert_true(snap.metrics[0].last == 1);
	assert_true(snap.metrics[0].min == 1 && snap.metrics[0].max == 100);
	assert_int_equal(snap.metrics[0].nring, LIVE_RING);
	assert_true(snap.metrics[0].ring[LIVE_RING - 1] == 1);	/* newest last */
	assert_true(snap.metrics[0].ring[0] == 100 - (100 - LIVE_RING));
	assert_int_equal(snap.metrics[1].rank, -1);
	assert_true(snap.metrics[1].last == 99);
	assert_int_equal(snap.nspans, 1);
	assert_true(snap.spans[0].count == 100);
	/* p50 of 1..100 ms is 50 ms, p99 99 ms, within 1/32 */
	assert_true(fabs((double)snap.spans[0].p50_ns - 50e6) <= 50e6 / 32);
	assert_true(fabs((double)snap.spans[0].p99_ns - 99e6) <= 99e6 / 32);
	/* where the time went, summed: 5050 ms in all, a quarter on CPU */
	assert_true(snap.spans[0].part_ns[LIVE_CPU] == 5050ull * 250000);
	assert_true(snap.spans[0].part_ns[LIVE_RUNQ] == 1000);
	assert_true(snap.spans[0].part_ns[LIVE_IO] == 0);
	assert_true(snap.spans[0].part_ns[LIVE_WAIT] == 5050ull * 750000 - 1000);
	assert_true(snap.steps == 42 && snap.events[1] == 8 && snap.dropped[2] == 3);
	assert_int_equal(snap.nrules, 1);
	assert_true(snap.rules[0].fired == 2);

	text = prom_format(&snap, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "mlprobe_metric{name=\"loss\",rank=\"0\",host=\"h\\\"1\"} 1\n"));
	assert_non_null(strstr(text, "mlprobe_metric{name=\"loss\",rank=\"-1\",host=\"h\\\"1\"} 99\n"));
	/* 1..100 ms: 10 spans <= 10 ms, 25 <= 25 ms, 50 <= 50 ms, all <= 0.1 s */
	assert_non_null(strstr(text, "mlprobe_span_seconds_bucket{name=\"fwd\",rank=\"0\",host=\"h\\\"1\",le=\"0.01\"} 10\n"));
	assert_non_null(strstr(text, "le=\"0.025\"} 25\n"));
	assert_non_null(strstr(text, "le=\"0.05\"} 50\n"));
	assert_non_null(strstr(text, "le=\"0.1\"} 100\n"));
	assert_non_null(strstr(text, "le=\"+Inf\"} 100\n"));
	assert_non_null(strstr(text, "mlprobe_span_seconds_sum{name=\"fwd\",rank=\"0\",host=\"h\\\"1\"} 5.050000000\n"));
	assert_non_null(strstr(text, "mlprobe_alerts_total{rule=\"nan(loss)\",host=\"h\\\"1\"} 2\n"));
	assert_non_null(strstr(text, "mlprobe_steps_total{host=\"h\\\"1\"} 42\n"));
	assert_non_null(strstr(text, "mlprobe_untracked_names_total{kind=\"metric\",host=\"h\\\"1\"} 12\n"));
	/* Every line a comment or "series value". */
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');

		assert_non_null(nl);
		assert_true(line[0] == '#' || memchr(line, '}', nl - line) ||
			    memchr(line, ' ', nl - line));
		line = nl + 1;
	}
	free(text);
	live_snap_free(&snap);
	live__free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_live_and_prom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
