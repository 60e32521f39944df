// SPDX-License-Identifier: MIT
/* alert.c - rules evaluated on rows and ticks; a firing goes to stderr
 * (at most 5 lines per rule per 10 s), the alerts file (alert_file.c) and
 * the --on-alert command (alert_cmd.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "alert.h"
#include "alert_cmd.h"
#include "alert_file.h"
#include "common/log.h"
#include "common/termtext.h"

#define SERIES_CAP 4096		/* (rule, process, metric) states kept */
#define PRINT_BURST 5		/* stderr lines per rule per window ... */
#define PRINT_WINDOW_NS 10000000000ull	/* ... of 10 s */
#define DROPS_HOLD_NS 10000000000ull	/* drops fire at most every 10 s */

/* Edge state of a threshold or nan rule for one process (and one metric,
 * for nan(*)). */
struct series {
	bool used, fired;
	int rule;
	uint32_t pid;
	unsigned run;		/* consecutive steps the condition held */
	int64_t last_step;
	char name[RULE_NAME_MAX];	/* nan(*) only */
};

struct rule_state {
	uint64_t fired;
	uint64_t window_start, printed, suppressed;
	/* stall */
	bool stall_fired;
	/* drops */
	uint64_t drops_seen, drops_last_fire;
};

struct alerts {
	struct alerts_opts o;
	struct rule *rules;
	struct rule_state *rs;
	struct series *series;
	char host[256], run[256], dir[4096];
	bool has_stall, has_series;
	/* step progress, for stall rules */
	int64_t max_step;
	bool progress;
	uint64_t steps_seen, last_progress, now;
	struct alert_file *file;	/* NULL: no directory */
	struct alert_cmd *cmd;		/* NULL: no --on-alert */
	struct alerts_stats st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t utc_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- firing ---- */

static void fire(struct alerts *a, struct alert_fire *f)
{
	struct rule_state *rs = &a->rs[f->rule_idx];

	a->st.fired++;
	rs->fired++;
	if (!a->o.quiet) {
		if (a->now - rs->window_start >= PRINT_WINDOW_NS || !rs->window_start) {
			if (rs->suppressed)
				fprintf(stderr, "mlprobe: ALERT [%s] %llu more "
					"firings not shown\n", f->rule->text,
					(unsigned long long)rs->suppressed);
			rs->window_start = a->now ? a->now : 1;
			rs->printed = rs->suppressed = 0;
		}
		if (rs->printed < PRINT_BURST) {
			/* the message quotes a name the trainer chose */
			char esc[termtext__max(sizeof(f->msg), -1)];

			termtext__fmt(esc, sizeof(esc), f->msg, strlen(f->msg), -1,
				      false);
			fprintf(stderr, "mlprobe: ALERT [%s] %s\n", f->rule->text, esc);
			rs->printed++;
			a->st.printed++;
		} else {
			rs->suppressed++;
			a->st.suppressed++;
		}
	}
	if (a->file)
		alert_file__append(a->file, f);
	if (a->o.on_fire)
		a->o.on_fire(a->o.on_fire_ctx, f);
	if (a->cmd)
		alert_cmd__run(a->cmd, f, a->now);
}

static void who(char *buf, size_t n, uint32_t pid, int32_t rank)
{
	if (rank >= 0)
		snprintf(buf, n, " (pid %u, rank %d)", pid, (int)rank);
	else
		snprintf(buf, n, " (pid %u)", pid);
}

/* ---- series state ---- */

static struct series *series_get(struct alerts *a, int rule, uint32_t pid,
				 const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)rule * 31 ^ pid;

	if (!name)
		len = 0;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	h ^= h >> 29;
	for (size_t probe = 0; probe < 64; probe++) {
		struct series *s = &a->series[(h + probe) & (SERIES_CAP - 1)];

		if (!s->used) {
			s->used = true;
			s->rule = rule;
			s->pid = pid;
			s->last_step = INT64_MIN;
			if (len)
				memcpy(s->name, name, len);
			s->name[len] = 0;
			return s;
		}
		if (s->rule == rule && s->pid == pid &&
		    (!len || (strlen(s->name) == len && !memcmp(s->name, name, len))))
			return s;
	}
	return NULL;	/* full: this series is not watched (bounded memory) */
}

static int on_metric(void *ctx, const struct row_metric *r)
{
	struct alerts *a = ctx;

	if (r->step > a->max_step) {
		a->max_step = r->step;
		a->progress = true;
	}
	if (!a->has_series)
		return 0;
	for (int i = 0; i < a->o.nrules; i++) {
		const struct rule *ru = &a->rules[i];
		bool wild = ru->kind == RULE_NAN && ru->name_len == 1 && ru->name[0] == '*';
		bool holds;
		struct series *s;

		if (ru->kind != RULE_THRESHOLD && ru->kind != RULE_NAN)
			continue;
		if (!wild && (ru->name_len != r->name_len ||
			      memcmp(ru->name, r->name, r->name_len)))
			continue;
		holds = ru->kind == RULE_NAN ? !isfinite(r->value) : rule_holds(ru, r->value);
		s = series_get(a, i, r->pid, wild ? r->name : NULL, r->name_len);
		if (!s)
			continue;
		if (!holds) {
			s->run = 0;
			s->fired = false;
			continue;
		}
		if (s->run == 0 || r->step != s->last_step)
			s->run++;
		s->last_step = r->step;
		if (s->fired || s->run < ru->for_steps)
			continue;
		s->fired = true;
		{
			struct alert_fire f = {
				.rule = ru, .rule_idx = i, .ts = r->ts,
				.name = r->name, .name_len = r->name_len,
				.has_step = true, .step = r->step, .value = r->value,
				.pid = (int32_t)r->pid, .rank = r->proc->rank,
			};
			char w[64], runs[48] = "";

			who(w, sizeof(w), r->pid, r->proc->rank);
			if (ru->for_steps > 1)
				snprintf(runs, sizeof(runs), ", %u steps in a row",
					 s->run);
			snprintf(f.msg, sizeof(f.msg), "%.*s = %g at step %lld%s%s",
				 (int)(r->name_len > 128 ? 128 : r->name_len), r->name,
				 r->value, (long long)r->step, runs, w);
			fire(a, &f);
		}
	}
	return 0;
}

static int on_span(void *ctx, const struct row_span *r)
{
	struct alerts *a = ctx;

	if (r->has_step && r->step > a->max_step) {
		a->max_step = r->step;
		a->progress = true;
	}
	return 0;
}

void alerts__counters(struct alerts *a, uint64_t dropped, uint64_t steps,
		      uint64_t now)
{
	a->now = now;
	if (steps != a->steps_seen) {
		a->steps_seen = steps;
		a->progress = true;
	}
	for (int i = 0; i < a->o.nrules; i++) {
		struct rule_state *rs = &a->rs[i];
		struct alert_fire f = { .rule = &a->rules[i], .rule_idx = i,
					.pid = -1, .rank = -1 };

		if (a->rules[i].kind != RULE_DROPS || dropped <= rs->drops_seen ||
		    (rs->drops_last_fire && now - rs->drops_last_fire < DROPS_HOLD_NS))
			continue;
		f.ts = utc_ns();
		f.value = (double)dropped;
		snprintf(f.msg, sizeof(f.msg), "%llu records lost so far (+%llu); "
			 "a larger --ring-size or fewer events per step helps",
			 (unsigned long long)dropped,
			 (unsigned long long)(dropped - rs->drops_seen));
		rs->drops_seen = dropped;
		rs->drops_last_fire = now;
		fire(a, &f);
	}
}

static int on_tick(void *ctx, uint64_t now)
{
	struct alerts *a = ctx;

	a->now = now;
	if (!a->last_progress || a->progress) {
		a->last_progress = now;
		if (a->progress)
			for (int i = 0; i < a->o.nrules; i++)
				a->rs[i].stall_fired = false;
		a->progress = false;
	}
	for (int i = 0; a->has_stall && i < a->o.nrules; i++) {
		const struct rule *ru = &a->rules[i];
		struct alert_fire f = { .rule = ru, .rule_idx = i, .pid = -1,
					.rank = -1 };

		if (ru->kind != RULE_STALL || a->rs[i].stall_fired ||
		    now - a->last_progress < ru->stall_ns)
			continue;
		a->rs[i].stall_fired = true;
		f.ts = utc_ns();
		f.value = (now - a->last_progress) / 1e9;
		f.has_step = a->max_step != INT64_MIN;
		f.step = a->max_step;
		if (f.has_step)
			snprintf(f.msg, sizeof(f.msg), "no step progress for %.1f s "
				 "(last step %lld)", f.value, (long long)f.step);
		else
			snprintf(f.msg, sizeof(f.msg), "no step progress for %.1f s "
				 "(no step seen yet)", f.value);
		fire(a, &f);
	}
	if (a->cmd)
		alert_cmd__reap(a->cmd);
	return a->file ? alert_file__flush(a->file) : 0;
}

static int on_finish(void *ctx)
{
	struct alerts *a = ctx;

	if (a->cmd)
		alert_cmd__reap(a->cmd);
	for (int i = 0; i < a->o.nrules; i++)
		if (a->rs[i].suppressed && !a->o.quiet)
			fprintf(stderr, "mlprobe: ALERT [%s] %llu more firings not "
				"shown\n", a->rules[i].text,
				(unsigned long long)a->rs[i].suppressed);
	return a->file ? alert_file__close(a->file) : 0;
}

int alerts__new(const struct alerts_opts *opts, struct alerts **out)
{
	struct alerts *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->o = *opts;
	a->rules = calloc(opts->nrules ? opts->nrules : 1, sizeof(*a->rules));
	a->rs = calloc(opts->nrules ? opts->nrules : 1, sizeof(*a->rs));
	a->series = calloc(SERIES_CAP, sizeof(*a->series));
	if (!a->rules || !a->rs || !a->series) {
		alerts__free(a);
		return -ENOMEM;
	}
	memcpy(a->rules, opts->rules, opts->nrules * sizeof(*a->rules));
	for (int i = 0; i < opts->nrules; i++) {
		a->has_stall |= a->rules[i].kind == RULE_STALL;
		a->has_series |= a->rules[i].kind == RULE_THRESHOLD ||
				 a->rules[i].kind == RULE_NAN;
	}
	snprintf(a->host, sizeof(a->host), "%s", opts->host ? opts->host : "");
	snprintf(a->run, sizeof(a->run), "%s", opts->run ? opts->run : "");
	snprintf(a->dir, sizeof(a->dir), "%s", opts->dir ? opts->dir : "");
	a->o.dir = a->dir;
	a->o.rules = a->rules;
	if (!a->o.cmd_interval_ns)
		a->o.cmd_interval_ns = 5000000000ull;
	if (!a->o.created_by)
		a->o.created_by = "mlprobe";
	a->max_step = INT64_MIN;
	a->now = mono_ns();
	if (a->dir[0] && !(a->file = alert_file__new(a->dir, a->o.created_by,
						     a->host, a->run, &a->st))) {
		alerts__free(a);
		return -ENOMEM;
	}
	if (a->o.cmd_argv) {
		struct alert_cmd_opts co = {
			.sz = sizeof(co), .argv = a->o.cmd_argv,
			.path = a->o.cmd_path, .interval_ns = a->o.cmd_interval_ns,
			.nrules = a->o.nrules, .host = a->host, .run = a->run,
			.dir = a->dir,
		};

		if (!(a->cmd = alert_cmd__new(&co, &a->st))) {
			alerts__free(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static int on_counters(void *ctx, const struct row_counters *c, uint64_t now)
{
	uint64_t lost = 0;

	for (int t = 0; t < ROW_TABLES; t++)
		lost += c->lost[t];
	alerts__counters(ctx, lost, c->steps, now);
	return 0;
}

struct sink alerts__sink(struct alerts *a)
{
	return (struct sink){ .name = "alerts", .ctx = a, .metric = on_metric,
			      .span = on_span, .counters = on_counters,
			      .tick = on_tick, .finish = on_finish };
}

const struct alerts_stats *alerts__stats(const struct alerts *a)
{
	return &a->st;
}

int alerts__nfiles(const struct alerts *a)
{
	return a ? alert_file__nfiles(a->file) : 0;
}

const struct alerts_file *alerts__file(const struct alerts *a, int i)
{
	return alert_file__file(a->file, i);
}

void alerts__free(struct alerts *a)
{
	if (!a)
		return;
	alert_file__free(a->file);
	alert_cmd__free(a->cmd);
	free(a->series);
	free(a->rules);
	free(a->rs);
	free(a);
}
