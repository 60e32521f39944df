/* SPDX-License-Identifier: MIT */
/*
 * sinks.h - the live sinks that `record` and `top` share: alerts, the live
 * state (live.h) behind the terminal view and the Prometheus endpoint.
 *
 * The options come as an argp child (livecfg_argp), so both commands take
 * the same --alert, --alert-file, --on-alert and --prometheus.  Every rule
 * is parsed and the --on-alert command looked up while the arguments are
 * parsed, so a broken one stops the command before it attaches.  The sinks
 * know nothing of each other: this module builds them and joins their
 * hooks (an alert firing is counted in the live state).
 */
#ifndef MLPROBE_SINKS_H
#define MLPROBE_SINKS_H

#include <argp.h>
#include <stdbool.h>
#include "consume/rows.h"
#include "rules.h"

struct live;

struct livecfg {
	struct rule *rules;	/* parsed at the end of argument parsing */
	int nrules;
	const char *rule_args[64];	/* --alert, in order */
	int nrule_args;
	const char *alert_file;
	const char *on_alert;
	char **cmd_argv, *cmd_path;	/* --on-alert, split and resolved */
	double cmd_interval_s;
	const char *prom_addr;	/* --prometheus */
};

/* The argp child; its input is a struct livecfg (zeroed by the caller). */
extern const struct argp livecfg_argp;
/* Frees what parsing allocated. */
void livecfg_free(struct livecfg *c);

struct livesinks_opts {
	size_t sz;			/* sizeof(struct livesinks_opts) */
	const struct livecfg *cfg;
	const char *dir;		/* alerts files; NULL: none (top) */
	const char *host, *run, *created_by;
	bool want_live;			/* keep live state even without
					 * --prometheus (the terminal view) */
	bool quiet_alerts;		/* alerts go to the view, not stderr */
};

struct livesinks;

/* Builds the sinks and binds the Prometheus listener (its thread starts
 * here, with every signal blocked).  On failure prints one line and
 * returns -errno. */
int livesinks__new(const struct livesinks_opts *o, struct livesinks **out);
/* Appends the sinks to sinks[] (at most max); returns how many.  They
 * take the kernel's counters from the engine's tick (rows.h). */
int livesinks__sinks(struct livesinks *ls, struct sink *sinks, int max);
/* The live state, or NULL when nothing needs one. */
struct live *livesinks__live(struct livesinks *ls);
/* The alerts sink, or NULL without rules (for run.json). */
struct alerts *livesinks__alerts(struct livesinks *ls);
/* A line or two for the end of `record`: alerts fired, files, commands. */
void livesinks__summary(const struct livesinks *ls, const char *dir);
/* Alerts fired so far. */
unsigned long long livesinks__fired(const struct livesinks *ls);
void livesinks__free(struct livesinks *ls);

#endif
