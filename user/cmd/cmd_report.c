// SPDX-License-Identifier: MIT
/*
 * cmd_report.c - `mlprobe report RUN [--baseline BASE] -o report.html`: one
 * self-contained HTML page with SVG plots, written through a temp file and
 * renamed, so a reader never sees half a page.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmds.h"
#include "analysis/compare.h"
#include "common/log.h"
#include "analysis/report.h"
#include "analysis/runload.h"

static const char doc[] =
	"Write an HTML report of a recording.\n"
	"\n"
	"One self-contained page (no network, no script): statistics and\n"
	"duration histograms of each span name, each metric over the steps, a\n"
	"timeline of a few steps with the spans stacked per thread, and the\n"
	"logs.  With --baseline, the compare table of RUN against BASE and the\n"
	"baseline drawn under every chart.\n"
	"\n"
	"Exit status: 0; 1 when the report cannot be written; 2 for bad\n"
	"arguments or a recording that cannot be read.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe report runs/exp1 -o exp1.html\n"
	"  mlprobe report runs/new --baseline runs/base --steps 100:102 -o pr.html\n";

static const struct argp_option opts[] = {
	{ "output", 'o', "FILE", 0, "The HTML file to write (required)", 0 },
	{ "baseline", 'b', "BASE", 0, "A recording to compare with", 0 },
	{ "steps", 'S', "A:B", 0, "Timeline of steps A to B (default: three "
				  "steps in the middle)", 0 },
	{ "skip-steps", 's', "N", 0, "Leave steps before N out of the "
				     "statistics (warm-up)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

struct args {
	const char *out, *base, *run;
	struct report_opts r;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;

	switch (key) {
	case 'o':
		a->out = arg;
		break;
	case 'b':
		a->base = arg;
		break;
	case 'S':
		if (report__parse_steps(arg, &a->r.step_lo, &a->r.step_hi))
			argp_failure(st, 2, 0, "invalid --steps '%s' (A:B with "
				     "A <= B, or one step N)", arg);
		break;
	case 's':
		errno = 0;
		a->r.skip_steps = strtol(arg, &end, 10);
		if (errno || end == arg || *end || a->r.skip_steps < 0)
			argp_failure(st, 2, 0, "invalid --skip-steps '%s'", arg);
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		if (a->run)
			argp_failure(st, 2, 0, "give one recording (and the "
				     "baseline with --baseline)");
		a->run = arg;
		break;
	case ARGP_KEY_END:
		if (!a->run)
			argp_failure(st, 2, 0, "give a recording");
		if (!a->out)
			argp_failure(st, 2, 0, "give the output file: -o REPORT.html");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "RUN -o REPORT.html", doc, 0, 0, 0 };
	struct args a = { .r = { .step_lo = -1, .step_hi = -1 } };
	struct runload *run = NULL, *base = NULL;
	struct compare_opts cmp;
	char err[512], tmp[PATH_MAX];
	bool created = false;
	FILE *f = NULL;
	int ret = 1, fd = -1;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	compare__defaults(&cmp);
	cmp.skip_steps = a.r.skip_steps;
	a.r.cmp = &cmp;
	if (!(run = runload__open(a.run, RL_WANT_ALL, err, sizeof(err))) ||
	    (a.base && !(base = runload__open(a.base, RL_WANT_ALL, err, sizeof(err))))) {
		pr_err("%s", err);
		ret = 2;
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", a.out) >= (int)sizeof(tmp) ||
	    (fd = mkstemp(tmp)) < 0 || !(created = true) ||
	    !(f = fdopen(fd, "w"))) {
		pr_err("cannot create %s: %s", a.out, strerror(errno));
		goto out;
	}
	fd = -1;
	if (report__write(f, run, base, &a.r, err, sizeof(err))) {
		pr_err("%s", err);
		ret = 2;
		goto out;
	}
	if (fflush(f) || ferror(f) || fsync(fileno(f)) || fchmod(fileno(f), 0644)) {
		pr_err("cannot write %s: %s", a.out, strerror(errno));
		goto out;
	}
	if (rename(tmp, a.out)) {
		pr_err("cannot write %s: %s", a.out, strerror(errno));
		goto out;
	}
	created = false;
	pr_verbose("wrote %s", a.out);
	ret = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	runload__free(run);
	runload__free(base);
	return ret;
}
