// SPDX-License-Identifier: MIT
/*
 * cmd_compare.c - `mlprobe compare BASE NEW`: span durations (and chosen
 * metrics) of two recordings, with statistics, as a table, Markdown or JSON.
 * Exit 1 when --fail-on is given and a regression exceeds it.
 */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "analysis/compare.h"
#include "common/log.h"
#include "analysis/runload.h"
#include "analysis/stats.h"

static const char doc[] =
	"Compare two recordings, span by span, with statistics.\n"
	"\n"
	"BASE and NEW are run directories (or spans/metrics Parquet files).  For\n"
	"each span name: n, the median wall time and the share of it spent\n"
	"runnable (waiting for a CPU) on both sides, the change of NEW against\n"
	"BASE in % with a confidence interval (Hodges-Lehmann shift over the base\n"
	"median), and a verdict: slower/faster (significant by the Mann-Whitney\n"
	"U test and at least --min-effect), small (significant but smaller), ~\n"
	"(not significant), few (under --min-samples), new/gone.\n"
	"\n"
	"The change is of a span's own time: its wall time less the time it was\n"
	"runnable, which a busy neighbour on a shared machine adds.  A span whose\n"
	"wall time is slower and own time is not is contention, not a\n"
	"regression.  --time wall judges the wall time instead (then your own\n"
	"threads contending for a CPU count too; `mlprobe explain` shows it).\n"
	"\n"
	"Exit status: 0; 1 when --fail-on is given and a span is slower (or a\n"
	"metric worse) by more than it; 2 for bad arguments or unreadable runs.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe compare runs/base runs/new\n"
	"  mlprobe compare --skip-steps 10 --fail-on 5% runs/base runs/new\n"
	"  mlprobe compare --format md --metric loss runs/base runs/new >pr.md\n";

static const struct argp_option opts[] = {
	{ "format", 'f', "FMT", 0, "table (default), md or json", 0 },
	{ "fail-on", 'F', "PCT", 0, "Exit 1 if a regression exceeds PCT (e.g. 5%)", 0 },
	{ "skip-steps", 's', "N", 0, "Drop steps before N (warm-up) and spans "
				     "before the first step", 0 },
	{ "min-samples", 'n', "N", 0, "Test only names with N samples a side "
				      "(default 30)", 0 },
	{ "min-effect", 'e', "PCT", 0, "Flag only changes of PCT or more "
				       "(default 5%, or --fail-on if lower)", 0 },
	{ "alpha", 'a', "A", 0, "Significance level (default 0.01)", 0 },
	{ "metric", 'm', "NAME[:higher]", 0, "Also compare metric NAME (a rise "
		"is a regression; with :higher, a fall); repeatable", 0 },
	{ "time", 't', "own|wall", 0, "Which time of a span is judged (default "
		"own: wall less runnable)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

enum fmt { F_TABLE, F_MD, F_JSON };

struct args {
	struct compare_opts o;
	bool effect_set;
	enum fmt fmt;
	const char *paths[2];
	int npaths;
};

static long parse_count(struct argp_state *st, const char *opt, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0)
		argp_failure(st, 2, 0, "invalid %s '%s' (a whole number >= 0)",
			     opt, arg);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;

	switch (key) {
	case 'f':
		if (!strcmp(arg, "table"))
			a->fmt = F_TABLE;
		else if (!strcmp(arg, "md") || !strcmp(arg, "markdown"))
			a->fmt = F_MD;
		else if (!strcmp(arg, "json"))
			a->fmt = F_JSON;
		else
			argp_failure(st, 2, 0, "unknown format '%s' (table, md, json)", arg);
		break;
	case 'F':
		if (stats__parse_pct(arg, &a->o.fail_on))
			argp_failure(st, 2, 0, "invalid --fail-on '%s' (a percentage "
				     "such as 5%%)", arg);
		break;
	case 'e':
		if (stats__parse_pct(arg, &a->o.min_effect))
			argp_failure(st, 2, 0, "invalid --min-effect '%s' (a "
				     "percentage such as 5%%)", arg);
		a->effect_set = true;
		break;
	case 's':
		a->o.skip_steps = parse_count(st, "--skip-steps", arg);
		break;
	case 'n':
		a->o.min_samples = parse_count(st, "--min-samples", arg);
		if (a->o.min_samples < 8)
			argp_failure(st, 2, 0, "--min-samples must be at least 8 "
				     "(the test's normal approximation needs them)");
		break;
	case 'a':
		errno = 0;
		a->o.alpha = strtod(arg, &end);
		if (errno || end == arg || *end || !(a->o.alpha > 0 && a->o.alpha <= 0.5))
			argp_failure(st, 2, 0, "invalid --alpha '%s' (a number in "
				     "(0, 0.5], e.g. 0.01)", arg);
		break;
	case 'm':
		if (compare__add_metric(&a->o, arg))
			argp_failure(st, 2, 0, "invalid --metric '%s' (NAME or "
				     "NAME:higher, at most %d)", arg,
				     COMPARE_MAX_METRICS);
		break;
	case 't':
		if (!strcmp(arg, "own"))
			a->o.time = RL_TIME_OWN;
		else if (!strcmp(arg, "wall"))
			a->o.time = RL_TIME_WALL;
		else
			argp_failure(st, 2, 0, "unknown --time '%s' (own, wall)",
				     arg);
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		if (a->npaths == 2)
			argp_failure(st, 2, 0, "give exactly two recordings: BASE NEW");
		a->paths[a->npaths++] = arg;
		break;
	case ARGP_KEY_END:
		if (a->npaths != 2)
			argp_failure(st, 2, 0, "give two recordings: BASE NEW");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "BASE NEW", doc, 0, 0, 0 };
	struct runload *base = NULL, *new = NULL;
	struct compare_result *res = NULL;
	struct args a = { .fmt = F_TABLE };
	unsigned want = RL_WANT(RL_SPANS);
	char err[512];
	int ret = 2;

	compare__defaults(&a.o);
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	/* Flag what the build fails on. */
	if (!a.effect_set && a.o.fail_on >= 0 && a.o.fail_on < a.o.min_effect)
		a.o.min_effect = a.o.fail_on;
	if (a.o.nmetrics)
		want |= RL_WANT(RL_METRICS);
	if (!(base = runload__open(a.paths[0], want, err, sizeof(err))) ||
	    !(new = runload__open(a.paths[1], want, err, sizeof(err)))) {
		pr_err("%s", err);
		goto out;
	}
	pr_verbose("base: %zu spans, %zu metrics; new: %zu spans, %zu metrics",
		   base->nspans, base->nmetrics, new->nspans, new->nmetrics);
	if (!(res = compare__run(base, new, &a.o, err, sizeof(err)))) {
		pr_err("%s", err);
		goto out;
	}
	if (a.fmt == F_MD)
		compare__print_md(stdout, res);
	else if (a.fmt == F_JSON)
		compare__print_json(stdout, res);
	else
		compare__print_table(stdout, res);
	if (fflush(stdout)) {
		pr_err("cannot write the output: %s", strerror(errno));
		goto out;
	}
	ret = res->failures ? 1 : 0;
out:
	compare__free(res);
	runload__free(base);
	runload__free(new);
	return ret;
}
