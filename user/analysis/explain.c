// SPDX-License-Identifier: MIT
/*
 * explain.c - the slowest steps of a run and why (explain.h).
 *
 * One pass over each thread's spans in start order puts every span that
 * lies inside one of the thread's steps into that step, sums its parts per
 * (step, span name), and takes the python.gc.* spans out of the parts of
 * the step and of every span that holds them.  The medians per thread and
 * per (thread, span name) are over all the thread's steps, a step without
 * the name counting 0, so a span that runs only in slow steps ("data" in
 * one step of ten) has a median of 0 and all of its time is excess.
 */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "explain.h"
#include "tabout.h"
#include "common/json.h"
#include "common/termtext.h"

#define NAMTS (EX_NPARTS + 1)	/* the parts, then the faults */
#define AM_FAULTS EX_NPARTS
#define NAME_COLS 32		/* a span name in the table, at most */

static const char *const cause_names[EX_NCAUSES] = {
	[EX_CPU] = "cpu", [EX_RUNQ] = "runq", [EX_IO] = "io",
	[EX_WAIT] = "wait", [EX_GC] = "gc", [EX_FAULT] = "fault",
};

const char *explain__cause_str(int cause)
{
	return cause >= 0 && cause < EX_NCAUSES ? cause_names[cause] : "-";
}

void explain__defaults(struct explain_opts *o)
{
	*o = (struct explain_opts){ .step_lo = -1, .step_hi = -1, .top = 10 };
}

/* A span name's parts within one step (all its spans there, summed). */
struct agg {
	size_t step;		/* index into steps */
	uint32_t name;
	uint32_t depth;		/* the least depth it has in the step */
	int64_t amt[NAMTS];
};

/* A span name's median parts per step, in one thread. */
struct name_med {
	size_t thread;
	uint32_t name;
	int64_t med[NAMTS];
};

struct ctx {
	const struct runload *r;
	uint32_t step_id;
	size_t *spans;		/* the other spans, by (pid, tid, ts, -dur) */
	size_t nspans;
	struct agg *agg;
	size_t nagg;
	struct name_med *nm;
	size_t nnm;
};

static bool is_gc(const struct runload *r, uint32_t name)
{
	return !strncmp(runload__str(r, name), EXPLAIN_GC_PREFIX,
			sizeof(EXPLAIN_GC_PREFIX) - 1);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The median of n values of which only the k in v (sorted, each >= 0)
 * are given: the other n - k are 0. */
static int64_t median_pad(const int64_t *v, size_t k, size_t n)
{
	size_t zeros = n - k;
	int64_t a, b;

	if (!n)
		return 0;
	a = (n - 1) / 2 < zeros ? 0 : v[(n - 1) / 2 - zeros];
	b = n / 2 < zeros ? 0 : v[n / 2 - zeros];
	return a + (b - a) / 2;
}

static int cmp_span(const void *x, const void *y, void *run)
{
	const struct runload *r = run;
	const struct rl_span *a = &r->spans[*(const size_t *)x];
	const struct rl_span *b = &r->spans[*(const size_t *)y];

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	/* the enclosing span first */
	if (a->dur != b->dur)
		return a->dur > b->dur ? -1 : 1;
	return a->depth < b->depth ? -1 : a->depth > b->depth;
}

static int cmp_step(const void *x, const void *y)
{
	const struct explain_step *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return (a->ts > b->ts) - (a->ts < b->ts);
}

static int cmp_agg(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;

	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	return (a->name > b->name) - (a->name < b->name);
}

/* The split of a span: on CPU, runnable, I/O, blocked (no split: all of
 * it on CPU, as far as anyone knows). */
static void split(const struct rl_span *s, int64_t p[4])
{
	int64_t rest;

	p[EX_RUNQ] = s->has_time && s->runq > 0 ? s->runq : 0;
	p[EX_IO] = s->has_time && s->io > 0 ? s->io : 0;
	p[EX_WAIT] = s->has_time && s->wait > 0 ? s->wait : 0;
	rest = s->dur - p[EX_RUNQ] - p[EX_IO] - p[EX_WAIT];
	p[EX_CPU] = rest > 0 ? rest : 0;
}

/* Takes a collection's split out of parts p (the step's or a span's), and
 * adds its time to p's gc. */
static void take_gc(int64_t *p, const int64_t gc[4], int64_t dur)
{
	for (int k = 0; k < 4; k++)
		p[k] = p[k] > gc[k] ? p[k] - gc[k] : 0;
	p[EX_GC] += dur;
}

/* Makes the parts add up to dur exactly (clamping may have left them a
 * few ns off): cpu takes the difference, and gc gives back what cpu
 * cannot. */
static void balance(int64_t *p, int64_t dur)
{
	int64_t other = p[EX_RUNQ] + p[EX_IO] + p[EX_WAIT] + p[EX_GC];

	if (other > dur) {
		int64_t over = other - dur;

		p[EX_GC] = p[EX_GC] > over ? p[EX_GC] - over : 0;
		other = p[EX_RUNQ] + p[EX_IO] + p[EX_WAIT] + p[EX_GC];
	}
	p[EX_CPU] = dur > other ? dur - other : 0;
}

static int add_agg(struct ctx *c, size_t *cap, size_t step, const struct rl_span *s)
{
	struct agg *a;

	if (c->nagg == *cap) {
		size_t n = *cap ? *cap * 2 : 256;
		struct agg *g = realloc(c->agg, n * sizeof(*g));

		if (!g)
			return -ENOMEM;
		c->agg = g;
		*cap = n;
	}
	a = &c->agg[c->nagg++];
	memset(a, 0, sizeof(*a));
	a->step = step;
	a->name = s->name;
	a->depth = s->depth;
	split(s, a->amt);
	a->amt[AM_FAULTS] = (int64_t)s->minflt + s->majflt;
	return 0;
}

/* First index in c->spans of thread (pid, tid) with ts >= t. */
static size_t lower(const struct ctx *c, uint32_t pid, uint32_t tid, int64_t t)
{
	size_t lo = 0, hi = c->nspans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rl_span *s = &c->r->spans[c->spans[mid]];
		bool before = s->pid != pid ? s->pid < pid :
			      s->tid != tid ? s->tid < tid : s->ts < t;

		if (before)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A span of the walk that may still hold what comes next. */
struct open_span {
	size_t agg;		/* its entry in ctx.agg */
	int64_t end;
};

/*
 * One thread's steps st[0..n) (at base in x->steps): each span inside a
 * step becomes an agg entry; each collection is taken out of the step's
 * parts and out of the entries of the spans that hold it.
 */
static int walk_thread(struct ctx *c, struct explain_result *x, size_t base,
		       size_t n, size_t *cap)
{
	struct explain_step *st = x->steps + base;
	size_t i = lower(c, st[0].pid, st[0].tid, INT64_MIN), k = 0;
	struct open_span *open = NULL;
	size_t nopen = 0, capopen = 0;
	int ret = 0;

	for (; i < c->nspans && !ret; i++) {
		const struct rl_span *s = &c->r->spans[c->spans[i]];
		int64_t end = s->ts + s->dur;

		if (s->pid != st[0].pid || s->tid != st[0].tid)
			break;
		while (k < n && st[k].ts + st[k].dur <= s->ts)
			k++;
		if (k == n)
			break;
		if (s->ts < st[k].ts || end > st[k].ts + st[k].dur)
			continue;	/* not inside one step */
		/* What ended before this span, or lay in an earlier step,
		 * holds nothing of it. */
		while (nopen && (open[nopen - 1].end <= s->ts ||
				 c->agg[open[nopen - 1].agg].step != base + k))
			nopen--;
		if (is_gc(c->r, s->name)) {
			int64_t gc[4];

			split(s, gc);
			take_gc(st[k].part, gc, s->dur);
			for (size_t j = 0; j < nopen; j++)
				if (open[j].end >= end)
					take_gc(c->agg[open[j].agg].amt, gc, s->dur);
			continue;
		}
		if ((ret = add_agg(c, cap, base + k, s)))
			break;
		if (nopen == capopen) {
			size_t m = capopen ? capopen * 2 : 16;
			struct open_span *o = realloc(open, m * sizeof(*o));

			if (!o) {
				ret = -ENOMEM;
				break;
			}
			open = o;
			capopen = m;
		}
		open[nopen++] = (struct open_span){ c->nagg - 1, end };
	}
	free(open);
	return ret;
}

/* Sums the entries of each (step, name) into one. */
static void merge_agg(struct ctx *c)
{
	size_t out = 0;

	if (!c->nagg)
		return;		/* steps with nothing in them: no array */
	qsort(c->agg, c->nagg, sizeof(*c->agg), cmp_agg);
	for (size_t i = 0; i < c->nagg; i++) {
		struct agg *o = out ? &c->agg[out - 1] : NULL;

		if (o && o->step == c->agg[i].step && o->name == c->agg[i].name) {
			for (int k = 0; k < NAMTS; k++)
				o->amt[k] += c->agg[i].amt[k];
			if (c->agg[i].depth < o->depth)
				o->depth = c->agg[i].depth;
			continue;
		}
		c->agg[out++] = c->agg[i];
	}
	c->nagg = out;
}

static int64_t median_of(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return n ? v[(n - 1) / 2] + (v[n / 2] - v[(n - 1) / 2]) / 2 : 0;
}

/* Each thread's median step: duration, parts and faults. */
static int thread_medians(struct explain_result *x)
{
	int64_t *v = malloc(x->nsteps * sizeof(*v));
	size_t base = 0;

	if (!v)
		return -ENOMEM;
	for (size_t t = 0; t < x->nthreads; t++) {
		struct explain_thread *th = &x->threads[t];
		const struct explain_step *st = x->steps + base;
		size_t n = th->nsteps;

		for (size_t i = 0; i < n; i++)
			v[i] = st[i].dur;
		th->median_dur = median_of(v, n);
		for (int p = 0; p < EX_NPARTS; p++) {
			for (size_t i = 0; i < n; i++)
				v[i] = st[i].part[p];
			th->median[p] = median_of(v, n);
		}
		for (size_t i = 0; i < n; i++)
			v[i] = (int64_t)(st[i].minflt + st[i].majflt);
		th->median_faults = (uint64_t)median_of(v, n);
		base += n;
	}
	free(v);
	return 0;
}

/* agg entries by (thread, name). */
static int cmp_agg_name(const void *x, const void *y, void *res)
{
	const struct explain_result *xr = res;
	const struct agg *a = *(struct agg *const *)x, *b = *(struct agg *const *)y;
	size_t ta = xr->steps[a->step].thread, tb = xr->steps[b->step].thread;

	if (ta != tb)
		return ta < tb ? -1 : 1;
	return (a->name > b->name) - (a->name < b->name);
}

/* The median parts of each span name per step of its thread (a step
 * without the name counts 0), into c->nm sorted by (thread, name). */
static int name_medians(struct ctx *c, const struct explain_result *x)
{
	struct agg **by = malloc((c->nagg ? c->nagg : 1) * sizeof(*by));
	int64_t *v = malloc((c->nagg ? c->nagg : 1) * sizeof(*v));
	int ret = -ENOMEM;

	c->nm = malloc((c->nagg ? c->nagg : 1) * sizeof(*c->nm));
	if (!by || !v || !c->nm)
		goto out;
	for (size_t i = 0; i < c->nagg; i++)
		by[i] = &c->agg[i];
	qsort_r(by, c->nagg, sizeof(*by), cmp_agg_name, (void *)x);
	for (size_t i = 0; i < c->nagg;) {
		size_t j = i, t = x->steps[by[i]->step].thread;
		struct name_med *m = &c->nm[c->nnm++];

		while (j < c->nagg && x->steps[by[j]->step].thread == t &&
		       by[j]->name == by[i]->name)
			j++;
		m->thread = t;
		m->name = by[i]->name;
		for (int k = 0; k < NAMTS; k++) {
			for (size_t q = i; q < j; q++)
				v[q - i] = by[q]->amt[k];
			qsort(v, j - i, sizeof(*v), cmp_i64);
			m->med[k] = median_pad(v, j - i, x->threads[t].nsteps);
		}
		i = j;
	}
	ret = 0;
out:
	free(by);
	free(v);
	return ret;
}

static const int64_t *name_med(const struct ctx *c, size_t thread, uint32_t name)
{
	size_t lo = 0, hi = c->nnm;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct name_med *m = &c->nm[mid];

		if (m->thread < thread || (m->thread == thread && m->name < name))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nnm && c->nm[lo].thread == thread &&
	       c->nm[lo].name == name ? c->nm[lo].med : NULL;
}

/* The deepest span name of step si whose excess of amount k (over its
 * median per step) holds more than half of need; UINT32_MAX: none. */
static uint32_t where(const struct ctx *c, const struct explain_result *x,
		      size_t si, int k, int64_t need)
{
	size_t lo = 0, hi = c->nagg, t = x->steps[si].thread;
	uint32_t best = UINT32_MAX, best_depth = 0;
	int64_t best_amt = 0;

	if (need <= 0)
		return UINT32_MAX;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->agg[mid].step < si)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < c->nagg && c->agg[i].step == si; i++) {
		const struct agg *a = &c->agg[i];
		const int64_t *m = name_med(c, t, a->name);
		int64_t amt = a->amt[k] - (m ? m[k] : 0);

		if (amt <= 0 || amt <= need / 2)
			continue;
		if (best == UINT32_MAX || a->depth > best_depth ||
		    (a->depth == best_depth && amt > best_amt)) {
			best = a->name;
			best_depth = a->depth;
			best_amt = amt;
		}
	}
	return best;
}

/* The python.gc.* name with the most time inside step si. */
static uint32_t gc_name(const struct ctx *c, const struct explain_step *st)
{
	uint32_t names[8];
	int64_t tot[8];
	int n = 0, best = -1;

	for (size_t i = lower(c, st->pid, st->tid, st->ts); i < c->nspans; i++) {
		const struct rl_span *s = &c->r->spans[c->spans[i]];
		int k;

		if (s->pid != st->pid || s->tid != st->tid || s->ts >= st->ts + st->dur)
			break;
		if (!is_gc(c->r, s->name))
			continue;
		for (k = 0; k < n && names[k] != s->name; k++)
			;
		if (k == n) {
			if (n == 8)
				continue;
			names[n] = s->name;
			tot[n++] = 0;
		}
		tot[k] += s->dur;
	}
	for (int k = 0; k < n; k++)
		if (best < 0 || tot[k] > tot[best])
			best = k;
	return best < 0 ? UINT32_MAX : names[best];
}

/* The causes a line names, into sl->causes: the one with the largest
 * excess (the cause), then the others whose excess is at least a tenth
 * of its; each at least 10 us; at most EXPLAIN_MAX_CAUSES.  Faults stand for the
 * part they took (fault_for), which is not named apart. */
static void pick_causes(struct explain_slow *sl, int fault_for)
{
	bool taken[EX_NCAUSES] = { false };

	taken[fault_for < 0 ? EX_FAULT : fault_for] = true;
	sl->ncauses = 0;
	while (sl->ncauses < EXPLAIN_MAX_CAUSES) {
		int best = -1;

		for (int c = 0; c < EX_NCAUSES; c++)
			if (!taken[c] && (best < 0 || sl->excess[c] > sl->excess[best]))
				best = c;
		if (best < 0)
			break;
		if (!sl->ncauses)
			sl->cause = best;
		else if (sl->excess[best] * 10 < sl->excess[sl->cause])
			break;
		if (sl->excess[best] < 10000)
			break;		/* under 10 us: noise, not a cause */
		taken[best] = true;
		sl->causes[sl->ncauses++] = best;
	}
}

/* The excess, causes and places of one listed step. */
static void judge(const struct ctx *c, const struct explain_result *x,
		  size_t si, struct explain_slow *sl)
{
	const struct explain_step *s = &x->steps[si];
	const struct explain_thread *th = &x->threads[s->thread];
	int64_t faults = (int64_t)(s->minflt + s->majflt);
	int64_t mf = (int64_t)th->median_faults;
	int fault_for = -1;

	sl->s = s;
	sl->cause = -1;
	sl->gc_name = UINT32_MAX;
	for (int k = 0; k < EX_NCAUSES; k++)
		sl->where[k] = UINT32_MAX;
	sl->faults_excess = faults - mf;
	if (!s->has_time)
		return;
	for (int p = 0; p < EX_NPARTS; p++)
		sl->excess[p] = s->part[p] - th->median[p];
	/* Faulting memory in takes time on CPU (minor faults) or in I/O
	 * (major ones): with far more faults than usual, that time is the
	 * faults'. */
	if (sl->faults_excess >= EXPLAIN_FAULTS_MIN &&
	    faults >= EXPLAIN_FAULTS_X * mf) {
		fault_for = 2 * (int64_t)s->majflt > sl->faults_excess ? EX_IO : EX_CPU;
		if (sl->excess[fault_for] > 0) {
			sl->excess[EX_FAULT] = sl->excess[fault_for];
			sl->where[EX_FAULT] = where(c, x, si, AM_FAULTS,
						    sl->faults_excess);
		} else {
			fault_for = -1;
		}
	}
	pick_causes(sl, fault_for);
	for (int p = 0; p < EX_NPARTS; p++)
		sl->where[p] = where(c, x, si, p, sl->excess[p]);
	if (s->part[EX_GC] > 0)
		sl->gc_name = gc_name(c, s);
}

/* A step that may be listed; in rank mode the straggler of its number. */
struct cand {
	size_t si;		/* index into steps */
	int nranks;		/* ranks that ran the step (rank mode) */
};

/* Slowness of a step: its excess over its thread's median step. */
static int64_t score(const struct explain_result *x, size_t si)
{
	return x->steps[si].dur - x->threads[x->steps[si].thread].median_dur;
}

static int cmp_score(const void *p, const void *q, void *res)
{
	const struct explain_result *x = res;
	size_t a = ((const struct cand *)p)->si, b = ((const struct cand *)q)->si;
	int64_t sa = score(x, a), sb = score(x, b);

	if (sa != sb)
		return sa > sb ? -1 : 1;
	if (x->steps[a].step != x->steps[b].step)
		return x->steps[a].step < x->steps[b].step ? -1 : 1;
	return (a > b) - (a < b);
}

/* Rank mode: by step number, then rank, the longest first. */
static int cmp_by_number(const void *p, const void *q, void *res)
{
	const struct explain_result *x = res;
	const struct explain_step *a = &x->steps[((const struct cand *)p)->si];
	const struct explain_step *b = &x->steps[((const struct cand *)q)->si];

	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return (a->dur < b->dur) - (a->dur > b->dur);
}

/* The steps in o's window, into cand; in rank mode one per step number:
 * its straggler (the rank whose step span is the longest). */
static size_t candidates(const struct explain_result *x,
			 const struct explain_opts *o, struct cand *cand)
{
	size_t nc = 0, out = 0;

	for (size_t i = 0; i < x->nsteps; i++)
		if (o->step_lo < 0 || (x->steps[i].step >= o->step_lo &&
				       x->steps[i].step <= o->step_hi))
			cand[nc++] = (struct cand){ i, 1 };
	if (!x->by_rank)
		return nc;
	qsort_r(cand, nc, sizeof(*cand), cmp_by_number, (void *)x);
	for (size_t i = 0; i < nc;) {
		int64_t num = x->steps[cand[i].si].step;
		size_t j = i, best = cand[i].si;
		int ranks = 0;

		for (; j < nc && x->steps[cand[j].si].step == num; j++) {
			const struct explain_step *s = &x->steps[cand[j].si];

			if (j == i || s->rank != x->steps[cand[j - 1].si].rank)
				ranks++;
			if (s->dur > x->steps[best].dur)
				best = cand[j].si;
		}
		cand[out++] = (struct cand){ best, ranks };
		i = j;
	}
	return out;
}

/* The steps, their threads, and each step's parts. */
static int load_steps(struct ctx *c, struct explain_result *x)
{
	const struct runload *r = c->r;
	size_t n = 0, base = 0, cap = 0;
	int32_t rank0 = 0;
	bool rank_seen = false;
	int ret;

	for (size_t i = 0; i < r->nspans; i++)
		n += r->spans[i].name == c->step_id;
	if (!(x->steps = calloc(n ? n : 1, sizeof(*x->steps))) ||
	    !(c->spans = malloc((r->nspans - n + 1) * sizeof(*c->spans))))
		return -ENOMEM;
	for (size_t i = 0; i < r->nspans; i++) {
		const struct rl_span *s = &r->spans[i];
		struct explain_step *st;

		if (s->name != c->step_id) {
			c->spans[c->nspans++] = i;
			continue;
		}
		st = &x->steps[x->nsteps++];
		*st = (struct explain_step){
			.step = s->step, .pid = s->pid, .tid = s->tid,
			.has_rank = s->has_rank, .rank = s->has_rank ? s->rank : -1,
			.ts = s->ts, .dur = s->dur, .has_time = s->has_time,
			.minflt = s->minflt, .majflt = s->majflt,
		};
		split(s, st->part);
		if (s->has_rank && rank_seen && s->rank != rank0)
			x->by_rank = true;
		if (s->has_rank && !rank_seen) {
			rank_seen = true;
			rank0 = s->rank;
		}
	}
	qsort(x->steps, x->nsteps, sizeof(*x->steps), cmp_step);
	qsort_r(c->spans, c->nspans, sizeof(*c->spans), cmp_span, (void *)r);
	for (size_t i = 0; i < x->nsteps; i++)
		x->nthreads += !i || x->steps[i].pid != x->steps[i - 1].pid ||
			       x->steps[i].tid != x->steps[i - 1].tid;
	if (!(x->threads = calloc(x->nthreads, sizeof(*x->threads))))
		return -ENOMEM;
	for (size_t t = 0; t < x->nthreads; t++) {
		struct explain_thread *th = &x->threads[t];
		const struct explain_step *s0 = &x->steps[base];
		size_t k = base;

		*th = (struct explain_thread){ .pid = s0->pid, .tid = s0->tid,
					       .has_rank = s0->has_rank,
					       .rank = s0->rank };
		while (k < x->nsteps && x->steps[k].pid == s0->pid &&
		       x->steps[k].tid == s0->tid)
			x->steps[k++].thread = t;
		th->nsteps = k - base;
		if ((ret = walk_thread(c, x, base, th->nsteps, &cap)))
			return ret;
		base = k;
	}
	for (size_t i = 0; i < x->nsteps; i++)
		balance(x->steps[i].part, x->steps[i].dur);
	/* The ranks, for the header: threads are few. */
	for (size_t t = 0; x->by_rank && t < x->nthreads; t++) {
		bool seen = !x->threads[t].has_rank;

		for (size_t u = 0; u < t && !seen; u++)
			seen = x->threads[u].has_rank &&
			       x->threads[u].rank == x->threads[t].rank;
		x->nranks += !seen;
	}
	merge_agg(c);
	return 0;
}

struct explain_result *explain__run(const struct runload *r,
				    const struct explain_opts *o,
				    char *err, size_t errlen)
{
	struct explain_result *x = calloc(1, sizeof(*x));
	struct ctx c = { .r = r };
	struct explain_opts def;
	struct cand *cand = NULL;
	size_t nc;

	if (!o) {
		explain__defaults(&def);
		o = &def;
	}
	if (!x)
		goto oom;
	x->run = r;
	c.step_id = runload__find(r, EXPLAIN_STEP_SPAN);
	if (c.step_id == UINT32_MAX) {
		snprintf(err, errlen, "%s: holds no steps (no %s spans: a "
			 "thread's steps come from MLPROBE_STEP, or "
			 "mlprobe.step() in Python)", r->path, EXPLAIN_STEP_SPAN);
		goto fail;
	}
	if (load_steps(&c, x) || thread_medians(x) || name_medians(&c, x) ||
	    !(cand = malloc(x->nsteps * sizeof(*cand))))
		goto oom;
	if (!(nc = candidates(x, o, cand))) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;

		for (size_t i = 0; i < x->nsteps; i++) {
			lo = x->steps[i].step < lo ? x->steps[i].step : lo;
			hi = x->steps[i].step > hi ? x->steps[i].step : hi;
		}
		snprintf(err, errlen, "%s: no step in --steps %ld:%ld (its steps "
			 "are %lld to %lld)", r->path, o->step_lo, o->step_hi,
			 (long long)lo, (long long)hi);
		goto fail;
	}
	x->nlisted_from = nc;
	qsort_r(cand, nc, sizeof(*cand), cmp_score, x);
	x->nslow = o->top > 0 && (size_t)o->top < nc ? (size_t)o->top : nc;
	if (!(x->slow = calloc(x->nslow, sizeof(*x->slow))))
		goto oom;
	for (size_t i = 0; i < x->nslow; i++) {
		judge(&c, x, cand[i].si, &x->slow[i]);
		x->slow[i].nranks = cand[i].nranks;
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	explain__free(x);
	x = NULL;
out:
	free(cand);
	free(c.spans);
	free(c.agg);
	free(c.nm);
	return x;
}

void explain__free(struct explain_result *x)
{
	if (!x)
		return;
	free(x->steps);
	free(x->threads);
	free(x->slow);
	free(x);
}

/* ---- output ---- */

/* ns as milliseconds with three significant digits or so: "47.5 ms". */
static void fmt_ms(char *b, size_t n, int64_t ns)
{
	double ms = (double)ns / 1e6, a = ms < 0 ? -ms : ms;

	snprintf(b, n, a >= 100 ? "%.0f ms" : a >= 10 ? "%.1f ms" : "%.2f ms", ms);
}

/* Which thread a line is about, when there are several: "pid P ", "tid
 * T " or "pid P tid T ". */
static void fmt_who(char *b, size_t n, const struct explain_result *x,
		    const struct explain_step *s)
{
	bool one_pid = true, one_each = true;

	b[0] = 0;
	if (x->by_rank || x->nthreads < 2)
		return;
	for (size_t t = 1; t < x->nthreads; t++) {
		one_pid &= x->threads[t].pid == x->threads[0].pid;
		one_each &= x->threads[t].pid != x->threads[t - 1].pid;
	}
	if (one_pid)
		snprintf(b, n, "tid %u ", s->tid);
	else if (one_each)
		snprintf(b, n, "pid %u ", s->pid);
	else
		snprintf(b, n, "pid %u tid %u ", s->pid, s->tid);
}

/* Writes fragments as lines of at most 80 columns: joined by ", ",
 * continued on lines indented by 4. */
struct wrap {
	FILE *f;
	int col;
};

static void put(struct wrap *w, const char *frag, int cols)
{
	if (w->col && w->col + 2 + cols > 80) {
		fputs(",\n    ", w->f);
		w->col = 4;
	} else if (w->col) {
		fputs(", ", w->f);
		w->col += 2;
	}
	fputs(frag, w->f);
	w->col += cols;
}

/* A fragment being built: bytes and display columns apart (names may
 * hold characters of several bytes). */
struct frag {
	char buf[512];
	size_t len;
	int cols;
};

static void add_text(struct frag *fr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ASCII text only. */
static void add_text(struct frag *fr, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(fr->buf + fr->len, sizeof(fr->buf) - fr->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(fr->buf) - fr->len) {
		fr->len += (size_t)n;
		fr->cols += n;
	}
}

static void add_name(struct frag *fr, const struct runload *r, uint32_t id)
{
	const char *s = runload__str(r, id);

	/* a buffer too small cuts the name as the column does */
	fr->cols += termtext__fmt(fr->buf + fr->len, sizeof(fr->buf) - fr->len,
				  s, strlen(s), NAME_COLS, false);
	fr->len += strlen(fr->buf + fr->len);
}

static void print_line(FILE *f, const struct explain_result *x,
		       const struct explain_slow *sl)
{
	const struct explain_step *s = sl->s;
	char who[64], d[32], m[32];
	struct wrap w = { f, 0 };
	struct frag fr = { .len = 0 };
	int n = sl->ncauses;

	fmt_who(who, sizeof(who), x, s);
	fmt_ms(d, sizeof(d), s->dur);
	fmt_ms(m, sizeof(m), x->threads[s->thread].median_dur);
	if (x->by_rank && s->has_rank)
		add_text(&fr, "step %lld: %s on rank %d of %d (median %s)",
			 (long long)s->step, d, (int)s->rank, sl->nranks, m);
	else if (x->nthreads > 1)
		add_text(&fr, "%sstep %lld: %s (median %s)", who,
			 (long long)s->step, d, m);
	else	/* the header gives the median */
		add_text(&fr, "step %lld: %s", (long long)s->step, d);
	put(&w, fr.buf, fr.cols);
	if (!s->has_time)
		put(&w, "no time split in this recording", 31);
	else if (!n)
		put(&w, "nothing beyond its median", 25);
	for (int i = 0; i < n; i++) {
		int c = sl->causes[i];

		fr = (struct frag){ .len = 0 };
		fmt_ms(d, sizeof(d), sl->excess[c]);
		add_text(&fr, "+%s %s", d, explain__cause_str(c));
		if (c == EX_FAULT)
			add_text(&fr, " (%llu faults)",
				 (unsigned long long)(s->minflt + s->majflt));
		if (c == EX_GC && sl->gc_name != UINT32_MAX) {
			add_text(&fr, " (");
			add_name(&fr, x->run, sl->gc_name);
			add_text(&fr, ")");
		}
		if (sl->where[c] != UINT32_MAX) {
			add_text(&fr, " in ");
			add_name(&fr, x->run, sl->where[c]);
		}
		put(&w, fr.buf, fr.cols);
	}
	fputc('\n', f);
}

void explain__print_table(FILE *f, const struct explain_result *x,
			  const struct explain_opts *o)
{
	const char *path = x->run->path ? x->run->path : "";
	char p[termtext__max(4096, 80)], m[32], win[64] = "", rest[160];
	size_t npids = 0;
	int w;

	for (size_t t = 0; t < x->nthreads; t++) {
		bool seen = false;

		for (size_t u = 0; u < t && !seen; u++)
			seen = x->threads[u].pid == x->threads[t].pid;
		npids += !seen;
	}
	fmt_ms(m, sizeof(m), x->threads[0].median_dur);
	if (o && o->step_lo >= 0)
		snprintf(win, sizeof(win), o->step_lo == o->step_hi ? " %ld" :
			 " %ld:%ld", o->step_lo, o->step_hi);
	if (x->nslow < x->nlisted_from && win[0])
		snprintf(win, sizeof(win), " in %ld:%ld", o->step_lo, o->step_hi);
	if (x->by_rank)
		snprintf(rest, sizeof(rest), ": %zu steps of %d ranks (the slowest "
			 "rank's)", x->nsteps, x->nranks);
	else if (x->nthreads == 1)
		snprintf(rest, sizeof(rest), ": %zu steps of one thread (pid %u), "
			 "median %s", x->nsteps, x->threads[0].pid, m);
	else
		snprintf(rest, sizeof(rest), ": %zu steps of %zu threads in %zu "
			 "process%s", x->nsteps, x->nthreads, npids,
			 npids == 1 ? "" : "es");
	/* the path gets what the line leaves */
	w = 80 - (int)strlen(rest);
	termtext__fmt(p, sizeof(p), path, strlen(path), w < 12 ? 12 : w, false);
	fprintf(f, "%s%s\n", p, rest);
	if (x->nslow < x->nlisted_from)
		fprintf(f, "The %zu slowest of %zu steps%s", x->nslow,
			x->nlisted_from, win);
	else if (!win[0])
		fprintf(f, "All %zu steps, the slowest first", x->nslow);
	else
		fprintf(f, "%s%s%s", x->nslow > 1 ? "Steps" : "Step", win,
			x->nslow > 1 ? ", the slowest first" : "");
	fputs(" (+: beyond each part's median):\n\n", f);
	for (size_t i = 0; i < x->nslow; i++)
		print_line(f, x, &x->slow[i]);
	fputs("\ncpu: on CPU  runq: runnable, waiting for a CPU  io: in I/O wait  "
	      "wait: blocked\n(a lock, a queue, a sleep)  fault: page faults  "
	      "gc: Python's collector\n", f);
}

static void json_name(FILE *f, const struct runload *r, uint32_t id)
{
	const char *s;

	if (id == UINT32_MAX) {
		fputs("null", f);
		return;
	}
	s = runload__str(r, id);
	json_str(f, s, strlen(s));
}

void explain__print_json(FILE *f, const struct explain_result *x)
{
	static const char *const parts[EX_NPARTS] = { "cpu_ns", "runq_ns", "io_ns",
						      "wait_ns", "gc_ns" };

	for (size_t i = 0; i < x->nslow; i++) {
		const struct explain_slow *sl = &x->slow[i];
		const struct explain_step *s = sl->s;
		const struct explain_thread *th = &x->threads[s->thread];
		char ts[64];

		tabout__fmt_ts(ts, sizeof(ts), s->ts, true);
		fprintf(f, "{\"step\":%lld,\"ts\":\"%s\",\"pid\":%u,\"tid\":%u,"
			"\"rank\":", (long long)s->step, ts, s->pid, s->tid);
		if (s->has_rank)
			fprintf(f, "%d", (int)s->rank);
		else
			fputs("null", f);
		fprintf(f, ",\"ranks\":%d,\"duration_ns\":%lld,\"median_ns\":%lld,"
			"\"cause\":", sl->nranks, (long long)s->dur,
			(long long)th->median_dur);
		if (sl->cause < 0)
			fputs("null", f);
		else
			fprintf(f, "\"%s\"", explain__cause_str(sl->cause));
		fputs(",\"span\":", f);
		json_name(f, x->run, sl->cause < 0 ? UINT32_MAX : sl->where[sl->cause]);
		fputs(",\"causes\":[", f);
		for (int k = 0; k < sl->ncauses; k++)
			fprintf(f, "%s\"%s\"", k ? "," : "", explain__cause_str(sl->causes[k]));
		fputc(']', f);
		for (int p = 0; p < EX_NPARTS; p++)
			fprintf(f, ",\"%s\":%lld", parts[p], (long long)s->part[p]);
		fprintf(f, ",\"minflt\":%llu,\"majflt\":%llu", (unsigned long long)s->minflt,
			(unsigned long long)s->majflt);
		fputs(",\"median\":{", f);
		for (int p = 0; p < EX_NPARTS; p++)
			fprintf(f, "%s\"%s\":%lld", p ? "," : "", explain__cause_str(p),
				(long long)th->median[p]);
		fprintf(f, ",\"faults\":%llu},\"excess_ns\":{",
			(unsigned long long)th->median_faults);
		for (int c = 0; c < EX_NCAUSES; c++)
			fprintf(f, "%s\"%s\":%lld", c ? "," : "", explain__cause_str(c),
				(long long)sl->excess[c]);
		fprintf(f, "},\"faults_excess\":%lld,\"spans\":{",
			(long long)sl->faults_excess);
		for (int c = 0, n = 0; c < EX_NCAUSES; c++) {
			if (sl->where[c] == UINT32_MAX)
				continue;
			fprintf(f, "%s\"%s\":", n++ ? "," : "", explain__cause_str(c));
			json_name(f, x->run, sl->where[c]);
		}
		fputs("},\"gc_span\":", f);
		json_name(f, x->run, sl->gc_name);
		fputs("}\n", f);
	}
}
