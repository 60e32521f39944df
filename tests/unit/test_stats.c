// SPDX-License-Identifier: MIT
/* test_stats.c - quantiles, Mann-Whitney U, Hodges-Lehmann shift and its
 * interval, each against an independent computation: brute force over all
 * pairs, the exact permutation distribution, and coverage by simulation. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "analysis/stats.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static double uniform(void)	/* [0, 1) */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform() + 1e-300)) * cos(2 * M_PI * uniform());
}

static void test_quantile(void **state)
{
	double a[] = { 1, 2, 3, 4 }, one[] = { 7 };

	(void)state;
	/* numpy.quantile([1,2,3,4], [.5,.9,0,1]) = 2.5, 3.7, 1, 4 */
	assert_float_equal(stats__quantile(a, 4, 0.5), 2.5, 1e-12);
	assert_float_equal(stats__quantile(a, 4, 0.9), 3.7, 1e-12);
	assert_float_equal(stats__quantile(a, 4, 0), 1, 0);
	assert_float_equal(stats__quantile(a, 4, 1), 4, 0);
	assert_float_equal(stats__quantile(one, 1, 0.9), 7, 0);
	assert_true(isnan(stats__quantile(a, 0, 0.5)));
}

static void test_normal(void **state)
{
	(void)state;
	/* Tables: Phi(1.96) = 0.9750021, z(0.995) = 2.5758293 */
	assert_float_equal(stats__norm_cdf(1.96), 0.9750021, 1e-7);
	assert_float_equal(stats__norm_quantile(0.995), 2.5758293, 1e-7);
	assert_float_equal(stats__norm_quantile(0.5), 0, 1e-12);
	assert_float_equal(stats__norm_quantile(0.025), -1.959964, 1e-6);
}

/* U by definition: pairs with b > a, ties count one half. */
static double brute_u(const double *a, size_t na, const double *b, size_t nb)
{
	double u = 0;

	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			u += b[j] > a[i] ? 1 : b[j] == a[i] ? 0.5 : 0;
	return u;
}

static void test_mwu_u_and_ties(void **state)
{
	double a[40], b[50];
	struct mwu m;

	(void)state;
	for (int round = 0; round < 50; round++) {
		/* Rounded values: many ties, within and across samples. */
		for (size_t i = 0; i < 40; i++)
			a[i] = round % 2 ? floor(normal() * 3) : normal();
		for (size_t j = 0; j < 50; j++)
			b[j] = round % 2 ? floor(normal() * 3 + 0.5) : normal() + 0.3;
		stats__sort(a, 40);
		stats__sort(b, 50);
		assert_int_equal(stats__mann_whitney(a, 40, b, 50, &m), 0);
		assert_float_equal(m.u, brute_u(a, 40, b, 50), 1e-9);
		assert_true(m.p >= 0 && m.p <= 1);
	}
	/* Every value equal: no evidence at all. */
	for (size_t i = 0; i < 40; i++)
		a[i] = b[i] = 5;
	assert_int_equal(stats__mann_whitney(a, 40, b, 40, &m), 0);
	assert_float_equal(m.p, 1, 0);
	/* Fully separated: U = na * nb, tiny p. */
	for (size_t i = 0; i < 40; i++)
		a[i] = (double)i, b[i] = 100 + (double)i;
	assert_int_equal(stats__mann_whitney(a, 40, b, 40, &m), 0);
	assert_float_equal(m.u, 1600, 0);
	assert_true(m.p < 1e-10);
	assert_int_equal(stats__mann_whitney(a, 0, b, 40, &m), -1);
}

/* The exact two-sided p of U over every split of the pooled sample into
 * groups of 7 and 7 (C(14,7) = 3432), against the normal approximation. */
static void test_mwu_p_vs_exact(void **state)
{
	double pool[14], a[7], b[7];
	struct mwu m;

	(void)state;
	for (int round = 0; round < 20; round++) {
		double shift = round * 0.1, u_obs, mu = 24.5, extreme = 0;
		int total = 0;

		for (int i = 0; i < 7; i++) {
			a[i] = normal();
			b[i] = normal() + shift;
		}
		stats__sort(a, 7);
		stats__sort(b, 7);
		memcpy(pool, a, sizeof(a));
		memcpy(pool + 7, b, sizeof(b));
		u_obs = brute_u(a, 7, b, 7);
		for (unsigned mask = 0; mask < 1u << 14; mask++) {
			double x[7], y[7];
			int nx = 0, ny = 0;

			if (__builtin_popcount(mask) != 7)
				continue;
			for (int i = 0; i < 14; i++) {
				if (mask & (1u << i))
					x[nx++] = pool[i];
				else
					y[ny++] = pool[i];
			}
			total++;
			extreme += fabs(brute_u(x, 7, y, 7) - mu) >= fabs(u_obs - mu) - 1e-9;
		}
		assert_int_equal(total, 3432);
		assert_int_equal(stats__mann_whitney(a, 7, b, 7, &m), 0);
		/* The approximation is good to about 0.01 at n = 7. */
		assert_float_equal(m.p, extreme / total, 0.015);
	}
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static void test_kth_diff_brute(void **state)
{
	double a[23], b[17], d[23 * 17];

	(void)state;
	for (int round = 0; round < 30; round++) {
		size_t n = 0;

		for (size_t i = 0; i < 23; i++)
			a[i] = round % 3 == 0 ? floor(normal() * 4) :
			       round % 3 == 1 ? normal() * 1e6 : normal() - 50;
		for (size_t j = 0; j < 17; j++)
			b[j] = round % 3 == 0 ? floor(normal() * 4) :
			       round % 3 == 1 ? normal() * 1e6 + 3e5 : normal() * 0.01;
		stats__sort(a, 23);
		stats__sort(b, 17);
		for (size_t i = 0; i < 23; i++)
			for (size_t j = 0; j < 17; j++)
				d[n++] = b[j] - a[i];
		qsort(d, n, sizeof(*d), cmp);
		for (size_t k = 1; k <= n; k++)
			assert_float_equal(stats__kth_diff(a, 23, b, 17, k), d[k - 1], 0);
	}
}

static void test_hl_shift(void **state)
{
	double a[101], b[101];
	struct shift s;

	(void)state;
	for (size_t i = 0; i < 101; i++) {
		a[i] = 1000 + normal() * 10;
		b[i] = a[i] + 100;	/* exactly shifted */
	}
	stats__sort(a, 101);
	stats__sort(b, 101);
	assert_int_equal(stats__hl_shift(a, 101, b, 101, 0.01, &s), 0);
	assert_float_equal(s.est, 100, 1e-9);
	assert_true(s.lo <= 100 && s.hi >= 100 && s.lo < s.hi);
	assert_true(s.lo > 90 && s.hi < 110);
	assert_int_equal(stats__hl_shift(a, 0, b, 101, 0.01, &s), -1);
	assert_int_equal(stats__hl_shift(a, 101, b, 101, 0, &s), -1);
	assert_int_equal(stats__hl_shift(a, 101, b, 101, 1, &s), -1);
}

/* With no true shift, a 90% interval must hold 0 about 90% of the time and
 * the test must reject about 10% of the time (400 trials: 84% to 95%). */
static void test_coverage_and_false_positives(void **state)
{
	double a[60], b[80];
	int covered = 0, rejected = 0, trials = 400;

	(void)state;
	for (int t = 0; t < trials; t++) {
		struct shift s;
		struct mwu m;

		for (size_t i = 0; i < 60; i++)
			a[i] = exp(normal());	/* skewed, like durations */
		for (size_t j = 0; j < 80; j++)
			b[j] = exp(normal());
		stats__sort(a, 60);
		stats__sort(b, 80);
		assert_int_equal(stats__hl_shift(a, 60, b, 80, 0.10, &s), 0);
		assert_int_equal(stats__mann_whitney(a, 60, b, 80, &m), 0);
		covered += s.lo <= 0 && 0 <= s.hi;
		rejected += m.p < 0.10;
	}
	assert_in_range(covered, trials * 84 / 100, trials * 95 / 100);
	assert_in_range(rejected, trials * 5 / 100, trials * 16 / 100);
}

static void test_parse_pct(void **state)
{
	static const char *const good[] = { "5%", "5", "0.5%", " 12.5 %", "0", ".5" };
	static const double want[] = { 5, 5, 0.5, 12.5, 0, 0.5 };
	static const char *const bad[] = { "", "%", "abc", "5%%", "-1%", "nan",
					   "inf", "1e9", "5x", "5% x", "+5", "0x10" };
	double v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(stats__parse_pct(good[i], &v), 0);
		assert_float_equal(v, want[i], 1e-12);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(stats__parse_pct(bad[i], &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_mwu_u_and_ties),
		cmocka_unit_test(test_mwu_p_vs_exact),
		cmocka_unit_test(test_kth_diff_brute),
		cmocka_unit_test(test_hl_shift),
		cmocka_unit_test(test_coverage_and_false_positives),
		cmocka_unit_test(test_parse_pct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
