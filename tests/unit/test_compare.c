// SPDX-License-Identifier: MIT
/* test_compare.c - the verdicts of compare on runs built in memory with
 * known distributions, the --metric parser, and the input errors. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "analysis/compare.h"
#include "analysis/runload.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double normal(void)
{
	double u[2];

	for (int k = 0; k < 2; k++) {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		u[k] = (double)((rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
	}
	return sqrt(-2 * log(u[0] + 1e-300)) * cos(2 * M_PI * u[1]);
}

/* n spans named name with durations median * (1 + 1% noise), steps 0.. */
static void spans(struct runload *r, const char *name, int n, double median)
{
	for (int i = 0; i < n; i++) {
		struct rl_span s = { .ts = i, .step = i, .pid = 1, .tid = 1,
				     .dur = (int64_t)(median * (1 + 0.01 * normal())) };

		assert_int_equal(runload__add_span(r, &s, name), 0);
	}
}

static void metrics(struct runload *r, const char *name, int n, double mean)
{
	for (int i = 0; i < n; i++) {
		struct rl_metric m = { .ts = i, .step = i, .pid = 1, .tid = 1,
				       .value = mean * (1 + 0.01 * normal()) };

		assert_int_equal(runload__add_metric(r, &m, name), 0);
	}
}

static const struct compare_row *row(const struct compare_result *res,
				     const char *name)
{
	for (size_t i = 0; i < res->nrows; i++)
		if (!strcmp(res->rows[i].name, name))
			return &res->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static void test_verdicts(void **state)
{
	struct runload *base = runload__new("base"), *new = runload__new("new");
	struct compare_opts o;
	struct compare_result *res;
	char err[256];

	(void)state;
	compare__defaults(&o);
	spans(base, "slow", 200, 1e6);
	spans(new, "slow", 200, 1.1e6);		/* +10% */
	spans(base, "fast", 200, 1e6);
	spans(new, "fast", 200, 0.8e6);		/* -20% */
	spans(base, "same", 200, 5e5);
	spans(new, "same", 200, 5e5);
	spans(base, "tiny", 200, 5e5);
	spans(new, "tiny", 200, 5.1e5);		/* +2%: real, but small */
	spans(base, "few", 10, 1e6);
	spans(new, "few", 10, 2e6);		/* +100%, but 10 samples */
	spans(base, "gone", 50, 1e6);
	spans(new, "fresh", 50, 1e6);
	o.fail_on = 5;
	res = compare__run(base, new, &o, err, sizeof(err));
	assert_non_null(res);
	assert_int_equal(res->nrows, 7);
	assert_int_equal(row(res, "slow")->verdict, CV_WORSE);
	assert_true(row(res, "slow")->fails);
	assert_float_equal(row(res, "slow")->change, 10, 0.5);
	assert_true(row(res, "slow")->lo < 10 && row(res, "slow")->hi > 10);
	assert_int_equal(row(res, "fast")->verdict, CV_BETTER);
	assert_false(row(res, "fast")->fails);
	assert_int_equal(row(res, "same")->verdict, CV_SAME);
	assert_false(row(res, "same")->significant);
	assert_int_equal(row(res, "tiny")->verdict, CV_SMALL);
	assert_true(row(res, "tiny")->significant);
	assert_int_equal(row(res, "few")->verdict, CV_FEW);
	assert_true(isnan(row(res, "few")->p));
	assert_int_equal(row(res, "gone")->verdict, CV_ONLY_BASE);
	assert_int_equal(row(res, "fresh")->verdict, CV_ONLY_NEW);
	assert_int_equal(res->regressions, 1);
	assert_int_equal(res->failures, 1);
	compare__free(res);

	/* The CI of +10% is not wholly above 12%: no failure. */
	o.fail_on = 12;
	res = compare__run(base, new, &o, err, sizeof(err));
	assert_int_equal(res->regressions, 1);
	assert_int_equal(res->failures, 0);
	compare__free(res);
	runload__free(base);
	runload__free(new);
}

static void test_metrics_direction(void **state)
{
	struct runload *base = runload__new("base"), *new = runload__new("new");
	struct compare_opts o;
	struct compare_result *res;
	char err[256];

	(void)state;
	compare__defaults(&o);
	spans(base, "step", 100, 1e6);
	spans(new, "step", 100, 1e6);
	metrics(base, "accuracy", 100, 0.9);
	metrics(new, "accuracy", 100, 0.8);	/* fell: worse */
	metrics(base, "loss", 100, 0.5);
	metrics(new, "loss", 100, 0.4);		/* fell: better */
	assert_int_equal(compare__add_metric(&o, "accuracy:higher"), 0);
	assert_int_equal(compare__add_metric(&o, "loss"), 0);
	o.fail_on = 5;
	res = compare__run(base, new, &o, err, sizeof(err));
	assert_non_null(res);
	assert_true(row(res, "accuracy")->is_metric);
	assert_int_equal(row(res, "accuracy")->verdict, CV_WORSE);
	assert_true(row(res, "accuracy")->fails);
	assert_int_equal(row(res, "loss")->verdict, CV_BETTER);
	assert_string_equal(compare__verdict_str(row(res, "loss")), "better");
	/* spans come first */
	assert_false(res->rows[0].is_metric);
	compare__free(res);

	assert_int_equal(compare__add_metric(&o, "nosuch"), 0);
	assert_null(compare__run(base, new, &o, err, sizeof(err)));
	assert_string_equal(err, "metric 'nosuch' is in neither base nor new");
	runload__free(base);
	runload__free(new);
}

static void test_skip_steps(void **state)
{
	struct runload *base = runload__new("base"), *new = runload__new("new");
	struct compare_opts o;
	struct compare_result *res;
	char err[256];

	(void)state;
	compare__defaults(&o);
	spans(base, "step", 200, 1e6);
	spans(new, "step", 200, 1e6);
	/* A long warm-up of 120 slow steps in new only (a short one would
	 * hardly move the Hodges-Lehmann shift: it is robust). */
	for (size_t i = 0; i < 120; i++)
		new->spans[i].dur *= 3;
	res = compare__run(base, new, &o, err, sizeof(err));
	assert_int_equal(row(res, "step")->verdict, CV_WORSE);
	compare__free(res);
	o.skip_steps = 120;
	res = compare__run(base, new, &o, err, sizeof(err));
	assert_int_equal(row(res, "step")->n_new, 80);
	assert_int_not_equal(row(res, "step")->verdict, CV_WORSE);
	compare__free(res);
	runload__free(base);
	runload__free(new);
}

static void test_bad_input(void **state)
{
	struct runload *base = runload__new("base"), *new = runload__new("new"),
		       *empty = runload__new("empty");
	struct compare_opts o;
	char err[256];

	(void)state;
	compare__defaults(&o);
	spans(base, "a", 50, 1e6);
	spans(base, "b", 50, 1e6);
	spans(new, "c", 50, 1e6);
	assert_null(compare__run(base, new, &o, err, sizeof(err)));
	assert_string_equal(err, "no span names in common: base has a, b; new has c");
	assert_null(compare__run(base, empty, &o, err, sizeof(err)));
	assert_string_equal(err, "empty: holds no spans");
	assert_null(compare__run(empty, new, &o, err, sizeof(err)));
	assert_string_equal(err, "empty: holds no spans");
	runload__free(base);
	runload__free(new);
	runload__free(empty);
}

static void test_metric_arg(void **state)
{
	struct compare_opts o;
	char name[200];

	(void)state;
	compare__defaults(&o);
	assert_int_equal(compare__add_metric(&o, "loss"), 0);
	assert_string_equal(o.metrics[0].name, "loss");
	assert_false(o.metrics[0].higher_is_better);
	assert_int_equal(compare__add_metric(&o, "acc:higher"), 0);
	assert_string_equal(o.metrics[1].name, "acc");
	assert_true(o.metrics[1].higher_is_better);
	assert_int_equal(compare__add_metric(&o, ""), -1);
	assert_int_equal(compare__add_metric(&o, ":higher"), -1);
	assert_int_equal(compare__add_metric(&o, "x:lower"), -1);
	assert_int_equal(compare__add_metric(&o, "x:"), -1);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	assert_int_equal(compare__add_metric(&o, name), -1);
	while (o.nmetrics < COMPARE_MAX_METRICS)
		assert_int_equal(compare__add_metric(&o, "m"), 0);
	assert_int_equal(compare__add_metric(&o, "one-too-many"), -1);
}

static void test_formats(void **state)
{
	struct runload *base = runload__new("base"), *new = runload__new("new");
	struct compare_opts o;
	struct compare_result *res;
	char err[256], *buf = NULL, line[256];
	size_t len = 0;
	FILE *f;

	(void)state;
	compare__defaults(&o);
	spans(base, "a|b`c", 50, 1e6);
	spans(new, "a|b`c", 50, 1.5e6);
	spans(base, "a-very-long-span-name", 50, 1e3);
	spans(new, "a-very-long-span-name", 50, 1e3);
	res = compare__run(base, new, &o, err, sizeof(err));
	assert_non_null(res);

	f = open_memstream(&buf, &len);
	compare__print_table(f, res);
	fclose(f);
	f = fmemopen(buf, len, "r");
	while (fgets(line, sizeof(line), f)) {
		size_t cols = 0;

		for (const char *p = line; *p && *p != '\n'; p++)
			cols += ((unsigned char)*p & 0xc0) != 0x80;
		assert_in_range(cols, 0, 80);
	}
	fclose(f);
	assert_non_null(strstr(buf, "a-very-lon\xe2\x80\xa6 "));
	free(buf);

	f = open_memstream(&buf, &len);
	compare__print_md(f, res);
	fclose(f);
	/* a pipe in a name must not split the Markdown row */
	assert_non_null(strstr(buf, "| `a\\|b'c` | 50 | 50 |"));
	assert_non_null(strstr(buf, "**1 regression**: `a\\|b'c` +"));
	free(buf);

	f = open_memstream(&buf, &len);
	compare__print_json(f, res);
	fclose(f);
	assert_non_null(strstr(buf, "\"name\":\"a|b`c\",\"n_base\":50,\"n_new\":50"));
	assert_non_null(strstr(buf, "\"verdict\":\"slower\""));
	free(buf);
	compare__free(res);
	runload__free(base);
	runload__free(new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_metrics_direction),
		cmocka_unit_test(test_skip_steps),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_metric_arg),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
