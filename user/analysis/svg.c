// SPDX-License-Identifier: MIT
/*
 * svg.c - charts as SVG markup.  Coordinates are printed with one decimal;
 * every chart has a frame, "nice" ticks (1, 2 or 5 times a power of ten),
 * a <title> for screen readers and tooltips, and no script.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "svg.h"

#define MAX_POINTS 600
#define NBINS 40
#define MAX_TICKS 12

void svg__css(FILE *f)
{
	static const char *const colors[SVG_NCOLORS] = {
		"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
		"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
	};

	fputs("svg.chart{font:11px sans-serif;background:#fff}\n"
	      "svg.chart .t{font-weight:bold;font-size:12px}\n"
	      "svg.chart .frame{fill:none;stroke:#999}\n"
	      "svg.chart .grid{stroke:#e4e4e4}\n"
	      "svg.chart .s0{fill:none;stroke:#1f6fc5;stroke-width:1.6}\n"
	      "svg.chart .s1{fill:none;stroke:#888;stroke-width:1.6;stroke-dasharray:5 3}\n"
	      "svg.chart .h0{fill:#1f6fc5;fill-opacity:.25;stroke:#1f6fc5}\n"
	      "svg.chart .h1{fill:#888;fill-opacity:.2;stroke:#777;stroke-dasharray:4 2}\n"
	      "svg.chart .m0{stroke:#1f6fc5;stroke-dasharray:3 2}\n"
	      "svg.chart .m1{stroke:#777;stroke-dasharray:3 2}\n"
	      "svg.chart .lane{fill:#f6f6f6}\n"
	      "svg.chart .bl{font-size:10px;fill:#fff;pointer-events:none}\n"
	      "svg.chart .note{fill:#888}\n", f);
	for (int i = 0; i < SVG_NCOLORS; i++)
		fprintf(f, ".c%d{fill:%s}\n", i, colors[i]);
}

void svg__escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

struct frame {
	double x, y, w, h;		/* plot area, px */
	double xlo, xhi, ylo, yhi;	/* data range */
};

static double fx(const struct frame *fr, double v)
{
	return fr->x + (v - fr->xlo) / (fr->xhi - fr->xlo) * fr->w;
}

static double fy(const struct frame *fr, double v)
{
	return fr->y + fr->h - (v - fr->ylo) / (fr->yhi - fr->ylo) * fr->h;
}

static void fmt_default(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%g", fabs(v) < 1e-12 ? 0 : v);
}

/* Ticks at multiples of 1, 2 or 5 x 10^k inside [lo, hi]: at most max. */
static int ticks(double lo, double hi, int max, double *out)
{
	double span = hi - lo, step, mag;
	int n = 0;

	if (!(span > 0) || !isfinite(span))
		return 0;
	mag = pow(10, floor(log10(span / max)));
	step = mag;
	if (span / step > max)
		step = 2 * mag;
	if (span / step > max)
		step = 5 * mag;
	if (span / step > max)
		step = 10 * mag;
	for (double t = ceil(lo / step) * step; t <= hi + step * 1e-9 && n < MAX_TICKS; t += step)
		out[n++] = t;
	return n;
}

/* Widens [*lo, *hi] so that it is not empty. */
static void widen(double *lo, double *hi)
{
	if (*hi > *lo)
		return;
	if (*lo == 0) {
		*lo = -1;
		*hi = 1;
	} else {
		double d = fabs(*lo) * 0.05;

		*lo -= d;
		*hi += d;
	}
}

static void open_chart(FILE *f, const struct svg_chart *c, int *w, int *h)
{
	*w = c->width ? c->width : 560;
	*h = c->height ? c->height : 220;
	fprintf(f, "<svg class=\"chart\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"", c->id, *w, *h, *w, *h);
	svg__escape(f, c->title);
	fputs("\"><title>", f);
	svg__escape(f, c->title);
	fputs("</title>\n<text class=\"t\" x=\"8\" y=\"15\">", f);
	svg__escape(f, c->title);
	fputs("</text>\n", f);
}

static void note(FILE *f, int w, int h, const char *text)
{
	fprintf(f, "<text class=\"note\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
		w / 2, h / 2);
	svg__escape(f, text);
	fputs("</text>\n</svg>\n", f);
}

/* The frame, the grid, tick labels and axis labels. */
static void axes(FILE *f, const struct frame *fr, const struct svg_chart *c,
		 bool xticks)
{
	svg_fmt_fn xf = c->xfmt ? c->xfmt : fmt_default;
	svg_fmt_fn yf = c->yfmt ? c->yfmt : fmt_default;
	double t[MAX_TICKS];
	char buf[64];
	int n;

	n = ticks(fr->ylo, fr->yhi, 5, t);
	for (int i = 0; i < n; i++) {
		double y = fy(fr, t[i]);

		yf(buf, sizeof(buf), t[i]);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			fr->x, y, fr->x + fr->w, y, fr->x - 4, y + 4);
		svg__escape(f, buf);
		fputs("</text>\n", f);
	}
	n = xticks ? ticks(fr->xlo, fr->xhi, 6, t) : 0;
	for (int i = 0; i < n; i++) {
		double x = fx(fr, t[i]);

		xf(buf, sizeof(buf), t[i]);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			x, fr->y, x, fr->y + fr->h + 4, x, fr->y + fr->h + 15);
		svg__escape(f, buf);
		fputs("</text>\n", f);
	}
	fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/>\n", fr->x, fr->y, fr->w, fr->h);
	if (c->xlabel) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			fr->x + fr->w / 2, fr->y + fr->h + 29);
		svg__escape(f, c->xlabel);
		fputs("</text>\n", f);
	}
	if (c->ylabel) {
		fprintf(f, "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" "
			"transform=\"rotate(-90 12 %.1f)\">", fr->y + fr->h / 2,
			fr->y + fr->h / 2);
		svg__escape(f, c->ylabel);
		fputs("</text>\n", f);
	}
}

static void legend(FILE *f, const struct frame *fr, const struct svg_series *s,
		   int nseries)
{
	double x = fr->x + fr->w - 150;

	if (nseries < 2)
		return;
	for (int i = 0; i < nseries; i++) {
		fprintf(f, "<line class=\"s%d\" x1=\"%.1f\" y1=\"11\" x2=\"%.1f\" "
			"y2=\"11\"/><text x=\"%.1f\" y=\"15\">", i, x, x + 18, x + 22);
		svg__escape(f, s[i].label ? s[i].label : "");
		fputs("</text>\n", f);
		x += 80;
	}
}

static void make_frame(struct frame *fr, int w, int h)
{
	fr->x = 64;
	fr->y = 24;
	fr->w = w - fr->x - 24;
	fr->h = h - fr->y - 36;
}

size_t svg__line_chart(FILE *f, const struct svg_chart *c,
		       const struct svg_series *s, int nseries)
{
	struct frame fr = { .xlo = INFINITY, .xhi = -INFINITY,
			    .ylo = INFINITY, .yhi = -INFINITY };
	size_t drawn = 0;
	int w, h;

	open_chart(f, c, &w, &h);
	make_frame(&fr, w, h);
	for (int k = 0; k < nseries && k < SVG_MAX_SERIES; k++)
		for (size_t i = 0; i < s[k].n; i++) {
			if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
				continue;
			fr.xlo = fmin(fr.xlo, s[k].x[i]);
			fr.xhi = fmax(fr.xhi, s[k].x[i]);
			fr.ylo = fmin(fr.ylo, s[k].y[i]);
			fr.yhi = fmax(fr.yhi, s[k].y[i]);
		}
	if (!isfinite(fr.xlo)) {
		note(f, w, h, "no finite values");
		return 0;
	}
	widen(&fr.xlo, &fr.xhi);
	widen(&fr.ylo, &fr.yhi);
	axes(f, &fr, c, true);
	for (int k = nseries < SVG_MAX_SERIES ? nseries - 1 : SVG_MAX_SERIES - 1;
	     k >= 0; k--) {		/* the run last, on top */
		double bx[MAX_POINTS], by[MAX_POINTS];
		size_t bn[MAX_POINTS] = { 0 };
		bool bucket = s[k].n > MAX_POINTS;

		memset(bx, 0, sizeof(bx));
		memset(by, 0, sizeof(by));
		fprintf(f, "<polyline class=\"s%d\" points=\"", k);
		for (size_t i = 0; i < s[k].n; i++) {
			double x = s[k].x[i], y = s[k].y[i];
			size_t b;

			if (!isfinite(x) || !isfinite(y))
				continue;
			if (!bucket) {
				fprintf(f, "%.1f,%.1f ", fx(&fr, x), fy(&fr, y));
				drawn++;
				continue;
			}
			b = (size_t)((x - fr.xlo) / (fr.xhi - fr.xlo) * (MAX_POINTS - 1));
			bx[b] += x;
			by[b] += y;
			bn[b]++;
		}
		for (size_t b = 0; bucket && b < MAX_POINTS; b++) {
			if (!bn[b])
				continue;
			fprintf(f, "%.1f,%.1f ", fx(&fr, bx[b] / (double)bn[b]),
				fy(&fr, by[b] / (double)bn[b]));
			drawn++;
		}
		fputs("\"/>\n", f);
	}
	legend(f, &fr, s, nseries);
	fputs("</svg>\n", f);
	return drawn;
}

static double quantile(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t i = (size_t)h;

	return i + 1 < n ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[i];
}

size_t svg__histogram(FILE *f, const struct svg_chart *c,
		      const struct svg_series *s, int nseries)
{
	struct frame fr = { .xlo = INFINITY, .xhi = -INFINITY, .ylo = 0, .yhi = 0 };
	double share[SVG_MAX_SERIES][NBINS] = { { 0 } };
	int w, h;

	if (nseries > SVG_MAX_SERIES)
		nseries = SVG_MAX_SERIES;
	open_chart(f, c, &w, &h);
	make_frame(&fr, w, h);
	for (int k = 0; k < nseries; k++) {
		if (!s[k].n)
			continue;
		fr.xlo = fmin(fr.xlo, quantile(s[k].y, s[k].n, 0.005));
		fr.xhi = fmax(fr.xhi, quantile(s[k].y, s[k].n, 0.995));
	}
	if (!isfinite(fr.xlo)) {
		note(f, w, h, "no samples");
		return 0;
	}
	widen(&fr.xlo, &fr.xhi);
	for (int k = 0; k < nseries; k++) {
		for (size_t i = 0; i < s[k].n; i++) {
			double v = s[k].y[i];
			int b;

			if (v < fr.xlo || v > fr.xhi)
				continue;
			b = (int)((v - fr.xlo) / (fr.xhi - fr.xlo) * NBINS);
			share[k][b < NBINS ? b : NBINS - 1] += 1.0 / (double)s[k].n;
		}
		for (int b = 0; b < NBINS; b++)
			fr.yhi = fmax(fr.yhi, share[k][b]);
	}
	fr.yhi *= 1.1;
	widen(&fr.ylo, &fr.yhi);
	axes(f, &fr, c, true);
	for (int k = nseries - 1; k >= 0; k--) {
		double base = fy(&fr, 0), m;

		if (!s[k].n)
			continue;
		fprintf(f, "<path class=\"h%d\" d=\"M%.1f,%.1f", k, fx(&fr, fr.xlo), base);
		for (int b = 0; b < NBINS; b++) {
			double x0 = fr.xlo + (fr.xhi - fr.xlo) * b / NBINS;
			double x1 = fr.xlo + (fr.xhi - fr.xlo) * (b + 1) / NBINS;
			double y = fy(&fr, share[k][b]);

			fprintf(f, " L%.1f,%.1f L%.1f,%.1f", fx(&fr, x0), y, fx(&fr, x1), y);
		}
		fprintf(f, " L%.1f,%.1f Z\"/>\n", fx(&fr, fr.xhi), base);
		m = quantile(s[k].y, s[k].n, 0.5);
		if (m >= fr.xlo && m <= fr.xhi)
			fprintf(f, "<line class=\"m%d\" x1=\"%.1f\" y1=\"%.1f\" "
				"x2=\"%.1f\" y2=\"%.1f\"/>\n", k, fx(&fr, m), fr.y,
				fx(&fr, m), fr.y + fr.h);
	}
	legend(f, &fr, s, nseries);
	fputs("</svg>\n", f);
	return NBINS;
}

size_t svg__timeline(FILE *f, const struct svg_chart *c, double x0, double x1,
		     const struct svg_lane *lanes, int nlanes,
		     const struct svg_bar *bars, size_t nbars)
{
	const double row_h = 16;
	struct frame fr;
	double *lane_y = calloc((size_t)nlanes + 1, sizeof(*lane_y));
	size_t drawn = 0;
	int w, h, rows = 0;
	struct svg_chart cc = *c;

	for (int i = 0; i < nlanes; i++)
		rows += lanes[i].rows;
	cc.height = 24 + 36 + (int)(row_h * rows) + 6 * nlanes;
	open_chart(f, &cc, &w, &h);
	if (!lane_y || !nlanes || !(x1 > x0)) {
		free(lane_y);
		note(f, w, h, "no spans in this window");
		return 0;
	}
	fr = (struct frame){ .x = 110, .y = 24, .w = w - 110 - 12,
			     .h = h - 24 - 36, .xlo = x0, .xhi = x1, .ylo = 0, .yhi = 1 };
	lane_y[0] = fr.y;
	for (int i = 0; i < nlanes; i++) {
		double hh = row_h * lanes[i].rows + 4;

		lane_y[i + 1] = lane_y[i] + hh + 2;
		fprintf(f, "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			fr.x, lane_y[i], fr.w, hh, fr.x - 4, lane_y[i] + 13);
		svg__escape(f, lanes[i].label);
		fputs("</text>\n", f);
	}
	fr.ylo = 0;
	axes(f, &(struct frame){ .x = fr.x, .y = fr.y, .w = fr.w, .h = lane_y[nlanes] - fr.y,
				 .xlo = x0, .xhi = x1, .ylo = 0, .yhi = 0 }, c, true);
	for (size_t i = 0; i < nbars; i++) {
		const struct svg_bar *b = &bars[i];
		double a = fmax(b->t0, x0), z = fmin(b->t1, x1), px, pw;

		if (b->lane < 0 || b->lane >= nlanes || z < a)
			continue;
		px = fx(&fr, a);
		pw = fmax(fx(&fr, z) - px, 0.5);
		fprintf(f, "<rect class=\"c%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"><title>", b->color % SVG_NCOLORS, px,
			lane_y[b->lane] + 2 + row_h * b->row, pw, row_h - 2);
		svg__escape(f, b->tip ? b->tip : b->label);
		fputs("</title></rect>\n", f);
		/* A label only where it fits: about 6 px a character. */
		if (b->label && pw > 6.5 * (double)strlen(b->label) + 4) {
			fprintf(f, "<text class=\"bl\" x=\"%.1f\" y=\"%.1f\">", px + 2,
				lane_y[b->lane] + 13 + row_h * b->row);
			svg__escape(f, b->label);
			fputs("</text>\n", f);
		}
		drawn++;
	}
	free(lane_y);
	fputs("</svg>\n", f);
	return drawn;
}

size_t svg__stacked_bars(FILE *f, const struct svg_chart *c, const double *x,
			 size_t n, const struct svg_stack *stack, int nstack,
			 const char *const *tips)
{
	struct frame fr = { .ylo = 0, .yhi = 0 };
	size_t nb = n > MAX_POINTS ? MAX_POINTS : n, drawn = 0;
	double *bx = calloc(nb + 1, sizeof(*bx));
	double *by = calloc((nb + 1) * (size_t)(nstack > 0 ? nstack : 1), sizeof(*by));
	size_t *bn = calloc(nb + 1, sizeof(*bn));
	double lx, bw;
	int w, h;

	open_chart(f, c, &w, &h);
	make_frame(&fr, w, h);
	if (!n || nstack < 1 || !bx || !by || !bn) {
		free(bx);
		free(by);
		free(bn);
		note(f, w, h, n ? "out of memory" : "no steps");
		return 0;
	}
	/* Bars, averaged into buckets of x when there are too many. */
	for (size_t i = 0; i < n; i++) {
		size_t b = n > MAX_POINTS ? (size_t)((x[i] - x[0]) /
			   (x[n - 1] - x[0] + 1e-9) * (MAX_POINTS - 1)) : i;

		bx[b] += x[i];
		bn[b]++;
		for (int k = 0; k < nstack; k++)
			by[b * nstack + k] += stack[k].y[i] > 0 ? stack[k].y[i] : 0;
	}
	for (size_t b = 0; b < nb; b++) {
		double tot = 0;

		if (!bn[b])
			continue;
		bx[b] /= (double)bn[b];
		for (int k = 0; k < nstack; k++)
			tot += by[b * nstack + k] /= (double)bn[b];
		fr.yhi = fmax(fr.yhi, tot);
	}
	/* one step of x per bar: the bars touch when x is dense */
	bw = n > 1 ? (x[n - 1] - x[0]) / (double)(nb - 1) : 1;
	fr.xlo = x[0] - bw / 2;
	fr.xhi = x[n - 1] + bw / 2;
	fr.yhi *= 1.08;
	widen(&fr.ylo, &fr.yhi);
	axes(f, &fr, c, true);
	for (int k = 0; k < nstack; k++) {
		fprintf(f, "<path class=\"c%d\" d=\"", stack[k].color % SVG_NCOLORS);
		for (size_t b = 0; b < nb; b++) {
			double y0 = 0, px, pw;

			if (!bn[b] || by[b * nstack + k] <= 0)
				continue;
			for (int j = 0; j < k; j++)
				y0 += by[b * nstack + j];
			px = fx(&fr, bx[b] - bw / 2);
			pw = fmax(fx(&fr, bx[b] + bw / 2) - px - (bw > 0 ? 0.3 : 0), 0.6);
			fprintf(f, "M%.1f,%.1fh%.1fV%.1fh%.1fZ", px, fy(&fr, y0), pw,
				fy(&fr, y0 + by[b * nstack + k]), -pw);
		}
		fputs("\"/>\n", f);
	}
	/* Hover text per bar, on a transparent rectangle over the stack. */
	for (size_t b = 0; tips && n <= MAX_POINTS && b < nb; b++) {
		double px = fx(&fr, bx[b] - bw / 2);

		fprintf(f, "<rect fill=\"transparent\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"><title>", px, fr.y,
			fx(&fr, bx[b] + bw / 2) - px, fr.h);
		svg__escape(f, tips[b] ? tips[b] : "");
		fputs("</title></rect>\n", f);
	}
	for (size_t b = 0; b < nb; b++)
		drawn += bn[b] > 0;
	/* The legend, ending at the frame's right edge: about 6.5 px a
	 * character. */
	lx = fr.x + fr.w;
	for (int k = 0; k < nstack; k++)
		lx -= 24 + 6.5 * (double)strlen(stack[k].label ? stack[k].label : "");
	for (int k = 0; k < nstack; k++) {
		fprintf(f, "<rect class=\"c%d\" x=\"%.1f\" y=\"6\" width=\"10\" "
			"height=\"10\"/><text x=\"%.1f\" y=\"15\">",
			stack[k].color % SVG_NCOLORS, lx, lx + 13);
		svg__escape(f, stack[k].label ? stack[k].label : "");
		fputs("</text>\n", f);
		lx += 24 + 6.5 * (double)strlen(stack[k].label ? stack[k].label : "");
	}
	fputs("</svg>\n", f);
	free(bx);
	free(by);
	free(bn);
	return drawn;
}
