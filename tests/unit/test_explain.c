// SPDX-License-Identifier: MIT
/* test_explain.c - explain on runs built in memory: each cause found for
 * its step, the excess against the medians, the span that holds it (the
 * deepest, and the one whose time is beyond its usual, not the biggest),
 * gc taken out of the other parts, the fault threshold, the straggler rank,
 * the step window, the output (80 columns, escaped names, JSON) and the
 * errors. */
#define _GNU_SOURCE	/* open_memstream */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "analysis/explain.h"
#include "analysis/runload.h"

#define MS 1000000ll

/* What one span spent, beyond on CPU (the rest of its duration). */
struct t {
	int64_t runq, io, wait;
	uint32_t minflt;
};

static void span(struct runload *r, const char *name, uint32_t pid, uint32_t tid,
		 int64_t step, uint32_t depth, int64_t ts, int64_t dur, struct t t)
{
	struct rl_span s = { .ts = ts, .dur = dur, .step = step, .pid = pid,
			     .tid = tid, .depth = depth, .has_time = true,
			     .runq = t.runq, .io = t.io, .wait = t.wait,
			     .minflt = t.minflt };

	assert_int_equal(runload__add_span(r, &s, name), 0);
}

/*
 * 40 steps of 10 ms on one thread, each with "compute" (8 ms on CPU)
 * inside; some steps add one cause:
 *   3: "load" holds "data", blocked 40 ms           -> wait in data
 *   5: "save", 20 ms in I/O wait                     -> io in save
 *   7: compute runnable 6 ms more                    -> runq in compute
 *   9: "alloc", 30 ms on CPU and 16384 page faults   -> fault in alloc
 *  11: "forward" holds a 25 ms python.gc.gen2        -> gc in forward
 *  13: "prep" 3 ms on CPU (compute as usual)         -> cpu in prep
 */
static struct runload *causes_run(void)
{
	struct runload *r = runload__new("causes");
	int64_t ts = 1000 * MS;

	for (int i = 0; i < 40; i++) {
		int64_t t = ts, extra = 0;
		struct t ct = { 0 }, st = { 0 };

		if (i == 7)
			ct.runq = st.runq = 6 * MS, extra = 6 * MS;
		span(r, "compute", 1, 1, i, 0, t + 100, 8 * MS + (i == 7 ? 6 * MS : 0), ct);
		t += 100 + 8 * MS + (i == 7 ? 6 * MS : 0);
		switch (i) {
		case 3:
			span(r, "load", 1, 1, i, 0, t + 10, 40 * MS + 200,
			     (struct t){ .wait = 40 * MS });
			span(r, "data", 1, 1, i, 1, t + 20, 40 * MS + 100,
			     (struct t){ .wait = 40 * MS });
			st.wait = 40 * MS;
			extra = 40 * MS + 300;
			break;
		case 5:
			span(r, "save", 1, 1, i, 0, t + 10, 21 * MS,
			     (struct t){ .io = 20 * MS });
			st.io = 20 * MS;
			extra = 21 * MS + 100;
			break;
		case 9:
			span(r, "alloc", 1, 1, i, 0, t + 10, 30 * MS,
			     (struct t){ .minflt = 16384 });
			st.minflt = 16384;
			extra = 30 * MS + 100;
			break;
		case 11:
			span(r, "forward", 1, 1, i, 0, t + 10, 26 * MS, (struct t){ 0 });
			span(r, "python.gc.gen2", 1, 1, i, 1, t + 100, 25 * MS,
			     (struct t){ .runq = MS });
			st.runq = MS;
			extra = 26 * MS + 100;
			break;
		case 13:
			span(r, "prep", 1, 1, i, 0, t + 10, 3 * MS, (struct t){ 0 });
			extra = 3 * MS + 100;
			break;
		}
		span(r, "mlprobe.step", 1, 1, i, 0, ts, 10 * MS + extra, st);
		ts += 10 * MS + extra;
	}
	return r;
}

static const struct explain_slow *slow_step(const struct explain_result *x,
					    int64_t step)
{
	for (size_t i = 0; i < x->nslow; i++)
		if (x->slow[i].s->step == step)
			return &x->slow[i];
	fail_msg("step %lld not listed", (long long)step);
	return NULL;
}

static const char *where(const struct explain_result *x,
			 const struct explain_slow *sl, int cause)
{
	return sl->where[cause] == UINT32_MAX ? "(none)" :
	       runload__str(x->run, sl->where[cause]);
}

static void test_causes(void **state)
{
	struct runload *r = causes_run();
	struct explain_opts o;
	struct explain_result *x;
	const struct explain_slow *sl;
	char err[256];

	(void)state;
	explain__defaults(&o);
	o.top = 6;
	x = explain__run(r, &o, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(x->nsteps, 40);
	assert_int_equal(x->nthreads, 1);
	assert_false(x->by_rank);
	assert_int_equal(x->nslow, 6);
	assert_int_equal(x->threads[0].median_dur, 10 * MS);
	/* the slowest first: 3 (+40 ms), 9 (+30), 11 (+26), 5 (+21), 7, 13 */
	assert_int_equal(x->slow[0].s->step, 3);
	assert_int_equal(x->slow[1].s->step, 9);
	assert_int_equal(x->slow[2].s->step, 11);
	assert_int_equal(x->slow[3].s->step, 5);
	assert_int_equal(x->slow[4].s->step, 7);
	assert_int_equal(x->slow[5].s->step, 13);

	sl = slow_step(x, 3);
	assert_string_equal(explain__cause_str(sl->cause), "wait");
	assert_int_equal(sl->excess[EX_WAIT], 40 * MS);
	/* load holds the wait too, but data is deeper */
	assert_string_equal(where(x, sl, EX_WAIT), "data");

	sl = slow_step(x, 5);
	assert_string_equal(explain__cause_str(sl->cause), "io");
	assert_int_equal(sl->excess[EX_IO], 20 * MS);
	assert_string_equal(where(x, sl, EX_IO), "save");

	sl = slow_step(x, 7);
	assert_string_equal(explain__cause_str(sl->cause), "runq");
	assert_int_equal(sl->excess[EX_RUNQ], 6 * MS);
	assert_string_equal(where(x, sl, EX_RUNQ), "compute");

	sl = slow_step(x, 9);
	assert_string_equal(explain__cause_str(sl->cause), "fault");
	assert_int_equal(sl->faults_excess, 16384);
	assert_int_equal(sl->excess[EX_FAULT], sl->excess[EX_CPU]);
	assert_true(sl->excess[EX_FAULT] >= 30 * MS);
	assert_string_equal(where(x, sl, EX_FAULT), "alloc");

	/* The collection is gc, not cpu and runq: its time is taken out of
	 * them, and it sits in forward (the span it interrupted). */
	sl = slow_step(x, 11);
	assert_string_equal(explain__cause_str(sl->cause), "gc");
	assert_int_equal(sl->s->part[EX_GC], 25 * MS);
	assert_int_equal(sl->excess[EX_GC], 25 * MS);
	assert_int_equal(sl->s->part[EX_RUNQ], 0);
	assert_string_equal(where(x, sl, EX_GC), "forward");
	assert_string_equal(runload__str(r, sl->gc_name), "python.gc.gen2");

	/* compute holds more CPU time than prep, but as much as usual: the
	 * excess is in prep. */
	sl = slow_step(x, 13);
	assert_string_equal(explain__cause_str(sl->cause), "cpu");
	assert_string_equal(where(x, sl, EX_CPU), "prep");

	/* The parts of every step add up to its duration. */
	for (size_t i = 0; i < x->nsteps; i++) {
		int64_t sum = 0;

		for (int p = 0; p < EX_NPARTS; p++) {
			assert_true(x->steps[i].part[p] >= 0);
			sum += x->steps[i].part[p];
		}
		assert_int_equal(sum, x->steps[i].dur);
	}
	explain__free(x);
	runload__free(r);
}

/* A few hundred extra faults are not "far above": the cause stays cpu. */
static void test_fault_threshold(void **state)
{
	struct runload *r = runload__new("faults");
	struct explain_result *x;
	char err[256];

	(void)state;
	const struct explain_slow *sl;

	for (int i = 0; i < 20; i++) {
		uint32_t f = i == 4 ? 900 : i == 6 || i == 8 ? 5000 : 100;
		int64_t d = i == 4 || i == 6 ? 20 * MS : i == 8 ? 35 * MS : 10 * MS;

		/* step 8: as many faults, and more time runnable besides */
		span(r, "mlprobe.step", 1, 1, i, 0, i * 100 * MS, d,
		     (struct t){ .minflt = f, .runq = i == 8 ? 15 * MS : 0 });
	}
	x = explain__run(r, NULL, err, sizeof(err));
	assert_non_null(x);
	/* 900 is 800 more: cpu; 5000 is 4900 more and 50 times: fault */
	assert_string_equal(explain__cause_str(slow_step(x, 4)->cause), "cpu");
	assert_string_equal(explain__cause_str(slow_step(x, 6)->cause), "fault");
	/* the faults' time is named even when another part is the cause,
	 * and their CPU time is not named twice */
	sl = slow_step(x, 8);
	assert_int_equal(sl->ncauses, 2);
	assert_string_equal(explain__cause_str(sl->causes[0]), "runq");
	assert_string_equal(explain__cause_str(sl->causes[1]), "fault");
	assert_int_equal(sl->excess[EX_FAULT], 10 * MS);
	explain__free(x);
	runload__free(r);
}

/* Four ranks run steps 0..29 in step; at step 12 rank 2 collects for 50
 * ms and the others wait for it in a collective.  The straggler of step
 * 12 is rank 2, its cause gc; the others' steps are not listed apart. */
static void test_ranks(void **state)
{
	struct runload *r = runload__new("ranks");
	struct explain_opts o;
	struct explain_result *x;
	const struct explain_slow *sl;
	char err[256];
	FILE *f;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	for (int rank = 0; rank < 4; rank++) {
		int64_t ts = 0;

		for (int i = 0; i < 30; i++) {
			int64_t d = 10 * MS + rank * 1000;
			struct rl_span s = { .ts = ts, .step = i, .pid = 100 + rank,
					     .tid = 100 + rank, .has_time = true,
					     .has_rank = true, .rank = rank };

			if (i == 12 && rank == 2) {
				struct rl_span g = s;

				g.ts = ts + MS;
				g.dur = 50 * MS;
				g.depth = 0;
				assert_int_equal(runload__add_span(r, &g, "python.gc.gen2"), 0);
				d += 50 * MS + 5000;
			} else if (i == 12) {
				s.wait = 49 * MS;
				d += 49 * MS;
			}
			s.dur = d;
			assert_int_equal(runload__add_span(r, &s, "mlprobe.step"), 0);
			ts += d;
		}
	}
	explain__defaults(&o);
	o.top = 3;
	x = explain__run(r, &o, err, sizeof(err));
	assert_non_null(x);
	assert_true(x->by_rank);
	assert_int_equal(x->nranks, 4);
	assert_int_equal(x->nthreads, 4);
	assert_int_equal(x->nlisted_from, 30);	/* step numbers */
	sl = &x->slow[0];
	assert_int_equal(sl->s->step, 12);
	assert_int_equal(sl->s->rank, 2);
	assert_int_equal(sl->nranks, 4);
	assert_string_equal(explain__cause_str(sl->cause), "gc");
	assert_int_not_equal(x->slow[1].s->step, 12);
	assert_non_null(f = open_memstream(&out, &len));
	explain__print_table(f, x, &o);
	fclose(f);
	assert_non_null(strstr(out, "120 steps of 4 ranks"));
	assert_non_null(strstr(out, "\nstep 12: 60.0 ms on rank 2 of 4 (median 10.0 ms), "
			       "+50.0 ms gc (python.gc.gen2)\n"));
	free(out);
	explain__free(x);
	runload__free(r);
}

/* Two processes without ranks: each against its own median, and each
 * line says whose step it is. */
static void test_processes(void **state)
{
	struct runload *r = runload__new("procs");
	struct explain_result *x;
	char err[256], *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	for (int i = 0; i < 20; i++) {
		span(r, "mlprobe.step", 7, 7, i, 0, i * 100 * MS,
		     i == 5 ? 300 * MS : 100 * MS, (struct t){ .wait = i == 5 ? 200 * MS : 0 });
		/* steps of 1 ms: one of 3 ms is the slower by its median */
		span(r, "mlprobe.step", 8, 8, i, 0, i * MS, i == 9 ? 3 * MS : MS,
		     (struct t){ .io = i == 9 ? 2 * MS : 0 });
	}
	x = explain__run(r, NULL, err, sizeof(err));
	assert_non_null(x);
	assert_false(x->by_rank);
	assert_int_equal(x->nthreads, 2);
	assert_int_equal(x->slow[0].s->pid, 7);
	assert_int_equal(x->slow[1].s->pid, 8);
	assert_int_equal(x->slow[1].s->step, 9);
	assert_non_null(f = open_memstream(&out, &len));
	explain__print_table(f, x, NULL);
	fclose(f);
	assert_non_null(strstr(out, "40 steps of 2 threads in 2 processes"));
	assert_non_null(strstr(out, "\npid 7 step 5: 300 ms (median 100 ms), +200 ms wait\n"));
	assert_non_null(strstr(out, "\npid 8 step 9: 3.00 ms (median 1.00 ms), +2.00 ms io\n"));
	free(out);
	explain__free(x);
	runload__free(r);
}

static void test_window_and_errors(void **state)
{
	struct runload *r = causes_run(), *none = runload__new("none");
	struct explain_opts o;
	struct explain_result *x;
	struct rl_span s = { .dur = 5, .pid = 1, .tid = 1 };
	char err[256];

	(void)state;
	explain__defaults(&o);
	o.step_lo = 4;
	o.step_hi = 8;
	x = explain__run(r, &o, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(x->nlisted_from, 5);
	assert_int_equal(x->nslow, 5);
	assert_int_equal(x->slow[0].s->step, 5);	/* 3 and 9 are outside */
	/* the medians are of all 40 steps */
	assert_int_equal(x->threads[0].nsteps, 40);
	explain__free(x);

	o.step_lo = o.step_hi = 400;
	assert_null(explain__run(r, &o, err, sizeof(err)));
	assert_string_equal(err, "causes: no step in --steps 400:400 (its steps "
			    "are 0 to 39)");
	assert_int_equal(runload__add_span(none, &s, "forward"), 0);
	assert_null(explain__run(none, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "none: holds no steps (no mlprobe.step spans"));
	runload__free(r);
	runload__free(none);
}

/* A recording without the time split: listed by duration, no cause. */
static void test_no_split(void **state)
{
	struct runload *r = runload__new("old");
	struct explain_result *x;
	char err[256];

	(void)state;
	for (int i = 0; i < 10; i++) {
		struct rl_span s = { .ts = i * 10 * MS, .dur = (i == 3 ? 9 : 1) * MS,
				     .step = i, .pid = 1, .tid = 1 };

		assert_int_equal(runload__add_span(r, &s, "mlprobe.step"), 0);
	}
	x = explain__run(r, NULL, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(x->slow[0].s->step, 3);
	assert_int_equal(x->slow[0].cause, -1);
	assert_string_equal(explain__cause_str(x->slow[0].cause), "-");
	explain__free(x);
	runload__free(r);
}

/* Every line fits 80 columns; names are escaped and cut. */
static void test_table(void **state)
{
	struct runload *r = runload__new("/a/very/long/path/of/a/recording/that/"
					 "goes/on/and/on/and/on/runs/exp1");
	struct explain_result *x;
	char err[256], *out = NULL, *line, *save;
	char longname[120];
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	for (int i = 0; i < 20; i++) {
		int64_t ts = i * 100 * MS;
		bool slow = i % 5 == 2;

		span(r, "mlprobe.step", 1, 1, i, 0, ts, slow ? 90 * MS : 10 * MS,
		     (struct t){ .wait = slow ? 40 * MS : 0, .io = slow ? 30 * MS : 0,
				 .runq = slow ? 10 * MS : 0 });
		if (slow) {
			span(r, "da\x1b[2Jta", 1, 1, i, 0, ts + 10, 41 * MS,
			     (struct t){ .wait = 40 * MS });
			span(r, longname, 1, 1, i, 0, ts + 42 * MS, 31 * MS,
			     (struct t){ .io = 30 * MS });
			span(r, longname + 10, 1, 1, i, 0, ts + 74 * MS, 11 * MS,
			     (struct t){ .runq = 10 * MS });
		}
	}
	x = explain__run(r, NULL, err, sizeof(err));
	assert_non_null(x);
	assert_non_null(f = open_memstream(&out, &len));
	explain__print_table(f, x, NULL);
	fclose(f);
	if (getenv("SHOW")) fputs(out, stderr);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "+40.0 ms wait in da\\x1b[2Jta"));
	/* a long name is cut at 32 columns, with its mark */
	assert_non_null(strstr(out, "+30.0 ms io in nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\u2026"));
	assert_non_null(strstr(out, "+10.0 ms runq in nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\u2026"));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t cols = 0;

		/* display columns: UTF-8 continuation bytes take none */
		for (const char *p = line; *p; p++)
			cols += ((unsigned char)*p & 0xc0) != 0x80;
		if (cols > 80)
			fail_msg("%zu columns: %s", cols, line);
	}
	free(out);

	assert_non_null(f = open_memstream(&out, &len));
	explain__print_json(f, x);
	fclose(f);
	/* one object a line, the name in JSON escapes */
	assert_non_null(strstr(out, "{\"step\":2,"));
	assert_non_null(strstr(out, "\"cause\":\"wait\",\"span\":\"da\\u001b[2Jta\","
			       "\"causes\":[\"wait\",\"io\",\"runq\"],"));
	assert_non_null(strstr(out, "\"duration_ns\":90000000,\"median_ns\":10000000,"));
	assert_non_null(strstr(out, "\"excess_ns\":{\"cpu\":0,\"runq\":10000000,"
			       "\"io\":30000000,\"wait\":40000000,\"gc\":0,\"fault\":0}"));
	free(out);
	explain__free(x);
	runload__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_fault_threshold),
		cmocka_unit_test(test_ranks),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_window_and_errors),
		cmocka_unit_test(test_no_split),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
