// SPDX-License-Identifier: MIT
/*
 * stats.c - rank statistics for compare.  The Hodges-Lehmann estimate and
 * its interval are order statistics of the na*nb pairwise differences; for
 * 10^4 spans a side that is 10^8 numbers, so they are selected by bisection
 * over the (ordered) bit patterns of doubles with an O(na+nb) count per
 * probe instead of being formed and sorted.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

void stats__sort(double *a, size_t n)
{
	qsort(a, n, sizeof(*a), cmp_double);
}

double stats__quantile(const double *s, size_t n, double q)
{
	double h, lo;
	size_t i;

	if (!n)
		return NAN;
	if (q <= 0)
		return s[0];
	if (q >= 1)
		return s[n - 1];
	h = (double)(n - 1) * q;
	i = (size_t)h;
	lo = s[i];
	return i + 1 < n ? lo + (h - (double)i) * (s[i + 1] - lo) : lo;
}

double stats__norm_cdf(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

double stats__norm_quantile(double p)
{
	double lo = -40, hi = 40;

	/* Bisection on the CDF: 200 halvings reach the resolution of doubles
	 * and this is called once per compare. */
	for (int i = 0; i < 200; i++) {
		double mid = 0.5 * (lo + hi);

		if (stats__norm_cdf(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

int stats__mann_whitney(const double *a, size_t na, const double *b,
			size_t nb, struct mwu *out)
{
	double n = (double)na + (double)nb, rank_b = 0, ties = 0, mu, sigma, d;
	size_t i = 0, j = 0;

	if (!na || !nb)
		return -1;
	/* Merge the sorted samples; each run of equal values gets its midrank. */
	while (i < na || j < nb) {
		double v = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
		size_t ca = 0, cb = 0;
		double first = (double)(i + j) + 1, t;

		while (i < na && a[i] == v)
			i++, ca++;
		while (j < nb && b[j] == v)
			j++, cb++;
		t = (double)(ca + cb);
		rank_b += (double)cb * (first + (t - 1) / 2);
		ties += t * t * t - t;
	}
	out->u = rank_b - (double)nb * ((double)nb + 1) / 2;
	mu = (double)na * (double)nb / 2;
	sigma = sqrt((double)na * (double)nb / 12 *
		     ((n + 1) - ties / (n * (n - 1))));
	if (!(sigma > 0)) {	/* every value equal */
		out->z = 0;
		out->p = 1;
		return 0;
	}
	d = out->u - mu;
	d = d > 0.5 ? d - 0.5 : d < -0.5 ? d + 0.5 : 0;
	out->z = d / sigma;
	out->p = erfc(fabs(out->z) / sqrt(2.0));
	if (out->p > 1)
		out->p = 1;
	return 0;
}

/* Doubles mapped to integers in the same order (NaN excluded). */
static int64_t key_of(double d)
{
	int64_t k;

	memcpy(&k, &d, sizeof(k));
	return k < 0 ? INT64_MIN - k - 1 : k;	/* negative: reverse */
}

static double double_of(int64_t k)
{
	double d;

	if (k < 0)
		k = INT64_MIN - k - 1;
	memcpy(&d, &k, sizeof(d));
	return d;
}

/* Number of pairs with b_j - a_i <= t.  For a fixed j the qualifying i
 * (a_i >= b_j - t, as computed in doubles, which is monotone) form a suffix
 * of a whose start only moves right as b_j grows. */
static unsigned long long count_le(const double *a, size_t na, const double *b,
				   size_t nb, double t)
{
	unsigned long long c = 0;
	size_t i = 0;

	for (size_t j = 0; j < nb; j++) {
		while (i < na && b[j] - a[i] > t)
			i++;
		c += na - i;
	}
	return c;
}

double stats__kth_diff(const double *a, size_t na, const double *b,
		       size_t nb, unsigned long long k)
{
	int64_t lo, hi;

	assert(na && nb && k >= 1 && k <= (unsigned long long)na * nb);
	/* The answer is one of the differences, so it lies in
	 * [b_min - a_max, b_max - a_min]; find the smallest t whose count
	 * reaches k. */
	lo = key_of(b[0] - a[na - 1]);
	hi = key_of(b[nb - 1] - a[0]);
	while (lo < hi) {
		int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);

		if (count_le(a, na, b, nb, double_of(mid)) >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return double_of(lo);
}

int stats__hl_shift(const double *a, size_t na, const double *b, size_t nb,
		    double alpha, struct shift *out)
{
	unsigned long long n, c;
	double z, half;

	if (!na || !nb || !(alpha > 0 && alpha < 1))
		return -1;
	n = (unsigned long long)na * nb;
	if (n % 2)
		out->est = stats__kth_diff(a, na, b, nb, n / 2 + 1);
	else
		out->est = 0.5 * (stats__kth_diff(a, na, b, nb, n / 2) +
				  stats__kth_diff(a, na, b, nb, n / 2 + 1));
	/* Moses: the interval runs from the C-th smallest to the C-th largest
	 * difference, C = the lower critical value of U at alpha/2. */
	z = stats__norm_quantile(1 - alpha / 2);
	half = (double)n / 2 - z * sqrt((double)na * (double)nb *
					((double)na + (double)nb + 1) / 12);
	c = half < 1 ? 1 : (unsigned long long)floor(half);
	out->lo = stats__kth_diff(a, na, b, nb, c);
	out->hi = stats__kth_diff(a, na, b, nb, n + 1 - c);
	return 0;
}

int stats__parse_pct(const char *s, double *pct)
{
	const char *p;
	int digits = 0, dots = 0;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	/* Plain decimal only: no sign, exponent, hex, "inf" or "nan". */
	for (p = s; isdigit((unsigned char)*p) || *p == '.'; p++) {
		digits += *p != '.';
		dots += *p == '.';
	}
	if (!digits || dots > 1)
		return -1;
	v = strtod(s, NULL);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '%')
		p++;
	if (*p || !isfinite(v) || v > 1000)
		return -1;
	*pct = v;
	return 0;
}
