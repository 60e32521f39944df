/* SPDX-License-Identifier: MIT */
/*
 * report - one self-contained HTML page about a run: span statistics,
 * span-duration histograms, metrics over steps, a step timeline (spans
 * stacked per thread) and the logs; with a baseline, the compare table and
 * the baseline overlaid on every chart.  Inline CSS and SVG only: no
 * script, and a Content-Security-Policy that forbids loading anything.
 */
#ifndef MLPROBE_REPORT_H
#define MLPROBE_REPORT_H

#include <stdio.h>
#include "compare.h"
#include "runload.h"

struct report_opts {
	long step_lo, step_hi;	/* timeline window; -1: a few middle steps */
	long skip_steps;	/* histograms and compare leave these out */
	const struct compare_opts *cmp;	/* with a baseline */
};

/*
 * Writes the page for run (and base, which may be NULL) to f.  Returns 0,
 * or -1 with a one-line reason in err (a run with no rows; with a
 * baseline, what compare__run refuses).
 */
int report__write(FILE *f, const struct runload *run,
		  const struct runload *base, const struct report_opts *o,
		  char *err, size_t errlen);

/* Parses a step window, "A:B" (A <= B) or "N" (just step N).  Returns 0,
 * or -1 for anything else. */
int report__parse_steps(const char *s, long *lo, long *hi);

#endif
