// SPDX-License-Identifier: MIT
/*
 * compare.c - per-name samples of two runs, the tests of stats.c on each,
 * and the verdicts.  The rules (docs/compare.md):
 *   significant  Mann-Whitney U two-sided p < alpha
 *   change       Hodges-Lehmann shift (new - base) / |base median|, with
 *                the Moses interval at 1 - alpha
 *   flagged      significant, and the whole interval beyond +-min_effect
 *   fails        flagged as a regression, and the interval above fail_on
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "common/json.h"
#include "stats.h"
#include "common/termtext.h"

void compare__defaults(struct compare_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->alpha = 0.01;
	o->min_effect = 5;
	o->min_samples = 30;
	o->fail_on = -1;
	o->time = RL_TIME_OWN;
}

int compare__add_metric(struct compare_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
	struct compare_metric *m;

	if (o->nmetrics >= COMPARE_MAX_METRICS || !len ||
	    len >= sizeof(m->name) || (colon && strcmp(colon + 1, "higher")))
		return -1;
	m = &o->metrics[o->nmetrics++];
	memcpy(m->name, arg, len);
	m->name[len] = 0;
	m->higher_is_better = colon != NULL;
	return 0;
}

/* The samples of metric name (NaN dropped), sorted; *present says whether
 * the run has the name at all. */
static double *metric_vals(const struct runload *r, const char *name,
			   long skip, size_t *n, bool *present)
{
	uint32_t id = runload__find(r, name);
	double *v = malloc((r->nmetrics ? r->nmetrics : 1) * sizeof(*v));

	*n = 0;
	*present = false;
	if (!v)
		return NULL;
	for (size_t i = 0; id != UINT32_MAX && i < r->nmetrics; i++) {
		const struct rl_metric *m = &r->metrics[i];

		if (m->name != id)
			continue;
		*present = true;
		if ((!skip || m->step >= skip) && !isnan(m->value))
			v[(*n)++] = m->value;
	}
	stats__sort(v, *n);
	return v;
}

/* Whether the whole interval lies beyond +pct or -pct: we are confident
 * (at 1 - alpha/2, one-sided) that the change is at least pct.  A shift
 * from a zero median is an unbounded change, beyond any pct. */
static bool beyond(const struct compare_row *row, double pct)
{
	if (isinf(row->change))
		return true;
	return row->lo > pct || row->hi < -pct;
}

/* Fills the statistics and the verdict of row from its two samples. */
static void judge(struct compare_row *row, const struct compare_opts *o,
		  const double *a, size_t na, const double *b, size_t nb,
		  bool in_base, bool in_new)
{
	struct mwu u;
	struct shift s;
	double base_mag;
	bool worse;

	row->n_base = na;
	row->n_new = nb;
	row->med_base = stats__quantile(a, na, 0.5);
	row->med_new = stats__quantile(b, nb, 0.5);
	row->p90_base = stats__quantile(a, na, 0.9);
	row->p90_new = stats__quantile(b, nb, 0.9);
	row->change = row->lo = row->hi = row->p = NAN;
	if (!in_new) {
		row->verdict = CV_ONLY_BASE;
		return;
	}
	if (!in_base) {
		row->verdict = CV_ONLY_NEW;
		return;
	}
	if ((long)na < o->min_samples || (long)nb < o->min_samples ||
	    stats__mann_whitney(a, na, b, nb, &u) ||
	    stats__hl_shift(a, na, b, nb, o->alpha, &s)) {
		row->verdict = CV_FEW;
		return;
	}
	row->p = u.p;
	row->significant = u.p < o->alpha;
	base_mag = fabs(row->med_base);
	/* A zero base median makes any shift an unbounded change. */
	row->change = base_mag > 0 ? 100 * s.est / base_mag :
		      s.est > 0 ? INFINITY : s.est < 0 ? -INFINITY : 0;
	row->lo = base_mag > 0 ? 100 * s.lo / base_mag : NAN;
	row->hi = base_mag > 0 ? 100 * s.hi / base_mag : NAN;
	worse = row->higher_is_better ? row->change < 0 : row->change > 0;
	if (!row->significant)
		row->verdict = CV_SAME;
	else if (beyond(row, o->min_effect))
		row->verdict = worse ? CV_WORSE : CV_BETTER;
	else
		row->verdict = CV_SMALL;
	row->fails = row->verdict == CV_WORSE && o->fail_on >= 0 &&
		     beyond(row, o->fail_on);
}

static int cmp_rows(const void *x, const void *y)
{
	const struct compare_row *a = x, *b = y;
	/* Spans first, by total base time (what matters most on top). */
	double ta = a->med_base * (double)a->n_base, tb = b->med_base * (double)b->n_base;

	if (a->is_metric != b->is_metric)
		return a->is_metric - b->is_metric;
	if (a->is_metric)
		return 0;
	if (isnan(ta))
		ta = -1;
	if (isnan(tb))
		tb = -1;
	if (ta != tb)
		return ta < tb ? 1 : -1;
	return strcmp(a->name, b->name);
}

static struct compare_row *add_row(struct compare_result *r, const char *name)
{
	struct compare_row *row = &r->rows[r->nrows];

	memset(row, 0, sizeof(*row));
	if (!(row->name = strdup(name)))
		return NULL;
	r->nrows++;
	return row;
}

/* "a, b, c" of the span names of a run (at most len bytes). */
static void list_names(char *buf, size_t len, const struct runload *r,
		       const struct rl_groups *g)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t id = 0; id < g->nids && off < len; id++) {
		if (g->start[id + 1] == g->start[id])
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					off ? ", " : "", runload__str(r, (uint32_t)id));
	}
	if (!off)
		snprintf(buf, len, "none");
}

/* Per name id of r: the share (%) of the wall time its spans were
 * runnable; NaN where no span of the name has a time split. */
static double *runq_shares(const struct runload *r, long skip)
{
	double *runq = calloc(r->nstrs + 1, sizeof(*runq));
	double *wall = calloc(r->nstrs + 1, sizeof(*wall));

	if (!runq || !wall) {
		free(runq);
		free(wall);
		return NULL;
	}
	for (size_t i = 0; i < r->nspans; i++) {
		const struct rl_span *s = &r->spans[i];

		if (s->has_time && (!skip || s->step >= skip)) {
			runq[s->name] += (double)s->runq;
			wall[s->name] += (double)s->dur;
		}
	}
	for (size_t id = 0; id < r->nstrs; id++)
		runq[id] = wall[id] > 0 ? 100 * runq[id] / wall[id] : NAN;
	free(wall);
	return runq;
}

/* The spans of both runs, grouped by name: the judged time (o->time) and
 * the wall time (the same when the judged time is the wall time). */
struct span_sides {
	struct rl_groups g[2], wall[2];
	double *share[2];
};

static int group_sides(struct span_sides *s, const struct runload *const run[2],
		       const struct compare_opts *o)
{
	for (int k = 0; k < 2; k++)
		if (runload__group_spans(run[k], o->skip_steps, o->time, &s->g[k]) ||
		    (o->time != RL_TIME_WALL &&
		     runload__group_spans(run[k], o->skip_steps, RL_TIME_WALL,
					  &s->wall[k])) ||
		    !(s->share[k] = runq_shares(run[k], o->skip_steps)))
			return -ENOMEM;
	return 0;
}

static void free_sides(struct span_sides *s)
{
	for (int k = 0; k < 2; k++) {
		runload__groups_free(&s->g[k]);
		runload__groups_free(&s->wall[k]);
		free(s->share[k]);
	}
}

/* Group id of s's samples in g: vals and n (NULL, 0 when none). */
static const double *samples(const struct rl_groups *g, uint32_t id, size_t *n)
{
	if (id == UINT32_MAX || id >= g->nids) {
		*n = 0;
		return NULL;
	}
	*n = g->start[id + 1] - g->start[id];
	return *n ? g->vals + g->start[id] : NULL;
}

/* The row of a span name present on side(s): the judged time's verdict,
 * the wall time's medians and change, the runnable shares; a wall time
 * slower beyond --min-effect while the own time is not is contention. */
static void judge_span(struct compare_row *row, const struct compare_opts *o,
		       const struct span_sides *s, const uint32_t id[2])
{
	const struct rl_groups *w0 = o->time == RL_TIME_WALL ? &s->g[0] : &s->wall[0];
	const struct rl_groups *w1 = o->time == RL_TIME_WALL ? &s->g[1] : &s->wall[1];
	struct compare_row wall = { 0 };
	const double *a, *b;
	size_t na, nb;

	a = samples(&s->g[0], id[0], &na);
	b = samples(&s->g[1], id[1], &nb);
	judge(row, o, a, na, b, nb, na > 0, nb > 0);
	a = samples(w0, id[0], &na);
	b = samples(w1, id[1], &nb);
	judge(&wall, o, a, na, b, nb, na > 0, nb > 0);
	row->wall_base = wall.med_base;
	row->wall_new = wall.med_new;
	row->wall_change = wall.change;
	row->runq_base = id[0] != UINT32_MAX ? s->share[0][id[0]] : NAN;
	row->runq_new = id[1] != UINT32_MAX ? s->share[1][id[1]] : NAN;
	if (o->time != RL_TIME_WALL && wall.verdict == CV_WORSE &&
	    row->verdict != CV_WORSE) {
		row->verdict = CV_CONTENTION;
		row->fails = false;
	}
}

/* A span mlprobe makes itself (mlprobe.step, python.gc.genN): every
 * recording of a trainer that steps (or of Python) has them, so they do
 * not make two unrelated runs comparable. */
static bool own_span(const char *name)
{
	return !strcmp(name, "mlprobe.step") || !strncmp(name, "python.gc.", 10);
}

/* Whether r has a span of its trainer's own. */
static bool has_user_spans(const struct runload *r, const struct rl_groups *g)
{
	for (size_t id = 0; id < g->nids; id++)
		if (g->start[id + 1] > g->start[id] &&
		    !own_span(runload__str(r, (uint32_t)id)))
			return true;
	return false;
}

static int add_spans(struct compare_result *res, const struct runload *base,
		     const struct runload *new, const struct compare_opts *o,
		     char *err, size_t errlen)
{
	const struct runload *const run[2] = { base, new };
	struct span_sides s = { 0 };
	int ret = -ENOMEM;
	size_t common = 0, common_own = 0;

	if (group_sides(&s, run, o)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Names of base, then names only in new. */
	for (int side = 0; side < 2; side++) {
		const struct runload *r = run[side], *other = run[!side];
		const struct rl_groups *g = &s.g[side], *og = &s.g[!side];

		for (size_t id = 0; id < g->nids; id++) {
			const char *name = runload__str(r, (uint32_t)id);
			uint32_t oid = runload__find(other, name), ids[2];
			bool in_r = g->start[id + 1] > g->start[id];
			bool in_o = oid != UINT32_MAX && og->start[oid + 1] > og->start[oid];
			struct compare_row *row;

			if (!in_r || (side && in_o))
				continue;
			if (in_o && own_span(name))
				common_own++;
			else
				common += in_o;
			if (!(row = add_row(res, name))) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			ids[side] = (uint32_t)id;
			ids[!side] = in_o ? oid : UINT32_MAX;
			judge_span(row, o, &s, ids);
		}
	}
	ret = 0;
	/* mlprobe's own spans alone make runs comparable only when neither
	 * has spans of its own (a trainer that only steps). */
	if (!common && common_own && !has_user_spans(base, &s.g[0]) &&
	    !has_user_spans(new, &s.g[1]))
		common = common_own;
	if (!common && !o->nmetrics) {
		char bn[160], nn[160];

		list_names(bn, sizeof(bn), base, &s.g[0]);
		list_names(nn, sizeof(nn), new, &s.g[1]);
		if (!base->nspans || !new->nspans)
			snprintf(err, errlen, "%s: holds no spans",
				 !base->nspans ? base->path : new->path);
		else
			snprintf(err, errlen, "no span names in common%s: %s has "
				 "%.160s; %s has %.160s",
				 o->skip_steps ? " after --skip-steps" : "",
				 base->path, bn, new->path, nn);
		ret = -EINVAL;
	}
out:
	free_sides(&s);
	return ret;
}

static int add_metrics(struct compare_result *res, const struct runload *base,
		       const struct runload *new, const struct compare_opts *o,
		       char *err, size_t errlen)
{
	for (int i = 0; i < o->nmetrics; i++) {
		const struct compare_metric *m = &o->metrics[i];
		size_t na, nb;
		bool pa, pb;
		double *a = metric_vals(base, m->name, o->skip_steps, &na, &pa);
		double *b = metric_vals(new, m->name, o->skip_steps, &nb, &pb);
		struct compare_row *row = NULL;

		if (a && b && (pa || pb) && (row = add_row(res, m->name))) {
			row->is_metric = true;
			row->higher_is_better = m->higher_is_better;
			judge(row, o, a, na, b, nb, pa, pb);
			row->wall_base = row->wall_new = row->wall_change = NAN;
			row->runq_base = row->runq_new = NAN;
		}
		free(a);
		free(b);
		if (!pa && !pb) {
			snprintf(err, errlen, "metric '%s' is in neither %s nor %s",
				 m->name, base->path, new->path);
			return -EINVAL;
		}
		if (!row) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

struct compare_result *compare__run(const struct runload *base,
				    const struct runload *new,
				    const struct compare_opts *o,
				    char *err, size_t errlen)
{
	struct compare_result *res = calloc(1, sizeof(*res));

	if (!res || !(res->rows = calloc(base->nstrs + new->nstrs + (size_t)o->nmetrics + 1,
					 sizeof(*res->rows)))) {
		snprintf(err, errlen, "out of memory");
		free(res);
		return NULL;
	}
	res->opts = *o;
	res->base = base->path;
	res->new = new->path;
	if (add_spans(res, base, new, o, err, errlen) ||
	    add_metrics(res, base, new, o, err, errlen)) {
		compare__free(res);
		return NULL;
	}
	qsort(res->rows, res->nrows, sizeof(*res->rows), cmp_rows);
	for (size_t i = 0; i < res->nrows; i++) {
		res->regressions += res->rows[i].verdict == CV_WORSE;
		res->failures += res->rows[i].fails;
	}
	return res;
}

void compare__free(struct compare_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++)
		free(r->rows[i].name);
	free(r->rows);
	free(r);
}

const char *compare__verdict_str(const struct compare_row *row)
{
	switch (row->verdict) {
	case CV_SAME: return "~";
	case CV_SMALL: return "small";
	case CV_WORSE: return row->is_metric ? "worse" : "slower";
	case CV_BETTER: return row->is_metric ? "better" : "faster";
	case CV_FEW: return "few";
	case CV_ONLY_BASE: return "gone";
	case CV_ONLY_NEW: return "new";
	case CV_CONTENTION: return "contention";
	}
	return "?";
}

void compare__fmt_ns(char *buf, size_t len, double v)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" }, { 1, "ns" },
	};
	size_t i = 0;
	double x;

	while (i < 3 && fabs(v) < u[i].div)
		i++;
	x = v / u[i].div;
	/* Three significant digits, no more than 6 columns. */
	if (fabs(x) >= 99.95 || i == 3)
		snprintf(buf, len, "%.0f%s", x, u[i].unit);
	else if (fabs(x) >= 9.995)
		snprintf(buf, len, "%.1f%s", x, u[i].unit);
	else
		snprintf(buf, len, "%.2f%s", x, u[i].unit);
}

void compare__fmt_value(char *buf, size_t len, const struct compare_row *row,
			double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (row->is_metric)
		snprintf(buf, len, "%.4g", v);
	else
		compare__fmt_ns(buf, len, v);
}

static void fmt_pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (isinf(v))
		snprintf(buf, len, "%sinf", v > 0 ? "+" : "-");
	else if (fabs(v) < 0.05)	/* no "-0.0%" */
		snprintf(buf, len, "0.0%%");
	else
		snprintf(buf, len, "%+.1f%%", v);
}

static void fmt_ci(char *buf, size_t len, const struct compare_row *row)
{
	if (isnan(row->lo) || isnan(row->hi))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "[%+.1f,%+.1f]", fabs(row->lo) < 0.05 ? 0 :
			 row->lo, fabs(row->hi) < 0.05 ? 0 : row->hi);
}

/* Bytes of a name shown whole; a longer one (not one of ours: they are
 * at most 130) is cut with "…". */
#define COMPARE_NAME_MAX 256

/* A name as Markdown code: a backtick or a pipe cannot end the code span
 * or split a table row. */
static void md_name(FILE *f, const char *name)
{
	char esc[termtext__max(COMPARE_NAME_MAX, -1)];

	/* control bytes (a newline would end the row) as escapes */
	termtext__fmt(esc, sizeof(esc), name, strlen(name), -1, false);
	fputc('`', f);
	for (const char *p = esc; *p; p++) {
		if (*p == '|')
			fputc('\\', f);
		fputc(*p == '`' ? '\'' : *p, f);
	}
	fputc('`', f);
}

/* A name as terminal text: control bytes escaped (termtext). */
static void term_name(FILE *f, const char *name, int w)
{
	char esc[termtext__max(COMPARE_NAME_MAX, w)];

	termtext__fmt(esc, sizeof(esc), name, strlen(name), w, w >= 0);
	fputs(esc, f);
}

static void print_summary(FILE *f, const struct compare_result *r, bool md)
{
	const char *b = md ? "**" : "";
	char pct[32];
	size_t shown = 0;

	if (!r->regressions)
		fprintf(f, "%sno regression%s", b, b);
	else
		fprintf(f, "%s%zu regression%s%s", b, r->regressions,
			r->regressions == 1 ? "" : "s", b);
	for (size_t i = 0; i < r->nrows; i++) {
		if (r->rows[i].verdict != CV_WORSE)
			continue;
		fmt_pct(pct, sizeof(pct), r->rows[i].change);
		fprintf(f, "%s%s", shown++ ? ", " : ": ",
			r->rows[i].is_metric ? "metric " : "");
		if (md)
			md_name(f, r->rows[i].name);
		else
			term_name(f, r->rows[i].name, -1);
		fprintf(f, " %s", pct);
	}
	fputs(md ? "\n\n" : "\n", f);
	/* Contention: the first such span, and how many more. */
	shown = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		if (r->rows[i].verdict != CV_CONTENTION)
			continue;
		if (shown++)
			continue;
		fmt_pct(pct, sizeof(pct), r->rows[i].wall_change);
		fputs("contention (a shared CPU, not the code): ", f);
		if (md)
			md_name(f, r->rows[i].name);
		else
			term_name(f, r->rows[i].name, 24);
		fprintf(f, " %s wall", pct);
	}
	if (shown > 1)
		fprintf(f, ", %zu more", shown - 1);
	if (shown)
		fputs(md ? "\n\n" : "\n", f);
	if (r->opts.fail_on < 0)
		return;
	if (r->failures)
		fprintf(f, "%sFAIL%s: %zu regression%s beyond --fail-on %g%%\n",
			b, b, r->failures, r->failures == 1 ? "" : "s",
			r->opts.fail_on);
	else
		fprintf(f, "%sPASS%s: no regression beyond --fail-on %g%%\n", b,
			b, r->opts.fail_on);
	if (md)
		fputc('\n', f);
}

/* A share in %, in 4 columns; "-" when not known. */
static void fmt_share(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f%%", v);
}

void compare__print_table(FILE *f, const struct compare_result *r)
{
	const struct compare_opts *o = &r->opts;
	bool own = o->time != RL_TIME_WALL;

	fprintf(f, "base: %s\nnew:  %s\n", r->base, r->new);
	fprintf(f, "%-11s %s %s %s\n", "", "---- n ----", "- wall median",
		"runnable");
	fprintf(f, "%-11s %5s %5s %6s %6s %4s %4s %-7s %.0f%% CI\n", "name",
		"base", "new", "base", "new", "base", "new", "change",
		100 * (1 - o->alpha));
	for (size_t i = 0; i < r->nrows; i++) {
		const struct compare_row *row = &r->rows[i];
		char mb[32], mn[32], qb[16], qn[16], ch[32], ci[48];

		/* Spans: the wall medians (metrics: the values') and the
		 * share of them the CPU was not theirs; change: the judged
		 * time's. */
		compare__fmt_value(mb, sizeof(mb), row, row->is_metric ?
				   row->med_base : row->wall_base);
		compare__fmt_value(mn, sizeof(mn), row, row->is_metric ?
				   row->med_new : row->wall_new);
		fmt_share(qb, sizeof(qb), row->runq_base);
		fmt_share(qn, sizeof(qn), row->runq_new);
		fmt_pct(ch, sizeof(ch), row->change);
		if (row->significant)
			strcat(ch, "*");
		fmt_ci(ci, sizeof(ci), row);
		/* the name in 11 columns, cut with "…" */
		term_name(f, row->name, 11);
		fprintf(f, " %5zu %5zu %6s %6s %4s %4s %-7s %-13s %s\n",
			row->n_base, row->n_new, mb, mn, qb, qn, ch, ci,
			compare__verdict_str(row));
	}
	fprintf(f, "*: significant (Mann-Whitney p < %g).  change: Hodges-Lehmann "
		"shift of the\n%s over the base median, %g%% CI.  slower/faster:\n"
		"the CI is beyond +-%g%%.%s\n", o->alpha,
		own ? "own time (wall less runnable)" : "wall time",
		100 * (1 - o->alpha), o->min_effect, own ? "  contention: the "
		"wall time is slower, the own time not." : "");
	if (o->skip_steps)
		fprintf(f, "Steps before %ld skipped (warm-up).\n", o->skip_steps);
	print_summary(f, r, false);
}

void compare__print_md(FILE *f, const struct compare_result *r)
{
	const struct compare_opts *o = &r->opts;

	fprintf(f, "#### mlprobe compare\n\n");
	print_summary(f, r, true);
	fprintf(f, "| %s | n base | n new | median base | median new | "
		"p90 base | p90 new | wall base | wall new | runnable | change | "
		"%g%% CI | p | |\n", "name", 100 * (1 - o->alpha));
	fprintf(f, "|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|--:|:--|\n");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct compare_row *row = &r->rows[i];
		char mb[32], mn[32], pb[32], pn[32], wb[32], wn[32], qb[16], qn[16];
		char ch[32], lo[32], hi[32];
		bool bold = row->verdict == CV_WORSE;

		compare__fmt_value(mb, sizeof(mb), row, row->med_base);
		compare__fmt_value(mn, sizeof(mn), row, row->med_new);
		compare__fmt_value(pb, sizeof(pb), row, row->p90_base);
		compare__fmt_value(pn, sizeof(pn), row, row->p90_new);
		compare__fmt_value(wb, sizeof(wb), row, row->wall_base);
		compare__fmt_value(wn, sizeof(wn), row, row->wall_new);
		fmt_share(qb, sizeof(qb), row->runq_base);
		fmt_share(qn, sizeof(qn), row->runq_new);
		fmt_pct(ch, sizeof(ch), row->change);
		fmt_pct(lo, sizeof(lo), row->lo);
		fmt_pct(hi, sizeof(hi), row->hi);
		fprintf(f, "| %s", row->is_metric ? "metric " : "");
		md_name(f, row->name);
		fprintf(f, " | %zu | %zu | %s | %s | %s | %s | %s | %s | %s → %s | "
			"%s%s%s | ", row->n_base, row->n_new, mb, mn, pb, pn, wb,
			wn, qb, qn, bold ? "**" : "", ch, bold ? "**" : "");
		if (isnan(row->lo))
			fprintf(f, "- | ");
		else
			fprintf(f, "%s … %s | ", lo, hi);
		if (isnan(row->p))
			fprintf(f, "- | ");
		else if (row->p < 0.001)
			fprintf(f, "<0.001 | ");
		else
			fprintf(f, "%.3f | ", row->p);
		fprintf(f, "%s%s%s |\n", bold ? "**" : "", compare__verdict_str(row),
			bold ? "**" : "");
	}
	fprintf(f, "\n<sub>`%s` → `%s`. Medians and change are of the %s; "
		"runnable: the share of the wall time waiting for a CPU. Change: "
		"Hodges–Lehmann shift over the base median; p: Mann–Whitney U, "
		"significant below %g; slower or faster when the CI is beyond "
		"±%g%%; contention: the wall time slower, the own time not; at "
		"least %ld samples a side%s.</sub>\n", r->base, r->new,
		o->time != RL_TIME_WALL ? "own time (wall less runnable)" :
		"wall time", o->alpha, o->min_effect, o->min_samples,
		o->skip_steps ? "; warm-up steps skipped" : "");
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.17g", v);
}

void compare__print_json(FILE *f, const struct compare_result *r)
{
	const struct compare_opts *o = &r->opts;

	fputs("{\"base\":", f);
	json_str(f, r->base, strlen(r->base));
	fputs(",\"new\":", f);
	json_str(f, r->new, strlen(r->new));
	fprintf(f, ",\"alpha\":%g,\"min_effect_pct\":%g,\"min_samples\":%ld,"
		"\"skip_steps\":%ld,\"fail_on_pct\":", o->alpha, o->min_effect,
		o->min_samples, o->skip_steps);
	json_num(f, o->fail_on >= 0 ? o->fail_on : NAN);
	fprintf(f, ",\"time\":\"%s\",\"regressions\":%zu,\"failures\":%zu,"
		"\"rows\":[", o->time != RL_TIME_WALL ? "own" : "wall",
		r->regressions, r->failures);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct compare_row *row = &r->rows[i];
		const struct { const char *k; double v; } nums[] = {
			{ "median_base", row->med_base }, { "median_new", row->med_new },
			{ "p90_base", row->p90_base }, { "p90_new", row->p90_new },
			{ "change_pct", row->change }, { "ci_low_pct", row->lo },
			{ "ci_high_pct", row->hi }, { "p", row->p },
			{ "wall_median_base", row->wall_base },
			{ "wall_median_new", row->wall_new },
			{ "wall_change_pct", row->wall_change },
			{ "runq_pct_base", row->runq_base },
			{ "runq_pct_new", row->runq_new },
		};

		fprintf(f, "%s\n{\"kind\":\"%s\",\"name\":", i ? "," : "",
			row->is_metric ? "metric" : "span");
		json_str(f, row->name, strlen(row->name));
		fprintf(f, ",\"n_base\":%zu,\"n_new\":%zu", row->n_base, row->n_new);
		for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
			fprintf(f, ",\"%s\":", nums[k].k);
			json_num(f, nums[k].v);
		}
		fprintf(f, ",\"significant\":%s,\"verdict\":\"%s\",\"fails\":%s}",
			row->significant ? "true" : "false",
			compare__verdict_str(row), row->fails ? "true" : "false");
	}
	fputs("\n]}\n", f);
}
