// SPDX-License-Identifier: MIT
/*
 * report.c - the HTML page of `mlprobe report`.  It gathers what each chart
 * needs from the loaded runs and lets svg.c draw it.  Everything printed
 * from a run (names, messages, paths) goes through svg__escape.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "explain.h"
#include "report.h"
#include "stats.h"
#include "svg.h"
#include "tabout.h"
#include "common/version.h"

#define MAX_CHARTS 24		/* per section */
#define MAX_BARS 5000		/* timeline */
#define MAX_LOGS 200
#define MAX_DEPTH 8

int report__parse_steps(const char *s, long *lo, long *hi)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*lo = strtol(s, &end, 10);
	if (errno)
		return -1;
	if (!*end) {
		*hi = *lo;
		return 0;
	}
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return -1;
	*hi = strtol(end + 1, &end, 10);
	return errno || *end || *hi < *lo ? -1 : 0;
}

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;"
	"max-width:1180px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #ddd}\n"
	"table{border-collapse:collapse;margin:6px 0;font-variant-numeric:"
	"tabular-nums}\n"
	"td,th{padding:2px 9px;border-bottom:1px solid #eee;text-align:right}\n"
	".l{text-align:left}.muted{color:#777}\n"
	".charts{display:flex;flex-wrap:wrap;gap:10px}\n"
	".slower,.worse{color:#c00;font-weight:bold}.faster,.better{color:#080}\n"
	".legend{margin:4px 0}.legend svg{vertical-align:middle;margin:0 4px 0 12px}\n"
	"pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}\n";

static void esc(FILE *f, const char *s)
{
	svg__escape(f, s);
}

static void fmt_ns(char *buf, size_t len, double v)
{
	compare__fmt_ns(buf, len, v);
}

static void fmt_ms(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g ms", fabs(v) < 1e-9 ? 0 : v);
}

static void fmt_share(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g%%", round(v * 1000) / 10);
}

/* Span names of a run, by total time, most first. */
struct name_stat {
	uint32_t id;
	double total;
};

static int cmp_total(const void *x, const void *y)
{
	const struct name_stat *a = x, *b = y;

	return (a->total < b->total) - (a->total > b->total);
}

static size_t names_by_total(const struct rl_groups *g, struct name_stat *out)
{
	size_t n = 0;

	for (size_t id = 0; id < g->nids; id++) {
		double t = 0;

		if (g->start[id + 1] == g->start[id])
			continue;
		for (size_t i = g->start[id]; i < g->start[id + 1]; i++)
			t += g->vals[i];
		out[n++] = (struct name_stat){ (uint32_t)id, t };
	}
	qsort(out, n, sizeof(*out), cmp_total);
	return n;
}

static void header(FILE *f, const struct runload *run, const struct runload *base)
{
	int64_t t0 = INT64_MAX, t1 = INT64_MIN, s0 = INT64_MAX, s1 = -1;
	char a[64], b[64];

	for (size_t i = 0; i < run->nspans; i++) {
		t0 = run->spans[i].ts < t0 ? run->spans[i].ts : t0;
		t1 = run->spans[i].ts + run->spans[i].dur > t1 ?
		     run->spans[i].ts + run->spans[i].dur : t1;
	}
	for (size_t i = 0; i < run->nmetrics; i++) {
		t0 = run->metrics[i].ts < t0 ? run->metrics[i].ts : t0;
		t1 = run->metrics[i].ts > t1 ? run->metrics[i].ts : t1;
		s0 = run->metrics[i].step < s0 ? run->metrics[i].step : s0;
		s1 = run->metrics[i].step > s1 ? run->metrics[i].step : s1;
	}
	for (size_t i = 0; i < run->nspans; i++)
		if (run->spans[i].step >= 0) {
			s0 = run->spans[i].step < s0 ? run->spans[i].step : s0;
			s1 = run->spans[i].step > s1 ? run->spans[i].step : s1;
		}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	      "'none'; style-src 'unsafe-inline'\">\n<title>mlprobe report: ", f);
	esc(f, run->path);
	fprintf(f, "</title>\n<style>\n%s", css);
	svg__css(f);
	fputs("</style></head><body>\n<h1>mlprobe report</h1>\n<p>Run <code>", f);
	esc(f, run->path);
	fputs("</code>", f);
	if (base) {
		fputs(", baseline <code>", f);
		esc(f, base->path);
		fputs("</code> (grey, dashed)", f);
	}
	fprintf(f, ".<br>%zu spans, %zu metrics, %zu logs", run->nspans,
		run->nmetrics, run->nlogs);
	if (s1 >= 0)
		fprintf(f, "; steps %lld to %lld", (long long)s0, (long long)s1);
	if (t1 > t0) {
		tabout__fmt_ts(a, sizeof(a), t0, true);
		compare__fmt_ns(b, sizeof(b), (double)(t1 - t0));
		fprintf(f, "; from %s, over %s", a, b);
	}
	fputs(".</p>\n", f);
}

static void compare_section(FILE *f, const struct compare_result *res)
{
	fprintf(f, "<h2 id=\"compare\">Compared with the baseline</h2>\n<p>"
		"%zu regression%s. Change: Hodges&ndash;Lehmann shift over the "
		"base median with its %g%% CI; * significant (Mann&ndash;Whitney "
		"p &lt; %g); slower or faster when the whole CI is beyond "
		"&plusmn;%g%%.</p>\n", res->regressions,
		res->regressions == 1 ? "" : "s", 100 * (1 - res->opts.alpha),
		res->opts.alpha, res->opts.min_effect);
	fputs("<table><tr><th class=\"l\">name</th><th>n base</th><th>n run</th>"
	      "<th>median base</th><th>median run</th><th>p90 base</th>"
	      "<th>p90 run</th><th>change</th><th>CI</th><th>p</th>"
	      "<th class=\"l\"></th></tr>\n", f);
	for (size_t i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->rows[i];
		char v[4][32];

		compare__fmt_value(v[0], sizeof(v[0]), r, r->med_base);
		compare__fmt_value(v[1], sizeof(v[1]), r, r->med_new);
		compare__fmt_value(v[2], sizeof(v[2]), r, r->p90_base);
		compare__fmt_value(v[3], sizeof(v[3]), r, r->p90_new);
		fputs("<tr><td class=\"l\">", f);
		esc(f, r->name);
		fprintf(f, "</td><td>%zu</td><td>%zu</td><td>%s</td><td>%s</td>"
			"<td>%s</td><td>%s</td>", r->n_base, r->n_new, v[0], v[1],
			v[2], v[3]);
		if (isnan(r->change))
			fputs("<td>-</td><td>-</td><td>-</td>", f);
		else
			fprintf(f, "<td>%+.1f%%%s</td><td>[%+.1f, %+.1f]</td>"
				"<td>%.3g</td>", r->change, r->significant ? "*" : "",
				r->lo, r->hi, r->p);
		fprintf(f, "<td class=\"l %s\">%s</td></tr>\n",
			compare__verdict_str(r), compare__verdict_str(r));
	}
	fputs("</table>\n", f);
}

static void span_table(FILE *f, const struct rl_groups *g,
		       const struct runload *run, const struct name_stat *ns,
		       size_t n)
{
	fputs("<h2 id=\"spans\">Spans</h2>\n<table><tr><th class=\"l\">name</th>"
	      "<th>n</th><th>total</th><th>median</th><th>p90</th><th>p99</th>"
	      "<th>max</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const double *v = g->vals + g->start[ns[i].id];
		size_t k = g->start[ns[i].id + 1] - g->start[ns[i].id];
		double q[5] = { ns[i].total, stats__quantile(v, k, 0.5),
				stats__quantile(v, k, 0.9),
				stats__quantile(v, k, 0.99), v[k - 1] };
		char buf[32];

		fputs("<tr><td class=\"l\">", f);
		fprintf(f, "<svg class=\"sw\" width=\"10\" height=\"10\"><rect "
			"class=\"c%zu\" width=\"10\" height=\"10\"/></svg> ",
			i % SVG_NCOLORS);
		esc(f, runload__str(run, ns[i].id));
		fprintf(f, "</td><td>%zu</td>", k);
		for (int j = 0; j < 5; j++) {
			fmt_ns(buf, sizeof(buf), q[j]);
			fprintf(f, "<td>%s</td>", buf);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void histograms(FILE *f, const struct rl_groups *g,
		       const struct runload *run, const struct rl_groups *gb,
		       const struct runload *base, const struct name_stat *ns,
		       size_t n)
{
	fputs("<h2 id=\"durations\">Span durations</h2>\n<p class=\"muted\">"
	      "Share of spans per duration bin, 0.5th to 99.5th percentile; "
	      "dashed lines are medians.</p>\n<div class=\"charts\">\n", f);
	for (size_t i = 0; i < n && i < MAX_CHARTS; i++) {
		const char *name = runload__str(run, ns[i].id);
		struct svg_series s[2] = {
			{ "run", NULL, g->vals + g->start[ns[i].id],
			  g->start[ns[i].id + 1] - g->start[ns[i].id] },
			{ "baseline", NULL, NULL, 0 },
		};
		uint32_t bid = base ? runload__find(base, name) : UINT32_MAX;
		char id[32], title[200];
		struct svg_chart c = { .id = id, .title = title,
				       .xlabel = "duration", .xfmt = fmt_ns,
				       .yfmt = fmt_share, .width = 380, .height = 200 };

		if (bid != UINT32_MAX && bid < gb->nids) {
			s[1].y = gb->vals + gb->start[bid];
			s[1].n = gb->start[bid + 1] - gb->start[bid];
		}
		snprintf(id, sizeof(id), "hist-%zu", i);
		snprintf(title, sizeof(title), "%.120s (n=%zu)", name, s[0].n);
		svg__histogram(f, &c, s, s[1].n ? 2 : 1);
	}
	fputs("</div>\n", f);
	if (n > MAX_CHARTS)
		fprintf(f, "<p class=\"muted\">%zu more span names not shown.</p>\n",
			n - MAX_CHARTS);
}

#define MAX_STEP_CHARTS 4
#define SLOW_STEPS 5

/* Colours of the parts of a step (svg__css's c0..c9): on CPU blue,
 * runnable red, I/O orange, blocked teal, gc green. */
static const int part_color[EX_NPARTS] = { 0, 3, 1, 4, 2 };
static const char *const part_label[EX_NPARTS] = { "cpu", "runq", "io",
						   "wait", "gc" };

static void fmt_ms_plain(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g", fabs(v) < 1e-9 ? 0 : v);
}

static int cmp_step_no(const void *a, const void *b)
{
	const struct explain_step *p = *(struct explain_step *const *)a;
	const struct explain_step *q = *(struct explain_step *const *)b;

	if (p->step != q->step)
		return p->step < q->step ? -1 : 1;
	return (p->ts > q->ts) - (p->ts < q->ts);
}

/* One thread's steps as stacked bars of their parts, in ms. */
static int step_chart(FILE *f, const struct explain_result *x, size_t t,
		      const struct explain_step *first, size_t id)
{
	const struct explain_thread *th = &x->threads[t];
	size_t n = th->nsteps;
	const struct explain_step **st = malloc(n * sizeof(*st));
	double *xs = malloc(n * sizeof(*xs)), *ys = malloc(n * EX_NPARTS * sizeof(*ys));
	char (*tips)[160] = n <= 600 ? calloc(n, sizeof(*tips)) : NULL;
	const char **tp = n <= 600 ? calloc(n, sizeof(*tp)) : NULL;
	struct svg_stack stack[EX_NPARTS];
	char cid[32], title[160];
	struct svg_chart c = { .id = cid, .title = title, .xlabel = "step",
			       .ylabel = "ms", .yfmt = fmt_ms_plain,
			       .width = 1100, .height = 260 };
	int ret = -ENOMEM;

	if (!st || !xs || !ys || (n <= 600 && (!tips || !tp)))
		goto out;
	for (size_t i = 0; i < n; i++)
		st[i] = first + i;
	qsort(st, n, sizeof(*st), cmp_step_no);
	for (size_t i = 0; i < n; i++) {
		const int64_t *p = st[i]->part;

		xs[i] = (double)st[i]->step;
		for (int k = 0; k < EX_NPARTS; k++)
			ys[k * n + i] = (double)p[k] / 1e6;
		if (tips) {
			snprintf(tips[i], sizeof(tips[i]), "step %lld: %.3g ms: cpu %.3g, "
				 "runq %.3g, io %.3g, wait %.3g, gc %.3g ms",
				 (long long)st[i]->step, (double)st[i]->dur / 1e6,
				 p[EX_CPU] / 1e6, p[EX_RUNQ] / 1e6, p[EX_IO] / 1e6,
				 p[EX_WAIT] / 1e6, p[EX_GC] / 1e6);
			tp[i] = tips[i];
		}
	}
	for (int k = 0; k < EX_NPARTS; k++)
		stack[k] = (struct svg_stack){ part_label[k], part_color[k], ys + k * n };
	snprintf(cid, sizeof(cid), "steps-%zu", id);
	if (th->has_rank)
		snprintf(title, sizeof(title), "rank %d, %s %u: %zu steps",
			 (int)th->rank, th->pid == th->tid ? "pid" : "tid", th->tid, n);
	else
		snprintf(title, sizeof(title), "%s %u: %zu steps",
			 th->pid == th->tid ? "pid" : "tid", th->tid, n);
	svg__stacked_bars(f, &c, xs, n, stack, EX_NPARTS, tp);
	ret = 0;
out:
	free(st);
	free(xs);
	free(ys);
	free(tips);
	free(tp);
	return ret;
}

/* Where each step's time went (explain.h), and the slowest steps. */
static int steps_section(FILE *f, const struct runload *run)
{
	struct explain_opts o;
	struct explain_result *x;
	const struct explain_step *first;
	char err[256], a[32], b[32], e[32];

	if (runload__find(run, EXPLAIN_STEP_SPAN) == UINT32_MAX)
		return 0;
	explain__defaults(&o);
	o.top = SLOW_STEPS;
	if (!(x = explain__run(run, &o, err, sizeof(err))))
		return -ENOMEM;	/* it has steps: only memory fails */
	fputs("<h2 id=\"steps\">Where each step's time went</h2>\n<p class=\"muted\">"
	      "Each thread's steps (from one <code>MLPROBE_STEP</code> to the "
	      "next), as the kernel split them: on CPU, runnable (waiting for "
	      "a CPU), in I/O wait, blocked otherwise, and in Python's garbage "
	      "collections; hover for a step's numbers. <code>mlprobe explain"
	      "</code> says the same in text.</p>\n<div class=\"charts\">\n", f);
	first = x->steps;
	for (size_t t = 0; t < x->nthreads; t++) {
		if (t < MAX_STEP_CHARTS && step_chart(f, x, t, first, t)) {
			explain__free(x);
			return -ENOMEM;
		}
		first += x->threads[t].nsteps;
	}
	fputs("</div>\n", f);
	if (x->nthreads > MAX_STEP_CHARTS)
		fprintf(f, "<p class=\"muted\">%zu more threads with steps not "
			"shown.</p>\n", x->nthreads - MAX_STEP_CHARTS);
	fputs("<table id=\"slow-steps\"><tr><th>step</th><th class=\"l\">thread"
	      "</th><th>duration</th><th>median</th><th class=\"l\">cause</th>"
	      "<th>beyond the median</th><th class=\"l\">in span</th></tr>\n", f);
	for (size_t i = 0; i < x->nslow; i++) {
		const struct explain_slow *sl = &x->slow[i];
		const struct explain_step *s = sl->s;

		compare__fmt_ns(a, sizeof(a), (double)s->dur);
		compare__fmt_ns(b, sizeof(b), (double)x->threads[s->thread].median_dur);
		if (sl->cause >= 0)
			compare__fmt_ns(e, sizeof(e), (double)sl->excess[sl->cause]);
		fprintf(f, "<tr><td>%lld</td><td class=\"l\">", (long long)s->step);
		if (s->has_rank)
			fprintf(f, "rank %d, ", (int)s->rank);
		fprintf(f, "%s %u</td><td>%s</td><td>%s</td><td class=\"l\">%s</td>"
			"<td>%s%s</td><td class=\"l\">", s->pid == s->tid ? "pid" : "tid",
			s->tid, a, b, explain__cause_str(sl->cause),
			sl->cause >= 0 ? "+" : "", sl->cause >= 0 ? e : "-");
		if (sl->cause >= 0 && sl->where[sl->cause] != UINT32_MAX)
			esc(f, runload__str(run, sl->where[sl->cause]));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	explain__free(x);
	return 0;
}

struct point {
	double x, y;
};

static int cmp_point(const void *a, const void *b)
{
	const struct point *p = a, *q = b;

	return (p->x > q->x) - (p->x < q->x);
}

/* The per-step mean of metric name in r, as x (step) and y arrays in pts,
 * which holds r->nmetrics points.  Returns the number of points. */
static size_t metric_series(const struct runload *r, const char *name,
			    struct point *pts)
{
	uint32_t id = runload__find(r, name);
	size_t n = 0, out = 0;

	for (size_t i = 0; id != UINT32_MAX && i < r->nmetrics; i++)
		if (r->metrics[i].name == id && !isnan(r->metrics[i].value))
			pts[n++] = (struct point){ (double)r->metrics[i].step,
						   r->metrics[i].value };
	qsort(pts, n, sizeof(*pts), cmp_point);
	for (size_t i = 0; i < n;) {
		double sum = 0;
		size_t j = i;

		for (; j < n && pts[j].x == pts[i].x; j++)
			sum += pts[j].y;
		pts[out++] = (struct point){ pts[i].x, sum / (double)(j - i) };
		i = j;
	}
	return out;
}

static int metrics_section(FILE *f, const struct runload *run,
			   const struct runload *base)
{
	size_t nb = base ? base->nmetrics : 0, shown = 0, names = 0;
	struct point *p = malloc((run->nmetrics + 1) * sizeof(*p));
	struct point *q = malloc((nb + 1) * sizeof(*q));
	double *xy = malloc(2 * (run->nmetrics + nb + 2) * sizeof(*xy));
	bool *seen = calloc(run->nstrs + 1, sizeof(*seen));
	int ret = -ENOMEM;

	if (!p || !q || !xy || !seen)
		goto out;
	fputs("<h2 id=\"metrics\">Metrics</h2>\n<p class=\"muted\">Mean per "
	      "step.</p>\n<div class=\"charts\">\n", f);
	for (size_t i = 0; i < run->nmetrics; i++) {
		const char *name = runload__str(run, run->metrics[i].name);
		size_t n, m = 0;
		double *x0, *y0, *x1, *y1;
		char id[32], title[160];
		struct svg_chart c = { .id = id, .title = title, .xlabel = "step",
				       .width = 560, .height = 220 };
		struct svg_series s[2];

		if (seen[run->metrics[i].name])
			continue;
		seen[run->metrics[i].name] = true;
		if (names++ >= MAX_CHARTS)
			continue;
		n = metric_series(run, name, p);
		if (base)
			m = metric_series(base, name, q);
		x0 = xy;
		y0 = x0 + n;
		x1 = y0 + n;
		y1 = x1 + m;
		for (size_t k = 0; k < n; k++)
			x0[k] = p[k].x, y0[k] = p[k].y;
		for (size_t k = 0; k < m; k++)
			x1[k] = q[k].x, y1[k] = q[k].y;
		s[0] = (struct svg_series){ "run", x0, y0, n };
		s[1] = (struct svg_series){ "baseline", x1, y1, m };
		snprintf(id, sizeof(id), "metric-%zu", shown++);
		snprintf(title, sizeof(title), "%.120s", name);
		svg__line_chart(f, &c, s, m ? 2 : 1);
	}
	if (!names)
		fputs("<p class=\"muted\">This run has no metrics.</p>\n", f);
	fputs("</div>\n", f);
	if (names > MAX_CHARTS)
		fprintf(f, "<p class=\"muted\">%zu more metrics not shown.</p>\n",
			names - MAX_CHARTS);
	ret = 0;
out:
	free(p);
	free(q);
	free(xy);
	free(seen);
	return ret;
}

struct thread_key {
	uint32_t pid, tid;
};

static int lane_of(struct thread_key *keys, int *n, uint32_t pid, uint32_t tid)
{
	for (int i = 0; i < *n; i++)
		if (keys[i].pid == pid && keys[i].tid == tid)
			return i;
	if (*n >= 64)
		return -1;
	keys[*n] = (struct thread_key){ pid, tid };
	return (*n)++;
}

/* The window of the timeline, in UTC ns: the time the process spent in
 * steps lo..hi.  A span carries the step current at its start, so that is
 * from the first start of a span of those steps to the first start of a
 * span of a later step (or the last end, at the end of the run).  Without
 * steps: the first twentieth of the run. */
static void window(const struct runload *r, long *lo, long *hi, int64_t *t0,
		   int64_t *t1)
{
	int64_t smin = INT64_MAX, smax = -1, next = INT64_MAX;

	*t0 = INT64_MAX;
	*t1 = INT64_MIN;
	for (size_t i = 0; i < r->nspans; i++)
		if (r->spans[i].step >= 0) {
			smin = r->spans[i].step < smin ? r->spans[i].step : smin;
			smax = r->spans[i].step > smax ? r->spans[i].step : smax;
		}
	if (*lo < 0 && smax >= 0) {	/* three steps in the middle */
		*lo = (long)((smin + smax) / 2);
		*hi = *lo + 2 < smax ? *lo + 2 : (long)smax;
	}
	for (size_t i = 0; i < r->nspans; i++) {
		const struct rl_span *s = &r->spans[i];

		if (*lo >= 0 && s->step > *hi) {
			next = s->ts < next ? s->ts : next;
			continue;
		}
		if (*lo >= 0 && s->step < *lo)
			continue;
		*t0 = s->ts < *t0 ? s->ts : *t0;
		*t1 = s->ts + s->dur > *t1 ? s->ts + s->dur : *t1;
	}
	if (next < *t1 && next > *t0)
		*t1 = next;
	if (*lo < 0 && *t1 > *t0)
		*t1 = *t0 + (*t1 - *t0) / 20;
}

static int timeline(FILE *f, const struct runload *run,
		    const struct name_stat *ns, size_t nnames,
		    const struct report_opts *o)
{
	struct svg_bar *bars = calloc(MAX_BARS, sizeof(*bars));
	char (*tips)[160] = calloc(MAX_BARS, sizeof(*tips));
	int *color = calloc(run->nstrs + 1, sizeof(*color));
	struct thread_key keys[64];
	struct svg_lane lanes[64];
	char labels[64][40], xl[96], range[64];
	int nlanes = 0, depth[64] = { 0 };
	long lo = o->step_lo, hi = o->step_hi;
	int64_t t0, t1;
	size_t nbars = 0, skipped = 0;
	struct svg_chart c = { .id = "timeline", .xfmt = fmt_ms, .xlabel = xl,
			       .width = 1100 };

	if (!bars || !tips || !color) {
		free(bars);
		free(tips);
		free(color);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nnames; i++)
		color[ns[i].id] = (int)(i % SVG_NCOLORS);
	window(run, &lo, &hi, &t0, &t1);
	if (lo >= 0)
		snprintf(range, sizeof(range), lo == hi ? "step %ld" : "steps %ld to %ld",
			 lo, hi);
	else
		snprintf(range, sizeof(range), "the first twentieth of the run");
	snprintf(xl, sizeof(xl), "ms from the start of %s", range);
	fprintf(f, "<h2 id=\"timeline\">Step timeline</h2>\n<p class=\"muted\">"
		"Spans of %s, stacked per thread (nested spans below their "
		"parent); hover for details. <code>--steps A:B</code> picks the "
		"window.</p>\n", range);
	for (size_t i = 0; i < run->nspans && t1 > t0; i++) {
		const struct rl_span *s = &run->spans[i];
		struct svg_bar *b = &bars[nbars];
		char d[32];
		int lane;

		if (s->ts >= t1 || s->ts + s->dur <= t0)
			continue;
		if (nbars == MAX_BARS || (lane = lane_of(keys, &nlanes, s->pid, s->tid)) < 0) {
			skipped++;
			continue;
		}
		compare__fmt_ns(d, sizeof(d), (double)s->dur);
		b->t0 = (double)(s->ts - t0) / 1e6;
		b->t1 = (double)(s->ts + s->dur - t0) / 1e6;
		b->lane = lane;
		b->row = s->depth < MAX_DEPTH ? (int)s->depth : MAX_DEPTH - 1;
		b->color = color[s->name];
		b->label = runload__str(run, s->name);
		snprintf(tips[nbars], sizeof(tips[0]), "%.100s: %s, step %lld, tid %u",
			 b->label, d, (long long)s->step, s->tid);
		b->tip = tips[nbars];
		if (b->row + 1 > depth[lane])
			depth[lane] = b->row + 1;
		nbars++;
	}
	for (int i = 0; i < nlanes; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%s %u",
			 keys[i].pid == keys[i].tid ? "main" : "tid", keys[i].tid);
		lanes[i] = (struct svg_lane){ labels[i], depth[i] };
	}
	c.title = range;
	svg__timeline(f, &c, 0, (double)(t1 - t0) / 1e6, lanes, nlanes, bars, nbars);
	fputs("<div class=\"legend\">", f);
	for (size_t i = 0; i < nnames && i < 30; i++) {
		fprintf(f, "<svg class=\"sw\" width=\"10\" height=\"10\"><rect "
			"class=\"c%zu\" width=\"10\" height=\"10\"/></svg>",
			i % SVG_NCOLORS);
		esc(f, runload__str(run, ns[i].id));
	}
	fputs("</div>\n", f);
	if (skipped)
		fprintf(f, "<p class=\"muted\">%zu spans of this window not drawn "
			"(at most %d bars and 64 threads).</p>\n", skipped, MAX_BARS);
	free(bars);
	free(tips);
	free(color);
	return 0;
}

static void logs_section(FILE *f, const struct runload *run)
{
	char ts[64];

	fprintf(f, "<h2 id=\"logs\">Logs</h2>\n");
	if (!run->nlogs) {
		fputs("<p class=\"muted\">This run has no logs.</p>\n", f);
		return;
	}
	fputs("<table><tr><th class=\"l\">time (UTC)</th><th class=\"l\">level"
	      "</th><th>step</th><th class=\"l\">message</th></tr>\n", f);
	for (size_t i = 0; i < run->nlogs && i < MAX_LOGS; i++) {
		const struct rl_log *l = &run->logs[i];

		tabout__fmt_ts(ts, sizeof(ts), l->ts, false);
		fprintf(f, "<tr><td class=\"l\">%s</td><td class=\"l\">", ts);
		esc(f, runload__str(run, l->level));
		if (l->step >= 0)
			fprintf(f, "</td><td>%lld</td><td class=\"l\">", (long long)l->step);
		else
			fputs("</td><td>-</td><td class=\"l\">", f);
		esc(f, runload__str(run, l->msg));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (run->nlogs > MAX_LOGS)
		fprintf(f, "<p class=\"muted\">%zu more log lines in the run.</p>\n",
			run->nlogs - MAX_LOGS);
}

int report__write(FILE *f, const struct runload *run,
		  const struct runload *base, const struct report_opts *o,
		  char *err, size_t errlen)
{
	struct rl_groups g = { 0 }, gb = { 0 };
	struct compare_result *res = NULL;
	struct name_stat *ns = NULL;
	size_t n = 0;
	int ret = -1;

	if (!run->nspans && !run->nmetrics && !run->nlogs) {
		snprintf(err, errlen, "%s: holds no rows",
			 run->path);
		return -1;
	}
	if (base && !(res = compare__run(base, run, o->cmp, err, errlen)))
		return -1;
	if (runload__group_spans(run, o->skip_steps, RL_TIME_WALL, &g) ||
	    (base && runload__group_spans(base, o->skip_steps, RL_TIME_WALL, &gb)) ||
	    !(ns = calloc(run->nstrs + 1, sizeof(*ns)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = names_by_total(&g, ns);
	header(f, run, base);
	if (res)
		compare_section(f, res);
	if (n)
		span_table(f, &g, run, ns, n);
	if (steps_section(f, run)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (n)
		histograms(f, &g, run, &gb, base, ns, n);
	if (metrics_section(f, run, base) ||
	    (run->nspans && timeline(f, run, ns, n, o))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	logs_section(f, run);
	fprintf(f, "<p class=\"muted\">Written by mlprobe %s.</p>\n"
		"</body></html>\n", mlprobe_version);
	ret = 0;
out:
	compare__free(res);
	runload__groups_free(&g);
	runload__groups_free(&gb);
	free(ns);
	return ret;
}
