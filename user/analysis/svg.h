/* SPDX-License-Identifier: MIT */
/*
 * svg - the charts of `mlprobe report`, written as inline SVG: a line chart
 * (metrics over steps), a histogram (span durations) and a timeline (spans
 * stacked per thread).  Plain arrays in, markup out; it knows nothing of
 * runs.  Colours come from CSS classes that the page defines (svg__css):
 * series 0 is the run, series 1 the baseline; bars use c0..c9.
 */
#ifndef MLPROBE_SVG_H
#define MLPROBE_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Formats a tick value into buf. */
typedef void (*svg_fmt_fn)(char *buf, size_t len, double v);

struct svg_chart {
	const char *id;			/* element id, [A-Za-z0-9_-] */
	const char *title;
	const char *xlabel, *ylabel;
	svg_fmt_fn xfmt, yfmt;		/* NULL: %g */
	int width, height;		/* px; 0: 560 x 220 */
};

struct svg_series {
	const char *label;		/* legend; shown when there are two */
	const double *x, *y;		/* line: points; histogram: y = sorted samples */
	size_t n;
};

#define SVG_MAX_SERIES 2
#define SVG_NCOLORS 10

/* The style sheet the charts need, for the page's <style>. */
void svg__css(FILE *f);

/* Writes s with &, <, >, " and ' escaped (for text and attributes). */
void svg__escape(FILE *f, const char *s);

/*
 * A line chart of up to SVG_MAX_SERIES series.  Non-finite points are
 * skipped; more than about 600 points are averaged into 600 buckets of x.
 * Returns the number of points drawn (0: nothing to plot; a note is drawn).
 */
size_t svg__line_chart(FILE *f, const struct svg_chart *c,
		       const struct svg_series *s, int nseries);

/*
 * Histograms of up to SVG_MAX_SERIES sorted samples over one x range (the
 * 0.5th to 99.5th percentile of all of them, so that a few outliers do not
 * squash the shape), as the share of each sample per bin, with a dashed
 * line at each median.  Returns the number of bins drawn.
 */
size_t svg__histogram(FILE *f, const struct svg_chart *c,
		      const struct svg_series *s, int nseries);

struct svg_lane {
	const char *label;	/* e.g. "tid 1234" */
	int rows;		/* nesting depth + 1 */
};

struct svg_bar {
	double t0, t1;		/* x units (the chart's xfmt formats them) */
	int lane, row;		/* row: nesting depth within the lane */
	int color;		/* 0 .. SVG_NCOLORS - 1 */
	const char *label;	/* drawn inside when it fits */
	const char *tip;	/* hover text (<title>) */
};

/*
 * A timeline: one band per lane, one row per nesting depth, one rectangle
 * per bar, over [x0, x1].  Bars are clipped to the window.  Returns the
 * number of bars drawn.
 */
size_t svg__timeline(FILE *f, const struct svg_chart *c, double x0, double x1,
		     const struct svg_lane *lanes, int nlanes,
		     const struct svg_bar *bars, size_t nbars);

/* Series of stacked bars: one value per bar, drawn in colour class
 * c<color>, named in the legend. */
struct svg_stack {
	const char *label;
	int color;		/* 0 .. SVG_NCOLORS - 1 */
	const double *y;	/* n values, >= 0 */
};

/*
 * Stacked bars at x[0..n) (sorted ascending; one bar per x, e.g. a step),
 * each the nstack values stacked from 0 in order, with a legend.  More
 * than about 600 bars are averaged into 600 buckets of x.  tips[i] (tips
 * may be NULL) is the hover text of bar i when bars are not averaged.
 * Returns the number of bars drawn.
 */
size_t svg__stacked_bars(FILE *f, const struct svg_chart *c, const double *x,
			 size_t n, const struct svg_stack *stack, int nstack,
			 const char *const *tips);

#endif
