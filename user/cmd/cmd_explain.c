// SPDX-License-Identifier: MIT
/*
 * cmd_explain.c - `mlprobe explain RUN`: the slowest steps of a recording,
 * each with its cause and the time per cause beyond the median step, as
 * text or JSON lines (analysis/explain.h).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "analysis/explain.h"
#include "analysis/report.h"
#include "analysis/runload.h"
#include "common/log.h"

static const char doc[] =
	"Why were the slowest steps slow?\n"
	"\n"
	"RUN is a recording (or a spans Parquet file).  A thread's step is the\n"
	"time from one MLPROBE_STEP (mlprobe.step() in Python) to its next; the\n"
	"kernel told where its time went: on CPU (cpu), runnable but waiting for\n"
	"a CPU (runq), in I/O wait (io), blocked otherwise (wait: a lock, a\n"
	"queue, a sleep), and in Python's garbage collections (gc).  For each of\n"
	"the slowest steps, one line gives its duration, the median step of its\n"
	"thread, and the time per cause beyond the median, the largest (the\n"
	"cause) first, with the innermost span that holds most of it.  The cause\n"
	"is 'fault' when the step also took far more page faults than usual.\n"
	"With several ranks a step is as slow as its slowest rank, which is\n"
	"named.\n"
	"\n"
	"Exit status: 0; 2 for bad arguments, or a recording that cannot be read\n"
	"or holds no steps (one line says why).\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe explain runs/exp1\n"
	"  mlprobe explain runs/exp1 --steps 100:200 --top 3\n"
	"  mlprobe explain runs/exp1 --format json | jq -r .cause\n";

static const struct argp_option opts[] = {
	{ "steps", 'S', "A:B", 0, "Only steps A to B (or the one step N); the "
				  "medians are of all steps", 0 },
	{ "top", 'n', "N", 0, "How many steps to list (default 10)", 0 },
	{ "format", 'f', "FMT", 0, "table (default) or json (an object a line)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

struct args {
	struct explain_opts o;
	const char *run;
	bool json;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;
	long v;

	switch (key) {
	case 'S':
		if (report__parse_steps(arg, &a->o.step_lo, &a->o.step_hi))
			argp_failure(st, 2, 0, "invalid --steps '%s' (A:B with "
				     "A <= B, or one step N)", arg);
		break;
	case 'n':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 1 || v > 1000000)
			argp_failure(st, 2, 0, "invalid --top '%s' (a whole number "
				     "from 1)", arg);
		a->o.top = (int)v;
		break;
	case 'f':
		if (!strcmp(arg, "json"))
			a->json = true;
		else if (!strcmp(arg, "table"))
			a->json = false;
		else
			argp_failure(st, 2, 0, "unknown format '%s' (table, json)", arg);
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		if (a->run)
			argp_failure(st, 2, 0, "give one recording");
		a->run = arg;
		break;
	case ARGP_KEY_END:
		if (!a->run)
			argp_failure(st, 2, 0, "give a recording");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "RUN", doc, 0, 0, 0 };
	struct explain_result *x = NULL;
	struct runload *run = NULL;
	struct args a = { 0 };
	char err[512];
	int ret = 2;

	explain__defaults(&a.o);
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	if (!(run = runload__open(a.run, RL_WANT(RL_SPANS), err, sizeof(err))) ||
	    !(x = explain__run(run, &a.o, err, sizeof(err)))) {
		pr_err("%s", err);
		goto out;
	}
	pr_verbose("%zu spans, %zu steps in %zu threads", run->nspans,
		   x->nsteps, x->nthreads);
	if (a.json)
		explain__print_json(stdout, x);
	else
		explain__print_table(stdout, x, &a.o);
	if (fflush(stdout)) {
		pr_err("cannot write the output: %s", strerror(errno));
		ret = 1;
		goto out;
	}
	ret = 0;
out:
	explain__free(x);
	runload__free(run);
	return ret;
}
