/* SPDX-License-Identifier: MIT */
/*
 * compare - compare two recordings span by span (and chosen metrics):
 * n, median, p90, the change with a confidence interval, and a verdict.
 * Used by `mlprobe compare` and by `mlprobe report --baseline`.
 * docs/compare.md explains the statistics and the defaults.
 */
#ifndef MLPROBE_COMPARE_H
#define MLPROBE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "runload.h"

#define COMPARE_MAX_METRICS 32

struct compare_metric {
	char name[128];		/* probes cut names at 127 bytes too */
	bool higher_is_better;	/* "NAME:higher": a fall is the regression */
};

struct compare_opts {
	double alpha;		/* significance level, default 0.01 */
	double min_effect;	/* %; flagged only when the whole CI is beyond
				 * it (5) */
	long min_samples;	/* per side; fewer: not tested (30) */
	long skip_steps;	/* drop rows with step < this (and NULL steps) */
	double fail_on;		/* %; fail when a regression's whole CI is
				 * above it; < 0: never fail */
	enum rl_time time;	/* which time of a span is judged: its own
				 * (default: wall less runnable, what a busy
				 * neighbour cannot inflate) or its wall time */
	struct compare_metric metrics[COMPARE_MAX_METRICS];
	int nmetrics;
};

/* The defaults above. */
void compare__defaults(struct compare_opts *o);

/*
 * Parses a --metric argument, "NAME" or "NAME:higher", into o.  Returns 0,
 * or -1 for an empty name, an unknown suffix, or too many metrics.
 */
int compare__add_metric(struct compare_opts *o, const char *arg);

enum compare_verdict {
	CV_SAME,	/* not significant */
	CV_SMALL,	/* significant, CI not wholly beyond min_effect */
	CV_WORSE,	/* significant regression, CI above +min_effect */
	CV_BETTER,	/* significant improvement, CI below -min_effect */
	CV_FEW,		/* fewer than min_samples on a side: not tested */
	CV_ONLY_BASE,	/* name missing from the new run */
	CV_ONLY_NEW,	/* name missing from the base run */
	CV_CONTENTION,	/* wall time slower beyond min_effect, own time
			 * not: the CPU was shared, not a regression */
};

struct compare_row {
	bool is_metric;
	bool higher_is_better;
	char *name;
	size_t n_base, n_new;
	double med_base, med_new, p90_base, p90_new;	/* ns for spans; of
							 * the judged time */
	double wall_base, wall_new;	/* median wall time (ns); spans */
	double runq_base, runq_new;	/* % of the wall time runnable; NaN:
					 * not known (metrics, old files) */
	double wall_change;	/* %: the wall time's shift (NaN: not tested) */
	double change, lo, hi;	/* %: Hodges-Lehmann shift / base median */
	double p;		/* Mann-Whitney, two-sided; NaN: not tested */
	bool significant;
	bool fails;		/* a regression beyond fail_on */
	enum compare_verdict verdict;
};

struct compare_result {
	struct compare_opts opts;
	const char *base, *new;		/* paths, not owned */
	struct compare_row *rows;	/* spans by name, then metrics */
	size_t nrows;
	size_t regressions, failures;
};

/*
 * Compares new against base.  Returns NULL with a one-line reason in err
 * when a run has no spans (and no chosen metric), when the runs have no
 * span name or chosen metric in common, or when a chosen metric is in
 * neither run.
 */
struct compare_result *compare__run(const struct runload *base,
				    const struct runload *new,
				    const struct compare_opts *o,
				    char *err, size_t errlen);
void compare__free(struct compare_result *r);

/* Short word for a verdict: "slower", "faster", "~", ... (for metrics:
 * "worse", "better"). */
const char *compare__verdict_str(const struct compare_row *row);

/* A duration in ns in at most 6 columns: "887us", "1.00ms", "12.3s". */
void compare__fmt_ns(char *buf, size_t len, double ns);

/* A row's value: a duration for spans, %.4g for metrics; "-" for NaN. */
void compare__fmt_value(char *buf, size_t len, const struct compare_row *row,
			double v);

/* The three outputs of `mlprobe compare`: an 80-column table, Markdown for
 * a pull request comment, and JSON. */
void compare__print_table(FILE *f, const struct compare_result *r);
void compare__print_md(FILE *f, const struct compare_result *r);
void compare__print_json(FILE *f, const struct compare_result *r);

#endif
