// SPDX-License-Identifier: MIT
/* live.c - the live state behind `top` and /metrics (see live.h). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "live.h"
#include "qhist.h"
#include "common/utf8.h"
#include "wire.h"

/* 1-2.5-5 from 1 us to 100 s: step times of a trainer and the phases in
 * them fall in the middle, a bucket never spans more than 2.5x. */
const double live_bucket_le[LIVE_BUCKETS] = {
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
	2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 10, 100,
};
static uint64_t bucket_ns[LIVE_BUCKETS];

/* lookup() finds a rank right after the name, in both kinds of entry. */
_Static_assert(LIVE_NAME_MAX >= MP_NAME_MAX + sizeof(UTF8_TRUNC_MARK) - 1,
	       "a cut name and its mark fit");
_Static_assert(offsetof(struct live_metric, rank) == LIVE_NAME_MAX, "layout");
_Static_assert(offsetof(struct live_span, rank) == LIVE_NAME_MAX, "layout");

#define MTAB (LIVE_MAX_METRICS * 2)
#define STAB (LIVE_MAX_SPANS * 2)

struct span_state {
	struct live_span v;
	struct qhist h;
};

struct live {
	pthread_mutex_t mu;
	char host[256];
	struct live_metric *m;		/* ring stored circularly */
	int nm;
	struct span_state *s;
	int ns;
	int16_t mtab[MTAB], stab[STAB];	/* hash -> index + 1; 0: empty */
	struct live_rule rules[LIVE_MAX_RULES];
	int nrules;
	uint64_t events[ROW_TABLES], dropped[ROW_TABLES], steps, rows[ROW_TABLES];
	uint64_t untracked_m, untracked_s;
	char last_alert[300], last_log[300];
};

static uint32_t hash(const char *s, size_t n, int32_t rank)
{
	uint32_t h = 2166136261u ^ (uint32_t)rank;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h ^ (h >> 15);
}

/* Index of (name, rank) in a table, added if new and there is room; -1
 * when full.  names[i] at stride bytes from base. */
static int lookup(int16_t *tab, int cap, const char *base, size_t stride,
		  int *n, int max, const char *name, size_t len, int32_t rank)
{
	uint32_t h = hash(name, len, rank);

	if (len >= LIVE_NAME_MAX)
		len = LIVE_NAME_MAX - 1;
	for (int probe = 0; probe < cap; probe++) {
		int16_t *slot = &tab[(h + probe) & (cap - 1)];
		const char *nm;

		if (!*slot) {
			char *dst;

			if (*n >= max)
				return -1;
			dst = (char *)base + (size_t)*n * stride;
			memcpy(dst, name, len);
			dst[len] = 0;
			*(int32_t *)(dst + LIVE_NAME_MAX) = rank;
			*slot = (int16_t)(++*n);
			return *n - 1;
		}
		nm = base + (size_t)(*slot - 1) * stride;
		if (!strncmp(nm, name, len) && !nm[len] &&
		    *(const int32_t *)(nm + LIVE_NAME_MAX) == rank)
			return *slot - 1;
	}
	return -1;
}

static int on_metric(void *ctx, const struct row_metric *r)
{
	struct live *l = ctx;
	struct live_metric *m;
	int i;

	pthread_mutex_lock(&l->mu);
	l->rows[ROW_METRICS]++;
	i = lookup(l->mtab, MTAB, (const char *)l->m, sizeof(*l->m), &l->nm,
		   LIVE_MAX_METRICS, r->name, r->name_len, r->proc->rank);
	if (i < 0) {
		l->untracked_m++;
		goto out;
	}
	m = &l->m[i];
	if (!m->count)
		m->min = m->max = NAN;
	m->count++;
	m->step = r->step;
	m->last = r->value;
	if (!isnan(r->value)) {
		if (isnan(m->min) || r->value < m->min)
			m->min = r->value;
		if (isnan(m->max) || r->value > m->max)
			m->max = r->value;
	}
	m->ring[m->nring++ % LIVE_RING] = r->value;
out:
	pthread_mutex_unlock(&l->mu);
	return 0;
}

static int on_span(void *ctx, const struct row_span *r)
{
	struct live *l = ctx;
	struct span_state *s;
	uint64_t d = r->dur_ns > 0 ? (uint64_t)r->dur_ns : 0;
	int i;

	pthread_mutex_lock(&l->mu);
	l->rows[ROW_SPANS]++;
	i = lookup(l->stab, STAB, (const char *)l->s, sizeof(*l->s), &l->ns,
		   LIVE_MAX_SPANS, r->name, r->name_len, r->proc->rank);
	if (i < 0) {
		l->untracked_s++;
		goto out;
	}
	s = &l->s[i];
	s->v.count++;
	s->v.total_ns += d;
	s->v.part_ns[LIVE_CPU] += r->cpu_ns > 0 ? (uint64_t)r->cpu_ns : 0;
	s->v.part_ns[LIVE_RUNQ] += r->runq_ns > 0 ? (uint64_t)r->runq_ns : 0;
	s->v.part_ns[LIVE_IO] += r->io_ns > 0 ? (uint64_t)r->io_ns : 0;
	s->v.part_ns[LIVE_WAIT] += r->wait_ns > 0 ? (uint64_t)r->wait_ns : 0;
	qhist_add(&s->h, d);
	for (int b = LIVE_BUCKETS - 1; b >= 0 && d <= bucket_ns[b]; b--)
		s->v.le[b]++;
out:
	pthread_mutex_unlock(&l->mu);
	return 0;
}

static int on_log(void *ctx, const struct row_log *r)
{
	struct live *l = ctx;

	pthread_mutex_lock(&l->mu);
	l->rows[ROW_LOGS]++;
	snprintf(l->last_log, sizeof(l->last_log), "%s: %.*s",
		 row_level_name(r->level), (int)(r->msg_len > 280 ? 280 : r->msg_len),
		 r->msg);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void live__counters(struct live *l, const uint64_t events[ROW_TABLES],
		    const uint64_t dropped[ROW_TABLES], uint64_t steps)
{
	pthread_mutex_lock(&l->mu);
	memcpy(l->events, events, sizeof(l->events));
	memcpy(l->dropped, dropped, sizeof(l->dropped));
	l->steps = steps;
	pthread_mutex_unlock(&l->mu);
}

void live__alert(struct live *l, const char *rule, const char *msg)
{
	int i;

	pthread_mutex_lock(&l->mu);
	for (i = 0; i < l->nrules && strcmp(l->rules[i].rule, rule); i++)
		;
	if (i == l->nrules && i < LIVE_MAX_RULES)
		snprintf(l->rules[l->nrules++].rule, sizeof(l->rules[0].rule), "%s",
			 rule);
	if (i < l->nrules)
		l->rules[i].fired++;
	snprintf(l->last_alert, sizeof(l->last_alert), "[%.100s] %.190s", rule, msg);
	pthread_mutex_unlock(&l->mu);
}

int live__snapshot(struct live *l, struct live_snap *s)
{
	struct timespec ts;

	if (!s->metrics)
		s->metrics = malloc(LIVE_MAX_METRICS * sizeof(*s->metrics));
	if (!s->spans)
		s->spans = malloc(LIVE_MAX_SPANS * sizeof(*s->spans));
	if (!s->metrics || !s->spans)
		return -ENOMEM;
	pthread_mutex_lock(&l->mu);
	s->nmetrics = l->nm;
	for (int i = 0; i < l->nm; i++) {
		const struct live_metric *m = &l->m[i];
		struct live_metric *d = &s->metrics[i];
		unsigned n = m->nring < LIVE_RING ? m->nring : LIVE_RING;

		memcpy(d, m, offsetof(struct live_metric, ring));
		for (unsigned k = 0; k < n; k++)
			d->ring[k] = m->ring[(m->nring - n + k) % LIVE_RING];
		d->nring = n;
	}
	s->nspans = l->ns;
	for (int i = 0; i < l->ns; i++) {
		s->spans[i] = l->s[i].v;
		s->spans[i].p50_ns = qhist_quantile(&l->s[i].h, 0.5);
		s->spans[i].p99_ns = qhist_quantile(&l->s[i].h, 0.99);
	}
	s->nrules = l->nrules;
	memcpy(s->rules, l->rules, l->nrules * sizeof(l->rules[0]));
	memcpy(s->events, l->events, sizeof(s->events));
	memcpy(s->dropped, l->dropped, sizeof(s->dropped));
	memcpy(s->rows, l->rows, sizeof(s->rows));
	s->steps = l->steps;
	s->untracked_metrics = l->untracked_m;
	s->untracked_spans = l->untracked_s;
	memcpy(s->last_alert, l->last_alert, sizeof(s->last_alert));
	memcpy(s->last_log, l->last_log, sizeof(s->last_log));
	pthread_mutex_unlock(&l->mu);
	memcpy(s->host, l->host, sizeof(s->host));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

void live_snap_free(struct live_snap *s)
{
	free(s->metrics);
	free(s->spans);
	s->metrics = NULL;
	s->spans = NULL;
}

struct live *live__new(const char *host)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->m = calloc(LIVE_MAX_METRICS, sizeof(*l->m));
	l->s = calloc(LIVE_MAX_SPANS, sizeof(*l->s));
	if (!l->m || !l->s || pthread_mutex_init(&l->mu, NULL)) {
		free(l->m);
		free(l->s);
		free(l);
		return NULL;
	}
	for (int b = 0; b < LIVE_BUCKETS; b++)
		bucket_ns[b] = (uint64_t)llround(live_bucket_le[b] * 1e9);
	snprintf(l->host, sizeof(l->host), "%s", host ? host : "");
	return l;
}

static int on_counters(void *ctx, const struct row_counters *c, uint64_t now)
{
	(void)now;
	live__counters(ctx, c->events, c->lost, c->steps);
	return 0;
}

struct sink live__sink(struct live *l)
{
	return (struct sink){ .name = "live", .ctx = l, .metric = on_metric,
			      .span = on_span, .log = on_log,
			      .counters = on_counters };
}

void live__free(struct live *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->m);
	free(l->s);
	free(l);
}
