// SPDX-License-Identifier: MIT
/*
 * chrome_trace.c - Trace Event Format output.  Timestamps are written as
 * integers of ns split into "us.nnn", so no precision is lost to doubles
 * (UTC ns since 1970 need 61 bits; a double holds 53).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "chrome_trace.h"
#include "common/json.h"
#include "tabout.h"
#include "common/version.h"

enum { EV_SPAN, EV_METRIC, EV_LOG };

struct ev {
	int64_t ts, dur;
	uint32_t pid, tid;
	uint8_t kind;
	size_t idx;
};

static int cmp_ev(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	/* A span before what starts with it; the longer (enclosing) first. */
	if (a->kind != b->kind)
		return a->kind - b->kind;
	if (a->dur != b->dur)
		return a->dur > b->dur ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_thread(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (a->tid > b->tid) - (a->tid < b->tid);
}

static void us(FILE *f, int64_t ns)
{
	fprintf(f, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

static void common(FILE *f, const struct ev *e, int64_t t0, const char *ph,
		   const char *cat)
{
	fprintf(f, ",\"cat\":\"%s\",\"ph\":\"%s\",\"ts\":", cat, ph);
	us(f, e->ts - t0);
	fprintf(f, ",\"pid\":%u,\"tid\":%u", e->pid, e->tid);
}

/* Where a span's time went, as the spans table says (cpu_ns is the rest
 * of its duration), so a click on it in Perfetto shows them. */
static void time_args(FILE *f, const struct rl_span *s)
{
	int64_t cpu = s->dur - s->runq - s->io - s->wait;

	fprintf(f, ",\"cpu_ns\":%lld,\"runq_ns\":%lld,\"io_ns\":%lld,"
		"\"wait_ns\":%lld,\"minflt\":%u,\"majflt\":%u",
		(long long)(cpu > 0 ? cpu : 0), (long long)s->runq,
		(long long)s->io, (long long)s->wait, s->minflt, s->majflt);
}

/* Names every process and thread once. */
static long write_meta(FILE *f, struct ev *ev, size_t n)
{
	long count = 0;

	qsort(ev, n, sizeof(*ev), cmp_thread);
	for (size_t i = 0; i < n; i++) {
		if (i && !cmp_thread(&ev[i], &ev[i - 1]))
			continue;
		if (!i || ev[i].pid != ev[i - 1].pid) {
			fprintf(f, "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,"
				"\"tid\":%u,\"args\":{\"name\":\"pid %u\"}}", count ? ",\n" : "",
				ev[i].pid, ev[i].pid, ev[i].pid);
			count++;
		}
		fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,"
			"\"tid\":%u,\"args\":{\"name\":\"%s%u\"}}", ev[i].pid,
			ev[i].tid, ev[i].pid == ev[i].tid ? "main " : "tid ",
			ev[i].tid);
		count++;
	}
	return count;
}

long chrome_trace__write(FILE *f, const struct runload *r)
{
	size_t n = r->nspans + r->nmetrics + r->nlogs, k = 0;
	struct ev *ev = malloc((n ? n : 1) * sizeof(*ev));
	int64_t t0 = INT64_MAX;
	char start[64];
	long count = 0;

	if (!ev)
		return -ENOMEM;
	for (size_t i = 0; i < r->nspans; i++)
		ev[k++] = (struct ev){ r->spans[i].ts, r->spans[i].dur,
				       r->spans[i].pid, r->spans[i].tid, EV_SPAN, i };
	for (size_t i = 0; i < r->nmetrics; i++)
		ev[k++] = (struct ev){ r->metrics[i].ts, 0, r->metrics[i].pid,
				       r->metrics[i].tid, EV_METRIC, i };
	for (size_t i = 0; i < r->nlogs; i++)
		ev[k++] = (struct ev){ r->logs[i].ts, 0, r->logs[i].pid,
				       r->logs[i].tid, EV_LOG, i };
	for (size_t i = 0; i < n; i++)
		if (ev[i].ts < t0)
			t0 = ev[i].ts;
	if (!n)
		t0 = 0;
	tabout__fmt_ts(start, sizeof(start), t0, true);
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":"
	      "\"mlprobe ", f);
	fputs(mlprobe_version, f);
	fputs("\",\"source\":", f);
	json_str(f, r->path, strlen(r->path));
	fprintf(f, ",\"start_utc\":\"%s\"},\n\"traceEvents\":[\n", start);
	/* The names first; a thread's first event is always after them. */
	count = write_meta(f, ev, n);
	qsort(ev, n, sizeof(*ev), cmp_ev);
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = &ev[i];

		fputs(count ? ",\n{\"name\":" : "{\"name\":", f);
		if (e->kind == EV_SPAN) {
			const struct rl_span *s = &r->spans[e->idx];
			const char *name = runload__str(r, s->name);

			json_str(f, name, strlen(name));
			common(f, e, t0, "X", "span");
			fputs(",\"dur\":", f);
			us(f, s->dur);
			fprintf(f, ",\"args\":{\"depth\":%u", s->depth);
			if (s->step >= 0)
				fprintf(f, ",\"step\":%lld", (long long)s->step);
			if (s->has_time)
				time_args(f, s);
			fputs("}}", f);
		} else if (e->kind == EV_METRIC) {
			const struct rl_metric *m = &r->metrics[e->idx];
			const char *name = runload__str(r, m->name);

			json_str(f, name, strlen(name));
			common(f, e, t0, "C", "metric");
			/* Every arg of a counter is plotted: the value only. */
			fputs(",\"args\":{\"value\":", f);
			json_double(f, m->value);
			fputs("}}", f);
		} else {
			const struct rl_log *l = &r->logs[e->idx];
			const char *lvl = runload__str(r, l->level);
			const char *msg = runload__str(r, l->msg);

			json_str(f, lvl, strlen(lvl));
			common(f, e, t0, "i", "log");
			fputs(",\"s\":\"t\",\"args\":{\"message\":", f);
			json_str(f, msg, strlen(msg));
			if (l->step >= 0)
				fprintf(f, ",\"step\":%lld", (long long)l->step);
			fputs("}}", f);
		}
		count++;
	}
	fputs("\n]}\n", f);
	free(ev);
	return count;
}
